#!/usr/bin/env bash
# Builds dist/siprec-edge_<version>_<arch>.deb with dpkg-deb (no debhelper) and prints its path.
# Usage: scripts/build-deb.sh [--arch amd64|arm64]      (default: this machine's Debian architecture)
# Environment:
#   SIPREC_EDGE_BINARY  a prebuilt binary for --arch (default: dist/siprec-edge for this machine's
#                       architecture, which `make build` writes; other architectures are cross-compiled
#                       with `bun build --compile --target=…` into dist/<arch>/siprec-edge)
#   DEB_VERSION         the package version (default: package.json's version)
#   DEB_OUTDIR          where the .deb goes (default: dist)
#   DEB_COMPRESSION     dpkg-deb -Z: xz (default: smallest, about 30 s), zstd (under a second), gzip, none
# Progress goes to stderr; stdout is the path of the .deb only. The binary is never stripped: strip
# cuts off the application that `bun build --compile` appends to the Bun runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "build-deb.sh: $*" >&2
  exit 1
}

host_arch=$(dpkg --print-architecture)
arch=$host_arch
while [ $# -gt 0 ]; do
  case "$1" in
  --arch) arch=${2:-}; shift 2 || die "--arch needs a value" ;;
  --arch=*) arch=${1#--arch=}; shift ;;
  *) die "unknown argument \"$1\" (usage: scripts/build-deb.sh [--arch amd64|arm64])" ;;
  esac
done

# Debian architecture → Bun compile target and the ELF e_machine the binary must have.
case "$arch" in
amd64) bun_target=bun-linux-x64 elf_machine="3e 00" ;;
arm64) bun_target=bun-linux-arm64 elf_machine="b7 00" ;;
*) die "architecture \"$arch\" is not supported: Bun compiles for amd64 and arm64 only" ;;
esac

app_version=$(node -p "require('./package.json').version")
version=${DEB_VERSION:-$app_version}
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "\"$version\" is not a Debian version"
outdir=${DEB_OUTDIR:-dist}

if [ -n "${SIPREC_EDGE_BINARY:-}" ]; then
  binary=$SIPREC_EDGE_BINARY
elif [ "$arch" = "$host_arch" ]; then
  binary=dist/siprec-edge
  [ -f "$binary" ] || die "$binary is missing: run make build first"
else
  binary=dist/$arch/siprec-edge
  echo "cross-compiling $binary ($bun_target)" >&2
  node_modules/.bin/bun build --compile --target="$bun_target" \
    --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
    --define SIPREC_EDGE_VERSION="\"$app_version\"" src/main.ts --outfile "$binary" >&2
fi
[ -f "$binary" ] || die "binary $binary does not exist"
[ "$(od -An -tx1 -j18 -N2 "$binary" | tr -s ' ' | sed 's/^ //')" = "$elf_machine" ] ||
  die "$binary is not a Linux $arch executable"

# Maintainer and date of the newest changelog entry; the date also pins the file times, so two
# builds of the same inputs give the same package.
changelog=packaging/debian/changelog
maintainer=$(sed -n 's/^ -- \(.*>\)  .*$/\1/p' "$changelog" | head -1)
changelog_date=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$changelog" | head -1)
[ -n "$maintainer" ] || die "no maintainer line in $changelog"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d "$changelog_date" +%s)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
doc=$root/usr/share/doc/siprec-edge
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/sbin" "$root/lib/systemd/system" \
  "$root/etc/siprec-edge" "$doc" "$root/usr/share/man/man1" "$root/usr/share/man/man8" \
  "$root/usr/share/lintian/overrides"

install -m 0755 "$binary" "$root/usr/bin/siprec-edge"
install -m 0755 scripts/siprec-edge-diag "$root/usr/sbin/siprec-edge-diag"
install -m 0644 systemd/siprec-edge.service "$root/lib/systemd/system/siprec-edge.service"
# 0644 here; postinst makes it 0640 root:siprec-edge through dpkg-statoverride (it may hold secrets).
install -m 0644 packaging/config.example.yaml "$root/etc/siprec-edge/config.yaml"
install -m 0644 packaging/debian/copyright "$doc/copyright"
# A native package (no Debian revision): lintian wants its changelog as changelog.gz.
gzip -9n <"$changelog" >"$doc/changelog.gz"
gzip -9n <packaging/siprec-edge.1 >"$root/usr/share/man/man1/siprec-edge.1.gz"
gzip -9n <packaging/siprec-edge-diag.8 >"$root/usr/share/man/man8/siprec-edge-diag.8.gz"
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/siprec-edge"
chmod 0644 "$doc"/*.gz "$root"/usr/share/man/man*/*.gz

for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"
done
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" packaging/debian/control >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"
find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$outdir"
deb=$outdir/siprec-edge_${version}_${arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$root" "$deb" >&2
echo "$deb"
