/* smtp.h — SMTP dissector (RFC 5321, ESMTP extensions: RFC 3207 STARTTLS,
 * RFC 2920 PIPELINING, RFC 3030 CHUNKING/BDAT, RFC 4954 AUTH).
 *
 * A state machine over both directions of one connection. Each direction's
 * in-order bytes go to smtp_feed(), which answers with a struct
 * dissect_result (dissectors/proto/dissect.h); the rest is offered again with
 * more (the reassembler keeps it, up to its cap). Lines are framed through the
 * cursor; lines longer than cfg->max_line are counted and skipped up to the
 * next LF.
 *
 * Replies are matched to commands in order (pipelining). The dissector
 * decides when a direction upgrades to TLS: after the client's STARTTLS and
 * the server's 220, smtp_feed() answers SWITCH, for both directions, at the
 * byte after the 220 reply (server) and after the STARTTLS line (client).
 * Client bytes sent after STARTTLS before the 220 arrived are not consumed
 * (WAIT): they are the first bytes past the client's boundary. What happens
 * there (injected bytes, plain text after STARTTLS, the server's early bytes)
 * is the session's: analyzer/session/sess.c keeps the whole STARTTLS
 * boundary and fills injected_bytes.
 *
 * Events: what the dissector had to skip or drop is counted by name (enum
 * smtp_event, smtp_event_count()). The counters are not written into any
 * output yet; they are meant for the engine's health counters and, per
 * connection, for the record's anomaly list.
 *
 * No mail address and no message content is kept: only counts, the banner,
 * the EHLO/HELO argument, capabilities and the AUTH mechanism.
 *
 * Ownership: struct smtp is plain fixed-size data inside the session.
 */
#ifndef SMTPTLS_SMTP_H
#define SMTPTLS_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/proto/dissect.h"

#define SMTP_MAX_CAPS	 32
#define SMTP_CAP_LEN	 64
#define SMTP_TEXT_LEN	 256
#define SMTP_MAX_PENDING 32

enum smtp_verb {
	SMTP_V_HELO,
	SMTP_V_EHLO,
	SMTP_V_MAIL,
	SMTP_V_RCPT,
	SMTP_V_DATA,
	SMTP_V_BDAT,
	SMTP_V_RSET,
	SMTP_V_QUIT,
	SMTP_V_STARTTLS,
	SMTP_V_AUTH,
	SMTP_V_NOOP,
	SMTP_V_VRFY,
	SMTP_V_EXPN,
	SMTP_V_HELP,
	SMTP_V_OTHER,
	SMTP_V_COUNT,
	/* pseudo-commands whose replies are awaited too */
	SMTP_V_GREETING = SMTP_V_COUNT,
	SMTP_V_DATA_END, /* the end of a DATA body */
};

/* Named events of the SMTP dissector (smtp_event_name() gives the names). */
enum smtp_event {
	SMTP_EV_LINE_TOO_LONG,	 /* a line over max_line: skipped up to its LF */
	SMTP_EV_PENDING_FULL,	 /* a pipelined command dropped: the queue was full */
	SMTP_EV_UNMATCHED_REPLY, /* a reply with no command waiting */
	SMTP_EV_NOT_REPLY,	 /* a server line that is not a reply: skipped */
	SMTP_EV_BAD_BDAT,	 /* a BDAT whose chunk size is not a number */
	SMTP_EV_NOT_SMTP,	 /* the server's first bytes are not an SMTP reply */
	SMTP_EV_GAP,		 /* bytes lost by the capture */
	SMTP_EV_COUNT,
};

struct smtp_cfg {
	uint32_t max_line; /* longest line parsed; longer ones are counted and skipped */
};

/* What the dissector found; read it once the connection is over. */
struct smtp_facts {
	uint8_t greeting_seen;
	uint8_t not_smtp; /* the server's first bytes are not an SMTP reply */
	uint16_t greeting_code;
	char banner[SMTP_TEXT_LEN];	   /* greeting text after the code, truncated */
	char server_name[SMTP_TEXT_LEN];   /* first word of the banner */
	char ehlo_greeting[SMTP_TEXT_LEN]; /* first line of the EHLO reply, after the code */
	char helo[SMTP_TEXT_LEN];	   /* the argument of the first EHLO/HELO */
	uint8_t helo_verb;		   /* 0 none, SMTP_V_HELO or SMTP_V_EHLO + 1 (the first) */
	uint16_t ehlo_reply;		   /* code of the last EHLO reply, 0 if none */
	uint16_t helo_reply;
	uint8_t ncaps;
	uint8_t caps_truncated;			/* more capabilities than SMTP_MAX_CAPS */
	char caps[SMTP_MAX_CAPS][SMTP_CAP_LEN]; /* EHLO reply lines 2.., as sent */
	uint8_t starttls_offered;
	uint8_t starttls_requested;
	uint16_t starttls_reply; /* 0: none seen */
	uint8_t upgraded;	 /* STARTTLS + 220: the streams switched to TLS */
	char auth_mech[32];	 /* first AUTH mechanism used, "" if none */
	uint8_t auth_before_tls;
	uint16_t auth_reply;
	uint32_t messages;	    /* message bodies sent (DATA ended, BDAT LAST) */
	uint32_t messages_accepted; /* ... answered 2xx */
	uint32_t recipients;	    /* RCPT answered 2xx */
	uint64_t message_bytes;	    /* bytes of message bodies */
	uint32_t commands[SMTP_V_COUNT];
	uint16_t last_reply;	    /* last reply code of any command */
	uint16_t last_txn_reply;    /* last reply to the end of a message */
	uint32_t long_lines[2];	    /* lines over max_line, per direction */
	uint32_t unmatched_replies; /* replies with no command waiting */
	uint64_t injected_bytes[2]; /* plaintext sent after the STARTTLS/220 boundary */
	uint64_t gap_bytes[2];
	uint8_t client_implicit_tls; /* the client spoke TLS before any greeting */
	uint8_t software;	     /* guessed product + 1 (0: not guessed yet), see below */
	uint8_t mangled_command;     /* an 8-letter command of X or *: a masked STARTTLS */
	uint8_t tls_despite_reply;   /* after a STARTTLS reply other than 220, the client's
				      * next bytes were a TLS record */
};

struct smtp_dir {
	uint8_t state;
	uint8_t discard;  /* skipping the rest of an over-long line */
	uint8_t body_st;  /* DATA body end-of-message scanner */
	uint8_t in_reply; /* inside a multi-line reply */
	uint16_t reply_code;
	uint32_t reply_lines;
	uint64_t bdat_left;
	uint8_t bdat_last;
};

struct smtp {
	const struct smtp_cfg *cfg;
	struct smtp_facts f;
	struct smtp_dir d[2];
	uint8_t pending[SMTP_MAX_PENDING]; /* enum smtp_verb awaiting replies, FIFO */
	uint8_t npending, head;
	uint8_t auth_exchange; /* client lines are AUTH responses (never kept) */
	uint8_t midstream;
	uint8_t tls_now;		/* TLS negotiated: injection bytes were counted */
	uint8_t caps_done;		/* the capabilities of a 250 EHLO reply are kept */
	uint8_t starttls_answered;	/* STARTTLS got a reply other than 220, and no
					 * later command a reply */
	uint32_t events[SMTP_EV_COUNT]; /* enum smtp_event counters */
};

/* Starts a dissector. midstream: the connection's start was not captured, so
 * no greeting is expected. cfg must outlive it. */
void smtp_init(struct smtp *s, const struct smtp_cfg *cfg, int midstream);

/* In-order bytes of direction dir (0 = client, 1 = server). Status: OK (all
 * taken), NEED_MORE (a partial line), WAIT (client bytes after DATA or
 * STARTTLS, held until the reply), SWITCH (TLS starts at byte `consumed`:
 * STARTTLS + 220, or a client that opens with TLS), INVALID (not SMTP: the
 * direction's bytes are only taken from then on). */
struct dissect_result smtp_feed(struct smtp *s, int dir, const uint8_t *p, size_t n);

/* n bytes of direction dir were lost: resynchronise at the next line. */
void smtp_gap(struct smtp *s, int dir, uint64_t n);

/* Whether direction dir is past the STARTTLS boundary: its next byte is TLS. */
int smtp_dir_is_tls(const struct smtp *s, int dir);

/* Whether the dissector gave up on the connection (not SMTP). */
int smtp_dir_is_dead(const struct smtp *s, int dir);

/* After STARTTLS + 220 the client went on in plaintext: parse SMTP again in
 * both directions (the session calls this when the bytes are not TLS). */
void smtp_resume_plaintext(struct smtp *s);

/* On a connection taken for implicit TLS, the server greets in plain text:
 * read the server's side as SMTP replies again. */
void smtp_server_plaintext(struct smtp *s);

/* How many times event e happened on this connection. */
uint32_t smtp_event_count(const struct smtp *s, enum smtp_event e);

/* The event's name ("line_too_long", "pending_full", ...). */
const char *smtp_event_name(enum smtp_event e);

/* The verb's name in upper case ("EHLO", "OTHER"). */
const char *smtp_verb_name(enum smtp_verb v);

/* The server software guessed from the banner and the EHLO reply
 * ("Postfix", "Exim", "Microsoft Exchange", ...), or NULL. Uses the stored
 * guess when smtp_guess_software() has run. */
const char *smtp_server_software(const struct smtp_facts *f);

/* Guesses the server software once and stores it in f->software. */
void smtp_guess_software(struct smtp_facts *f);

#endif
