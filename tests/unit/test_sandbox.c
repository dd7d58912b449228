/* Unit tests for analyzer/capture/sandbox.c: in a child process with the filter on,
 * programs, processes and network sockets are refused; threads, files and
 * AF_UNIX sockets still work. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/capture/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN 0
#endif

static void *test_thread(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* What the child checks; its exit status is the number of the first check
 * that failed (0: all passed). */
static int child_checks(void)
{
	char err[256];
	if (sandbox_enter(0, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	char prog[] = "/bin/false"; /* if it ran, the child would exit 1 */
	char *const argv[] = {prog, NULL};
	char *const envp[] = {NULL};
	if (execve(prog, argv, envp) != -1 || errno != EPERM)
		return 2;
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EPERM)
		return 3;
	if (socket(AF_INET6, SOCK_DGRAM, 0) != -1 || errno != EPERM)
		return 4;
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (u < 0)
		return 5;
	close(u);
	pthread_t t;
	int v = 0;
	if (pthread_create(&t, NULL, test_thread, &v) != 0 || pthread_join(t, NULL) != 0 || v != 42)
		return 6;
	char path[] = "/tmp/smtptls-sandbox-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "ok", 2) != 2)
		return 7;
	close(fd);
	unlink(path);
	if (!TEST_ASAN) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p != -1 || errno != EPERM)
			return 8;
	}
	if (setuid(getuid()) != -1 || errno != EPERM)
		return 9;
	return 0;
}

static void test_denied_and_allowed(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks());
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_denied_and_allowed),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
