/* head.h — a connection read by the heads of its packets: when the capture's
 * snap length cuts payloads (tcpdump -s 96), each TCP segment still shows the
 * start of its payload — an SMTP command verb or a reply code at the start
 * of a line, a TLS record header (content type, version, length) and often
 * the handshake type — but the byte streams cannot be put together. The
 * engine then hands every segment's captured head here instead of to the
 * reassembler, and head_finish() fills the record with what the heads prove
 * and nothing else (docs/schema.md, "Head-only captures").
 *
 * The heads are read in capture order, per packet, through the cursor. A
 * segment that starts inside a TLS record (its sequence number is before
 * the end of the last record header seen in that direction) shows no
 * header and is skipped.
 *
 * Ownership: plain data inside struct sess; nothing is allocated.
 */
#ifndef SMTPTLS_HEAD_H
#define SMTPTLS_HEAD_H

#include <stddef.h>
#include <stdint.h>

struct rec;

struct head {
	uint8_t smtp[2];	  /* an SMTP command / reply head, per direction */
	uint8_t greeting;	  /* the server's first head was a reply */
	uint16_t greeting_code;	  /* its code */
	uint8_t helo_verb;	  /* 0, or SMTP_V_HELO / SMTP_V_EHLO + 1 (the first) */
	uint8_t starttls;	  /* a client head was STARTTLS */
	uint8_t await_reply;	  /* ... and its reply has not been seen yet */
	uint16_t starttls_reply;  /* the first reply head after it, 0: not seen */
	uint8_t mail_clear;	  /* MAIL, RCPT or DATA in the clear */
	uint8_t tls[2];		  /* a TLS record head, per direction */
	uint8_t client_tls_first; /* the client's first head was a TLS record */
	uint8_t client_hello, server_hello;
	uint8_t alert[2];	 /* an alert record head (TLS <= 1.2: in the clear) */
	uint8_t app_client;	 /* an application-data record from the client */
	uint8_t app_server;	 /* ... from the server after the client's */
	uint16_t record_version; /* the record-layer version of the server's records */
	uint32_t next_seq[2];	 /* where the next record header starts, per direction */
	uint8_t next_known[2];	 /* next_seq is known */
	uint64_t segments[2];	 /* heads read */
	uint64_t cut[2];	 /* of those, payloads the snap length cut */
	uint64_t bytes;		 /* payload bytes on the wire, both directions (none is
				  * reassembled: all count as gaps) */
};

/* One TCP segment of direction dir (0 client, 1 server): its sequence number,
 * the captured head p (caplen bytes) of a payload of paylen bytes. */
void head_packet(struct head *h, int dir, uint32_t seq, const uint8_t *p, size_t caplen,
		 size_t paylen);

/* Fills r's encryption, SMTP and TLS facts from the heads (r->head_only is
 * set); implicit_tls: the server port is an implicit-TLS port. */
void head_finish(const struct head *h, int implicit_tls, struct rec *r);

#endif
