/* sess.h — the per-connection session: the consumer of both reassembled byte
 * streams. It drives the dissectors as a state machine — SMTP in plain text;
 * after STARTTLS + 220 the same streams go to the TLS dissector at the exact
 * byte where the upgrade happens; implicit-TLS ports start in TLS — and, once
 * the handshake is over, only counts bytes. When the connection ends,
 * sess_finish() turns what the dissectors found into the record's SMTP, TLS,
 * encryption and anomaly facts.
 *
 * The loop over one offer of bytes is driven by the dissectors' answers
 * (struct dissect_result, dissectors/proto/dissect.h): each answer is checked
 * against the contract first, and an answer that breaks it is counted
 * (SESS_EV_CONTRACT_VIOLATION) and the direction is only counted from then
 * on. SWITCH hands the bytes to the next reader at the exact byte; a reader
 * that would hand the same byte over twice is a loop, counted
 * (SESS_EV_STALLED) and stopped. The STARTTLS boundary (RFC 3207 §4) lives
 * here, in struct sess_app, and nowhere else: client bytes sent before the
 * 220 (cli_skip), server bytes sent before the client's first TLS byte
 * (srv_held, srv_skip), and plain text where TLS should start.
 *
 * Events (enum sess_event) are counted in struct sess; like the dissectors'
 * they are not written into any output yet: they are meant for the engine's
 * health counters.
 *
 * Ownership: a struct sess lives inside its flow; its dissector state (struct
 * sess_app) is allocated at the first payload byte through struct mem and
 * released by sess_free().
 */
#ifndef SMTPTLS_SESS_H
#define SMTPTLS_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/mem.h"
#include "analyzer/net/rsm.h"
#include "analyzer/session/head.h"
#include "dissectors/proto/smtp.h"
#include "dissectors/proto/tls.h"
#include "dissectors/proto/x509.h"

struct rec;

/* An observer of the reassembled streams (tests and debugging tools): sees
 * every byte and gap the session sees. id identifies the connection. */
struct sess_tap {
	void (*data)(void *ctx, uint64_t id, int dir, const uint8_t *p, size_t n);
	void (*gap)(void *ctx, uint64_t id, int dir, uint64_t n);
	void *ctx;
};

/* Named events of the session driver (sess_event_name() gives the names). */
enum sess_event {
	SESS_EV_CONTRACT_VIOLATION,	  /* a dissector's answer broke the contract */
	SESS_EV_STALLED,		  /* a reader handed the same byte over twice */
	SESS_EV_NO_MEMORY,		  /* no memory for the dissectors */
	SESS_EV_PLAINTEXT_AFTER_STARTTLS, /* SMTP where TLS should start */
	SESS_EV_COUNT,
};

struct sess_cfg {
	struct smtp_cfg smtp;
	struct tls_cfg tls;
};

enum sess_mode {
	SESS_M_SMTP = 0, /* the SMTP dissector reads the bytes */
	SESS_M_TLS,	 /* the TLS dissector reads the bytes */
	SESS_M_COUNT,	 /* handshake over: bytes are only counted */
	SESS_M_IGNORE,	 /* neither SMTP nor TLS: bytes are only counted */
};

struct sess_app {
	struct smtp smtp;
	struct tls tls;
	uint8_t mode[2];
	/* the STARTTLS boundary: all of its state */
	uint8_t seen_after_switch[2]; /* bytes arrived after the TLS boundary */
	uint8_t plaintext_after_starttls;
	uint8_t tls_unknown_start; /* mid-stream pickup inside TLS */
	uint8_t fed_any[2];	   /* the direction has had bytes (mid-stream pickup test) */
	uint8_t server_plaintext;  /* implicit-TLS port, but the server greets in SMTP */
	uint64_t cli_skip;	   /* client bytes sent before the 220: skipped as injected */
	uint64_t srv_held;	   /* server bytes after 220, before the client's TLS */
	uint64_t srv_skip;	   /* ... to skip as injected */
	uint64_t tls_fed[2];	   /* bytes consumed by the TLS dissector */
	uint64_t counted[2];	   /* bytes counted after the handshake */
	struct cert_facts cert;	   /* the certificate seen in clear, if any */
};

struct sess {
	const struct sess_cfg *cfg;
	struct mem *mem;
	struct sess_app *app;	    /* NULL until the first payload byte */
	uint8_t midstream;	    /* the TCP handshake was not seen */
	uint8_t implicit_tls;	    /* the server port is an implicit-TLS port */
	uint8_t app_failed;	    /* no memory for the dissectors: bytes only counted */
	uint8_t head_mode;	    /* the snap length cuts payloads: read by heads */
	struct head *head;	    /* what the heads showed (head_mode; owned, from the first) */
	uint64_t stream_bytes[2];   /* in-order bytes seen, per direction */
	uint64_t lost_bytes[2];	    /* bytes reported lost, per direction */
	uint64_t held[2];	    /* offered last time, not consumed: offered again */
	const struct sess_tap *tap; /* NULL, or borrowed from the run */
	struct mem_pool *app_pool;  /* NULL, or the run's pool of struct sess_app (borrowed) */
	uint32_t alerted;	    /* anomaly types already alerted (live mode) */
	uint64_t id;
	struct x509_ctx *x509;		/* certificate analysis of the run (borrowed), or NULL */
	uint64_t now_us;		/* capture time of the packet being processed */
	uint8_t server_key[18];		/* server address and port, for certificate inference */
	uint32_t events[SESS_EV_COUNT]; /* enum sess_event counters */
};

/* Prepares a session; nothing is allocated until data arrives. */
void sess_init(struct sess *s, const struct sess_cfg *cfg, struct mem *mem, int implicit_tls);

/* One segment of a connection in head mode (the engine's, instead of the
 * reassembler's): its sequence number and the captured head of its payload. */
void sess_head(struct sess *s, int dir, uint32_t seq, const uint8_t *p, size_t caplen,
	       size_t paylen);

/* The reassembly callbacks whose context is a struct sess. */
const struct rsm_ops *sess_ops(void);

/* Whether the dissectors are still reading (SMTP dialogue or TLS handshake),
 * as opposed to counting bytes or not started. */
int sess_active(const struct sess *s);

/* Fills the application part of the record (smtp, tls, encryption,
 * anomalies). Call once, when the connection has ended. */
void sess_finish(struct sess *s, struct rec *r);

/* For a record whose certificate was not visible (TLS 1.3, resumption):
 * the one its server showed before, judged now (x509_infer), with the
 * record's own SNI or banner name. Does nothing when x is NULL, the record
 * has a certificate, or no ServerHello was seen. sess_finish() calls it;
 * the engine calls it for a record it kept packed while the connection
 * lingered (the inference belongs to the moment the record leaves). */
void sess_infer_cert(struct x509_ctx *x, const uint8_t server_key[18], struct rec *r);

/* How many times event e happened on this connection. */
uint32_t sess_event_count(const struct sess *s, enum sess_event e);

/* The event's name ("contract_violation", "stalled", ...). */
const char *sess_event_name(enum sess_event e);

void sess_free(struct sess *s);

#endif
