/* source.h — packet sources: capture files and directories of them.
 *
 * src_expand() turns the command line's inputs into a list of files: a file is
 * taken as named; a directory is walked recursively for *.pcap, *.pcapng and
 * *.cap, sorted by path so the order is the same on every machine.
 * src_read_file() reads one pcap or pcapng file (libpcap) into the engine.
 */
#ifndef SMTPTLS_SOURCE_H
#define SMTPTLS_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>

#include "analyzer/session/engine.h"

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

/* Reads every packet of path into e, then, when o->end_input, ends its
 * connections (eng_end_input). Returns 0, or -1 with the reason in err (the
 * packets read before a failure are kept). */
int src_read_file(struct engine *e, const char *path, const struct src_opts *o, char *err,
		  size_t errlen);

/* Checks that a BPF expression compiles; -1 with libpcap's message in err. */
int src_check_bpf(const char *expr, char *err, size_t errlen);

#endif
