#pragma once
// Linux interfaces the Glibc module does not export: epoll, eventfd and TCP options.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <malloc.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

// accept4 is declared only under _GNU_SOURCE, which the Glibc module is not built with.
static inline int csystem_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return (int)syscall(SYS_accept4, fd, address, length, flags);
}

// pipe2 is declared only under _GNU_SOURCE too; close-on-exec must be set atomically when other
// threads may spawn processes meanwhile.
static inline int csystem_pipe2(int fds[2], int flags) {
    return (int)syscall(SYS_pipe2, fds, flags);
}
