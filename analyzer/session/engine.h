/* engine.h — the analysis pipeline of one run: decode → flow table →
 * reassembly → session → record → sinks.
 *
 * The engine is driven by packets in capture order and by the end of each
 * input; capture time is its only clock. It owns the flow table (and through
 * it every flow); records go to the sinks by const pointer and are gone when
 * the sink returns.
 */
#ifndef SMTPTLS_ENGINE_H
#define SMTPTLS_ENGINE_H

#include <stdint.h>

#include "analyzer/session/dnsview.h"
#include "analyzer/session/flow.h"
#include "dissectors/base/mem.h"
#include "analyzer/net/rsm.h"
#include "analyzer/session/sess.h"
#include "analyzer/session/health.h"
#include "stats/record/record.h"

/* How long a closed connection lingers to absorb its last ACKs, stray
 * retransmissions and repeated resets before its record is emitted (capture
 * time); the same delay Zeek uses (tcp_close_delay, tcp_reset_delay). */
#define ENG_CLOSE_LINGER_US (5u * 1000000u)

/* How many of the least recently active flows eviction looks at to find one
 * that carried no payload. */
#define ENG_EVICT_SCAN 64
/* Dissector states kept for reuse when connections end (struct mem_pool). */
#define ENG_APP_POOL_KEEP 256

struct eng_cfg {
	uint8_t mail_ports[8192]; /* bitmap: ports whose connections we analyse */
	uint8_t tls_ports[8192];  /* bitmap: implicit-TLS ports (subset of the above) */
	uint32_t max_flows;
	uint32_t max_buffer;	 /* reassembly bytes held per direction */
	uint64_t max_reassembly; /* reassembly bytes held by all flows together */
	uint64_t idle_timeout_us;
	struct sess_cfg sess;		 /* dissector limits */
	struct x509_cfg x509;		 /* trust anchors, certificate cache */
	uint8_t dns_ports[8192];	 /* bitmap: ports whose DNS (UDP and TCP) feeds the view */
	struct dnsv_cfg dnsv;		 /* the DNS view's limits */
	const struct dnsview *dns_given; /* --dns-data and --mta-sts-policies, loaded
					  * once for the run (borrowed), or NULL */
};

static inline int eng_port_in(const uint8_t *bitmap, uint16_t port)
{
	return (bitmap[port >> 3] >> (port & 7)) & 1;
}

static inline void eng_port_add(uint8_t *bitmap, uint16_t port)
{
	bitmap[port >> 3] = (uint8_t)(bitmap[port >> 3] | (1u << (port & 7)));
}

/* A consumer of finished records. */
struct eng_sink {
	void (*record)(void *ctx, const struct rec *r);
	void *ctx;
};

#define ENG_MAX_SINKS 8

/* A capture file whose snap length is at most this cuts the payload of
 * nearly every data segment: its connections are read by heads (head.h). */
#define ENG_HEAD_SNAPLEN 512

struct engine {
	const struct eng_cfg *cfg;
	struct mem mem;
	struct flow_table flows;
	struct mem_pool app_pool; /* the connections' dissector state (struct sess_app) */
	struct rsm_cfg rsm;
	struct rsm_budget budget;
	struct eng_health health; /* owned: the counters of this engine's inputs */
	uint64_t now_us;	  /* latest capture time seen */
	struct eng_sink sinks[ENG_MAX_SINKS];
	int nsinks;
	const struct sess_tap *tap; /* optional stream observer, borrowed */
	uint32_t snaplen;	    /* the current input's snap length, 0: not known */
	struct x509_ctx *x509;	    /* certificate analysis (owned), NULL if it failed */
	struct dnsview *dns;	    /* what the DNS said (owned), NULL if no memory */
	struct dns_stream dns_udp;  /* the UDP messages' reader */
	/* One capture split over several engines by a reader (eng_decoded_at,
	 * eng_tick): the reader's index of the packet being handled, and the
	 * place in the single engine's output of the record being emitted
	 * (end_key, valid during a sink's call; see eng_decoded_at). All 0
	 * otherwise. */
	uint64_t at;
	uint8_t end_phase; /* enum eng_end_phase */
	uint8_t ending_input;
	uint64_t end_key[3];
	struct {
		/* Called after a payload packet of a connection whose SMTP
		 * dialogue or TLS handshake is still being read, with the record
		 * as it stands (read-only, gone when the call returns); *alerted
		 * (kept with the connection, and copied to its final record) is
		 * the callback's to mark what it reported. */
		void (*provisional)(void *ctx, const struct rec *r, uint32_t *alerted);
		void *ctx;
	} event;
};

/* Why a record leaves at the point it does (the middle of its end_key). */
enum eng_end_phase {
	ENG_END_LINGER = 0, /* a closed connection past its linger (or closed at the end) */
	ENG_END_IDLE = 1,   /* an idle connection (or cut by the end of the input) */
	ENG_END_NOW = 2	    /* at the packet itself: port reuse, eviction */
};

/* Sets up an engine for cfg (which must outlive it). Returns 0 or -1. */
int eng_init(struct engine *e, const struct eng_cfg *cfg);

/* Adds a sink; returns 0, or -1 when there are too many. */
int eng_add_sink(struct engine *e, void (*record)(void *ctx, const struct rec *r), void *ctx);

/* Counts one frame in h (packets, bytes, capture span) and moves the run
 * clock *now_us to ts_us, or counts a timestamp that went back: the first
 * step of eng_packet(), and of a reader that splits a capture over several
 * engines (analyzer/app/split.c). */
void eng_count_frame(struct eng_health *h, uint64_t *now_us, uint64_t ts_us, uint32_t caplen,
		     uint32_t wirelen);

/* One frame of link type dlt, captured at ts_us. */
void eng_packet(struct engine *e, int dlt, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
		uint32_t wirelen);

/* One capture read by a reader and split over several engines: eng_packet()
 * for a frame the reader has counted (eng_count_frame) and decoded itself
 * (dec_packet gave dr and *p; the engine's frame and decode counters stay
 * as they are, and p->payload must stay valid during the call), with the
 * reader's packet number at (counted from 1) and the run clock now_us the
 * reader keeps (the latest capture time of all the packets so far, those of
 * the other engines included). Each record then leaves with
 * e->end_key set to where the single engine would have emitted it:
 * {at of the packet or tick it ended at (UINT64_MAX at the end of the
 * input), enum eng_end_phase, the at of its closing packet (LINGER) or of
 * its last packet (IDLE; at the end of the input, of its first)}. Keys
 * only grow within one engine; merging several engines' records by key
 * gives the single engine's order as long as no limit is reached. */
void eng_decoded_at(struct engine *e, uint64_t at, uint64_t now_us, uint64_t ts_us,
		    enum dec_result dr, const struct pkt *p);

/* A mail packet another engine handles: the run clock moves to now_us and
 * what has become final ends, as in eng_packet(). */
void eng_tick(struct engine *e, uint64_t at, uint64_t now_us);

/* The snap length of the input about to be read (from its file header);
 * 0 when not known. Connections that start while it is at most
 * ENG_HEAD_SNAPLEN are read by the heads of their packets. */
void eng_set_snaplen(struct engine *e, uint32_t snaplen);

/* Moves the run clock forward to now_us (live capture with no packets) and
 * ends what has become idle. */
void eng_advance(struct engine *e, uint64_t now_us);

/* The end of one input: every open connection ends (reason "eof" unless it had
 * already closed), in the order the connections started. */
void eng_end_input(struct engine *e);

/* Frees everything; call eng_end_input() first to get the records. */
void eng_free(struct engine *e);

#endif
