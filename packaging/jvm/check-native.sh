#!/bin/sh
# Checks a shipped native library (the uniffi .so of the jar and of the Swift package):
#   * an x86-64 ELF shared object, stripped (no .symtab: only the dynamic symbols JNA and the
#     linker need),
#   * its highest GLIBC_ symbol version (objdump -T) is at most MAX (default 2.17, manylinux2014),
#   * prints its size.
# Usage: check-native.sh FILE [MAX]
set -eu
FILE=${1:?usage: check-native.sh FILE [MAX]}
MAX=${2:-2.17}
command -v objdump >/dev/null && command -v readelf >/dev/null || { echo "check-native: objdump or readelf not found (apt-get install binutils)" >&2; exit 1; }
objdump -f "$FILE" | grep -q 'file format elf64-x86-64' || { echo "check-native: $FILE is not an x86-64 ELF" >&2; exit 1; }
if readelf -S -W "$FILE" | grep -q ' \.symtab '; then echo "check-native: $FILE is not stripped (.symtab present)" >&2; exit 1; fi
# Versions required from glibc (GLIBC_PRIVATE is not a version).
HIGHEST=$(objdump -T "$FILE" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V -u | tail -n 1)
[ -n "$HIGHEST" ] || { echo "check-native: no GLIBC_ symbol versions in $FILE" >&2; exit 1; }
if [ "$(printf '%s\n%s\n' "$HIGHEST" "$MAX" | sort -V | tail -n 1)" != "$MAX" ]; then
	echo "check-native: $FILE needs GLIBC_$HIGHEST, above $MAX:" >&2
	objdump -T "$FILE" | grep "GLIBC_$HIGHEST" >&2
	exit 1
fi
SIZE=$(wc -c < "$FILE")
echo "check-native: $FILE: stripped, highest GLIBC_$HIGHEST (<= $MAX), $SIZE bytes ($(awk -v s="$SIZE" 'BEGIN { printf "%.2f", s / 1048576 }') MiB)"
