/*
 * http/conn.c - one inbound HTTP/1.1 connection: parsing (the only caller of
 * http-parser), limits, timers, and the response writer with backpressure.
 *
 * A connection handles one request at a time. Bytes that arrive while a
 * request is being handled (pipelining) wait in `in`; reading goes on so that
 * a client that closes its socket is noticed at once and its upstream call can
 * be cancelled. Responses are queued in `out`; at most one uv_write is in
 * flight (on `out_busy`), and a direct uv_try_write is tried first so small
 * responses never wait for the next loop iteration.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http_int.h"

#define READ_CHUNK 65536
#define READ_FIRST 4096
#define IN_MAX (4u << 20)         /* unparsed bytes held while a request is handled */
#define KEEP_BUF_MAX (256u << 10) /* buffers bigger than this are freed between requests */
#define LINGER_MS 2000

static int on_message_begin(http_parser *p);
static int on_url(http_parser *p, const char *at, size_t n);
static int on_header_field(http_parser *p, const char *at, size_t n);
static int on_header_value(http_parser *p, const char *at, size_t n);
static int on_headers_complete(http_parser *p);
static int on_body(http_parser *p, const char *at, size_t n);
static int on_message_complete(http_parser *p);

/* Read-only and shared by every worker thread. */
static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void conn_close(struct lmx_http_conn *c);
static void conn_flush(struct lmx_http_conn *c);
static void parse_input(struct lmx_http_conn *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

/* ------------------------------------------------------------------------ */
/* Timers: one per connection, its meaning set by the state */

static void on_timer(uv_timer_t *t)
{
    struct lmx_http_conn *c = t->data;

    switch (c->state) {
    case CONN_IDLE:
        if (c->in.len > 0) {
            parse_input(c); /* a pipelined request was waiting */
            return;
        }
        conn_close(c);
        return;
    case CONN_READING:
        lmx_debug("closing %s: request not received within the header timeout", c->req.peer);
        conn_close(c);
        return;
    case CONN_HANDLING:
    case CONN_FLUSHING:
        lmx_debug("closing %s: client stopped reading", c->req.peer);
        conn_close(c);
        return;
    }
}

static void timer_set(struct lmx_http_conn *c, double seconds)
{
    uint64_t ms = seconds > 0 ? (uint64_t)(seconds * 1000.0) : 0;

    if (c->closing)
        return;
    if (seconds <= 0 && c->state != CONN_IDLE) {
        uv_timer_stop(&c->timer);
        return;
    }
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ------------------------------------------------------------------------ */
/* Closing */

static void request_reset(struct lmx_http_conn *c)
{
    struct lmx_http_req *r = &c->req;

    while (c->query_copies != NULL) {
        char *next = *(char **)c->query_copies;

        lmx_free(c->query_copies);
        c->query_copies = next;
    }
    if (r->body.cap > KEEP_BUF_MAX)
        lmx_buf_release(&r->body);
    else
        lmx_buf_reset(&r->body);
    if (c->head.cap > KEEP_BUF_MAX)
        lmx_buf_release(&c->head);
    else
        lmx_buf_reset(&c->head);
    lmx_free(r->hdrs);
    r->hdrs = NULL;
    r->nhdrs = 0;
    r->on_abort = NULL;
    r->on_drain = NULL;
    r->ud = NULL;
    c->noffs = 0;
    c->url_len = 0;
    c->head_bytes = 0;
    c->head_done = false;
    c->last_was_value = false;
    c->res_started = false;
    c->res_chunked = false;
    c->res_ended = false;
    c->reject = 0;
}

static void on_tcp_closed(uv_handle_t *h)
{
    struct lmx_http_conn *c = h->data;
    struct lmx_http_server *s = c->srv;

    if (c->state == CONN_HANDLING && !c->res_ended) {
        s->nactive--;
        if (c->req.on_abort != NULL)
            c->req.on_abort(&c->req, c->req.ud);
    }
    request_reset(c);
    lmx_buf_release(&c->req.body);
    lmx_buf_release(&c->head);
    lmx_buf_release(&c->in);
    lmx_buf_release(&c->out);
    lmx_buf_release(&c->out_busy);
    lmx_free(c->offs);
    lmx__http_server_conn_gone(s, c);
    lmx_free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct lmx_http_conn *c = h->data;

    uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
}

static void conn_close(struct lmx_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* After an error reply: stop sending, read and drop what the client still
 * sends for a moment, so it sees our reply instead of a reset. */
static void on_linger_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct lmx_http_conn *c = st->data;

    LMX_UNUSED(buf);
    if (nread < 0)
        conn_close(c);
    else
        lmx_buf_reset(&c->in);
}

static void on_linger_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct lmx_http_conn *c = h->data;

    LMX_UNUSED(hint);
    if (lmx_buf_reserve(&c->in, READ_CHUNK) < 0) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = c->in.data;
    buf->len = READ_CHUNK;
}

static void on_linger_shutdown(uv_shutdown_t *req, int status)
{
    struct lmx_http_conn *c = req->data;

    lmx_free(req);
    if (status < 0 || c->closing) {
        conn_close(c);
        return;
    }
    lmx_buf_reset(&c->in);
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_linger_alloc, on_linger_read) == 0;
    c->state = CONN_FLUSHING;
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

static void conn_linger_close(struct lmx_http_conn *c)
{
    uv_shutdown_t *req = lmx_malloc(sizeof(*req));

    if (req == NULL || c->closing) {
        lmx_free(req);
        conn_close(c);
        return;
    }
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_linger_shutdown) < 0) {
        lmx_free(req);
        conn_close(c);
    }
}

/* ------------------------------------------------------------------------ */
/* Writing */

static void finish_response(struct lmx_http_conn *c)
{
    struct lmx_http_server *s = c->srv;
    bool keep = c->keep_alive && !s->shutting_down;
    bool linger = c->reject != 0;

    request_reset(c);
    if (linger) {
        conn_linger_close(c);
        return;
    }
    if (!keep) {
        conn_close(c);
        return;
    }
    c->state = CONN_IDLE;
    if (c->in.len == 0 && c->in.cap > READ_FIRST * 2)
        lmx_buf_release(&c->in); /* idle: give the big read buffer back */
    if (c->out.cap > KEEP_BUF_MAX)
        lmx_buf_release(&c->out);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (!c->reading) {
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    }
    /* a pipelined request runs from the timer, never from inside a handler */
    if (c->in.len > 0)
        uv_timer_start(&c->timer, on_timer, 0, 0);
    else
        timer_set(c, c->limits.idle_timeout);
}

static void on_written(uv_write_t *wr, int status)
{
    struct lmx_http_conn *c = wr->data;

    c->write_inflight = false;
    lmx_buf_reset(&c->out_busy);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->state == CONN_HANDLING || c->state == CONN_FLUSHING)
        uv_timer_stop(&c->timer);
    conn_flush(c);
    if (c->closing || c->write_inflight)
        return;
    if (c->state == CONN_FLUSHING && c->out.len == 0) {
        finish_response(c);
        return;
    }
    if (c->state == CONN_HANDLING && c->req.on_drain != NULL)
        c->req.on_drain(&c->req, c->req.ud);
}

static void conn_flush(struct lmx_http_conn *c)
{
    uv_buf_t b;
    int r;
    struct lmx_buf tmp;

    if (c->write_inflight || c->out.len == 0 || c->closing)
        return;
    b = uv_buf_init(c->out.data, (unsigned int)c->out.len);
    r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == (int)c->out.len) {
        lmx_buf_reset(&c->out);
        return;
    }
    if (r < 0 && r != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    if (r > 0)
        lmx_buf_consume(&c->out, (size_t)r);
    /* the rest goes through an async write on the other buffer */
    tmp = c->out_busy;
    c->out_busy = c->out;
    c->out = tmp;
    lmx_buf_reset(&c->out);
    b = uv_buf_init(c->out_busy.data, (unsigned int)c->out_busy.len);
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0) {
        conn_close(c);
        return;
    }
    c->write_inflight = true;
    /* a client that stops reading must not hold the connection forever */
    if (c->limits.idle_timeout > 0)
        uv_timer_start(&c->timer, on_timer, (uint64_t)(c->limits.idle_timeout * 1000.0), 0);
}

static int out_append(struct lmx_http_conn *c, const void *p, size_t n)
{
    return lmx_buf_append(&c->out, p, n);
}

static const char *status_text(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 424: return "Failed Dependency";
    case 529: return "Site Overloaded";
    default: return "Status";
    }
}

int lmx_http_res_begin(struct lmx_http_req *req, int status, const struct lmx_http_hdr *hdrs,
                       size_t nhdrs, int64_t content_length)
{
    struct lmx_http_conn *c = req->conn;
    size_t datelen, mark = c->out.len;
    const char *date = lmx__http_date(c->srv, &datelen);
    char line[96];
    int n, err;

    if (c->closing)
        return LMX_ECLIENT;
    assert(!c->res_started);
    if (c->srv->shutting_down)
        c->keep_alive = false;
    n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, status_text(status));
    err = out_append(c, line, (size_t)n);
    if (err == 0)
        err = out_append(c, date, datelen);
    if (err == 0)
        err = c->keep_alive ? lmx_buf_puts(&c->out, "Connection: keep-alive\r\n")
                            : lmx_buf_puts(&c->out, "Connection: close\r\n");
    if (err == 0 && content_length >= 0)
        err = lmx_buf_printf(&c->out, "Content-Length: %lld\r\n", (long long)content_length);
    else if (err == 0)
        err = lmx_buf_puts(&c->out, "Transfer-Encoding: chunked\r\n");
    for (size_t i = 0; err == 0 && i < nhdrs; i++) {
        err = out_append(c, hdrs[i].name, hdrs[i].name_len);
        if (err == 0)
            err = out_append(c, ": ", 2);
        if (err == 0)
            err = out_append(c, hdrs[i].value, hdrs[i].value_len);
        if (err == 0)
            err = out_append(c, "\r\n", 2);
    }
    if (err == 0)
        err = out_append(c, "\r\n", 2);
    if (err < 0) {
        c->out.len = mark;
        return err;
    }
    c->res_started = true;
    c->res_chunked = content_length < 0;
    return 0;
}

int lmx_http_res_write(struct lmx_http_req *req, const void *p, size_t n)
{
    int err = lmx_http_res_queue(req, p, n);

    if (err == 0)
        conn_flush(req->conn);
    return err;
}

void lmx_http_res_flush(struct lmx_http_req *req)
{
    conn_flush(req->conn);
}

int lmx_http_res_queue(struct lmx_http_req *req, const void *p, size_t n)
{
    struct lmx_http_conn *c = req->conn;
    size_t mark = c->out.len;
    int err = 0;

    if (c->closing)
        return LMX_ECLIENT;
    if (n == 0)
        return 0;
    if (c->res_chunked)
        err = lmx_buf_printf(&c->out, "%zx\r\n", n);
    if (err == 0)
        err = out_append(c, p, n);
    if (err == 0 && c->res_chunked)
        err = out_append(c, "\r\n", 2);
    if (err < 0) {
        c->out.len = mark;
        return err;
    }
    return 0;
}

size_t lmx_http_res_room(const struct lmx_http_req *req)
{
    const struct lmx_http_conn *c = req->conn;
    size_t used = c->out.len + c->out_busy.len;

    return used >= c->limits.out_high_water ? 0 : c->limits.out_high_water - used;
}

void lmx_http_res_end(struct lmx_http_req *req, bool keep_alive)
{
    struct lmx_http_conn *c = req->conn;

    if (c->res_ended)
        return;
    c->res_ended = true;
    if (c->state == CONN_HANDLING)
        c->srv->nactive--;
    if (c->closing)
        return;
    if (!keep_alive)
        c->keep_alive = false;
    if (c->res_chunked && out_append(c, "0\r\n\r\n", 5) < 0)
        c->keep_alive = false;
    c->state = CONN_FLUSHING;
    conn_flush(c);
    if (!c->closing && !c->write_inflight && c->out.len == 0)
        finish_response(c);
}

void lmx_http_res_abort(struct lmx_http_req *req)
{
    req->conn->res_chunked = false; /* no terminating chunk: the client sees a cut body */
    lmx_http_res_end(req, false);
}

void lmx_http_res_send(struct lmx_http_req *req, int status, const struct lmx_http_hdr *hdrs,
                       size_t nhdrs, const char *content_type, const void *body, size_t len)
{
    struct lmx_http_hdr all[32];
    size_t n = 0;

    if (content_type != NULL)
        all[n++] = (struct lmx_http_hdr){"Content-Type", 12, content_type, strlen(content_type)};
    for (size_t i = 0; i < nhdrs && n < LMX_ARRAY_SIZE(all); i++)
        all[n++] = hdrs[i];
    if (lmx_http_res_begin(req, status, all, n, (int64_t)len) == 0)
        lmx_http_res_write(req, body, len);
    lmx_http_res_end(req, true);
}

/* An error the connection itself answers (before any handler ran), then closes. */
static void conn_reject(struct lmx_http_conn *c, int status, const char *msg)
{
    char body[512];
    int n;

    n = snprintf(body, sizeof(body),
                 "{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\","
                 "\"param\":null,\"code\":\"%d\"}}",
                 msg, status);
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    c->reject = status;
    c->keep_alive = false;
    c->state = CONN_HANDLING;
    c->res_started = false;
    c->res_ended = false;
    c->srv->nactive++;
    lmx_http_res_send(&c->req, status, NULL, 0, "application/json", body, (size_t)n);
}

/* ------------------------------------------------------------------------ */
/* Parsing */

static int head_add(struct lmx_http_conn *c, const char *p, size_t n)
{
    c->head_bytes += n;
    if (c->head_bytes > c->limits.max_header_bytes) {
        c->reject = 431;
        http_parser_pause(&c->parser, 1);
        return 0;
    }
    if (lmx_buf_append(&c->head, p, n) < 0) {
        c->reject = 503;
        http_parser_pause(&c->parser, 1);
    }
    return 0;
}

static void head_terminate(struct lmx_http_conn *c)
{
    if (c->reject == 0 && lmx_buf_append(&c->head, "", 1) < 0) {
        c->reject = 503;
        http_parser_pause(&c->parser, 1);
    }
}

static int on_message_begin(http_parser *p)
{
    struct lmx_http_conn *c = p->data;

    request_reset(c);
    c->req.start_ns = lmx_now_ns();
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    struct lmx_http_conn *c = p->data;

    c->url_len += (uint32_t)n;
    return head_add(c, at, n);
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    struct lmx_http_conn *c = p->data;

    if (c->reject)
        return 0;
    if (c->noffs == 0 || c->last_was_value) {
        head_terminate(c); /* ends the url or the previous value */
        if (c->noffs == c->offs_cap) {
            size_t ncap = c->offs_cap ? c->offs_cap * 2 : 16;
            struct lmx_hdr_off *o = lmx_realloc(c->offs, ncap * sizeof(*o));

            if (o == NULL) {
                c->reject = 503;
                http_parser_pause(p, 1);
                return 0;
            }
            c->offs = o;
            c->offs_cap = ncap;
        }
        c->offs[c->noffs++] = (struct lmx_hdr_off){(uint32_t)c->head.len, 0, 0, 0};
        c->last_was_value = false;
    }
    c->offs[c->noffs - 1].name_len += (uint32_t)n;
    return head_add(c, at, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    struct lmx_http_conn *c = p->data;

    if (c->reject)
        return 0;
    if (!c->last_was_value) {
        head_terminate(c); /* ends the name */
        c->offs[c->noffs - 1].value = (uint32_t)c->head.len;
        c->last_was_value = true;
    }
    c->offs[c->noffs - 1].value_len += (uint32_t)n;
    return head_add(c, at, n);
}

static enum lmx_http_method method_of(unsigned m)
{
    switch (m) {
    case HTTP_GET: return LMX_HTTP_GET;
    case HTTP_HEAD: return LMX_HTTP_HEAD;
    case HTTP_POST: return LMX_HTTP_POST;
    case HTTP_PUT: return LMX_HTTP_PUT;
    case HTTP_PATCH: return LMX_HTTP_PATCH;
    case HTTP_DELETE: return LMX_HTTP_DELETE;
    case HTTP_OPTIONS: return LMX_HTTP_OPTIONS;
    default: return LMX_HTTP_OTHER;
    }
}

static int on_headers_complete(http_parser *p)
{
    struct lmx_http_conn *c = p->data;
    struct lmx_http_req *r = &c->req;
    const char *expect;
    char *url, *q;
    size_t n;

    if (c->reject)
        return 0;
    head_terminate(c);
    if (c->reject)
        return 0;
    c->head_done = true;
    r->hdrs = lmx_calloc(c->noffs ? c->noffs : 1, sizeof(*r->hdrs));
    if (r->hdrs == NULL) {
        c->reject = 503;
        http_parser_pause(p, 1);
        return 0;
    }
    for (size_t i = 0; i < c->noffs; i++) {
        struct lmx_hdr_off *o = &c->offs[i];
        char *name = c->head.data + o->name;

        for (uint32_t k = 0; k < o->name_len; k++)
            name[k] = (char)tolower((unsigned char)name[k]);
        r->hdrs[i].name = name;
        r->hdrs[i].name_len = o->name_len;
        r->hdrs[i].value = o->value_len ? c->head.data + o->value : "";
        r->hdrs[i].value_len = o->value_len;
    }
    r->nhdrs = c->noffs;
    url = c->head.data;
    q = memchr(url, '?', c->url_len);
    if (q != NULL) {
        *q = '\0';
        r->query = q + 1;
        r->path_len = (size_t)(q - url);
    } else {
        r->query = "";
        r->path_len = c->url_len;
    }
    r->path = url;
    r->method = method_of(p->method);
    r->method_str = http_method_str((enum http_method)p->method);
    c->keep_alive = http_should_keep_alive(p) != 0;

    if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->body.max) {
        c->reject = 413;
        http_parser_pause(p, 1);
        return 0;
    }
    expect = lmx_http_req_header(r, "expect", &n);
    if (expect != NULL && lmx_streq_ci(expect, n, "100-continue")) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

        if (out_append(c, cont, sizeof(cont) - 1) == 0)
            conn_flush(c);
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    struct lmx_http_conn *c = p->data;
    int err;

    if (c->reject)
        return 0;
    err = lmx_buf_append(&c->req.body, at, n);
    if (err < 0) {
        c->reject = err == LMX_ETOOBIG ? 413 : 503;
        http_parser_pause(p, 1);
    }
    return 0;
}

static int on_message_complete(http_parser *p)
{
    http_parser_pause(p, 1);
    return 0;
}

static void dispatch(struct lmx_http_conn *c)
{
    struct lmx_http_server *s = c->srv;

    c->state = CONN_HANDLING;
    uv_timer_stop(&c->timer);
    s->nactive++;
    c->in_handler = true;
    s->on_request(&c->req, s->ud);
    c->in_handler = false;
}

static void reject_for(struct lmx_http_conn *c, int status)
{
    switch (status) {
    case 413:
        conn_reject(c, 413, "Request body too large");
        break;
    case 431:
        conn_reject(c, 431, "Request headers too large");
        break;
    case 503:
        conn_reject(c, 503, "Out of memory");
        break;
    default:
        conn_reject(c, 400, "Malformed HTTP request");
        break;
    }
}

static void parse_input(struct lmx_http_conn *c)
{
    while (c->in.len > 0 && !c->closing &&
           (c->state == CONN_IDLE || c->state == CONN_READING)) {
        size_t n;
        enum http_errno e;

        if (c->state == CONN_IDLE) {
            c->state = CONN_READING;
            timer_set(c, c->limits.header_timeout);
        }
        n = http_parser_execute(&c->parser, &parser_settings, c->in.data, c->in.len);
        e = HTTP_PARSER_ERRNO(&c->parser);
        if (c->reject) {
            reject_for(c, c->reject);
            return;
        }
        if (e == HPE_PAUSED) {
            /* paused by on_message_complete: one whole request */
            lmx_buf_consume(&c->in, n);
            http_parser_pause(&c->parser, 0);
            dispatch(c);
            return;
        }
        if (e != HPE_OK) {
            lmx_debug("bad request from %s: %s", c->req.peer, http_errno_description(e));
            reject_for(c, e == HPE_HEADER_OVERFLOW ? 431 : 400);
            return;
        }
        lmx_buf_consume(&c->in, n);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct lmx_http_conn *c = h->data;

    LMX_UNUSED(hint);
    /* small first: most requests fit, and an idle keep-alive connection should
     * not hold 64 KiB; a bigger request grows the buffer as it arrives */
    if (lmx_buf_reserve(&c->in, c->in.len < READ_FIRST ? READ_FIRST : READ_CHUNK) < 0) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = c->in.data + c->in.len;
    buf->len = c->in.cap - c->in.len - 1;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct lmx_http_conn *c = st->data;

    LMX_UNUSED(buf);
    if (nread == 0)
        return;
    if (nread < 0) {
        /* EOF or error: a request being handled is aborted by the close */
        conn_close(c);
        return;
    }
    c->in.len += (size_t)nread;
    c->in.data[c->in.len] = '\0';
    if (c->state == CONN_IDLE || c->state == CONN_READING) {
        parse_input(c);
        return;
    }
    /* pipelined bytes while a request is handled: keep them, up to a cap */
    if (c->in.len + READ_CHUNK > IN_MAX && c->reading) {
        uv_read_stop(st);
        c->reading = false;
    }
}

void lmx__http_conn_accept(struct lmx_http_server *s)
{
    struct lmx_http_conn *c = lmx_calloc(1, sizeof(*c));
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (c == NULL) {
        lmx_warn("cannot accept a connection: out of memory");
        return;
    }
    c->srv = s;
    c->limits = s->limits;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    lmx_buf_init(&c->in, IN_MAX);
    lmx_buf_init(&c->head, c->limits.max_header_bytes + 4096);
    lmx_buf_init(&c->req.body, c->limits.max_body_bytes);
    lmx_buf_init(&c->out, SIZE_MAX / 2);
    lmx_buf_init(&c->out_busy, SIZE_MAX / 2);
    c->req.conn = c;
    c->req.server = s;
    c->req.path = "";
    c->req.query = "";
    c->req.method_str = "";
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->state = CONN_IDLE;
    if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(c->req.peer, sizeof(c->req.peer), "%s:%d", ip, port);
    c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    timer_set(c, c->limits.idle_timeout);
}

void lmx__http_conn_shutdown(struct lmx_http_conn *c)
{
    if (c->state == CONN_IDLE)
        conn_close(c);
    else
        c->keep_alive = false;
}

void lmx__http_conn_abort(struct lmx_http_conn *c)
{
    conn_close(c);
}

/* ------------------------------------------------------------------------ */
/* Request accessors */

const char *lmx_http_req_header(const struct lmx_http_req *req, const char *name, size_t *len)
{
    size_t nl = strlen(name);

    for (size_t i = 0; i < req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &req->hdrs[i];

        if (h->name_len == nl && memcmp(h->name, name, nl) == 0) {
            if (len != NULL)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = tolower(ch);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

const char *lmx_http_req_query(struct lmx_http_req *req, const char *name)
{
    struct lmx_http_conn *c = req->conn;
    size_t nl = strlen(name);
    const char *p = req->query;

    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        const char *end = amp != NULL ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq != NULL ? eq : end;

        if ((size_t)(kend - p) == nl && memcmp(p, name, nl) == 0) {
            const char *v = eq != NULL ? eq + 1 : end;
            size_t vn = (size_t)(end - v);
            char *mem = lmx_malloc(sizeof(char *) + vn + 1);
            char *out, *o;

            if (mem == NULL)
                return NULL;
            out = mem + sizeof(char *);
            o = out;
            for (size_t i = 0; i < vn; i++) {
                if (v[i] == '+') {
                    *o++ = ' ';
                } else if (v[i] == '%' && i + 2 < vn && hexval((unsigned char)v[i + 1]) >= 0 &&
                           hexval((unsigned char)v[i + 2]) >= 0) {
                    *o++ = (char)(hexval((unsigned char)v[i + 1]) * 16 +
                                  hexval((unsigned char)v[i + 2]));
                    i += 2;
                } else {
                    *o++ = v[i];
                }
            }
            *o = '\0';
            *(char **)mem = c->query_copies;
            c->query_copies = mem;
            return out;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    return NULL;
}
