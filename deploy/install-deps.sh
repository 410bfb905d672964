#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install every Debian package that building, testing and benchmarking
# replyscan needs. Idempotent: packages already present are not fetched
# again. Run as root (or through sudo) on Debian 12.
set -euo pipefail

packages=(
	# build
	build-essential cmake ninja-build pkg-config
	librdkafka-dev libprotobuf-c-dev protobuf-c-compiler
	libyaml-dev zlib1g-dev libzstd-dev libmicrohttpd-dev libjansson-dev
	# tests and checks
	libcmocka-dev clang-format valgrind python3 zstd gzip curl
	# fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
	clang libclang-rt-14-dev
	# promtool, to check the metrics exposition
	prometheus
	# the local Kafka broker (deploy/kafka), its TLS material (--secure) and
	# its command-line client
	openjdk-17-jre-headless maven kcat openssl
	# its Kerberos mode (kafka.sh start --kerberos: a KDC, kadmin.local -
	# in krb5-admin-server on Debian 12 -, kinit) and the GSSAPI plugin of
	# Cyrus SASL that librdkafka logs in with
	krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit
	# benchmarks (bench/run): the peers and the profiler
	libpcre2-dev liblognorm-utils linux-perf
	# deploy checks (tests/deploy/check.sh): Debian package, unit, manifests
	debhelper dpkg-dev fakeroot lintian yamllint systemd python3-yaml
	python3-venv man-db groff-base strace time
	# the posture page in a real headless browser (tests/posture/page.sh;
	# skipped, exit 77, where it is absent)
	chromium
)

# The libhs API: Hyperscan where Debian builds it (amd64 only), else
# Vectorscan (same API, also arm64). One already installed is kept.
hs_dev=libhyperscan-dev
if ! dpkg-query -W -f='${Status}' libhyperscan-dev 2>/dev/null | grep -q "install ok installed"; then
	if dpkg-query -W -f='${Status}' libvectorscan-dev 2>/dev/null | grep -q "install ok installed"; then
		hs_dev=libvectorscan-dev
	elif [ "$(dpkg --print-architecture)" != amd64 ]; then
		hs_dev=libvectorscan-dev
	fi
fi
packages+=("$hs_dev")

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
