/*
 * http/http_int.h - structures shared by server.c and conn.c only.
 */
#ifndef LMX_HTTP_INT_H
#define LMX_HTTP_INT_H

#include <http_parser.h>
#include <uv.h>

#include "core/buf.h"
#include "http/http.h"

struct lmx_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    bool listening;
    bool shutting_down;
    struct lmx_http_limits limits;
    lmx_http_request_cb on_request;
    void *ud;
    struct lmx_http_conn *conns; /* doubly linked list of open connections */
    size_t nconns;
    size_t nactive; /* requests handed to on_request and not finished */
    void (*shutdown_cb)(void *arg);
    void *shutdown_arg;
    char date[40]; /* "Date: ...\r\n" cached per second */
    uint64_t date_sec;
};

/* Header offsets while parsing: the names and values live in conn->head. */
struct lmx_hdr_off {
    uint32_t name, name_len, value, value_len;
};

enum conn_state {
    CONN_IDLE,     /* waiting for the first byte of a request */
    CONN_READING,  /* request head or body in progress */
    CONN_HANDLING, /* handed to on_request, response not finished */
    CONN_FLUSHING, /* response finished, bytes still being written */
};

struct lmx_http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct lmx_http_server *srv;
    struct lmx_http_conn *prev, *next;
    struct lmx_http_limits limits;
    http_parser parser;
    enum conn_state state;
    bool closing;       /* uv_close called or about to be */
    bool reading;       /* uv_read_start active */
    bool keep_alive;    /* this response may keep the connection */
    bool res_started;   /* status line queued */
    bool res_chunked;
    bool res_ended;
    bool in_handler;    /* on_request running: no abort callback re-entrancy */
    bool head_done;     /* on_headers_complete seen for the current request */
    bool last_was_value;
    int reject;         /* pending error status decided while parsing (413/431), else 0 */

    struct lmx_buf in;   /* bytes received but not yet parsed (pipelined) */
    struct lmx_buf head; /* url and header bytes of the current request */
    struct lmx_hdr_off *offs;
    size_t noffs, offs_cap;
    uint32_t url_len;
    size_t head_bytes; /* header bytes counted for the limit */

    struct lmx_http_req req; /* the current request (one at a time) */
    char *query_copies;      /* decoded query values, freed per request */

    uv_write_t wr;
    bool write_inflight;
    struct lmx_buf out;      /* pending bytes not yet handed to uv_write */
    struct lmx_buf out_busy; /* bytes under the in-flight uv_write */
};

void lmx__http_conn_accept(struct lmx_http_server *s);
void lmx__http_conn_shutdown(struct lmx_http_conn *c);
void lmx__http_conn_abort(struct lmx_http_conn *c);
void lmx__http_server_conn_gone(struct lmx_http_server *s, struct lmx_http_conn *c);
const char *lmx__http_date(struct lmx_http_server *s, size_t *len);

#endif
