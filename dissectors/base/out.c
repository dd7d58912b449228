/* out.c — atomic output files (temporary file + rename). */
#include "dissectors/base/out.h"

#include <errno.h>
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
