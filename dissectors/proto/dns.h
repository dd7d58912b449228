/* dns.h — DNS messages over UDP and TCP: the header flags, the question, and
 * the resource records the mail-security view needs (RFC 1035 §4.1, RFC 3596
 * AAAA, RFC 6698 TLSA, RFC 6891 EDNS(0), RFC 4035 §3.2.3 AD, RFC 7766 §8
 * TCP framing).
 *
 * dns_parse() reads one message through the cursor in two passes: the first
 * walks every section and checks every name (compression pointers must point
 * backwards into the message and are followed at most DNS_MAX_POINTERS
 * times; a name is at most 255 bytes on the wire, RFC 1035 §2.3.4), every
 * RDLENGTH and the counts; only a message that passes is delivered, record by
 * record, to the caller's callback. A malformed message delivers nothing and
 * says why (enum dns_err). Nothing is allocated; the callback's arguments are
 * gone when it returns.
 *
 * Names are delivered in presentation form, lower-cased, without the final
 * dot ("mx1.example.net", the root is ""); a byte outside letters, digits,
 * '-', '_' and '*' is written \DDD (RFC 1035 §5.1). A name whose presentation
 * form does not fit DNS_NAME_MAX is an error (DNS_E_NAME_TOO_LONG).
 *
 * struct dns_stream reads one direction of DNS over TCP (two-byte length
 * before each message) under the contract of dissect.h, or one UDP datagram
 * at a time, and keeps the counters of what it read (enum dns_event).
 */
#ifndef SMTPTLS_DNS_H
#define SMTPTLS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/proto/dissect.h"

#define DNS_NAME_MAX	  256  /* presentation form + NUL */
#define DNS_TXT_MAX	  1024 /* a TXT record's strings, concatenated, + NUL */
#define DNS_MAX_POINTERS  64   /* compression pointers followed per name */
#define DNS_TLSA_DATA_MAX 64   /* SHA-512; longer (matching type 0) is kept as its SHA-512 */

/* Record types the view uses (IANA DNS parameters). */
enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_OPT = 41,
	DNS_T_DS = 43,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_NSEC3 = 50,
	DNS_T_TLSA = 52,
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

enum dns_section { DNS_SEC_ANSWER = 1, DNS_SEC_AUTHORITY = 2, DNS_SEC_ADDITIONAL = 3 };

/* Why a message was not delivered. */
enum dns_err {
	DNS_OK = 0,
	DNS_E_TRUNC,	     /* the message ends inside a header, name or record */
	DNS_E_POINTER_LOOP,  /* more than DNS_MAX_POINTERS pointers, or one that
				* does not point backwards */
	DNS_E_POINTER_RANGE, /* a pointer past the end of the message */
	DNS_E_NAME_TOO_LONG, /* over 255 bytes on the wire, or its presentation
				* form does not fit DNS_NAME_MAX */
	DNS_E_LABEL,	     /* a label type other than 0 and pointer (0x40, 0x80) */
	DNS_E_RDATA,	     /* RDATA that contradicts its type (A not 4 bytes, ...) */
	DNS_E_TRAILING,	     /* bytes after the last counted record */
	DNS_E_COUNT,
};

/* A TLSA record (RFC 6698 §2.1), its association data normalised: matching
 * type 1 and 2 keep the digest (32 / 64 bytes); matching type 0 (the full
 * certificate or SubjectPublicKeyInfo) keeps the SHA-512 of the data, with
 * full_digest = 1, so that it can be compared with a certificate's SHA-512
 * digest (equal data, equal digests). A digest of the wrong length for its
 * matching type is kept as it is, with bad_length = 1 (such a record is
 * unusable, RFC 7672 §3.1.3). */
struct dns_tlsa {
	uint8_t usage;	  /* 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE */
	uint8_t selector; /* 0 full certificate, 1 SubjectPublicKeyInfo */
	uint8_t mtype;	  /* 0 exact, 1 SHA2-256, 2 SHA2-512 */
	uint8_t len;	  /* bytes of data used */
	uint8_t full_digest;
	uint8_t bad_length;
	uint8_t data[DNS_TLSA_DATA_MAX];
};

/* Sets t from a record's fields and association data (len bytes). Returns 0,
 * or -1 when the SHA-512 of matching-type-0 data cannot be computed. */
int dns_tlsa_set(struct dns_tlsa *t, uint8_t usage, uint8_t selector, uint8_t mtype,
		 const uint8_t *data, size_t len);

/* The header and question of a message. */
struct dns_msg {
	uint16_t id;
	uint8_t qr, opcode, aa, tc, rd, ra, ad, cd;
	uint16_t rcode; /* with the EDNS extended bits when an OPT record came */
	uint16_t qdcount, ancount, nscount, arcount;
	char qname[DNS_NAME_MAX]; /* the first question ("" when none) */
	uint16_t qtype, qclass;
	uint8_t edns;		/* an OPT record was present */
	uint8_t edns_do;	/* its DO bit */
	uint16_t edns_udp_size; /* its requestor's payload size */
};

/* One resource record. The union member that holds data is the one of
 * `type`; records of other types come with only the common fields. */
struct dns_rr {
	uint8_t section; /* enum dns_section */
	char name[DNS_NAME_MAX];
	uint16_t type, cls;
	uint32_t ttl;
	uint16_t rdlength;
	union {
		uint8_t addr[16]; /* A: 4 bytes, AAAA: 16 */
		struct {
			uint16_t pref;
			char host[DNS_NAME_MAX];
		} mx;
		char target[DNS_NAME_MAX]; /* CNAME */
		struct dns_tlsa tlsa;
		struct {
			uint16_t len;		/* bytes in text */
			uint8_t truncated;	/* longer than DNS_TXT_MAX - 1 */
			char text[DNS_TXT_MAX]; /* the strings concatenated (RFC 7208
						 * §3.3 style), non-printable bytes as '?' */
		} txt;
		struct {
			uint16_t type_covered;
		} rrsig;
	} u;
};

/* Called for every record of a delivered message, in wire order. The OPT
 * record is not delivered (its facts are in msg). */
typedef void (*dns_rr_fn)(void *ctx, const struct dns_msg *msg, const struct dns_rr *rr);

/* Parses one message of n bytes. Returns DNS_OK after delivering every
 * record to fn (fn may be NULL: header and question only), or the error of a
 * malformed message, having delivered nothing; *msg is filled in both cases
 * as far as the header and the question could be read. */
enum dns_err dns_parse(const uint8_t *p, size_t n, struct dns_msg *msg, dns_rr_fn fn, void *ctx);

/* The stable name of an error ("pointer_loop", ...). */
const char *dns_err_name(enum dns_err e);

/* What a struct dns_stream counts. */
enum dns_event {
	DNS_EV_MESSAGE,	  /* a message delivered */
	DNS_EV_MALFORMED, /* a message refused by dns_parse() (see errors[]) */
	DNS_EV_GAP,	  /* TCP: bytes lost; the stream is given up */
	DNS_EV_COUNT,
};

/* One direction of DNS over TCP, or a source of UDP datagrams. */
struct dns_stream {
	dns_rr_fn rr;					 /* may be NULL */
	void (*msg)(void *ctx, const struct dns_msg *m); /* after each delivered
							  * message, may be NULL */
	void *ctx;
	uint8_t dead; /* TCP: given up after a gap */
	uint32_t events[DNS_EV_COUNT];
	uint32_t errors[DNS_E_COUNT]; /* malformed messages by reason */
};

/* Bytes of one direction of DNS over TCP (RFC 7766 §8: each message after a
 * two-byte length). Whole messages are consumed; a partial one answers
 * NEED_MORE with the bytes it still needs. A length of 0 is INVALID; once
 * dead (INVALID or a gap) every offer is taken and ignored. */
struct dissect_result dns_tcp_feed(struct dns_stream *s, const uint8_t *p, size_t n);

/* n bytes of a TCP direction were lost: message boundaries are unknown from
 * then on, the stream is given up (counted). */
void dns_tcp_gap(struct dns_stream *s, uint64_t n);

/* One UDP datagram's payload. */
void dns_udp(struct dns_stream *s, const uint8_t *p, size_t n);

/* "message", "malformed", "gap". */
const char *dns_event_name(enum dns_event e);

#endif
