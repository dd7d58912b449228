/* flow.h — the flow table: TCP connections keyed by their 5-tuple.
 *
 * Both directions of a connection find the same struct flow. The table has a
 * hard maximum of flows fixed at start-up; flows are kept on two lists ordered
 * by capture time — active flows by last activity (least recent first) and
 * closing flows by the time they closed — so the oldest idle flow, the next
 * flow to expire and the flow to evict are always at a list head.
 *
 * Ownership: the table owns its flows; a flow owns its reassembly state and its
 * session. flow_remove() frees a flow whose owner has finished with it.
 */
#ifndef SMTPTLS_FLOW_H
#define SMTPTLS_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/net/decode.h"
#include "dissectors/base/mem.h"
#include "analyzer/net/rsm.h"
#include "analyzer/session/sess.h"
#include "dissectors/proto/dns.h"

enum flow_dir { FLOW_C2S = 0, FLOW_S2C = 1 };

enum flow_list { FLOW_ACTIVE = 0, FLOW_CLOSING = 1 };

/* One endpoint: IPv4 addresses use the first 4 bytes of addr. */
struct flow_ep {
	uint8_t addr[16];
	uint16_t port;
};

struct flow {
	struct flow *hnext;	  /* hash chain */
	struct flow *prev, *next; /* position in its list */
	uint8_t list;		  /* enum flow_list */
	uint8_t family;		  /* 4 or 6 */
	uint8_t roles_from_syn;	  /* roles known from SYN/SYN-ACK, not guessed */
	uint8_t syn_seen;	  /* client's SYN */
	uint8_t synack_seen;	  /* server's SYN-ACK */
	uint8_t rst_seen;
	uint8_t implicit_tls; /* server port is an implicit-TLS port */
	uint32_t client_isn;  /* sequence number of the client's SYN */
	uint32_t hash;
	struct flow_ep ep[2];	    /* [FLOW_C2S] = client, [FLOW_S2C] = server */
	uint64_t first_us, last_us; /* capture time of first and last packet */
	uint64_t closed_us;	    /* run clock when it moved to the closing list */
	uint64_t clock_us;	    /* run clock at its last packet (expiry uses it) */
	uint64_t packets[2];	    /* per sender */
	uint64_t bytes[2];	    /* TCP payload bytes on the wire, per sender */
	uint64_t seqno;		    /* creation order, for stable output */
	/* One capture split over several engines (eng_decoded_at): the reader's
	 * index of the packet that created it, of its last packet and of the
	 * one that closed it; 0 otherwise. */
	uint64_t at_first, at_last, at_closed;
	struct rsm_dir dir[2];	/* per sender */
	struct sess sess;	/* a mail connection's (unused for DNS) */
	struct dns_stream *dns; /* DNS over TCP: its two directions (owned), else NULL */
	/* A connection closed both ways with nothing left to reassemble keeps
	 * only its record while it lingers: the record packed (recdump_pack,
	 * owned), its dissectors and buffers freed. NULL otherwise. */
	uint8_t *packed;
	uint32_t packed_len;
};

/* Flows kept for reuse when connections end (struct mem_pool). */
#define FLOW_POOL_KEEP 4096

struct flow_table {
	struct mem *mem;
	struct mem_pool pool; /* of struct flow */
	struct flow **buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t max;	   /* hard maximum of flows */
	uint32_t count;
	uint64_t created;
	struct flow *head[2], *tail[2]; /* per enum flow_list */
};

/* Sets up an empty table for at most max flows. Returns 0, or -1 on no memory. */
int flow_table_init(struct flow_table *t, struct mem *m, uint32_t max);

/* Frees the bucket array. Every flow must have been removed first. */
void flow_table_free(struct flow_table *t);

/* Finds the flow of a packet; *dir tells whether the sender is the client
 * (FLOW_C2S) or the server. NULL when there is none. */
struct flow *flow_lookup(struct flow_table *t, const struct pkt *p, int *dir);

/* Creates a flow for the packet, with the sender as client when
 * sender_is_client is non-zero. NULL when the table is full or memory is short;
 * the caller evicts and retries. The new flow is the newest active flow. */
struct flow *flow_create(struct flow_table *t, const struct pkt *p, int sender_is_client,
			 uint64_t ts_us);

/* Marks activity: moves an active flow to the tail of the active list. */
void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_us);

/* Moves a flow to the closing list. */
void flow_set_closing(struct flow_table *t, struct flow *f, uint64_t ts_us);

/* The least recent flow of a list, or NULL. */
static inline struct flow *flow_oldest(const struct flow_table *t, enum flow_list l)
{
	return t->head[l];
}

/* Unlinks and frees a flow. Its rsm_dir buffers must already be released. */
void flow_remove(struct flow_table *t, struct flow *f);

#endif
