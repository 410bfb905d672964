#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kafka.sh - install, run and stop a real single-node Apache Kafka broker
# (KRaft combined mode, loopback only) for development, tests and CI.
#
# The jars come from Maven (pom.xml beside this script pins the version);
# no archive is downloaded and nothing runs in a container. All state lives
# outside the repository, in $RS_KAFKA_HOME (default /var/tmp/replyscan-kafka),
# so a fresh clone reuses an installed broker and its data:
#   lib/<version>-<pom checksum>/  runtime jars, one directory per pom.xml
#                                  (RS_KAFKA_JARS moves them, to share them;
#                                  RS_KAFKA_VERSION=3.9.2 installs and runs
#                                  that release instead of the pinned one)
#   config/                        rendered server.properties and log4j files
#   data/                          KRaft metadata log and topic partitions
#   logs/server.log                broker log (`kafka.sh logs` prints the path)
#   logs/console.log               JVM standard output and error (crashes)
#   run/kafka.pid, run/address     the running broker (run/secure: its
#                                  secure listeners, if started so)
#   tls/                           --secure only, 0700: throw-away CA, broker
#                                  key, stores, passwords (never in the repo)
#   krb5/                          --kerberos only, 0700: krb5.conf, kdc.conf,
#                                  the KDC database and keytabs (never in
#                                  the repo); run/krb5kdc.pid, logs/krb5kdc.log
#   lock                           flock(1) lock serialising start/stop/clean
#
# Kafka releases before 3.0 (RS_KAFKA_VERSION=2.4.1, 0.10.2.2: for checking
# what the stage does with old brokers) run in ZooKeeper mode instead, from
# pom-zookeeper.xml and server-zookeeper.properties, with a ZooKeeper of
# their own on the controller port (zookeeper.properties; data/zookeeper/,
# logs/zookeeper.log, run/zookeeper.pid); --secure and --kerberos are not
# offered there. Give them a home of their own (RS_KAFKA_HOME).
#
# Usage: kafka.sh start [--secure|--kerberos] | stop |
#        restart [--secure|--kerberos] | status | secure-env | kerberos-env |
#        topic NAME PARTITIONS | offsets GROUP | logs |
#        tool CLASS [ARG...] | clean | install | help
# `start` prints the bootstrap address (only that) on standard output; every
# message goes to standard error. `start --secure` (or RS_KAFKA_SECURITY=1)
# also opens an SSL and a SASL_SSL (SCRAM-SHA-512, PLAIN) listener with a
# throw-away CA; `secure-env` prints their addresses and credentials' files.
# `start --kerberos` (or RS_KAFKA_KERBEROS=1) runs a KDC of its own on
# loopback and opens a SASL_PLAINTEXT listener with GSSAPI; `kerberos-env`
# prints its address, principal and keytab. Hazards: one broker per $RS_KAFKA_HOME;
# `clean` deletes every topic; data written by a newer Kafka may not load in
# an older one (change the pinned version forward only, or `clean` first).

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly KHOME=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
readonly PORT=${RS_KAFKA_PORT:-${KAFKA_PORT:-9092}}
readonly CPORT=${RS_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
readonly HEAP_OPTS=${RS_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
readonly START_TIMEOUT=${RS_KAFKA_START_TIMEOUT:-120}
readonly STOP_TIMEOUT=${RS_KAFKA_STOP_TIMEOUT:-60}
readonly JAVA=${JAVA:-java}
readonly MVN=${MVN:-mvn}

readonly JAR_ROOT=${RS_KAFKA_JARS:-$KHOME/lib}
readonly CONF_DIR=$KHOME/config
readonly DATA_DIR=$KHOME/data
readonly LOG_DIR=$KHOME/logs
readonly RUN_DIR=$KHOME/run
readonly PID_FILE=$RUN_DIR/kafka.pid
readonly ADDR_FILE=$RUN_DIR/address
readonly SERVER_LOG=$LOG_DIR/server.log
# ZooKeeper mode (Kafka before 3.0): its pid file and main class.
readonly ZK_PID_FILE=$RUN_DIR/zookeeper.pid
readonly ZK_MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain

# Secure listeners (start --secure or RS_KAFKA_SECURITY=1): SSL and SASL_SSL
# beside PLAINTEXT, with key material generated into $TLS_DIR.
readonly SSL_PORT=${RS_KAFKA_SSL_PORT:-$((PORT + 2))}
readonly SASL_PORT=${RS_KAFKA_SASL_PORT:-$((PORT + 3))}
readonly SASL_USER=${RS_KAFKA_SASL_USER:-replyscan}
readonly TLS_DIR=$KHOME/tls
readonly SECURE_FILE=$RUN_DIR/secure
readonly SCRAM_MARK=$TLS_DIR/scram-stored
readonly CERT_DAYS=365
# Host name that the broker advertises on the TLS listeners and that clients
# should verify the certificate against (it is in the certificate's SAN).
readonly SSL_HOST=127.0.0.1
secure=${RS_KAFKA_SECURITY:-0}

# Kerberos (start --kerberos or RS_KAFKA_KERBEROS=1): a KDC of its own on
# loopback (MIT krb5kdc) and a SASL_PLAINTEXT listener with GSSAPI, the
# realm, principals and keytabs made into $KRB_DIR.
readonly KDC_PORT=${RS_KAFKA_KDC_PORT:-$((PORT + 4))}
readonly GSSAPI_PORT=${RS_KAFKA_GSSAPI_PORT:-$((PORT + 5))}
readonly REALM=${RS_KAFKA_REALM:-REPLYSCAN.TEST}
readonly KRB_CLIENT=${RS_KAFKA_KRB_CLIENT:-replyscan}
readonly KRB_DIR=$KHOME/krb5
readonly KERBEROS_FILE=$RUN_DIR/kerberos
readonly KDC_PID_FILE=$RUN_DIR/krb5kdc.pid
kerberos=${RS_KAFKA_KERBEROS:-0}

# Print a message on standard error.
note() {
	echo "kafka.sh: $*" >&2
}

# Print a message on standard error and exit with status 1.
die() {
	note "$*"
	exit 1
}

# Print the Kafka version pinned in pom.xml.
pinned_version() {
	local v
	v=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' \
		"$SCRIPT_DIR/pom.xml" | head -n 1)
	[[ -n $v ]] || die "no <kafka.version> in $SCRIPT_DIR/pom.xml"
	# RS_KAFKA_VERSION picks another release (a test against Kafka 3.9.2,
	# whose SCRAM Debian 12's librdkafka 2.0.2 can use); its jars get
	# their own directory. Use its own RS_KAFKA_HOME: a data directory
	# formatted by a newer release cannot be read by an older one.
	echo "${RS_KAFKA_VERSION:-$v}"
}

# Exit 0 if the version to run is before Kafka 3.0: ZooKeeper mode (no
# KRaft before 2.8, and not production-ready before 3.3).
zk_mode() {
	[[ $(pinned_version) =~ ^[0-2]\. ]]
}

# Print the pom file of the version to run.
pom_file() {
	if zk_mode; then
		echo "$SCRIPT_DIR/pom-zookeeper.xml"
	else
		echo "$SCRIPT_DIR/pom.xml"
	fi
}

# Print the name of the broker's jar: kafka_2.12 before 3.0, else 2.13.
broker_jar() {
	if zk_mode; then
		echo "kafka_2.12-$(pinned_version).jar"
	else
		echo "kafka_2.13-$(pinned_version).jar"
	fi
}

# Print the jar directory for the current pom file (version + checksum).
lib_dir() {
	local sum
	sum=$(sha256sum "$(pom_file)" | cut -c 1-12)
	echo "$JAR_ROOT/$(pinned_version)-$sum"
}

# Take the exclusive lock of $RS_KAFKA_HOME (held until the script exits).
take_lock() {
	mkdir -p "$KHOME"
	exec 9>"$KHOME/lock"
	if ! flock -w 600 9; then
		die "could not lock $KHOME/lock within 600 s"
	fi
}

# Fail unless java is at least version 17 (Kafka 4.x brokers need it).
check_java() {
	local line major
	command -v "$JAVA" >/dev/null || die "java not found (install openjdk-17-jre-headless)"
	line=$("$JAVA" -version 2>&1 | head -n 1)
	major=$(echo "$line" | sed -n 's/.*version "\([0-9]*\).*/\1/p')
	if [[ -z $major || $major -lt 17 ]]; then
		die "Kafka needs Java 17 or newer, found: $line"
	fi
}

# Resolve the broker jars with Maven unless this pom.xml is already installed.
cmd_install() {
	local lib tmp
	lib=$(lib_dir)
	if [[ -f $lib/.installed ]]; then
		return 0
	fi
	command -v "$MVN" >/dev/null || die "mvn not found (install maven)"
	check_java
	# The jar directory may be shared by several homes (RS_KAFKA_JARS): it
	# has its own lock, and whoever gets it second finds the work done.
	mkdir -p "$JAR_ROOT"
	exec 8>"$JAR_ROOT/.lock"
	flock -w 900 8 || die "could not lock $JAR_ROOT/.lock within 900 s"
	if [[ -f $lib/.installed ]]; then
		exec 8>&-
		return 0
	fi
	rm -rf "$JAR_ROOT"/.tmp.* # left by an interrupted install
	note "installing Kafka $(pinned_version) into $lib (Maven, first run only)"
	tmp=$(mktemp -d "$JAR_ROOT/.tmp.XXXXXX")
	# Maven prints on standard output, which is kept for the address; even
	# with -q it prints bare colour-reset codes, which sed drops.
	# shellcheck disable=SC2086 # RS_KAFKA_MVN_ARGS is a list of options.
	if ! "$MVN" -B -q -f "$(pom_file)" ${RS_KAFKA_MVN_ARGS:-} \
		-Dkafka.version="$(pinned_version)" \
		dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$tmp" 2>&1 |
		sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2; then
		rm -rf "$tmp"
		die "Maven could not resolve the broker (see above)"
	fi
	if [[ ! -f $tmp/$(broker_jar) ]]; then
		rm -rf "$tmp"
		die "Maven finished but $(broker_jar) is missing"
	fi
	# Kafka 3.x brings the reload4j binding too; slf4j would pick it,
	# unconfigured, and server.log (which start watches) stays empty.
	rm -f "$tmp"/slf4j-reload4j-*.jar
	touch "$tmp/.installed"
	rm -rf "$lib"
	mv "$tmp" "$lib"
	exec 8>&-
}

# Run one Kafka command-line tool class with the installed jars.
run_tool() {
	local cls=$1
	shift
	"$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2-tools.xml" \
		-Dlog4j.configuration="file:$SCRIPT_DIR/log4j-tools.properties" \
		-cp "$(lib_dir)/*" "$cls" "$@"
}

# Exit 0 if process $1 has a thread that is not a zombie. kill -0 is not
# enough: a broker that died while this script waited stays a zombie until we
# exit, and the JVM's main thread shows as a zombie in /proc/PID/stat while
# the shutdown hooks still run in other threads.
alive() {
	local task state
	for task in "/proc/$1"/task/*/stat; do
		state=$(sed 's/.*) //' "$task" 2>/dev/null | cut -d ' ' -f 1)
		if [[ -n $state && $state != Z ]]; then
			return 0
		fi
	done
	return 1
}

# Exit 0 if the pid file names a live broker of this $RS_KAFKA_HOME.
is_running() {
	local pid
	[[ -f $PID_FILE ]] || return 1
	pid=$(cat "$PID_FILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	# The pid may have been reused by an unrelated process after a reboot.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -F -- "-Drs.kafka.home=$KHOME kafka.Kafka" >/dev/null || return 1
	return 0
}

# Exit 0 if the ZooKeeper of this home (ZooKeeper mode) runs.
zk_running() {
	local pid
	[[ -f $ZK_PID_FILE ]] || return 1
	pid=$(cat "$ZK_PID_FILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -F -- "-Drs.kafka.home=$KHOME $ZK_MAIN" >/dev/null
}

# Start the ZooKeeper of this home (ZooKeeper mode) on the controller port
# unless it runs, and wait until it accepts connections.
start_zookeeper() {
	local pid i
	zk_running && return 0
	if port_busy "$CPORT"; then
		die "127.0.0.1:$CPORT is in use by another process (set RS_KAFKA_CONTROLLER_PORT)"
	fi
	# shellcheck disable=SC2086 # option lists are meant to be split.
	setsid "$JAVA" -Xms64m -Xmx256m -XX:+UseSerialGC -Djava.awt.headless=true \
		-Dlog4j.configuration="file:$SCRIPT_DIR/log4j-zookeeper.properties" \
		-Drs.log.file="$LOG_DIR/zookeeper.log" -cp "$(lib_dir)/*" \
		-Drs.kafka.home="$KHOME" $ZK_MAIN "$CONF_DIR/zookeeper.properties" \
		</dev/null >"$LOG_DIR/zookeeper.console.log" 2>&1 8>&- 9>&- &
	pid=$!
	echo "$pid" >"$ZK_PID_FILE"
	for ((i = 0; i < 600; i++)); do
		if ! alive "$pid"; then
			tail -n 20 "$LOG_DIR/zookeeper.console.log" "$LOG_DIR/zookeeper.log" >&2 2>/dev/null
			rm -f "$ZK_PID_FILE"
			die "ZooKeeper exited during start-up"
		fi
		port_busy "$CPORT" && return 0
		sleep 0.1
	done
	die "ZooKeeper did not listen on 127.0.0.1:$CPORT within 60 s"
}

# Stop a helper process of this home (ZooKeeper, the KDC) if it runs:
# stop_helper NAME PID_FILE RUNNING_TEST. SIGTERM, wait until it is gone,
# remove its pid file; a stale pid file is only removed.
stop_helper() {
	local name=$1 pid_file=$2 running=$3 pid
	if ! "$running"; then
		rm -f "$pid_file"
		return 0
	fi
	pid=$(cat "$pid_file")
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid"; do
		sleep 0.1
	done
	rm -f "$pid_file"
	note "$name stopped (pid $pid)"
}

# Stop the ZooKeeper of this home, if it runs.
stop_zookeeper() {
	stop_helper ZooKeeper "$ZK_PID_FILE" zk_running
}

# Exit 0 if something accepts TCP connections on 127.0.0.1:$1.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Write config/ from the templates beside this script.
render_config() {
	mkdir -p "$CONF_DIR" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
	if zk_mode; then
		sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" \
			-e "s|@DATA_DIR@|$DATA_DIR|g" \
			"$SCRIPT_DIR/server-zookeeper.properties" \
			>"$CONF_DIR/server.properties"
		sed -e "s|@CONTROLLER_PORT@|$CPORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
			"$SCRIPT_DIR/zookeeper.properties" >"$CONF_DIR/zookeeper.properties"
		return 0
	fi
	sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" \
		-e "s|@DATA_DIR@|$DATA_DIR|g" \
		"$SCRIPT_DIR/server.properties" >"$CONF_DIR/server.properties.new"
	if [[ $secure == 1 ]]; then
		# The secure part holds the key store password: the file is 0600.
		chmod 600 "$CONF_DIR/server.properties.new"
		sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" \
			-e "s|@SSL_PORT@|$SSL_PORT|g" -e "s|@SASL_PORT@|$SASL_PORT|g" \
			-e "s|@SSL_HOST@|$SSL_HOST|g" -e "s|@TLS_DIR@|$TLS_DIR|g" \
			-e "s|@STORE_PASSWORD@|$(cat "$TLS_DIR/store.password")|g" \
			-e "s|@SASL_USER@|$SASL_USER|g" \
			-e "s|@SASL_PASSWORD@|$(cat "$TLS_DIR/sasl.password")|g" \
			"$SCRIPT_DIR/server-secure.properties" \
			>>"$CONF_DIR/server.properties.new"
	fi
	if [[ $kerberos == 1 ]]; then
		sed -e "s|@PORT@|$PORT|g" -e "s|@CONTROLLER_PORT@|$CPORT|g" \
			-e "s|@GSSAPI_PORT@|$GSSAPI_PORT|g" -e "s|@KRB_DIR@|$KRB_DIR|g" \
			-e "s|@REALM@|$REALM|g" \
			"$SCRIPT_DIR/server-kerberos.properties" \
			>>"$CONF_DIR/server.properties.new"
	fi
	mv "$CONF_DIR/server.properties.new" "$CONF_DIR/server.properties"
	cp "$SCRIPT_DIR/log4j2.xml" "$CONF_DIR/log4j2.xml"
}

# Format the KRaft storage unless it already is (first start, or after clean).
format_storage() {
	local id out scram=()
	if zk_mode || [[ -f $DATA_DIR/meta.properties ]]; then
		return 0
	fi
	# The SCRAM user goes into the new metadata log with --secure; without
	# it, a later secure start adds it with kafka-configs.
	rm -f "$SCRAM_MARK"
	if [[ $secure == 1 ]]; then
		scram=(--add-scram "$(scram_spec)")
	fi
	if [[ ! -s $KHOME/cluster.id ]]; then
		run_tool kafka.tools.StorageTool random-uuid >"$KHOME/cluster.id"
	fi
	id=$(cat "$KHOME/cluster.id")
	note "formatting $DATA_DIR (cluster id $id)"
	if ! out=$(run_tool kafka.tools.StorageTool format -t "$id" \
		-c "$CONF_DIR/server.properties" "${scram[@]}" 2>&1); then
		echo "$out" >&2
		die "could not format $DATA_DIR"
	fi
	if [[ $secure == 1 ]]; then
		(umask 077 && scram_mark_text >"$SCRAM_MARK")
	fi
}

# ---- Secure listeners: key material, SCRAM user, client settings ----------

# Print the path of keytool: beside $JAVA first, so it matches the JRE.
keytool_path() {
	local k
	k=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/keytool
	if [[ -x $k ]]; then
		echo "$k"
	elif command -v keytool >/dev/null; then
		command -v keytool
	else
		die "keytool not found (it comes with openjdk-17-jre-headless)"
	fi
}

# Exit 0 if $TLS_DIR holds complete key material valid for 7 more days.
tls_fresh() {
	[[ -f $TLS_DIR/.complete ]] &&
		openssl x509 -checkend $((7 * 86400)) -noout \
			-in "$TLS_DIR/broker.pem" >/dev/null 2>&1
}

# Write the openssl configuration used to make the certificates into $1.
write_openssl_cnf() {
	cat >"$1" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[broker_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

# Generate, in the new private directory $1: a throw-away CA, the broker's
# key and certificate signed by it, the broker's PKCS12 key and trust
# stores under a random password, and a second CA that signed nothing (for
# the "untrusted certificate" test). Keys are EC P-256: instant to make.
generate_tls() {
	local d=$1 keytool
	keytool=$(keytool_path)
	write_openssl_cnf "$d/openssl.cnf"
	openssl rand -hex 24 >"$d/store.password"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$d/ca.key"
	openssl req -config "$d/openssl.cnf" -x509 -new -key "$d/ca.key" \
		-sha256 -days "$CERT_DAYS" -extensions ca_ext \
		-subj "/O=replyscan/CN=replyscan throw-away test CA $(date +%s)" \
		-out "$d/ca.pem"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$d/broker.key"
	openssl req -config "$d/openssl.cnf" -new -key "$d/broker.key" \
		-subj "/O=replyscan/CN=localhost" -out "$d/broker.csr"
	openssl x509 -req -in "$d/broker.csr" -CA "$d/ca.pem" \
		-CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
		-sha256 -days "$CERT_DAYS" -extfile "$d/openssl.cnf" \
		-extensions broker_ext -out "$d/broker.pem"
	openssl pkcs12 -export -in "$d/broker.pem" -inkey "$d/broker.key" \
		-certfile "$d/ca.pem" -name broker \
		-passout "file:$d/store.password" -out "$d/broker.keystore.p12"
	"$keytool" -importcert -noprompt -alias replyscan-test-ca \
		-file "$d/ca.pem" -storetype PKCS12 \
		-keystore "$d/broker.truststore.p12" \
		-storepass:file "$d/store.password"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$d/untrusted-ca.key"
	openssl req -config "$d/openssl.cnf" -x509 -new \
		-key "$d/untrusted-ca.key" -sha256 -days "$CERT_DAYS" \
		-extensions ca_ext \
		-subj "/O=replyscan/CN=replyscan untrusted test CA $(date +%s)" \
		-out "$d/untrusted-ca.pem"
	rm -f "$d/untrusted-ca.key" "$d/broker.csr" "$d/openssl.cnf"
}

# Make sure $TLS_DIR holds fresh key material and the SCRAM password, and
# write the librdkafka client settings. Everything there is mode 0600 in a
# 0700 directory; nothing of it is in the repository. Certificates are kept
# from start to start (clients keep the CA they loaded) and made anew after
# `clean`, when removed, or when they have less than 7 days left.
prepare_tls() {
	local t rc
	command -v openssl >/dev/null || die "openssl not found (install openssl)"
	mkdir -p "$TLS_DIR"
	chmod 700 "$TLS_DIR"
	if [[ ! -s $TLS_DIR/sasl.password ]]; then
		# Hex: SCRAM's "[name=..,password=..]" syntax has no quoting.
		(umask 077 && openssl rand -hex 24 >"$TLS_DIR/sasl.password")
		rm -f "$SCRAM_MARK"
	fi
	if ! tls_fresh; then
		rm -f "$TLS_DIR/.complete"
		t=$(mktemp -d "$KHOME/.tls.XXXXXX")
		# Not in an if or || context, where set -e would be off in the subshell.
		set +e
		(
			set -e
			umask 077
			generate_tls "$t"
		) >"$t.log" 2>&1
		rc=$?
		set -e
		if ((rc != 0)); then
			cat "$t.log" >&2
			rm -rf "$t" "$t.log"
			die "could not generate the TLS key material (see above)"
		fi
		mv -f "$t"/* "$TLS_DIR"/
		rm -rf "$t" "$t.log"
		(umask 077 && touch "$TLS_DIR/.complete")
		note "generated a throw-away CA and broker certificate in $TLS_DIR"
	fi
	(
		umask 077
		printf '%s\n' "security.protocol=ssl" \
			"ssl.ca.location=$TLS_DIR/ca.pem" >"$TLS_DIR/client-ssl.properties"
		printf '%s\n' "security.protocol=sasl_ssl" \
			"ssl.ca.location=$TLS_DIR/ca.pem" \
			"sasl.mechanisms=SCRAM-SHA-512" \
			"sasl.username=$SASL_USER" \
			"sasl.password=$(cat "$TLS_DIR/sasl.password")" \
			>"$TLS_DIR/client-sasl.properties"
		sed 's/^sasl.mechanisms=.*/sasl.mechanisms=PLAIN/' \
			"$TLS_DIR/client-sasl.properties" \
			>"$TLS_DIR/client-sasl-plain.properties"
	)
}

# Print the SCRAM credential in the syntax of kafka-storage and kafka-configs.
scram_spec() {
	echo "SCRAM-SHA-512=[name=$SASL_USER,password=$(cat "$TLS_DIR/sasl.password")]"
}

# Print what $SCRAM_MARK must hold once the broker knows the SCRAM user:
# the cluster, the user and a checksum of the password.
scram_mark_text() {
	echo "$(cat "$KHOME/cluster.id") $SASL_USER $(sha256sum <"$TLS_DIR/sasl.password" | cut -c 1-16)"
}

# Store the SCRAM user in a running broker unless the storage was formatted
# with it (a data directory first started without --secure, or a new
# password): kafka-configs over the PLAINTEXT listener $1.
ensure_scram_user() {
	local out
	if [[ -f $SCRAM_MARK && $(cat "$SCRAM_MARK") == "$(scram_mark_text)" ]]; then
		return 0
	fi
	note "storing SCRAM-SHA-512 user $SASL_USER in the running broker"
	if ! out=$(run_tool org.apache.kafka.tools.ConfigCommand \
		--bootstrap-server "$1" --alter --entity-type users \
		--entity-name "$SASL_USER" \
		--add-config "$(scram_spec | sed 's/name=[^,]*,//')" 2>&1); then
		echo "$out" >&2
		return 1
	fi
	(umask 077 && scram_mark_text >"$SCRAM_MARK")
}

# Exit 0 once kcat (if installed) gets metadata over SSL and over SASL_SSL.
# SASL_SSL is probed with PLAIN: kcat's librdkafka may be too old for SCRAM
# against Kafka 4.x (see server-secure.properties).
secure_metadata_ok() {
	if ! command -v kcat >/dev/null; then
		return 0
	fi
	kcat -F "$TLS_DIR/client-ssl.properties" -b "$SSL_HOST:$SSL_PORT" \
		-L -m 5 2>/dev/null | grep "broker 1 at" >/dev/null &&
		kcat -F "$TLS_DIR/client-sasl-plain.properties" \
			-b "$SSL_HOST:$SASL_PORT" -L -m 5 2>/dev/null |
		grep "broker 1 at" >/dev/null
}

# Once the broker serves plain clients at $1 (launched at time $2): store
# the SCRAM user if needed and wait for metadata over SSL and SASL_SSL.
wait_secure() {
	if ! ensure_scram_user "$1"; then
		cmd_stop_locked
		die "could not store the SCRAM user $SASL_USER"
	fi
	until secure_metadata_ok; do
		if (($(date +%s) - $2 > START_TIMEOUT)); then
			show_logs
			cmd_stop_locked
			die "no metadata over SSL and SASL_SSL after $START_TIMEOUT s"
		fi
		sleep 0.25
	done
}

# Print the tail of the broker logs, for a failed start.
show_logs() {
	note "--- last lines of $LOG_DIR/console.log"
	tail -n 20 "$LOG_DIR/console.log" >&2 2>/dev/null || true
	note "--- last lines of $SERVER_LOG"
	tail -n 30 "$SERVER_LOG" >&2 2>/dev/null || true
}

# Exit 0 once kcat (if installed) sees broker 1 in the metadata of $1.
metadata_ok() {
	if ! command -v kcat >/dev/null; then
		return 0
	fi
	# Not grep -q: its early exit would fail the pipeline (pipefail).
	kcat -b "$1" -L -m 5 2>/dev/null | grep "broker 1 at" >/dev/null
}

# ---- Kerberos: a loopback KDC, principals, keytabs -------------------------

# Run a Kerberos tool with this home's krb5.conf and kdc.conf.
krb() {
	KRB5_CONFIG=$KRB_DIR/krb5.conf KRB5_KDC_PROFILE=$KRB_DIR/kdc.conf "$@"
}

# Write krb5.conf (clients and the broker's JVM) and kdc.conf (the KDC).
# No DNS and no reverse lookups: the names are taken as written.
write_krb_conf() {
	(umask 077 && mkdir -p "$KRB_DIR")
	chmod 700 "$KRB_DIR"
	cat >"$KRB_DIR/krb5.conf" <<KRB5
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	udp_preference_limit = 1
	ticket_lifetime = 24h
[realms]
	$REALM = {
		kdc = 127.0.0.1:$KDC_PORT
	}
[domain_realm]
	localhost = $REALM
KRB5
	cat >"$KRB_DIR/kdc.conf" <<KDC
[kdcdefaults]
	kdc_listen = 127.0.0.1:$KDC_PORT
	kdc_tcp_listen = 127.0.0.1:$KDC_PORT
[realms]
	$REALM = {
		database_name = $KRB_DIR/principal
		key_stash_file = $KRB_DIR/stash
		acl_file = $KRB_DIR/kadm5.acl
		max_life = 24h
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}
[logging]
	kdc = FILE:$LOG_DIR/krb5kdc.log
KDC
	: >"$KRB_DIR/kadm5.acl"
}

# Exit 0 if the KDC of this home runs.
kdc_running() {
	local pid
	[[ -f $KDC_PID_FILE ]] || return 1
	pid=$(cat "$KDC_PID_FILE")
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
		grep -qxF "KRB5_KDC_PROFILE=$KRB_DIR/kdc.conf"
}

# The realm (first start, or after clean), then the KDC; the keytabs are
# made with the database: kafka/localhost (the broker), $KRB_CLIENT (the
# client) and "stranger", deleted from the database once its keytab is
# written (a client the KDC does not know, for negative tests).
prepare_kerberos() {
	local t i
	for t in krb5kdc kdb5_util kadmin.local kinit; do
		command -v "$t" >/dev/null ||
			die "$t not found (install krb5-kdc, krb5-admin-server and krb5-user)"
	done
	mkdir -p "$LOG_DIR" "$RUN_DIR"
	write_krb_conf
	if [[ ! -f $KRB_DIR/principal || ! -s $KRB_DIR/client.keytab ]]; then
		note "creating the Kerberos realm $REALM in $KRB_DIR"
		rm -f "$KRB_DIR"/principal* "$KRB_DIR"/stash "$KRB_DIR"/*.keytab
		# The master password only guards the database file; it is
		# random and kept in the stash (0600), which the KDC reads.
		krb kdb5_util -r "$REALM" create -s -P "$(openssl rand -hex 24)" \
			>/dev/null 2>&1 || die "kdb5_util could not create $REALM"
		for t in "addprinc -randkey kafka/localhost" \
			"addprinc -randkey $KRB_CLIENT" \
			"addprinc -randkey stranger" \
			"ktadd -k $KRB_DIR/kafka.keytab kafka/localhost" \
			"ktadd -k $KRB_DIR/client.keytab $KRB_CLIENT" \
			"ktadd -k $KRB_DIR/stranger.keytab stranger" \
			"delprinc -force stranger"; do
			krb kadmin.local -r "$REALM" -q "$t" >/dev/null 2>&1 ||
				die "kadmin.local: $t failed"
		done
		chmod 600 "$KRB_DIR"/*.keytab
	fi
	cat >"$KRB_DIR/client-gssapi.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanisms=GSSAPI
sasl.kerberos.service.name=kafka
sasl.kerberos.principal=$KRB_CLIENT@$REALM
sasl.kerberos.keytab=$KRB_DIR/client.keytab
PROPS
	kdc_running && return 0
	if port_busy "$KDC_PORT"; then
		die "127.0.0.1:$KDC_PORT is in use by another process (set RS_KAFKA_KDC_PORT)"
	fi
	# The KDC writes its own pid (-P): $! would be the subshell's.
	rm -f "$KDC_PID_FILE"
	KRB5_CONFIG=$KRB_DIR/krb5.conf KRB5_KDC_PROFILE=$KRB_DIR/kdc.conf \
		setsid krb5kdc -n -r "$REALM" -P "$KDC_PID_FILE" </dev/null \
		>>"$LOG_DIR/krb5kdc.console.log" 2>&1 8>&- 9>&- &
	for ((i = 0; i < 100; i++)); do
		if port_busy "$KDC_PORT" && kdc_running; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$LOG_DIR/krb5kdc.log" "$LOG_DIR/krb5kdc.console.log" >&2 2>/dev/null
	die "the KDC did not start on 127.0.0.1:$KDC_PORT"
}

# Stop the KDC of this home, if it runs.
stop_kdc() {
	stop_helper KDC "$KDC_PID_FILE" kdc_running
}

# Start the broker in the background and wait until it serves metadata.
cmd_start() {
	local addr=127.0.0.1:$PORT lib pid offset t0 t_launch p ports secure_note=
	local krb_opts= log_opts= started="Kafka Server started"
	if is_running && [[ ! -f $ADDR_FILE ]]; then
		# A start that was interrupted before the broker became ready.
		note "broker running but never reported ready: restarting it"
		cmd_stop_locked
	fi
	if is_running; then
		if [[ $secure == 1 && ! -f $SECURE_FILE ]]; then
			die "the broker of $KHOME runs without the secure listeners" \
				"(kafka.sh restart --secure)"
		fi
		if [[ $kerberos == 1 && ! -f $KERBEROS_FILE ]]; then
			die "the broker of $KHOME runs without the Kerberos listener" \
				"(kafka.sh restart --kerberos)"
		fi
		if [[ $(cat "$ADDR_FILE") != "$addr" ]]; then
			note "already running at $(cat "$ADDR_FILE"), not at $addr"
		fi
		cat "$ADDR_FILE"
		return 0
	fi
	rm -f "$PID_FILE" "$ADDR_FILE" "$RUN_DIR/version" "$SECURE_FILE" \
		"$KERBEROS_FILE"
	t0=$(date +%s)
	if zk_mode && [[ $secure == 1 || $kerberos == 1 ]]; then
		die "--secure and --kerberos need Kafka 3.0 or later (this is $(pinned_version))"
	fi
	cmd_install
	check_java
	lib=$(lib_dir)
	ports=("$PORT" "$CPORT")
	if [[ $secure == 1 ]]; then
		ports+=("$SSL_PORT" "$SASL_PORT")
	fi
	if [[ $kerberos == 1 ]]; then
		ports+=("$GSSAPI_PORT")
	fi
	for p in "${ports[@]}"; do
		if port_busy "$p"; then
			die "127.0.0.1:$p is in use by another process (set RS_KAFKA_PORT)"
		fi
	done
	if [[ $secure == 1 ]]; then
		prepare_tls
	fi
	if [[ $kerberos == 1 ]]; then
		prepare_kerberos
		krb_opts="-Djava.security.krb5.conf=$KRB_DIR/krb5.conf"
	fi
	render_config
	format_storage
	if zk_mode; then
		start_zookeeper
		# The broker logs with log4j 1.2 before 3.0.
		log_opts="-Dlog4j.configuration=file:$SCRIPT_DIR/log4j-zookeeper.properties"
		log_opts+=" -Drs.log.file=$SERVER_LOG"
		started="started (kafka.server.KafkaServer)"
	fi
	offset=$(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0)
	# setsid: a Ctrl-C in the caller's terminal must not kill the broker.
	# log4j's own shutdown hook would race Kafka's and drop the last lines.
	# 8>&- 9>&-: the broker must not inherit (and so hold) the locks.
	# shellcheck disable=SC2086 # option lists are meant to be split.
	setsid "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dlog4j2.shutdownHookEnabled=false -Dkafka.logs.dir="$LOG_DIR" \
		-Dlog4j2.configurationFile="$CONF_DIR/log4j2.xml" $log_opts \
		$krb_opts ${RS_KAFKA_JVM_OPTS:-} -cp "$lib/*" \
		-Drs.kafka.home="$KHOME" kafka.Kafka "$CONF_DIR/server.properties" \
		</dev/null >"$LOG_DIR/console.log" 2>&1 8>&- 9>&- &
	pid=$!
	t_launch=$(date +%s)
	echo "$pid" >"$PID_FILE"
	while :; do
		if ! alive "$pid"; then
			rm -f "$PID_FILE"
			show_logs
			die "broker exited during start-up"
		fi
		if [[ $(stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0) -lt $offset ]]; then
			offset=0 # the log rolled over
		fi
		if tail -c +"$((offset + 1))" "$SERVER_LOG" 2>/dev/null |
			grep -F "$started" >/dev/null && metadata_ok "$addr"; then
			break
		fi
		if (($(date +%s) - t_launch > START_TIMEOUT)); then
			show_logs
			cmd_stop_locked
			die "broker not ready after $START_TIMEOUT s (RS_KAFKA_START_TIMEOUT)"
		fi
		sleep 0.25
	done
	if [[ $secure == 1 ]]; then
		wait_secure "$addr" "$t_launch"
		echo "ssl $SSL_HOST:$SSL_PORT sasl_ssl $SSL_HOST:$SASL_PORT" \
			"user $SASL_USER" >"$SECURE_FILE"
		secure_note=", SSL $SSL_HOST:$SSL_PORT, SASL_SSL $SSL_HOST:$SASL_PORT"
	fi
	if [[ $kerberos == 1 ]]; then
		for ((p = 0; p < 100; p++)); do
			port_busy "$GSSAPI_PORT" && break
			sleep 0.1
		done
		echo "gssapi localhost:$GSSAPI_PORT realm $REALM kdc 127.0.0.1:$KDC_PORT" \
			>"$KERBEROS_FILE"
		secure_note+=", SASL_PLAINTEXT/GSSAPI localhost:$GSSAPI_PORT (realm $REALM)"
	fi
	pinned_version >"$RUN_DIR/version"
	echo "$addr" >"$ADDR_FILE"
	note "Kafka $(pinned_version) ready at $addr$secure_note (pid $pid, $(($(date +%s) - t0)) s)"
	echo "$addr"
}

# Stop the broker (lock already held): SIGTERM, then wait for it to exit.
cmd_stop_locked() {
	local pid waited=0
	if ! is_running; then
		rm -f "$PID_FILE" "$ADDR_FILE" "$KERBEROS_FILE"
		stop_kdc
		stop_zookeeper
		note "not running"
		return 0
	fi
	pid=$(cat "$PID_FILE")
	# SIGTERM makes Kafka run its controlled shutdown and flush the logs.
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid"; do
		if ((waited >= STOP_TIMEOUT * 4)); then
			note "pid $pid still alive after $STOP_TIMEOUT s: killing it" \
				"(unclean: the next start recovers the logs)"
			kill -KILL "$pid" 2>/dev/null || true
			while alive "$pid"; do
				sleep 0.1
			done
			break
		fi
		sleep 0.25
		waited=$((waited + 1))
	done
	rm -f "$PID_FILE" "$ADDR_FILE" "$RUN_DIR/version" "$SECURE_FILE" \
		"$KERBEROS_FILE"
	stop_kdc
	stop_zookeeper
	note "stopped (pid $pid)"
}

# Print whether the broker runs; exit 0 if it does, 3 if it does not.
cmd_status() {
	if is_running; then
		if [[ -f $ADDR_FILE && -f $KERBEROS_FILE ]]; then
			echo "running pid $(cat "$PID_FILE") address $(cat "$ADDR_FILE")" \
				"kafka $(cat "$RUN_DIR/version" 2>/dev/null) home $KHOME" \
				"$(cat "$KERBEROS_FILE")"
		elif [[ -f $ADDR_FILE && -f $SECURE_FILE ]]; then
			echo "running pid $(cat "$PID_FILE") address $(cat "$ADDR_FILE")" \
				"kafka $(cat "$RUN_DIR/version" 2>/dev/null) home $KHOME" \
				"$(cat "$SECURE_FILE")"
		elif [[ -f $ADDR_FILE ]]; then
			echo "running pid $(cat "$PID_FILE") address $(cat "$ADDR_FILE")" \
				"kafka $(cat "$RUN_DIR/version" 2>/dev/null) home $KHOME"
		else
			echo "starting pid $(cat "$PID_FILE") home $KHOME"
		fi
		return 0
	fi
	echo "stopped (home $KHOME)"
	return 3
}

# Print shell export lines naming the secure listeners and the files a
# client needs, for `eval "$(kafka.sh secure-env)"` (see README.md).
cmd_secure_env() {
	local ssl sasl user
	if ! is_running || [[ ! -f $ADDR_FILE || ! -f $SECURE_FILE ]]; then
		die "no broker with secure listeners runs in $KHOME" \
			"(kafka.sh start --secure)"
	fi
	read -r _ ssl _ sasl _ user <"$SECURE_FILE"
	printf 'export %s=%q\n' \
		RS_KAFKA_ADDR "$(cat "$ADDR_FILE")" \
		RS_KAFKA_SSL_ADDR "$ssl" \
		RS_KAFKA_SASL_ADDR "$sasl" \
		RS_KAFKA_SSL_WRONG_HOST_ADDR "127.1:${ssl##*:}" \
		RS_KAFKA_CA "$TLS_DIR/ca.pem" \
		RS_KAFKA_UNTRUSTED_CA "$TLS_DIR/untrusted-ca.pem" \
		RS_KAFKA_SASL_MECHANISM SCRAM-SHA-512 \
		RS_KAFKA_SASL_USER "$user" \
		RS_KAFKA_SASL_PASSWORD_FILE "$TLS_DIR/sasl.password" \
		RS_KAFKA_SSL_CONFIG "$TLS_DIR/client-ssl.properties" \
		RS_KAFKA_SASL_CONFIG "$TLS_DIR/client-sasl.properties" \
		RS_KAFKA_SASL_PLAIN_CONFIG "$TLS_DIR/client-sasl-plain.properties"
}

# Print export lines for a Kerberos client of the GSSAPI listener, for
# `eval "$(kafka.sh kerberos-env)"` (see README.md). KRB5_CONFIG is what
# librdkafka's kinit and Cyrus SASL read; KRB5CCNAME keeps the tickets in
# this home, not in the user's cache.
cmd_kerberos_env() {
	local gssapi
	if ! is_running || [[ ! -f $ADDR_FILE || ! -f $KERBEROS_FILE ]]; then
		die "no broker with the Kerberos listener runs in $KHOME" \
			"(kafka.sh start --kerberos)"
	fi
	read -r _ gssapi _ <"$KERBEROS_FILE"
	printf 'export %s=%q\n' \
		RS_KAFKA_ADDR "$(cat "$ADDR_FILE")" \
		RS_KAFKA_GSSAPI_ADDR "$gssapi" \
		RS_KAFKA_KRB_REALM "$REALM" \
		RS_KAFKA_KRB_PRINCIPAL "$KRB_CLIENT@$REALM" \
		RS_KAFKA_KRB_KEYTAB "$KRB_DIR/client.keytab" \
		RS_KAFKA_KRB_STRANGER_KEYTAB "$KRB_DIR/stranger.keytab" \
		RS_KAFKA_KRB_SERVICE kafka \
		RS_KAFKA_GSSAPI_CONFIG "$KRB_DIR/client-gssapi.properties" \
		KRB5_CONFIG "$KRB_DIR/krb5.conf" \
		KRB5CCNAME "FILE:$KRB_DIR/ccache"
}

# Print the partition count of topic $2 as kcat sees it on broker $1.
partition_count() {
	kcat -b "$1" -L -t "$2" 2>/dev/null |
		sed -n "s/^ *topic \"$2\" with \([0-9]*\) partitions:.*/\1/p"
}

# Create topic $1 with $2 partitions (replication 1); an existing one is fine.
cmd_topic() {
	local name=$1 parts=$2 addr have i
	[[ $name =~ ^[A-Za-z0-9._-]{1,249}$ ]] || die "bad topic name: $name"
	[[ $parts =~ ^[1-9][0-9]*$ ]] || die "bad partition count: $parts"
	if ! is_running || [[ ! -f $ADDR_FILE ]]; then
		die "broker not running or not ready (kafka.sh start)"
	fi
	addr=$(cat "$ADDR_FILE")
	if zk_mode; then
		# 0.10's TopicCommand knows only --zookeeper.
		run_tool kafka.admin.TopicCommand --zookeeper "127.0.0.1:$CPORT" \
			--create --if-not-exists --topic "$name" --partitions "$parts" \
			--replication-factor 1 >&2
	else
		run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$addr" \
			--create --if-not-exists --topic "$name" --partitions "$parts" \
			--replication-factor 1 >&2
	fi
	if ! command -v kcat >/dev/null; then
		return 0
	fi
	# Return only once the topic is in the broker's metadata, so a client
	# started right after does not see UNKNOWN_TOPIC_OR_PART.
	for ((i = 0; i < 80; i++)); do
		have=$(partition_count "$addr" "$name")
		# 0: known, its leaders not elected yet (ZooKeeper mode).
		if [[ -n $have && $have != 0 ]]; then
			if [[ $have != "$parts" ]]; then
				note "topic $name already exists with $have partitions, not $parts"
			fi
			return 0
		fi
		sleep 0.25
	done
	die "topic $name created but not visible in metadata after 20 s"
}

# Print the committed offsets of consumer group $1: "topic partition offset"
# per line ("-" where nothing is committed), nothing for an unknown group.
cmd_offsets() {
	local group=$1 addr
	if ! is_running || [[ ! -f $ADDR_FILE ]]; then
		die "broker not running or not ready (kafka.sh start)"
	fi
	addr=$(cat "$ADDR_FILE")
	local cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
	if zk_mode; then
		cls=kafka.admin.ConsumerGroupCommand
	fi
	run_tool "$cls" \
		--bootstrap-server "$addr" --describe --group "$group" 2>/dev/null |
		awk -v g="$group" '$1 == g && $3 ~ /^[0-9]+$/ { print $2, $3, $4 }'
}

# Stop the broker if needed and delete its data and logs (jars are kept).
cmd_clean() {
	cmd_stop_locked
	# Guard the rm against an empty or root RS_KAFKA_HOME.
	[[ -n $KHOME && $KHOME != / ]] || die "refusing to clean '$KHOME'"
	rm -rf "$DATA_DIR" "$LOG_DIR" "$RUN_DIR" "$CONF_DIR" "$KHOME/cluster.id" \
		"$TLS_DIR" "$KRB_DIR"
	note "removed data, logs, config, TLS and Kerberos material under $KHOME" \
		"(jars kept in $JAR_ROOT)"
}

# Print the usage text.
usage() {
	cat <<EOF
usage: kafka.sh COMMAND
  start [--secure|--kerberos]
                          install if needed, start, print the bootstrap address;
                          --secure adds SSL and SASL_SSL (SCRAM) listeners,
                          --kerberos a loopback KDC and a SASL_PLAINTEXT
                          listener with GSSAPI
  stop                    stop the broker and wait for it to exit
  restart [--secure|--kerberos]
                          stop, then start
  status                  print state; exit 0 if running, 3 if stopped
  secure-env              print export lines: secure addresses, CA, SASL user
  kerberos-env            print export lines: GSSAPI address, principal, keytab
  topic NAME PARTITIONS   create a topic (replication 1); existing is fine
  offsets GROUP           committed offsets of a group: topic partition offset
  logs                    print the path of the broker log
  tool CLASS [ARG...]     run a Kafka tool class (e.g. ConsoleProducer) with
                          the installed jars; tools warn on standard error
  clean                   stop and delete all data and logs (keeps the jars)
  install                 only resolve the jars with Maven
environment: RS_KAFKA_HOME (state, default /var/tmp/replyscan-kafka),
  RS_KAFKA_PORT or KAFKA_PORT (9092), RS_KAFKA_CONTROLLER_PORT (port+1),
  RS_KAFKA_HEAP_OPTS, RS_KAFKA_JVM_OPTS, RS_KAFKA_START_TIMEOUT (120),
  RS_KAFKA_STOP_TIMEOUT (60), RS_KAFKA_JARS (jar cache, \$RS_KAFKA_HOME/lib),
  RS_KAFKA_VERSION (the pom.xml pin; before 3.0, e.g. 2.4.1, ZooKeeper mode
  with a ZooKeeper of its own on the controller port, no --secure or
  --kerberos), RS_KAFKA_MVN_ARGS, JAVA, MVN; with --secure: RS_KAFKA_SECURITY (0, or 1
  for --secure), RS_KAFKA_SSL_PORT (port+2), RS_KAFKA_SASL_PORT (port+3),
  RS_KAFKA_SASL_USER (replyscan); with --kerberos: RS_KAFKA_KERBEROS (0, or
  1 for --kerberos), RS_KAFKA_KDC_PORT (port+4), RS_KAFKA_GSSAPI_PORT
  (port+5), RS_KAFKA_REALM (REPLYSCAN.TEST), RS_KAFKA_KRB_CLIENT (replyscan)
EOF
}

# Set $secure from RS_KAFKA_SECURITY and the options of start/restart ($@).
secure_option() {
	case $secure in
	0 | 1) ;;
	*) die "RS_KAFKA_SECURITY must be 0 or 1, not '$secure'" ;;
	esac
	case $kerberos in
	0 | 1) ;;
	*) die "RS_KAFKA_KERBEROS must be 0 or 1, not '$kerberos'" ;;
	esac
	shift
	case $# in
	0) ;;
	1)
		case $1 in
		--secure) secure=1 ;;
		--kerberos) kerberos=1 ;;
		*)
			usage >&2
			exit 2
			;;
		esac
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	# Both would need one listener list holding both: not needed yet.
	if [[ $secure == 1 && $kerberos == 1 ]]; then
		die "--secure and --kerberos do not go together (use two homes)"
	fi
}

main() {
	local cmd=${1:-help}
	case $cmd in
	start)
		secure_option "$@"
		take_lock
		cmd_start
		;;
	stop)
		take_lock
		cmd_stop_locked
		;;
	restart)
		secure_option "$@"
		take_lock
		cmd_stop_locked
		cmd_start
		;;
	status)
		cmd_status
		;;
	secure-env)
		cmd_secure_env
		;;
	kerberos-env)
		cmd_kerberos_env
		;;
	offsets)
		[[ $# -eq 2 ]] || die "usage: kafka.sh offsets GROUP"
		cmd_offsets "$2"
		;;
	topic)
		[[ $# -eq 3 ]] || die "usage: kafka.sh topic NAME PARTITIONS"
		cmd_topic "$2" "$3"
		;;
	logs)
		echo "$SERVER_LOG"
		;;
	tool)
		[[ $# -ge 2 ]] || die "usage: kafka.sh tool CLASS [ARG...]"
		[[ -f $(lib_dir)/.installed ]] || die "not installed (kafka.sh install)"
		shift
		run_tool "$@"
		;;
	clean)
		take_lock
		cmd_clean
		;;
	install)
		take_lock
		cmd_install
		;;
	help | -h | --help)
		usage
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
