/*
 * tests/unit/upstream/multi.c - the upstream client against a tiny scripted
 * HTTP/1.1 server running on the same libuv loop (127.0.0.1, ephemeral port).
 *
 * Server routes: /plain, /echo, /chunked (5 chunks, 20 ms apart), /sse (headers
 * and body in one write), /big (1 MiB), /429, /hang (never answers), /stall
 * (headers and one chunk, then silence), /cut (closes mid-body), /forever (a
 * chunk every 10 ms until the client goes away), /continue (100 then 200),
 * /redirect (302), /trailers (chunked with a trailer). A TLS ClientHello is
 * answered by closing the connection.
 */
#include "core/lmx.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "test.h"
#include "upstream/sse.h"
#include "upstream/upstream.h"

#define BIG_LEN (1 << 20)

/* ------------------------------------------------------------------ */
/* the scripted server                                                 */

struct srv;

struct sconn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct srv *s;
    struct sconn *prev, *next;
    char *in;
    size_t len, cap;
    int step;
    int route; /* for timer-driven routes */
    int nclosed;
    bool closing;
    bool shut;
};

struct srv {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    int port;
    int accepts;
    int eofs; /* connections the client closed */
    int requests;
    bool saw_absolute;
    char last_method[16];
    char last_path[256];
    struct lmx_buf last_head; /* request line and headers of the last request */
    size_t last_body_len;
    struct sconn *conns;
    bool closed;
};

enum { R_CHUNKED = 1, R_FOREVER, R_STALL };

static char *big_body;

struct wreq {
    uv_write_t w;
    char data[];
};

static void on_srv_written(uv_write_t *w, int status)
{
    LMX_UNUSED(status);
    free(w);
}

static void sc_write(struct sconn *c, const char *p, size_t n)
{
    struct wreq *r;
    uv_buf_t b;

    if (c->closing || c->shut)
        return;
    r = malloc(sizeof(*r) + n);
    memcpy(r->data, p, n);
    b = uv_buf_init(r->data, (unsigned)n);
    if (uv_write(&r->w, (uv_stream_t *)&c->tcp, &b, 1, on_srv_written) < 0)
        free(r);
}

static void sc_puts(struct sconn *c, const char *s)
{
    sc_write(c, s, strlen(s));
}

static void sc_chunk(struct sconn *c, const char *s)
{
    char tmp[512];
    int n = snprintf(tmp, sizeof(tmp), "%zx\r\n%s\r\n", strlen(s), s);

    sc_write(c, tmp, (size_t)n);
}

static void on_sc_closed(uv_handle_t *h)
{
    struct sconn *c = h->data;

    if (++c->nclosed < 2)
        return;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        c->s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c->in);
    free(c);
}

static void sc_close(struct sconn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->tcp, on_sc_closed);
    uv_close((uv_handle_t *)&c->timer, on_sc_closed);
}

static void on_sc_shutdown(uv_shutdown_t *req, int status)
{
    struct sconn *c = req->data;

    LMX_UNUSED(status);
    free(req);
    sc_close(c);
}

/* Sends what is queued, then FIN, then closes. */
static void sc_shutdown(struct sconn *c)
{
    uv_shutdown_t *req = malloc(sizeof(*req));

    c->shut = true;
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_sc_shutdown) < 0) {
        free(req);
        sc_close(c);
    }
}

static void on_sc_timer(uv_timer_t *t)
{
    struct sconn *c = t->data;
    char tmp[64];

    switch (c->route) {
    case R_CHUNKED:
        if (c->step < 5) {
            snprintf(tmp, sizeof(tmp), "chunk-%d\n", c->step++);
            sc_chunk(c, tmp);
            uv_timer_start(&c->timer, on_sc_timer, 20, 0);
        } else {
            sc_puts(c, "0\r\n\r\n");
            c->route = 0;
        }
        break;
    case R_FOREVER:
        snprintf(tmp, sizeof(tmp), "tick-%d\n", c->step++);
        sc_chunk(c, tmp);
        uv_timer_start(&c->timer, on_sc_timer, 10, 0);
        break;
    default:
        break;
    }
}

static const char *find_ci(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle), i;

    for (i = 0; i + k <= n; i++) {
        if (strncasecmp(h + i, needle, k) == 0)
            return h + i;
    }
    return NULL;
}

static void sc_route(struct sconn *c, const char *path, const char *body, size_t blen)
{
    char tmp[256];

    if (strcmp(path, "/plain") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Test: 1\r\n\r\nhello world");
    } else if (strcmp(path, "/echo") == 0) {
        snprintf(tmp, sizeof(tmp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", blen);
        sc_puts(c, tmp);
        if (blen > 0)
            sc_write(c, body, blen);
    } else if (strcmp(path, "/429") == 0) {
        static const char b[] = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}";

        snprintf(tmp, sizeof(tmp),
                 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                 "Retry-After: 1\r\nContent-Length: %zu\r\n\r\n%s",
                 sizeof(b) - 1, b);
        sc_puts(c, tmp);
    } else if (strcmp(path, "/chunked") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        c->route = R_CHUNKED;
        c->step = 0;
        uv_timer_start(&c->timer, on_sc_timer, 5, 0);
    } else if (strcmp(path, "/forever") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        c->route = R_FOREVER;
        c->step = 0;
        uv_timer_start(&c->timer, on_sc_timer, 1, 0);
    } else if (strcmp(path, "/sse") == 0) {
        static const char all[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "f\r\ndata: {\"a\":1}\n\n\r\n"
                                  "1e\r\n: ping\n\nevent: e\ndata: [DONE]\n\r\n"
                                  "1\r\n\n\r\n"
                                  "0\r\n\r\n";

        sc_write(c, all, sizeof(all) - 1);
    } else if (strcmp(path, "/big") == 0) {
        snprintf(tmp, sizeof(tmp), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_LEN);
        sc_puts(c, tmp);
        sc_write(c, big_body, BIG_LEN);
    } else if (strcmp(path, "/hang") == 0) {
        /* never answer */
    } else if (strcmp(path, "/stall") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        sc_chunk(c, "partial");
    } else if (strcmp(path, "/cut") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        sc_shutdown(c);
    } else if (strcmp(path, "/continue") == 0) {
        sc_puts(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    } else if (strcmp(path, "/redirect") == 0) {
        sc_puts(c, "HTTP/1.1 302 Found\r\nLocation: /plain\r\nContent-Length: 0\r\n\r\n");
    } else if (strcmp(path, "/trailers") == 0) {
        sc_puts(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n"
                   "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n");
    } else {
        sc_puts(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
}

static void sc_process(struct sconn *c)
{
    struct srv *s = c->s;

    while (!c->closing && !c->shut && c->len > 0) {
        const char *end, *cl, *sp1, *sp2, *path;
        size_t hlen, blen = 0, plen;

        if ((unsigned char)c->in[0] == 0x16) { /* TLS ClientHello: not here */
            sc_close(c);
            return;
        }
        end = memmem(c->in, c->len, "\r\n\r\n", 4);
        if (end == NULL)
            return;
        hlen = (size_t)(end + 4 - c->in);
        cl = find_ci(c->in, hlen, "\r\ncontent-length:");
        if (cl != NULL)
            blen = strtoul(cl + 17, NULL, 10);
        if (c->len < hlen + blen)
            return;
        s->requests++;
        sp1 = memchr(c->in, ' ', hlen);
        sp2 = sp1 ? memchr(sp1 + 1, ' ', hlen - (size_t)(sp1 + 1 - c->in)) : NULL;
        if (sp1 == NULL || sp2 == NULL) {
            sc_close(c);
            return;
        }
        snprintf(s->last_method, sizeof(s->last_method), "%.*s", (int)(sp1 - c->in), c->in);
        path = sp1 + 1;
        plen = (size_t)(sp2 - path);
        if (plen > 7 && strncmp(path, "http://", 7) == 0) { /* absolute form: via a proxy */
            const char *slash = memchr(path + 7, '/', plen - 7);

            s->saw_absolute = true;
            if (slash != NULL) {
                plen -= (size_t)(slash - path);
                path = slash;
            }
        }
        snprintf(s->last_path, sizeof(s->last_path), "%.*s", (int)plen, path);
        s->last_head.len = 0;
        lmx_buf_append(&s->last_head, c->in, hlen);
        s->last_body_len = blen;
        sc_route(c, s->last_path, c->in + hlen, blen);
        memmove(c->in, c->in + hlen + blen, c->len - hlen - blen);
        c->len -= hlen + blen;
    }
}

static void on_sc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct sconn *c = h->data;

    LMX_UNUSED(hint);
    if (c->cap - c->len < 65536) {
        c->cap = c->cap * 2 + 65536;
        c->in = realloc(c->in, c->cap);
    }
    *b = uv_buf_init(c->in + c->len, (unsigned)(c->cap - c->len));
}

static void on_sc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct sconn *c = st->data;

    LMX_UNUSED(b);
    if (n < 0) {
        if (!c->closing) {
            c->s->eofs++;
            sc_close(c);
        }
        return;
    }
    c->len += (size_t)n;
    sc_process(c);
}

static void on_srv_conn(uv_stream_t *l, int status)
{
    struct srv *s = l->data;
    struct sconn *c;

    if (status < 0)
        return;
    c = calloc(1, sizeof(*c));
    c->s = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) < 0) {
        sc_close(c);
        return;
    }
    s->accepts++;
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    uv_read_start((uv_stream_t *)&c->tcp, on_sc_alloc, on_sc_read);
}

static int srv_start(struct srv *s, uv_loop_t *loop)
{
    struct sockaddr_in a;
    struct sockaddr_storage name;
    int nlen = sizeof(name);

    memset(s, 0, sizeof(*s));
    s->loop = loop;
    lmx_buf_init(&s->last_head, 1 << 20);
    uv_tcp_init(loop, &s->tcp);
    s->tcp.data = s;
    uv_ip4_addr("127.0.0.1", 0, &a);
    if (uv_tcp_bind(&s->tcp, (const struct sockaddr *)&a, 0) < 0 ||
        uv_listen((uv_stream_t *)&s->tcp, 128, on_srv_conn) < 0 ||
        uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&name, &nlen) < 0)
        return -1;
    s->port = ntohs(((struct sockaddr_in *)&name)->sin_port);
    return 0;
}

static void srv_stop(struct srv *s)
{
    if (s->closed)
        return;
    s->closed = true;
    while (s->conns != NULL) {
        struct sconn *c = s->conns;

        /* on_sc_closed unlinks later: move on by hand */
        s->conns = c->next;
        if (c->next != NULL)
            c->next->prev = NULL;
        c->prev = c->next = NULL;
        if (c->closing) {
            continue;
        }
        sc_close(c);
    }
    uv_close((uv_handle_t *)&s->tcp, NULL);
    lmx_buf_release(&s->last_head);
}

/* ------------------------------------------------------------------ */
/* client side                                                         */

struct env {
    uv_loop_t loop;
    struct srv srv;
    struct lmx_upstream *u;
    int up_closed;
    bool close_called;
    char url[256];
};

struct call {
    struct env *e;
    struct lmx_xfer *x;
    int nhdr, ndata, ndone;
    long status;
    struct lmx_buf hdrs, body;
    int err;
    char msg[256];
    bool data_before_hdr;
    int hdr_ret;    /* on_headers returns this */
    int fail_after; /* on data call number N (1-based), return data_ret */
    int data_ret;
    int pause_every; /* pause on every Nth fresh delivery */
    int pause_ms;    /* resume from a timer after this long */
    bool redelivery; /* the next on_data must repeat the paused bytes */
    char paused_head[16];
    size_t paused_len;
    int npauses;
    bool redelivery_ok;
    uv_timer_t rt;
    bool in_resume;      /* lmx_xfer_resume is on the stack */
    bool done_in_resume; /* on_done ran inside lmx_xfer_resume (must not) */
    void (*on_hdr_hook)(struct call *c);
    void (*on_data_hook)(struct call *c);
    void (*on_done_hook)(struct call *c);
    void *arg;
};

static int env_init(struct env *e, const struct lmx_upstream_opts *o)
{
    memset(e, 0, sizeof(*e));
    if (uv_loop_init(&e->loop) < 0 || srv_start(&e->srv, &e->loop) < 0)
        return -1;
    return lmx_upstream_new(&e->u, &e->loop, o);
}

static void on_up_closed(void *arg)
{
    ((struct env *)arg)->up_closed++;
}

static void env_close(struct env *e)
{
    e->close_called = true;
    lmx_upstream_close(e->u, on_up_closed, e);
}

static const char *url(struct env *e, const char *path)
{
    snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d%s", e->srv.port, path);
    return e->url;
}

static void on_watchdog(uv_timer_t *t)
{
    LMX_UNUSED(t);
}

/* Runs the loop until *counter >= target or ms pass; true when reached. */
static bool wait_for(struct env *e, const int *counter, int target, int ms)
{
    uv_timer_t wd;
    uint64_t end;

    uv_update_time(&e->loop);
    end = uv_now(&e->loop) + (uint64_t)ms;
    uv_timer_init(&e->loop, &wd);
    /* a short repeating tick: libuv 1.44 runs due timers before it polls, so one
       UV_RUN_ONCE may otherwise sleep until the next timer after our condition is met */
    uv_timer_start(&wd, on_watchdog, 5, 5);
    while (*counter < target && uv_now(&e->loop) < end)
        uv_run(&e->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&wd, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT);
    return *counter >= target;
}

static void sleep_loop(struct env *e, int ms)
{
    int never = 0;

    wait_for(e, &never, 1, ms);
}

/* Closes the client and the server; fails when a handle is left behind. */
static void env_fini(struct env *e)
{
    uint64_t end;

    if (e->u != NULL && !e->close_called)
        env_close(e);
    srv_stop(&e->srv);
    uv_update_time(&e->loop);
    end = uv_now(&e->loop) + 2000;
    while (uv_loop_alive(&e->loop) && uv_now(&e->loop) < end) {
        uv_run(&e->loop, UV_RUN_NOWAIT);
        usleep(1000);
        uv_update_time(&e->loop);
    }
    ASSERT_EQ(e->up_closed, 1);
    ASSERT_EQ(uv_loop_close(&e->loop), 0);
}

static void call_init(struct call *c, struct env *e)
{
    memset(c, 0, sizeof(*c));
    c->e = e;
    c->err = 1;
    lmx_buf_init(&c->hdrs, 1 << 20);
    lmx_buf_init(&c->body, 1 << 24);
    uv_timer_init(&e->loop, &c->rt);
    c->rt.data = c;
}

static void call_release(struct call *c)
{
    uv_close((uv_handle_t *)&c->rt, NULL);
    uv_run(&c->e->loop, UV_RUN_NOWAIT);
    lmx_buf_release(&c->hdrs);
    lmx_buf_release(&c->body);
}

static int c_on_headers(struct lmx_xfer *x, long status, const char *h, size_t n, void *ud)
{
    struct call *c = ud;

    if (x != c->x && c->x != NULL)
        return LMX_EINTERNAL;
    c->nhdr++;
    c->status = status;
    lmx_buf_append(&c->hdrs, h, n);
    if (c->on_hdr_hook != NULL)
        c->on_hdr_hook(c);
    return c->hdr_ret;
}

static void on_resume_timer(uv_timer_t *t)
{
    struct call *c = t->data;

    if (c->x == NULL)
        return;
    c->in_resume = true;
    lmx_xfer_resume(c->x);
    c->in_resume = false;
}

static int c_on_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct call *c = ud;

    LMX_UNUSED(x);
    if (c->nhdr == 0)
        c->data_before_hdr = true;
    if (c->redelivery) {
        /* the paused bytes come again (maybe with more after them) */
        c->redelivery = false;
        if (n < c->paused_len || memcmp(p, c->paused_head, LMX_MIN(n, sizeof(c->paused_head))) != 0)
            c->redelivery_ok = false;
    } else {
        c->ndata++;
        if (c->fail_after > 0 && c->ndata >= c->fail_after)
            return c->data_ret;
        if (c->pause_every > 0 && c->ndata % c->pause_every == 0) {
            c->npauses++;
            c->redelivery = true;
            c->paused_len = n;
            memcpy(c->paused_head, p, LMX_MIN(n, sizeof(c->paused_head)));
            uv_timer_start(&c->rt, on_resume_timer, (uint64_t)c->pause_ms, 0);
            return LMX_AGAIN;
        }
    }
    if (lmx_buf_append(&c->body, p, n) < 0)
        return LMX_ETOOBIG;
    if (c->on_data_hook != NULL)
        c->on_data_hook(c);
    return 0;
}

static void c_on_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct call *c = ud;

    LMX_UNUSED(x);
    c->ndone++;
    c->err = err;
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    if (c->in_resume)
        c->done_in_resume = true;
    c->x = NULL;
    if (c->on_done_hook != NULL)
        c->on_done_hook(c);
}

static const struct lmx_xfer_cbs call_cbs = {c_on_headers, c_on_data, c_on_done};

static int call_start_req(struct call *c, struct lmx_xfer_req *req)
{
    return lmx_xfer_start(c->e->u, req, &call_cbs, c, &c->x);
}

static int call_get(struct call *c, const char *path, double idle, double total)
{
    struct lmx_xfer_req req = {0};

    req.method = "GET";
    req.url = url(c->e, path);
    req.idle_timeout = idle;
    req.total_timeout = total;
    req.connect_timeout = 2;
    return call_start_req(c, &req);
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

#ifdef LMX_FAULT_INJECT
static char *test_strdup(const char *s)
{
    return lmx_strdup(s);
}
#endif

static void test_plain(void)
{
    struct env e;
    struct call c;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/plain", 2, 5), 0);
    ASSERT_EQ(lmx_upstream_active(e.u), 1u);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(c.msg, "");
    ASSERT_EQ(c.status, 200);
    ASSERT_EQ(c.nhdr, 1);
    ASSERT(!c.data_before_hdr);
    ASSERT(lmx_has_prefix(c.hdrs.data, c.hdrs.len, "HTTP/1.1 200 OK\r\n"));
    ASSERT(strstr(c.hdrs.data, "\r\nX-Test: 1\r\n") != NULL);
    ASSERT(c.hdrs.len >= 4 && memcmp(c.hdrs.data + c.hdrs.len - 4, "\r\n\r\n", 4) == 0);
    ASSERT_STR_EQ(c.body.data, "hello world");
    ASSERT_EQ(lmx_upstream_active(e.u), 0u);
    /* what curl sent */
    ASSERT_STR_EQ(e.srv.last_method, "GET");
    ASSERT(find_ci(e.srv.last_head.data, e.srv.last_head.len, "expect:") == NULL);
    ASSERT(find_ci(e.srv.last_head.data, e.srv.last_head.len, "accept-encoding:") == NULL);
    call_release(&c);
    env_fini(&e);
}

static void test_methods_and_body(void)
{
    static const char *const hdrs[] = {"Content-Type: application/json",
                                       "Authorization: Bearer sk-test"};
    struct lmx_xfer_req req = {0};
    struct env e;
    struct call c;
    char *large;
    size_t large_len = 2u << 20, i;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    req.method = "POST";
    req.url = url(&e, "/echo");
    req.headers = hdrs;
    req.nheaders = 2;
    req.body = "{\"a\":1}";
    req.body_len = 7;
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(c.body.data, "{\"a\":1}");
    ASSERT_STR_EQ(e.srv.last_method, "POST");
    ASSERT(strstr(e.srv.last_head.data, "\r\nAuthorization: Bearer sk-test\r\n") != NULL);
    ASSERT(strstr(e.srv.last_head.data, "\r\nContent-Type: application/json\r\n") != NULL);
    ASSERT(find_ci(e.srv.last_head.data, e.srv.last_head.len, "expect:") == NULL);
    call_release(&c);

    /* a large body: no "Expect: 100-continue" round trip, all bytes arrive */
    large = malloc(large_len);
    for (i = 0; i < large_len; i++)
        large[i] = (char)('a' + i % 26);
    call_init(&c, &e);
    req.body = large;
    req.body_len = large_len;
    req.method = "PUT";
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(e.srv.last_method, "PUT");
    ASSERT_EQ(e.srv.last_body_len, large_len);
    ASSERT_EQ(c.body.len, large_len);
    ASSERT(memcmp(c.body.data, large, large_len) == 0);
    ASSERT(find_ci(e.srv.last_head.data, e.srv.last_head.len, "expect:") == NULL);
    call_release(&c);
    free(large);

    /* DELETE without a body */
    call_init(&c, &e);
    req.method = "DELETE";
    req.body = NULL;
    req.body_len = 0;
    req.nheaders = 0;
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(e.srv.last_method, "DELETE");
    ASSERT_EQ(e.srv.last_body_len, 0u);
    call_release(&c);

    /* POST with an empty body */
    call_init(&c, &e);
    req.method = "POST";
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(e.srv.last_method, "POST");
    ASSERT(find_ci(e.srv.last_head.data, e.srv.last_head.len, "content-length: 0") != NULL);
    call_release(&c);
    ASSERT_EQ(e.srv.accepts, 1);
    env_fini(&e);
}

static void test_chunked_pause(void)
{
    struct env e;
    struct call c;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    c.pause_every = 1; /* every fresh delivery is refused once */
    c.pause_ms = 5;
    c.redelivery_ok = true;
    ASSERT_EQ(call_get(&c, "/chunked", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.status, 200);
    ASSERT(c.npauses >= 5);
    ASSERT(c.redelivery_ok);
    ASSERT_STR_EQ(c.body.data, "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n");
    call_release(&c);
    env_fini(&e);
}

static void test_big_pause(void)
{
    struct env e;
    struct call c;
    size_t i;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    c.pause_every = 3;
    c.pause_ms = 1;
    c.redelivery_ok = true;
    ASSERT_EQ(call_get(&c, "/big", 0.5, 10), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 8000));
    ASSERT_EQ(c.err, 0);
    ASSERT(c.npauses >= 3);
    ASSERT(c.redelivery_ok);
    ASSERT_EQ(c.body.len, (size_t)BIG_LEN);
    for (i = 0; i < BIG_LEN; i++) {
        if (c.body.data[i] != big_body[i])
            break;
    }
    ASSERT_EQ(i, (size_t)BIG_LEN);
    call_release(&c);
    env_fini(&e);
}

/* A pause longer than the idle timeout is not a stall. */
static void test_pause_is_not_idle(void)
{
    struct env e;
    struct call c;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    c.pause_every = 1;
    c.pause_ms = 300;
    c.redelivery_ok = true;
    ASSERT_EQ(call_get(&c, "/plain", 0.1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.npauses, 1);
    ASSERT_STR_EQ(c.body.data, "hello world");
    call_release(&c);
    env_fini(&e);
}

static void test_429(void)
{
    struct env e;
    struct call c;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/429", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.status, 429);
    ASSERT(strstr(c.hdrs.data, "Retry-After: 1") != NULL);
    ASSERT_STR_EQ(c.body.data, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
    call_release(&c);
    env_fini(&e);
}

static void test_timeouts(void)
{
    struct env e;
    struct call c;
    uint64_t t0;
    int eofs;

    ASSERT_EQ(env_init(&e, NULL), 0);
    /* idle: nothing ever comes */
    call_init(&c, &e);
    t0 = lmx_now_ns();
    eofs = e.srv.eofs;
    ASSERT_EQ(call_get(&c, "/hang", 0.2, 0), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ETIMEOUT);
    ASSERT_EQ(c.nhdr, 0);
    ASSERT(lmx_now_ns() - t0 >= 150000000u);
    ASSERT(c.msg[0] != '\0');
    ASSERT(wait_for(&e, &e.srv.eofs, eofs + 1, 2000)); /* the connection is closed */
    call_release(&c);

    /* total */
    call_init(&c, &e);
    t0 = lmx_now_ns();
    ASSERT_EQ(call_get(&c, "/hang", 0, 0.2), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ETIMEOUT);
    ASSERT(lmx_now_ns() - t0 >= 150000000u);
    call_release(&c);

    /* idle after part of the body */
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/stall", 0.2, 0), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ETIMEOUT);
    ASSERT_EQ(c.status, 200);
    ASSERT_STR_EQ(c.body.data, "partial");
    call_release(&c);
    env_fini(&e);
}

static void test_broken(void)
{
    struct env e;
    struct call c;
    uv_tcp_t t;
    struct sockaddr_in a;
    struct sockaddr_storage name;
    int nlen = sizeof(name), port;
    char u[128];
    struct lmx_xfer_req req = {0};

    ASSERT_EQ(env_init(&e, NULL), 0);
    /* closed mid-body */
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/cut", 2, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_EUPSTREAM);
    ASSERT_EQ(c.status, 200);
    ASSERT_STR_EQ(c.body.data, "0123456789");
    ASSERT(c.msg[0] != '\0');
    call_release(&c);

    /* refused: a port that was just free */
    uv_tcp_init(&e.loop, &t);
    uv_ip4_addr("127.0.0.1", 0, &a);
    ASSERT_EQ(uv_tcp_bind(&t, (const struct sockaddr *)&a, 0), 0);
    ASSERT_EQ(uv_tcp_getsockname(&t, (struct sockaddr *)&name, &nlen), 0);
    port = ntohs(((struct sockaddr_in *)&name)->sin_port);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&e.loop, UV_RUN_NOWAIT);
    call_init(&c, &e);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/plain", port);
    req.method = "GET";
    req.url = u;
    req.connect_timeout = 2;
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ECONNECT);
    ASSERT_EQ(c.nhdr, 0);
    call_release(&c);

    /* TLS to a server that is not speaking it (loading the CA store is slow under valgrind) */
    call_init(&c, &e);
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/plain", e.srv.port);
    req.connect_timeout = 20;
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 20000));
    ASSERT_EQ(c.err, LMX_ECONNECT);
    call_release(&c);

    /* not a URL we accept */
    call_init(&c, &e);
    req.url = "ftp://127.0.0.1/x";
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ECONFIG);
    call_release(&c);
    env_fini(&e);
}

static void test_ca_bundle(void)
{
    struct lmx_upstream_opts o = {"no-such-dir/ca.pem", 4};
    struct env e;
    struct call c;
    char u[128];
    struct lmx_xfer_req req = {0};

    ASSERT_EQ(env_init(&e, &o), 0);
    call_init(&c, &e);
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/plain", e.srv.port);
    req.method = "GET";
    req.url = u;
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 20000));
    ASSERT_EQ(c.err, LMX_ECONNECT);
    call_release(&c);
    env_fini(&e);
}

static void cancel_soon(uv_timer_t *t)
{
    struct call *c = t->data;

    lmx_xfer_cancel(c->x);
    c->x = NULL;
}

static void hook_cancel_other(struct call *c)
{
    struct call *other = c->arg;

    if (other->x != NULL) {
        lmx_xfer_cancel(other->x);
        other->x = NULL;
    }
}

static void hook_cancel_self(struct call *c)
{
    if (c->x != NULL && c->ndata >= 2) {
        lmx_xfer_cancel(c->x); /* not in the contract, but tolerated */
        c->x = NULL;
    }
}

static void test_cancel(void)
{
    struct env e;
    struct call a, b;
    int eofs;

    ASSERT_EQ(env_init(&e, NULL), 0);
    /* from a timer, after the stream started */
    call_init(&a, &e);
    ASSERT_EQ(call_get(&a, "/forever", 1, 0), 0);
    ASSERT(wait_for(&e, &a.ndata, 2, 3000));
    eofs = e.srv.eofs;
    uv_timer_start(&a.rt, cancel_soon, 0, 0);
    ASSERT(wait_for(&e, &e.srv.eofs, eofs + 1, 3000));
    sleep_loop(&e, 50);
    ASSERT_EQ(a.ndone, 0);
    ASSERT_EQ(lmx_upstream_active(e.u), 0u);
    call_release(&a);

    /* from inside another transfer's on_data (curl is on the stack) */
    call_init(&a, &e);
    call_init(&b, &e);
    ASSERT_EQ(call_get(&a, "/forever", 1, 0), 0);
    ASSERT(wait_for(&e, &a.ndata, 1, 3000));
    b.on_data_hook = hook_cancel_other;
    b.arg = &a;
    eofs = e.srv.eofs;
    ASSERT_EQ(call_get(&b, "/chunked", 1, 5), 0);
    ASSERT(wait_for(&e, &b.ndone, 1, 3000));
    ASSERT_EQ(b.err, 0);
    ASSERT_STR_EQ(b.body.data, "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n");
    ASSERT(wait_for(&e, &e.srv.eofs, eofs + 1, 3000));
    ASSERT_EQ(a.ndone, 0);
    call_release(&a);
    call_release(&b);

    /* from its own on_data */
    call_init(&a, &e);
    a.on_data_hook = hook_cancel_self;
    eofs = e.srv.eofs;
    ASSERT_EQ(call_get(&a, "/forever", 1, 0), 0);
    ASSERT(wait_for(&e, &e.srv.eofs, eofs + 1, 3000));
    sleep_loop(&e, 30);
    ASSERT_EQ(a.ndone, 0);
    ASSERT_EQ(a.ndata, 2);
    ASSERT_EQ(lmx_upstream_active(e.u), 0u);
    call_release(&a);
    env_fini(&e);
}

static void hook_start_next(struct call *c)
{
    struct call *next = c->arg;

    if (next != NULL && next->x == NULL && next->ndone == 0)
        call_get(next, "/plain", 1, 5);
}

static void test_reuse(void)
{
    struct env e;
    struct call a, b, d;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&a, &e);
    call_init(&b, &e);
    call_init(&d, &e);
    a.on_done_hook = hook_start_next; /* a retry-like start from on_done */
    a.arg = &b;
    ASSERT_EQ(call_get(&a, "/plain", 1, 5), 0);
    ASSERT(wait_for(&e, &b.ndone, 1, 3000));
    ASSERT_EQ(a.err, 0);
    ASSERT_EQ(b.err, 0);
    ASSERT_STR_EQ(b.body.data, "hello world");
    sleep_loop(&e, 20);
    ASSERT_EQ(call_get(&d, "/chunked", 1, 5), 0);
    ASSERT(wait_for(&e, &d.ndone, 1, 3000));
    ASSERT_EQ(d.err, 0);
    ASSERT_EQ(e.srv.requests, 3);
    ASSERT_EQ(e.srv.accepts, 1);
    call_release(&a);
    call_release(&b);
    call_release(&d);
    env_fini(&e);
}

static void test_parallel(void)
{
    enum { N = 40 };
    struct env e;
    struct call *c = calloc(N, sizeof(*c));
    int round, i, total;

    ASSERT_EQ(env_init(&e, NULL), 0);
    for (round = 0; round < 2; round++) {
        total = 0;
        for (i = 0; i < N; i++) {
            call_init(&c[i], &e);
            ASSERT_EQ(call_get(&c[i], "/chunked", 1, 5), 0);
        }
        ASSERT_EQ(lmx_upstream_active(e.u), (size_t)N);
        for (i = 0; i < N; i++) {
            ASSERT(wait_for(&e, &c[i].ndone, 1, 3000));
            ASSERT_EQ(c[i].err, 0);
            ASSERT_STR_EQ(c[i].body.data, "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n");
            total += c[i].ndone;
        }
        ASSERT_EQ(total, N);
        for (i = 0; i < N; i++)
            call_release(&c[i]);
        sleep_loop(&e, 10);
    }
    ASSERT_EQ(e.srv.accepts, N); /* the second round reused every connection */
    ASSERT_EQ(e.srv.requests, 2 * N);
    free(c);
    env_fini(&e);
}

static void test_callback_errors(void)
{
    struct env e;
    struct call c;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    c.hdr_ret = LMX_EBADREQ;
    ASSERT_EQ(call_get(&c, "/plain", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_EBADREQ);
    ASSERT_EQ(c.ndata, 0);
    call_release(&c);

    call_init(&c, &e);
    c.fail_after = 2;
    c.data_ret = LMX_ERATELIMIT;
    ASSERT_EQ(call_get(&c, "/chunked", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_ERATELIMIT);
    ASSERT_STR_EQ(c.body.data, "chunk-0\n");
    call_release(&c);
    env_fini(&e);
}

static void on_redelivery_fail(uv_timer_t *t)
{
    struct call *c = t->data;

    c->fail_after = 1; /* the re-delivered bytes are refused with an error */
    c->in_resume = true;
    lmx_xfer_resume(c->x);
    c->in_resume = false;
}

static int fail_on_redelivery(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct call *c = ud;

    LMX_UNUSED(x);
    LMX_UNUSED(p);
    LMX_UNUSED(n);
    if (c->fail_after)
        return LMX_EBADPARAM;
    c->npauses++;
    uv_timer_start(&c->rt, on_redelivery_fail, 2, 0);
    return LMX_AGAIN;
}

static void test_redelivery_error(void)
{
    static const struct lmx_xfer_cbs cbs = {c_on_headers, fail_on_redelivery, c_on_done};
    struct lmx_xfer_req req = {0};
    struct env e;
    struct call c;
    int eofs;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    req.method = "GET";
    req.url = url(&e, "/forever");
    eofs = e.srv.eofs;
    ASSERT_EQ(lmx_xfer_start(e.u, &req, &cbs, &c, &c.x), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, LMX_EBADPARAM);
    ASSERT_EQ(c.npauses, 1);
    ASSERT(!c.done_in_resume);
    ASSERT(wait_for(&e, &e.srv.eofs, eofs + 1, 3000));
    call_release(&c);
    env_fini(&e);
}

static void hook_start_from_headers(struct call *c)
{
    struct call *next = c->arg;

    if (next->x == NULL && next->ndone == 0)
        ASSERT_EQ(call_get(next, "/chunked", 1, 5), 0);
}

static void hook_resume_other(struct call *c)
{
    struct call *other = c->arg;

    if (other->x != NULL)
        lmx_xfer_resume(other->x);
}

static void test_reentrancy(void)
{
    struct env e;
    struct call a, b;

    ASSERT_EQ(env_init(&e, NULL), 0);
    /* start a transfer from on_headers (curl is on the stack) */
    call_init(&a, &e);
    call_init(&b, &e);
    a.on_hdr_hook = hook_start_from_headers;
    a.arg = &b;
    ASSERT_EQ(call_get(&a, "/plain", 1, 5), 0);
    ASSERT(wait_for(&e, &b.ndone, 1, 3000));
    ASSERT_EQ(a.err, 0);
    ASSERT_EQ(b.err, 0);
    ASSERT_STR_EQ(b.body.data, "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n");
    call_release(&a);
    call_release(&b);

    /* a pauses with no timer of its own; b's on_data resumes it */
    call_init(&a, &e);
    call_init(&b, &e);
    a.pause_every = 1;
    a.pause_ms = 100000; /* effectively never */
    a.redelivery_ok = true;
    b.on_data_hook = hook_resume_other;
    b.arg = &a;
    ASSERT_EQ(call_get(&a, "/plain", 0, 5), 0);
    ASSERT(wait_for(&e, &a.npauses, 1, 3000));
    ASSERT_EQ(call_get(&b, "/chunked", 1, 5), 0);
    ASSERT(wait_for(&e, &a.ndone, 1, 3000));
    ASSERT(wait_for(&e, &b.ndone, 1, 3000));
    ASSERT_EQ(a.err, 0);
    ASSERT(a.redelivery_ok);
    ASSERT_STR_EQ(a.body.data, "hello world");
    ASSERT_EQ(b.err, 0);
    call_release(&a);
    call_release(&b);
    env_fini(&e);
}

static int count_event(const char *ev, size_t evlen, const char *data, size_t dlen, void *ud)
{
    int *n = ud;

    if (*n == 0 && (evlen != 0 || strcmp(data, "{\"a\":1}") != 0))
        return LMX_EINTERNAL;
    if (*n == 1 && (strcmp(ev, "e") != 0 || dlen != 6))
        return LMX_EINTERNAL;
    (*n)++;
    return 0;
}

static void test_interim_redirect_trailers_sse(void)
{
    struct env e;
    struct call c;
    struct lmx_sse_reader r;
    int nev = 0;
    int err;

    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/continue", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.nhdr, 1);
    ASSERT_EQ(c.status, 200);
    ASSERT(strstr(c.hdrs.data, "100 Continue") == NULL);
    ASSERT(lmx_has_prefix(c.hdrs.data, c.hdrs.len, "HTTP/1.1 200 OK\r\n"));
    ASSERT_STR_EQ(c.body.data, "ok");
    call_release(&c);

    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/redirect", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.status, 302);
    ASSERT_EQ(c.nhdr, 1);
    ASSERT_STR_EQ(e.srv.last_path, "/redirect"); /* not followed */
    call_release(&c);

    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/trailers", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT_EQ(c.nhdr, 1);
    ASSERT(strstr(c.hdrs.data, "X-Trailer: t") == NULL);
    ASSERT_STR_EQ(c.body.data, "hello");
    call_release(&c);

    /* headers and body in one read: on_headers still comes first */
    call_init(&c, &e);
    ASSERT_EQ(call_get(&c, "/sse", 1, 5), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    ASSERT_EQ(c.err, 0);
    ASSERT(!c.data_before_hdr);
    ASSERT(strstr(c.hdrs.data, "text/event-stream") != NULL);
    ASSERT_STR_EQ(c.body.data, "data: {\"a\":1}\n\n: ping\n\nevent: e\ndata: [DONE]\n\n");
    lmx_sse_reader_init(&r, 4096);
    err = lmx_sse_reader_feed(&r, c.body.data, c.body.len, count_event, &nev);
    if (err == 0)
        err = lmx_sse_reader_finish(&r, count_event, &nev);
    lmx_sse_reader_release(&r);
    ASSERT_EQ(err, 0);
    ASSERT_EQ(nev, 2);
    call_release(&c);
    env_fini(&e);
}

static void on_close_done_start(struct call *c)
{
    struct call *self = c;
    struct lmx_xfer *x = NULL;
    struct lmx_xfer_req req = {0};

    req.method = "GET";
    req.url = "http://127.0.0.1:1/";
    /* a retry attempted while closing is refused */
    self->arg = (void *)(intptr_t)lmx_xfer_start(self->e->u, &req, &call_cbs, self, &x);
}

static void hook_close_upstream(struct call *c)
{
    if (!c->e->close_called)
        env_close(c->e);
}

static void test_close(void)
{
    struct env e;
    struct call a, b;

    /* closed from the top level with transfers in flight */
    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&a, &e);
    call_init(&b, &e);
    a.on_done_hook = on_close_done_start;
    ASSERT_EQ(call_get(&a, "/forever", 1, 0), 0);
    ASSERT_EQ(call_get(&b, "/hang", 0, 0), 0);
    ASSERT(wait_for(&e, &a.ndata, 1, 3000));
    env_close(&e);
    ASSERT_EQ(a.ndone, 1);
    ASSERT_EQ(b.ndone, 1);
    ASSERT_EQ(a.err, LMX_ECLIENT);
    ASSERT_EQ(b.err, LMX_ECLIENT);
    ASSERT_EQ((int)(intptr_t)a.arg, LMX_ESHUTDOWN);
    call_release(&a);
    call_release(&b);
    env_fini(&e);

    /* closed from inside on_data: happens once curl has returned */
    ASSERT_EQ(env_init(&e, NULL), 0);
    call_init(&a, &e);
    call_init(&b, &e);
    ASSERT_EQ(call_get(&b, "/hang", 0, 0), 0);
    a.on_data_hook = hook_close_upstream;
    ASSERT_EQ(call_get(&a, "/forever", 1, 0), 0);
    ASSERT(wait_for(&e, &e.up_closed, 1, 3000));
    ASSERT_EQ(a.ndone, 1);
    ASSERT_EQ(b.ndone, 1);
    ASSERT_EQ(a.err, LMX_ECLIENT);
    ASSERT_EQ(b.err, LMX_ECLIENT);
    call_release(&a);
    call_release(&b);
    env_fini(&e);
}

static void test_proxy_env(void)
{
    struct env e;
    struct call c;
    char proxy[64];
    struct lmx_xfer_req req = {0};

    ASSERT_EQ(env_init(&e, NULL), 0);
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", e.srv.port);
    setenv("http_proxy", proxy, 1);
    call_init(&c, &e);
    req.method = "GET";
    req.url = "http://upstream.invalid/plain";
    ASSERT_EQ(call_start_req(&c, &req), 0);
    ASSERT(wait_for(&e, &c.ndone, 1, 3000));
    unsetenv("http_proxy");
    ASSERT_EQ(c.err, 0);
    ASSERT_STR_EQ(c.body.data, "hello world");
    ASSERT(e.srv.saw_absolute);
    call_release(&c);
    env_fini(&e);
}

#ifdef LMX_FAULT_INJECT
/*
 * Every allocation point of a transfer fails once in turn (a failed one stays
 * failed until the countdown is reset): the start fails cleanly, or on_done
 * comes exactly once, and nothing leaks (run under ASan) or stays open.
 */
static void test_oom(void)
{
    long n;
    int failures = 0;

    for (n = 0; n < 5000; n++) {
        struct env e;
        struct call c;
        int rc;

        ASSERT_EQ(env_init(&e, NULL), 0);
        call_init(&c, &e);
        lmx_alloc_fail_after(n);
        rc = call_get(&c, (n & 1) ? "/chunked" : "/plain", 0.2, 2);
        if (rc == 0)
            wait_for(&e, &c.ndone, 1, 3000);
        lmx_alloc_fail_after(-1);
        sleep_loop(&e, 5);
        call_release(&c);
        env_fini(&e);
        if (rc != 0) {
            ASSERT_EQ(rc, LMX_ENOMEM);
            ASSERT_EQ(c.ndone, 0);
            failures++;
            continue;
        }
        ASSERT_EQ(c.ndone, 1);
        if (c.err == 0)
            break; /* no allocation failed: every later n passes too */
        failures++;
    }
    ASSERT(n < 5000);
    ASSERT(failures > 10);
}
#endif

int main(void)
{
    static const char *const proxies[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                          "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
    size_t i;

    alarm(60); /* a hung loop fails the test instead of blocking ctest */
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < LMX_ARRAY_SIZE(proxies); i++)
        unsetenv(proxies[i]);
#ifdef LMX_FAULT_INJECT
    /* curl only: libuv aborts when its own allocations fail */
    curl_global_init_mem(CURL_GLOBAL_DEFAULT, lmx_malloc, lmx_free, lmx_realloc, test_strdup,
                         lmx_calloc);
#else
    lmx_alloc_install();
#endif
    big_body = malloc(BIG_LEN);
    for (i = 0; i < BIG_LEN; i++)
        big_body[i] = (char)(i % 251);

    RUN(test_plain);
    RUN(test_methods_and_body);
    RUN(test_chunked_pause);
    RUN(test_big_pause);
    RUN(test_pause_is_not_idle);
    RUN(test_429);
    RUN(test_timeouts);
    RUN(test_broken);
    RUN(test_ca_bundle);
    RUN(test_cancel);
    RUN(test_reuse);
    RUN(test_parallel);
    RUN(test_callback_errors);
    RUN(test_redelivery_error);
    RUN(test_reentrancy);
    RUN(test_interim_redirect_trailers_sse);
    RUN(test_close);
    RUN(test_proxy_env);
#ifdef LMX_FAULT_INJECT
    RUN(test_oom);
#endif
    free(big_body);
    TEST_MAIN_END();
}
