#pragma once
// Linux interfaces the Glibc module does not export: epoll, eventfd, TCP options, and a thread's
// scheduling policy and name.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <malloc.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <sys/prctl.h>

// accept4 is declared only under _GNU_SOURCE, which the Glibc module is not built with.
static inline int csystem_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return (int)syscall(SYS_accept4, fd, address, length, flags);
}

// pipe2 is declared only under _GNU_SOURCE too; close-on-exec must be set atomically when other
// threads may spawn processes meanwhile.
static inline int csystem_pipe2(int fds[2], int flags) {
    return (int)syscall(SYS_pipe2, fds, flags);
}

// The calling thread's scheduling policy (event loop threads; see RPC's LoopScheduling). sched.h
// names SCHED_BATCH only under _GNU_SOURCE, so the kernel's numbers are spelled out here.
#define CSYSTEM_SCHED_OTHER 0
#define CSYSTEM_SCHED_BATCH 3

static inline int csystem_set_thread_policy(int policy) {
    struct sched_param param = { .sched_priority = 0 };
    return (int)syscall(SYS_sched_setscheduler, 0, policy, &param);
}

static inline int csystem_thread_policy(void) {
    return (int)syscall(SYS_sched_getscheduler, 0);
}

// Names the calling thread (at most 15 bytes are kept), as `top -H` and /proc show it.
static inline int csystem_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
