/*
 * tools/mock/util.c - llmux-mock: the small pieces every native wire family
 * (tools/mock/<family>.c) answers with: a JSON reply, the "mock-status-<code>"
 * model-name control, word counts for usage, the request log entry, a
 * URL-decoded path piece, the bearer-key check, and for the AWS families the
 * SigV4 Authorization form check and an eventstream answer.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/util.h"
#include "mock.h"
#include "provider/eventstream.h"

void mock_send_json(struct lmx_http_req *req, int status, json_t *o, const char *oom)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (text == NULL)
        lmx_http_res_send(req, 503, NULL, 0, "application/json", oom, strlen(oom));
    else
        lmx_http_res_send(req, status, NULL, 0, "application/json", text, strlen(text));
    lmx_free(text);
    json_decref(o);
}

int mock_model_status(const char *m)
{
    const char *p = m != NULL ? strstr(m, "mock-status-") : NULL;
    long v = 0;

    if (p == NULL)
        return 0;
    for (p += 12; *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    return v >= 100 && v <= 999 ? (int)v : 0;
}

long mock_count_words(const char *s)
{
    long n = 0;
    bool in = false;

    for (; s != NULL && *s; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';

        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

void mock_log_in_init(struct mock_log_in *li,
                      const struct lmx_http_req *req,
                      const char *model,
                      bool stream)
{
    memset(li, 0, sizeof(*li));
    li->model = model;
    li->model_len = model != NULL ? strlen(model) : 0;
    li->path = req->path;
    li->path_len = req->path_len;
    li->fault = "";
    li->arrival_ns = req->start_ns;
    li->stream = stream;
}

uint64_t mock_log_model(const struct lmx_http_req *req, const char *model, bool stream)
{
    struct mock_log_in li;

    mock_log_in_init(&li, req, model, stream);
    return mock_log_add(&li);
}

void mock_url_decode(char *out, size_t cap, const char *p, const char *end)
{
    size_t n = 0;

    for (; p < end && n + 1 < cap; p++) {
        if (*p == '%' && end - p > 2) {
            char hex[3] = {p[1], p[2], '\0'};
            char *e;
            long v = strtol(hex, &e, 16);

            if (*e == '\0') {
                out[n++] = (char)v;
                p += 2;
                continue;
            }
        }
        out[n++] = *p;
    }
    out[n] = '\0';
}

bool mock_sigv4_form(const char *v, size_t n, bool has_date, const char *service)
{
    char a[2048], scope[64];
    const char *sh, *sig;
    size_t k = 0;

    if (v == NULL || n >= sizeof(a) || !has_date)
        return false;
    memcpy(a, v, n);
    a[n] = '\0';
    snprintf(scope, sizeof(scope), "/%s/aws4_request,", service);
    if (strncmp(a, "AWS4-HMAC-SHA256 Credential=", 28) != 0 || strstr(a + 28, scope) == NULL)
        return false;
    sh = strstr(a, ", SignedHeaders=");
    sig = strstr(a, ", Signature=");
    if (sh == NULL || sig == NULL || strstr(sh, "host") == NULL || strstr(sh, "x-amz-date") == NULL)
        return false;
    for (sig += 12; sig[k] != '\0'; k++)
        if (!((sig[k] >= '0' && sig[k] <= '9') || (sig[k] >= 'a' && sig[k] <= 'f')))
            return false;
    return k == 64;
}

bool mock_bearer_ok(const struct mock_worker *w, const struct lmx_http_req *req)
{
    const char *key = w->opts->api_key;
    size_t n;
    const char *v = lmx_http_req_header(req, "authorization", &n);

    if (key == NULL)
        return true;
    return v != NULL && n > 7 && lmx_streq_ci(v, 7, "bearer ") &&
           lmx_ct_equal(v + 7, n - 7, key, strlen(key));
}

void mock_es_send(struct lmx_http_req *req,
                  const struct lmx_http_hdr *h,
                  size_t nh,
                  const struct lmx_buf *msgs)
{
    int err = lmx_http_res_begin(req, 200, h, nh, -1);

    for (size_t off = 0; err == 0 && off < msgs->len;) {
        const uint8_t *m = (const uint8_t *)msgs->data + off;
        size_t len = (size_t)m[0] << 24 | (size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3];

        len = LMX_MIN(len, msgs->len - off);
        err = lmx_http_res_queue(req, m, len);
        off += len;
    }
    lmx_http_res_end(req, err == 0);
}

int mock_es_message(struct lmx_buf *b,
                    bool exception,
                    const char *type,
                    const char *ctype,
                    const void *p,
                    size_t n)
{
    struct lmx_es_header h[3];

    h[0] = lmx_es_string(exception ? ":exception-type" : ":event-type", type);
    h[1] = lmx_es_string(":content-type", ctype);
    h[2] = lmx_es_string(":message-type", exception ? "exception" : "event");
    return lmx_es_encode(b, h, 3, p, n);
}
