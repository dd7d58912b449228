/* sess.h — the per-connection session: the consumer of both reassembled byte
 * streams. It drives the application dissectors and keeps what they found
 * until the connection's record is built.
 *
 * Ownership: a struct sess lives inside its flow and is released with it.
 */
#ifndef SMTPTLS_SESS_H
#define SMTPTLS_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/rsm.h"

/* An observer of the reassembled streams (tests and debugging tools): sees
 * every byte and gap the session sees. id identifies the connection. */
struct sess_tap {
	void (*data)(void *ctx, uint64_t id, int dir, const uint8_t *p, size_t n);
	void (*gap)(void *ctx, uint64_t id, int dir, uint64_t n);
	void *ctx;
};

struct sess {
	uint64_t stream_bytes[2];   /* in-order bytes seen, per direction */
	uint64_t lost_bytes[2];	    /* bytes reported lost, per direction */
	const struct sess_tap *tap; /* NULL, or borrowed from the run */
	uint64_t id;
};

/* The reassembly callbacks whose context is a struct sess. */
const struct rsm_ops *sess_ops(void);

#endif
