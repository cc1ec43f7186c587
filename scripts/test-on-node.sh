#!/usr/bin/env bash
# Run the README's test command (`npm ci && npm test`) on another Node.js major version, without
# touching this tree's node_modules: the official Node build comes from the npm registry's
# `node-linux-<arch>` package (a `node` binary plus the headers native addons build against),
# installed into a temporary folder, and the tests run in a temporary copy of this tree.
#
#   scripts/test-on-node.sh 24                      # results in test-results/node24.json
#   scripts/test-on-node.sh 24 /some/results.json   # or wherever you say
#
# Exits with the test command's status (1 if Node cannot be installed). npm itself is the one on
# PATH, run by the Node version under test.
set -uo pipefail

major=${1:?usage: scripts/test-on-node.sh MAJOR [RESULTS_JSON]}
root=$(cd "$(dirname "$0")/.." && pwd)
results=${2:-$root/test-results/node$major.json}
case "$results" in /*) ;; *) results="$PWD/$results" ;; esac # the tests run elsewhere

log() { printf '[node %s] %s\n' "$major" "$*"; }

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) log "no node-linux package for $(uname -m)"; exit 1 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/harmont-node$major.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "installing node-linux-$arch@$major from the npm registry"
if ! npm install --prefix "$work/node" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "node-linux-$arch@$major" >"$work/node-install.log" 2>&1; then
  cat "$work/node-install.log" >&2
  log "could not install node-linux-$arch@$major"
  exit 1
fi
nodedir="$work/node/node_modules/node-linux-$arch"
if [ ! -x "$nodedir/bin/node" ] || [ ! -f "$nodedir/include/node/node.h" ]; then
  log "node-linux-$arch@$major has no bin/node or include/node/ headers"
  exit 1
fi

# A copy of the tree as it is (uncommitted changes included), without its installed or generated state.
mkdir -p "$work/tree"
tar -C "$root" --exclude=node_modules --exclude=.git --exclude=dist --exclude=./test-results --exclude=./.harmont \
  --exclude=./coverage -cf - . |
  tar -C "$work/tree" -xf - || { log "could not copy the tree"; exit 1; }

export PATH="$nodedir/bin:$PATH"
# Native addons (better-sqlite3) compile against this Node's own headers, with nothing downloaded.
export npm_config_nodedir="$nodedir"
version=$(node --version)
log "node $version, npm $(npm --version), in a copy of the tree"

cd "$work/tree" || exit 1
npm ci && npm test
status=$?

mkdir -p "$(dirname "$results")"
if [ -f test-results/results.json ]; then
  cp test-results/results.json "$results"
else
  rm -f "$results"
fi
# Which release it was, for whoever reports on the results.
printf '%s\n' "$version" >"${results%.json}.node-version"
exit $status
