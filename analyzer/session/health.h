/* health.h — the engine's health counters: what happened to the capture
 * itself (frames read, decode failures, flows pushed out, bytes refused by
 * the reassembly budget), as opposed to what the connections showed.
 *
 * The engine fills a struct eng_health as packets go by. Every counter has a
 * name in one static table (health.c), which is also its key in the
 * statistics snapshot, and a merge rule (a sum, or the smallest non-zero
 * value, or the largest), so the counters of several inputs or shards add up
 * by walking that table: eng_health_visit() and eng_health_add().
 *
 * Ownership: plain values, no pointers; copy freely.
 */
#ifndef SMTPTLS_HEALTH_H
#define SMTPTLS_HEALTH_H

#include <stdint.h>

#include "analyzer/net/decode.h"
#include "dissectors/proto/dns.h"

/* What the DNS path read (docs/dns.md): messages over UDP and TCP, the ones
 * refused as malformed by reason, and what the DNS view kept and dropped. In
 * the snapshot under health.dns, which is left out when every counter is 0. */
struct eng_dns_health {
	uint64_t udp_datagrams;		  /* UDP datagrams on a DNS port */
	uint64_t udp_truncated;		  /* ... cut by the snap length: not read */
	uint64_t tcp_connections;	  /* TCP connections on a DNS port */
	uint64_t messages;		  /* messages read (both transports) */
	uint64_t malformed;		  /* messages refused */
	uint64_t errors[DNS_E_COUNT - 1]; /* ... by reason: [e - 1] for enum dns_err e */
	uint64_t tcp_gaps;		  /* TCP directions given up after lost bytes */
	uint64_t answers;		  /* records the view took */
	uint64_t expired;		  /* ... dropped after their TTL */
	uint64_t dropped_memory;	  /* ... dropped for --max-dns-memory */
	uint64_t peak_bytes;		  /* most bytes the view held (merged by max) */
};

struct eng_health {
	uint64_t files;		    /* input files read (fully or partly) */
	uint64_t files_failed;	    /* inputs that could not be read to the end */
	uint64_t packets;	    /* frames read */
	uint64_t wire_bytes;	    /* their lengths on the wire */
	uint64_t captured_bytes;    /* bytes present in the capture */
	uint64_t tcp_packets;	    /* frames that decoded to TCP */
	uint64_t mail_packets;	    /* TCP segments on a mail port */
	uint64_t ts_backwards;	    /* frames older than one already seen */
	uint64_t first_us, last_us; /* capture span (0 when no packet) */
	struct dec_stats decode;    /* per-reason decode counters */
	uint64_t flows_evicted;	    /* flows pushed out of a full table */
	/* closed connections whose record left before their linger ended, to
	 * make room in a full table: their order among the records may differ
	 * from a run with room */
	uint64_t flows_closed_early;
	uint64_t flow_alloc_failed; /* packets dropped: no memory for a new flow */
	uint64_t rsm_refused_bytes; /* bytes not buffered: a reassembly limit */
	uint64_t rsm_peak_bytes;    /* most bytes buffered at once (merged by max) */
	struct eng_dns_health dns;
};

/* Whether any DNS counter is non-zero (the snapshot's health.dns is left out
 * otherwise). */
int eng_health_has_dns(const struct eng_health *h);

/* How two values of a counter merge. */
enum eng_health_merge {
	ENG_HEALTH_SUM,
	ENG_HEALTH_MIN_NZ, /* the smallest value that is not 0 */
	ENG_HEALTH_MAX
};

/* Calls fn for every counter of h, in the table's order: its name (a dotted
 * path, "health.packets", "span.first_us", "health.malformed.ipv4_truncated"),
 * its address and how it merges. */
void eng_health_visit(struct eng_health *h,
		      void (*fn)(void *ctx, const char *name, uint64_t *v,
				 enum eng_health_merge how),
		      void *ctx);

/* Merges from into into, counter by counter. */
void eng_health_add(struct eng_health *into, const struct eng_health *from);

#endif
