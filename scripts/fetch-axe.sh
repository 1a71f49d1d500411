#!/usr/bin/env bash
# Fetches axe-core, the accessibility checker the browser tests run inside Chromium, from npm
# (one of the registries this machine reaches), checks its sha256 and puts axe.min.js in
#   DEST (default: ~/.cache/paperboy/axe-core-4.10.3)
# It is a test tool only: nothing of it ships in the binary or the repository.
set -euo pipefail

version=4.10.3
expected=880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
dest=${1:-$HOME/.cache/paperboy/axe-core-$version}

if [ -f "$dest/axe.min.js" ] && echo "$expected  $dest/axe.min.js" | sha256sum --check --status; then
    echo "axe-core is already in $dest"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$version" >/dev/null && tar xzf "axe-core-$version.tgz")
echo "$expected  $work/package/axe.min.js" | sha256sum --check --status || {
    echo "axe.min.js does not have the expected sha256" >&2
    exit 1
}
mkdir -p "$dest"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$dest/"
echo "axe-core $version is in $dest"
