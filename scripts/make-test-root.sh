#!/usr/bin/env bash
# Creates the Debian bookworm root (debootstrap --variant=minbase) that test/e2e/deb-package.test.ts
# copies for every run, so the test itself is offline and quick. Does nothing when DIR is complete.
# Usage: scripts/make-test-root.sh [DIR]   (default var/test-root/bookworm; needs root and debootstrap)
# The mirror is $DEBIAN_MIRROR, else http://deb.debian.org/debian.
set -euo pipefail
dir=${1:-var/test-root/bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
marker="$dir/.siprec-edge-test-root"

if [ -f "$marker" ]; then
  echo "test root ready: $dir"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "make-test-root.sh: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || bash "$(dirname "$0")/ensure-debian-packages.sh" debootstrap

# Build next to the destination and rename at the end: an interrupted run never looks complete.
partial="$dir.partial"
rm -rf "$partial"
mkdir -p "$(dirname "$dir")"
echo "debootstrap --variant=minbase bookworm $dir ($mirror), about half a minute"
debootstrap --variant=minbase bookworm "$partial" "$mirror" >"$partial.log" 2>&1 || {
  tail -20 "$partial.log" >&2
  exit 1
}
rm -f "$partial.log"
# The apt lists and downloaded .debs are not needed by the test; dropping them halves every copy.
rm -rf "$partial"/var/cache/apt/archives/*.deb "$partial"/var/lib/apt/lists/*
touch "$partial/.siprec-edge-test-root"
rm -rf "$dir"
mv "$partial" "$dir"
echo "test root ready: $dir"
