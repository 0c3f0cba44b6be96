/*
 * echo_client - the C load generator of the RPC benchmark: keeps a fixed number of unary
 * `backoffice.echo.Echo/Unary` calls in flight against a server speaking the back office protocol
 * (docs/PROTOCOL.md) and reports throughput and latency percentiles.
 *
 * Usage: echo_client HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS PAYLOAD_BYTES
 * Output: one line
 *   RESULT rps=<float> p50_us=<float> p99_us=<float> p999_us=<float> calls=<int> errors=<int>
 *
 * OUTSTANDING calls are spread evenly over CONNECTIONS connections; each STATUS frame that
 * arrives starts the next call on its connection. Latency runs from writing the CALL frame to
 * reading the STATUS frame. Calls completing during the warm-up are not counted; every call
 * completing during the measured SECONDS is kept as a sample, so percentiles are exact.
 * A call is an error when its STATUS is not OK (non-empty payload) or its MESSAGE is missing or
 * of the wrong size.
 *
 * One or two threads (two when there are at least two connections), each with its own epoll set
 * and connections. Every frame is written with its own write(): a call is two writes (CALL, then
 * MESSAGE with END_STREAM).
 *
 * Call ids: id = (n << shift) | slot, where slot < 2^shift indexes the connection's in-flight
 * table and n counts calls on the connection from 1, so ids are non-zero and strictly increasing
 * and a response finds its call in O(1) whatever order responses come in.
 *
 * Build: gcc -O2 -pthread -o echo_client echo_client.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "borpc.h"

static const char method[] = "backoffice.echo.Echo/Unary";

typedef struct {
    uint32_t call_id; /* 0: slot idle */
    int got_message;
    uint64_t sent_ns;
} slot_t;

typedef struct {
    int fd;
    int epfd;
    int preface_done; /* the server's preface was read */
    int want_out;
    int dead;
    unsigned shift; /* slot bits of a call id */
    uint64_t next_n; /* the n of the next call id */
    unsigned outstanding;
    slot_t *slots; /* 1 << shift entries; the first `outstanding` are used */
    borpc_rbuf in;
    borpc_outq out;
} conn_t;

typedef struct {
    int index;
    conn_t *conns;
    int conn_count;
    uint64_t *samples; /* latencies in ns of calls completed in the window */
    size_t sample_count, sample_cap;
    uint64_t errors;
    uint8_t *call_buf;    /* this thread's copy of the CALL frame; the id is patched per call */
    uint8_t *message_buf; /* this thread's copy of the request MESSAGE frame */
} thread_t;

/* Shared, read-only once the threads start. */
static uint8_t *call_frame_template; /* CALL frame; call id patched per call */
static size_t call_frame_len;
static uint8_t *message_frame_template; /* MESSAGE frame with END_STREAM; call id patched */
static size_t message_frame_len;
static uint32_t request_message_len; /* payload length of the request MESSAGE frame */
static uint64_t start_ns, measure_ns, end_ns;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int conn_update_events(conn_t *c) {
    return borpc_update_epollout(c->epfd, c->fd, c, &c->out, &c->want_out);
}

/* Starts a call in `slot`: CALL frame, then the request MESSAGE frame, one write() each. */
static int start_call(thread_t *t, conn_t *c, unsigned slot) {
    if (c->next_n > (0xFFFFFFFFull >> c->shift)) return -1; /* call ids exhausted */
    uint32_t id = (uint32_t)(c->next_n++ << c->shift) | slot;
    borpc_put_header(t->call_buf, (uint32_t)(call_frame_len - BORPC_HEADER_LEN), BORPC_CALL, 0, id);
    borpc_put_header(t->message_buf, request_message_len, BORPC_MESSAGE, BORPC_FLAG_END_STREAM, id);
    c->slots[slot].call_id = id;
    c->slots[slot].got_message = 0;
    c->slots[slot].sent_ns = now_ns();
    if (borpc_send_frame(&c->out, c->fd, t->call_buf, call_frame_len) < 0) return -1;
    if (borpc_send_frame(&c->out, c->fd, t->message_buf, message_frame_len) < 0) return -1;
    return 0;
}

static void add_sample(thread_t *t, uint64_t ns) {
    if (t->sample_count == t->sample_cap) {
        size_t cap = t->sample_cap ? t->sample_cap * 2 : 65536;
        uint64_t *s = realloc(t->samples, cap * sizeof *s);
        if (!s) die("realloc");
        t->samples = s;
        t->sample_cap = cap;
    }
    t->samples[t->sample_count++] = ns;
}

/* A connection failed: its calls in flight count as errors if the window is open. */
static void conn_fail(thread_t *t, conn_t *c) {
    if (c->dead) return;
    c->dead = 1;
    uint64_t now = now_ns();
    if (now >= measure_ns && now < end_ns) {
        for (unsigned s = 0; s < c->outstanding; s++)
            if (c->slots[s].call_id) t->errors++;
    }
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

/* Handles the complete frames in the read buffer. Returns 0, or -1 when the connection failed. */
static int conn_process(thread_t *t, conn_t *c) {
    borpc_rbuf *b = &c->in;
    if (!c->preface_done) {
        if (b->end - b->start < BORPC_PREFACE_LEN) return 0;
        if (memcmp(b->data + b->start, borpc_preface, BORPC_PREFACE_LEN) != 0) {
            fprintf(stderr, "echo_client: the server's preface is wrong\n");
            return -1;
        }
        b->start += BORPC_PREFACE_LEN;
        c->preface_done = 1;
    }
    uint32_t mask = (1u << c->shift) - 1;
    while (b->end - b->start >= BORPC_HEADER_LEN) {
        const uint8_t *h = b->data + b->start;
        uint32_t len = borpc_get_u32(h);
        if (len > BORPC_MAX_PAYLOAD) return -1;
        if (b->end - b->start < BORPC_HEADER_LEN + (size_t)len)
            return borpc_rbuf_reserve(b, BORPC_HEADER_LEN + (size_t)len - (b->end - b->start));
        uint8_t type = h[4], flags = h[5];
        uint32_t id = borpc_get_u32(h + 6);
        const uint8_t *payload = h + BORPC_HEADER_LEN;
        b->start += BORPC_HEADER_LEN + (size_t)len;

        unsigned slot = id & mask;
        slot_t *s = slot < c->outstanding ? &c->slots[slot] : NULL;
        if (type == BORPC_MESSAGE) {
            if (s && s->call_id == id) s->got_message = (len == request_message_len) ? 1 : -1;
        } else if (type == BORPC_STATUS) {
            if (!s || s->call_id != id) continue; /* not a call of ours */
            uint64_t now = now_ns();
            if (now >= measure_ns && now < end_ns) {
                if (len == 0 && s->got_message == 1)
                    add_sample(t, now - s->sent_ns);
                else
                    t->errors++;
            }
            s->call_id = 0;
            if (now < end_ns && start_call(t, c, slot) < 0) return -1;
        } else if (type == BORPC_PING && !(flags & BORPC_FLAG_ACK) && len == 8) {
            uint8_t pong[BORPC_HEADER_LEN + 8];
            borpc_put_header(pong, 8, BORPC_PING, BORPC_FLAG_ACK, 0);
            memcpy(pong + BORPC_HEADER_LEN, payload, 8);
            if (borpc_send_frame(&c->out, c->fd, pong, sizeof pong) < 0) return -1;
        } else if (type == BORPC_GOAWAY) {
            fprintf(stderr, "echo_client: the server sent GOAWAY\n");
            return -1;
        }
    }
    return 0;
}

static void *thread_main(void *arg) {
    thread_t *t = arg;
    t->call_buf = malloc(call_frame_len);
    t->message_buf = malloc(message_frame_len);
    if (!t->call_buf || !t->message_buf) die("malloc");
    memcpy(t->call_buf, call_frame_template, call_frame_len);
    memcpy(t->message_buf, message_frame_template, message_frame_len);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    for (int i = 0; i < t->conn_count; i++) {
        conn_t *c = &t->conns[i];
        c->epfd = epfd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
        /* The preface, then the first calls right away (the protocol allows it). */
        if (borpc_send_frame(&c->out, c->fd, borpc_preface, BORPC_PREFACE_LEN) < 0) die("write preface");
        for (unsigned s = 0; s < c->outstanding; s++)
            if (start_call(t, c, s) < 0) die("write call");
        if (conn_update_events(c) < 0) die("epoll_ctl");
    }
    struct epoll_event events[64];
    for (;;) {
        uint64_t now = now_ns();
        if (now >= end_ns) break;
        int timeout_ms = (int)((end_ns - now) / 1000000u) + 1;
        int n = epoll_wait(epfd, events, 64, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (c->dead) continue;
            if (events[i].events & EPOLLOUT) {
                if (borpc_outq_flush(&c->out, c->fd) < 0) {
                    conn_fail(t, c);
                    continue;
                }
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = borpc_rbuf_fill(&c->in, c->fd);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    fprintf(stderr, "echo_client: connection closed by the server\n");
                    conn_fail(t, c);
                    continue;
                }
                if (conn_process(t, c) < 0) {
                    conn_fail(t, c);
                    continue;
                }
            }
            if (conn_update_events(c) < 0) conn_fail(t, c);
        }
    }
    close(epfd);
    return NULL;
}

static long parse_arg(const char *text, const char *name, long min, long max) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end || v < min || v > max) {
        fprintf(stderr, "echo_client: %s must be a whole number from %ld to %ld, got \"%s\"\n", name, min, max, text);
        exit(2);
    }
    return v;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The sample of rank ceil(q * n) (nearest-rank percentile), in microseconds. */
static double percentile_us(const uint64_t *sorted, size_t n, double q) {
    if (n == 0) return 0;
    size_t rank = (size_t)(q * (double)n);
    if ((double)rank < q * (double)n) rank++;
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)sorted[rank - 1] / 1000.0;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT CONNECTIONS OUTSTANDING SECONDS WARMUP_SECONDS PAYLOAD_BYTES\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    const char *port = argv[2];
    parse_arg(port, "PORT", 1, 65535);
    int connections = (int)parse_arg(argv[3], "CONNECTIONS", 1, 10000);
    long outstanding = parse_arg(argv[4], "OUTSTANDING", 1, 1000000);
    long seconds = parse_arg(argv[5], "SECONDS", 1, 86400);
    long warmup = parse_arg(argv[6], "WARMUP_SECONDS", 0, 86400);
    long payload_bytes = parse_arg(argv[7], "PAYLOAD_BYTES", 0, BORPC_MAX_PAYLOAD - 16);
    signal(SIGPIPE, SIG_IGN);

    /* CallHeaders { method = 1 } and EchoRequest { payload = 1 }, encoded once. */
    size_t method_len = sizeof method - 1;
    call_frame_len = BORPC_HEADER_LEN + 2 + method_len;
    call_frame_template = malloc(call_frame_len);
    call_frame_template[BORPC_HEADER_LEN] = 0x0A;
    call_frame_template[BORPC_HEADER_LEN + 1] = (uint8_t)method_len;
    memcpy(call_frame_template + BORPC_HEADER_LEN + 2, method, method_len);

    uint8_t varint[10];
    size_t varint_len = borpc_put_varint(varint, (uint64_t)payload_bytes);
    request_message_len = (uint32_t)(1 + varint_len + (size_t)payload_bytes);
    message_frame_len = BORPC_HEADER_LEN + request_message_len;
    message_frame_template = malloc(message_frame_len);
    if (!call_frame_template || !message_frame_template) die("malloc");
    uint8_t *p = message_frame_template + BORPC_HEADER_LEN;
    *p++ = 0x0A;
    memcpy(p, varint, varint_len);
    p += varint_len;
    for (long i = 0; i < payload_bytes; i++) p[i] = (uint8_t)('a' + i % 26);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addr;
    int gai = getaddrinfo(host, port, &hints, &addr);
    if (gai != 0) {
        fprintf(stderr, "echo_client: cannot resolve %s: %s\n", host, gai_strerror(gai));
        return 1;
    }

    int thread_count = connections >= 2 ? 2 : 1;
    thread_t threads[2];
    memset(threads, 0, sizeof threads);
    conn_t *conns = calloc((size_t)connections, sizeof *conns);
    if (!conns) die("calloc");
    for (int i = 0; i < connections; i++) {
        conn_t *c = &conns[i];
        c->outstanding = (unsigned)(outstanding / connections + (i < outstanding % connections ? 1 : 0));
        c->shift = 0;
        while ((1u << c->shift) < c->outstanding) c->shift++;
        c->next_n = 1;
        c->slots = calloc((size_t)1 << c->shift, sizeof *c->slots);
        if (!c->slots) die("calloc");
        c->fd = socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0) die("socket");
        if (connect(c->fd, addr->ai_addr, addr->ai_addrlen) < 0) {
            fprintf(stderr, "echo_client: cannot connect to %s:%s: %s\n", host, port, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
    }
    freeaddrinfo(addr);

    /* Connections go round-robin to the threads. */
    for (int k = 0; k < thread_count; k++) {
        threads[k].index = k;
        threads[k].conns = calloc((size_t)connections, sizeof(conn_t));
        if (!threads[k].conns) die("calloc");
    }
    for (int i = 0; i < connections; i++) {
        thread_t *t = &threads[i % thread_count];
        t->conns[t->conn_count++] = conns[i];
    }

    start_ns = now_ns();
    measure_ns = start_ns + (uint64_t)warmup * 1000000000ull;
    end_ns = measure_ns + (uint64_t)seconds * 1000000000ull;
    pthread_t tids[2];
    for (int k = 0; k < thread_count; k++)
        if (pthread_create(&tids[k], NULL, thread_main, &threads[k]) != 0) die("pthread_create");
    for (int k = 0; k < thread_count; k++) pthread_join(tids[k], NULL);

    size_t n = 0;
    uint64_t errors = 0;
    for (int k = 0; k < thread_count; k++) {
        n += threads[k].sample_count;
        errors += threads[k].errors;
    }
    uint64_t *all = malloc((n ? n : 1) * sizeof *all);
    if (!all) die("malloc");
    size_t at = 0;
    for (int k = 0; k < thread_count; k++) {
        if (threads[k].sample_count) memcpy(all + at, threads[k].samples, threads[k].sample_count * sizeof *all);
        at += threads[k].sample_count;
    }
    qsort(all, n, sizeof *all, cmp_u64);
    double measured = (double)(end_ns - measure_ns) / 1e9;
    printf("RESULT rps=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f calls=%zu errors=%llu\n", (double)n / measured,
           percentile_us(all, n, 0.50), percentile_us(all, n, 0.99), percentile_us(all, n, 0.999), n,
           (unsigned long long)errors);
    fflush(stdout);
    return 0;
}
