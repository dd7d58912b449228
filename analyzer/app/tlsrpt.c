/* tlsrpt.c — SMTP TLS Reporting (RFC 8460) aggregate reports from connection
 * records: §4.3 the result types, §4.4 the JSON report, §5.1 the file name,
 * §5.2 compression. What counts and how is said in docs/tlsrpt.md. */
#include "analyzer/app/tlsrpt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <zlib.h>

#include "dissectors/base/civil.h"
#include "dissectors/base/out.h"

/* What became of the records read (DIR/index.json, "sessions"). */
struct tlsrpt_counts {
	unsigned long long read, reported, not_mx, not_outbound, not_attempted, unknown, invalid;
};

/* One run. reports: "DAY\tDOMAIN" -> {"day", "domain", "policies": {key ->
 * {"policy", "ok", "fail", "details": {key -> failure-details entry}}}};
 * ruas: domain -> the first `rua` seen for it. Both owned. */
struct tlsrpt_state {
	json_t *reports;
	json_t *ruas;
	struct tlsrpt_counts n;
};

/* How the connection's TLS went, as the sending MTA would have seen it. */
enum tlsrpt_tls {
	TLSRPT_TLS_OK,	      /* TLS established */
	TLSRPT_TLS_FAILED,    /* not established: the verdict says why */
	TLSRPT_TLS_NOT_TRIED, /* the client did not try: nothing to say about the receiver */
	TLSRPT_TLS_UNKNOWN,   /* nothing to judge by */
};

/* A session's outcome under one policy. */
struct tlsrpt_verdict {
	int ok;		  /* 1 success, 0 failure, -1 unknown (not counted) */
	const char *type; /* failure: an RFC 8460 §4.3 result type */
	const char *code; /* failure: failure-reason-code, or NULL */
};

/* The result types of RFC 8460 §4.3 (the IANA registry's initial entries). */
static const char *const tlsrpt_result_types[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired",	  "certificate-not-trusted",
	"validation-failure",	  "tlsa-invalid",
	"dnssec-invalid",	  "dane-required",
	"sts-policy-fetch-error", "sts-policy-invalid",
	"sts-webpki-invalid",
};

static const char *tlsrpt_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int tlsrpt_is(const json_t *o, const char *key, const char *value)
{
	const char *s = tlsrpt_str(o, key);
	return s && strcmp(s, value) == 0;
}

/* A host name fit for a file name and a report: letters, digits, '-', '_'
 * and '.', no empty label, at most 253 bytes. */
static int tlsrpt_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

const char *tlsrpt_contact_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (!at || at == addr || !tlsrpt_name_ok(at + 1))
		return NULL;
	return at + 1;
}

int tlsrpt_gzip(const void *in, size_t len, unsigned char **out, size_t *outlen)
{
	z_stream zs;
	unsigned char *buf = NULL;
	memset(&zs, 0, sizeof(zs));
	*out = NULL;
	*outlen = 0;
	if (len > UINT_MAX)
		return -1;
	/* windowBits 15 + 16: a gzip wrapper; zlib's default header has no name,
	 * no comment and modification time 0. */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	uLong cap = deflateBound(&zs, (uLong)len) + 64;
	buf = malloc(cap);
	if (!buf)
		goto fail;
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		goto fail;
	*outlen = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return 0;
fail:
	deflateEnd(&zs);
	free(buf);
	return -1;
}

/* The UTC day of a record's "ts" ("2026-11-22T09:53:13.889500Z"), in days
 * since the epoch; -1 when it is not such a time. */
static int64_t tlsrpt_day(const char *ts)
{
	int64_t v[3] = {0, 0, 0};
	static const unsigned widths[3] = {4, 2, 2};
	const char *p = ts;
	if (!ts)
		return -1;
	for (unsigned k = 0; k < 3; k++) {
		for (unsigned i = 0; i < widths[k]; i++, p++) {
			if (!isdigit((unsigned char)*p))
				return -1;
			v[k] = v[k] * 10 + (*p - '0');
		}
		if (*p != (k < 2 ? '-' : 'T'))
			return -1;
		p++;
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return -1;
	return civil_days(v[0], v[1], v[2]);
}

/* The connection's TLS as a sending MTA would report it (§4.3.1). */
static enum tlsrpt_tls tlsrpt_tls_of(const json_t *rec, struct tlsrpt_verdict *t)
{
	const char *enc = tlsrpt_str(rec, "encryption");
	const json_t *smtp = json_object_get(rec, "smtp");
	*t = (struct tlsrpt_verdict){0, NULL, NULL};
	if (!enc)
		return TLSRPT_TLS_UNKNOWN;
	if (strcmp(enc, "starttls") == 0)
		return TLSRPT_TLS_OK;
	if (strcmp(enc, "implicit_tls") == 0) {
		if (json_is_true(json_object_get(json_object_get(rec, "tls"), "established")))
			return TLSRPT_TLS_OK;
		*t = (struct tlsrpt_verdict){0, "validation-failure", "handshake-failed"};
		return TLSRPT_TLS_FAILED;
	}
	if (strcmp(enc, "starttls_refused") == 0) {
		*t = (struct tlsrpt_verdict){0, "starttls-not-supported", "starttls-refused"};
		return TLSRPT_TLS_FAILED;
	}
	if (strcmp(enc, "starttls_failed") == 0) {
		*t = (struct tlsrpt_verdict){0, "validation-failure", "handshake-failed"};
		return TLSRPT_TLS_FAILED;
	}
	if (strcmp(enc, "plaintext") != 0)
		return TLSRPT_TLS_UNKNOWN;
	/* Plain text: the MX did not offer STARTTLS to an EHLO. A client that
	 * said HELO, or did not take STARTTLS when offered, never tried; a
	 * refused greeting is a transient failure, not reported (§4.3.4). */
	if (!json_is_object(smtp) ||
	    json_integer_value(json_object_get(smtp, "greeting_code")) != 220 ||
	    !tlsrpt_is(smtp, "helo_verb", "EHLO") ||
	    json_is_true(json_object_get(smtp, "starttls_offered")))
		return TLSRPT_TLS_NOT_TRIED;
	*t = (struct tlsrpt_verdict){0, "starttls-not-supported", NULL};
	return TLSRPT_TLS_FAILED;
}

/* Under DANE (RFC 7672): applies when the MX host has DNSSEC-authenticated
 * TLSA records, or their lookup failed (§2.1.1). Returns 0 when it does not
 * apply, else 1 with *v set. */
static int tlsrpt_dane(const json_t *dns, enum tlsrpt_tls tls, const struct tlsrpt_verdict *t,
		       struct tlsrpt_verdict *v)
{
	const char *r = tlsrpt_str(json_object_get(dns, "dane"), "result");
	*v = (struct tlsrpt_verdict){-1, NULL, NULL};
	if (!r || strcmp(r, "none") == 0 || strcmp(r, "insecure") == 0)
		return 0;
	if (strcmp(r, "bogus") == 0)
		*v = (struct tlsrpt_verdict){0, "dnssec-invalid", NULL};
	else if (tls == TLSRPT_TLS_FAILED)
		*v = *t;
	else if (tls != TLSRPT_TLS_OK || strcmp(r, "unknown") == 0)
		v->ok = -1;
	else if (strcmp(r, "match") == 0)
		v->ok = 1;
	else if (strcmp(r, "mismatch") == 0)
		*v = (struct tlsrpt_verdict){0, "tlsa-invalid", "no-tlsa-match"};
	else if (strcmp(r, "unusable") == 0)
		*v = (struct tlsrpt_verdict){0, "tlsa-invalid", "no-usable-tlsa"};
	return 1;
}

/* Under MTA-STS (RFC 8461): applies when the record names a policy in mode
 * enforce or testing, or announces one that was not given (then unknown).
 * Returns 0 or 1 as tlsrpt_dane. */
static int tlsrpt_sts(const json_t *dns, enum tlsrpt_tls tls, const struct tlsrpt_verdict *t,
		      struct tlsrpt_verdict *v)
{
	const json_t *m = json_object_get(dns, "mta_sts");
	const char *r = tlsrpt_str(m, "result"), *why = tlsrpt_str(m, "reason");
	*v = (struct tlsrpt_verdict){-1, NULL, NULL};
	if (!r || strcmp(r, "none") == 0)
		return 0;
	if (strcmp(r, "pass") == 0 && tls == TLSRPT_TLS_OK) {
		v->ok = 1;
	} else if (strcmp(r, "fail") == 0 && why) {
		static const struct {
			const char *reason, *type;
		} map[] = {
			{"mx_mismatch", "sts-policy-invalid"},
			{"expired", "certificate-expired"},
			{"chain", "certificate-not-trusted"},
			{"name", "certificate-host-mismatch"},
		};
		if (strcmp(why, "no_tls") == 0 && tls == TLSRPT_TLS_FAILED)
			*v = *t;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(why, map[i].reason) == 0)
				*v = (struct tlsrpt_verdict){0, map[i].type,
							     i == 0 ? "mx-not-in-policy" : NULL};
	}
	/* A policy announced but not given cannot be reported: no entry. */
	if (!json_is_object(json_object_get(m, "policy")))
		v->ok = -1;
	return 1;
}

/* A failure's result type from the record's own dry-run ("policy" key),
 * when it has one for this policy and it is an RFC 8460 result type. */
static void tlsrpt_policy_reason(const json_t *rec, const char *name, struct tlsrpt_verdict *v)
{
	const json_t *p = json_object_get(json_object_get(rec, "policy"), name);
	const char *why = tlsrpt_str(p, "reason");
	if (v->ok != 0 || !tlsrpt_is(p, "result", "fail") || !why)
		return;
	for (size_t i = 0; i < sizeof(tlsrpt_result_types) / sizeof(tlsrpt_result_types[0]); i++)
		if (strcmp(why, tlsrpt_result_types[i]) == 0 && strcmp(why, v->type) != 0) {
			v->type = tlsrpt_result_types[i];
			v->code = NULL;
		}
}

/* The policy of a DANE verdict: the TLSA records in presentation form
 * (RFC 8460 §4.5, RFC 6698 §2.2), mx-host the MX host they belong to.
 * *key gets the policy's identity (malloc'd). NULL when out of memory. */
static json_t *tlsrpt_tlsa_policy(const json_t *dns, const char *domain, const char *mx, char **key)
{
	char *text = NULL;
	size_t len = 0;
	FILE *k = open_memstream(&text, &len);
	json_t *strs = json_array(), *pol = NULL;
	size_t i;
	const json_t *r;
	if (!k || !strs)
		goto fail;
	fprintf(k, "1\t%s", mx);
	json_array_foreach(json_object_get(json_object_get(dns, "tlsa"), "records"), i, r)
	{
		const char *data = tlsrpt_str(r, "data");
		char line[1100];
		if (!data || strlen(data) > 1024) /* matching type 0: only a digest is kept */
			continue;
		snprintf(line, sizeof(line), "%lld %lld %lld %s",
			 (long long)json_integer_value(json_object_get(r, "usage")),
			 (long long)json_integer_value(json_object_get(r, "selector")),
			 (long long)json_integer_value(json_object_get(r, "matching_type")), data);
		if (json_array_append_new(strs, json_string(line)) != 0)
			goto fail;
		fprintf(k, "\t%s", line);
	}
	if (fclose(k) != 0) {
		k = NULL;
		goto fail;
	}
	k = NULL;
	pol = json_pack("{s:s, s:o, s:s, s:[s]}", "policy-type", "tlsa", "policy-string", strs,
			"policy-domain", domain, "mx-host", mx);
	strs = NULL;
	if (!pol)
		goto fail;
	*key = text;
	return pol;
fail:
	if (k)
		fclose(k);
	free(text);
	json_decref(strs);
	return NULL;
}

/* The policy of an MTA-STS verdict: its lines (RFC 8460 §4.5; one "mx:"
 * line per pattern), mx-host its patterns. *key as tlsrpt_tlsa_policy. */
static json_t *tlsrpt_sts_policy(const json_t *dns, const char *domain, char **key)
{
	const json_t *p = json_object_get(json_object_get(dns, "mta_sts"), "policy");
	const char *mode = tlsrpt_str(p, "mode");
	char *text = NULL, line[600];
	size_t len = 0, i;
	const json_t *mx;
	FILE *k = open_memstream(&text, &len);
	json_t *strs = json_array(), *pats = json_array(), *pol = NULL;
	if (!k || !strs || !pats || !mode)
		goto fail;
	snprintf(line, sizeof(line), "mode: %s", mode);
	json_array_append_new(strs, json_string("version: STSv1"));
	json_array_append_new(strs, json_string(line));
	json_array_foreach(json_object_get(p, "mx"), i, mx)
	{
		if (!json_is_string(mx) || strlen(json_string_value(mx)) > 512)
			continue;
		snprintf(line, sizeof(line), "mx: %s", json_string_value(mx));
		json_array_append_new(strs, json_string(line));
		json_array_append_new(pats, json_string(json_string_value(mx)));
	}
	snprintf(line, sizeof(line), "max_age: %lld",
		 (long long)json_integer_value(json_object_get(p, "max_age")));
	json_array_append_new(strs, json_string(line));
	fprintf(k, "2");
	json_array_foreach(strs, i, mx) fprintf(k, "\t%s", json_string_value(mx));
	if (fclose(k) != 0) {
		k = NULL;
		goto fail;
	}
	k = NULL;
	pol = json_pack("{s:s, s:o, s:s, s:o}", "policy-type", "sts", "policy-string", strs,
			"policy-domain", domain, "mx-host", pats);
	strs = pats = NULL;
	if (!pol)
		goto fail;
	*key = text;
	return pol;
fail:
	if (k)
		fclose(k);
	free(text);
	json_decref(strs);
	json_decref(pats);
	return NULL;
}

/* The failure-details entry of a failed session (§4.4), without its count. */
static json_t *tlsrpt_detail(const json_t *rec, const char *mx, const struct tlsrpt_verdict *v)
{
	const char *helo = tlsrpt_str(json_object_get(rec, "smtp"), "server_name");
	const char *sip = tlsrpt_str(json_object_get(rec, "client"), "ip");
	const char *rip = tlsrpt_str(json_object_get(rec, "server"), "ip");
	json_t *d = json_object();
	if (!d || json_object_set_new(d, "result-type", json_string(v->type)) != 0 ||
	    (sip && json_object_set_new(d, "sending-mta-ip", json_string(sip)) != 0) ||
	    json_object_set_new(d, "receiving-mx-hostname", json_string(mx)) != 0 ||
	    (helo && json_object_set_new(d, "receiving-mx-helo", json_string(helo)) != 0) ||
	    (rip && json_object_set_new(d, "receiving-ip", json_string(rip)) != 0) ||
	    json_object_set_new(d, "failed-session-count", json_integer(0)) != 0 ||
	    (v->code && json_object_set_new(d, "failure-reason-code", json_string(v->code)) != 0)) {
		json_decref(d);
		return NULL;
	}
	return d;
}

/* The object at o[key], created empty when missing (borrowed), or NULL. */
static json_t *tlsrpt_child(json_t *o, const char *key)
{
	json_t *c = json_object_get(o, key);
	if (c)
		return c;
	c = json_object();
	if (!c || json_object_set_new(o, key, c) != 0)
		return NULL;
	return c;
}

static int tlsrpt_add(json_t *o, const char *key, json_int_t n)
{
	return json_integer_set(json_object_get(o, key),
				json_integer_value(json_object_get(o, key)) + n);
}

/* Counts one session under one policy of a report. pol is stolen. */
static int tlsrpt_count(json_t *report, const char *pkey, json_t *pol, const json_t *rec,
			const char *mx, const struct tlsrpt_verdict *v)
{
	json_t *pols = tlsrpt_child(report, "policies"), *e, *det = NULL;
	if (!pols)
		goto fail;
	e = json_object_get(pols, pkey);
	if (!e) {
		e = json_pack("{s:O, s:I, s:I, s:{}}", "policy", pol, "ok", (json_int_t)0, "fail",
			      (json_int_t)0, "details");
		if (!e || json_object_set_new(pols, pkey, e) != 0)
			goto fail;
	}
	json_decref(pol);
	pol = NULL;
	if (v->ok)
		return tlsrpt_add(e, "ok", 1);
	det = tlsrpt_detail(rec, mx, v);
	char *dkey = det ? json_dumps(det, JSON_COMPACT) : NULL;
	json_t *have = dkey ? json_object_get(json_object_get(e, "details"), dkey) : NULL;
	int rc = !dkey ? -1 : have ? 0 : json_object_set(json_object_get(e, "details"), dkey, det);
	if (rc == 0)
		rc = tlsrpt_add(json_object_get(json_object_get(e, "details"), dkey),
				"failed-session-count", 1);
	free(dkey);
	json_decref(det);
	return rc == 0 ? tlsrpt_add(e, "fail", 1) : -1;
fail:
	json_decref(pol);
	return -1;
}

/* Whether the record is of a connection the reporting organisation sent:
 * the dry-run's direction when it has one (--local-net). */
static int tlsrpt_outbound(const json_t *rec)
{
	const char *dir = tlsrpt_str(json_object_get(rec, "policy"), "direction");
	return !dir || strcmp(dir, "outbound") == 0 || strcmp(dir, "unknown") == 0;
}

/* The report of one domain and day, created when missing (borrowed). */
static json_t *tlsrpt_report_of(struct tlsrpt_state *s, int64_t day, const char *domain)
{
	char key[300];
	snprintf(key, sizeof(key), "%010lld\t%s", (long long)day, domain);
	json_t *r = json_object_get(s->reports, key);
	if (r)
		return r;
	r = json_pack("{s:I, s:s}", "day", (json_int_t)day, "domain", domain);
	if (!r || json_object_set_new(s->reports, key, r) != 0)
		return NULL;
	return r;
}

/* One record: its policy domain, its verdict under each policy that
 * applied, counted. Returns 0, or -1 when out of memory. */
static int tlsrpt_record(struct tlsrpt_state *s, const json_t *rec)
{
	const json_t *dns = json_object_get(rec, "dns");
	const char *mx = tlsrpt_str(dns, "mx_host");
	const char *domain = tlsrpt_str(json_object_get(dns, "mta_sts"), "domain");
	const char *rua = tlsrpt_str(dns, "tlsrpt_rua");
	struct tlsrpt_verdict t, v[3];
	int applies[3];
	s->n.read++;
	if (!domain)
		domain = json_string_value(json_array_get(json_object_get(dns, "domains"), 0));
	/* MX delivery is on port 25 (RFC 5321 §5.1) */
	if (!mx || !domain ||
	    json_integer_value(json_object_get(json_object_get(rec, "server"), "port")) != 25) {
		s->n.not_mx++;
		return 0;
	}
	int64_t day = tlsrpt_day(tlsrpt_str(rec, "ts"));
	if (!tlsrpt_name_ok(domain) || !tlsrpt_name_ok(mx) || day < 0) {
		s->n.invalid++;
		return 0;
	}
	if (!tlsrpt_outbound(rec)) {
		s->n.not_outbound++;
		return 0;
	}
	enum tlsrpt_tls tls = tlsrpt_tls_of(rec, &t);
	if (tls == TLSRPT_TLS_NOT_TRIED) {
		s->n.not_attempted++;
		return 0;
	}
	if (rua && !json_object_get(s->ruas, domain) &&
	    json_object_set_new(s->ruas, domain, json_string(rua)) != 0)
		return -1;
	applies[0] = tlsrpt_dane(dns, tls, &t, &v[0]);
	applies[1] = tlsrpt_sts(dns, tls, &t, &v[1]);
	/* no-policy-found: TLS is all a sender could ask for */
	applies[2] = !applies[0] && !applies[1];
	v[2] = tls == TLSRPT_TLS_OK	  ? (struct tlsrpt_verdict){1, NULL, NULL}
	       : tls == TLSRPT_TLS_FAILED ? t
					  : (struct tlsrpt_verdict){-1, NULL, NULL};
	tlsrpt_policy_reason(rec, "dane", &v[0]);
	tlsrpt_policy_reason(rec, "mta-sts", &v[1]);
	tlsrpt_policy_reason(rec, "encrypt", &v[2]);
	int judged = 0;
	for (int i = 0; i < 3; i++)
		judged |= applies[i] && v[i].ok >= 0;
	if (!judged) {
		/* nothing known either way: no report is made for it alone */
		s->n.unknown++;
		return 0;
	}
	json_t *report = tlsrpt_report_of(s, day, domain);
	int counted = 0;
	for (int i = 0; i < 3 && report; i++) {
		if (!applies[i] || v[i].ok < 0)
			continue;
		char *key = NULL;
		json_t *pol = i == 0   ? tlsrpt_tlsa_policy(dns, domain, mx, &key)
			      : i == 1 ? tlsrpt_sts_policy(dns, domain, &key)
				       : json_pack("{s:s, s:s}", "policy-type", "no-policy-found",
						   "policy-domain", domain);
		int rc = pol ? tlsrpt_count(report, key ? key : "3", pol, rec, mx, &v[i]) : -1;
		free(key);
		if (rc != 0)
			return -1;
		counted = 1;
	}
	if (!report)
		return -1;
	s->n.reported += (unsigned long long)counted;
	return 0;
}

/* The keys of an object in byte order (malloc'd array of borrowed
 * strings), or NULL when out of memory. */
static const char **tlsrpt_keys(const json_t *o, size_t *n)
{
	const char **keys = malloc((json_object_size(o) + 1) * sizeof(*keys));
	const char *k;
	const json_t *v;
	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)(uintptr_t)o, k, v) keys[(*n)++] = k;
	for (size_t i = 1; i < *n; i++) /* insertion sort: reports hold few keys */
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *x = keys[j];
			keys[j] = keys[j - 1];
			keys[j - 1] = x;
		}
	return keys;
}

/* One entry of "policies": the policy, its summary and its failures in key
 * order. */
static json_t *tlsrpt_policy_entry(const json_t *e)
{
	size_t n;
	const json_t *dets = json_object_get(e, "details");
	const char **keys = tlsrpt_keys(dets, &n);
	json_t *arr = json_array();
	if (!keys || !arr)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (json_array_append(arr, json_object_get(dets, keys[i])) != 0)
			goto fail;
	free(keys);
	return json_pack("{s:O, s:{s:O, s:O}, s:o}", "policy", json_object_get(e, "policy"),
			 "summary", "total-successful-session-count", json_object_get(e, "ok"),
			 "total-failure-session-count", json_object_get(e, "fail"),
			 "failure-details", arr);
fail:
	free(keys);
	json_decref(arr);
	return NULL;
}

/* FNV-1a, 64 bits, from a basis. */
static uint64_t tlsrpt_fnv(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The RFC 8460 report of one domain and day; its report-id is
 * DAY.HASH@SENDER, HASH over the rest of the report, and uniq (17 bytes)
 * gets HASH's first half for the file name. */
static json_t *tlsrpt_report(const struct tlsrpt_cfg *cfg, const json_t *r, const char *sender,
			     char *uniq)
{
	int64_t day = json_integer_value(json_object_get(r, "day"));
	struct civil a = civil_from_time(day * 86400), b = civil_from_time((day + 1) * 86400);
	char start[32], end[32], id[400], date[16];
	size_t n;
	const json_t *pols = json_object_get(r, "policies");
	const char **keys = tlsrpt_keys(pols, &n);
	json_t *arr = json_array(), *rep = NULL;
	if (!keys || !arr)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr,
					  tlsrpt_policy_entry(json_object_get(pols, keys[i]))) != 0)
			goto fail;
	snprintf(date, sizeof(date), "%04lld-%02lld-%02lld", (long long)a.y, (long long)a.m,
		 (long long)a.d);
	snprintf(start, sizeof(start), "%sT00:00:00Z", date);
	snprintf(end, sizeof(end), "%04lld-%02lld-%02lldT00:00:00Z", (long long)b.y, (long long)b.m,
		 (long long)b.d);
	rep = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:o}", "organization-name", cfg->org,
			"date-range", "start-datetime", start, "end-datetime", end, "contact-info",
			cfg->contact, "report-id", "", "policies", arr);
	arr = NULL;
	char *text = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	if (!text)
		goto fail;
	uint64_t h1 = tlsrpt_fnv(text, 0xcbf29ce484222325ull);
	uint64_t h2 = tlsrpt_fnv(text, 0x84222325cbf29ce4ull);
	free(text);
	snprintf(uniq, 17, "%016llx", (unsigned long long)h1);
	snprintf(id, sizeof(id), "%s.%016llx%016llx@%s", date, (unsigned long long)h1,
		 (unsigned long long)h2, sender);
	if (json_object_set_new(rep, "report-id", json_string(id)) != 0)
		goto fail;
	free(keys);
	return rep;
fail:
	free(keys);
	json_decref(arr);
	json_decref(rep);
	return NULL;
}

/* Writes len bytes to DIR/name atomically. */
static int tlsrpt_write_file(const char *dir, const char *name, const void *buf, size_t len,
			     FILE *err)
{
	char path[4096], msg[512];
	struct out_file o;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (out_open(&o, path, msg, sizeof(msg)) != 0) {
		fprintf(err, "smtptls: %s\n", msg);
		return -1;
	}
	if (fwrite(buf, 1, len, o.fp) != len || out_commit(&o, msg, sizeof(msg)) != 0) {
		fprintf(err, "smtptls: %s: write failed\n", path);
		out_abort(&o);
		return -1;
	}
	return 0;
}

/* Writes one report, gzip-compressed, named as RFC 8460 §5.1 says:
 * sender!policy-domain!begin-timestamp!end-timestamp!unique-id.json.gz,
 * and lists it in the index. */
static int tlsrpt_write_report(const struct tlsrpt_cfg *cfg, const json_t *r, const char *sender,
			       json_t *index, FILE *err)
{
	char uniq[17], name[700];
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	int rc = -1;
	const char *domain = tlsrpt_str(r, "domain");
	long long day = (long long)json_integer_value(json_object_get(r, "day"));
	json_t *rep = tlsrpt_report(cfg, r, sender, uniq);
	char *text = rep ? json_dumps(rep, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
	json_t *d = tlsrpt_child(tlsrpt_child(index, "domains"), domain);
	if (!text || !d || tlsrpt_gzip(text, strlen(text), &gz, &gzlen) != 0) {
		fprintf(err, "smtptls: out of memory\n");
		goto done;
	}
	snprintf(name, sizeof(name), "%s!%s!%lld!%lld!%s.json.gz", sender, domain, day * 86400,
		 (day + 1) * 86400, uniq);
	if (tlsrpt_write_file(cfg->outdir, name, gz, gzlen, err) != 0)
		goto done;
	json_t *files = json_object_get(d, "reports");
	if (!files) {
		files = json_array();
		if (json_object_set_new(d, "reports", files) != 0)
			goto done;
	}
	rc = json_array_append_new(files, json_string(name));
done:
	free(gz);
	free(text);
	json_decref(rep);
	return rc;
}

/* Every report, then DIR/index.json: each domain's rua and report files,
 * and what became of the records. */
static int tlsrpt_write_all(const struct tlsrpt_state *s, const struct tlsrpt_cfg *cfg,
			    const char *sender, FILE *err)
{
	size_t n;
	const char **keys = tlsrpt_keys(s->reports, &n);
	const struct tlsrpt_counts *c = &s->n;
	json_t *index = json_pack("{s:{}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "domains",
				  "sessions", "read", (json_int_t)c->read, "reported",
				  (json_int_t)c->reported, "not_mx_delivery", (json_int_t)c->not_mx,
				  "not_outbound", (json_int_t)c->not_outbound, "not_attempted",
				  (json_int_t)c->not_attempted, "unknown", (json_int_t)c->unknown,
				  "invalid", (json_int_t)c->invalid);
	int rc = keys && index ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = tlsrpt_write_report(cfg, json_object_get(s->reports, keys[i]), sender, index,
					 err);
	const char *domain;
	json_t *d;
	json_object_foreach(rc == 0 ? json_object_get(index, "domains") : NULL, domain, d)
	{
		json_t *rua = json_object_get(s->ruas, domain);
		if (json_object_set_new(d, "rua", rua ? json_incref(rua) : json_null()) != 0)
			rc = -1;
	}
	char *text = rc == 0 ? json_dumps(index, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps' terminator becomes the last line's end */
		rc = tlsrpt_write_file(cfg->outdir, "index.json", text, len + 1, err);
	} else if (rc == 0) {
		rc = -1;
	}
	free(text);
	free(keys);
	json_decref(index);
	return rc;
}

/* Reads one file of records. Returns 0, 1 (a line or the file could not be
 * read) or -1 (out of memory). */
static int tlsrpt_read(struct tlsrpt_state *s, const char *path, FILE *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int rc = 0;
	if (!f) {
		fprintf(err, "smtptls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (rc >= 0 && (len = getline(&line, &cap, f)) != -1) {
		lineno++;
		size_t i = 0;
		while (i < (size_t)len && isspace((unsigned char)line[i]))
			i++;
		if (i == (size_t)len)
			continue;
		json_error_t je;
		json_t *rec = json_loadb(line, (size_t)len, 0, &je);
		if (!json_is_object(rec)) {
			fprintf(err, "smtptls: %s:%lu: not a connection record (%s)\n", path,
				lineno, rec ? "not an object" : je.text);
			rc = 1;
		} else if (tlsrpt_record(s, rec) != 0) {
			fprintf(err, "smtptls: out of memory\n");
			rc = -1;
		}
		json_decref(rec);
	}
	if (rc >= 0 && ferror(f)) {
		fprintf(err, "smtptls: %s: read failed\n", path);
		rc = 1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int tlsrpt_run(const struct tlsrpt_cfg *cfg, char *const *inputs, int ninputs, FILE *err)
{
	struct tlsrpt_state s;
	struct stat st;
	int rc = 0;
	const char *sender = tlsrpt_contact_domain(cfg->contact);
	memset(&s, 0, sizeof(s));
	if (!sender) {
		fprintf(err,
			"smtptls tlsrpt: --contact: expected an e-mail address such as "
			"tlsrpt@example.com, got \"%s\"\n",
			cfg->contact);
		return 2;
	}
	if (mkdir(cfg->outdir, 0777) != 0 && errno != EEXIST) {
		fprintf(err, "smtptls: %s: %s\n", cfg->outdir, strerror(errno));
		return 2;
	}
	if (stat(cfg->outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(err, "smtptls: %s: not a directory\n", cfg->outdir);
		return 2;
	}
	s.reports = json_object();
	s.ruas = json_object();
	if (!s.reports || !s.ruas)
		goto fail;
	for (int i = 0; i < ninputs; i++) {
		int r = tlsrpt_read(&s, inputs[i], err);
		if (r < 0)
			goto fail;
		if (r > 0)
			rc = 1;
	}
	if (tlsrpt_write_all(&s, cfg, sender, err) != 0)
		rc = 2;
	json_decref(s.reports);
	json_decref(s.ruas);
	return rc;
fail:
	json_decref(s.reports);
	json_decref(s.ruas);
	return 2;
}
