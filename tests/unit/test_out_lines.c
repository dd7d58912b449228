/* Unit tests for the line files of dissectors/base/out.c: a file size limit
 * (RLIMIT_FSIZE) makes the kernel cut a write short exactly as a full disk
 * does; the file must then end with its last whole line, the line be counted
 * as lost, and writing resume once the limit is raised. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dissectors/base/out.h"

#define LINE_LEN 100

static void make_line(char *buf, int i)
{
	memset(buf, 'a' + i % 26, LINE_LEN - 1);
	buf[LINE_LEN - 1] = '\n';
}

/* Every line of the file is whole: LINE_LEN bytes ending in a newline. */
static long whole_lines(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char buf[LINE_LEN];
	long n = 0;
	size_t got;
	while ((got = fread(buf, 1, LINE_LEN, fp)) == LINE_LEN) {
		assert_int_equal(buf[LINE_LEN - 1], '\n');
		assert_null(memchr(buf, '\n', LINE_LEN - 1));
		n++;
	}
	assert_int_equal(got, 0); /* no half line at the end */
	fclose(fp);
	return n;
}

static void test_short_write_cut_back(void **state)
{
	(void)state;
	char path[] = "/tmp/smtptls-out-lines-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct out_lines o = {.fd = -1};
	char err[256];
	assert_int_equal(out_lines_open(&o, path, err, sizeof(err)), 0);
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	/* room for 10.5 lines: the 11th write is cut short, then refused */
	lim = old;
	lim.rlim_cur = 10 * LINE_LEN + LINE_LEN / 2;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char line[LINE_LEN];
	for (int i = 0; i < 14; i++) {
		make_line(line, i);
		assert_int_equal(out_lines_write(&o, line, LINE_LEN), i < 10 ? 0 : -1);
	}
	assert_int_equal(o.written, 10);
	assert_int_equal(o.lost, 4);
	assert_true(o.failing);
	assert_int_equal(whole_lines(path), 10);
	/* space returns: writing resumes after the last whole line */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	make_line(line, 20);
	assert_int_equal(out_lines_write(&o, line, LINE_LEN), 0);
	assert_false(o.failing);
	assert_int_equal(whole_lines(path), 11);
	/* a reopen (log rotation) keeps the counters */
	out_lines_close(&o);
	assert_int_equal(out_lines_open(&o, path, err, sizeof(err)), 0);
	assert_int_equal(out_lines_write(&o, line, LINE_LEN), 0);
	assert_int_equal(o.written, 12);
	assert_int_equal(o.lost, 4);
	assert_int_equal(whole_lines(path), 12);
	out_lines_close(&o);
	assert_int_equal(o.fd, -1);
	/* a closed file loses its lines (counted) */
	assert_int_equal(out_lines_write(&o, line, LINE_LEN), -1);
	assert_int_equal(o.lost, 5);
	signal(SIGXFSZ, SIG_DFL);
	unlink(path);
}

static void test_open_fails(void **state)
{
	(void)state;
	struct out_lines o = {.fd = -1};
	char err[256] = "";
	assert_int_equal(out_lines_open(&o, "/nonexistent-dir/x.jsonl", err, sizeof(err)), -1);
	assert_int_equal(o.fd, -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.jsonl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_write_cut_back),
		cmocka_unit_test(test_open_fails),
	};
	return cmocka_run_group_tests_name("out_lines", tests, NULL, NULL);
}
