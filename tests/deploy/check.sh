#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/deploy/check.sh - check everything under deploy/ that runs replyscan
# in production, and the documentation that must follow the program:
#
#   docs      man page renders cleanly and lists exactly the long options of
#             each command's --help; docs/configuration.md carries the
#             output of `replyscan run --config-reference`; versions agree;
#             every shipped configuration loads
#   systemd   systemd-analyze security score (< 2.0) and verify; the
#             syscalls replyscan makes pass the unit's SystemCallFilter;
#             SIGHUP/SIGTERM behave with the metrics endpoint on
#   debian    build the package (deploy/debian/build.sh), lintian without
#             errors, install it, run it from the installed files, purge it
#   container the Containerfile's build stage with only the files it COPYs,
#             and its runtime libraries against the package's Depends
#   k8s       yamllint; kubectl kustomize (base and example overlay);
#             schema validation of the core kinds (kubernetes-validate,
#             from PyPI, bundled schemas, strict); field checks of the
#             ServiceMonitor and ScaledObject (no schema offline) and of
#             how the manifests fit the configuration
#   alerts    promtool check rules and promtool test rules; the Grafana
#             dashboard (JSON, layout, PromQL through promtool); every
#             metric named there exists in the program's /metrics
#
# Usage: tests/deploy/check.sh [--build DIR] [--skip-package]
#        tests/deploy/check.sh --regen-docs   (rewrite the generated part
#                                              of docs/configuration.md)
# Installs what it needs with apt-get (see NEEDS below) and pip (a venv in
# $RS_DEPLOY_CACHE, default /var/tmp/replyscan-deploy). Ends with
# "deploy checks: N passed, N failed"; exits 1 if any failed. The package
# check installs and purges the replyscan package on this machine (root);
# it is skipped if replyscan is already installed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
BUILD=build
skip_package=0
regen=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--skip-package) skip_package=1; shift ;;
	--regen-docs) regen=1; shift ;;
	*) echo "usage: tests/deploy/check.sh [--build DIR] [--skip-package] | --regen-docs" >&2; exit 2 ;;
	esac
done
RS=$ROOT/$BUILD/replyscan
CACHE=${RS_DEPLOY_CACHE:-/var/tmp/replyscan-deploy}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/rs-deploy-check.XXXXXX)
passed=0
failed=0
skipped=0
failures=()
bg_pids=()

cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*"; }

# check NAME COMMAND...: run COMMAND, its output in WORK; count the result.
check() {
	local name=$1 out
	shift
	out=$WORK/check-$((passed + failed + skipped)).log
	if "$@" >"$out" 2>&1; then
		passed=$((passed + 1))
		echo "ok    $name"
		sed 's/^/      /' "$out" | grep -E '^      (note|figure):' || true
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL  $name"
		tail -n 40 "$out" | sed 's/^/      /'
	fi
}

skip() {
	skipped=$((skipped + 1))
	echo "skip  $1: $2"
}

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------

# Debian packages this script needs beyond deploy/install-deps.sh.
NEEDS=(debhelper dpkg-dev fakeroot lintian yamllint prometheus systemd
	python3 python3-yaml python3-venv man-db groff-base curl strace time)

install_needs() {
	local missing=() p
	for p in "${NEEDS[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing+=("$p")
		fi
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "apt-get install ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

regen_docs() {
	local doc=docs/configuration.md
	"$RS" run --config-reference >"$WORK/ref.md" || return 1
	$PY - "$doc" "$WORK/ref.md" <<'EOF'
import sys
doc, ref = sys.argv[1], open(sys.argv[2]).read()
begin = "<!-- BEGIN GENERATED: replyscan run --config-reference -->\n"
end = "<!-- END GENERATED -->\n"
s = open(doc).read()
a, b = s.index(begin) + len(begin), s.index(end)
open(doc, "w").write(s[:a] + ref + s[b:])
EOF
}

if [ "$regen" -eq 1 ]; then
	[ -x "$RS" ] || cmake --build "$BUILD" >/dev/null
	regen_docs && echo "docs/configuration.md regenerated"
	exit $?
fi

install_needs || { echo "cannot install the needed packages"; exit 1; }
if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
	cmake -S . -B "$BUILD" -G Ninja >/dev/null || exit 1
fi
cmake --build "$BUILD" >/dev/null || { echo "cannot build replyscan in $BUILD"; exit 1; }
VERSION=$("$RS" version | awk '{print $2}')
# The rules' share of the memory bound: peak RSS of loading them without
# the compile cache, as the service does.
RULES_KIB=$(REPLYSCAN_CACHE_DIR='' /usr/bin/time -f %M "$RS" rules check 2>&1 >/dev/null | tail -n 1)
export RULES_MIB=$(((RULES_KIB + 1023) / 1024))
log "replyscan $VERSION ($RS); the bundled rules take $RULES_MIB MiB"

# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------

# man(1) and groff find nothing to warn about in the man page.
check_man_renders() {
	local w
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z docs/replyscan.1 2>&1 >/dev/null)
	[ -z "$w" ] || { echo "$w"; return 1; }
	groff -man -ww -z docs/replyscan.1
}

# Every long option of each command's --help is in that command's man
# section, and the section names no long option that --help lacks.
check_man_options() {
	local sections=$WORK/man-sections cmd bad=0 help_opts man_opts
	$PY - docs/replyscan.1 "$sections" <<'EOF' || return 1
import re, sys, os
src = open(sys.argv[1]).read()
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
def plain(s):
    s = re.sub(r'\\f[BIRP]', '', s)
    return s.replace('\\-', '-').replace('\\(em', '-')
m = re.search(r'^\.SH COMMANDS\n(.*?)^\.SH ', src, re.S | re.M)
if not m:
    sys.exit("no COMMANDS section")
parts = re.split(r'^\.SS (\S+)\n', m.group(1), flags=re.M)
for name, body in zip(parts[1::2], parts[2::2]):
    open(os.path.join(out, name), "w").write(plain(body))
EOF
	for cmd in classify explain rules eval run replay events posture version; do
		[ -f "$sections/$cmd" ] || { echo "man page: no section for '$cmd'"; bad=1; }
	done
	# commands of the top-level usage must have a section
	for cmd in $("$RS" --help | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
		[ -f "$sections/$cmd" ] || { echo "man page: '$cmd' of replyscan --help has no section"; bad=1; }
	done
	for f in "$sections"/*; do
		cmd=$(basename "$f")
		if ! "$RS" "$cmd" --help >"$WORK/help-$cmd" 2>&1; then
			echo "man page documents '$cmd', but 'replyscan $cmd --help' fails"
			bad=1
			continue
		fi
		# --help: every command takes it, the man page says so once
		help_opts=$(grep -oE -- '--[a-z][a-z0-9-]*' "$WORK/help-$cmd" | grep -vx -- --help | sort -u)
		man_opts=$(grep -oE -- '--[a-z][a-z0-9-]*' "$f" | grep -vx -- --help | sort -u)
		if [ "$cmd" = version ]; then
			help_opts=$(printf '%s\n--version' "$help_opts" | sed '/^$/d' | sort -u)
		fi
		for o in $(comm -23 <(echo "$help_opts") <(echo "$man_opts")); do
			echo "man page, section $cmd: $o of 'replyscan $cmd --help' is missing"
			bad=1
		done
		for o in $(comm -13 <(echo "$help_opts") <(echo "$man_opts")); do
			echo "man page, section $cmd: $o is not in 'replyscan $cmd --help'"
			bad=1
		done
	done
	# every configuration key is named in the CONFIGURATION section
	$PY - docs/replyscan.1 <("$RS" run --config-reference) <<'EOF' || bad=1
import re, sys
src = open(sys.argv[1]).read().replace('\\-', '-')
conf = re.search(r'^\.SH CONFIGURATION\n(.*?)^\.SH ', src, re.S | re.M).group(1)
words = set(re.findall(r'[a-z_.*]+', conf))
bad = 0
for key in re.findall(r'^\| `([a-z_.*]+)`', open(sys.argv[2]).read(), re.M):
    section, leaf = key.split('.', 1)
    if section not in words or leaf not in words:
        print(f"man page, CONFIGURATION: key {key} is not named")
        bad = 1
sys.exit(bad)
EOF
	return "$bad"
}

# The generated part of docs/configuration.md is the program's output.
check_config_doc() {
	cp docs/configuration.md "$WORK/configuration.md.orig"
	regen_docs || return 1
	if ! diff -u "$WORK/configuration.md.orig" docs/configuration.md; then
		cp "$WORK/configuration.md.orig" docs/configuration.md
		echo "docs/configuration.md is out of date: run tests/deploy/check.sh --regen-docs"
		return 1
	fi
}

# One version everywhere: CMake, the man page, the Debian changelog.
check_versions() {
	local man deb
	man=$(sed -n 's/^\.TH .*"replyscan \([^"]*\)".*/\1/p' docs/replyscan.1)
	deb=$(dpkg-parsechangelog -l deploy/debian/changelog -S Version)
	echo "note: program $VERSION, man page $man, debian/changelog $deb"
	[ "$man" = "$VERSION" ] && [ "$deb" = "$VERSION" ]
}

# Every configuration file we ship loads with the real parser.
check_configs_load() {
	local f bad=0
	for f in deploy/replyscan.yaml deploy/k8s/base/replyscan.yaml \
		deploy/k8s/overlays/*/replyscan.yaml; do
		if ! "$RS" run --config "$f" --print-config >/dev/null; then
			echo "$f does not load"
			bad=1
		fi
	done
	return "$bad"
}

log "== documentation"
check "man page renders without warnings" check_man_renders
check "man page options match each command's --help" check_man_options
check "docs/configuration.md matches --config-reference" check_config_doc
check "versions agree (CMake, man page, debian/changelog)" check_versions
check "shipped configuration files load" check_configs_load

# ---------------------------------------------------------------------------
# The process under a service manager: signals, probes, syscalls
# ---------------------------------------------------------------------------

free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL CODE SECS: until URL answers CODE.
wait_http() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# With the metrics endpoint on (as in every deployment): /healthz and
# /readyz answer 200, SIGHUP reloads the rules and the process stays,
# SIGTERM drains and exits 0 well within TimeoutStopSec. No broker is
# needed: 127.0.0.1:1 refuses at once.
check_signals() {
	local port pid rc i
	port=$(free_port)
	REPLYSCAN_CACHE_DIR='' "$RS" run -b 127.0.0.1:1 -i deploy-check -t 1 -m "127.0.0.1:$port" \
		>"$WORK/sig.out" 2>"$WORK/sig.err" &
	pid=$!
	bg_pids+=("$pid")
	wait_http "http://127.0.0.1:$port/readyz" 200 60 || { echo "/readyz never answered 200 within 60 s"; return 1; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] ||
		{ echo "/healthz is not 200"; return 1; }
	curl -s "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt"
	kill -HUP "$pid"
	# the reload compiles the rules without the cache: about 7 s of CPU
	# for the 755 rules (2026-12-07; about a second when they were few),
	# longer on a loaded machine, where 15 s once fell short; 60 s leaves
	# room
	for ((i = 0; i < 600; i++)); do
		grep -q 'rules reloaded' "$WORK/sig.err" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		echo "SIGHUP killed the process (exit status $?) instead of reloading the rules"
		grep -v '^%' "$WORK/sig.err" | tail -n 5
		return 1
	fi
	grep -q 'rules reloaded' "$WORK/sig.err" || { echo "no 'rules reloaded' within 60 s of SIGHUP"; return 1; }
	kill -TERM "$pid"
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "still running 60 s after SIGTERM"
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q 'stage stopped' "$WORK/sig.err"; then
		echo "SIGTERM: exit status $rc, expected 0 after a drain ('stage stopped')"
		grep -v '^%' "$WORK/sig.err" | tail -n 5
		return 1
	fi
}

# The unit scores below 2.0 in systemd-analyze security (offline).
check_unit_security() {
	local score
	systemd-analyze security --offline=yes --no-pager deploy/systemd/replyscan.service >"$WORK/security.txt" 2>&1
	score=$(sed -n 's/.*Overall exposure level for replyscan.service: \([0-9.]*\).*/\1/p' "$WORK/security.txt")
	echo "figure: systemd-analyze security replyscan.service: ${score:-?}"
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'
}

# The unit's drain time, memory and credential fit the program.
check_unit_values() {
	$PY - deploy/systemd/replyscan.service deploy/replyscan.yaml <<'EOF'
import re, sys, yaml
unit = open(sys.argv[1]).read()
conf = yaml.safe_load(open(sys.argv[2]))
def val(key):
    v = re.findall(r'^%s=(.*)$' % key, unit, re.M)
    if not v:
        sys.exit(f"unit: no {key}=")
    return v[-1]
bad = 0
stop = int(val("TimeoutStopSec"))
if stop < 30 + 15:
    print(f"TimeoutStopSec={stop}: the drain alone may take 30 s"); bad = 1
cred = val("LoadCredential").split(":", 1)
if "${CREDENTIALS_DIRECTORY}/" + cred[0] not in val("ExecStart"):
    print("ExecStart does not read the credential"); bad = 1
if cred[1] != "/etc/replyscan/replyscan.yaml":
    print("LoadCredential does not load /etc/replyscan/replyscan.yaml"); bad = 1
if val("ExecReload") != "/bin/kill -HUP $MAINPID":
    print("ExecReload does not send SIGHUP"); bad = 1
mem = val("MemoryMax")
mib = int(mem[:-1]) * (1024 if mem.endswith("G") else 1)
p = conf.get("pipeline", {})
threads = p.get("threads", 0)
if threads == 0:
    print("deploy/replyscan.yaml: set pipeline.threads explicitly (MemoryMax depends on it)"); bad = 1
queue = p.get("queue_batches", 0) or 2 * threads + 2
batch = p.get("batch_bytes", "1MiB")
batch_mib = {"1MiB": 1}.get(batch, None)
if batch_mib is None:
    print(f"update this check for batch_bytes {batch}"); bad = 1
import os
bound = int(os.environ["RULES_MIB"]) + batch_mib * queue + 16 + 32
print(f"figure: payload bound {bound} MiB at {threads} threads; MemoryMax={mem}")
# measured: resident size about 2x the payload bound (deploy/README.md)
if mib < 2 * bound:
    print(f"MemoryMax={mem} is below twice the bound ({2 * bound} MiB)"); bad = 1
sys.exit(bad)
EOF
}

# Every syscall replyscan run makes (under strace: start, metrics, SIGHUP,
# SIGTERM) is allowed by the unit's SystemCallFilter.
check_syscalls() {
	local port pid tracee i
	port=$(free_port)
	REPLYSCAN_CACHE_DIR='' strace -f -qq -o "$WORK/strace.out" "$RS" run -b 127.0.0.1:1 -i deploy-check -t 2 \
		-m "127.0.0.1:$port" >/dev/null 2>"$WORK/strace.err" &
	pid=$!
	bg_pids+=("$pid")
	wait_http "http://127.0.0.1:$port/metrics" 200 20 || { echo "no metrics under strace"; return 1; }
	curl -s "http://127.0.0.1:$port/healthz" >/dev/null
	"$RS" classify -q tests/fixtures/sample/mixed.log >/dev/null 2>&1
	tracee=$(pgrep -P "$pid" | head -n 1)
	[ -n "$tracee" ] && kill -TERM "$tracee"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	systemd-analyze syscall-filter >"$WORK/groups.txt" 2>&1
	$PY - "$WORK/strace.out" "$WORK/groups.txt" deploy/systemd/replyscan.service <<'EOF'
import re, sys
used = set(re.findall(r'^\d+\s+([a-z0-9_]+)\(', open(sys.argv[1]).read(), re.M))
if len(used) < 20:
    sys.exit(f"strace saw only {len(used)} syscalls")
groups, cur = {}, None
for line in open(sys.argv[2]):
    s = line.strip()
    if line.startswith('@'):
        cur = s.split()[0]; groups[cur] = []
    elif s and not s.startswith('#') and cur:
        groups[cur].append(s.split()[0])
def expand(names):
    out = set()
    for n in names:
        out |= expand(groups.get(n, [])) if n.startswith('@') else {n}
    return out
allow, deny = set(), set()
for v in re.findall(r'^SystemCallFilter=(.*)$', open(sys.argv[3]).read(), re.M):
    if v.startswith('~'):
        deny |= expand(v[1:].split())
    else:
        allow |= expand(v.split())
bad = sorted(u for u in used if u not in allow or u in deny)
print(f"note: {len(used)} distinct syscalls seen, {len(allow - deny)} allowed by the unit")
if bad:
    print("refused by the unit's SystemCallFilter:", " ".join(bad)); sys.exit(1)
EOF
}

log "== process and systemd unit"
check "SIGHUP reloads and SIGTERM drains with metrics on" check_signals
check "systemd-analyze security score below 2.0" check_unit_security
check "unit: drain time, reload, credential, MemoryMax" check_unit_values
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
	check "syscalls of replyscan run pass the SystemCallFilter" check_syscalls
else
	skip "syscall filter" "strace cannot trace here"
fi

# ---------------------------------------------------------------------------
# Debian package
# ---------------------------------------------------------------------------

DEB_OUT=$WORK/deb
check_deb_build() {
	DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" deploy/debian/build.sh "$DEB_OUT" >"$WORK/changes-path"
}

check_lintian() {
	local changes e w i
	changes=$(cat "$WORK/changes-path")
	lintian --display-info --pedantic "$changes" >"$WORK/lintian.txt" 2>&1
	grep -v 'running with root privileges' "$WORK/lintian.txt"
	e=$(grep -c '^E: ' "$WORK/lintian.txt")
	w=$(grep -c '^W: ' "$WORK/lintian.txt")
	i=$(grep -c '^[IP]: ' "$WORK/lintian.txt")
	echo "figure: lintian: $e errors, $w warnings, $i info/pedantic"
	[ "$e" -eq 0 ]
}

check_deb_install() {
	local deb=("$DEB_OUT"/replyscan_*_amd64.deb) out f
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${deb[0]}" >/dev/null || return 1
	out=$(replyscan --version)
	[ "$out" = "replyscan $VERSION" ] || { echo "replyscan --version: '$out'"; return 1; }
	out=$(replyscan version)
	[ "$out" = "replyscan $VERSION" ] || { echo "replyscan version: '$out'"; return 1; }
	replyscan rules test /usr/share/replyscan/rules | tail -n 1 || return 1
	replyscan rules test >/dev/null || { echo "the default rules directory does not load"; return 1; }
	for f in /usr/bin/replyscan /etc/replyscan/replyscan.yaml /lib/systemd/system/replyscan.service \
		/lib/systemd/system/replyscan-posture.service /usr/share/replyscan/posture/policy.yaml \
		/usr/share/man/man1/replyscan.1.gz /usr/share/replyscan/sample/mixed.log \
		/usr/share/doc/replyscan/copyright; do
		[ -e "$f" ] || { echo "missing: $f"; return 1; }
	done
	grep -qx /etc/replyscan/replyscan.yaml /var/lib/dpkg/info/replyscan.conffiles ||
		{ echo "/etc/replyscan/replyscan.yaml is not a conffile"; return 1; }
	man -w replyscan >/dev/null || return 1
	replyscan run --config /etc/replyscan/replyscan.yaml --print-config >/dev/null || return 1
	# the demo replays the installed sample corpus through the stage
	timeout 60 replyscan run --demo >"$WORK/demo.out" 2>&1 || { tail "$WORK/demo.out"; return 1; }
	grep -q 'events by class and stage' "$WORK/demo.out" || { tail "$WORK/demo.out"; return 1; }
	systemd-analyze verify /lib/systemd/system/replyscan.service || return 1
	# the posture stage: its unit, and the installed policy it finds
	systemd-analyze verify /lib/systemd/system/replyscan-posture.service || return 1
	# (and runs its rules' examples: exit 2 when one fails)
	out=$(replyscan posture --check-policy) || { echo "the installed policy's examples fail"; return 1; }
	echo "$out" | grep -q '^/usr/share/replyscan/posture/policy.yaml: [0-9]* rules, [0-9]* examples passed, ' ||
		{ echo "replyscan posture does not find the installed policy: $out"; return 1; }
	echo "note: installed $(basename "${deb[0]}") ($(dpkg-query -W -f='${Installed-Size}' replyscan) KiB)"
}

check_deb_purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq replyscan >/dev/null || return 1
	[ ! -e /usr/bin/replyscan ] && [ ! -e /etc/replyscan ]
}

log "== Debian package"
if [ "$skip_package" -eq 1 ]; then
	skip "Debian package" "--skip-package"
else
	check "package builds (deploy/debian/build.sh)" check_deb_build
	if [ -s "$WORK/changes-path" ]; then
		check "lintian reports no errors" check_lintian
		if dpkg-query -W -f='${Status}' replyscan 2>/dev/null | grep -q "install ok installed"; then
			skip "package install" "replyscan is already installed on this machine"
		else
			check "package installs and runs from the installed files" check_deb_install
			check "package purges cleanly" check_deb_purge
		fi
	fi
fi

# ---------------------------------------------------------------------------
# Containerfile (no container engine here: its build stage is replayed)
# ---------------------------------------------------------------------------

# Copy only what the build stage COPYs into an empty tree and run its cmake
# RUN line there (DESTDIR /out redirected): the COPY list is complete.
check_container_build_stage() {
	local tree=$WORK/ctr
	mkdir -p "$tree/src"
	$PY - deploy/Containerfile "$tree" <<'EOF' || return 1
import re, sys, shutil, os
lines = open(sys.argv[1]).read().replace('\\\n', ' ').splitlines()
tree = sys.argv[2]
stage, runs = 0, []
for l in lines:
    l = l.strip()
    if l.startswith('FROM '):
        stage += 1
        continue
    if stage != 1:
        continue
    if l.startswith('COPY '):
        srcs, dst = l.split()[1:-1], l.split()[-1]
        for s in srcs:
            d = os.path.join(tree, 'src', dst if not dst.endswith('/') or len(srcs) > 1 else dst)
            if os.path.isdir(s):
                shutil.copytree(s, d, dirs_exist_ok=True)
            else:
                os.makedirs(d if dst.endswith('/') else os.path.dirname(d) or '.', exist_ok=True)
                shutil.copy(s, d)
    elif l.startswith('RUN ') and 'cmake -S' in l:
        runs.append(l[4:])
if len(runs) != 1:
    sys.exit("expected one cmake RUN line in the build stage")
open(os.path.join(tree, 'run.sh'), 'w').write(runs[0].replace('/out', os.path.join(tree, 'out')) + '\n')
EOF
	(cd "$tree/src" && bash -e ../run.sh >"$tree/build.log" 2>&1) || { tail -n 20 "$tree/build.log"; return 1; }
	"$tree/out/usr/bin/replyscan" version &&
		"$tree/out/usr/bin/replyscan" rules check "$tree/out/usr/share/replyscan/rules" &&
		[ -f "$tree/out/usr/share/replyscan/sample/mixed.log" ]
}

# The runtime stage: debian:12-slim, a numeric non-root USER, and every
# library package the .deb depends on.
check_container_runtime() {
	local deb=("$DEB_OUT"/replyscan_*_amd64.deb) depends
	if [ -e "${deb[0]}" ]; then
		depends=$(dpkg-deb -f "${deb[0]}" Depends)
	else
		echo "note: no .deb built; Depends taken from the build tree's libraries"
		depends=$(ldd "$RS" | awk '/=> \// {print $3}' | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u | tr '\n' ',')
	fi
	$PY - deploy/Containerfile "$depends" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().replace('\\\n', ' ')
stages = re.split(r'^FROM ', text, flags=re.M)[1:]
bad = 0
if not stages[0].startswith('debian:12 ') or not stages[-1].startswith('debian:12-slim'):
    print("stages must be debian:12 (build) and debian:12-slim (runtime)"); bad = 1
rt = stages[-1]
pkgs = set()
for m in re.finditer(r'apt-get install (.*?)(&&|$)', rt, re.M):
    pkgs |= {w for w in m.group(1).split() if not w.startswith('-')}
deps = {d.strip().split()[0] for d in sys.argv[2].split(',') if d.strip()}
missing = sorted(d for d in deps if d not in pkgs and d not in ('libc6', 'libgcc-s1'))
if missing:
    print("runtime stage lacks", " ".join(missing)); bad = 1
dev = sorted(p for p in pkgs if p.endswith('-dev'))
if dev:
    print("runtime stage installs build packages:", " ".join(dev)); bad = 1
user = re.findall(r'^USER (\S+)', rt, re.M)
if not user or not re.fullmatch(r'[1-9]\d*(:[1-9]\d*)?', user[-1]):
    print("runtime stage needs a numeric non-root USER"); bad = 1
print(f"note: runtime packages: {' '.join(sorted(pkgs))}")
sys.exit(bad)
EOF
}

log "== Containerfile"
check "Containerfile build stage builds from its COPY list" check_container_build_stage
check "Containerfile runtime stage: slim, non-root, the package's libraries" check_container_runtime

# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------

YAMLLINT_CONF='{extends: default, rules: {document-start: disable, line-length: {max: 120}}}'
check_yamllint() {
	yamllint -s -d "$YAMLLINT_CONF" deploy/replyscan.yaml deploy/k8s deploy/prometheus
}

check_kustomize() {
	kubectl kustomize deploy/k8s/base >"$WORK/k8s-base.yaml" &&
		kubectl kustomize deploy/k8s/overlays/example >"$WORK/k8s-example.yaml"
}

KV=$CACHE/venv
check_k8s_schema() {
	local v
	if [ ! -x "$KV/bin/kubernetes-validate" ]; then
		mkdir -p "$CACHE"
		$PY -m venv "$KV" && "$KV/bin/pip" install -q kubernetes-validate==1.37.0 || return 1
	fi
	for v in 1.27.0 1.37.0; do
		"$KV/bin/kubernetes-validate" --strict --no-warn -k "$v" "$WORK/k8s-base.yaml" "$WORK/k8s-example.yaml" |
			grep -v ' passed for ' || true
		"$KV/bin/kubernetes-validate" --strict --quiet --no-warn -k "$v" \
			"$WORK/k8s-base.yaml" "$WORK/k8s-example.yaml" || return 1
	done
	echo "note: core kinds valid against Kubernetes 1.27 and 1.37 schemas (strict)"
}

# What no schema says: the CRDs' fields, and how the manifests fit the
# program (probes, ports, mounts, threads, memory, KEDA trigger, rules).
check_k8s_semantics() {
	$PY - "$WORK/k8s-base.yaml" "$WORK/k8s-example.yaml" "$RS" "$WORK" <<'EOF'
import os, re, subprocess, sys, yaml
rs, work = sys.argv[3], sys.argv[4]
errors = []
def err(f, msg):
    errors.append(f"{os.path.basename(f)}: {msg}")
def mib(q):
    m = re.fullmatch(r'(\d+)(Mi|Gi)', str(q))
    return int(m.group(1)) * (1024 if m.group(2) == 'Gi' else 1)
for f in sys.argv[1:3]:
    docs = [d for d in yaml.safe_load_all(open(f)) if d]
    by = {}
    for d in docs:
        by.setdefault(d['kind'], []).append(d)
    for kind in ('Deployment', 'ConfigMap', 'Service', 'PodDisruptionBudget'):
        if kind not in by:
            err(f, f"no {kind}")
    if errors:
        continue
    dep = by['Deployment'][0]
    pod = dep['spec']['template']['spec']
    labels = dep['spec']['template']['metadata']['labels']
    sel = dep['spec']['selector']['matchLabels']
    if any(labels.get(k) != v for k, v in sel.items()):
        err(f, "Deployment selector does not match its pod labels")
    def selects(s):
        return all(labels.get(k) == v for k, v in s.items())
    for svc in by['Service']:
        if not selects(svc['spec']['selector']):
            err(f, f"Service {svc['metadata']['name']} selects no replyscan pod")
    for pdb in by['PodDisruptionBudget']:
        if not selects(pdb['spec']['selector']['matchLabels']):
            err(f, "PodDisruptionBudget selects no replyscan pod")
    cms = {c['metadata']['name']: c for c in by['ConfigMap']}
    for v in pod.get('volumes', []):
        if 'configMap' in v and v['configMap']['name'] not in cms:
            err(f, f"volume {v['name']}: no ConfigMap {v['configMap']['name']}")
    c = next(c for c in pod['containers'] if c['name'] == 'replyscan')
    sc, psc = c.get('securityContext', {}), pod.get('securityContext', {})
    if not (psc.get('runAsNonRoot') and sc.get('readOnlyRootFilesystem')
            and sc.get('allowPrivilegeEscalation') is False
            and sc.get('capabilities', {}).get('drop') == ['ALL']):
        err(f, "replyscan container: non-root, read-only root, no privilege escalation, drop ALL")
    if pod.get('terminationGracePeriodSeconds', 30) < 45:
        err(f, "terminationGracePeriodSeconds must cover the 30 s drain")
    # the configuration file in its ConfigMap
    args = c.get('args', [])
    cfg_path = args[args.index('--config') + 1]
    mounts = {m['mountPath']: m for m in c['volumeMounts']}
    cfg_mount = os.path.dirname(cfg_path)
    vol = next((v for v in pod['volumes'] if v['name'] == mounts.get(cfg_mount, {}).get('name')), None)
    if vol is None or 'configMap' not in vol:
        err(f, f"{cfg_path} is not mounted from a ConfigMap"); continue
    text = cms[vol['configMap']['name']]['data'][os.path.basename(cfg_path)]
    tmp = os.path.join(work, 'k8s-config.yaml')
    open(tmp, 'w').write(text)
    r = subprocess.run([rs, 'run', '--config', tmp, '--print-config'], capture_output=True, text=True)
    if r.returncode != 0:
        err(f, "configuration does not load: " + r.stderr.strip()); continue
    conf = dict(l.split(': ', 1) for l in r.stdout.splitlines())
    port = int(conf['metrics.listen'].split('#')[0].strip().strip('"').rsplit(':', 1)[1])
    ports = {p['name']: p['containerPort'] for p in c['ports']}
    if ports.get('metrics') != port:
        err(f, f"containerPort metrics {ports.get('metrics')} != metrics.listen port {port}")
    for probe, path in (('livenessProbe', '/healthz'), ('readinessProbe', '/readyz')):
        g = c.get(probe, {}).get('httpGet', {})
        if g.get('path') != path or g.get('port') not in ('metrics', port):
            err(f, f"{probe} must GET {path} on the metrics port")
    rules = conf['pipeline.rules'].strip('"')
    rm = mounts.get(rules)
    if rm is None:
        err(f, f"pipeline.rules {rules} is not a mounted volume")
    threads = int(conf['pipeline.threads'].split('#')[0])
    lim = c['resources']['limits']
    cpu = float(str(lim['cpu']).rstrip('m')) / (1000 if str(lim['cpu']).endswith('m') else 1)
    if threads == 0 or threads > cpu:
        err(f, f"pipeline.threads {threads} must be set and at most the CPU limit {lim['cpu']}")
    queue = int(conf['pipeline.queue_batches'].split('#')[0]) or 2 * threads + 2
    bsz = conf['pipeline.batch_bytes']
    batch = int(bsz[:-3]) / (1024 if bsz.endswith('KiB') else 1) if bsz.endswith(('KiB', 'MiB')) else int(bsz) / 2**20
    bound = int(os.environ['RULES_MIB']) + batch * queue + 16 + 32
    if mib(lim['memory']) < 2 * bound:
        err(f, f"memory limit {lim['memory']} below twice the payload bound {bound:.0f} MiB")
    print(f"figure: {os.path.basename(f)}: {threads} threads, payload bound {bound:.0f} MiB, "
          f"limit {lim['memory']}, request {c['resources']['requests']['memory']}")
    # the init container merges the bundled and the site rules; run it here
    for ic in pod.get('initContainers', []):
        im = {m['mountPath']: m['name'] for m in ic['volumeMounts']}
        if rm is None or im.get('/rules') != rm['name']:
            err(f, "init container does not fill the rules volume")
        site = next(v for v in pod['volumes'] if v['name'] == im.get('/site-rules'))
        merged = os.path.join(work, 'merged-rules-' + os.path.basename(f))
        os.makedirs(merged, exist_ok=True)
        bundled = os.path.join(os.path.dirname(rs), '..', 'rules')
        for n in os.listdir(bundled):
            if n.endswith('.yaml'):
                open(os.path.join(merged, n), 'w').write(open(os.path.join(bundled, n)).read())
        for n, body in (cms[site['configMap']['name']].get('data') or {}).items():
            open(os.path.join(merged, n), 'w').write(body)
        r = subprocess.run([rs, 'rules', 'test', merged], capture_output=True, text=True)
        if r.returncode != 0:
            err(f, "merged rules fail: " + (r.stdout + r.stderr).strip()[-400:])
        else:
            print("note:", os.path.basename(f), "merged rules:", r.stdout.strip().splitlines()[-1].split(': ', 1)[1])
    # custom resources (no schema offline): required fields and consistency
    for sm in by.get('ServiceMonitor', []):
        s = sm['spec']
        if sm['apiVersion'] != 'monitoring.coreos.com/v1' or not s.get('endpoints'):
            err(f, "ServiceMonitor: monitoring.coreos.com/v1 with endpoints")
        if not any(all(svc['metadata'].get('labels', {}).get(k) == v
                       for k, v in s['selector']['matchLabels'].items()) for svc in by['Service']):
            err(f, "ServiceMonitor selects no Service")
        svc_ports = {p['name'] for svc in by['Service'] for p in svc['spec']['ports']}
        for e in s['endpoints']:
            if e.get('port') not in svc_ports or e.get('path', '/metrics') != '/metrics':
                err(f, f"ServiceMonitor endpoint {e} is not the metrics port")
    for so in by.get('ScaledObject', []):
        s = so['spec']
        if so['apiVersion'] != 'keda.sh/v1alpha1':
            err(f, "ScaledObject: keda.sh/v1alpha1")
        if s['scaleTargetRef']['name'] != dep['metadata']['name']:
            err(f, "ScaledObject does not target the Deployment")
        if 'replicas' in dep['spec']:
            err(f, "with KEDA the Deployment must not set replicas")
        if not 1 <= s.get('minReplicaCount', 0) <= s['maxReplicaCount']:
            err(f, "ScaledObject: 1 <= minReplicaCount <= maxReplicaCount (no scale to zero)")
        for t in s['triggers']:
            if t['type'] != 'kafka':
                continue
            m = t['metadata']
            for k in ('bootstrapServers', 'consumerGroup', 'topic', 'lagThreshold'):
                if k not in m:
                    err(f, f"kafka trigger: no {k}")
            if m.get('consumerGroup') != conf['kafka.group'].strip('"'):
                err(f, f"kafka trigger group {m.get('consumerGroup')} != kafka.group {conf['kafka.group']}")
            if m.get('bootstrapServers') != conf['kafka.brokers'].strip('"'):
                err(f, "kafka trigger bootstrapServers != kafka.brokers")
            if m.get('topic') not in re.findall(r'"([^"]+)"', conf['kafka.input']):
                err(f, f"kafka trigger topic {m.get('topic')} is not in kafka.input")
            if m.get('offsetResetPolicy') != 'earliest' or m.get('allowIdleConsumers') != 'false':
                err(f, "kafka trigger: offsetResetPolicy earliest (as replyscan), allowIdleConsumers false")
    if 'ScaledObject' not in by and dep['spec'].get('replicas', 1) < 1:
        err(f, "replicas")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
EOF
}

log "== Kubernetes"
check "yamllint (deploy/k8s, deploy/prometheus, example config)" check_yamllint
if command -v kubectl >/dev/null; then
	check "kubectl kustomize renders base and example overlay" check_kustomize
else
	skip "kustomize" "kubectl is not installed (not a Debian package)"
fi
if [ -s "$WORK/k8s-example.yaml" ]; then
	check "core kinds pass the Kubernetes schemas (strict)" check_k8s_schema
	check "manifests fit the program (probes, mounts, memory, KEDA, rules)" check_k8s_semantics
fi

# ---------------------------------------------------------------------------
# Prometheus and Grafana
# ---------------------------------------------------------------------------

check_promtool_rules() {
	promtool check rules deploy/prometheus/alerts.yaml
}

check_promtool_tests() {
	(cd deploy/prometheus && promtool test rules alerts.test.yaml)
}

# JSON, panel layout, and every PromQL expression parses (as a recording
# rule for promtool, with Grafana's variables replaced).
check_dashboard() {
	$PY - deploy/grafana/replyscan.json "$WORK/dash-rules.yaml" <<'EOF' || return 1
import json, sys, yaml
d = json.load(open(sys.argv[1]))
bad = 0
for k in ('title', 'uid', 'panels', 'templating', 'schemaVersion'):
    if k not in d:
        print("dashboard: no", k); bad = 1
ids, exprs, cells = set(), [], set()
for p in d['panels']:
    if p['id'] in ids:
        print("duplicate panel id", p['id']); bad = 1
    ids.add(p['id'])
    g = p['gridPos']
    if g['x'] + g['w'] > 24:
        print(f"panel {p['title']} is wider than the grid"); bad = 1
    for x in range(g['x'], g['x'] + g['w']):
        for y in range(g['y'], g['y'] + g['h']):
            if (x, y) in cells:
                print(f"panel {p['title']} overlaps another"); bad = 1; break
            cells.add((x, y))
    if p['type'] == 'row':
        continue
    if not p.get('targets'):
        print(f"panel {p['title']} has no query"); bad = 1
    for t in p.get('targets', []):
        exprs.append(t['expr'])
for a in d.get('annotations', {}).get('list', []):
    if 'expr' in a:
        exprs.append(a['expr'])
titles = ' '.join(p['title'].lower() for p in d['panels'])
for need in ('lines', 'lag', 'cause', 'stage', 'top', 'latency', 'error'):
    if need not in titles:
        print("no panel about", need); bad = 1
sub = {'$__rate_interval': '5m', '$__range': '6h', '$job': '.*', '$instance': '.*'}
rules = []
for i, e in enumerate(exprs):
    for k, v in sub.items():
        e = e.replace(k, v)
    rules.append({'record': f'dashboard:expr{i}', 'expr': e})
yaml.safe_dump({'groups': [{'name': 'dashboard', 'rules': rules}]}, open(sys.argv[2], 'w'))
print(f"note: {len(d['panels'])} panels, {len(exprs)} queries")
sys.exit(bad)
EOF
	promtool check rules "$WORK/dash-rules.yaml"
}

# Every replyscan_* metric named in the alerts and the dashboard is in the
# program's /metrics (scraped during the signal check).
check_metric_names() {
	[ -s "$WORK/metrics.txt" ] || { echo "no /metrics scrape (signal check failed early)"; return 1; }
	local have want m bad=0
	have=$(sed -n 's/^# TYPE \(replyscan_[a-z_]*\) .*/\1/p' "$WORK/metrics.txt" | sort -u)
	want=$(grep -ohE 'replyscan_[a-z_]+' deploy/prometheus/alerts.yaml deploy/grafana/replyscan.json |
		sed -E 's/_(bucket|sum|count)$//' | sort -u)
	for m in $want; do
		if ! grep -qx "$m" <<<"$have"; then
			echo "$m is not a metric of replyscan"
			bad=1
		fi
	done
	echo "note: $(wc -w <<<"$want") metric names used in alerts and dashboard"
	return "$bad"
}

log "== Prometheus and Grafana"
check "promtool check rules deploy/prometheus/alerts.yaml" check_promtool_rules
check "promtool test rules (alert unit tests)" check_promtool_tests
check "Grafana dashboard: JSON, layout, PromQL" check_dashboard
check "metric names in alerts and dashboard exist" check_metric_names

# ---------------------------------------------------------------------------
if [ "${#failures[@]}" -gt 0 ]; then
	echo
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo
if [ "$skipped" -gt 0 ]; then
	echo "deploy checks: $passed passed, $failed failed, $skipped skipped"
else
	echo "deploy checks: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
