/* tls.h — TLS dissector: the record layer and the clear-text handshake, in
 * both directions of one connection (RFC 5246, RFC 8446; SSLv2-compatible
 * ClientHello per RFC 5246 Appendix E.2).
 *
 * The session feeds each direction's in-order bytes from the first byte of
 * TLS on (after STARTTLS + 220, or from the start on implicit-TLS ports).
 * tls_feed() answers with a struct dissect_result (dissectors/proto/dissect.h):
 * bytes it did not consume are offered again with more (the reassembler keeps
 * them, up to its cap), so the dissector never buffers a partial record
 * header itself. A handshake message
 * spread over several records is the one thing it buffers, in a per-direction
 * buffer of at most cfg->max_handshake bytes (allocated through struct mem;
 * a longer message is skipped and counted).
 *
 * Once both sides have finished the clear-text handshake (tls_done()), the
 * session stops calling tls_feed() and only counts bytes.
 *
 * Events: what went wrong is counted by name (enum tls_event) in struct tls,
 * beside the facts: truncated, invalid and trailing-byte handshake messages
 * (the cursor's three error kinds), records and handshake messages too long,
 * not TLS, lost bytes, failed resynchronisation. The counters are not written
 * into any output yet; they are meant for the engine's health counters and,
 * per connection, for the record's anomaly list.
 *
 * Ownership: struct tls lives in the session; tls_free() releases its
 * buffers. Facts are plain values inside struct tls_facts.
 */
#ifndef SMTPTLS_TLS_H
#define SMTPTLS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/mem.h"
#include "dissectors/proto/dissect.h"

#define TLSD_MAX_VERSIONS 8
#define TLSD_MAX_GROUPS	  16 /* supported_groups kept per ClientHello */
#define TLSD_MAX_SHARES	  8  /* key_share entries kept per ClientHello */
#define TLSD_MAX_SUITES	  32 /* cipher suites kept per ClientHello */
#define TLS_MAX_ALERTS	  4
#define TLS_MAX_CHAIN	  8

/* Named events of the TLS dissector (tls_event_name() gives the names). */
enum tls_event {
	TLSD_EV_TRUNCATED,	    /* a handshake message shorter than its lengths say */
	TLSD_EV_INVALID,	    /* a message or record that contradicts the spec */
	TLSD_EV_TRAILING,	    /* bytes left over after a message's last field */
	TLSD_EV_RECORD_TOO_LONG,    /* record length above 2^14 + 2048 */
	TLSD_EV_HANDSHAKE_TOO_LONG, /* handshake message over max_handshake: skipped */
	TLSD_EV_NO_MEMORY,	    /* no memory to collect a handshake message: skipped */
	TLSD_EV_NOT_TLS,	    /* a direction whose first bytes are not TLS */
	TLSD_EV_GAP,		    /* bytes lost by the capture */
	TLSD_EV_RESYNC_FAILED,	    /* no record header found after a gap: given up */
	TLSD_EV_COUNT,
};

struct tls_cfg {
	uint32_t max_handshake; /* largest handshake message buffered (bytes) */
};

/* The server's certificate chain as it appeared in the Certificate message
 * (leaf first). The DER pointers are valid only during the callback. */
struct tls_chain {
	size_t n;
	const uint8_t *der[TLS_MAX_CHAIN];
	size_t len[TLS_MAX_CHAIN];
};

struct tls_facts {
	/* ClientHello */
	uint8_t client_hello;		/* seen */
	uint8_t sslv2_client_hello;	/* in SSLv2-compatible form */
	uint16_t client_legacy_version; /* ClientHello.legacy_version */
	uint16_t client_max_version;	/* highest offered (supported_versions or legacy) */
	uint16_t client_versions[TLSD_MAX_VERSIONS]; /* supported_versions, GREASE removed */
	uint8_t n_client_versions;
	uint16_t client_groups[TLSD_MAX_GROUPS]; /* supported_groups in order, GREASE removed */
	uint8_t n_client_groups;
	uint16_t client_shares[TLSD_MAX_SHARES]; /* key_share entries' groups, GREASE removed */
	uint8_t n_client_shares;
	uint16_t client_suites[TLSD_MAX_SUITES]; /* cipher_suites in order, GREASE removed */
	uint8_t n_client_suites;
	uint8_t client_lists_cut;    /* a list above had more entries than it keeps */
	uint8_t client_pq_offered;   /* a post-quantum group in supported_groups (whole list) */
	uint8_t client_pq_share;     /* a post-quantum key share (whole list) */
	uint32_t client_hello_bytes; /* the ClientHello message, 4-byte header included */
	/* TCP segments that carried the ClientHello: set by the session (which
	 * sees the deliveries), never by the dissector; 0 when not counted */
	uint8_t client_hello_segments;
	uint8_t fallback_scsv;	    /* TLS_FALLBACK_SCSV offered */
	uint8_t reneg_scsv;	    /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV offered */
	uint8_t reneg_info;	    /* renegotiation_info extension (client) */
	uint8_t session_id_offered; /* non-empty legacy_session_id */
	uint8_t ticket_offered;	    /* session_ticket extension non-empty, or a PSK */
	char sni[256];		    /* server_name (host_name), "" if none */
	char alpn[64];		    /* ALPN protocols offered, comma-separated */
	char ja3[33];		    /* MD5 hex of the JA3 string, "" if no ClientHello */
	char ja4[40];		    /* JA4 (TLS client fingerprint, "t13d1516h2_..._...") */
	/* ServerHello / HelloRetryRequest */
	uint8_t server_hello;
	uint8_t hello_retry;	       /* a HelloRetryRequest was sent */
	uint16_t version;	       /* negotiated (supported_versions or legacy) */
	uint16_t cipher;	       /* negotiated suite */
	uint16_t group;		       /* key_share group (1.3) or ECDHE curve (SKE), 0 if none */
	uint16_t hrr_group;	       /* the group a HelloRetryRequest asked for, 0 if none */
	uint16_t dh_bits;	       /* DHE prime size from ServerKeyExchange */
	uint8_t resumed;	       /* echoed session ID with abbreviated handshake, or PSK */
	uint8_t downgrade_sentinel;    /* 0 none, 1 "DOWNGRD\x01" (1.2), 2 "DOWNGRD\x00" (<= 1.1) */
	uint8_t client_cert_requested; /* CertificateRequest seen */
	uint8_t server_certs;	       /* certificates in the clear Certificate message */
	uint8_t compression;	       /* compression method chosen (1 = DEFLATE) */
	char ja3s[33];
	/* progress */
	uint8_t ccs[2];	     /* ChangeCipherSpec seen, per direction */
	uint8_t established; /* Finished/first application data seen both ways */
	uint8_t alerts_n[2];
	uint8_t alerts[2][TLS_MAX_ALERTS][2]; /* [dir][i] = {level, description}, clear text only */
	uint8_t encrypted_alert[2];	      /* an alert record after CCS (content unreadable) */
	/* problems */
	uint8_t not_tls[2];	       /* the direction's bytes are not TLS records */
	uint32_t oversize_records[2];  /* record length above 2^14 + 2048 */
	uint32_t skipped_handshake[2]; /* handshake messages over max_handshake */
	uint32_t malformed[2];	       /* handshake messages that contradict the spec */
	/* volume (counted by the session after the handshake, by tls.c before) */
	uint64_t records[2];
	uint64_t app_bytes[2]; /* bytes in application_data records / after done */
	/* picked up inside TLS (set by the session): the record-layer version of
	 * the first record; 0x0303 means at least TLS 1.2 (TLS 1.3 writes it
	 * too, RFC 8446 §5.1), below that it tells nothing */
	uint16_t pickup_record_version;
};

/* Per-direction parser state, private to tls.c. */
struct tls_dir_state {
	uint8_t state;	    /* TLSD_ST_* in tls.c */
	uint8_t enc;	    /* records from here on are encrypted */
	uint8_t post_enc;   /* records seen since enc was set */
	uint8_t finished;   /* the (encrypted) Finished was seen */
	uint8_t flight;	    /* TLS 1.3: an encrypted record after the ServerHello */
	uint8_t done;	    /* nothing more to learn in the clear */
	uint8_t ccs_early;  /* ChangeCipherSpec before the version was known */
	uint8_t hs_hdr_len; /* bytes of hs_hdr held */
	uint8_t hs_hdr[4];  /* a handshake header split across records */
	uint8_t *hs_buf;    /* partial handshake message (across records) */
	uint32_t hs_len;    /* bytes held in hs_buf */
	uint32_t hs_cap;    /* bytes allocated for hs_buf */
	uint32_t hs_need;   /* length of the message being collected (header included) */
	uint32_t skip;	    /* bytes of an oversize handshake message still to skip */
	uint32_t resync;    /* bytes scanned while looking for a record header */
};

struct tls {
	const struct tls_cfg *cfg;
	struct mem *mem;
	struct tls_facts f;
	void (*on_chain)(void *ctx, const struct tls_chain *chain); /* may be NULL */
	void *chain_ctx;
	/* private to tls.c from here on */
	struct tls_priv {
		struct tls_dir_state d[2];
		uint8_t sid[32]; /* the client's legacy_session_id */
		uint8_t sid_len;
		uint8_t sid_echo;    /* the ServerHello echoed it */
		uint8_t tls13;	     /* the ServerHello chose TLS 1.3 */
		uint8_t server_cert; /* a Certificate message from the server */
		uint8_t server_ske;  /* a ServerKeyExchange */
		uint8_t new_ticket;  /* a NewSessionTicket in the clear */
		uint8_t failed;	     /* fatal alert, close, or encrypted alert before the end */
		uint8_t sslv2;	     /* an SSLv2 ServerHello ended the clear part */
		uint8_t app_seen[2]; /* application_data records per direction */
		uint8_t dead_why[2]; /* enum dissect_status once a direction is given up */
	} p;
	uint32_t events[TLSD_EV_COUNT]; /* enum tls_event counters */
};

/* Starts a dissector; cfg and mem must outlive it. */
void tls_init(struct tls *t, const struct tls_cfg *cfg, struct mem *mem);

/* In-order bytes of direction dir (0 = client, 1 = server). Whole records are
 * consumed; the rest is offered again with more. Status: OK (all taken),
 * NEED_MORE (a partial record header or record, `needed` bytes from
 * `consumed` on), SWITCH (the record that ended the clear-text handshake was
 * the last one taken), INVALID (not TLS, or a record header that cannot be
 * one: bytes are only taken from then on), TRUNC (no record boundary found
 * after a gap: given up likewise). */
struct dissect_result tls_feed(struct tls *t, int dir, const uint8_t *p, size_t n);

/* n bytes of direction dir were lost: the dissector resynchronises on the
 * next plausible record header or gives the direction up. */
void tls_gap(struct tls *t, int dir, uint64_t n);

/* Whether the clear-text part of the handshake is over in both directions
 * (or cannot be followed any more): from then on only bytes are counted. */
int tls_done(const struct tls *t);

/* Whether the first bytes of a stream look like a TLS record (or an SSLv2
 * ClientHello): 1 yes, 0 no, -1 not enough bytes to say. */
int tls_looks_like_tls(const uint8_t *p, size_t n);

/* The post-quantum verdict of a connection (docs/tls.md, "pq"). */
enum tls_pq {
	TLS_PQ_UNKNOWN = 0,	   /* no ClientHello, or no server answer to judge by */
	TLS_PQ_NEGOTIATED,	   /* the group the server chose is post-quantum */
	TLS_PQ_OFFERED_NOT_CHOSEN, /* offered in supported_groups, the server chose another */
	TLS_PQ_NOT_OFFERED,	   /* the client offered no post-quantum group */
};

/* The verdict from the facts: the group the server chose is the
 * ServerHello's key share (TLS 1.3), the ServerKeyExchange curve (TLS 1.2),
 * or, when only a HelloRetryRequest was seen, the group it asked for. */
enum tls_pq tls_pq_verdict(const struct tls_facts *f);

/* "negotiated", "offered_not_chosen", "not_offered"; NULL for unknown. */
const char *tls_pq_name(enum tls_pq v);

/* How many times event e happened on this connection. */
uint32_t tls_event_count(const struct tls *t, enum tls_event e);

/* The event's name ("truncated", "record_too_long", ...). */
const char *tls_event_name(enum tls_event e);

void tls_free(struct tls *t);

#endif
