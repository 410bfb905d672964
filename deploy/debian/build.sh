#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# build.sh [OUTDIR] - build the replyscan Debian packages (source and
# binary) from this checkout, without a debian/ directory in the repository.
#
# The repository's files (tracked, plus untracked ones that .gitignore does
# not exclude; build directories never) are copied into a temporary tree,
# deploy/debian becomes its debian/, the unit deploy/systemd/replyscan.service
# becomes debian/replyscan.service (and replyscan-posture.service
# debian/replyscan.replyscan-posture.service, the name dh_installsystemd
# --name=replyscan-posture looks for), and dpkg-buildpackage runs there,
# unsigned. The results (.deb, .dsc, .tar.xz, .changes, .buildinfo) land in
# OUTDIR (default: build-deb/ at the repository root, ignored by git); the
# path of the .changes file is printed on standard output, everything else
# goes to standard error.
#
# Needs: dpkg-dev, debhelper and the Build-Depends of deploy/debian/control.
# DEB_BUILD_OPTIONS is passed on (e.g. "nocheck parallel=2").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$root/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(dpkg-parsechangelog -l "$root/deploy/debian/changelog" -S Version)
work=$(mktemp -d /tmp/replyscan-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/replyscan-$version
mkdir -p "$src"

# The source files: tracked and not-ignored untracked files of the checkout
# (only those that exist: a file deleted but still in the index is left
# out); outside git, everything but build directories and .git.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$root" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			if [ -f "$root/$f" ] || [ -L "$root/$f" ]; then
				printf '%s\0' "$f"
			fi
		done |
		tar -C "$root" --null -T - -cf - | tar -C "$src" -xf -
else
	tar -C "$root" --exclude='./.git' --exclude='./build*' -cf - . |
		tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -r "$root/deploy/debian" "$src/debian"
rm -f "$src/debian/build.sh"
cp "$root/deploy/systemd/replyscan.service" "$src/debian/replyscan.service"
cp "$root/deploy/systemd/replyscan-posture.service" \
	"$src/debian/replyscan.replyscan-posture.service"

echo "build.sh: dpkg-buildpackage in $src" >&2
(cd "$src" && dpkg-buildpackage -us -uc >&2)

for f in "$work"/*.deb "$work"/*.dsc "$work"/*.tar.* "$work"/*.changes \
	"$work"/*.buildinfo; do
	[ -e "$f" ] && mv -f "$f" "$out/"
done
for f in "$out"/replyscan_"${version}"_*.changes; do
	case "$f" in
	*_source.changes) ;;
	*) echo "$f" ;;
	esac
done
