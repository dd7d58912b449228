/* rsm.h — TCP reassembly, one direction at a time.
 *
 * A struct rsm_dir turns the segments of one direction into in-order bytes for
 * a consumer (struct rsm_ops): out-of-order segments wait in a sorted queue,
 * retransmissions are dropped, overlaps are trimmed (first copy wins, and a
 * conflicting overlap is counted), sequence numbers wrap, and bytes the capture
 * lost are reported to the consumer as a gap so it can resynchronise.
 *
 * The consumer's data() returns how many bytes it consumed; the rest is kept
 * (the "pending tail") and offered again, with what follows, on the next call.
 * Out-of-order queue plus pending tail never exceed rsm_cfg.max_buffer: past it
 * the oldest hole is declared lost (a gap) instead of buffering more.
 *
 * Ownership: the rsm_dir lives inside its flow; rsm_dir_free() releases its
 * queue and tail. Allocations go through the run's struct mem.
 */
#ifndef SMTPTLS_RSM_H
#define SMTPTLS_RSM_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/mem.h"

struct rsm_ops {
	/* In-order bytes; returns the number consumed (0..n). More than n breaks
	 * the contract: it is counted (rsm_dir.contract_violations) and the
	 * whole offer is taken as consumed. */
	size_t (*data)(void *ctx, int dir, const uint8_t *p, size_t n);
	/* n bytes at this point of the stream are lost. */
	void (*gap)(void *ctx, int dir, uint64_t n);
};

struct rsm_cfg {
	uint32_t max_buffer; /* bytes held per direction: queue + pending tail */
	uint64_t max_total;  /* bytes held by all directions of all flows */
};

/* The run-wide account of bytes held by every direction (one per engine). */
struct rsm_budget {
	uint64_t held;	  /* bytes held now */
	uint64_t peak;	  /* most ever held */
	uint64_t refused; /* bytes not held because a limit was reached */
};

struct rsm_seg; /* queued out-of-order segment (rsm.c) */

#define RSM_RECENT 8

struct rsm_dir {
	uint32_t next;	    /* next sequence number expected, once synced */
	uint32_t fin_seq;   /* sequence number of the FIN, once seen */
	uint32_t max_acked; /* highest ACK the peer sent for this direction */
	uint8_t synced;	    /* next is known (SYN seen, or first data picked up) */
	uint8_t syn_seen;
	uint8_t fin_seen;
	uint8_t fin_done; /* every byte before the FIN was delivered or declared lost */
	uint8_t acked_valid;
	uint8_t midstream; /* synced from data, without a SYN */

	/* The last segments delivered (sequence number, length, a digest of
	 * their first and last 64 bytes): a resend of the same range with other
	 * bytes is a conflicting overlap even after delivery. */
	struct {
		uint32_t seq, len;
		uint64_t digest;
	} recent[RSM_RECENT];
	uint8_t recent_pos;
	struct rsm_seg *queue; /* out-of-order segments, sorted, non-overlapping */
	uint32_t queued;       /* bytes of data held in the queue */
	uint8_t *pend;	       /* the consumer's unconsumed tail */
	uint32_t pend_len;
	uint32_t pend_cap;

	/* Counters (reported in the connection record). */
	uint64_t delivered;	      /* bytes handed to the consumer */
	uint64_t gap_bytes;	      /* bytes declared lost */
	uint32_t gaps;		      /* number of gap events */
	uint32_t retransmitted;	      /* segments wholly or partly seen before */
	uint32_t out_of_order;	      /* segments that arrived ahead of a hole */
	uint32_t overlap_conflicts;   /* overlapping copies whose bytes differ */
	uint64_t overflow_bytes;      /* bytes not held because a limit was reached */
	uint32_t contract_violations; /* data() claimed more bytes than it was offered */
};

/* The consumer context of one direction's calls. */
struct rsm_sink {
	const struct rsm_ops *ops;
	void *ctx;
	int dir;
	const struct rsm_cfg *cfg;
	struct rsm_budget *budget;
	struct mem *mem;
};

/* Starts the direction at a SYN with initial sequence number isn. */
void rsm_syn(struct rsm_dir *d, uint32_t isn);

/* One segment: seq, its payload length on the wire (len) and the captured
 * prefix (cap bytes at data, cap <= len), and whether it carries FIN. */
void rsm_segment(struct rsm_dir *d, const struct rsm_sink *s, uint32_t seq, const uint8_t *data,
		 uint32_t cap, uint32_t len, int fin);

/* The peer acknowledged up to ack: a queued segment beyond a hole the peer has
 * acknowledged means the hole was lost in the capture, not in the network. */
void rsm_ack(struct rsm_dir *d, const struct rsm_sink *s, uint32_t ack);

/* End of the connection: every hole is declared lost, the queue delivered,
 * and bytes the peer acknowledged but the capture never held counted as a gap. */
void rsm_flush(struct rsm_dir *d, const struct rsm_sink *s);

/* Releases the queue and the pending tail (and returns them to the budget). */
void rsm_dir_free(struct rsm_dir *d, const struct rsm_sink *s);

/* Sequence comparisons modulo 2^32 (RFC 9293 §3.4). */
static inline int rsm_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline int rsm_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

#endif
