/* record.c — the connection record and its JSON form (docs/schema.md). */
#include "stats/record.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

static const char *const rec_end_names[REC_END_COUNT] = {
	[REC_END_FIN] = "fin",	       [REC_END_RST] = "rst", [REC_END_TIMEOUT] = "timeout",
	[REC_END_EVICTED] = "evicted", [REC_END_EOF] = "eof", [REC_END_REUSED] = "reused",
};

const char *rec_end_name(enum rec_end e)
{
	return (unsigned)e < REC_END_COUNT ? rec_end_names[e] : "unknown";
}

void rec_format_ts(uint64_t us, char *buf, size_t n)
{
	time_t secs = (time_t)(us / 1000000u);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, n, "invalid");
		return;
	}
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%06uZ", day, (unsigned)(us % 1000000u));
}

void rec_format_addr(const struct rec_ep *e, char *buf, size_t n)
{
	if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

static json_t *rec_ep_json(const struct rec_ep *e)
{
	char a[64];
	rec_format_addr(e, a, sizeof(a));
	return json_pack("{s:s,s:i}", "ip", a, "port", (json_int_t)e->port);
}

static json_t *rec_pair(uint64_t c, uint64_t s)
{
	return json_pack("{s:I,s:I}", "client", (json_int_t)c, "server", (json_int_t)s);
}

json_t *rec_to_json(const struct rec *r)
{
	char ts[32];
	rec_format_ts(r->ts_us, ts, sizeof(ts));
	uint64_t dur = r->end_us >= r->ts_us ? r->end_us - r->ts_us : 0;

	json_t *tcp = json_pack(
		"{s:b,s:b,s:{s:b,s:b},s:b,s:b,s:o,s:o,s:o,s:o,s:o}", "syn", r->tcp.syn, "synack",
		r->tcp.synack, "fin", "client", r->tcp.fin[0], "server", r->tcp.fin[1], "rst",
		r->tcp.rst, "midstream", r->tcp.midstream, "stream_bytes",
		rec_pair(r->tcp.stream_bytes[0], r->tcp.stream_bytes[1]), "retransmitted",
		rec_pair(r->tcp.retransmitted[0], r->tcp.retransmitted[1]), "out_of_order",
		rec_pair(r->tcp.out_of_order[0], r->tcp.out_of_order[1]), "overlap_conflicts",
		rec_pair(r->tcp.overlap_conflicts[0], r->tcp.overlap_conflicts[1]),
		"overflow_bytes", rec_pair(r->tcp.overflow_bytes[0], r->tcp.overflow_bytes[1]));
	if (!tcp)
		return NULL;
	return json_pack("{s:s,s:f,s:o,s:o,s:o,s:o,s:b,s:I,s:s,s:o}", "ts", ts, "duration",
			 (double)dur / 1e6, "client", rec_ep_json(&r->client), "server",
			 rec_ep_json(&r->server), "bytes", rec_pair(r->bytes[0], r->bytes[1]),
			 "packets", rec_pair(r->packets[0], r->packets[1]), "complete", r->complete,
			 "gaps", (json_int_t)r->gap_bytes, "end",
			 rec_end_name((enum rec_end)r->end), "tcp", tcp);
}
