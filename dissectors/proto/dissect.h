/* dissect.h — the contract between a dissector and the code that feeds it
 * (Suricata's AppLayerResult and the checks app-layer-parser.c makes on it).
 *
 * A dissector is offered the unconsumed bytes of one direction, [p, p+len),
 * and answers with a struct dissect_result:
 *
 *   status      consumed          needed    meaning
 *   OK          == len            0         everything was taken
 *   NEED_MORE   <= len            >= 1      the bytes from `consumed` on are the
 *                                           start of a unit of at least `needed`
 *                                           bytes: consumed + needed > len
 *   WAIT        <= len            0         the rest waits for the other
 *                                           direction (e.g. a reply to DATA)
 *   TRUNC       == len            0         the capture lost bytes the dissector
 *                                           cannot do without: it gave the
 *                                           direction up, bytes are only taken
 *   INVALID     == len            0         the bytes contradict the protocol:
 *                                           given up, bytes are only taken
 *   SWITCH      <= len            0         the bytes from `consumed` on belong
 *                                           to another reader (STARTTLS: TLS
 *                                           starts at that exact byte; TLS: the
 *                                           clear-text handshake is over)
 *
 * The caller keeps what was not consumed and offers it again with more; the
 * dissector keeps no pointer into the bytes. dissect_violation() is the
 * caller's check: a result that breaks the table is a bug in the dissector,
 * counted by the caller, never trusted (Suricata: consumed > len, or
 * needed + consumed < len on "incomplete").
 */
#ifndef SMTPTLS_DISSECT_H
#define SMTPTLS_DISSECT_H

#include <stddef.h>
#include <stdint.h>

enum dissect_status {
	DISSECT_OK = 0,
	DISSECT_NEED_MORE,
	DISSECT_WAIT,
	DISSECT_TRUNC,
	DISSECT_INVALID,
	DISSECT_SWITCH,
};

struct dissect_result {
	enum dissect_status status;
	size_t consumed; /* bytes taken from the start of the offer */
	size_t needed;	 /* NEED_MORE: bytes wanted from `consumed` on */
};

static inline struct dissect_result dissect_result(enum dissect_status status, size_t consumed,
						   size_t needed)
{
	struct dissect_result r = {status, consumed, needed};
	return r;
}

/* Whether r breaks the contract for an offer of len bytes (see the table). */
static inline int dissect_violation(const struct dissect_result *r, size_t len)
{
	if (r->consumed > len)
		return 1;
	switch (r->status) {
	case DISSECT_OK:
	case DISSECT_TRUNC:
	case DISSECT_INVALID: return r->consumed != len;
	case DISSECT_NEED_MORE: return r->needed == 0 || r->needed <= len - r->consumed;
	case DISSECT_WAIT:
	case DISSECT_SWITCH: return 0;
	}
	return 1;
}

#endif
