/* tls_hs.h — private to the TLS dissector (tls.c: record layer, tls_hs.c:
 * handshake messages): the message parsers and the event counting both share.
 * Nothing outside dissectors/proto/tls*.c includes it.
 */
#ifndef SMTPTLS_TLS_HS_H
#define SMTPTLS_TLS_HS_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/cur.h"
#include "dissectors/proto/tls.h"

/* Counts event e (saturating). */
static inline void tls_hs_event(struct tls *t, enum tls_event e)
{
	if (t->events[e] != UINT32_MAX)
		t->events[e]++;
}

/* A message of direction dir whose bytes contradict its lengths or the spec:
 * counted in the facts (malformed) and as an event of the cursor's error kind
 * (enum cur_err; anything else counts as invalid). */
static inline void tls_hs_malformed(struct tls *t, int dir, int kind)
{
	t->f.malformed[dir]++;
	tls_hs_event(t, kind == CUR_TRUNC      ? TLSD_EV_TRUNCATED
			: kind == CUR_TRAILING ? TLSD_EV_TRAILING
					       : TLSD_EV_INVALID);
}

/* One whole handshake message (header included) from direction dir. */
void tls_hs_msg(struct tls *t, int dir, const uint8_t *p, size_t n);

/* The body of an SSLv2-compatible ClientHello (RFC 5246 E.2), after its
 * msg_type byte. */
void tls_hs_sslv2_client_hello(struct tls *t, struct cur *m);

#endif
