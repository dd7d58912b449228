/* out.h — output files written atomically.
 *
 * A regular file is written to a temporary file beside it and renamed into
 * place on out_commit(), so a failed or interrupted run never leaves half a
 * file. "-" is standard output; an existing non-regular file (/dev/null, a
 * FIFO) is written directly.
 */
#ifndef SMTPTLS_OUT_H
#define SMTPTLS_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct out_file {
	FILE *fp;
	char *path; /* final name (owned) */
	char *tmp;  /* temporary name, NULL when writing directly (owned) */
	int is_stdout;
};

/* Opens path for writing. Returns 0, or -1 with a message in err. */
int out_open(struct out_file *o, const char *path, char *err, size_t errlen);

/* Flushes, syncs and renames into place. Returns 0, or -1 with a message. */
int out_commit(struct out_file *o, char *err, size_t errlen);

/* Discards what was written (the temporary file is removed). */
void out_abort(struct out_file *o);

/* A file of lines (JSON Lines) a long-running process appends to: the live
 * sensor's records and alerts. Each line goes out with one write(2); when
 * the write is short (the disk filled in the middle of it), the file is cut
 * back to its last complete line, so a reader never sees half a line. A
 * line that cannot be written is counted as lost and the writer carries on:
 * the next line is tried again, and writing resumes once space returns.
 * "-" is standard output (a pipe or terminal: not cut back, not closed). */
struct out_lines {
	int fd;		  /* -1: not open */
	int is_stdout;	  /* fd is standard output (never closed here) */
	int failing;	  /* the last line could not be written */
	int err;	  /* errno of the last failure */
	uint64_t written; /* lines written */
	uint64_t lost;	  /* lines that could not be written */
};

/* Opens path for appending (created 0644 when missing). Only fd and
 * is_stdout are set: the counters and the failing state are kept across a
 * reopen (log rotation). 0, or -1 with a message in err. */
int out_lines_open(struct out_lines *o, const char *path, char *err, size_t errlen);

/* Writes one line of len bytes (the caller's '\n' included) whole or not at
 * all. 0 when written; -1 when lost (counted, o->err says why). */
int out_lines_write(struct out_lines *o, const char *line, size_t len);

/* Closes the file (not standard output); the counters stay. */
void out_lines_close(struct out_lines *o);

#endif
