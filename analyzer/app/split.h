/* split.h — one capture file on several cores (--jobs N with one input).
 *
 * A reader thread reads the file and decodes each frame once; the engines
 * get the decoded packet and its payload (eng_decoded_at), never the frame.
 * A mail segment goes to the engine of its mail server (the address and
 * port on the mail-port side), so every connection of one server, and its
 * certificate inference, lives in one engine. Engine 0 runs in the reader's
 * own thread, on libpcap's buffer, and gets one share of the servers where
 * each other engine (a thread of its own, fed batches) gets two: N jobs are
 * N engines in N threads, plus the merging thread. Every other engine gets a
 * tick for a segment, so
 * each engine ends its closed and idle connections at the same capture
 * moments the single engine would. DNS packets go to every engine: each keeps
 * the whole DNS view, and engine 0's DNS counters are the run's. The reader
 * counts the frames, bytes and decode results once.
 *
 * Each engine's records carry their place in the single engine's output
 * (eng_decoded_at); the calling thread merges the engines' streams by it,
 * an engine's watermark telling how far it has read, and runs the records
 * through the sinks in that order. The output is what one engine writes as
 * long as no limit is reached: --max-flows and --max-reassembly apply to
 * each engine, and the reassembly peak (health.rsm_peak_bytes) is the
 * largest of the engines' peaks, not the peak of their sum.
 */
#ifndef SMTPTLS_SPLIT_H
#define SMTPTLS_SPLIT_H

#include "analyzer/app/cli.h"
#include "analyzer/app/run.h"

/* Analyses the file at path with a->jobs engines into the sinks; its health
 * counters are added to sinks->agg. Returns 0, 1 when the file could not be
 * read to the end (the message is on stderr), or -1 when the run failed (out
 * of memory, a write error). */
long split_file(const struct cli_analyze *a, const char *path, struct run_sinks *sinks);

#endif
