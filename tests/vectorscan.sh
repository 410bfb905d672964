#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and test replyscan against Vectorscan instead of Hyperscan without
# touching the system's packages: the Debian 12 Vectorscan packages are
# downloaded (apt-get download), unpacked (dpkg -x) into a private prefix,
# and the build finds libhs there through PKG_CONFIG_PATH, in its own build
# directory. Then every ctest runs and `classify` is timed on a generated
# corpus (the figure in tests/fuzz/README.md).
#   tests/vectorscan.sh [WORKDIR]     default build-vectorscan
# Not part of tests/run.sh: it builds everything a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-build-vectorscan}")
prefix="$work/prefix"
mkdir -p "$work/debs" "$prefix"

if [ ! -f "$prefix/.unpacked" ]; then
	(cd "$work/debs" && apt-get download libvectorscan5 libvectorscan-dev)
	for deb in "$work"/debs/*.deb; do
		dpkg -x "$deb" "$prefix"
	done
	touch "$prefix/.unpacked"
fi
pcdir=$(dirname "$(find "$prefix" -name libhs.pc | head -n 1)")
libdir=$(dirname "$(find "$prefix" -name 'libhs.so.*' | head -n 1)")
# The .pc file names /usr as its prefix: point it at the private copy.
sed -i "s#^prefix=.*#prefix=$prefix/usr#" "$pcdir/libhs.pc"
echo "vectorscan: $(grep '^Version' "$pcdir/libhs.pc") from $pcdir"

export PKG_CONFIG_PATH="$pcdir"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# A compile cache of its own: a Hyperscan database is not Vectorscan's.
export REPLYSCAN_CACHE_DIR="$work/cache"
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work/build" -j2
echo "vectorscan: linked against $(ldd "$work/build/replyscan" | grep -o '/[^ ]*libhs[^ ]*')"
ctest --test-dir "$work/build" --output-on-failure -j2

echo "== classify on 200,000 generated lines (bench/gen_corpus.py), 1 thread"
python3 bench/gen_corpus.py --lines 200000 --out "$work/corpus.log"
# The first run warms the compile cache; the closing lines of the next
# three give the figure (replyscan's own lines/s).
for i in 0 1 2 3; do
	"$work/build/replyscan" classify --threads 1 --format summary \
		--rules rules "$work/corpus.log" 2>&1 >/dev/null | tail -n 1 |
		sed "s/^replyscan:/vectorscan run $i:/"
done
