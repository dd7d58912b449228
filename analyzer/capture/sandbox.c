/* sandbox.c — the seccomp deny list (docs/usage.md, "Sandbox"). */
#include "analyzer/capture/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <seccomp.h>

/* CLONE_THREAD (linux/sched.h; sched.h shows it only with _GNU_SOURCE) */
#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

/* System calls that fail with EPERM, whatever their arguments. */
static const char *const sandbox_denied[] = {
	"execve",
	"execveat",
	"fork",
	"vfork",
	"process_vm_readv",
	"process_vm_writev",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"unshare",
	"setns",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"bpf",
	"perf_event_open",
	"keyctl",
	"add_key",
	"request_key",
	"userfaultfd",
	"personality",
	"acct",
	"swapon",
	"swapoff",
	"reboot",
	"settimeofday",
	"clock_settime",
	"adjtimex",
	"setuid",
	"setgid",
	"setreuid",
	"setregid",
	"setresuid",
	"setresgid",
	"setgroups",
	"setfsuid",
	"setfsgid",
	"io_uring_setup",
	"open_by_handle_at",
};

int sandbox_enter(unsigned flags, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot create a filter");
		return -1;
	}
	int rc = 0;
	const char *what = "";
	for (size_t i = 0; i < sizeof(sandbox_denied) / sizeof(sandbox_denied[0]) && !rc; i++) {
		int nr = seccomp_syscall_resolve_name(sandbox_denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		what = sandbox_denied[i];
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (!rc) {
		/* network sockets: only AF_UNIX (syslog) may be created; with
		 * SANDBOX_NET also AF_INET and AF_INET6 (and the older families
		 * numbered below them), never packet or netlink sockets */
		what = "socket";
		const struct scmp_arg_cmp not_unix = {0, SCMP_CMP_NE, AF_UNIX, 0};
		const struct scmp_arg_cmp past_inet6 = {0, SCMP_CMP_GT, AF_INET6, 0};
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
					    flags & SANDBOX_NET ? &past_inet6 : &not_unix);
	}
	if (!rc) {
		/* clone3's arguments are in memory, out of the filter's reach:
		 * ENOSYS makes the C library use clone, which can be checked */
		what = "clone3";
		int nr = seccomp_syscall_resolve_name("clone3");
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	}
	if (!rc && !SANDBOX_ASAN) {
		what = "clone";
		const struct scmp_arg_cmp no_thread = {0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0};
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					    &no_thread);
		if (!rc) {
			what = "ptrace";
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ptrace), 0);
		}
	}
	if (!rc) {
		what = "load";
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (rc) {
		snprintf(err, errlen, "seccomp: %s: %s", what, strerror(-rc));
		return -1;
	}
	return 0;
}
