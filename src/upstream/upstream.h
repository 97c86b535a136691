/*
 * upstream/upstream.h - HTTP calls to providers: libcurl's multi_socket API on a
 * worker's libuv loop.
 *
 * One struct lmx_upstream per worker thread; it owns the CURLM handle, the
 * connection pool (reused across calls), DNS cache and timers of that worker.
 * Nothing here may be touched from another thread. Transfers stream: response
 * bytes are handed to the caller as they arrive, and the caller can pause the
 * transfer (backpressure) and resume it later.
 */
#ifndef LMX_UPSTREAM_H
#define LMX_UPSTREAM_H

#include <stddef.h>

#include <uv.h>

#include "core/lmx.h"

struct lmx_upstream;
struct lmx_xfer;

/* Options that apply to every transfer of a worker. */
struct lmx_upstream_opts {
    const char *ca_bundle; /* NULL = system default; copied */
    long max_host_connections; /* 0 = unlimited */
};

/*
 * Creates the per-worker client on `loop`. Returns 0 and sets *out, or
 * LMX_ENOMEM / LMX_EINTERNAL.
 */
int lmx_upstream_new(struct lmx_upstream **out, uv_loop_t *loop,
                     const struct lmx_upstream_opts *opts);
/*
 * Cancels every transfer still running (their on_done is called with
 * LMX_ECLIENT) and closes the handles; `cb` runs once every libuv handle is
 * closed, and then the memory is gone. cb may be NULL.
 */
void lmx_upstream_close(struct lmx_upstream *u, void (*cb)(void *arg), void *arg);

/* One request. All strings are copied by lmx_xfer_start; the caller may free them after. */
struct lmx_xfer_req {
    const char *method; /* "POST", "GET", ... */
    const char *url;
    const char *const *headers; /* "Name: value" lines */
    size_t nheaders;
    const char *body; /* may be NULL; NOT copied: must live until on_done */
    size_t body_len;
    double connect_timeout; /* seconds; 0 = curl default */
    double total_timeout;   /* seconds for the whole transfer; 0 = none */
    double idle_timeout;    /* seconds with no byte received (stream stall); 0 = none */
};

/*
 * Callbacks, all run on the worker's loop. `ud` is the pointer given to
 * lmx_xfer_start.
 *
 * on_headers: once, when the status line and all headers have arrived and
 *   before any body byte. `hdrs` is the raw header block ("Name: value\r\n"...).
 *   Return 0 to go on, or a negative code to cancel (then on_done follows).
 * on_data: body bytes, any split. Return 0 when all n bytes are taken, or
 *   LMX_AGAIN to take none of them and pause the transfer; the same bytes come
 *   again after lmx_xfer_resume. Any other negative code cancels.
 * on_done: exactly once, last. err is 0 on a complete response (whatever its
 *   HTTP status); LMX_ETIMEOUT when the connect, total or idle (stall)
 *   timeout fired; LMX_ECONNECT when no connection could be made (refused,
 *   DNS, TLS handshake); LMX_EUPSTREAM when the connection broke mid-response;
 *   or the code a callback returned. `msg` is a one-line reason (curl's error
 *   buffer) or "". After on_done the xfer is freed: do not touch it.
 */
struct lmx_xfer_cbs {
    int (*on_headers)(struct lmx_xfer *x, long status, const char *hdrs, size_t len, void *ud);
    int (*on_data)(struct lmx_xfer *x, const char *p, size_t n, void *ud);
    void (*on_done)(struct lmx_xfer *x, int err, const char *msg, void *ud);
};

/*
 * Starts a transfer. Returns 0 and sets *out (borrowed: valid until on_done),
 * or a negative code with no callback ever called.
 */
int lmx_xfer_start(struct lmx_upstream *u, const struct lmx_xfer_req *req,
                   const struct lmx_xfer_cbs *cbs, void *ud, struct lmx_xfer **out);

/* Resumes a transfer paused by on_data returning LMX_AGAIN. Safe to call when not paused. */
void lmx_xfer_resume(struct lmx_xfer *x);

/*
 * Cancels the transfer at once (closes its connection if a response was in
 * flight). on_done is NOT called for a cancelled transfer; the xfer is freed
 * before this returns. Must not be called from inside the xfer's own callbacks
 * (return a negative code there instead).
 */
void lmx_xfer_cancel(struct lmx_xfer *x);

/* Time from start to the first response byte, in ns (0 until then). */
uint64_t lmx_xfer_ttfb_ns(const struct lmx_xfer *x);

/* Number of transfers in flight on this worker. */
size_t lmx_upstream_active(const struct lmx_upstream *u);

#endif
