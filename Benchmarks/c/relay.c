/*
 * relay - the C baseline of the gateway hop: a proxy for the back office protocol
 * (docs/PROTOCOL.md) that does as little as a forwarding hop can. It accepts client connections,
 * passes every call on to one upstream server over pooled connections, and passes the upstream's
 * frames back, rewriting call ids both ways. It authenticates nothing, checks no policy and
 * limits nothing: it measures what the extra hop itself costs on this machine (the second TCP
 * connection, the second process, the copies), against which the real gateway's cost is read.
 *
 * Usage: relay PORT UPSTREAM_PORT [KEY=VALUE ...]
 *   Listens on 127.0.0.1:PORT (0 picks one) and forwards to 127.0.0.1:UPSTREAM_PORT. Each
 *   KEY=VALUE is appended to every call's metadata (as the gateway adds its forwarded pairs).
 *   Prints "LISTENING <port>" on stdout once accepting, then runs until SIGTERM or SIGINT.
 *
 * One thread per online CPU, each with its own epoll set and its own upstream connection; client
 * connections are handed out round-robin and each is served by its thread alone, whose upstream
 * connection carries its calls. Frames read in one pass over the ready descriptors are queued,
 * and each connection is written once at the end of the pass (the Swift event loop batches its
 * writes the same way).
 *
 * Build: gcc -O2 -pthread -o relay relay.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "borpc.h"

/* Calls in flight per thread at most; an upstream id indexes the table modulo this. */
#define TABLE_SIZE 65536u
/* Calls in flight per client connection at most (the client-id to upstream-id map). */
#define CONN_MAP_SIZE 1024u

struct worker;

typedef struct conn {
    int fd;
    int is_upstream;
    int preface_done;
    int want_out;
    int dirty; /* on the worker's list of connections to write at the end of the pass */
    int closed;
    struct worker *worker;
    borpc_rbuf in;
    borpc_rbuf out; /* bytes waiting to be written, sent with one write() per pass */
    /* client connections: upstream id of each call in flight, by client id modulo the size */
    uint32_t map_client[CONN_MAP_SIZE];
    uint32_t map_upstream[CONN_MAP_SIZE];
} conn_t;

/* A call in flight on a worker's upstream connection. */
typedef struct {
    conn_t *client; /* NULL: free */
    uint32_t client_id;
    uint32_t upstream_id;
} entry_t;

typedef struct worker {
    int epfd;
    conn_t *upstream;
    uint32_t next_upstream_id;
    entry_t *table;
    conn_t **dirty;
    size_t dirty_count, dirty_cap;
} worker_t;

static int listen_fd = -1;
static int upstream_port;
static worker_t *workers;
static int worker_count;
static unsigned next_worker;
static uint8_t *extra_metadata; /* encoded map entries appended to every CALL payload */
static size_t extra_metadata_len;

/* Appends bytes to an output buffer (a borpc_rbuf: unsent bytes are data[start..end)). */
static int outbuf_append(borpc_rbuf *b, const void *bytes, size_t len) {
    if (borpc_rbuf_reserve(b, len) < 0) return -1;
    memcpy(b->data + b->end, bytes, len);
    b->end += len;
    return 0;
}

static void mark_dirty(conn_t *c) {
    if (c->dirty) return;
    worker_t *w = c->worker;
    if (w->dirty_count == w->dirty_cap) {
        size_t cap = w->dirty_cap ? w->dirty_cap * 2 : 64;
        conn_t **list = realloc(w->dirty, cap * sizeof *list);
        if (!list) borpc_die("realloc");
        w->dirty = list;
        w->dirty_cap = cap;
    }
    w->dirty[w->dirty_count++] = c;
    c->dirty = 1;
}

/* Queues one frame whose payload is `payload` followed by `extra` (may be empty). */
static int queue_frame(conn_t *c, uint8_t type, uint8_t flags, uint32_t id, const uint8_t *payload, size_t len,
                       const uint8_t *extra, size_t extra_len) {
    uint8_t header[BORPC_HEADER_LEN];
    borpc_put_header(header, (uint32_t)(len + extra_len), type, flags, id);
    if (outbuf_append(&c->out, header, sizeof header) < 0) return -1;
    if (len && outbuf_append(&c->out, payload, len) < 0) return -1;
    if (extra_len && outbuf_append(&c->out, extra, extra_len) < 0) return -1;
    mark_dirty(c);
    return 0;
}

static int update_events(conn_t *c) {
    int want = c->out.start != c->out.end;
    if (want == c->want_out) return 0;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    c->want_out = want;
    return epoll_ctl(c->worker->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is queued with one write(); the rest waits for EPOLLOUT. Returns -1 on error. */
static int flush(conn_t *c) {
    if (c->out.start == c->out.end) return 0;
    ssize_t n;
    do {
        n = write(c->fd, c->out.data + c->out.start, c->out.end - c->out.start);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? update_events(c) : -1;
    c->out.start += (size_t)n;
    return update_events(c);
}

static void close_client(conn_t *c) {
    if (c->closed) return;
    c->closed = 1;
    worker_t *w = c->worker;
    for (uint32_t i = 0; i < TABLE_SIZE; i++) {
        if (w->table[i].client == c) {
            /* Tell the upstream to stop the call (CANCEL has no payload). */
            queue_frame(w->upstream, BORPC_CANCEL, 0, w->table[i].upstream_id, NULL, 0, NULL, 0);
            w->table[i].client = NULL;
        }
    }
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    /* Freed at the end of the pass: the dirty list may still name it. */
}

/* Frames from a client: CALL opens an upstream call; the others follow it there. */
static int client_frame(conn_t *c, uint8_t type, uint8_t flags, uint32_t id, const uint8_t *payload, uint32_t len) {
    worker_t *w = c->worker;
    switch (type) {
    case BORPC_CALL: {
        uint32_t upstream_id = ++w->next_upstream_id;
        entry_t *e = &w->table[upstream_id % TABLE_SIZE];
        if (e->client) return -1; /* more calls in flight than the table holds */
        e->client = c;
        e->client_id = id;
        e->upstream_id = upstream_id;
        c->map_client[id % CONN_MAP_SIZE] = id;
        c->map_upstream[id % CONN_MAP_SIZE] = upstream_id;
        return queue_frame(w->upstream, BORPC_CALL, flags, upstream_id, payload, len, extra_metadata, extra_metadata_len);
    }
    case BORPC_MESSAGE:
    case BORPC_HALF_CLOSE:
    case BORPC_CANCEL: {
        if (c->map_client[id % CONN_MAP_SIZE] != id) return 0; /* an ended call */
        return queue_frame(w->upstream, type, flags, c->map_upstream[id % CONN_MAP_SIZE], payload, len, NULL, 0);
    }
    case BORPC_PING:
        if (!(flags & BORPC_FLAG_ACK)) return queue_frame(c, BORPC_PING, BORPC_FLAG_ACK, 0, payload, len, NULL, 0);
        return 0;
    default:
        return 0;
    }
}

/* Frames from the upstream: answers go back to their client with the client's call id. */
static int upstream_frame(conn_t *u, uint8_t type, uint8_t flags, uint32_t id, const uint8_t *payload, uint32_t len) {
    worker_t *w = u->worker;
    if (type == BORPC_PING) {
        if (!(flags & BORPC_FLAG_ACK)) return queue_frame(u, BORPC_PING, BORPC_FLAG_ACK, 0, payload, len, NULL, 0);
        return 0;
    }
    if (type != BORPC_MESSAGE && type != BORPC_STATUS) return 0;
    entry_t *e = &w->table[id % TABLE_SIZE];
    if (!e->client || e->upstream_id != id) return 0; /* its client went away */
    conn_t *c = e->client;
    if (queue_frame(c, type, flags, e->client_id, payload, len, NULL, 0) < 0) return -1;
    if (type == BORPC_STATUS) {
        c->map_client[e->client_id % CONN_MAP_SIZE] = 0;
        e->client = NULL;
    }
    return 0;
}

/* Handles the complete frames read on `c`. Returns -1 to close it. */
static int process(conn_t *c) {
    borpc_rbuf *b = &c->in;
    if (!c->preface_done) {
        int taken = borpc_rbuf_take_preface(b);
        if (taken <= 0) return taken;
        c->preface_done = 1;
        if (!c->is_upstream && outbuf_append(&c->out, borpc_preface, BORPC_PREFACE_LEN) < 0) return -1;
        mark_dirty(c);
    }
    for (borpc_frame f;;) {
        int next = borpc_rbuf_next_frame(b, &f);
        if (next <= 0) return next; /* the rest is not in yet (room is made for it), or too large */
        int result = c->is_upstream ? upstream_frame(c, f.type, f.flags, f.call_id, f.payload, f.len)
                                    : client_frame(c, f.type, f.flags, f.call_id, f.payload, f.len);
        if (result < 0) return -1;
    }
}

static conn_t *connect_upstream(worker_t *w) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) borpc_die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) borpc_die("connect to the upstream");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (write(fd, borpc_preface, BORPC_PREFACE_LEN) != BORPC_PREFACE_LEN) borpc_die("write the preface");
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) borpc_die("fcntl");
    conn_t *u = calloc(1, sizeof *u);
    if (!u) borpc_die("calloc");
    u->fd = fd;
    u->is_upstream = 1;
    u->worker = w;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = u};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) borpc_die("epoll_ctl");
    return u;
}

/* A client connection's state, on the next worker in turn (borpc_accept_all). */
static void *place_client(int fd, int *epfd) {
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    c->worker = &workers[next_worker++ % (unsigned)worker_count];
    *epfd = c->worker->epfd;
    return c;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    struct epoll_event events[256];
    conn_t *closed[256];
    for (;;) {
        int n = epoll_wait(w->epfd, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            borpc_die("epoll_wait");
        }
        int closed_count = 0;
        for (int i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL) {
                borpc_accept_all(listen_fd, place_client);
                continue;
            }
            conn_t *c = events[i].data.ptr;
            if (c->closed) continue;
            if (events[i].events & EPOLLOUT) mark_dirty(c);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = borpc_rbuf_fill(&c->in, c->fd);
                int failed = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || process(c) < 0;
                if (failed) {
                    if (c->is_upstream) {
                        fprintf(stderr, "relay: the upstream connection ended\n");
                        exit(1);
                    }
                    close_client(c);
                    closed[closed_count++] = c;
                }
            }
        }
        for (size_t i = 0; i < w->dirty_count; i++) {
            conn_t *c = w->dirty[i];
            c->dirty = 0;
            if (c->closed) continue;
            if (flush(c) < 0) {
                if (c->is_upstream) borpc_die("write to the upstream");
                close_client(c);
                closed[closed_count++] = c;
            }
        }
        w->dirty_count = 0;
        for (int i = 0; i < closed_count; i++) {
            free(closed[i]->in.data);
            free(closed[i]->out.data);
            free(closed[i]);
        }
    }
    return NULL;
}

/* Encodes KEY=VALUE as a CallHeaders metadata map entry (field 2) at the end of extra_metadata. */
static void add_metadata(const char *pair) {
    const char *equals = strchr(pair, '=');
    if (!equals || equals == pair) {
        fprintf(stderr, "relay: metadata \"%s\" is not KEY=VALUE\n", pair);
        exit(2);
    }
    size_t key_len = (size_t)(equals - pair), value_len = strlen(equals + 1);
    uint8_t scratch[40];
    size_t entry_len = 2 + borpc_put_varint(scratch, key_len) + key_len + borpc_put_varint(scratch, value_len) + value_len;
    uint8_t *grown = realloc(extra_metadata, extra_metadata_len + entry_len + 11);
    if (!grown) borpc_die("realloc");
    extra_metadata = grown;
    uint8_t *out = extra_metadata + extra_metadata_len;
    size_t at = 0;
    out[at++] = 0x12; /* field 2, length-delimited */
    at += borpc_put_varint(out + at, entry_len);
    out[at++] = 0x0a; /* key */
    at += borpc_put_varint(out + at, key_len);
    memcpy(out + at, pair, key_len);
    at += key_len;
    out[at++] = 0x12; /* value */
    at += borpc_put_varint(out + at, value_len);
    memcpy(out + at, equals + 1, value_len);
    at += value_len;
    extra_metadata_len += at;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT UPSTREAM_PORT [KEY=VALUE ...]   (PORT 0 picks a free port)\n", argv[0]);
        return 2;
    }
    char *endp;
    long port = strtol(argv[1], &endp, 10);
    long upstream = strtol(argv[2], &endp, 10);
    if (port < 0 || port > 65535 || upstream <= 0 || upstream > 65535 || *endp) {
        fprintf(stderr, "relay: bad port\n");
        return 2;
    }
    upstream_port = (int)upstream;
    for (int i = 3; i < argc; i++) add_metadata(argv[i]);
    signal(SIGPIPE, SIG_IGN);

    worker_count = borpc_worker_count();
    workers = calloc((size_t)worker_count, sizeof *workers);
    if (!workers) borpc_die("calloc");
    for (int i = 0; i < worker_count; i++) {
        workers[i].epfd = epoll_create1(EPOLL_CLOEXEC);
        if (workers[i].epfd < 0) borpc_die("epoll_create1");
        workers[i].table = calloc(TABLE_SIZE, sizeof(entry_t));
        if (!workers[i].table) borpc_die("calloc");
        workers[i].upstream = connect_upstream(&workers[i]);
    }

    unsigned bound_port;
    listen_fd = borpc_listen_loopback(port, &bound_port);
    borpc_serve(listen_fd, workers[0].epfd, bound_port, worker_main, workers, sizeof *workers, worker_count);
    return 0;
}
