/*
 * borpc.h - the framing of the back office RPC protocol (docs/PROTOCOL.md), as small static
 * helpers shared by the C echo baseline server and client: frame headers, a growable read
 * buffer, and an output queue that writes ONE FRAME PER write() CALL (the benchmark's fairness
 * rule), keeping frame boundaries when the socket pushes back.
 */
#ifndef BORPC_H
#define BORPC_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BORPC_PREFACE_LEN 8
#define BORPC_HEADER_LEN 10
#define BORPC_MAX_PAYLOAD (4u * 1024u * 1024u)

#define BORPC_CALL 0x01
#define BORPC_MESSAGE 0x02
#define BORPC_HALF_CLOSE 0x03
#define BORPC_STATUS 0x04
#define BORPC_CANCEL 0x05
#define BORPC_PING 0x06
#define BORPC_GOAWAY 0x07

#define BORPC_FLAG_END_STREAM 0x01
#define BORPC_FLAG_ACK 0x01

static const uint8_t borpc_preface[BORPC_PREFACE_LEN] = {0x42, 0x4F, 0x52, 0x50, 0x43, 0x0D, 0x0A, 0x01};

/* Writes a 10-byte frame header at out. */
static inline void borpc_put_header(uint8_t *out, uint32_t length, uint8_t type, uint8_t flags, uint32_t call_id) {
    out[0] = (uint8_t)(length >> 24);
    out[1] = (uint8_t)(length >> 16);
    out[2] = (uint8_t)(length >> 8);
    out[3] = (uint8_t)length;
    out[4] = type;
    out[5] = flags;
    out[6] = (uint8_t)(call_id >> 24);
    out[7] = (uint8_t)(call_id >> 16);
    out[8] = (uint8_t)(call_id >> 8);
    out[9] = (uint8_t)call_id;
}

/* Reads a big-endian uint32. */
static inline uint32_t borpc_get_u32(const uint8_t *in) {
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | (uint32_t)in[3];
}

/* Appends a protobuf varint; returns the number of bytes written (at most 10). */
static inline size_t borpc_put_varint(uint8_t *out, uint64_t value) {
    size_t n = 0;
    while (value >= 0x80) {
        out[n++] = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    out[n++] = (uint8_t)value;
    return n;
}

/* Prints what failed and exits: the baselines have no way to go on without it. */
static inline void borpc_die(const char *what) {
    perror(what);
    exit(1);
}

/* A non-blocking socket listening on 127.0.0.1:port (0 picks a free one); the port it got goes in
 * *bound_port. Exits on failure. */
static inline int borpc_listen_loopback(long port, unsigned *bound_port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) borpc_die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) borpc_die("bind");
    if (listen(fd, 1024) < 0) borpc_die("listen");
    socklen_t alen = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) borpc_die("getsockname");
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

/* The next pending connection on a non-blocking listening socket, non-blocking and with
 * TCP_NODELAY; -1 when none is left (EAGAIN, or out of descriptors: try again on the next event). */
static inline int borpc_accept(int listen_fd) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return -1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
    }
}

/* The number of worker threads: one per online CPU. */
static inline int borpc_worker_count(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int)cpus : 1;
}

/* Runs worker_main on `count` workers (an array of `worker_size`-byte elements): workers 1.. on
 * new threads, worker 0 on this one. Returns only if worker 0 does. */
/* Accepts every connection waiting on `listen_fd`. `place` makes each one's state and names the
 * epoll instance to watch it on (it returns NULL when it cannot: the connection is closed); the
 * connection is then watched for reading, with its state as the event's data. */
static inline void borpc_accept_all(int listen_fd, void *(*place)(int fd, int *epfd)) {
    for (int fd; (fd = borpc_accept(listen_fd)) >= 0;) {
        int epfd = -1;
        void *conn = place(fd, &epfd);
        if (!conn) {
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = conn};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(conn);
        }
    }
}

static inline void borpc_run_workers(void *(*worker_main)(void *), void *workers, size_t worker_size, int count) {
    for (int i = 1; i < count; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (char *)workers + (size_t)i * worker_size) != 0)
            borpc_die("pthread_create");
    }
    worker_main(workers);
}

/* Watches `listen_fd` on the first worker's epoll instance `epfd` (its event's data is NULL),
 * announces "LISTENING <port>" on stdout, and runs the workers (borpc_run_workers). */
static inline void borpc_serve(
    int listen_fd, int epfd, unsigned port, void *(*worker_main)(void *), void *workers, size_t worker_size, int count) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) borpc_die("epoll_ctl");
    printf("LISTENING %u\n", port);
    fflush(stdout);
    borpc_run_workers(worker_main, workers, worker_size, count);
}

/* ---- read buffer ------------------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t start; /* first unread byte */
    size_t end;   /* one past the last received byte */
    size_t cap;
} borpc_rbuf;

/* Makes room for at least `want` more bytes after `end`; returns 0, or -1 when out of memory. */
static inline int borpc_rbuf_reserve(borpc_rbuf *b, size_t want) {
    if (b->start == b->end) b->start = b->end = 0;
    if (b->cap - b->end >= want) return 0;
    if (b->start > 0) { /* slide the unread bytes to the front */
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
        if (b->cap - b->end >= want) return 0;
    }
    size_t cap = b->cap ? b->cap : 65536;
    while (cap - b->end < want) cap *= 2;
    uint8_t *data = realloc(b->data, cap);
    if (!data) return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

/* Consumes the peer's preface once it is all in: 1 when consumed by this call, 0 while it is
 * incomplete, -1 when it is not this protocol's. */
static inline int borpc_rbuf_take_preface(borpc_rbuf *b) {
    if (b->end - b->start < BORPC_PREFACE_LEN) return 0;
    if (memcmp(b->data + b->start, borpc_preface, BORPC_PREFACE_LEN) != 0) return -1;
    b->start += BORPC_PREFACE_LEN;
    return 1;
}

/* One frame read from a buffer; `payload` points into the buffer until it is next filled. */
typedef struct {
    uint8_t type, flags;
    uint32_t call_id;
    const uint8_t *payload;
    uint32_t len;
} borpc_frame;

/* Takes the next frame: 1 with `f` set, 0 when it is not all in yet (room is made for the rest),
 * -1 when it is over the maximum or the room cannot be made. */
static inline int borpc_rbuf_next_frame(borpc_rbuf *b, borpc_frame *f) {
    if (b->end - b->start < BORPC_HEADER_LEN) return 0;
    const uint8_t *h = b->data + b->start;
    uint32_t len = borpc_get_u32(h);
    if (len > BORPC_MAX_PAYLOAD) return -1;
    if (b->end - b->start < BORPC_HEADER_LEN + (size_t)len) {
        return borpc_rbuf_reserve(b, BORPC_HEADER_LEN + (size_t)len - (b->end - b->start));
    }
    *f = (borpc_frame){.type = h[4], .flags = h[5], .call_id = borpc_get_u32(h + 6), .payload = h + BORPC_HEADER_LEN, .len = len};
    b->start += BORPC_HEADER_LEN + (size_t)len;
    return 1;
}

/* Reads what the socket has (one read() call). Returns bytes read, 0 at EOF, -1 with errno. */
static inline ssize_t borpc_rbuf_fill(borpc_rbuf *b, int fd) {
    if (borpc_rbuf_reserve(b, 16384) < 0) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n;
    do {
        n = read(fd, b->data + b->end, b->cap - b->end);
    } while (n < 0 && errno == EINTR);
    if (n > 0) b->end += (size_t)n;
    return n;
}

/* ---- output queue: one frame per write() ------------------------------------------------- */

typedef struct {
    uint8_t *data;      /* pending bytes of queued frames, back to back */
    size_t head, tail;  /* unsent bytes are data[head..tail) */
    size_t cap;
    uint32_t *frame_len; /* remaining length of each queued frame; [first..count) are live */
    size_t first, count, frame_cap;
} borpc_outq;

static inline int borpc_outq_empty(const borpc_outq *q) { return q->first == q->count; }

/* Arms or disarms EPOLLOUT on fd to match whether frames are queued; *armed remembers the state
 * so that epoll_ctl runs only on a change. `ptr` is the connection the event carries. */
static inline int borpc_update_epollout(int epfd, int fd, void *ptr, const borpc_outq *q, int *armed) {
    int want = !borpc_outq_empty(q);
    if (want == *armed) return 0;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = ptr};
    *armed = want;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* Queues the bytes of one frame (or the unsent rest of one). Returns 0, or -1 when out of memory. */
static inline int borpc_outq_push(borpc_outq *q, const uint8_t *bytes, size_t len) {
    if (q->head == q->tail) q->head = q->tail = 0;
    if (q->cap - q->tail < len) {
        if (q->head > 0) {
            memmove(q->data, q->data + q->head, q->tail - q->head);
            q->tail -= q->head;
            q->head = 0;
        }
        if (q->cap - q->tail < len) {
            size_t cap = q->cap ? q->cap : 16384;
            while (cap - q->tail < len) cap *= 2;
            uint8_t *data = realloc(q->data, cap);
            if (!data) return -1;
            q->data = data;
            q->cap = cap;
        }
    }
    memcpy(q->data + q->tail, bytes, len);
    q->tail += len;
    if (q->first == q->count) q->first = q->count = 0;
    if (q->count == q->frame_cap) {
        if (q->first > 0) {
            memmove(q->frame_len, q->frame_len + q->first, (q->count - q->first) * sizeof(uint32_t));
            q->count -= q->first;
            q->first = 0;
        }
        if (q->count == q->frame_cap) {
            size_t cap = q->frame_cap ? q->frame_cap * 2 : 256;
            uint32_t *lens = realloc(q->frame_len, cap * sizeof(uint32_t));
            if (!lens) return -1;
            q->frame_len = lens;
            q->frame_cap = cap;
        }
    }
    q->frame_len[q->count++] = (uint32_t)len;
    return 0;
}

/* Writes queued frames, one write() per frame (or per rest of a partly written frame), until the
 * queue is empty (returns 0), the socket is full (returns 1), or an error (returns -1). */
static inline int borpc_outq_flush(borpc_outq *q, int fd) {
    while (q->first < q->count) {
        size_t len = q->frame_len[q->first];
        ssize_t n = write(fd, q->data + q->head, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            return -1;
        }
        q->head += (size_t)n;
        if ((size_t)n == len) {
            q->first++;
        } else {
            q->frame_len[q->first] = (uint32_t)(len - (size_t)n);
        }
    }
    q->head = q->tail = 0;
    q->first = q->count = 0;
    return 0;
}

/* Sends one complete frame with one write() when nothing is queued; otherwise (or for the unsent
 * rest) queues it. Returns 0 when fully written, 1 when something is left queued (wait for
 * EPOLLOUT), -1 on error. */
static inline int borpc_send_frame(borpc_outq *q, int fd, const uint8_t *frame, size_t len) {
    if (borpc_outq_empty(q)) {
        ssize_t n;
        do {
            n = write(fd, frame, len);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)len) return 0;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            n = 0;
        }
        return borpc_outq_push(q, frame + n, len - (size_t)n) < 0 ? -1 : 1;
    }
    return borpc_outq_push(q, frame, len) < 0 ? -1 : 1;
}

static inline void borpc_outq_free(borpc_outq *q) {
    free(q->data);
    free(q->frame_len);
    memset(q, 0, sizeof(*q));
}

#endif
