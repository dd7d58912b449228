/* agg.c — statistics over connection records; the versioned JSON snapshot. */
#include "stats/agg.h"

#include <inttypes.h>
#include <string.h>

void agg_init(struct agg *a)
{
	memset(a, 0, sizeof(*a));
}

void agg_record(struct agg *a, const struct rec *r)
{
	a->connections++;
	a->complete += r->complete;
	a->midstream += r->tcp.midstream;
	if (r->end < REC_END_COUNT)
		a->by_end[r->end]++;
	if (r->gap_bytes) {
		a->with_gaps++;
		a->gap_bytes += r->gap_bytes;
	}
	for (int i = 0; i < 2; i++) {
		a->packets[i] += r->packets[i];
		a->bytes[i] += r->bytes[i];
	}
}

static uint64_t agg_min_nz(uint64_t x, uint64_t y)
{
	if (!x)
		return y;
	if (!y)
		return x;
	return x < y ? x : y;
}

void agg_merge(struct agg *a, const struct agg *b)
{
	struct agg_health *h = &a->health;
	const struct agg_health *g = &b->health;
	h->files += g->files;
	h->files_failed += g->files_failed;
	h->packets += g->packets;
	h->wire_bytes += g->wire_bytes;
	h->captured_bytes += g->captured_bytes;
	h->tcp_packets += g->tcp_packets;
	h->mail_packets += g->mail_packets;
	h->ts_backwards += g->ts_backwards;
	h->first_us = agg_min_nz(h->first_us, g->first_us);
	h->last_us = h->last_us > g->last_us ? h->last_us : g->last_us;
	for (int i = 0; i < DEC_C_COUNT; i++)
		h->decode.c[i] += g->decode.c[i];
	h->flows_evicted += g->flows_evicted;
	h->flow_alloc_failed += g->flow_alloc_failed;
	h->rsm_refused_bytes += g->rsm_refused_bytes;
	if (g->rsm_peak_bytes > h->rsm_peak_bytes)
		h->rsm_peak_bytes = g->rsm_peak_bytes;

	a->connections += b->connections;
	a->complete += b->complete;
	a->midstream += b->midstream;
	for (int i = 0; i < REC_END_COUNT; i++)
		a->by_end[i] += b->by_end[i];
	a->with_gaps += b->with_gaps;
	a->gap_bytes += b->gap_bytes;
	for (int i = 0; i < 2; i++) {
		a->packets[i] += b->packets[i];
		a->bytes[i] += b->bytes[i];
	}
}

static json_t *agg_ts_json(uint64_t us)
{
	if (!us)
		return json_null();
	char buf[32];
	rec_format_ts(us, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *agg_pair(const uint64_t v[2])
{
	return json_pack("{s:I,s:I}", "client", (json_int_t)v[0], "server", (json_int_t)v[1]);
}

json_t *agg_to_json(const struct agg *a)
{
	const struct agg_health *h = &a->health;
	json_t *malformed = json_object();
	json_t *skipped = json_object();
	json_t *by_end = json_object();
	if (!malformed || !skipped || !by_end)
		goto fail;
	for (int i = 0; i < DEC_C_COUNT; i++) {
		json_t *dst = dec_counter_is_malformed((enum dec_counter)i) ? malformed : skipped;
		json_object_set_new(dst, dec_counter_name((enum dec_counter)i),
				    json_integer((json_int_t)h->decode.c[i]));
	}
	for (int i = 0; i < REC_END_COUNT; i++)
		json_object_set_new(by_end, rec_end_name((enum rec_end)i),
				    json_integer((json_int_t)a->by_end[i]));

	json_t *health = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:{s:I,s:I}}", "files",
		(json_int_t)h->files, "files_failed", (json_int_t)h->files_failed, "packets",
		(json_int_t)h->packets, "wire_bytes", (json_int_t)h->wire_bytes, "captured_bytes",
		(json_int_t)h->captured_bytes, "tcp_packets", (json_int_t)h->tcp_packets,
		"mail_packets", (json_int_t)h->mail_packets, "timestamps_backwards",
		(json_int_t)h->ts_backwards, "malformed", malformed, "skipped", skipped,
		"flows_evicted", (json_int_t)h->flows_evicted, "flow_alloc_failed",
		(json_int_t)h->flow_alloc_failed, "reassembly", "refused_bytes",
		(json_int_t)h->rsm_refused_bytes, "peak_bytes", (json_int_t)h->rsm_peak_bytes);
	malformed = skipped = NULL;
	if (!health)
		goto fail;
	json_t *conns =
		json_pack("{s:I,s:I,s:I,s:o,s:I,s:I,s:o,s:o}", "total", (json_int_t)a->connections,
			  "complete", (json_int_t)a->complete, "midstream",
			  (json_int_t)a->midstream, "by_end", by_end, "with_gaps",
			  (json_int_t)a->with_gaps, "gap_bytes", (json_int_t)a->gap_bytes,
			  "packets", agg_pair(a->packets), "bytes", agg_pair(a->bytes));
	by_end = NULL;
	if (!conns) {
		json_decref(health);
		goto fail;
	}
	return json_pack("{s:s,s:i,s:{s:o,s:o},s:o,s:o}", "format", "smtptls-stats", "version",
			 AGG_SNAPSHOT_VERSION, "span", "first", agg_ts_json(h->first_us), "last",
			 agg_ts_json(h->last_us), "health", health, "connections", conns);
fail:
	json_decref(malformed);
	json_decref(skipped);
	json_decref(by_end);
	return NULL;
}

static double agg_pct(uint64_t n, uint64_t d)
{
	return d ? 100.0 * (double)n / (double)d : 0.0;
}

void agg_print_text(const struct agg *a, FILE *out)
{
	const struct agg_health *h = &a->health;
	char first[32] = "-", last[32] = "-";
	if (h->first_us) {
		rec_format_ts(h->first_us, first, sizeof(first));
		rec_format_ts(h->last_us, last, sizeof(last));
	}
	fprintf(out, "smtptls summary\n");
	fprintf(out, "  capture span       %s .. %s\n", first, last);
	fprintf(out, "  files              %" PRIu64 " read, %" PRIu64 " failed\n", h->files,
		h->files_failed);
	fprintf(out,
		"  packets            %" PRIu64 " (%" PRIu64 " TCP, %" PRIu64 " on mail ports)\n",
		h->packets, h->tcp_packets, h->mail_packets);
	fprintf(out, "  connections        %" PRIu64 " (%" PRIu64 " complete, %.1f%%)\n",
		a->connections, a->complete, agg_pct(a->complete, a->connections));
	fprintf(out,
		"  ended by           fin %" PRIu64 ", rst %" PRIu64 ", timeout %" PRIu64
		", evicted %" PRIu64 ", end of file %" PRIu64 "\n",
		a->by_end[REC_END_FIN], a->by_end[REC_END_RST], a->by_end[REC_END_TIMEOUT],
		a->by_end[REC_END_EVICTED], a->by_end[REC_END_EOF]);
	fprintf(out, "  payload bytes      client %" PRIu64 ", server %" PRIu64 "\n", a->bytes[0],
		a->bytes[1]);
	fprintf(out, "  capture loss       %" PRIu64 " bytes in %" PRIu64 " connections\n",
		a->gap_bytes, a->with_gaps);
	uint64_t bad = 0;
	for (int i = 0; i < DEC_C_COUNT; i++)
		if (dec_counter_is_malformed((enum dec_counter)i))
			bad += h->decode.c[i];
	fprintf(out, "  malformed packets  %" PRIu64 "\n", bad);
	for (int i = 0; i < DEC_C_COUNT; i++)
		if (h->decode.c[i] && dec_counter_is_malformed((enum dec_counter)i))
			fprintf(out, "    %-18s %" PRIu64 "\n",
				dec_counter_name((enum dec_counter)i), h->decode.c[i]);
	if (h->flows_evicted || h->rsm_refused_bytes)
		fprintf(out,
			"  limits reached     %" PRIu64 " flows evicted, %" PRIu64
			" bytes not buffered\n",
			h->flows_evicted, h->rsm_refused_bytes);
}
