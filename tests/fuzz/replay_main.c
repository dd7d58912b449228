/* replay_main.c — the driver that stands in for libFuzzer in the normal build:
 * calls LLVMFuzzerTestOneInput() once for every file named on the command line
 * and every file of every directory named (not recursively, in name order,
 * skipping README* and dot files). A crash or sanitizer report fails the run
 * (the input's path is printed first); otherwise it prints "N inputs replayed"
 * and exits 0. An unreadable file or directory exits 1.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads a whole file; *n is its size. Returns NULL on error (errno set). */
static uint8_t *replay_slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			uint8_t *q = realloc(buf, cap * 2);
			if (!q) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = q;
			cap *= 2;
		}
		size_t k = fread(buf + len, 1, cap - len, fp);
		len += k;
		if (k == 0) {
			if (ferror(fp)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	fclose(fp);
	*n = len;
	return buf;
}

static int replay_file(const char *path, unsigned long *count)
{
	size_t n = 0;
	uint8_t *buf = replay_slurp(path, &n);
	if (!buf) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Said before the call: if the input crashes, this is its name. */
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	/* An exactly sized copy, so that reading one byte past the input is
	 * caught by AddressSanitizer as it is under libFuzzer. */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		fprintf(stderr, "replay: %s: out of memory\n", path);
		return -1;
	}
	if (n)
		memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	(*count)++;
	return 0;
}

static int replay_cmp(const void *a, const void *b)
{
	char *const *x = a;
	char *const *y = b;
	return strcmp(*x, *y);
}

static int replay_skip(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int replay_dir(const char *dir, unsigned long *count)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (replay_skip(de->d_name))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **q = realloc(names, ncap * sizeof(*q));
			if (!q) {
				rc = -1;
				break;
			}
			names = q;
			cap = ncap;
		}
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		names[n] = malloc(len);
		if (!names[n]) {
			rc = -1;
			break;
		}
		snprintf(names[n], len, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (rc != 0)
		fprintf(stderr, "replay: %s: out of memory\n", dir);
	if (n)
		qsort(names, n, sizeof(*names), replay_cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = replay_file(names[i], count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		int rc = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count)
					     : replay_file(argv[i], &count);
		if (rc != 0)
			return 1;
	}
	printf("%lu inputs replayed\n", count);
	return 0;
}
