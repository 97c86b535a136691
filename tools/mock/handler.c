/*
 * tools/mock/handler.c - llmux-mock: the request callback. Routing, the API
 * key check, the per-request controls (x-mock-* headers and model-name forms),
 * faults, delayed answers and streams with backpressure.
 *
 * A request that can be answered at once (no delay, not a stream) is answered
 * from inside the callback with the worker's scratch buffer and allocates
 * nothing of ours. Anything else gets a struct mock_call with one uv_timer
 * (latency, then the interval between chunks); the call is freed in the
 * timer's close callback.
 *
 * client_aborts must be exact: it counts requests whose client went away
 * before we finished. The http layer calls on_abort for those, unless we call
 * lmx_http_res_end first, so once a write reports LMX_ECLIENT we never end the
 * request ourselves but wait for on_abort; before ending we probe with a
 * zero-length write (it reports LMX_ECLIENT when the connection is closing).
 */
#include "core/lmx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "mock.h"

#define BATCH_MAX            (256u << 10) /* stream bytes per write when there is no interval */
#define MAX_TEXT             ((size_t)256u << 20) /* non-stream completion text */
#define CUT_STREAM_MAX_UNITS 1000000

enum route { R_NONE, R_CHAT, R_COMPLETION, R_EMBEDDING, R_MODELS, R_MODEL };

struct route_info {
    enum route r;
    const char *dep; /* Azure deployment name, not NUL-terminated */
    size_t dep_len;
    const char *id; /* GET /v1/models/{id} */
    size_t id_len;
};

enum fault { F_UNSET = -1, F_NONE, F_SLOW, F_DISCONNECT, F_MALFORMED, F_HANG, F_RESET };

/* Random faults of mock-chaos-N, and the names x-mock-chaos-faults uses for them. */
enum chaos { CH_500, CH_429, CH_RESET, CH_SLOW, CH_DISCONNECT, CH_N };

static const char *const chaos_names[CH_N] = {"500", "429", "reset", "slow", "disconnect"};

#define CHAOS_ALL     ((1 << CH_N) - 1)
#define CHAOS_SLOW_MS 300

/* Per-request controls; -1 (or NULL) means "not given". Strings borrow the request's storage. */
struct ctl {
    long latency_ms;
    long status;
    long chunks;
    long chunk_bytes;
    long interval_ms;
    enum fault fault;
    long fault_arg;
    const char *retry_after, *err_msg, *err_type, *err_code;
    size_t retry_after_len, err_msg_len, err_type_len, err_code_len;
    const char *bad;     /* a control header whose value we cannot read */
    long chaos_pct;      /* mock-chaos-N: N, else -1 */
    int chaos_mask;      /* x-mock-chaos-faults: the faults to draw from, -1 = all */
    long seed;           /* x-mock-seed, -1 = none */
    long ctx_limit;      /* mock-context-window[-N]: N (0 = always), else -1 */
    bool content_filter; /* mock-content-filter */
    bool chaos;          /* the answer was drawn by chaos */
};

enum plan_kind { P_SEND, P_CUT, P_RESET, P_STREAM };

struct plan {
    enum plan_kind kind;
    int status;
    const char *ctype;
    char retry_after[32]; /* "" when none */
    long interval_ms;
    bool cut;     /* stream: stop after the chunks, without the tail, and close */
    uint64_t seq; /* in the request log (0: none) */
};

struct mock_call {
    struct mock_worker *w;
    struct lmx_http_req *req; /* NULL once finished or aborted */
    uv_timer_t timer;
    struct plan plan;
    struct lmx_buf body;
    struct mock_events ev;
    bool has_ev;
    int next;     /* next stream unit: content chunks, then the tail */
    int nunits;   /* content chunks, plus the tail unless cut */
    bool waiting; /* no room: resume in on_drain */
};

/* ------------------------------------------------------------------------ */
/* Routing */

static void route_of(const char *path, size_t n, struct route_info *ri)
{
    const char *p = path, *end = path + n;
    size_t rest;

    memset(ri, 0, sizeof(*ri));
    ri->r = R_NONE;
    if (lmx_has_prefix(p, n, "/openai/deployments/")) {
        const char *slash;

        p += strlen("/openai/deployments/");
        slash = memchr(p, '/', (size_t)(end - p));
        if (slash == NULL || slash == p)
            return;
        ri->dep = p;
        ri->dep_len = (size_t)(slash - p);
        p = slash;
    } else if (lmx_has_prefix(p, n, "/openai/")) {
        p += strlen("/openai");
    }
    if (lmx_has_prefix(p, (size_t)(end - p), "/v1/"))
        p += 3;
    rest = (size_t)(end - p);
    if (rest == 17 && memcmp(p, "/chat/completions", 17) == 0)
        ri->r = R_CHAT;
    else if (rest == 12 && memcmp(p, "/completions", 12) == 0)
        ri->r = R_COMPLETION;
    else if (rest == 11 && memcmp(p, "/embeddings", 11) == 0)
        ri->r = R_EMBEDDING;
    else if (ri->dep == NULL && rest == 7 && memcmp(p, "/models", 7) == 0)
        ri->r = R_MODELS;
    else if (ri->dep == NULL && rest > 8 && memcmp(p, "/models/", 8) == 0) {
        ri->r = R_MODEL;
        ri->id = p + 8;
        ri->id_len = rest - 8;
    }
}

/* ------------------------------------------------------------------------ */
/* Controls */

static void ctl_init(struct ctl *c)
{
    memset(c, 0, sizeof(*c));
    c->latency_ms = c->status = c->chunks = c->chunk_bytes = c->interval_ms = -1;
    c->fault = F_UNSET;
    c->fault_arg = -1;
    c->chaos_pct = c->chaos_mask = c->seed = c->ctx_limit = -1;
}

static int parse_long(const char *v, size_t n, long lo, long hi, long *out)
{
    char tmp[24];
    char *end;
    long x;

    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    errno = 0;
    x = strtol(tmp, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno != 0 || *end != '\0' || end == tmp || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static bool eq_ci(const char *a, size_t n, const char *lit)
{
    return lmx_streq_ci(a, n, lit);
}

static int parse_fault(struct ctl *c, const char *v, size_t n)
{
    if (eq_ci(v, n, "none")) {
        c->fault = F_NONE;
    } else if (eq_ci(v, n, "malformed")) {
        c->fault = F_MALFORMED;
    } else if (eq_ci(v, n, "hang")) {
        c->fault = F_HANG;
    } else if (eq_ci(v, n, "reset")) {
        c->fault = F_RESET;
    } else if (eq_ci(v, n, "disconnect")) {
        c->fault = F_DISCONNECT;
        c->fault_arg = 1;
    } else if (lmx_has_prefix(v, n, "disconnect:")) {
        c->fault = F_DISCONNECT;
        if (parse_long(v + 11, n - 11, 0, CUT_STREAM_MAX_UNITS, &c->fault_arg) < 0)
            return -1;
    } else if (lmx_has_prefix(v, n, "slow-headers:")) {
        c->fault = F_SLOW;
        if (parse_long(v + 13, n - 13, 0, 86400000, &c->fault_arg) < 0)
            return -1;
    } else {
        return -1;
    }
    return 0;
}

bool mock_fault_valid(const char *v, size_t n)
{
    struct ctl c;

    ctl_init(&c);
    return parse_fault(&c, v, n) == 0;
}

/* "500,reset,slow": a mask of enum chaos. */
static int parse_chaos_faults(const char *v, size_t n, int *mask)
{
    const char *end = v + n;

    *mask = 0;
    while (v < end) {
        const char *comma = memchr(v, ',', (size_t)(end - v));
        const char *e = comma != NULL ? comma : end;
        int k;

        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        for (k = 0; k < CH_N; k++)
            if (eq_ci(v, (size_t)(e - v), chaos_names[k]))
                break;
        if (k == CH_N)
            return -1;
        *mask |= 1 << k;
        v = comma != NULL ? comma + 1 : end;
    }
    return *mask != 0 ? 0 : -1;
}

/* Reads the x-mock-* headers into c. Returns whether the API key check passes. */
static bool ctl_from_headers(struct ctl *c, const struct lmx_http_req *req, const char *key)
{
    size_t keylen = key != NULL ? strlen(key) : 0;
    bool auth = key == NULL;

    for (size_t i = 0; i < req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &req->hdrs[i];
        const char *k = h->name + 7, *v = h->value;
        size_t kl = h->name_len - 7, n = h->value_len;
        int bad = 0;

        if (h->name_len <= 7 || memcmp(h->name, "x-mock-", 7) != 0) {
            if (key == NULL)
                continue;
            if (h->name_len == 13 && memcmp(h->name, "authorization", 13) == 0 && n > 7 &&
                lmx_streq_ci(v, 7, "bearer "))
                auth = auth || lmx_ct_equal(v + 7, n - 7, key, keylen);
            else if (h->name_len == 7 && memcmp(h->name, "api-key", 7) == 0)
                auth = auth || lmx_ct_equal(v, n, key, keylen);
            continue;
        }
#define IS(lit) (kl == sizeof(lit) - 1 && memcmp(k, lit, kl) == 0)
        if (IS("latency-ms"))
            bad = parse_long(v, n, 0, 86400000, &c->latency_ms);
        else if (IS("status"))
            bad = parse_long(v, n, 100, 999, &c->status);
        else if (IS("chunks"))
            bad = parse_long(v, n, 0, MOCK_MAX_CHUNKS, &c->chunks);
        else if (IS("chunk-bytes"))
            bad = parse_long(v, n, 0, MOCK_MAX_CHUNK_BYTES, &c->chunk_bytes);
        else if (IS("interval-ms"))
            bad = parse_long(v, n, 0, 86400000, &c->interval_ms);
        else if (IS("fault"))
            bad = parse_fault(c, v, n);
        else if (IS("seed"))
            bad = parse_long(v, n, 0, LONG_MAX, &c->seed);
        else if (IS("chaos-faults"))
            bad = parse_chaos_faults(v, n, &c->chaos_mask);
        else if (IS("retry-after")) {
            c->retry_after = v;
            c->retry_after_len = n;
            bad = n == 0 || n >= sizeof(((struct plan *)0)->retry_after);
        } else if (IS("error-message")) {
            c->err_msg = v;
            c->err_msg_len = n;
        } else if (IS("error-type")) {
            c->err_type = v;
            c->err_type_len = n;
        } else if (IS("error-code")) {
            c->err_code = v;
            c->err_code_len = n;
        }
#undef IS
        if (bad)
            c->bad = h->name;
    }
    return auth;
}

/* The number after `key` in s, `dflt` when none; -2 when key is absent. */
static long num_after(const char *s, size_t n, const char *key, long dflt)
{
    size_t kl = strlen(key);
    const char *p = memmem(s, n, key, kl);
    long v = 0;
    size_t i;

    if (p == NULL)
        return -2;
    p += kl;
    i = (size_t)(p - s);
    if (i < n && *p == '-') {
        p++;
        i++;
    }
    if (i >= n || *p < '0' || *p > '9')
        return dflt;
    for (; i < n && *p >= '0' && *p <= '9' && v < 100000000; i++, p++)
        v = v * 10 + (*p - '0');
    return v;
}

/*
 * Model-name forms: mock-status-429, mock-latency-200, mock-fault-<fault>[-N],
 * mock-chaos-N, mock-context-window[-N], mock-content-filter. A tag, "@..."
 * after them, is left out: "mock-status-500@a" behaves as "mock-status-500".
 */
static void ctl_from_model(struct ctl *c, const char *m, size_t n)
{
    const char *at;
    long v;

    if (m == NULL)
        return;
    at = memrchr(m, '@', n);
    if (at != NULL)
        n = (size_t)(at - m);
    if (memmem(m, n, "mock-", 5) == NULL)
        return;
    v = num_after(m, n, "mock-chaos-", -1);
    if (v >= 0)
        c->chaos_pct = LMX_MIN(v, 100);
    v = num_after(m, n, "mock-context-window", 0);
    if (v >= 0)
        c->ctx_limit = v;
    if (memmem(m, n, "mock-content-filter", 19) != NULL)
        c->content_filter = true;
    v = num_after(m, n, "mock-status-", -1);
    if (v >= 100 && v <= 999)
        c->status = v;
    v = num_after(m, n, "mock-latency-", -1);
    if (v >= 0)
        c->latency_ms = v;
    if (memmem(m, n, "mock-fault-malformed", 20) != NULL) {
        c->fault = F_MALFORMED;
    } else if (memmem(m, n, "mock-fault-hang", 15) != NULL) {
        c->fault = F_HANG;
    } else if (memmem(m, n, "mock-fault-reset", 16) != NULL) {
        c->fault = F_RESET;
    } else if ((v = num_after(m, n, "mock-fault-disconnect", 1)) >= 0) {
        c->fault = F_DISCONNECT;
        c->fault_arg = LMX_MIN(v, CUT_STREAM_MAX_UNITS);
    } else if ((v = num_after(m, n, "mock-fault-slow-headers", 0)) >= 0) {
        c->fault = F_SLOW;
        c->fault_arg = v;
    }
}

/* A /mock/fail rule in place of the model-name controls; strings borrow the rule. */
static void ctl_from_rule(struct ctl *c, const struct mock_rule *r)
{
    c->status = r->status;
    c->latency_ms = r->latency_ms;
    if (r->fault[0] != '\0')
        parse_fault(c, r->fault, strlen(r->fault)); /* checked when the rule was made */
    if (r->retry_after[0] != '\0') {
        c->retry_after = r->retry_after;
        c->retry_after_len = strlen(r->retry_after);
    }
    if (r->err_msg[0] != '\0') {
        c->err_msg = r->err_msg;
        c->err_msg_len = strlen(r->err_msg);
    }
    if (r->err_code[0] != '\0') {
        c->err_code = r->err_code;
        c->err_code_len = strlen(r->err_code);
    }
}

/* Headers win over the model name, the model over the command line. */
static void ctl_merge(struct ctl *out, const struct ctl *h, const struct ctl *m, long dflt_latency)
{
#define PICK(f) out->f = h->f >= 0 ? h->f : m->f
#define PICK_STR(f)                  \
    if (h->f == NULL) {              \
        out->f = m->f;               \
        out->f##_len = m->f##_len;   \
    }
    *out = *h;
    PICK(latency_ms);
    PICK(status);
    PICK(chunks);
    PICK(chunk_bytes);
    PICK(interval_ms);
    PICK(chaos_pct);
    PICK(ctx_limit);
    PICK_STR(retry_after);
    PICK_STR(err_msg);
    PICK_STR(err_type);
    PICK_STR(err_code);
    out->content_filter = h->content_filter || m->content_filter;
#undef PICK_STR
#undef PICK
    if (h->fault == F_UNSET) {
        out->fault = m->fault;
        out->fault_arg = m->fault_arg;
    }
    if (out->latency_ms < 0)
        out->latency_ms = dflt_latency;
    if (out->fault == F_SLOW)
        out->latency_ms = out->fault_arg;
    if (out->chunks < 0)
        out->chunks = MOCK_DEFAULT_CHUNKS;
    if (out->chunk_bytes < 0)
        out->chunk_bytes = MOCK_DEFAULT_CHUNK_BYTES;
    if (out->interval_ms < 0)
        out->interval_ms = 0;
}

/* ------------------------------------------------------------------------ */
/* Finishing requests */

static void inflight_done(void)
{
    atomic_fetch_sub_explicit(&mock_stats.inflight, 1, memory_order_relaxed);
}

static void on_plain_abort(struct lmx_http_req *req, void *ud)
{
    LMX_UNUSED(req);
    LMX_UNUSED(ud);
    mock_inc(&mock_stats.client_aborts);
    inflight_done();
}

/*
 * Ends the request unless the client is already gone. Returns 0 (ended) or
 * LMX_ECLIENT (left open: on_abort will run).
 */
static int finish(struct lmx_http_req *req, bool keep_alive)
{
    if (lmx_http_res_write(req, "", 0) == LMX_ECLIENT)
        return LMX_ECLIENT;
    lmx_http_res_end(req, keep_alive);
    inflight_done();
    return 0;
}

/* Maps an lmx_http_res_* result: 0 go on, LMX_ECLIENT wait for on_abort, else end now. */
static int write_failed(struct lmx_http_req *req, int err)
{
    if (err == LMX_ECLIENT)
        return LMX_ECLIENT;
    lmx_warn("cannot answer %s: %s", req->peer, lmx_strerror(err));
    lmx_http_res_end(req, false);
    inflight_done();
    return err;
}

static size_t plan_headers(const struct plan *p, struct lmx_http_hdr *h)
{
    size_t n = 0;

    h[n++] = (struct lmx_http_hdr){"Content-Type", 12, p->ctype, strlen(p->ctype)};
    if (p->retry_after[0] != '\0')
        h[n++] = LMX_HDR("retry-after", p->retry_after);
    if (p->kind == P_STREAM)
        h[n++] = LMX_HDR("Cache-Control", "no-cache");
    return n;
}

/*
 * Sends a whole body (P_SEND), or announces it and sends half then closes
 * (P_CUT). Returns 0 when the request is over, LMX_ECLIENT when on_abort will
 * end it.
 */
static int run_send(const struct plan *p, struct lmx_http_req *req, const char *body, size_t len)
{
    struct lmx_http_hdr hdrs[4];
    size_t nh = plan_headers(p, hdrs);
    int err;

    err = lmx_http_res_begin(req, p->status, hdrs, nh, (int64_t)len);
    if (err == 0)
        mock_log_status(p->seq, p->status);
    if (err == 0)
        err = lmx_http_res_write(req, body, p->kind == P_CUT ? len / 2 : len);
    if (err < 0)
        return write_failed(req, err) == LMX_ECLIENT ? LMX_ECLIENT : 0;
    return finish(req, p->kind != P_CUT);
}

struct peer_find {
    const char *peer;
    uv_os_fd_t fd;
    bool found;
};

static void find_peer(uv_handle_t *h, void *arg)
{
    struct peer_find *f = arg;
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?", name[sizeof(((struct lmx_http_req *)0)->peer)];
    int port = 0;

    if (f->found || h->type != UV_TCP || uv_is_closing(h))
        return;
    if (uv_tcp_getpeername((uv_tcp_t *)h, (struct sockaddr *)&ss, &sl) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    snprintf(name, sizeof(name), "%s:%d", ip, port);
    if (strcmp(name, f->peer) == 0 && uv_fileno(h, &f->fd) == 0)
        f->found = true;
}

/*
 * Closes the connection with a TCP RST. The http API has no access to the
 * socket, so we find the connection's handle on our loop by its peer address
 * (the same "ip:port" the http layer reports) and set SO_LINGER 0 before the
 * http layer closes it.
 */
static int run_reset(struct mock_worker *w, struct lmx_http_req *req)
{
    struct peer_find f = {req->peer, -1, false};
    struct linger lg = {1, 0};

    uv_walk(&w->loop, find_peer, &f);
    if (!f.found || setsockopt(f.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
        lmx_debug("fault reset: no socket for %s (gone already?): closing it normally", req->peer);
    return finish(req, false);
}

/* ------------------------------------------------------------------------ */
/* Calls: delayed answers and streams */

static void call_pump(struct mock_call *call);

static void on_call_closed(uv_handle_t *h)
{
    struct mock_call *call = h->data;

    lmx_buf_release(&call->body);
    if (call->has_ev)
        lmx_buf_release(&call->ev.ev);
    lmx_free(call);
}

static void call_done(struct mock_call *call)
{
    call->req = NULL;
    uv_close((uv_handle_t *)&call->timer, on_call_closed);
}

static void on_call_abort(struct lmx_http_req *req, void *ud)
{
    struct mock_call *call = ud;

    LMX_UNUSED(req);
    mock_inc(&mock_stats.client_aborts);
    inflight_done();
    call_done(call);
}

static void on_call_drain(struct lmx_http_req *req, void *ud)
{
    struct mock_call *call = ud;

    LMX_UNUSED(req);
    if (call->req == NULL || !call->waiting)
        return;
    call->waiting = false;
    call_pump(call);
}

/* Stream unit u: content chunk u, or the tail after the last chunk. */
static void unit_bytes(const struct mock_call *call, int u, const char **p, size_t *len)
{
    if (u < call->ev.nchunks) {
        mock_events_chunk(&call->ev, u, p, len);
        return;
    }
    *p = call->ev.ev.data + call->ev.tail_off;
    *len = call->ev.tail_len;
}

/* After the last unit: end normally, or (disconnect) end a Content-Length body short. */
static void stream_end(struct mock_call *call)
{
    if (finish(call->req, !call->plan.cut) == 0)
        call_done(call);
}

static void on_tick(uv_timer_t *t)
{
    call_pump(t->data);
}

/* Writes what it may: everything (no interval) or the next unit (interval). */
static void call_pump(struct mock_call *call)
{
    struct lmx_http_req *req = call->req;
    struct lmx_buf *batch = &call->w->scratch;
    size_t room, cap;
    int err;

    while (call->next < call->nunits) {
        room = lmx_http_res_room(req);
        if (room == 0) {
            call->waiting = true;
            return;
        }
        cap = LMX_MIN(room, BATCH_MAX);
        lmx_buf_reset(batch);
        err = 0;
        while (err == 0 && call->next < call->nunits) {
            const char *p;
            size_t len;

            unit_bytes(call, call->next, &p, &len);
            if (batch->len > 0 && batch->len + len > cap)
                break;
            err = lmx_buf_append(batch, p, len);
            if (err < 0)
                break;
            call->next++;
            /* with an interval: one chunk per tick, the tail goes with the last chunk */
            if (call->plan.interval_ms > 0 && call->next < call->ev.nchunks)
                break;
        }
        if (err == 0)
            err = lmx_http_res_write(req, batch->data, batch->len);
        if (err < 0) {
            if (write_failed(req, err) != LMX_ECLIENT)
                call_done(call);
            return;
        }
        if (call->plan.interval_ms > 0 && call->next < call->nunits) {
            uv_timer_start(&call->timer, on_tick, (uint64_t)call->plan.interval_ms, 0);
            return;
        }
    }
    stream_end(call);
}

/* Headers then the stream. A cut stream announces a Content-Length it never completes. */
static void stream_start(struct mock_call *call)
{
    struct lmx_http_hdr hdrs[4];
    size_t nh = plan_headers(&call->plan, hdrs);
    int64_t length = -1;
    int err;

    if (call->plan.cut) {
        length = (int64_t)call->ev.tail_len;
        for (int u = 0; u < call->nunits; u++) {
            const char *p;
            size_t len;

            unit_bytes(call, u, &p, &len);
            length += (int64_t)len;
        }
    }
    err = lmx_http_res_begin(call->req, call->plan.status, hdrs, nh, length);
    if (err < 0) {
        if (write_failed(call->req, err) != LMX_ECLIENT)
            call_done(call);
        return;
    }
    mock_log_status(call->plan.seq, call->plan.status);
    call_pump(call);
}

static void call_start(struct mock_call *call)
{
    int rc = 0;

    switch (call->plan.kind) {
    case P_SEND:
    case P_CUT:
        rc = run_send(&call->plan, call->req, call->body.data, call->body.len);
        break;
    case P_RESET:
        rc = run_reset(call->w, call->req);
        break;
    case P_STREAM:
        stream_start(call);
        return;
    }
    if (rc != LMX_ECLIENT)
        call_done(call);
}

static void on_delay(uv_timer_t *t)
{
    call_start(t->data);
}

static struct mock_call *call_new(struct mock_worker *w, struct lmx_http_req *req)
{
    struct mock_call *call = lmx_calloc(1, sizeof(*call));

    if (call == NULL)
        return NULL;
    call->w = w;
    call->req = req;
    lmx_buf_init(&call->body, SIZE_MAX / 2);
    uv_timer_init(&w->loop, &call->timer);
    call->timer.data = call;
    req->ud = call;
    req->on_abort = on_call_abort;
    req->on_drain = on_call_drain;
    return call;
}

/* ------------------------------------------------------------------------ */
/* Building the answer */

static void error_defaults(int status, const char **msg, const char **type, const char **code)
{
    *code = NULL;
    switch (status) {
    case 401:
        *msg = "Incorrect API key provided";
        *type = "invalid_request_error";
        *code = "invalid_api_key";
        return;
    case 404:
        *msg = "The model does not exist or you do not have access to it.";
        *type = "invalid_request_error";
        *code = "model_not_found";
        return;
    case 408:
        *msg = "Request timed out.";
        *type = "timeout";
        return;
    case 429:
        *msg = "Rate limit reached for requests";
        *type = "requests";
        *code = "rate_limit_exceeded";
        return;
    case 500:
        *msg = "The server had an error while processing your request. Sorry about that!";
        *type = "server_error";
        return;
    case 503:
        *msg = "The engine is currently overloaded, please try again later.";
        *type = "server_error";
        return;
    default:
        *msg = status >= 500 ? "llmux-mock: simulated server error"
                             : "llmux-mock: simulated client error";
        *type = status >= 500 ? "server_error" : "invalid_request_error";
        return;
    }
}

/* The error body of a simulated status, with the x-mock-error-* overrides. */
static int error_body(struct lmx_buf *out, const struct ctl *c, int status)
{
    const char *msg, *type, *code;
    char m[512], t[128], k[128];

    error_defaults(status, &msg, &type, &code);
    if (c->err_msg != NULL) {
        snprintf(m, sizeof(m), "%.*s", (int)LMX_MIN(c->err_msg_len, sizeof(m) - 1), c->err_msg);
        msg = m;
    }
    if (c->err_type != NULL) {
        snprintf(t, sizeof(t), "%.*s", (int)LMX_MIN(c->err_type_len, sizeof(t) - 1), c->err_type);
        type = t;
    }
    if (c->err_code != NULL) {
        snprintf(k, sizeof(k), "%.*s", (int)LMX_MIN(c->err_code_len, sizeof(k) - 1), c->err_code);
        code = k;
    }
    return mock_body_error(out, msg, type, code);
}

/*
 * Fills the plan and its bytes (body for P_SEND/P_CUT, events for P_STREAM).
 * Returns 0 or an lmx_buf error.
 */
static int plan_build(struct plan *p,
                      struct lmx_buf *body,
                      struct mock_events *ev,
                      bool *has_ev,
                      const struct route_info *ri,
                      const struct mock_in *in,
                      const struct ctl *c)
{
    bool stream = in != NULL && in->stream && (ri->r == R_CHAT || ri->r == R_COMPLETION);
    size_t text_len;
    uint64_t id;
    int err;

    memset(p, 0, sizeof(*p));
    p->kind = P_SEND;
    p->status = c->status >= 200 && c->status < 400 ? (int)c->status : 200;
    p->ctype = "application/json";
    p->interval_ms = c->interval_ms;
    if (c->fault == F_RESET) {
        p->kind = P_RESET;
        return 0;
    }
    if (c->status >= 400) {
        p->status = (int)c->status;
        if (c->retry_after != NULL)
            snprintf(p->retry_after, sizeof(p->retry_after), "%.*s", (int)c->retry_after_len,
                     c->retry_after);
        return error_body(body, c, p->status);
    }
    if (c->fault == F_DISCONNECT)
        p->kind = P_CUT;
    if (stream) {
        int nchunks = (int)(c->fault == F_DISCONNECT ? c->fault_arg : c->chunks);

        id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
        p->kind = P_STREAM;
        p->ctype = "text/event-stream";
        p->cut = c->fault == F_DISCONNECT;
        err = mock_events_build(ev, ri->r == R_CHAT ? MOCK_CHAT : MOCK_COMPLETION, in, id, nchunks,
                                (int)c->chunk_bytes, c->fault == F_MALFORMED);
        *has_ev = err == 0;
        return err;
    }
    switch (ri->r) {
    case R_CHAT:
    case R_COMPLETION:
        text_len = (size_t)c->chunks * (size_t)c->chunk_bytes;
        if (text_len > MAX_TEXT)
            text_len = MAX_TEXT;
        id = atomic_fetch_add_explicit(&mock_stats.next_id, 1, memory_order_relaxed) + 1;
        err = ri->r == R_CHAT ? mock_body_chat(body, in, id, text_len)
                              : mock_body_completion(body, in, id, text_len);
        break;
    case R_EMBEDDING:
        err = mock_body_embeddings(body, in);
        break;
    case R_MODELS:
        err = mock_body_models(body, NULL, 0);
        break;
    case R_MODEL:
        err = mock_body_models(body, ri->id, ri->id_len);
        break;
    default:
        err = LMX_EINTERNAL;
        break;
    }
    if (err == 0 && c->fault == F_MALFORMED) {
        /* half an object is never valid JSON */
        body->len /= 2;
        body->data[body->len] = '\0';
    }
    return err;
}

/* An immediate JSON error answer (auth, routing, bad input); seq: the request in the log. */
static void reply_error(struct mock_worker *w,
                        struct lmx_http_req *req,
                        uint64_t seq,
                        int status,
                        const char *msg,
                        const char *type,
                        const char *code)
{
    struct plan p = {.kind = P_SEND, .status = status, .ctype = "application/json", .seq = seq};

    lmx_buf_reset(&w->scratch);
    if (mock_body_error(&w->scratch, msg, type, code) < 0) {
        lmx_http_res_end(req, false);
        inflight_done();
        return;
    }
    run_send(&p, req, w->scratch.data, w->scratch.len);
}

static void respond(struct mock_worker *w,
                    struct lmx_http_req *req,
                    uint64_t seq,
                    const struct route_info *ri,
                    const struct mock_in *in,
                    const struct ctl *c)
{
    struct mock_call *call;
    struct plan p;
    struct mock_events ev;
    bool has_ev = false;
    int err;

    if (c->fault == F_HANG)
        return; /* never answered; on_plain_abort counts the client giving up */
    if (c->latency_ms == 0 &&
        !(in != NULL && in->stream && c->status < 400 && c->fault != F_RESET &&
          (ri->r == R_CHAT || ri->r == R_COMPLETION))) {
        /* answered now, from the scratch buffer */
        lmx_buf_reset(&w->scratch);
        err = plan_build(&p, &w->scratch, &ev, &has_ev, ri, in, c);
        if (err < 0) {
            reply_error(w, req, seq, 503, "llmux-mock: out of memory", "server_error", NULL);
            return;
        }
        p.seq = seq;
        if (p.kind == P_RESET)
            run_reset(w, req);
        else
            run_send(&p, req, w->scratch.data, w->scratch.len);
        return;
    }
    call = call_new(w, req);
    if (call == NULL) {
        reply_error(w, req, seq, 503, "llmux-mock: out of memory", "server_error", NULL);
        return;
    }
    err = plan_build(&call->plan, &call->body, &call->ev, &call->has_ev, ri, in, c);
    if (err < 0) {
        req->on_abort = on_plain_abort;
        req->on_drain = NULL;
        req->ud = w;
        call_done(call);
        reply_error(w, req, seq, 503, "llmux-mock: out of memory", "server_error", NULL);
        return;
    }
    call->plan.seq = seq;
    if (call->has_ev)
        call->nunits = call->ev.nchunks + (call->plan.cut ? 0 : 1);
    if (c->latency_ms > 0)
        uv_timer_start(&call->timer, on_delay, (uint64_t)c->latency_ms, 0);
    else
        call_start(call);
}

/* ------------------------------------------------------------------------ */
/* Chaos, context windows, content filters */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t worker_rand(struct mock_worker *w)
{
    uint64_t x = w->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/*
 * mock-chaos-N: with probability N% one fault drawn from the allowed ones (500,
 * 429 with retry-after 1, reset, 300 ms before the headers, disconnect: a stream
 * closes after its headers, before any event; a non-stream answer is cut in
 * half). x-mock-seed makes the draw a function of the seed alone.
 */
static void chaos_apply(struct mock_worker *w, struct ctl *c, long seed, int mask, bool stream)
{
    uint64_t r1, r2;
    int n = 0, k, pick;

    if (mask < 0)
        mask = CHAOS_ALL;
    if (seed >= 0) {
        r1 = mix64((uint64_t)seed);
        r2 = mix64(r1);
    } else {
        r1 = worker_rand(w);
        r2 = worker_rand(w);
    }
    if ((double)(r1 >> 11) * 0x1.0p-53 * 100.0 >= (double)c->chaos_pct)
        return;
    for (k = 0; k < CH_N; k++)
        n += (mask >> k) & 1;
    pick = (int)(r2 % (uint64_t)n);
    for (k = 0; k < CH_N; k++)
        if (((mask >> k) & 1) && pick-- == 0)
            break;
    c->chaos = true;
    switch ((enum chaos)k) {
    case CH_500:
        c->status = 500;
        break;
    case CH_429:
        c->status = 429;
        c->retry_after = "1";
        c->retry_after_len = 1;
        break;
    case CH_RESET:
        c->fault = F_RESET;
        break;
    case CH_SLOW:
        c->fault = F_SLOW;
        c->fault_arg = CHAOS_SLOW_MS;
        c->latency_ms = CHAOS_SLOW_MS;
        break;
    case CH_DISCONNECT:
    case CH_N:
        c->fault = F_DISCONNECT;
        c->fault_arg = stream ? 0 : 1;
        break;
    }
}

#define CONTENT_FILTER_MSG                                                                         \
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "   \
    "policy. Please modify your prompt and retry. To learn more about our content filtering "     \
    "policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"

/* The 400 of mock-context-window[-N] and mock-content-filter (x-mock-error-* still win). */
static void special_errors(struct ctl *c, const struct mock_in *in, char *msg, size_t cap)
{
    if (c->ctx_limit >= 0 && in != NULL && in->prompt_words > c->ctx_limit) {
        long limit = c->ctx_limit > 0 ? c->ctx_limit : 4096;
        long got = c->ctx_limit > 0 ? in->prompt_words : LMX_MAX(in->prompt_words, 4097);

        snprintf(msg, cap,
                 "This model's maximum context length is %ld tokens. However, your messages "
                 "resulted in %ld tokens. Please reduce the length of the messages.",
                 limit, got);
        c->status = 400;
        if (c->err_msg == NULL) {
            c->err_msg = msg;
            c->err_msg_len = strlen(msg);
        }
        if (c->err_code == NULL) {
            c->err_code = "context_length_exceeded";
            c->err_code_len = strlen(c->err_code);
        }
    } else if (c->content_filter) {
        c->status = 400;
        if (c->err_msg == NULL) {
            c->err_msg = CONTENT_FILTER_MSG;
            c->err_msg_len = strlen(CONTENT_FILTER_MSG);
        }
        if (c->err_code == NULL) {
            c->err_code = "content_filter";
            c->err_code_len = strlen(c->err_code);
        }
    }
}

static const char *fault_name(const struct ctl *c)
{
    switch (c->fault) {
    case F_SLOW:
        return "slow-headers";
    case F_DISCONNECT:
        return "disconnect";
    case F_MALFORMED:
        return "malformed";
    case F_HANG:
        return "hang";
    case F_RESET:
        return "reset";
    case F_UNSET:
    case F_NONE:
        break;
    }
    return "";
}

/* Adds the request to /mock/log; c may be NULL (rejected before its controls were read). */
static uint64_t log_request(const struct lmx_http_req *req,
                            const char *model,
                            size_t model_len,
                            const struct ctl *c,
                            bool stream,
                            bool rule)
{
    struct mock_log_in li = {
        .model = model,
        .model_len = model_len,
        .path = req->path,
        .path_len = req->path_len,
        .fault = c != NULL ? fault_name(c) : "",
        .arrival_ns = req->start_ns,
        .stream = stream,
        .chaos = c != NULL && c->chaos,
        .rule = rule,
    };

    return mock_log_add(&li);
}

/* An early refusal (auth, routing, method, bad input): logged without a model. */
static void refuse(struct mock_worker *w,
                   struct lmx_http_req *req,
                   const char *model,
                   size_t model_len,
                   int status,
                   const char *msg,
                   const char *type,
                   const char *code)
{
    uint64_t seq = log_request(req, model, model_len, NULL, false, false);

    reply_error(w, req, seq, status, msg, type, code);
}

void mock_handle(struct lmx_http_req *req, void *ud)
{
    struct mock_worker *w = ud;
    struct route_info ri;
    struct ctl hc, mc, c;
    struct mock_in in;
    struct mock_rule rule;
    bool has_in = false, want_post, has_rule = false;
    const char *model = NULL;
    size_t model_len = 0;
    char msg[256];
    uint64_t seq;
    int err;

    if (lmx_has_prefix(req->path, req->path_len, "/mock/") &&
        (mock_stats_route(w, req) || mock_control_route(w, req)))
        return;
    if (mock_family_route(w, req))
        return;
    mock_stats_count(w, req);
    atomic_fetch_add_explicit(&mock_stats.inflight, 1, memory_order_relaxed);
    req->on_abort = on_plain_abort;
    req->ud = w;

    ctl_init(&hc);
    ctl_init(&mc);
    if (!ctl_from_headers(&hc, req, w->opts->api_key)) {
        refuse(w, req, NULL, 0, 401, "Incorrect API key provided", "invalid_request_error",
               "invalid_api_key");
        return;
    }
    route_of(req->path, req->path_len, &ri);
    if (ri.r == R_NONE) {
        snprintf(msg, sizeof(msg), "llmux-mock: no route for %s %.100s", req->method_str,
                 req->path);
        refuse(w, req, NULL, 0, 404, msg, "invalid_request_error", "unknown_url");
        return;
    }
    want_post = ri.r == R_CHAT || ri.r == R_COMPLETION || ri.r == R_EMBEDDING;
    if (req->method != (want_post ? LMX_HTTP_POST : LMX_HTTP_GET)) {
        snprintf(msg, sizeof(msg), "llmux-mock: %s needs %s", req->path,
                 want_post ? "POST" : "GET");
        refuse(w, req, ri.dep, ri.dep_len, 405, msg, "invalid_request_error", NULL);
        return;
    }
    if (hc.bad != NULL) {
        snprintf(msg, sizeof(msg), "llmux-mock: bad value for header %s", hc.bad);
        refuse(w, req, ri.dep, ri.dep_len, 400, msg, "invalid_request_error", NULL);
        return;
    }
    if (want_post) {
        enum mock_api api = ri.r == R_CHAT         ? MOCK_CHAT
                            : ri.r == R_COMPLETION ? MOCK_COMPLETION
                                                   : MOCK_EMBEDDING;

        err = mock_in_parse(&in, api, req->body.data, req->body.len, ri.dep, ri.dep_len);
        if (err < 0) {
            if (err == LMX_EBADJSON)
                refuse(w, req, ri.dep, ri.dep_len, 400,
                       "We could not parse the JSON body of your request. (llmux-mock)",
                       "invalid_request_error", NULL);
            else
                refuse(w, req, ri.dep, ri.dep_len, 503, "llmux-mock: out of memory",
                       "server_error", NULL);
            return;
        }
        has_in = true;
        model = in.model;
        model_len = in.model_len;
    } else if (ri.r == R_MODEL) {
        model = ri.id;
        model_len = ri.id_len;
    }
    if (model != NULL)
        has_rule = mock_rule_take(model, model_len, &rule);
    else if (ri.dep != NULL)
        has_rule = mock_rule_take(ri.dep, ri.dep_len, &rule);
    if (has_rule) {
        ctl_from_rule(&mc, &rule);
    } else {
        if (ri.dep != NULL)
            ctl_from_model(&mc, ri.dep, ri.dep_len);
        if (has_in && in.model != ri.dep)
            ctl_from_model(&mc, in.model, in.model_len);
    }
    ctl_merge(&c, &hc, &mc, w->opts->latency_ms);
    if (hc.status < 0 && hc.fault == F_UNSET) {
        special_errors(&c, has_in ? &in : NULL, msg, sizeof(msg));
        if (c.status < 0 && c.fault == F_UNSET && c.chaos_pct > 0)
            chaos_apply(w, &c, hc.seed, hc.chaos_mask, has_in && in.stream);
    }
    seq = log_request(req, model != NULL ? model : ri.dep, model != NULL ? model_len : ri.dep_len,
                      &c, has_in && in.stream, has_rule);
    respond(w, req, seq, &ri, has_in ? &in : NULL, &c);
    if (has_in)
        mock_in_release(&in);
}
