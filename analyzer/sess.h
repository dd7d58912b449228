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

struct sess {
	uint64_t stream_bytes[2]; /* in-order bytes seen, per direction */
	uint64_t lost_bytes[2];   /* bytes reported lost, per direction */
};

/* The reassembly callbacks whose context is a struct sess. */
const struct rsm_ops *sess_ops(void);

#endif
