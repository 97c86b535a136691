/*
 * upstream/multi.c - the per-worker HTTP client: libcurl's multi_socket API on
 * a libuv loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one uv_poll_t
 * per socket) and when to wake it (CURLMOPT_TIMERFUNCTION: one uv_timer_t);
 * libuv events go back to curl_multi_socket_action, and finished transfers
 * come out of curl_multi_info_read. Connections stay in the multi's cache and
 * are reused by later transfers; easy handles and transfer structs are kept in
 * a small free list.
 *
 * Re-entrancy. curl refuses multi calls made from inside its callbacks, and
 * our callbacks (on_headers, on_data) run inside curl. So while curl is on the
 * stack (u->in_curl > 0), starting, cancelling and resuming a transfer only
 * queue the work on u->defer, which runs as soon as curl returns. on_done is
 * never called from inside curl, nor from lmx_xfer_start/_resume/_cancel: a
 * transfer that fails outside curl (a callback failing while
 * lmx_xfer_resume re-delivers data) is finished by the reaper timer on the
 * next loop turn. A transfer is recycled only once it is out of the multi and
 * on no list; until then it is a zombie that gets no callback.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "upstream/upstream.h"

#define UP_POOL_MAX     64          /* idle transfer structs kept per worker */
#define UP_MAXCONNECTS  1024        /* connection cache size */
#define UP_RESP_HDR_MAX (256 << 10) /* cap on one response header block */
#define UP_REQ_HDR_MAX  (1 << 20)   /* cap on the request header copies */
#define UP_KEEP_BUF     (16 << 10)  /* larger buffers are freed on recycle */

enum xfer_state {
    XFER_FREE,    /* in the pool */
    XFER_QUEUED,  /* started while curl was on the stack: waits on u->defer to be added */
    XFER_RUNNING, /* in the multi */
    XFER_FAILED,  /* failed outside curl: waits on u->reap for its on_done */
    XFER_DONE,    /* on_done is running */
    XFER_ZOMBIE,  /* cancelled or done, waiting to leave the multi or a list */
};

/*
 * The poll handle of one socket curl watches. Connection sockets are opened
 * and closed through our CURLOPT_OPENSOCKETFUNCTION/CLOSESOCKETFUNCTION
 * ("owned"): their handle lives as long as the descriptor, and is only stopped
 * while the connection idles in curl's pool (CURL_POLL_REMOVE), which saves
 * the handle setup syscalls on every reuse. Other sockets curl may watch (the
 * threaded resolver's socketpair) are closed by curl itself right after
 * CURL_POLL_REMOVE, so their handle is closed at once. A libuv poll handle
 * must never be closed after its descriptor number went to someone else: its
 * close removes whatever epoll registration that number has.
 */
struct up_sock {
    uv_poll_t poll;
    struct lmx_upstream *u;
    curl_socket_t fd;
    bool owned;
};

struct lmx_xfer {
    struct lmx_upstream *u;
    CURL *easy;
    uv_timer_t idle;
    enum xfer_state state;
    bool in_multi;
    bool paused;
    bool hdrs_done;
    bool resume_wanted;
    bool on_defer;
    bool on_reap;
    int cb_err;          /* code from a callback (or our own failure), 0 when none */
    const char *err_msg; /* static reason going with cb_err, or NULL */
    struct lmx_xfer_cbs cbs;
    void *ud;
    uint64_t t_start;
    uint64_t ttfb;
    uint64_t idle_ms;
    uint64_t last_rx;             /* loop time (ms) of the last byte received */
    struct lmx_buf hdrs;          /* response header block */
    struct lmx_buf reqmem;        /* request header copies and their curl_slist nodes */
    struct lmx_xfer *prev, *next; /* live list, or pool (next only) */
    struct lmx_xfer *dnext;       /* u->defer */
    struct lmx_xfer *rnext;       /* u->reap */
    char errbuf[CURL_ERROR_SIZE];
};

struct lmx_upstream {
    uv_loop_t *loop;
    CURLM *multi;
    CURLSH *share;
    uv_timer_t timer;  /* curl's timeout */
    uv_timer_t reaper; /* finishes failed transfers; runs a deferred close */
    char *ca_bundle;
    struct lmx_xfer *live; /* started, not yet done or cancelled */
    size_t nlive;
    struct lmx_xfer *pool;
    size_t npool;
    struct lmx_xfer *defer_head, *defer_tail;
    struct lmx_xfer *reap_head, *reap_tail;
    struct up_sock **sockv; /* indexed by socket number */
    size_t nsockv;
    int in_curl; /* depth of curl calls on the stack */
    int busy;    /* depth of our own dispatch (on_done calls) on the stack */
    bool closing;
    bool closed;
    size_t nclosing; /* uv handles whose close callback is pending */
    void (*close_cb)(void *arg);
    void *close_arg;
};

static void upstream_drain(struct lmx_upstream *u);
static void upstream_maybe_close(struct lmx_upstream *u);
static void xfer_do_resume(struct lmx_xfer *x);
static int xfer_deliver_headers(struct lmx_xfer *x);

/* ---- handle bookkeeping ---- */

static void upstream_finalize(struct lmx_upstream *u)
{
    void (*cb)(void *) = u->close_cb;
    void *arg = u->close_arg;

    lmx_free(u->ca_bundle);
    lmx_free(u);
    if (cb != NULL)
        cb(arg);
}

static void upstream_handle_closed(struct lmx_upstream *u)
{
    assert(u->nclosing > 0);
    u->nclosing--;
    if (u->closed && u->nclosing == 0)
        upstream_finalize(u);
}

static void on_timer_closed(uv_handle_t *h)
{
    upstream_handle_closed(h->data);
}

static void on_sock_closed(uv_handle_t *h)
{
    struct up_sock *sk = h->data;
    struct lmx_upstream *u = sk->u;

    lmx_free(sk);
    upstream_handle_closed(u);
}

static void on_xfer_closed(uv_handle_t *h)
{
    struct lmx_xfer *x = h->data;
    struct lmx_upstream *u = x->u;

    lmx_free(x);
    upstream_handle_closed(u);
}

static void sock_close(struct up_sock *sk)
{
    struct lmx_upstream *u = sk->u;

    u->sockv[sk->fd] = NULL;
    u->nclosing++;
    uv_close((uv_handle_t *)&sk->poll, on_sock_closed);
}

/* The poll handle for socket s: the one kept for an owned socket, or a new one. */
static struct up_sock *sock_get(struct lmx_upstream *u, curl_socket_t s)
{
    struct up_sock *sk;
    size_t n;

    if (LMX_NEVER(s < 0))
        return NULL;
    if ((size_t)s < u->nsockv && u->sockv[s] != NULL)
        return u->sockv[s];
    if ((size_t)s >= u->nsockv) {
        struct up_sock **v;

        n = LMX_MAX((size_t)s + 1, u->nsockv * 2);
        n = LMX_MAX(n, (size_t)64);
        v = lmx_realloc(u->sockv, n * sizeof(*v));
        if (v == NULL)
            return NULL;
        memset(v + u->nsockv, 0, (n - u->nsockv) * sizeof(*v));
        u->sockv = v;
        u->nsockv = n;
    }
    sk = lmx_calloc(1, sizeof(*sk));
    if (sk == NULL)
        return NULL;
    if (uv_poll_init_socket(u->loop, &sk->poll, s) < 0) {
        lmx_free(sk);
        return NULL;
    }
    sk->poll.data = sk;
    sk->u = u;
    sk->fd = s;
    u->sockv[s] = sk;
    return sk;
}

/* ---- transfer lists and recycling ---- */

static void live_link(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    x->prev = NULL;
    x->next = u->live;
    if (u->live != NULL)
        u->live->prev = x;
    u->live = x;
    u->nlive++;
}

static void live_unlink(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        u->live = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    u->nlive--;
}

static void defer_push(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    if (x->on_defer)
        return;
    x->on_defer = true;
    x->dnext = NULL;
    if (u->defer_tail != NULL)
        u->defer_tail->dnext = x;
    else
        u->defer_head = x;
    u->defer_tail = x;
}

static struct lmx_xfer *defer_pop(struct lmx_upstream *u)
{
    struct lmx_xfer *x = u->defer_head;

    if (x == NULL)
        return NULL;
    u->defer_head = x->dnext;
    if (u->defer_head == NULL)
        u->defer_tail = NULL;
    x->on_defer = false;
    return x;
}

static void on_reaper(uv_timer_t *t);

static void reap_push(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    if (!x->on_reap) {
        x->on_reap = true;
        x->rnext = NULL;
        if (u->reap_tail != NULL)
            u->reap_tail->rnext = x;
        else
            u->reap_head = x;
        u->reap_tail = x;
    }
    if (!u->closed)
        uv_timer_start(&u->reaper, on_reaper, 0, 0);
}

static struct lmx_xfer *reap_pop(struct lmx_upstream *u)
{
    struct lmx_xfer *x = u->reap_head;

    if (x == NULL)
        return NULL;
    u->reap_head = x->rnext;
    if (u->reap_head == NULL)
        u->reap_tail = NULL;
    x->on_reap = false;
    return x;
}

static void xfer_destroy(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    curl_easy_cleanup(x->easy);
    x->easy = NULL;
    lmx_buf_release(&x->hdrs);
    lmx_buf_release(&x->reqmem);
    u->nclosing++;
    uv_close((uv_handle_t *)&x->idle, on_xfer_closed);
}

static void xfer_recycle(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    assert(!x->in_multi && !x->on_defer && !x->on_reap);
    x->state = XFER_FREE;
    if (u->closed || u->npool >= UP_POOL_MAX) {
        xfer_destroy(x);
        return;
    }
    curl_easy_reset(x->easy);
    if (x->hdrs.cap > UP_KEEP_BUF)
        lmx_buf_release(&x->hdrs);
    if (x->reqmem.cap > UP_KEEP_BUF)
        lmx_buf_release(&x->reqmem);
    x->cbs.on_headers = NULL;
    x->cbs.on_data = NULL;
    x->cbs.on_done = NULL;
    x->ud = NULL;
    x->next = u->pool;
    u->pool = x;
    u->npool++;
}

/*
 * The transfer is no longer wanted (cancelled, or its on_done has run): take
 * it out of the multi when curl is not on the stack, and recycle it once it is
 * on no list. Otherwise it becomes a zombie that the list owner retires again.
 */
static void xfer_retire(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;

    uv_timer_stop(&x->idle);
    x->state = XFER_ZOMBIE;
    if (x->in_multi) {
        if (u->in_curl > 0) {
            defer_push(x);
            return;
        }
        curl_multi_remove_handle(u->multi, x->easy);
        x->in_multi = false;
    }
    if (x->on_defer || x->on_reap)
        return;
    xfer_recycle(x);
}

/* ---- result mapping ---- */

static int map_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return LMX_ETIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_PROXY:
        return LMX_ECONNECT;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return LMX_ECONFIG;
    case CURLE_OUT_OF_MEMORY:
        return LMX_ENOMEM;
    default:
        return LMX_EUPSTREAM;
    }
}

/*
 * Calls on_done once, then retires the transfer. Never runs with curl on the
 * stack. The handle leaves the multi first, so a retry started from on_done
 * can reuse the connection.
 */
static void xfer_finish(struct lmx_xfer *x, int err, const char *msg)
{
    struct lmx_upstream *u = x->u;
    char why[CURL_ERROR_SIZE];
    size_t n;

    assert(u->in_curl == 0);
    /* copy first: curl may write its error buffer while the handle is removed */
    n = strcspn(msg, "\r\n");
    if (n >= sizeof(why))
        n = sizeof(why) - 1;
    memcpy(why, msg, n);
    why[n] = '\0';
    live_unlink(x);
    uv_timer_stop(&x->idle);
    if (x->in_multi) {
        curl_multi_remove_handle(u->multi, x->easy);
        x->in_multi = false;
    }
    x->state = XFER_DONE;
    u->busy++;
    x->cbs.on_done(x, err, why, x->ud);
    u->busy--;
    xfer_retire(x);
}

/* Reads finished transfers from curl and runs their on_done. */
static void upstream_read_done(struct lmx_upstream *u)
{
    CURLMsg *m;
    int left;

    while (!u->closed && (m = curl_multi_info_read(u->multi, &left)) != NULL) {
        struct lmx_xfer *x;
        char *priv = NULL;
        CURLcode rc;
        int err;
        const char *msg;

        if (m->msg != CURLMSG_DONE)
            continue;
        rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        x = (struct lmx_xfer *)(void *)priv;
        if (LMX_NEVER(x == NULL))
            continue;
        if (x->state != XFER_RUNNING && x->state != XFER_FAILED) {
            xfer_retire(x);
            continue;
        }
        if (x->cb_err != 0) {
            err = x->cb_err;
            msg = x->err_msg != NULL ? x->err_msg : "";
        } else {
            err = map_curl_error(rc);
            msg = err == 0 ? "" : x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc);
        }
        if (err == 0 && !x->hdrs_done) {
            /* defensive: a response that ended without its blank line. What the
               callback asks for waits, as if curl were on the stack. */
            u->in_curl++;
            err = xfer_deliver_headers(x);
            u->in_curl--;
            if (x->state != XFER_RUNNING) { /* cancelled from its own callback */
                upstream_drain(u);
                continue;
            }
            upstream_drain(u);
        }
        xfer_finish(x, err, msg);
    }
}

/* ---- curl <-> libuv glue ---- */

static void curl_enter(struct lmx_upstream *u)
{
    u->in_curl++;
}

static void curl_leave(struct lmx_upstream *u)
{
    assert(u->in_curl > 0);
    if (--u->in_curl == 0)
        upstream_drain(u);
}

/* Runs the work callbacks asked for while curl was on the stack. */
static void upstream_drain(struct lmx_upstream *u)
{
    struct lmx_xfer *x;

    while (u->in_curl == 0 && (x = defer_pop(u)) != NULL) {
        switch (x->state) {
        case XFER_QUEUED: {
            CURLMcode mc = curl_multi_add_handle(u->multi, x->easy);

            if (mc != CURLM_OK) {
                x->state = XFER_FAILED;
                x->cb_err = mc == CURLM_OUT_OF_MEMORY ? LMX_ENOMEM : LMX_EINTERNAL;
                x->err_msg = curl_multi_strerror(mc);
                reap_push(x);
                break;
            }
            x->in_multi = true;
            x->state = XFER_RUNNING;
            break;
        }
        case XFER_RUNNING:
            if (x->resume_wanted) {
                x->resume_wanted = false;
                if (x->paused)
                    xfer_do_resume(x);
            }
            break;
        case XFER_ZOMBIE:
            xfer_retire(x);
            break;
        default:
            break;
        }
    }
}

/* Lets curl act on a socket event (or its timeout), then reports finished transfers. */
static void upstream_drive(struct lmx_upstream *u, curl_socket_t fd, int flags)
{
    int running = 0;
    CURLMcode mc;

    if (u->closed)
        return;
    u->busy++;
    curl_enter(u);
    mc = curl_multi_socket_action(u->multi, fd, flags, &running);
    curl_leave(u);
    /* e.g. out of memory in curl's socket table: a transfer may then stall until its timeout */
    if (LMX_UNLIKELY(mc != CURLM_OK))
        lmx_warn("upstream: curl_multi_socket_action failed: %s", curl_multi_strerror(mc));
    upstream_read_done(u);
    u->busy--;
    upstream_maybe_close(u);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct up_sock *sk = h->data;
    int flags = 0;

    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    upstream_drive(sk->u, sk->fd, flags); /* may close sk: do not touch it after */
}

static void on_curl_timeout(uv_timer_t *t)
{
    upstream_drive(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct lmx_upstream *u = userp;
    struct up_sock *sk = socketp;
    int events = 0;

    LMX_UNUSED(easy);
    if (what == CURL_POLL_REMOVE) {
        if (sk != NULL) {
            if (u->multi != NULL)
                curl_multi_assign(u->multi, s, NULL);
            if (sk->owned)
                uv_poll_stop(&sk->poll); /* idle in the pool; closed in on_curl_closesocket */
            else
                sock_close(sk); /* curl closes it next, behind our back */
        }
        return 0;
    }
    if (u->closed)
        return 0;
    if (sk == NULL) {
        sk = sock_get(u, s);
        if (sk == NULL)
            return -1;
        curl_multi_assign(u->multi, s, sk);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (events != 0)
        uv_poll_start(&sk->poll, events, on_poll);
    else
        uv_poll_stop(&sk->poll);
    return 0;
}

static curl_socket_t
on_curl_opensocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct lmx_upstream *u = clientp;
    struct up_sock *sk;
    curl_socket_t fd;

    LMX_UNUSED(purpose);
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    sk = u->closed ? NULL : sock_get(u, fd);
    if (sk == NULL || LMX_NEVER(sk->owned)) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    sk->owned = true;
    return fd;
}

static int on_curl_closesocket(void *clientp, curl_socket_t fd)
{
    struct lmx_upstream *u = clientp;

    /* curl has already sent CURL_POLL_REMOVE; the handle goes while the number is still ours */
    if (fd >= 0 && (size_t)fd < u->nsockv && u->sockv[fd] != NULL)
        sock_close(u->sockv[fd]);
    return close(fd);
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct lmx_upstream *u = userp;

    LMX_UNUSED(m);
    if (u->closed)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&u->timer);
    else
        uv_timer_start(&u->timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- per-transfer callbacks (always run with curl on the stack) ---- */

static void xfer_touch(struct lmx_xfer *x)
{
    if (x->idle_ms != 0)
        x->last_rx = uv_now(x->u->loop);
}

/* Returns 0 or the code that must abort the transfer. */
static int xfer_deliver_headers(struct lmx_xfer *x)
{
    long status = 0;
    int rc;

    x->hdrs_done = true;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    rc = x->cbs.on_headers(x, status, x->hdrs.len ? x->hdrs.data : "", x->hdrs.len, x->ud);
    if (rc < 0) {
        x->cb_err = rc;
        return rc;
    }
    if (x->state != XFER_RUNNING)
        return LMX_ECLIENT; /* cancelled from its own callback */
    return 0;
}

static size_t on_curl_header(char *p, size_t size, size_t n, void *arg)
{
    struct lmx_xfer *x = arg;
    size_t len = size * n;

    if (x->state != XFER_RUNNING || x->cb_err != 0)
        return 0;
    if (x->ttfb == 0) {
        x->ttfb = lmx_now_ns() - x->t_start;
        if (x->ttfb == 0)
            x->ttfb = 1;
    }
    xfer_touch(x);
    if (x->hdrs_done)
        return len; /* trailers */
    if (lmx_buf_append(&x->hdrs, p, len) < 0) {
        if (x->hdrs.len + len > x->hdrs.max) {
            x->cb_err = LMX_EUPSTREAM;
            x->err_msg = "upstream response headers too large";
        } else {
            x->cb_err = LMX_ENOMEM;
            x->err_msg = "out of memory";
        }
        return 0;
    }
    if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n')) {
        long status = 0;

        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 100 && status < 200) { /* interim response: wait for the final one */
            lmx_buf_reset(&x->hdrs);
            return len;
        }
        if (xfer_deliver_headers(x) < 0)
            return 0;
    }
    return len;
}

static size_t on_curl_write(char *p, size_t size, size_t n, void *arg)
{
    struct lmx_xfer *x = arg;
    size_t len = size * n;
    int rc;

    if (x->state != XFER_RUNNING || x->cb_err != 0)
        return CURL_WRITEFUNC_ERROR;
    xfer_touch(x);
    if (!x->hdrs_done && xfer_deliver_headers(x) < 0)
        return CURL_WRITEFUNC_ERROR;
    if (len == 0)
        return 0;
    rc = x->cbs.on_data(x, p, len, x->ud);
    if (LMX_UNLIKELY(x->state != XFER_RUNNING))
        return CURL_WRITEFUNC_ERROR; /* cancelled from its own callback */
    if (LMX_LIKELY(rc >= 0))
        return len;
    if (rc == LMX_AGAIN) {
        x->paused = true;
        uv_timer_stop(&x->idle); /* our own backpressure is not a stall */
        return CURL_WRITEFUNC_PAUSE;
    }
    x->cb_err = rc;
    return CURL_WRITEFUNC_ERROR;
}

static void on_idle_timer(uv_timer_t *t)
{
    struct lmx_xfer *x = t->data;
    struct lmx_upstream *u = x->u;
    uint64_t now, quiet;

    if (x->state != XFER_RUNNING || x->paused || u->in_curl > 0)
        return;
    now = uv_now(u->loop);
    quiet = now - x->last_rx;
    if (quiet < x->idle_ms) {
        uv_timer_start(&x->idle, on_idle_timer, x->idle_ms - quiet, 0);
        return;
    }
    u->busy++;
    xfer_finish(x, LMX_ETIMEOUT, "upstream stalled: no data within the idle timeout");
    u->busy--;
    upstream_maybe_close(u);
}

static void on_reaper(uv_timer_t *t)
{
    struct lmx_upstream *u = t->data;
    struct lmx_xfer *x;

    u->busy++;
    while ((x = reap_pop(u)) != NULL) {
        if (x->state == XFER_FAILED)
            xfer_finish(x, x->cb_err, x->err_msg != NULL ? x->err_msg : "");
        else if (x->state == XFER_ZOMBIE)
            xfer_retire(x);
    }
    u->busy--;
    upstream_maybe_close(u);
}

/* ---- public API ---- */

int lmx_upstream_new(struct lmx_upstream **out,
                     uv_loop_t *loop,
                     const struct lmx_upstream_opts *opts)
{
    struct lmx_upstream *u = NULL;
    int err = LMX_ENOMEM;

    *out = NULL;
    u = lmx_calloc(1, sizeof(*u));
    if (u == NULL)
        goto out;
    u->loop = loop;
    if (opts != NULL && opts->ca_bundle != NULL) {
        u->ca_bundle = lmx_strdup(opts->ca_bundle);
        if (u->ca_bundle == NULL)
            goto out;
    }
    u->multi = curl_multi_init();
    if (u->multi == NULL)
        goto out;
    u->share = curl_share_init();
    if (u->share == NULL)
        goto out;
    err = LMX_EINTERNAL;
    if (curl_share_setopt(u->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
        goto out;
    if (curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u) != CURLM_OK ||
        curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u) != CURLM_OK ||
        curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, (long)UP_MAXCONNECTS) != CURLM_OK ||
        curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK)
        goto out;
    if (opts != NULL && opts->max_host_connections > 0 &&
        curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS, opts->max_host_connections) !=
            CURLM_OK)
        goto out;
    /* last: uv handles cannot be freed synchronously once initialised */
    uv_timer_init(loop, &u->timer);
    u->timer.data = u;
    uv_timer_init(loop, &u->reaper);
    u->reaper.data = u;
    *out = u;
    u = NULL;
    err = 0;
out:
    if (u != NULL) {
        if (u->multi != NULL)
            curl_multi_cleanup(u->multi);
        if (u->share != NULL)
            curl_share_cleanup(u->share);
        lmx_free(u->ca_bundle);
        lmx_free(u);
    }
    return err;
}

static void upstream_teardown(struct lmx_upstream *u)
{
    struct lmx_xfer *x;
    CURLM *m;
    size_t i;

    u->busy++;
    while (u->live != NULL)
        xfer_finish(u->live, LMX_ECLIENT, "upstream client closed");
    u->busy--;
    assert(u->defer_head == NULL);
    u->closed = true;
    while ((x = reap_pop(u)) != NULL)
        xfer_retire(x);
    while (u->pool != NULL) {
        x = u->pool;
        u->pool = x->next;
        u->npool--;
        xfer_destroy(x);
    }
    u->nclosing += 2;
    uv_close((uv_handle_t *)&u->timer, on_timer_closed);
    uv_close((uv_handle_t *)&u->reaper, on_timer_closed);
    m = u->multi;
    u->multi = NULL; /* the socket callback may still run during cleanup */
    curl_multi_cleanup(m);
    curl_share_cleanup(u->share);
    u->share = NULL;
    for (i = 0; i < u->nsockv; i++) {
        if (u->sockv[i] != NULL)
            sock_close(u->sockv[i]);
    }
    lmx_free(u->sockv);
    u->sockv = NULL;
    u->nsockv = 0;
}

static void upstream_maybe_close(struct lmx_upstream *u)
{
    if (!u->closing || u->closed || u->busy > 0 || u->in_curl > 0)
        return;
    upstream_teardown(u);
}

void lmx_upstream_close(struct lmx_upstream *u, void (*cb)(void *arg), void *arg)
{
    if (u == NULL || u->closing)
        return;
    u->closing = true;
    u->close_cb = cb;
    u->close_arg = arg;
    if (u->busy > 0 || u->in_curl > 0) {
        uv_timer_start(&u->reaper, on_reaper, 0, 0); /* whoever is on the stack may not see it */
        return;
    }
    upstream_teardown(u);
}

static int xfer_get(struct lmx_upstream *u, struct lmx_xfer **out)
{
    struct lmx_xfer *x = u->pool;

    if (x != NULL) {
        u->pool = x->next;
        u->npool--;
        x->next = NULL;
        *out = x;
        return 0;
    }
    x = lmx_calloc(1, sizeof(*x));
    if (x == NULL)
        return LMX_ENOMEM;
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        lmx_free(x);
        return LMX_ENOMEM;
    }
    x->u = u;
    lmx_buf_init(&x->hdrs, UP_RESP_HDR_MAX);
    lmx_buf_init(&x->reqmem, UP_REQ_HDR_MAX);
    uv_timer_init(u->loop, &x->idle);
    x->idle.data = x;
    *out = x;
    return 0;
}

/* Copies the request headers (and "Expect:") into one block of curl_slist nodes and strings. */
static int
xfer_build_headers(struct lmx_xfer *x, const struct lmx_xfer_req *req, struct curl_slist **out)
{
    static const char expect[] = "Expect:";
    size_t count = req->nheaders + 1, need, i;
    struct curl_slist *nodes;
    char *s;
    int err;

    need = count * sizeof(struct curl_slist) + sizeof(expect);
    for (i = 0; i < req->nheaders; i++)
        need += strlen(req->headers[i]) + 1;
    lmx_buf_reset(&x->reqmem);
    err = lmx_buf_reserve(&x->reqmem, need);
    if (err < 0)
        return err;
    nodes = (struct curl_slist *)(void *)x->reqmem.data;
    s = x->reqmem.data + count * sizeof(struct curl_slist);
    for (i = 0; i < req->nheaders; i++) {
        size_t n = strlen(req->headers[i]) + 1;

        memcpy(s, req->headers[i], n);
        nodes[i].data = s;
        nodes[i].next = &nodes[i + 1];
        s += n;
    }
    memcpy(s, expect, sizeof(expect));
    nodes[count - 1].data = s;
    nodes[count - 1].next = NULL;
    x->reqmem.len = need;
    *out = nodes;
    return 0;
}

static long seconds_to_ms(double s)
{
    if (!(s > 0))
        return 0;
    if (s > 1e9)
        s = 1e9;
    return LMX_MAX(1L, (long)(s * 1000.0 + 0.5));
}

static int xfer_setup(struct lmx_xfer *x, const struct lmx_xfer_req *req)
{
    struct lmx_upstream *u = x->u;
    CURL *e = x->easy;
    struct curl_slist *hl = NULL;
    CURLcode rc = CURLE_OK;
    int err;

    err = xfer_build_headers(x, req, &hl);
    if (err < 0)
        return err;
    x->errbuf[0] = '\0';
#define SET(opt, val)                           \
    do {                                        \
        if (rc == CURLE_OK)                     \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_curl_opensocket);
    SET(CURLOPT_OPENSOCKETDATA, (void *)u);
    SET(CURLOPT_CLOSESOCKETFUNCTION, on_curl_closesocket);
    SET(CURLOPT_CLOSESOCKETDATA, (void *)u);
    SET(CURLOPT_SHARE, u->share);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_KEEPIDLE, 60L);
    SET(CURLOPT_TCP_KEEPINTVL, 30L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (u->ca_bundle != NULL)
        SET(CURLOPT_CAINFO, u->ca_bundle);
    if (strncmp(req->url, "https:", 6) == 0)
        SET(CURLOPT_PIPEWAIT, 1L); /* wait for a connection that can multiplex */
    SET(CURLOPT_HTTPHEADER, hl);
    SET(CURLOPT_HEADERFUNCTION, on_curl_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
    SET(CURLOPT_WRITEFUNCTION, on_curl_write);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_CONNECTTIMEOUT_MS, seconds_to_ms(req->connect_timeout));
    SET(CURLOPT_TIMEOUT_MS, seconds_to_ms(req->total_timeout));
    if (strcmp(req->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (req->body == NULL && strcmp(req->method, "POST") != 0) {
        if (strcmp(req->method, "GET") != 0)
            SET(CURLOPT_CUSTOMREQUEST, req->method);
    } else {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
        if (strcmp(req->method, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, req->method);
    }
#undef SET
    if (rc == CURLE_OUT_OF_MEMORY)
        return LMX_ENOMEM;
    if (rc != CURLE_OK)
        return LMX_EINTERNAL;
    return 0;
}

int lmx_xfer_start(struct lmx_upstream *u,
                   const struct lmx_xfer_req *req,
                   const struct lmx_xfer_cbs *cbs,
                   void *ud,
                   struct lmx_xfer **out)
{
    struct lmx_xfer *x = NULL;
    int err;

    *out = NULL;
    if (u->closing)
        return LMX_ESHUTDOWN;
    if (req->url == NULL || req->method == NULL || (req->nheaders > 0 && req->headers == NULL))
        return LMX_EINTERNAL;
    err = xfer_get(u, &x);
    if (err < 0)
        return err;
    x->state = XFER_QUEUED;
    x->in_multi = false;
    x->paused = false;
    x->hdrs_done = false;
    x->resume_wanted = false;
    x->cb_err = 0;
    x->err_msg = NULL;
    x->cbs = *cbs;
    x->ud = ud;
    x->ttfb = 0;
    x->t_start = lmx_now_ns();
    x->idle_ms = (uint64_t)seconds_to_ms(req->idle_timeout);
    lmx_buf_reset(&x->hdrs);
    err = xfer_setup(x, req);
    if (err < 0)
        goto fail;
    if (u->in_curl > 0) {
        defer_push(x); /* curl refuses new handles from inside its callbacks */
    } else {
        CURLMcode mc = curl_multi_add_handle(u->multi, x->easy);

        if (mc != CURLM_OK) {
            err = mc == CURLM_OUT_OF_MEMORY ? LMX_ENOMEM : LMX_EINTERNAL;
            goto fail;
        }
        x->in_multi = true;
        x->state = XFER_RUNNING;
    }
    live_link(x);
    if (x->idle_ms != 0) {
        x->last_rx = uv_now(u->loop);
        uv_timer_start(&x->idle, on_idle_timer, x->idle_ms, 0);
    }
    *out = x;
    return 0;
fail:
    xfer_recycle(x);
    return err;
}

static void xfer_do_resume(struct lmx_xfer *x)
{
    struct lmx_upstream *u = x->u;
    CURLcode rc;

    x->paused = false;
    if (x->idle_ms != 0) {
        x->last_rx = uv_now(u->loop);
        uv_timer_start(&x->idle, on_idle_timer, x->idle_ms, 0);
    }
    curl_enter(u);
    rc = curl_easy_pause(x->easy, CURLPAUSE_CONT); /* may call on_data right here */
    if (x->state == XFER_RUNNING && (rc != CURLE_OK || x->cb_err != 0)) {
        /* curl does not end the transfer itself when the re-delivery fails */
        x->state = XFER_FAILED;
        if (x->cb_err == 0) {
            x->cb_err = map_curl_error(rc);
            if (x->cb_err == 0)
                x->cb_err = LMX_EUPSTREAM;
            x->err_msg = curl_easy_strerror(rc);
        }
        uv_timer_stop(&x->idle);
        reap_push(x);
    }
    curl_leave(u);
}

void lmx_xfer_resume(struct lmx_xfer *x)
{
    if (x == NULL || x->state != XFER_RUNNING)
        return;
    if (x->u->in_curl > 0) {
        /* from inside a callback (maybe this transfer's own on_data, before it pauses) */
        x->resume_wanted = true;
        defer_push(x);
        return;
    }
    if (x->paused)
        xfer_do_resume(x);
}

void lmx_xfer_cancel(struct lmx_xfer *x)
{
    if (x == NULL)
        return;
    switch (x->state) {
    case XFER_QUEUED:
    case XFER_RUNNING:
    case XFER_FAILED:
        live_unlink(x);
        xfer_retire(x);
        break;
    default: /* done (inside its own on_done), already cancelled, or free */
        break;
    }
}

uint64_t lmx_xfer_ttfb_ns(const struct lmx_xfer *x)
{
    return x->ttfb;
}

size_t lmx_upstream_active(const struct lmx_upstream *u)
{
    return u->nlive;
}
