#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A librdkafka newer than Debian 12's 2.0.2 for `replyscan` to run with,
# fetched only through package registries' ordinary clients and kept under
# RS_LIBRDKAFKA_CACHE (default /var/tmp/replyscan-librdkafka), never in the
# repository. replyscan links librdkafka.so.1 dynamically, so a directory
# with a librdkafka.so.1 in it, put first on LD_LIBRARY_PATH, replaces the
# system library without rebuilding (the API and ABI only grow).
#
#   tests/kafka/newer-librdkafka.sh SOURCE
#
# prints the directory to put on LD_LIBRARY_PATH (and nothing else on
# standard output); SOURCE:
#   wheel  the librdkafka that PyPI's confluent-kafka manylinux wheel
#          bundles (confluent_kafka.libs/librdkafka-*.so.1: OpenSSL, zstd,
#          Cyrus SASL statically inside; no GSSAPI in its
#          builtin.features). `pip download`; 2.16.0 with confluent-kafka
#          2.16.2 (RS_LIBRDKAFKA_WHEEL pins another version).
#   crate  librdkafka's source as the rdkafka-sys crate bundles it
#          (`cargo fetch`; 4.10.0+2.12.1 holds librdkafka 2.12.1), built
#          with ./configure against Debian's OpenSSL, zstd, lz4, zlib and
#          Cyrus SASL (libsasl2-dev), so its builtin.features has
#          sasl_gssapi: the newer client for GSSAPI (Kerberos). A build
#          takes a few minutes on 2 cores, once.
# tests/kafka/lib.sh does this when RS_LIBRDKAFKA=wheel or crate is set,
# and every scenario script then runs the stage with it.
set -euo pipefail

CACHE=${RS_LIBRDKAFKA_CACHE:-/var/tmp/replyscan-librdkafka}
WHEEL_VERSION=${RS_LIBRDKAFKA_WHEEL:-2.16.2}
CRATE_VERSION=${RS_LIBRDKAFKA_CRATE:-4.10.0+2.12.1}

say() { echo "newer-librdkafka: $*" >&2; }

from_wheel() {
	local dir=$CACHE/wheel-$WHEEL_VERSION so
	if [ ! -e "$dir/lib/librdkafka.so.1" ]; then
		mkdir -p "$dir/dl" "$dir/x" "$dir/lib"
		say "pip download confluent-kafka==$WHEEL_VERSION"
		pip download -q --no-deps --only-binary=:all: \
			--platform manylinux_2_28_x86_64 --python-version 3.11 \
			-d "$dir/dl" "confluent-kafka==$WHEEL_VERSION" >&2
		python3 -m zipfile -e "$dir"/dl/confluent_kafka-*.whl "$dir/x"
		so=$(ls "$dir"/x/confluent_kafka.libs/librdkafka-*.so.1)
		# The bundled library's soname is librdkafka-HASH.so.1; the
		# loader matches replyscan's NEEDED librdkafka.so.1 by file name.
		ln -sf "$so" "$dir/lib/librdkafka.so.1"
	fi
	echo "$dir/lib"
}

from_crate() {
	local dir=$CACHE/crate-$CRATE_VERSION src
	if [ ! -e "$dir/lib/librdkafka.so.1" ]; then
		command -v cargo >/dev/null || { say "cargo is needed"; exit 1; }
		[ -e /usr/include/sasl/sasl.h ] ||
			{ say "libsasl2-dev is needed (GSSAPI through Cyrus SASL)"; exit 1; }
		mkdir -p "$dir/fetch/src"
		cat >"$dir/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-librdkafka"
version = "0.0.0"
edition = "2021"
[dependencies]
rdkafka-sys = { version = "=$CRATE_VERSION", default-features = false }
EOF
		echo 'fn main() {}' >"$dir/fetch/src/main.rs"
		say "cargo fetch rdkafka-sys $CRATE_VERSION"
		(cd "$dir/fetch" && cargo fetch -q) >&2
		src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"rdkafka-sys-$CRATE_VERSION.crate" | head -n 1)
		rm -rf "$dir/src"
		mkdir -p "$dir/src"
		tar -xzf "$src" -C "$dir/src" --strip-components=1
		say "building librdkafka (a few minutes)"
		(cd "$dir/src/librdkafka" &&
			./configure --prefix="$dir/install" --disable-curl \
				--enable-ssl --enable-gssapi --enable-zstd --enable-lz4-ext &&
			make -j"${RS_LIBRDKAFKA_JOBS:-2}" libs && make -C src install) \
			>"$dir/build.log" 2>&1 ||
			{ say "build failed, see $dir/build.log"; exit 1; }
		mkdir -p "$dir/lib"
		ln -sf "$dir/install/lib/librdkafka.so.1" "$dir/lib/librdkafka.so.1"
	fi
	echo "$dir/lib"
}

case ${1:-} in
wheel) from_wheel ;;
crate) from_crate ;;
*)
	echo "usage: $0 wheel|crate" >&2
	exit 2
	;;
esac
