/*
 * api/common.c - response helpers shared by every endpoint: header sets,
 * the error envelope, JSON replies, and the master-key check.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"

void lmx__hdrset_init(struct lmx_hdrset *hs)
{
    hs->n = 0;
    hs->used = 0;
}

void lmx__hdrset_add(struct lmx_hdrset *hs, const char *name, const char *fmt, ...)
{
    va_list ap;
    size_t room = sizeof(hs->store) - hs->used;
    int n;

    if (hs->n == LMX_ARRAY_SIZE(hs->h) || room < 2)
        return;
    va_start(ap, fmt);
    n = vsnprintf(hs->store + hs->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room || n == 0)
        return; /* empty values are omitted, too-long ones dropped */
    hs->h[hs->n++] = (struct lmx_http_hdr){name, strlen(name), hs->store + hs->used, (size_t)n};
    hs->used += (size_t)n + 1;
}

static void send_error_v(struct lmx_http_req *req, struct lmx_hdrset *hs, lmx_errbody_fn body_fn,
                         int status, const char *type, const char *param, const char *fmt,
                         va_list ap)
{
    char msg[1024];
    struct lmx_buf b;
    int n;

    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        msg[0] = '\0';
    lmx_buf_init(&b, 16384);
    if (body_fn != NULL) {
        /* the client's own dialect (Anthropic, Gemini, ...) */
        body_fn(status, type, msg, &b);
        if (b.len > 0) {
            lmx_http_res_send(req, status, hs ? hs->h : NULL, hs ? hs->n : 0, "application/json",
                              b.data, b.len);
            lmx_buf_release(&b);
            return;
        }
    }
    if (lmx_buf_puts(&b, "{\"error\":{\"message\":") < 0 ||
        lmx_buf_json_str(&b, msg, strlen(msg)) < 0 || lmx_buf_puts(&b, ",\"type\":") < 0 ||
        lmx_buf_json_str(&b, type, strlen(type)) < 0 || lmx_buf_puts(&b, ",\"param\":") < 0 ||
        (param != NULL ? lmx_buf_json_str(&b, param, strlen(param)) : lmx_buf_puts(&b, "null")) <
            0 ||
        lmx_buf_printf(&b, ",\"code\":\"%d\"}}", status) < 0) {
        static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":"
                                  "\"internal_server_error\",\"param\":null,\"code\":\"503\"}}";

        lmx_buf_release(&b);
        lmx_http_res_send(req, 503, NULL, 0, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    lmx_http_res_send(req, status, hs ? hs->h : NULL, hs ? hs->n : 0, "application/json", b.data,
                      b.len);
    lmx_buf_release(&b);
}

void lmx__send_error(struct lmx_http_req *req, struct lmx_hdrset *hs, int status,
                     const char *type, const char *param, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    send_error_v(req, hs, NULL, status, type, param, fmt, ap);
    va_end(ap);
}

void lmx__send_error_as(struct lmx_http_req *req, struct lmx_hdrset *hs, lmx_errbody_fn body_fn,
                        int status, const char *type, const char *param, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    send_error_v(req, hs, body_fn, status, type, param, fmt, ap);
    va_end(ap);
}

void lmx__send_err_code(struct lmx_http_req *req, struct lmx_hdrset *hs, int err,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    send_error_v(req, hs, NULL, lmx_err_status(err), lmx_err_type(err), NULL, fmt, ap);
    va_end(ap);
}

void lmx__send_json(struct lmx_http_req *req, struct lmx_hdrset *hs, int status, json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    json_decref(v);
    if (s == NULL) {
        lmx__send_err_code(req, hs, LMX_ENOMEM, "out of memory");
        return;
    }
    lmx_http_res_send(req, status, hs ? hs->h : NULL, hs ? hs->n : 0, "application/json", s,
                      strlen(s));
    lmx_free(s);
}

/* The key a client sent, from the headers LiteLLM reads, in its order. */
static const char *client_key(struct lmx_http_req *req, bool query_key, size_t *len)
{
    static const char *const plain[] = {"api-key", "x-api-key", "x-goog-api-key",
                                        "ocp-apim-subscription-key"};
    const char *v;
    size_t n;

    v = lmx_http_req_header(req, "x-litellm-api-key", &n);
    if (v == NULL)
        v = lmx_http_req_header(req, "authorization", &n);
    if (v != NULL) {
        if (n > 7 && lmx_streq_ci(v, 7, "bearer ")) {
            v += 7;
            n -= 7;
        } else if (n > 6 && lmx_streq_ci(v, 6, "basic ")) {
            v += 6;
            n -= 6;
        }
        while (n > 0 && *v == ' ') {
            v++;
            n--;
        }
        *len = n;
        return v;
    }
    for (size_t i = 0; i < LMX_ARRAY_SIZE(plain); i++) {
        v = lmx_http_req_header(req, plain[i], &n);
        if (v != NULL) {
            *len = n;
            return v;
        }
    }
    if (query_key && (v = lmx_http_req_query(req, "key")) != NULL) {
        *len = strlen(v); /* Google's clients may send the key as ?key= */
        return v;
    }
    return NULL;
}

int lmx__auth_check_as(struct lmx_http_req *req, const struct lmx_config *cfg,
                       lmx_errbody_fn body_fn, bool query_key)
{
    const char *key;
    size_t len = 0;

    if (cfg->master_key == NULL)
        return 0;
    key = client_key(req, query_key, &len);
    if (key == NULL || len == 0) {
        lmx__send_error_as(req, NULL, body_fn, 401, "auth_error", NULL,
                           "Authentication Error, No api key passed in.");
        return LMX_EAUTH;
    }
    if (!lmx_ct_equal(key, len, cfg->master_key, strlen(cfg->master_key))) {
        lmx__send_error_as(req, NULL, body_fn, 401, "auth_error", NULL,
                           "Authentication Error, Invalid proxy server token passed. Received "
                           "API Key = %.*s..., Key Hash (Token) = <not shown>. Unable to find "
                           "token in cache or `LiteLLM_VerificationTokenTable`",
                           (int)LMX_MIN(len, 6), key);
        return LMX_EAUTH;
    }
    return 0;
}

int lmx__auth_check(struct lmx_http_req *req, const struct lmx_config *cfg)
{
    return lmx__auth_check_as(req, cfg, NULL, false);
}
