#!/usr/bin/env bash
# The Node API reference: TypeDoc over the package's public entry points (polypay,
# polypay/express, polypay/fastify, polypay/web, polypay/ledger, polypay/testing) into
# target/docs/api/node/ (index.html at its root). Run from anywhere after bindings-node is
# built (its node_modules installed by `npm ci`, native.d.ts generated); the site build copies
# the output to site/reference/api/node/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/target/docs/api/node"
cd "$root/bindings-node"
if [ ! -x node_modules/.bin/typedoc ]; then
  echo "docs/api/node.sh: typedoc is missing: run npm ci in bindings-node" >&2
  exit 2
fi
rm -rf "$out"
node_modules/.bin/typedoc \
  --tsconfig tsconfig.json \
  --entryPoints lib/index.ts --entryPoints lib/express.ts --entryPoints lib/fastify.ts \
  --entryPoints lib/web.ts --entryPoints lib/ledger.ts --entryPoints lib/testing.ts \
  --entryPointStrategy resolve \
  --name "polypay (Node)" \
  --readme none \
  --excludePrivate --excludeInternal \
  --disableSources \
  --treatWarningsAsErrors false \
  --logLevel Warn \
  --out "$out"
test -f "$out/index.html"
echo "Node API reference: $out/index.html"
