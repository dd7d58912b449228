/* out.c — atomic output files (temporary file + rename). */
#include "dissectors/base/out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int out_open(struct out_file *o, const char *path, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		o->is_stdout = 1;
		return 0;
	}
	o->path = strdup(path);
	if (!o->path)
		goto nomem;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->fp = fopen(path, "w");
		if (!o->fp) {
			snprintf(err, errlen, "%s: cannot open for writing: %s", path,
				 strerror(errno));
			goto fail;
		}
		return 0;
	}
	size_t n = strlen(path) + sizeof(".tmp.XXXXXX");
	o->tmp = malloc(n);
	if (!o->tmp)
		goto nomem;
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path,
			 strerror(errno));
		goto fail;
	}
	fchmod(fd, 0644);
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(o->tmp);
		goto fail;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	return -1;
}

int out_commit(struct out_file *o, char *err, size_t errlen)
{
	int rc = 0;
	if (!o->fp)
		return 0;
	if (o->is_stdout) {
		if (fflush(stdout) != 0) {
			snprintf(err, errlen, "standard output: %s", strerror(errno));
			rc = -1;
		}
		o->fp = NULL;
		return rc;
	}
	if (fflush(o->fp) != 0 || ferror(o->fp)) {
		snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(errno));
		rc = -1;
	} else if (o->tmp && fsync(fileno(o->fp)) != 0) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		rc = -1;
	}
	if (fclose(o->fp) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", o->path, strerror(errno));
		rc = -1;
	}
	o->fp = NULL;
	if (o->tmp) {
		if (rc == 0 && rename(o->tmp, o->path) != 0) {
			snprintf(err, errlen, "%s: cannot rename into place: %s", o->path,
				 strerror(errno));
			rc = -1;
		}
		if (rc != 0)
			unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return rc;
}

void out_abort(struct out_file *o)
{
	if (o->fp && !o->is_stdout)
		fclose(o->fp);
	if (o->tmp)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

int out_lines_open(struct out_lines *o, const char *path, char *err, size_t errlen)
{
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		o->is_stdout = 1;
		return 0;
	}
	o->is_stdout = 0;
	o->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Cuts a regular file back by the n bytes a short write left at its end,
 * and puts the offset there (standard output need not be in append mode).
 * A pipe cannot be cut: lseek() fails on it and nothing is done. */
static void out_lines_cut(int fd, size_t n)
{
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < (off_t)n || ftruncate(fd, end - (off_t)n) != 0)
		return; /* nothing more to do: the next line is tried anyway */
	lseek(fd, end - (off_t)n, SEEK_SET);
}

int out_lines_write(struct out_lines *o, const char *line, size_t len)
{
	if (o->fd < 0) {
		o->err = EBADF;
		goto lost;
	}
	ssize_t n;
	do
		n = write(o->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		o->written++;
		o->failing = 0;
		return 0;
	}
	if (n < 0) {
		o->err = errno;
	} else {
		/* a short write: the disk is full (the next write would say so) */
		o->err = ENOSPC;
		out_lines_cut(o->fd, (size_t)n);
	}
lost:
	o->lost++;
	o->failing = 1;
	return -1;
}

void out_lines_close(struct out_lines *o)
{
	if (o->fd >= 0 && !o->is_stdout)
		close(o->fd);
	o->fd = -1;
	o->is_stdout = 0;
}
