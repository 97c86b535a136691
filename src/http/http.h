/*
 * http/http.h - the inbound HTTP/1.1 server: connections, requests, responses.
 *
 * One struct lmx_http_server per worker thread, listening on its own
 * SO_REUSEPORT socket on that worker's loop. http-parser reads requests
 * (keep-alive, chunked bodies, Expect: 100-continue, pipelining); limits on
 * header and body bytes answer 431/413; header-read and idle timers close slow
 * or silent clients. A complete request is handed to the `on_request`
 * callback, which answers it now or later with the lmx_http_res_* calls.
 *
 * Streaming responses have backpressure: at most one uv_write is in flight and
 * one capped pending buffer fills meanwhile. lmx_http_res_room() says how much
 * may still be queued; when the buffer drains, on_drain runs.
 *
 * Not here: routing of paths to endpoints (api/), JSON, auth.
 */
#ifndef LMX_HTTP_H
#define LMX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "core/buf.h"
#include "core/lmx.h"

struct lmx_http_server;
struct lmx_http_conn;
struct lmx_http_req;

/* A header: name lowercased for requests; pointers into the request's storage. */
struct lmx_http_hdr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

enum lmx_http_method {
    LMX_HTTP_OTHER,
    LMX_HTTP_GET,
    LMX_HTTP_HEAD,
    LMX_HTTP_POST,
    LMX_HTTP_PUT,
    LMX_HTTP_PATCH,
    LMX_HTTP_DELETE,
    LMX_HTTP_OPTIONS,
};

/* Called when the client goes away (or the server drops the request) before res_end. */
typedef void (*lmx_http_abort_cb)(struct lmx_http_req *req, void *ud);
/* Called when the pending output has drained below the low-water mark. */
typedef void (*lmx_http_drain_cb)(struct lmx_http_req *req, void *ud);

struct lmx_http_req {
    struct lmx_http_conn *conn;
    struct lmx_http_server *server;
    enum lmx_http_method method;
    const char *method_str; /* "POST" ... */
    const char *path;       /* NUL-terminated, without the query */
    size_t path_len;
    const char *query; /* NUL-terminated, after '?', "" when none */
    struct lmx_http_hdr *hdrs;
    size_t nhdrs;
    struct lmx_buf body; /* the whole body (NUL-terminated) */
    uint64_t start_ns;   /* when the first byte of the request arrived */
    char peer[64];       /* client address "ip:port" */

    /* Set by the handler; called at most once each while the request is open. */
    lmx_http_abort_cb on_abort;
    lmx_http_drain_cb on_drain;
    void *ud;
};

struct lmx_http_limits {
    size_t max_header_bytes; /* 431 above this */
    size_t max_body_bytes;   /* 413 above this */
    double header_timeout;   /* seconds to receive the request head and body */
    double idle_timeout;     /* seconds a keep-alive connection may wait for the next request */
    size_t out_high_water;   /* pending response bytes before res_room() reports 0 */
};

/*
 * The request handler. Runs on the worker's loop once the whole request
 * (head and body) has arrived. It must eventually finish the request with
 * lmx_http_res_end() (or a helper that ends it), unless on_abort has run.
 */
typedef void (*lmx_http_request_cb)(struct lmx_http_req *req, void *ud);

/*
 * Creates a server on `loop` that accepts from the already-bound listening
 * socket `fd` (ownership passes to the server). Returns 0 and sets *out, or a
 * negative code. `limits` is copied.
 */
int lmx_http_server_new(struct lmx_http_server **out, uv_loop_t *loop, int fd,
                        const struct lmx_http_limits *limits, lmx_http_request_cb cb, void *ud);

/* Replaces the limits for connections accepted from now on (config reload). */
void lmx_http_server_set_limits(struct lmx_http_server *s, const struct lmx_http_limits *limits);

/*
 * Graceful stop: closes the listener, closes idle keep-alive connections, and
 * lets requests in progress finish (their connections close after the
 * response). `cb` runs once no connection is left and every handle is closed.
 */
void lmx_http_server_shutdown(struct lmx_http_server *s, void (*cb)(void *arg), void *arg);
/* Drops every connection at once (grace period over); in-flight requests see on_abort. */
void lmx_http_server_abort_all(struct lmx_http_server *s);
/* Connections open now; requests being handled now. */
size_t lmx_http_server_conns(const struct lmx_http_server *s);
size_t lmx_http_server_active(const struct lmx_http_server *s);

/*
 * Opens a TCP listening socket on host:port with SO_REUSEPORT (and
 * SO_REUSEADDR), non-blocking. port 0 picks a free port; *bound_port gets the
 * port actually bound. When bound_port is not NULL and port is not 0, a port
 * that another socket already listens on is refused (EADDRINUSE) rather than
 * shared. Returns the fd or a negative code.
 */
int lmx_http_listen(const char *host, int port, int backlog, int *bound_port);

/* ------------------------------------------------------------------------ */
/* Requests */

/* The value of a header (name in lowercase), or NULL; *len gets its length. */
const char *lmx_http_req_header(const struct lmx_http_req *req, const char *name, size_t *len);
/* The value of a query parameter, URL-decoded into a copy in the request's storage, or NULL. */
const char *lmx_http_req_query(struct lmx_http_req *req, const char *name);

/* ------------------------------------------------------------------------ */
/* Responses */

/*
 * Starts the response: status line and headers. `hdrs` are extra headers
 * (Date, Connection and the framing header are added here). content_length
 * >= 0 sends Content-Length; -1 sends a chunked body (streams). Returns 0,
 * LMX_ENOMEM, or LMX_ECLIENT when the client has already gone.
 */
int lmx_http_res_begin(struct lmx_http_req *req, int status, const struct lmx_http_hdr *hdrs,
                       size_t nhdrs, int64_t content_length);
/* Queues body bytes (framed as a chunk when chunked). Returns 0, LMX_ENOMEM or LMX_ECLIENT. */
int lmx_http_res_write(struct lmx_http_req *req, const void *p, size_t n);
/*
 * Like lmx_http_res_write, but only queues the bytes: nothing is sent until
 * lmx_http_res_flush (or a later write or end). Lets a caller frame many small
 * pieces with one send.
 */
int lmx_http_res_queue(struct lmx_http_req *req, const void *p, size_t n);
void lmx_http_res_flush(struct lmx_http_req *req);
/* Bytes that may still be queued before the pending buffer passes its high-water mark. */
size_t lmx_http_res_room(const struct lmx_http_req *req);
/*
 * Finishes the response (the terminating chunk when chunked). The request is
 * freed once its bytes are written: do not touch req after this call. When
 * the client is already gone the request simply ends here, and on_abort is
 * not called for it.
 * `keep_alive` false closes the connection after the response.
 */
void lmx_http_res_end(struct lmx_http_req *req, bool keep_alive);
/*
 * Ends a streamed response that failed midway: the connection closes
 * without the terminating chunk, so the client sees an incomplete body, not
 * a complete short one (for bytes that cannot carry an error: audio, a
 * provider's own stream passed through). Frees req like lmx_http_res_end.
 */
void lmx_http_res_abort(struct lmx_http_req *req);

/* A whole response in one call: begin + write + end. */
void lmx_http_res_send(struct lmx_http_req *req, int status, const struct lmx_http_hdr *hdrs,
                       size_t nhdrs, const char *content_type, const void *body, size_t len);

/* Handy to build a header from C strings. */
#define LMX_HDR(n, v) ((struct lmx_http_hdr){(n), sizeof(n) - 1, (v), strlen(v)})

#endif
