#!/usr/bin/env sh
# Builds the stand-in as one static binary (standard library only, no cgo),
# ready to be packed into an image with `docker import`. Prints its path.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1; then
  GO=/usr/local/go/bin/go
fi
mkdir -p "$here/bin"
cd "$here"
CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$here/bin/photo-app-standin" .
echo "$here/bin/photo-app-standin"
