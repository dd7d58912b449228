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

#endif
