/*
 * bench/client.c - the libuv HTTP/1.1 client engine of llmux-load.
 *
 * One worker owns one uv loop, a fixed array of connection slots and the shared
 * prebuilt request. Responses are parsed with http-parser in response mode
 * (Content-Length, chunked, or until close). In steady state nothing is
 * allocated: every connection reads into the worker's single read buffer
 * (libuv calls alloc and read back to back on one loop) and writes the same
 * request bytes.
 *
 * Modes: closed loop (each connection keeps one request outstanding), open loop
 * (a 1 ms timer issues the requests that are due; latency counts from the
 * scheduled time, so a slow server cannot hide its queueing), stream (one SSE
 * request per connection; time to the first "data:" and to the end of the
 * message, success only when "data: [DONE]" was seen).
 *
 * This file does not print; load.c reports the stats.
 */
#include "core/lmx.h"

#include <string.h>

#include "core/alloc.h"
#include "load.h"

enum lmx_conn_state { CONN_CLOSED, CONN_CONNECTING, CONN_IDLE, CONN_BUSY, CONN_CLOSING };

enum lmx_outcome { OUT_OK, OUT_STATUS, OUT_SOCKET, OUT_TIMEOUT, OUT_PARSE, OUT_STREAM };

#define LMX_SWEEP_MS        10
#define LMX_REOPEN_DELAY_NS (10 * 1000000ull)
#define LMX_RBUF_SIZE       65536

static const char lmx_done_pat[] = "data: [DONE]";
#define LMX_DONE_LEN (sizeof(lmx_done_pat) - 1)
#define LMX_DATA_LEN 5 /* "data:" is the first 5 bytes of the pattern */

struct lmx_worker;

struct lmx_conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    http_parser parser;
    struct lmx_worker *w;
    enum lmx_conn_state state;
    bool in_free;  /* an entry for this slot sits in the free stack (may be stale) */
    bool msg_done; /* on_message_complete fired during the current execute */
    bool keep_alive;
    bool done_seen; /* "data: [DONE]" seen in the body */
    bool ttfb_seen;
    bool served;      /* stream mode: this slot's stream is over */
    bool reopen_soon; /* reopen right after the close callback */
    bool writing;     /* the request write has not called back yet (wreq in use) */
    bool deferred;    /* answered while writing: conn_ready() once the write calls back */
    unsigned match;   /* bytes of lmx_done_pat matched so far */
    uint32_t events;  /* "data:" lines seen */
    uint64_t t_sched; /* ns: when the request was due (open loop) or sent */
    uint64_t t_sent;  /* ns: when it was written, or when the connect started */
    uint64_t t_ttfb;
    uint64_t reopen_at; /* ns; 0 = not waiting to reopen */
};

struct lmx_worker {
    uv_loop_t loop;
    const struct lmx_load_job *job;
    struct lmx_load_stats *st;
    struct lmx_conn *conns;
    int nconns; /* slots */
    int *free_stack;
    int nfree;
    int nopen; /* slots not CLOSED */
    int nbusy;
    int nconnecting;
    int streams_done;
    uv_timer_t tick;
    uv_timer_t sweep;
    uint64_t t_start;
    uint64_t t_rec;      /* recording starts (after warm-up) */
    uint64_t t_deadline; /* closed/open: no new requests after this */
    uint64_t t_hard;     /* everything still open counts as a timeout */
    uint64_t timeout_ns;
    bool stopping;
    bool ending;
    uint64_t planned; /* open: requests to schedule in total */
    uint64_t sched_next;
    uint64_t sched_due;
    uint64_t grow_after; /* open: no new connections before this (after a connect failure) */
    uv_buf_t reqbuf;
    http_parser_settings settings;
    char rbuf[LMX_RBUF_SIZE];
};

static void conn_open(struct lmx_conn *c);
static void conn_ready(struct lmx_conn *c);
static void worker_check_end(struct lmx_worker *w);

/* ------------------------------------------------------------------------ */
/* Bookkeeping                                                                */

static void conn_set_state(struct lmx_conn *c, enum lmx_conn_state s)
{
    struct lmx_worker *w = c->w;

    if (c->state == CONN_BUSY)
        w->nbusy--;
    if (c->state == CONN_CONNECTING)
        w->nconnecting--;
    if (c->state == CONN_CLOSED)
        w->nopen++;
    c->state = s;
    if (s == CONN_BUSY)
        w->nbusy++;
    if (s == CONN_CONNECTING)
        w->nconnecting++;
    if (s == CONN_CLOSED)
        w->nopen--;
}

static void record(struct lmx_worker *w, struct lmx_conn *c, enum lmx_outcome out, uint64_t now)
{
    struct lmx_load_stats *st = w->st;
    uint64_t t_ref = w->job->mode == LMX_LOAD_OPEN ? c->t_sched : c->t_sent;
    uint64_t ev;

    if (out == OUT_OK) {
        if (t_ref < w->t_rec)
            return; /* warm-up */
        st->ok++;
        st->requests++;
        st->t_last = now;
        lmx_hist_record(&st->lat, now - t_ref);
        if (w->job->mode == LMX_LOAD_OPEN)
            lmx_hist_record(&st->svc, now - c->t_sent);
        if (w->job->mode == LMX_LOAD_STREAM) {
            lmx_hist_record(&st->ttfb, c->t_ttfb - c->t_sent);
            ev = c->events > 0 ? c->events - 1 : 0; /* without the [DONE] line */
            st->events_sum += ev;
            if (ev < st->events_min)
                st->events_min = ev;
        }
        return;
    }
    st->requests++;
    switch (out) {
    case OUT_STATUS:
        st->err_status++;
        break;
    case OUT_SOCKET:
        st->err_socket++;
        break;
    case OUT_TIMEOUT:
        st->err_timeout++;
        break;
    case OUT_PARSE:
        st->err_parse++;
        break;
    case OUT_STREAM:
        st->err_stream++;
        break;
    case OUT_OK:
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */

static void on_close(uv_handle_t *h)
{
    struct lmx_conn *c = h->data;
    struct lmx_worker *w = c->w;

    conn_set_state(c, CONN_CLOSED);
    if (w->ending || w->stopping || w->job->mode != LMX_LOAD_CLOSED)
        return;
    if (c->reopen_soon)
        conn_open(c);
    else
        c->reopen_at = uv_hrtime() + LMX_REOPEN_DELAY_NS;
}

/* Closes the connection; closed mode reopens it at once (soon) or after a short delay. */
static void conn_close(struct lmx_conn *c, bool soon)
{
    if (c->state == CONN_CLOSED || c->state == CONN_CLOSING)
        return;
    conn_set_state(c, CONN_CLOSING);
    c->reopen_soon = soon;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* A failure on a connection: counts it when a request (or a connect) was pending. */
static void conn_fail(struct lmx_conn *c, enum lmx_outcome out)
{
    struct lmx_worker *w = c->w;

    if (c->state == CONN_CLOSED || c->state == CONN_CLOSING)
        return;
    if (c->state == CONN_BUSY || c->state == CONN_CONNECTING || out == OUT_PARSE) {
        record(w, c, out, uv_hrtime());
        if (w->job->mode == LMX_LOAD_STREAM && !c->served) {
            c->served = true;
            w->streams_done++;
        }
    }
    conn_close(c, false);
    worker_check_end(w);
}

static void on_write(uv_write_t *req, int status)
{
    struct lmx_conn *c = req->data;

    c->writing = false;
    if (status < 0 && c->state == CONN_BUSY) {
        conn_fail(c, OUT_SOCKET);
        return;
    }
    if (c->deferred) {
        c->deferred = false;
        if (c->state == CONN_IDLE)
            conn_ready(c);
        worker_check_end(c->w);
    }
}

static void conn_send(struct lmx_conn *c, uint64_t t_sched)
{
    struct lmx_worker *w = c->w;
    int rc;

    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->msg_done = false;
    c->keep_alive = false;
    c->done_seen = false;
    c->ttfb_seen = false;
    c->match = 0;
    c->events = 0;
    c->t_sent = uv_hrtime();
    c->t_sched = t_sched ? t_sched : c->t_sent;
    conn_set_state(c, CONN_BUSY);
    rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &w->reqbuf, 1, on_write);
    if (rc < 0) {
        conn_fail(c, OUT_SOCKET);
        return;
    }
    c->writing = true;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct lmx_conn *c = h->data;

    LMX_UNUSED(hint);
    buf->base = c->w->rbuf;
    buf->len = sizeof(c->w->rbuf);
}

/* A complete response on c: record it and reuse or close the connection. */
static void conn_finish(struct lmx_conn *c)
{
    struct lmx_worker *w = c->w;
    unsigned status = c->parser.status_code;
    enum lmx_outcome out = OUT_OK;

    if (status < 200 || status > 299)
        out = OUT_STATUS;
    else if (w->job->mode == LMX_LOAD_STREAM && !c->done_seen)
        out = OUT_STREAM;
    if (!c->ttfb_seen)
        c->t_ttfb = uv_hrtime();
    record(w, c, out, uv_hrtime());
    if (w->job->mode == LMX_LOAD_STREAM && !c->served) {
        c->served = true;
        w->streams_done++;
    }
    conn_set_state(c, CONN_IDLE);
    if (!c->keep_alive)
        conn_close(c, true);
    else if (c->writing)
        c->deferred = true; /* the write request is still owned by libuv */
    else
        conn_ready(c);
    worker_check_end(w);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct lmx_conn *c = s->data;
    size_t n;

    if (nread == 0 || c->state == CONN_CLOSING || c->state == CONN_CLOSED)
        return;
    if (nread < 0) {
        if (c->state != CONN_BUSY) {
            conn_close(c, true); /* the server closed an idle keep-alive connection */
            return;
        }
        if (nread == UV_EOF) {
            http_parser_execute(&c->parser, &c->w->settings, NULL, 0);
            if (c->msg_done) {
                c->keep_alive = false;
                conn_finish(c);
                return;
            }
        }
        conn_fail(c, OUT_SOCKET);
        return;
    }
    if (c->state != CONN_BUSY) {
        conn_fail(c, OUT_PARSE); /* bytes nobody asked for */
        return;
    }
    n = http_parser_execute(&c->parser, &c->w->settings, buf->base, (size_t)nread);
    if (c->msg_done) {
        http_parser_pause(&c->parser, 0);
        if (n < (size_t)nread) {
            conn_fail(c, OUT_PARSE); /* more than one response */
            return;
        }
        conn_finish(c);
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK)
        conn_fail(c, OUT_PARSE);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct lmx_conn *c = req->data;

    if (c->state != CONN_CONNECTING)
        return; /* closed meanwhile */
    if (status < 0) {
        c->w->grow_after = uv_hrtime() + LMX_REOPEN_DELAY_NS;
        conn_fail(c, OUT_SOCKET);
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        conn_fail(c, OUT_SOCKET);
        return;
    }
    conn_set_state(c, CONN_IDLE);
    conn_ready(c);
}

static void conn_open(struct lmx_conn *c)
{
    struct lmx_worker *w = c->w;
    int rc;

    c->reopen_at = 0;
    c->writing = false;
    c->deferred = false;
    if (uv_tcp_init(&w->loop, &c->tcp) < 0) {
        w->st->err_socket++;
        w->st->requests++;
        if (w->job->mode == LMX_LOAD_STREAM && !c->served) {
            c->served = true;
            w->streams_done++;
        }
        return;
    }
    c->tcp.data = c;
    c->creq.data = c;
    c->wreq.data = c;
    conn_set_state(c, CONN_CONNECTING);
    c->t_sent = uv_hrtime();
    c->t_sched = c->t_sent;
    w->st->conns_opened++;
    uv_tcp_nodelay(&c->tcp, 1);
    rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&w->job->addr, on_connect);
    if (rc < 0)
        conn_fail(c, OUT_SOCKET);
}

static uint64_t sched_time(const struct lmx_worker *w, uint64_t i)
{
    return w->t_start + (uint64_t)((double)i * 1e9 / w->job->rate);
}

/* c is IDLE: give it its next request, or park it. */
static void conn_ready(struct lmx_conn *c)
{
    struct lmx_worker *w = c->w;

    if (w->ending)
        return;
    switch (w->job->mode) {
    case LMX_LOAD_CLOSED:
        if (!w->stopping)
            conn_send(c, 0);
        break;
    case LMX_LOAD_STREAM:
        if (!c->served)
            conn_send(c, 0);
        break;
    case LMX_LOAD_OPEN:
        if (w->sched_next < w->sched_due) {
            conn_send(c, sched_time(w, w->sched_next));
            w->sched_next++;
        } else if (!c->in_free) {
            c->in_free = true;
            w->free_stack[w->nfree++] = (int)(c - w->conns);
        }
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* Worker                                                                    */

static void on_timer_closed(uv_handle_t *h)
{
    LMX_UNUSED(h);
}

/* Ends the run: whatever is still pending counts as a timeout; closes every handle. */
static void worker_end(struct lmx_worker *w)
{
    uint64_t now = uv_hrtime();
    int i;

    if (w->ending)
        return;
    w->ending = true;
    w->stopping = true;
    for (i = 0; i < w->nconns; i++) {
        struct lmx_conn *c = &w->conns[i];

        if (c->state == CONN_BUSY ||
            (w->job->mode == LMX_LOAD_STREAM && !c->served && c->state != CONN_CLOSING))
            record(w, c, OUT_TIMEOUT, now);
        conn_close(c, false);
    }
    if (w->job->mode == LMX_LOAD_OPEN) {
        for (; w->sched_next < w->planned; w->sched_next++) {
            w->st->requests++;
            w->st->err_timeout++; /* never sent */
        }
    }
    uv_close((uv_handle_t *)&w->tick, on_timer_closed);
    uv_close((uv_handle_t *)&w->sweep, on_timer_closed);
}

static void worker_check_end(struct lmx_worker *w)
{
    if (w->ending)
        return;
    switch (w->job->mode) {
    case LMX_LOAD_CLOSED:
        if (w->stopping && w->nbusy == 0)
            worker_end(w);
        break;
    case LMX_LOAD_OPEN:
        if (w->sched_next >= w->planned && w->nbusy == 0)
            worker_end(w);
        break;
    case LMX_LOAD_STREAM:
        if (w->streams_done >= w->nconns)
            worker_end(w);
        break;
    }
}

static struct lmx_conn *free_pop(struct lmx_worker *w)
{
    while (w->nfree > 0) {
        struct lmx_conn *c = &w->conns[w->free_stack[--w->nfree]];

        c->in_free = false;
        if (c->state == CONN_IDLE)
            return c;
    }
    return NULL;
}

/* Open loop, every millisecond: issue the requests that are due, grow the pool. */
static void on_tick(uv_timer_t *t)
{
    struct lmx_worker *w = t->data;
    uint64_t now = uv_hrtime(), due;
    struct lmx_conn *c;
    int i;

    if (w->ending)
        return;
    due = (uint64_t)((double)(now - w->t_start) * w->job->rate / 1e9) + 1;
    w->sched_due = LMX_MIN(due, w->planned);
    while (w->sched_next < w->sched_due) {
        c = free_pop(w);
        if (c == NULL)
            break;
        conn_send(c, sched_time(w, w->sched_next));
        w->sched_next++;
    }
    /* Grow: one new connection per request still waiting beyond those connecting. */
    for (i = 0; i < w->nconns && w->nopen < w->nconns && now >= w->grow_after &&
                (uint64_t)w->nconnecting < w->sched_due - w->sched_next;
         i++) {
        if (w->conns[i].state == CONN_CLOSED)
            conn_open(&w->conns[i]);
    }
    if (w->sched_due >= w->planned) {
        w->stopping = true;
        uv_timer_stop(&w->tick);
    }
    worker_check_end(w);
}

/* Every LMX_SWEEP_MS: deadlines, per-request timeouts, delayed reopens. */
static void on_sweep(uv_timer_t *t)
{
    struct lmx_worker *w = t->data;
    uint64_t now = uv_hrtime();
    int i;

    if (w->ending)
        return;
    if (now >= w->t_hard) {
        worker_end(w);
        return;
    }
    if (w->job->mode == LMX_LOAD_CLOSED && !w->stopping && now >= w->t_deadline)
        w->stopping = true;
    for (i = 0; i < w->nconns; i++) {
        struct lmx_conn *c = &w->conns[i];

        if ((c->state == CONN_BUSY || c->state == CONN_CONNECTING) &&
            now - c->t_sent > w->timeout_ns)
            conn_fail(c, OUT_TIMEOUT);
        else if (c->state == CONN_CLOSED && c->reopen_at && now >= c->reopen_at && !w->stopping)
            conn_open(c);
    }
    worker_check_end(w);
}

/* ------------------------------------------------------------------------ */
/* http-parser callbacks                                                      */

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct lmx_conn *c = p->data;
    unsigned m = c->match;
    size_t i;

    if (c->w->job->mode != LMX_LOAD_STREAM)
        return 0;
    /* The pattern has no proper border, so a mismatch restarts at 0 (or 1 on 'd'). */
    for (i = 0; i < len; i++) {
        if (at[i] == lmx_done_pat[m]) {
            m++;
            if (m == LMX_DATA_LEN) {
                c->events++;
                if (!c->ttfb_seen) {
                    c->ttfb_seen = true;
                    c->t_ttfb = uv_hrtime();
                }
            } else if (m == LMX_DONE_LEN) {
                c->done_seen = true;
                m = 0;
            }
        } else {
            m = at[i] == 'd' ? 1 : 0;
        }
    }
    c->match = m;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct lmx_conn *c = p->data;

    c->msg_done = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1); /* one response per request: stop right here */
    return 0;
}

/* ------------------------------------------------------------------------ */

int lmx_load_run(const struct lmx_load_job *job, struct lmx_load_stats *st)
{
    struct lmx_worker *w = NULL;
    int i, n, rc = UV_ENOMEM;

    memset(st, 0, offsetof(struct lmx_load_stats, lat));
    lmx_hist_init(&st->lat);
    lmx_hist_init(&st->svc);
    lmx_hist_init(&st->ttfb);
    st->events_min = UINT64_MAX;

    w = lmx_calloc(1, sizeof(*w));
    if (w == NULL)
        goto out;
    w->job = job;
    w->st = st;
    w->nconns = job->mode == LMX_LOAD_OPEN ? job->max_connections : job->connections;
    if (w->nconns <= 0) {
        rc = UV_EINVAL;
        goto out;
    }
    w->conns = lmx_calloc((size_t)w->nconns, sizeof(*w->conns));
    w->free_stack = lmx_calloc((size_t)w->nconns, sizeof(*w->free_stack));
    if (w->conns == NULL || w->free_stack == NULL)
        goto out;
    rc = uv_loop_init(&w->loop);
    if (rc < 0)
        goto out;
    w->reqbuf = uv_buf_init((char *)job->req, (unsigned)job->req_len);
    http_parser_settings_init(&w->settings);
    w->settings.on_body = on_body;
    w->settings.on_message_complete = on_message_complete;
    w->timeout_ns = (uint64_t)(job->timeout_s * 1e9);
    for (i = 0; i < w->nconns; i++) {
        w->conns[i].w = w;
        w->conns[i].state = CONN_CLOSED;
    }
    uv_timer_init(&w->loop, &w->tick);
    uv_timer_init(&w->loop, &w->sweep);
    w->tick.data = w;
    w->sweep.data = w;

    w->t_start = uv_hrtime();
    if (job->mode == LMX_LOAD_STREAM) {
        w->t_rec = w->t_start;
        w->t_deadline = w->t_start;
        w->t_hard = w->t_start + w->timeout_ns;
    } else {
        w->t_rec = w->t_start + (uint64_t)(job->warmup_s * 1e9);
        w->t_deadline = w->t_rec + (uint64_t)(job->duration_s * 1e9);
        w->t_hard = w->t_deadline + w->timeout_ns;
    }
    st->t_first = w->t_rec;
    st->t_last = w->t_rec;

    if (job->mode == LMX_LOAD_OPEN) {
        w->planned = (uint64_t)(job->rate * (job->warmup_s + job->duration_s) + 0.5);
        if (w->planned == 0)
            w->planned = 1;
        /* A few connections up front (2 ms worth); the tick grows the pool as needed. */
        n = (int)(job->rate * 0.002) + 1;
        for (i = 0; i < n && i < w->nconns; i++)
            conn_open(&w->conns[i]);
        uv_timer_start(&w->tick, on_tick, 1, 1);
    } else {
        for (i = 0; i < w->nconns; i++)
            conn_open(&w->conns[i]);
    }
    uv_timer_start(&w->sweep, on_sweep, LMX_SWEEP_MS, LMX_SWEEP_MS);

    uv_run(&w->loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&w->loop);
    if (rc < 0) {
        uv_run(&w->loop, UV_RUN_DEFAULT);
        rc = uv_loop_close(&w->loop);
    }
    if (st->events_min == UINT64_MAX)
        st->events_min = 0;
out:
    if (w != NULL) {
        lmx_free(w->conns);
        lmx_free(w->free_stack);
    }
    lmx_free(w);
    return rc;
}
