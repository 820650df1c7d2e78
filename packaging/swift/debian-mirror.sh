#!/bin/sh
# Prints the Debian archive mirror this machine's apt uses, for debootstrap
# (bindings-uniffi/swift/setup-toolchain.sh).
# Read from the apt sources (/etc/apt/sources.list.d/*.sources in deb822 form, *.list and
# /etc/apt/sources.list in one-line form): the first `deb` entry whose suites include this
# machine's own release (VERSION_CODENAME of /etc/os-release, e.g. bookworm), so security,
# -updates and third-party repositories are not taken. DEBIAN_MIRROR overrides it.
# Fails loudly when none is found: never falls back to a hard-coded host.
set -eu
if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; exit 0; fi
APT=${APT_ETC:-/etc/apt}
CODENAME=$(. "${OS_RELEASE:-/etc/os-release}" && echo "${VERSION_CODENAME:-}")
[ -n "$CODENAME" ] || { echo "debian-mirror: no VERSION_CODENAME in /etc/os-release; set DEBIAN_MIRROR" >&2; exit 1; }
found=$(
	{
		for f in "$APT"/sources.list.d/*.sources; do [ -f "$f" ] && { cat "$f"; echo; }; done
	} | awk -v want="$CODENAME" '
		# deb822 stanzas, separated by blank lines; keys are case-insensitive.
		function flush() {
			if (!done && uris != "" && (types == "" || types ~ /(^| )deb( |$)/) && enabled !~ /^no$/) {
				n = split(suites, s, " ")
				for (i = 1; i <= n; i++) if (s[i] == want) { split(uris, u, " "); print u[1]; done = 1; break }
			}
			types = ""; uris = ""; suites = ""; enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = tolower(val)
		}
		END { flush() }'
)
if [ -z "$found" ]; then
	found=$(
		for f in "$APT"/sources.list.d/*.list "$APT"/sources.list; do [ -f "$f" ] && cat "$f"; done |
			awk -v want="$CODENAME" '
				$1 == "deb" {
					i = 2
					if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }  # [options]
					if ($(i + 1) == want) { print $i; exit }
				}'
	)
fi
[ -n "$found" ] || { echo "debian-mirror: no deb entry for $CODENAME in $APT/sources.list.d/ or $APT/sources.list; set DEBIAN_MIRROR" >&2; exit 1; }
echo "$found"
