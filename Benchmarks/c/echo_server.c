/*
 * echo_server - the C baseline of the RPC benchmark: answers every unary call of the back office
 * protocol (docs/PROTOCOL.md) with its request message and an OK status, doing as little as the
 * protocol allows. It never decodes protobuf: the EchoRequest and EchoResponse encodings of
 * `payload` are identical, so the MESSAGE payload is sent back as is.
 *
 * Usage: echo_server PORT      (listens on 127.0.0.1; PORT 0 picks one)
 * Prints "LISTENING <port>" on stdout once accepting, then runs until SIGTERM or SIGINT.
 *
 * One thread per online CPU, each with its own epoll set. The listening socket lives in thread
 * 0's set; accepted connections are handed out round-robin to the threads' epoll sets, and a
 * connection is then served by its thread alone. Every frame is written with its own write().
 *
 * Build: gcc -O2 -pthread -o echo_server echo_server.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "borpc.h"

typedef struct {
    int fd;
    int epfd;         /* the epoll set of the thread that serves the connection */
    int preface_done; /* the client's preface was read and ours sent */
    int want_out;     /* EPOLLOUT is armed */
    borpc_rbuf in;
    borpc_outq out;
} conn_t;

typedef struct {
    int index;
    int epfd;
} worker_t;

static int listen_fd = -1;
static worker_t *workers;
static int worker_count;
static unsigned next_worker; /* only thread 0 accepts */

static void conn_close(conn_t *c) {
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.data);
    borpc_outq_free(&c->out);
    free(c);
}

/* Arms or disarms EPOLLOUT to match whether frames are queued. */
static int conn_update_events(conn_t *c) {
    return borpc_update_epollout(c->epfd, c->fd, c, &c->out, &c->want_out);
}

/* Per-thread scratch space to build a response frame in one piece. */
static __thread uint8_t *scratch;
static __thread size_t scratch_cap;

static uint8_t *scratch_get(size_t len) {
    if (scratch_cap < len) {
        size_t cap = scratch_cap ? scratch_cap : 4096;
        while (cap < len) cap *= 2;
        uint8_t *p = realloc(scratch, cap);
        if (!p) return NULL;
        scratch = p;
        scratch_cap = cap;
    }
    return scratch;
}

/* Handles the complete frames in the read buffer. Returns 0, or -1 to close the connection. */
static int conn_process(conn_t *c) {
    borpc_rbuf *b = &c->in;
    if (!c->preface_done) {
        int taken = borpc_rbuf_take_preface(b);
        if (taken <= 0) return taken;
        c->preface_done = 1;
        if (borpc_send_frame(&c->out, c->fd, borpc_preface, BORPC_PREFACE_LEN) < 0) return -1;
    }
    for (borpc_frame f;;) {
        int next = borpc_rbuf_next_frame(b, &f);
        if (next <= 0) return next; /* the rest is not in yet (room is made for it), or too large */
        uint8_t type = f.type, flags = f.flags;
        uint32_t call_id = f.call_id, len = f.len;
        const uint8_t *payload = f.payload;

        if (type == BORPC_MESSAGE && (flags & BORPC_FLAG_END_STREAM)) {
            /* The request is complete: MESSAGE with the same bytes, then an empty (OK) STATUS. */
            uint8_t *frame = scratch_get(BORPC_HEADER_LEN + (size_t)len);
            if (!frame) return -1;
            borpc_put_header(frame, len, BORPC_MESSAGE, 0, call_id);
            memcpy(frame + BORPC_HEADER_LEN, payload, len);
            if (borpc_send_frame(&c->out, c->fd, frame, BORPC_HEADER_LEN + (size_t)len) < 0) return -1;
            uint8_t status[BORPC_HEADER_LEN];
            borpc_put_header(status, 0, BORPC_STATUS, 0, call_id);
            if (borpc_send_frame(&c->out, c->fd, status, BORPC_HEADER_LEN) < 0) return -1;
        } else if (type == BORPC_PING && !(flags & BORPC_FLAG_ACK) && len == 8) {
            uint8_t pong[BORPC_HEADER_LEN + 8];
            borpc_put_header(pong, 8, BORPC_PING, BORPC_FLAG_ACK, 0);
            memcpy(pong + BORPC_HEADER_LEN, payload, 8);
            if (borpc_send_frame(&c->out, c->fd, pong, sizeof pong) < 0) return -1;
        }
        /* CALL, HALF_CLOSE, CANCEL, GOAWAY and unknown types need nothing from this baseline. */
    }
}

/* A client connection's state, on the next worker in turn (borpc_accept_all). */
static void *place_client(int fd, int *epfd) {
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    c->epfd = workers[next_worker++ % (unsigned)worker_count].epfd;
    *epfd = c->epfd;
    return c;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(w->epfd, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            borpc_die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) {
                borpc_accept_all(listen_fd, place_client);
                continue;
            }
            conn_t *c = events[i].data.ptr;
            if (events[i].events & EPOLLOUT) {
                if (borpc_outq_flush(&c->out, c->fd) < 0) {
                    conn_close(c);
                    continue;
                }
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = borpc_rbuf_fill(&c->in, c->fd);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    conn_close(c);
                    continue;
                }
                if (conn_process(c) < 0) {
                    conn_close(c);
                    continue;
                }
            }
            if (conn_update_events(c) < 0) conn_close(c);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT   (0 picks a free port)\n", argv[0]);
        return 2;
    }
    char *endp;
    long port = strtol(argv[1], &endp, 10);
    if (*endp || port < 0 || port > 65535) {
        fprintf(stderr, "echo_server: bad port \"%s\"\n", argv[1]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    unsigned bound_port;
    listen_fd = borpc_listen_loopback(port, &bound_port);
    worker_count = borpc_worker_count();
    workers = calloc((size_t)worker_count, sizeof *workers);
    if (!workers) borpc_die("calloc");
    for (int i = 0; i < worker_count; i++) {
        workers[i].index = i;
        workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (workers[i].epfd < 0) borpc_die("epoll_create1");
    }
    borpc_serve(listen_fd, workers[0].epfd, bound_port, worker_main, workers, sizeof *workers, worker_count);
    return 0;
}
