/*
 * http/server.c - listening sockets, accepting, graceful shutdown.
 *
 * Each worker owns one server on its own loop and its own SO_REUSEPORT socket,
 * so the kernel spreads connections over workers without any lock. The
 * connection protocol itself lives in conn.c.
 */
#include "core/lmx.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "http/http_int.h"

int lmx_http_listen(const char *host, int port, int backlog, int *bound_port)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int fd = -1, one = 1, rc;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        lmx_error("cannot resolve listen address '%s': %s", host, gai_strerror(rc));
        return LMX_EIO;
    }
    if (port != 0 && bound_port != NULL) {
        /* SO_REUSEPORT would let us silently share a port another process
         * already serves: probe it without the option first */
        int probe = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (probe >= 0) {
            setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(probe, res->ai_addr, res->ai_addrlen) < 0 && errno == EADDRINUSE) {
                close(probe);
                goto fail;
            }
            close(probe);
        }
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
        goto fail;
    if (listen(fd, backlog) < 0)
        goto fail;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        goto fail;
    if (bound_port != NULL)
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    freeaddrinfo(res);
    return fd;
fail:
    lmx_error("cannot listen on %s:%d: %s", host, port, strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return LMX_EIO;
}

static void on_connection(uv_stream_t *l, int status)
{
    struct lmx_http_server *s = l->data;

    if (status < 0) {
        lmx_warn("cannot accept a connection: %s", uv_strerror(status));
        return;
    }
    if (s->shutting_down)
        return;
    lmx__http_conn_accept(s);
}

static void free_on_close(uv_handle_t *h)
{
    lmx_free(h->data);
}

int lmx_http_server_new(struct lmx_http_server **out, uv_loop_t *loop, int fd,
                        const struct lmx_http_limits *limits, lmx_http_request_cb cb, void *ud)
{
    struct lmx_http_server *s = lmx_calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
        close(fd);
        return LMX_ENOMEM;
    }
    s->loop = loop;
    s->limits = *limits;
    s->on_request = cb;
    s->ud = ud;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    rc = uv_tcp_open(&s->listener, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc < 0) {
        lmx_error("cannot start listening: %s", uv_strerror(rc));
        /* the handle owns fd now; free the server once it is closed */
        uv_close((uv_handle_t *)&s->listener, free_on_close);
        return LMX_EIO;
    }
    s->listening = true;
    *out = s;
    return 0;
}

void lmx_http_server_set_limits(struct lmx_http_server *s, const struct lmx_http_limits *limits)
{
    s->limits = *limits;
}

size_t lmx_http_server_conns(const struct lmx_http_server *s)
{
    return s->nconns;
}

size_t lmx_http_server_active(const struct lmx_http_server *s)
{
    return s->nactive;
}

static void maybe_finish_shutdown(struct lmx_http_server *s)
{
    void (*cb)(void *);

    if (!s->shutting_down || s->listening || s->nconns > 0 || s->shutdown_cb == NULL)
        return;
    cb = s->shutdown_cb;
    s->shutdown_cb = NULL;
    cb(s->shutdown_arg);
    lmx_free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct lmx_http_server *s = h->data;

    s->listening = false;
    maybe_finish_shutdown(s);
}

void lmx_http_server_shutdown(struct lmx_http_server *s, void (*cb)(void *arg), void *arg)
{
    struct lmx_http_conn *c, *next;

    if (s->shutting_down)
        return;
    s->shutting_down = true;
    s->shutdown_cb = cb;
    s->shutdown_arg = arg;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        lmx__http_conn_shutdown(c);
    }
}

void lmx_http_server_abort_all(struct lmx_http_server *s)
{
    struct lmx_http_conn *c, *next;

    for (c = s->conns; c != NULL; c = next) {
        next = c->next;
        lmx__http_conn_abort(c);
    }
}

void lmx__http_server_conn_gone(struct lmx_http_server *s, struct lmx_http_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--;
    maybe_finish_shutdown(s);
}

const char *lmx__http_date(struct lmx_http_server *s, size_t *len)
{
    uint64_t now = uv_now(s->loop) / 1000;

    if (now != s->date_sec || s->date[0] == '\0') {
        time_t t = time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(s->date, sizeof(s->date), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        s->date_sec = now;
    }
    *len = strlen(s->date);
    return s->date;
}
