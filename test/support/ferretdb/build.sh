#!/usr/bin/env bash
# Builds the FerretDB pinned by this module (go.mod, go.sum) into a cache directory once, and prints the binary's
# path on stdout. The cache key covers go.mod, go.sum and main.go, so a change to any of them builds anew.
# Exit 3 (and a reason on stderr) when the binary is absent and no Go toolchain is found, or FERRETDB_NO_BUILD is set.
set -euo pipefail
cd "$(dirname "$0")"

version=$(awk '$1 == "require" && $2 == "github.com/FerretDB/FerretDB" { print $3 }' go.mod)
key=$(cat go.mod go.sum main.go | sha256sum | cut -c1-12)
bin="${FERRETDB_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-reliability/ferretdb-$version-$key/ferretdb}"

if [ ! -x "$bin" ] && [ -n "${FERRETDB_NO_BUILD:-}" ]; then
  echo "FerretDB $version is not built yet ($bin)" >&2
  exit 3
fi
if [ ! -x "$bin" ]; then
  go=$(command -v go || true)
  [ -n "$go" ] || { [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go; } || true
  if [ -z "$go" ]; then
    echo "no Go toolchain (go on PATH or /usr/local/go/bin/go) to build FerretDB $version into $bin" >&2
    exit 3
  fi
  echo "building FerretDB $version into $bin (a few minutes, once)" >&2
  start=$SECONDS
  mkdir -p "$(dirname "$bin")"
  # Built beside the target and renamed, so an interrupted build never leaves a half-written binary in place.
  "$go" build -trimpath -o "$bin.partial" .
  mv "$bin.partial" "$bin"
  echo "built FerretDB $version in $((SECONDS - start)) s" >&2
fi
echo "$bin"
