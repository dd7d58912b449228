/* record.h — the connection record: one immutable summary per TCP connection
 * on a mail port, built when the connection ends and handed to every sink by
 * const pointer. docs/schema.md documents its JSON form (schema version
 * REC_SCHEMA_VERSION).
 */
#ifndef SMTPTLS_RECORD_H
#define SMTPTLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define REC_SCHEMA_VERSION 1

enum rec_end {
	REC_END_FIN = 0, /* FIN from both sides */
	REC_END_RST,	 /* a reset */
	REC_END_TIMEOUT, /* idle for --idle-timeout seconds of capture time */
	REC_END_EVICTED, /* pushed out of a full flow table */
	REC_END_EOF,	 /* still open at the end of its input file */
	REC_END_REUSED,	 /* a new connection (SYN) took over the 5-tuple */
	REC_END_COUNT
};

struct rec_ep {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

/* Per-direction values are indexed [0] = client, [1] = server. */
struct rec {
	uint64_t ts_us;	 /* first packet, capture time, microseconds since the epoch */
	uint64_t end_us; /* last packet */
	struct rec_ep client, server;
	uint64_t packets[2];
	uint64_t bytes[2];  /* TCP payload bytes on the wire, retransmissions included */
	uint64_t gap_bytes; /* bytes lost to capture loss, both directions */
	uint8_t complete;   /* handshake and close both seen */
	uint8_t end;	    /* enum rec_end */
	uint8_t implicit_tls_port;
	struct {
		uint8_t syn, synack, rst;
		uint8_t fin[2];
		uint8_t midstream;	  /* no handshake seen: picked up mid-stream */
		uint64_t stream_bytes[2]; /* distinct in-order bytes */
		uint32_t retransmitted[2];
		uint32_t out_of_order[2];
		uint32_t overlap_conflicts[2];
		uint64_t overflow_bytes[2]; /* not held: a buffer limit was reached */
	} tcp;
};

/* "fin", "rst", "timeout", "evicted", "eof". */
const char *rec_end_name(enum rec_end e);

/* Formats microseconds since the epoch as 2024-05-01T12:00:00.123456Z.
 * buf must hold 28 bytes. */
void rec_format_ts(uint64_t us, char *buf, size_t n);

/* Formats an address as text (inet_ntop). buf must hold 46 bytes. */
void rec_format_addr(const struct rec_ep *e, char *buf, size_t n);

/* The record as a new JSON object (caller owns the reference), or NULL. */
json_t *rec_to_json(const struct rec *r);

#endif
