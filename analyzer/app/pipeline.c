/* pipeline.c — one set-up and one teardown for analyze, live and merge. */
#include "analyzer/app/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/app/dnsdata.h"
#include "stats/sinks/history.h"

enum {
	PIPELINE_TRUST = 1u << 0,
	PIPELINE_AGG = 1u << 1,
	PIPELINE_GEO = 1u << 2,
	PIPELINE_ANOM = 1u << 3,
	PIPELINE_ANON = 1u << 4,
};

/* --dns-data and --mta-sts-policies: read once, into one view that every
 * engine of the run asks after its own (analyzer/session/dnsview.h). A bad
 * file stops the run before it starts. */
static int pipeline_dns_given(struct pipeline *p, FILE *err)
{
	struct cli_analyze *a = &p->a;
	char why[512];
	if (!a->dns_data && !a->mta_sts_policies)
		return 0;
	struct dnsdata *d = dnsdata_load(a->dns_data, a->mta_sts_policies, why, sizeof(why));
	if (!d) {
		fprintf(err, "smtptls: %s\n", why);
		return -1;
	}
	p->dns_given = dnsview_new(NULL, &p->mem);
	int rc = p->dns_given ? dnsdata_apply(d, p->dns_given) : -1;
	dnsdata_free(d);
	if (rc != 0) {
		fprintf(err, "smtptls: out of memory for the DNS data\n");
		return -1;
	}
	a->cfg.dns_given = p->dns_given;
	return 0;
}

int pipeline_begin(struct pipeline *p, const struct cli_analyze *a, FILE *err)
{
	char why[512];
	memset(p, 0, sizeof(*p));
	p->a = *a;
	/* One trust store for the run, shared by every engine; a CA file or
	 * path is loaded now, so that a bad one stops the run before it
	 * starts. */
	p->a.cfg.x509.trust = x509_trust_new(&p->a.cfg.x509, why, sizeof(why));
	if (!p->a.cfg.x509.trust) {
		fprintf(err, "smtptls: %s\n", why);
		return -1;
	}
	p->opened |= PIPELINE_TRUST;
	return pipeline_dns_given(p, err);
}

/* The statistics: analyze and live take the options' configuration, merge
 * the default limits with no bucket of its own (the snapshots say it). */
static int pipeline_open_agg(struct pipeline *p, enum pipeline_kind kind, FILE *err)
{
	p->agg = malloc(sizeof(*p->agg));
	if (!p->agg) {
		fprintf(err, "smtptls: out of memory\n");
		return -1;
	}
	if (kind == PIPELINE_MERGE) {
		p->a.agg.bucket_us = 0;
		p->a.agg.geo = NULL;
	} else {
		p->a.agg.geo = &p->geo;
	}
	agg_init(p->agg, &p->mem, &p->a.agg);
	p->opened |= PIPELINE_AGG;
	return 0;
}

/* The country and AS databases, the local networks, the detectors and the
 * history file. */
static int pipeline_open_detectors(struct pipeline *p, FILE *err)
{
	struct cli_analyze *a = &p->a;
	char why[512];
	cli_default_geoip(a);
	if (geo_open(&p->geo, a->geoip, a->asn, why, sizeof(why)) != 0) {
		fprintf(err, "smtptls: %s\n", why);
		return -1;
	}
	p->opened |= PIPELINE_GEO;
	for (int i = 0; i < a->nlocal_nets; i++)
		geo_add_net(&p->geo, a->local_nets[i]);
	anom_init(&p->anom, &a->anom, &p->mem);
	p->opened |= PIPELINE_ANOM;
	if (a->history) {
		p->anom.db = hist_open(a->history, why, sizeof(why));
		if (!p->anom.db) {
			fprintf(err, "smtptls: history %s\n", why);
			return -1;
		}
	}
	return 0;
}

int pipeline_open_anon(struct pipeline *p, FILE *err)
{
	struct cli_analyze *a = &p->a;
	char why[512];
	uint8_t key[ANON_KEY_LEN];
	if (!a->anonymize || (p->opened & PIPELINE_ANON))
		return 0;
	if (anon_read_key(a->anonymize, key, why, sizeof(why)) != 0 ||
	    anon_init(&p->anon, key, why, sizeof(why)) != 0) {
		memset(key, 0, sizeof(key));
		fprintf(err, "smtptls: --anonymize %s\n", why);
		return -1;
	}
	memset(key, 0, sizeof(key));
	p->opened |= PIPELINE_ANON;
	if (a->anon_keep_suffix) {
		const char *path = a->public_suffixes ? a->public_suffixes : PSL_DEFAULT_PATH;
		p->psl = psl_load(path, why, sizeof(why));
		if (!p->psl) {
			fprintf(err, "smtptls: --anon-keep-suffix: %s\n", why);
			return -1;
		}
	}
	p->scratch = malloc(sizeof(*p->scratch));
	if (!p->scratch) {
		fprintf(err, "smtptls: out of memory\n");
		return -1;
	}
	p->rec_anon.anon = &p->anon;
	p->rec_anon.psl = p->psl;
	p->sinks.anon = &p->rec_anon;
	p->sinks.anon_keep_local = a->anon_keep_local;
	p->sinks.scratch = p->scratch;
	return 0;
}

int pipeline_mark_json(const struct pipeline *p, json_t *j)
{
	if (!(p->opened & PIPELINE_ANON) || !j)
		return 0;
	json_t *m = json_pack("{s:s,s:b,s:b}", "key_id", p->anon.key_id, "keep_suffix",
			      p->a.anon_keep_suffix, "keep_local", p->a.anon_keep_local);
	return m && json_object_set_new(j, "anonymized", m) == 0 ? 0 : -1;
}

static int pipeline_out(struct out_file *o, const char *path, FILE *err)
{
	char why[512];
	if (!path || out_open(o, path, why, sizeof(why)) == 0)
		return 0;
	fprintf(err, "smtptls: %s\n", why);
	return -1;
}

int pipeline_open(struct pipeline *p, enum pipeline_kind kind, FILE *err)
{
	struct cli_analyze *a = &p->a;
	if (kind == PIPELINE_ANALYZE && (pipeline_out(&p->sessions, a->sessions, err) != 0 ||
					 pipeline_out(&p->stats, a->stats, err) != 0))
		goto fail;
	if (pipeline_open_agg(p, kind, err) != 0 || pipeline_open_anon(p, err) != 0)
		goto fail;
	if (kind == PIPELINE_MERGE)
		return 0;
	/* agg_init() above kept a pointer to the geo databases opened here */
	if (pipeline_open_detectors(p, err) != 0)
		goto fail;
	p->alerts.min_severity = a->alert_min;
	p->alerts.use_syslog = a->use_syslog;
	if (kind == PIPELINE_ANALYZE && a->alerts) {
		if (pipeline_out(&p->alert_file, a->alerts, err) != 0)
			goto fail;
		p->alerts.fp = p->alert_file.fp;
	}
	p->sinks.anom = &p->anom;
	p->sinks.geo = &p->geo;
	p->sinks.alerts = a->alerts ? &p->alerts : NULL;
	if (kind == PIPELINE_ANALYZE)
		p->sinks.sessions = a->sessions ? p->sessions.fp : NULL;
	p->sinks.agg = p->agg;
	return 0;
fail:
	return -1;
}

int pipeline_close_history(struct pipeline *p, FILE *err)
{
	if (!p->anom.db)
		return 0;
	int rc = hist_close(p->anom.db, &p->hist) != 0 || p->anom.db_errors ? -1 : 0;
	p->anom.db = NULL;
	if (p->hist.write_failures || rc)
		fprintf(err,
			"smtptls: %s: %llu history batches could not be written at once, "
			"%llu updates lost, %llu reads failed\n",
			p->a.history, (unsigned long long)p->hist.write_failures,
			(unsigned long long)p->hist.updates_lost,
			(unsigned long long)p->anom.db_errors);
	return rc;
}

void pipeline_history_json(const struct pipeline *p, json_t *j)
{
	if (!p->a.history || !j)
		return;
	struct hist_health h = p->hist;
	if (p->anom.db)
		hist_health(p->anom.db, &h);
	json_object_set_new(json_object_get(j, "health"), "history",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "write_failures",
				      (json_int_t)h.write_failures, "updates_lost",
				      (json_int_t)h.updates_lost, "pending", (json_int_t)h.pending,
				      "read_errors", (json_int_t)p->anom.db_errors, "offline_reads",
				      (json_int_t)h.offline_reads, "unreachable",
				      (json_int_t)h.unreachable));
}

void pipeline_close(struct pipeline *p)
{
	if (p->anom.db)
		hist_close(p->anom.db, NULL);
	p->anom.db = NULL;
	if (p->opened & PIPELINE_ANOM)
		anom_free(&p->anom);
	if (p->opened & PIPELINE_AGG)
		agg_free(p->agg);
	free(p->agg);
	p->agg = NULL;
	if (p->opened & PIPELINE_GEO)
		geo_close(&p->geo);
	if (p->opened & PIPELINE_ANON)
		anon_free(&p->anon);
	psl_free(p->psl);
	p->psl = NULL;
	free(p->scratch);
	p->scratch = NULL;
	p->sinks.anon = NULL;
	out_abort(&p->sessions);
	out_abort(&p->stats);
	out_abort(&p->alert_file);
	out_abort(&p->dump);
	jsonw_free(&p->sinks.line);
	src_list_free(&p->files);
	dnsview_free(p->dns_given);
	p->dns_given = NULL;
	p->a.cfg.dns_given = NULL;
	if (p->opened & PIPELINE_TRUST)
		x509_trust_free(p->a.cfg.x509.trust);
	p->a.cfg.x509.trust = NULL;
	p->opened = 0;
}

int pipeline_write_json(json_t *j, FILE *fp)
{
	if (!j || json_dumpf(j, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
	    fputc('\n', fp) == EOF)
		return -1;
	return 0;
}

static int pipeline_link_ok(void *ctx, int dlt)
{
	(void)ctx;
	return dec_link_supported(dlt);
}

static void pipeline_file_begin(void *ctx)
{
	struct engine *e = ctx;
	e->health.files++;
}

static void pipeline_snaplen(void *ctx, uint32_t snaplen)
{
	eng_set_snaplen(ctx, snaplen);
}

static void pipeline_packet(void *ctx, int dlt, uint64_t ts_us, const uint8_t *data,
			    uint32_t caplen, uint32_t len)
{
	eng_packet(ctx, dlt, ts_us, data, caplen, len);
}

static void pipeline_end(void *ctx)
{
	eng_end_input(ctx);
}

static uint64_t pipeline_connections(void *ctx)
{
	const struct engine *e = ctx;
	return e->flows.created;
}

void pipeline_engine_source(struct src_sink *s, struct engine *e)
{
	s->ctx = e;
	s->link_ok = pipeline_link_ok;
	s->begin = pipeline_file_begin;
	s->snaplen = pipeline_snaplen;
	s->packet = pipeline_packet;
	s->end = pipeline_end;
	s->connections = pipeline_connections;
}

int pipeline_list_inputs(int n, char **inputs, FILE *out, FILE *err)
{
	struct src_list files = {0};
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (src_expand(&files, inputs[i], err) != 0) {
			fprintf(err, "smtptls: out of memory listing inputs\n");
			rc = 2;
			goto done;
		}
	}
	for (size_t i = 0; i < files.n; i++) {
		/* one name a line: a name holding a line break cannot be listed */
		if (strchr(files.paths[i], '\n')) {
			fprintf(err,
				"smtptls: %s: a file name with a line break is not supported\n",
				files.paths[i]);
			files.failed++;
			continue;
		}
		fprintf(out, "%s\n", files.paths[i]);
	}
	if (files.failed)
		rc = 1;
	if (fflush(out) != 0)
		rc = 2;
done:
	src_list_free(&files);
	return rc;
}
