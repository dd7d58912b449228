/* sandbox.h — a seccomp filter for the analysis (libseccomp).
 *
 * Once its inputs, outputs and capture are set up, smtptls has no reason to
 * run a program, start a process, trace one, open a network socket, load a
 * kernel module or change its identity. sandbox_enter() installs a filter
 * that makes those system calls fail with EPERM (or ENOSYS for clone3, so
 * that the C library falls back to clone for threads), so that a bug in a
 * parser of network bytes cannot be turned into a shell or a connection out.
 *
 * It is a deny list, not an allow list: every other call behaves as before,
 * so a new C library, libpcap or SQLite version that uses a call we never
 * listed keeps working. No call kills the process. Threads (clone with
 * CLONE_THREAD) and AF_UNIX sockets (syslog) stay allowed, and with
 * SANDBOX_NET TCP/IP sockets too (a history database across the network,
 * reconnected after an outage); packet and netlink sockets never. The filter is
 * inherited by every thread created afterwards and cannot be removed.
 *
 * Under AddressSanitizer, ptrace and clone without CLONE_THREAD stay allowed:
 * LeakSanitizer stops the process with them at exit.
 */
#ifndef SMTPTLS_SANDBOX_H
#define SMTPTLS_SANDBOX_H

#include <stddef.h>

/* Installs the filter on the calling thread (and all it creates later).
 * 0, or -1 with a message in err. */
#define SANDBOX_NET 1u

int sandbox_enter(unsigned flags, char *err, size_t errlen);

#endif
