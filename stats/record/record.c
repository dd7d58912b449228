/* record.c — the connection record: names, anomalies, verdicts, formatting.
 * Its JSON form is written by rec_json.c from the list in rec_fields.c. */
#include "stats/record/record.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dissectors/base/civil.h"

static const char *const rec_end_names[REC_END_COUNT] = {
	[REC_END_FIN] = "fin",	       [REC_END_RST] = "rst", [REC_END_TIMEOUT] = "timeout",
	[REC_END_EVICTED] = "evicted", [REC_END_EOF] = "eof", [REC_END_REUSED] = "reused",
};

static const char *const rec_enc_names[REC_ENC_COUNT] = {
	[REC_ENC_UNKNOWN] = "unknown",
	[REC_ENC_PLAINTEXT] = "plaintext",
	[REC_ENC_STARTTLS] = "starttls",
	[REC_ENC_IMPLICIT_TLS] = "implicit_tls",
	[REC_ENC_STARTTLS_REFUSED] = "starttls_refused",
	[REC_ENC_STARTTLS_FAILED] = "starttls_failed",
	[REC_ENC_TLS_UNKNOWN_START] = "tls_unknown_start",
};

static const struct rec_anom_info rec_anomalies[REC_A_COUNT] = {
#define REC_ANOM_INFO(id, name, sev, summary) [REC_A_##id] = {name, REC_SEV_##sev, summary},
	ANOMALIES(REC_ANOM_INFO)
#undef REC_ANOM_INFO
};

static const char *const rec_sev_names[] = {"info", "low", "medium", "high"};

const char *rec_enc_name(enum rec_enc e)
{
	return (unsigned)e < REC_ENC_COUNT ? rec_enc_names[e] : "unknown";
}

const struct rec_anom_info *rec_anom_info(enum rec_anom a)
{
	return (unsigned)a < REC_A_COUNT ? &rec_anomalies[a] : NULL;
}

const struct rec_anom_info *rec_anom_by_name(const char *name)
{
	for (int i = 0; i < REC_A_COUNT; i++)
		if (strcmp(rec_anomalies[i].name, name) == 0)
			return &rec_anomalies[i];
	return NULL;
}

const char *rec_anom_name(enum rec_anom a)
{
	return (unsigned)a < REC_A_COUNT ? rec_anomalies[a].name : "unknown";
}

const char *rec_severity_name(enum rec_severity s)
{
	return (unsigned)s <= REC_SEV_HIGH ? rec_sev_names[s] : "info";
}

static void rec_anomaly_fill(struct rec_anomaly *a, enum rec_anom type, enum rec_severity sev,
			     const char *detail)
{
	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	a->severity = (uint8_t)sev;
	snprintf(a->detail, sizeof(a->detail), "%s", detail ? detail : "");
}

static enum rec_severity rec_anom_default(enum rec_anom type)
{
	const struct rec_anom_info *info = rec_anom_info(type);
	return info ? info->severity : REC_SEV_INFO;
}

struct rec_anomaly *rec_add_anomaly(struct rec *r, enum rec_anom type, const char *detail)
{
	if (r->nanomalies >= REC_MAX_ANOMALIES)
		return NULL;
	struct rec_anomaly *a = &r->anomalies[r->nanomalies++];
	rec_anomaly_fill(a, type, rec_anom_default(type), detail);
	return a;
}

void rec_verdict_init(struct rec_verdict *v, const struct rec *r)
{
	v->n = 0;
	v->policy.judged = 0;
	v->room = (uint8_t)(r->nanomalies < REC_MAX_ANOMALIES ? REC_MAX_ANOMALIES - r->nanomalies
							      : 0);
}

struct rec_anomaly *rec_verdict_add_as(struct rec_verdict *v, enum rec_anom type,
				       enum rec_severity sev, const char *detail)
{
	if (v->n >= v->room || v->n >= REC_MAX_ANOMALIES)
		return NULL;
	struct rec_anomaly *a = &v->anomalies[v->n++];
	rec_anomaly_fill(a, type, sev, detail);
	return a;
}

struct rec_anomaly *rec_verdict_add(struct rec_verdict *v, enum rec_anom type, const char *detail)
{
	return rec_verdict_add_as(v, type, rec_anom_default(type), detail);
}

int rec_anomaly_count(const struct rec *r, const struct rec_verdict *v)
{
	int own = r->nanomalies < REC_MAX_ANOMALIES ? r->nanomalies : REC_MAX_ANOMALIES;
	return own + (v ? v->n : 0);
}

const struct rec_anomaly *rec_anomaly_at(const struct rec *r, const struct rec_verdict *v, int i)
{
	int own = r->nanomalies < REC_MAX_ANOMALIES ? r->nanomalies : REC_MAX_ANOMALIES;
	return i < own ? &r->anomalies[i] : &v->anomalies[i - own];
}

const char *rec_end_name(enum rec_end e)
{
	return (unsigned)e < REC_END_COUNT ? rec_end_names[e] : "unknown";
}

void rec_format_ts(uint64_t us, char *buf, size_t n)
{
	struct civil c = civil_from_time((int64_t)(us / 1000000u));
	char t[96];
	snprintf(t, sizeof(t),
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 ".%06uZ",
		 c.y, c.m, c.d, c.secs / 3600, c.secs / 60 % 60, c.secs % 60,
		 (unsigned)(us % 1000000u));
	snprintf(buf, n, "%s", t);
	snprintf(buf, n,
		 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
		 ".%06uZ",
		 c.y, c.m, c.d, c.secs / 3600, c.secs / 60 % 60, c.secs % 60,
		 (unsigned)(us % 1000000u));
}

/* Digits of v, most significant first, at p; returns the end. */
static char *rec_put_u(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

void rec_format_addr(const struct rec_ep *e, char *buf, size_t n)
{
	if (e->family == 6) {
		if (!inet_ntop(AF_INET6, e->addr, buf, (socklen_t)n))
			snprintf(buf, n, "?");
		return;
	}
	/* inet_ntop(AF_INET) is "%u.%u.%u.%u" through sprintf: the detectors and
	 * the statistics format addresses for every record, so by hand */
	char a[16], *p = a;
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = rec_put_u(p, e->addr[i]);
	}
	size_t len = (size_t)(p - a);
	if (len + 1 > n) {
		snprintf(buf, n, "?"); /* as when inet_ntop() finds no room */
		return;
	}
	memcpy(buf, a, len);
	buf[len] = '\0';
}
