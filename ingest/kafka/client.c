/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c - librdkafka handles with replyscan's defaults, logging,
 * statistics and broker watch; see client.h.
 *
 * Broker watch: librdkafka raises RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
 * when it has lost every broker connection, and says nothing when one
 * comes back. So the client records the time of the first such event and
 * clears it on evidence of a broker: a statistics document with a broker
 * in state UP (not librdkafka's internal pseudo-broker), or the owner's
 * word that traffic flowed. down_since is an atomic: librdkafka's thread
 * writes it, the metrics thread reads it.
 */
#include "kafka/client.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/log.h"
#include "util/clock.h"

struct rs_kafkaclient {
	rd_kafka_t *rk;
	rs_kafkaclient_conf_t conf; /* the owner's callbacks and opaque */
	char name[32];
	atomic_int_fast64_t down_since; /* mono ms; 0: a broker is up */
	atomic_int_fast64_t up_again;   /* mono ms the last outage ended */
	atomic_int ever_up;             /* a broker was reachable once */
	atomic_int failed;              /* failure holds the reason */
	/* reason and hint; short enough for the owners' 1024-byte
	 * messages ("the producer cannot connect to the brokers: ...") */
	char failure[900];
};

/* ------------------------------------------------------------------ */
/* Broker watch                                                       */
/* ------------------------------------------------------------------ */

/* No broker: note when that began, once. */
static void set_down(rs_kafkaclient_t *c)
{
	int_fast64_t zero = 0;
	int64_t now = rs_clock_mono_ms();

	/* 0 means up, so a (theoretical) clock at 0 is taken as 1 ms. */
	if (atomic_compare_exchange_strong(&c->down_since, &zero,
	                                   now > 0 ? now : 1)) {
		rs_log(RS_LOG_WARN, "kafka", "no broker is reachable",
		       "client=%s", c->name);
	}
}

void rs_kafkaclient_reachable(rs_kafkaclient_t *c)
{
	if (!atomic_load_explicit(&c->ever_up, memory_order_relaxed)) {
		atomic_store(&c->ever_up, 1);
	}
	if (atomic_load_explicit(&c->down_since, memory_order_relaxed) != 0 &&
	    atomic_exchange(&c->down_since, 0) != 0) {
		int64_t now = rs_clock_mono_ms();

		atomic_store(&c->up_again, now > 0 ? now : 1);
		rs_log(RS_LOG_INFO, "kafka", "a broker is reachable again",
		       "client=%s", c->name);
	}
}

int64_t rs_kafkaclient_down_since(const rs_kafkaclient_t *c)
{
	return atomic_load(&((rs_kafkaclient_t *)c)->down_since);
}

int64_t rs_kafkaclient_last_outage_ms(const rs_kafkaclient_t *c)
{
	rs_kafkaclient_t *m = (rs_kafkaclient_t *)c;

	return atomic_load(&m->down_since) != 0 ? rs_clock_mono_ms()
	                                        : atomic_load(&m->up_again);
}

/* Does a statistics document show a real broker in state UP? */
static int stats_broker_up(const char *json, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	json_t *brokers = json_object_get(root, "brokers");
	const char *key;
	json_t *b;
	int up = 0;

	json_object_foreach(brokers, key, b)
	{
		const char *state =
		    json_string_value(json_object_get(b, "state"));
		const char *source =
		    json_string_value(json_object_get(b, "source"));

		if (state != NULL && strcmp(state, "UP") == 0 &&
		    (source == NULL || strcmp(source, "internal") != 0)) {
			up = 1;
			break;
		}
	}
	json_decref(root);
	return up;
}

/* ------------------------------------------------------------------ */
/* librdkafka's callbacks                                             */
/* ------------------------------------------------------------------ */

/* Does reason hold needle? */
static int has(const char *reason, const char *needle)
{
	return reason != NULL && strstr(reason, needle) != NULL;
}

void rs_kafkaclient_auth_hint(int err, const char *reason, int version,
                              char *buf, size_t size)
{
	char v[16];

	snprintf(v, sizeof(v), "%d.%d.%d", (version >> 24) & 0xff,
	         (version >> 16) & 0xff, (version >> 8) & 0xff);
	if (err == RD_KAFKA_RESP_ERR__SSL) {
		snprintf(buf, size,
		         " (is the broker's certificate signed by "
		         "ssl.ca.location's CA, and does it name the host in "
		         "kafka.brokers?)");
	} else if (has(reason, "GSSAPI authentication not supported by "
	                       "broker") &&
	           version < RS_KAFKA_GSSAPI_KAFKA4) {
		/* librdkafka before 2.11.0 enables GSSAPI only when the
		 * broker lists JoinGroup v0, which Kafka 4.0.0 does not
		 * (later 4.x releases list it again: 4.4.0 does). */
		snprintf(
		    buf, size,
		    " (librdkafka %s, before 2.11.0, uses GSSAPI only with "
		    "brokers that list JoinGroup v0 among their API "
		    "versions, which Kafka 4.0.0 does not: use librdkafka "
		    "2.11.0 or later, a broker that lists it (Kafka 3.x, "
		    "4.4.0), or another sasl.mechanisms)",
		    v);
	} else if (has(reason, "GSSAPI")) {
		snprintf(buf, size,
		         " (check the Kerberos side: sasl.kerberos.keytab and "
		         "sasl.kerberos.principal or a ticket in the cache, "
		         "sasl.kerberos.service.name, and a principal "
		         "SERVICE/HOST for the host name in kafka.brokers)");
	} else if (has(reason, "invalid credentials with SASL mechanism "
	                       "SCRAM") &&
	           version < RS_KAFKA_SCRAM_KAFKA4) {
		snprintf(buf, size,
		         " (check sasl.username, sasl.password or "
		         "sasl.password_file, and sasl.mechanisms; librdkafka "
		         "%s, before 2.6.1, is refused this way by Kafka 4.0 "
		         "or later even with the right password: use PLAIN "
		         "there, or librdkafka 2.6.1 or later)",
		         v);
	} else {
		snprintf(buf, size,
		         " (check sasl.username, sasl.password or "
		         "sasl.password_file, and sasl.mechanisms)");
	}
}

/* Error events into the log; ALL_BROKERS_DOWN into the watch. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	rs_kafkaclient_t *c = opaque;

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		set_down(c);
	}
	/* TLS or SASL refused before any broker ever answered: the
	 * configuration is wrong, not the network. Kept once. */
	if ((err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	     err == RD_KAFKA_RESP_ERR__SSL) &&
	    !atomic_load(&c->ever_up) && !atomic_load(&c->failed)) {
		char hint[384];
		int room;

		rs_kafkaclient_auth_hint(err, reason, rd_kafka_version(), hint,
		                         sizeof(hint));
		/* A long reason (Kerberos' are) is cut, not the hint. */
		room = (int)(sizeof(c->failure) - strlen(hint) - 1);
		snprintf(c->failure, sizeof(c->failure), "%.*s%s", room, reason,
		         hint);
		atomic_store(&c->failed, 1);
	}
	rs_log(RS_LOG_WARN, "kafka", "client error",
	       "client=%s error=\"%s\" reason=\"%s\"", c->name,
	       rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* librdkafka's own log lines (syslog levels) into the daemon log. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
	rs_log_level_t l = level <= 3   ? RS_LOG_ERROR
	                   : level == 4 ? RS_LOG_WARN
	                   : level <= 6 ? RS_LOG_INFO
	                                : RS_LOG_DEBUG;

	const rs_kafkaclient_t *c = rd_kafka_opaque(rk);

	if (rs_log_enabled(l)) {
		rs_log(l, "kafka", "librdkafka",
		       "client=%s facility=%s text=\"%s\"",
		       c != NULL ? c->name : rd_kafka_name(rk), fac, buf);
	}
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	rs_kafkaclient_t *c = opaque;

	(void)rk;
	if (stats_broker_up(json, len)) {
		rs_kafkaclient_reachable(c);
	}
	if (c->conf.on_stats != NULL) {
		c->conf.on_stats(c->conf.opaque, json, len);
	}
	return 0; /* librdkafka frees json */
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	rs_kafkaclient_t *c = opaque;

	c->conf.on_rebalance(rk, err, parts, c->conf.opaque);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
	rs_kafkaclient_t *c = opaque;

	c->conf.on_delivery(rk, rkm, c->conf.opaque);
}

/* ------------------------------------------------------------------ */
/* Building a handle                                                  */
/* ------------------------------------------------------------------ */

/* Set one property, the error naming it as the user wrote it. */
static int set_prop(rd_kafka_conf_t *kc, const char *section, const char *name,
                    const char *value, char *errstr, size_t errstr_size)
{
	char err[256];

	if (rd_kafka_conf_set(kc, name, value, err, sizeof(err)) ==
	    RD_KAFKA_CONF_OK) {
		return 0;
	}
	if (section != NULL) {
		snprintf(errstr, errstr_size, "%s.%s: %s", section, name, err);
	} else {
		snprintf(errstr, errstr_size, "%s: %s", name, err);
	}
	return -1;
}

/*
 * A user's property value with every ${NAME} replaced by the environment
 * variable NAME, into buf. 0, or -1 naming the property and the variable.
 */
static int expand_env(const char *section, const char *name, const char *value,
                      char *buf, size_t size, char *errstr, size_t errstr_size)
{
	size_t n = 0;

	for (const char *p = value; *p != '\0';) {
		const char *end;
		const char *env;
		char var[128];
		size_t len;

		if (p[0] != '$' || p[1] != '{' ||
		    (end = strchr(p + 2, '}')) == NULL) {
			if (n + 1 >= size) {
				goto too_long;
			}
			buf[n++] = *p++;
			continue;
		}
		len = (size_t)(end - (p + 2));
		if (len == 0 || len >= sizeof(var)) {
			snprintf(errstr, errstr_size,
			         "%s.%s: '${...}' needs a variable name",
			         section != NULL ? section : "kafka", name);
			return -1;
		}
		memcpy(var, p + 2, len);
		var[len] = '\0';
		env = getenv(var);
		if (env == NULL) {
			snprintf(errstr, errstr_size,
			         "%s.%s: environment variable %s is not set",
			         section != NULL ? section : "kafka", name,
			         var);
			return -1;
		}
		len = strlen(env);
		if (n + len >= size) {
			goto too_long;
		}
		memcpy(buf + n, env, len);
		n += len;
		p = end + 1;
	}
	buf[n] = '\0';
	return 0;
too_long:
	snprintf(errstr, errstr_size, "%s.%s: the value is too long",
	         section != NULL ? section : "kafka", name);
	return -1;
}

/*
 * NAME_file: NAME's value is the content of that file (a secret kept out
 * of the configuration), its last line end dropped. 0, or -1 naming the
 * property and the file.
 */
static int read_secret_file(const char *section, const char *name,
                            const char *path, char *buf, size_t size,
                            char *errstr, size_t errstr_size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		snprintf(errstr, errstr_size, "%s.%s: cannot read %s: %s",
		         section != NULL ? section : "kafka", name, path,
		         strerror(errno));
		return -1;
	}
	n = fread(buf, 1, size - 1, f);
	if (n == size - 1 && fgetc(f) != EOF) {
		fclose(f);
		snprintf(errstr, errstr_size, "%s.%s: %s is too long",
		         section != NULL ? section : "kafka", name, path);
		return -1;
	}
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		n--;
	}
	buf[n] = '\0';
	return 0;
}

/*
 * A user's property: ${ENV} expanded, NAME_file read into NAME. The
 * secret lives only in librdkafka's configuration, never in ours (so
 * --print-config cannot show it). 0 or -1.
 */
static int set_user_prop(rd_kafka_conf_t *kc, const char *section,
                         const rs_kafka_prop_t *prop, char *errstr,
                         size_t errstr_size)
{
	static const char suffix[] = "_file";
	char value[4096], secret[4096], name[256];
	size_t len = strlen(prop->name);
	int rc;

	if (expand_env(section, prop->name, prop->value, value, sizeof(value),
	               errstr, errstr_size) != 0) {
		return -1;
	}
	if (len > sizeof(suffix) - 1 && len < sizeof(name) &&
	    strcmp(prop->name + len - (sizeof(suffix) - 1), suffix) == 0) {
		memcpy(name, prop->name, len - (sizeof(suffix) - 1));
		name[len - (sizeof(suffix) - 1)] = '\0';
		if (read_secret_file(section, prop->name, value, secret,
		                     sizeof(secret), errstr,
		                     errstr_size) != 0) {
			return -1;
		}
		rc = set_prop(kc, section, name, secret, errstr, errstr_size);
		memset(secret, 0, sizeof(secret));
		memset(value, 0, sizeof(value));
		return rc;
	}
	rc = set_prop(kc, section, prop->name, value, errstr, errstr_size);
	memset(value, 0, sizeof(value));
	return rc;
}

/* Brokers, defaults, then the user's properties. 0 or -1. */
static int set_all(rd_kafka_conf_t *kc, const rs_kafkaclient_conf_t *conf,
                   char *errstr, size_t errstr_size)
{
	char interval[32];

	if (conf->brokers != NULL &&
	    set_prop(kc, conf->section, "bootstrap.servers", conf->brokers,
	             errstr, errstr_size) != 0) {
		return -1;
	}
	for (size_t i = 0; i < conf->ndefaults; i++) {
		if (set_prop(kc, conf->section, conf->defaults[i].name,
		             conf->defaults[i].value, errstr,
		             errstr_size) != 0) {
			return -1;
		}
	}
	if (conf->stats_interval_ms > 0) {
		snprintf(interval, sizeof(interval), "%d",
		         conf->stats_interval_ms);
		if (set_prop(kc, conf->section, "statistics.interval.ms",
		             interval, errstr, errstr_size) != 0) {
			return -1;
		}
	}
	for (size_t i = 0; i < conf->nprops; i++) {
		if (set_user_prop(kc, conf->section, &conf->props[i], errstr,
		                  errstr_size) != 0) {
			return -1;
		}
	}
	return 0;
}

rs_kafkaclient_conf_t rs_kafkaclient_conf(rd_kafka_type_t type,
                                          const char *name, const char *brokers,
                                          const rs_kafka_prop_t *defaults,
                                          size_t ndefaults)
{
	rs_kafkaclient_conf_t conf;

	memset(&conf, 0, sizeof(conf));
	conf.type = type;
	conf.name = name;
	conf.brokers = brokers;
	conf.defaults = defaults;
	conf.ndefaults = ndefaults;
	return conf;
}

void rs_kafkaclient_conf_user(rs_kafkaclient_conf_t *conf,
                              const rs_kafka_prop_t *props, size_t nprops,
                              int stats_interval_ms)
{
	conf->section = conf->type == RD_KAFKA_CONSUMER ? "kafka.consumer"
	                                                : "kafka.producer";
	conf->props = props;
	conf->nprops = nprops;
	conf->stats_interval_ms =
	    stats_interval_ms > 0 ? stats_interval_ms : 5000;
}

/* A handle for c from conf (its opaque is c). NULL with a sentence. */
static rd_kafka_t *make_handle(rs_kafkaclient_t *c,
                               const rs_kafkaclient_conf_t *conf, char *errstr,
                               size_t errstr_size)
{
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rd_kafka_t *rk;
	char err[512];

	if (set_all(kc, conf, errstr, errstr_size) != 0) {
		rd_kafka_conf_destroy(kc);
		return NULL;
	}
	rd_kafka_conf_set_opaque(kc, c);
	rd_kafka_conf_set_error_cb(kc, on_error);
	rd_kafka_conf_set_log_cb(kc, on_log);
	rd_kafka_conf_set_stats_cb(kc, on_stats);
	if (conf->on_rebalance != NULL) {
		rd_kafka_conf_set_rebalance_cb(kc, on_rebalance);
	}
	if (conf->on_delivery != NULL) {
		rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
	}
	rk = rd_kafka_new(conf->type, kc, err, sizeof(err));
	if (rk == NULL) {
		snprintf(errstr, errstr_size, "cannot create the %s: %s",
		         c->name, err);
		rd_kafka_conf_destroy(kc);
	}
	return rk; /* kc belongs to the handle now */
}

/* ------------------------------------------------------------------ */
/* API versions probe                                                 */

/* What the probe's log callback gathers (librdkafka's threads write). */
typedef struct probe {
	pthread_mutex_t lock;
	int api_key;
	rs_kafka_apiver_t *out;
	size_t nout, n;
} probe_t;

/* The answer of broker name (len bytes), added if new. Lock held. */
static rs_kafka_apiver_t *probe_slot(probe_t *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strlen(p->out[i].broker) == len &&
		    strncmp(p->out[i].broker, name, len) == 0) {
			return &p->out[i];
		}
	}
	if (p->n == p->nout || len >= sizeof(p->out[0].broker)) {
		return NULL;
	}
	memcpy(p->out[p->n].broker, name, len);
	p->out[p->n].broker[len] = '\0';
	p->out[p->n].max = -1;
	return &p->out[p->n++];
}

/*
 * librdkafka's "[thrd:T]: BROKER: Broker API support:" and
 * "[thrd:T]: BROKER:   ApiKey NAME (KEY) Versions MIN..MAX" lines
 * (facility APIVERSION); anything else is ignored.
 */
static void on_probe_log(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf)
{
	probe_t *p = rd_kafka_opaque(rk);
	const char *name = buf, *end, *rest, *paren;
	rs_kafka_apiver_t *slot;
	int key, min, max;

	(void)level;
	if (p == NULL || strcmp(fac, "APIVERSION") != 0) {
		return;
	}
	if (strncmp(name, "[thrd:", 6) == 0) {
		name = strstr(name, "]: ");
		if (name == NULL) {
			return;
		}
		name += 3;
	}
	end = strstr(name, ": ");
	if (end == NULL) {
		return;
	}
	rest = end + 2;
	pthread_mutex_lock(&p->lock);
	if (strncmp(rest, "Broker API support:", 19) == 0) {
		(void)probe_slot(p, name, (size_t)(end - name));
	} else if (strncmp(rest, "  ApiKey ", 9) == 0 &&
	           (paren = strchr(rest, '(')) != NULL &&
	           sscanf(paren, "(%d) Versions %d..%d", &key, &min, &max) ==
	               3 &&
	           key == p->api_key) {
		slot = probe_slot(p, name, (size_t)(end - name));
		if (slot != NULL) {
			slot->max = max;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* How many brokers answered so far. */
static size_t probe_answers(probe_t *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

int rs_kafkaclient_api_versions(const rs_kafkaclient_t *c, int api_key,
                                int timeout_ms, rs_kafka_apiver_t *out,
                                size_t nout, char *errstr, size_t errstr_size)
{
	/* After ours are set: every connection (not only those in use),
	 * its ApiVersions logged, with the thread name (parsed above). */
	static const rs_kafka_prop_t probe_props[] = {
	    {"debug", "feature"},
	    {"enable.sparse.connections", "false"},
	    {"log.thread.name", "true"},
	    {"statistics.interval.ms", "0"},
	};
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	probe_t p;
	rd_kafka_t *rk;
	int64_t deadline = rs_clock_mono_ms() + timeout_ms;
	size_t n;
	char err[512];

	if (set_all(kc, &c->conf, errstr, errstr_size) != 0) {
		rd_kafka_conf_destroy(kc);
		return -1;
	}
	for (size_t i = 0; i < RS_KAFKA_NPROPS(probe_props); i++) {
		if (set_prop(kc, NULL, probe_props[i].name,
		             probe_props[i].value, errstr, errstr_size) != 0) {
			rd_kafka_conf_destroy(kc);
			return -1;
		}
	}
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	p.api_key = api_key;
	p.out = out;
	p.nout = nout;
	rd_kafka_conf_set_opaque(kc, &p);
	rd_kafka_conf_set_log_cb(kc, on_probe_log);
	rk = rd_kafka_new(c->conf.type, kc, err, sizeof(err));
	if (rk == NULL) {
		snprintf(errstr, errstr_size,
		         "cannot create the %s's probe: %s", c->name, err);
		rd_kafka_conf_destroy(kc);
		pthread_mutex_destroy(&p.lock);
		return -1;
	}
	/* The metadata says how many brokers to wait for; every one of
	 * them is then connected to (sparse connections off). librdkafka
	 * 2.0.2 names the bootstrap connection after the broker it turns
	 * out to be ("host:port/1"), without asking again. */
	if (rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		while (probe_answers(&p) < (size_t)md->broker_cnt &&
		       rs_clock_mono_ms() < deadline) {
			rd_kafka_poll(rk, 50);
		}
		rd_kafka_metadata_destroy(md);
		/* Each answer is logged in one go: let the last finish. */
		rd_kafka_poll(rk, 100);
	}
	rd_kafka_destroy(rk);
	n = p.n;
	pthread_mutex_destroy(&p.lock);
	return (int)n;
}

rs_kafkaclient_t *rs_kafkaclient_new(const rs_kafkaclient_conf_t *conf,
                                     char *errstr, size_t errstr_size)
{
	rs_kafkaclient_t *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	c->conf = *conf;
	snprintf(c->name, sizeof(c->name), "%s",
	         conf->name != NULL ? conf->name : "client");
	atomic_init(&c->down_since, 0);
	atomic_init(&c->up_again, 0);
	atomic_init(&c->ever_up, 0);
	atomic_init(&c->failed, 0);
	c->rk = make_handle(c, conf, errstr, errstr_size);
	if (c->rk == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

int rs_kafkaclient_renew(rs_kafkaclient_t *c, const rs_kafkaclient_conf_t *conf,
                         char *errstr, size_t errstr_size)
{
	rd_kafka_t *rk;

	rd_kafka_destroy(c->rk);
	c->rk = NULL;
	c->conf = *conf;
	rk = make_handle(c, conf, errstr, errstr_size);
	if (rk == NULL) {
		return -1;
	}
	c->rk = rk;
	return 0;
}

const char *rs_kafkaclient_failure(const rs_kafkaclient_t *c)
{
	return atomic_load(&((rs_kafkaclient_t *)c)->failed) ? c->failure
	                                                     : NULL;
}

rd_kafka_t *rs_kafkaclient_handle(const rs_kafkaclient_t *c)
{
	return c->rk;
}

void rs_kafkaclient_destroy(rs_kafkaclient_t *c)
{
	if (c == NULL) {
		return;
	}
	if (c->rk != NULL) {
		rd_kafka_destroy(c->rk);
	}
	free(c);
}

int rs_kafkaclient_assign_all(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int n = -1;

	if (rkt == NULL) {
		return -1;
	}
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) !=
	        RD_KAFKA_RESP_ERR_NO_ERROR ||
	    md->topic_cnt != 1 || md->topics[0].err) {
		goto out;
	}
	parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++) {
		rd_kafka_topic_partition_list_add(
		    parts, topic, md->topics[0].partitions[i].id)
		    ->offset = RD_KAFKA_OFFSET_BEGINNING;
	}
	n = parts->cnt;
	if (rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		n = -1;
	}
	rd_kafka_topic_partition_list_destroy(parts);
out:
	if (md != NULL) {
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return n;
}

int rs_kafkaclient_read_to_end(
    rd_kafka_t *rk, int left, int follow, long idle_ms,
    void (*on_message)(const rd_kafka_message_t *m, void *opaque), void *opaque)
{
	const int poll_ms = 100;

	for (long idle = 0; (follow || left > 0) && idle < idle_ms;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, poll_ms);

		if (m == NULL) {
			idle += poll_ms;
			continue;
		}
		idle = 0;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			left--;
		} else {
			on_message(m, opaque);
		}
		rd_kafka_message_destroy(m);
	}
	return left;
}
