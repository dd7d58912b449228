/* source.h — packet sources: capture files and directories of them.
 *
 * src_expand() turns the command line's inputs into a list of files: a file is
 * taken as named; a directory is walked recursively for *.pcap, *.pcapng and
 * *.cap, sorted by path so the order is the same on every machine.
 * src_read_file() reads one pcap or pcapng file (libpcap) and hands each
 * packet to a consumer (struct src_sink) the caller chooses: the capture
 * layer knows packets and files, not what reads them.
 */
#ifndef SMTPTLS_SOURCE_H
#define SMTPTLS_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>

struct src_list {
	char **paths; /* owned */
	size_t n, cap;
	size_t failed; /* inputs or directory entries that could not be listed */
};

/* Appends the files of one input. Problems are reported on err_out, one line
 * each, and counted in list->failed. Returns -1 only when out of memory. */
int src_expand(struct src_list *list, const char *input, FILE *err_out);

void src_list_free(struct src_list *list);

/* What a reader has done so far, read by another thread for the progress
 * line (hence atomic; updated every few thousand packets). */
struct src_progress {
	_Atomic uint64_t bytes_read;
	_Atomic uint64_t packets;
	_Atomic uint64_t connections; /* connections the engine has seen */
};

struct src_opts {
	const char *bpf;	       /* NULL: no filter */
	struct src_progress *progress; /* NULL: not counted */
	int end_input;		       /* end the connections at the end of the file */
};

/* The consumer of a capture file's packets (the application points it at
 * the engine). Every callback gets ctx. */
struct src_sink {
	void *ctx;
	/* Whether packets of this link type (DLT_*) can be read; a file of
	 * another type is refused. */
	int (*link_ok)(void *ctx, int dlt);
	/* The file is open and about to be read (counted as read). */
	void (*begin)(void *ctx);
	/* The file's snap length (its header's; 0 when it gives none): a
	 * short one cuts payloads. May be NULL; called after begin. */
	void (*snaplen)(void *ctx, uint32_t snaplen);
	/* One packet: capture time in microseconds, the bytes captured and the
	 * length on the wire. The bytes are valid during the call only. */
	void (*packet)(void *ctx, int dlt, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
		       uint32_t len);
	/* The end of the input: every connection is ended (src_opts.end_input). */
	void (*end)(void *ctx);
	/* The connections seen so far, for the progress line. */
	uint64_t (*connections)(void *ctx);
};

/* Reads every packet of path into the sink, then, when o->end_input, ends
 * the input (sink->end). Returns 0, or -1 with the reason in err (the
 * packets read before a failure are kept). */
int src_read_file(const struct src_sink *sink, const char *path, const struct src_opts *o,
		  char *err, size_t errlen);

/* Checks that a BPF expression compiles; -1 with libpcap's message in err. */
int src_check_bpf(const char *expr, char *err, size_t errlen);

#endif
