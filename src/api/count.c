/*
 * api/count.c - token counting endpoints of the inbound dialects:
 * POST /v1/messages/count_tokens (Anthropic) and
 * POST /v1beta/models/{model}:countTokens (Gemini).
 *
 * When the model's first deployment speaks the client's own dialect
 * (anthropic/ for count_tokens, gemini/ for countTokens), the provider's
 * counting API answers: the adapter builds its usual request for the
 * deployment (URL and credential headers), the URL is pointed at the
 * counting endpoint, and the client's body goes up with only the model
 * rewritten. Otherwise, or when that call fails, llmux's estimate answers
 * (dialect/count.c documents its method and error). The answer says which:
 * `x-llmux-token-count: provider|estimate`.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/log.h"
#include "dialect/dialect.h"
#include "route/router.h"

#define COUNT_RESP_MAX (64u << 10)

struct count_call {
    struct lmx_api_worker *w;
    struct lmx_http_req *req; /* NULL once the client is gone */
    struct lmx_config *cfg;
    const struct lmx_dialect_ops *d;
    json_t *body;
    long status;
    struct lmx_buf resp;
    struct lmx_upreq up;
    struct lmx_xfer *xfer;
};

static void count_free(struct count_call *k)
{
    if (k->req != NULL) {
        k->req->on_abort = NULL;
        k->req->on_drain = NULL;
    }
    lmx_upreq_release(&k->up);
    lmx_buf_release(&k->resp);
    json_decref(k->body);
    lmx_api_cfg_put(k->w, k->cfg);
    lmx_free(k);
}

static bool is_gemini(const struct lmx_dialect_ops *d)
{
    return strcmp(d->name, "gemini") == 0;
}

/* llmux's estimate, in the dialect's shape. */
static void send_estimate(struct lmx_http_req *req, const struct lmx_dialect_ops *d,
                          const json_t *body)
{
    json_t *in = json_object_get(body, "generateContentRequest"); /* Gemini's other form */
    int64_t n = lmx_dialect_estimate_tokens(d, json_is_object(in) ? in : body);
    struct lmx_hdrset hs;

    lmx__hdrset_init(&hs);
    lmx__hdrset_add(&hs, "x-llmux-token-count", "estimate");
    lmx__send_json(req, &hs, 200,
                   is_gemini(d) ? json_pack("{s:I}", "totalTokens", (json_int_t)n)
                                : json_pack("{s:I}", "input_tokens", (json_int_t)n));
}

static void on_count_abort(struct lmx_http_req *req, void *ud)
{
    struct count_call *k = ud;

    LMX_UNUSED(req);
    k->req = NULL;
    if (k->xfer != NULL) {
        lmx_xfer_cancel(k->xfer); /* on_done follows and frees */
        return;
    }
    count_free(k);
}

static int on_count_headers(struct lmx_xfer *x, long status, const char *hdrs, size_t len,
                            void *ud)
{
    struct count_call *k = ud;

    LMX_UNUSED(x);
    LMX_UNUSED(hdrs);
    LMX_UNUSED(len);
    k->status = status;
    return 0;
}

static int on_count_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct count_call *k = ud;

    LMX_UNUSED(x);
    return lmx_buf_append(&k->resp, p, n) < 0 ? LMX_EUPSTREAM : 0;
}

static void on_count_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct count_call *k = ud;
    const char *body = k->resp.data != NULL ? k->resp.data : "";

    LMX_UNUSED(x);
    k->xfer = NULL;
    if (k->req == NULL) {
        count_free(k);
        return;
    }
    if (err == 0 && k->status == 200 && lmx_jscan_check(body, k->resp.len) == 0) {
        struct lmx_hdrset hs;

        lmx__hdrset_init(&hs);
        lmx__hdrset_add(&hs, "x-llmux-token-count", "provider");
        lmx_http_res_send(k->req, 200, hs.h, hs.n, "application/json", body, k->resp.len);
    } else {
        if (err != 0)
            lmx_warn("token count: the provider's counting API failed (%s: %s); answering the "
                     "estimate",
                     lmx_strerror(err), msg != NULL ? msg : "");
        else
            lmx_warn("token count: the provider's counting API answered HTTP %ld; answering the "
                     "estimate",
                     k->status);
        send_estimate(k->req, k->d, k->body);
    }
    k->req = NULL;
    count_free(k);
}

static const struct lmx_xfer_cbs count_cbs = {
    .on_headers = on_count_headers,
    .on_data = on_count_data,
    .on_done = on_count_done,
};

/*
 * The deployment's own counting request in k->up: the adapter's URL with its
 * method replaced, its credential headers, the client's body. Returns 0, or
 * < 0 when this deployment cannot count (the estimate answers).
 */
static int build_count(struct count_call *k, const struct lmx_deployment *dep, const char *model)
{
    const struct lmx_provider_ops *ops = lmx_provider_for(dep);
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_pcall pc;
    json_t *probe;
    char *url;
    const char *method;
    size_t cut;
    int err;

    if (ops == NULL || ops->build == NULL || ops->token_prepare != NULL)
        return LMX_EBADREQ;
    if (strcmp(ops->name, is_gemini(k->d) ? "gemini" : "anthropic") != 0)
        return LMX_EBADREQ;
    /* the adapter's request for a one-token call: its URL and headers are what we need */
    probe = json_pack("{s:s,s:[{s:s,s:s}],s:i}", "model", model, "messages", "role", "user",
                      "content", "x", "max_tokens", 1);
    if (probe == NULL)
        return LMX_ENOMEM;
    memset(&pc, 0, sizeof(pc));
    pc.dep = dep;
    pc.ep = LMX_EP_CHAT;
    pc.req = probe;
    pc.model = model;
    pc.call_id = "count";
    pc.drop_params = true;
    err = ops->build(&pc, &k->up, &pe);
    if (ops->release != NULL)
        ops->release(&pc);
    json_decref(probe);
    if (err < 0 || k->up.url.data == NULL)
        return err < 0 ? err : LMX_EBADREQ;
    url = k->up.url.data;
    if (is_gemini(k->d)) {
        char *colon = strrchr(url, ':');

        if (colon == NULL)
            return LMX_EBADREQ;
        cut = (size_t)(colon - url);
        method = ":countTokens";
    } else {
        char *q = strstr(url, "/v1/messages");

        if (q == NULL)
            return LMX_EBADREQ;
        cut = (size_t)(q - url);
        method = "/v1/messages/count_tokens";
    }
    {
        char tail[2048];
        const char *qs = is_gemini(k->d) ? strchr(url + cut, '?') : NULL;

        /* keep a ?key= the adapter may have put in the URL, drop alt=sse */
        snprintf(tail, sizeof(tail), "%s%s", method,
                 qs != NULL && strstr(qs, "key=") != NULL ? qs : "");
        k->up.url.len = cut;
        err = lmx_buf_puts(&k->up.url, tail);
    }
    lmx_buf_reset(&k->up.body);
    if (err == 0 && is_gemini(k->d)) {
        err = lmx_buf_append(&k->up.body, k->req->body.data, k->req->body.len);
    } else if (err == 0) {
        struct lmx_buf raw;

        lmx_buf_init(&raw, 1024);
        err = lmx_buf_json_str(&raw, model, strlen(model));
        if (err == 0)
            err = lmx_jscan_rewrite(k->req->body.data, k->req->body.len, NULL, 0, "model",
                                    raw.data, raw.len, NULL, 0, &k->up.body);
        lmx_buf_release(&raw);
    }
    return err;
}

/* The upstream model of a deployment, with a wildcard's '*' filled in. */
static int upstream_model(const struct lmx_deployment *dep, const struct lmx_route *r,
                          const char *name, char *out, size_t n)
{
    const char *star = strchr(dep->upstream_model, '*');
    int k;

    if (star == NULL)
        k = snprintf(out, n, "%s", dep->upstream_model);
    else if (r->wild_part != NULL)
        k = snprintf(out, n, "%.*s%.*s%s", (int)(star - dep->upstream_model), dep->upstream_model,
                     (int)r->wild_len, r->wild_part, star + 1);
    else
        k = snprintf(out, n, "%s", name);
    return k < 0 || (size_t)k >= n ? LMX_ETOOBIG : 0;
}

void lmx__count_tokens(struct lmx_api_worker *w, struct lmx_http_req *req,
                       const struct lmx_dialect_ops *d, const char *path_model)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    lmx_errbody_fn efn = d->error_body;
    struct lmx_route route;
    struct count_call *k = NULL;
    struct lmx_xfer_req xr;
    json_error_t jerr;
    json_t *body = NULL;
    const char *name;
    char model[512];

    if (lmx__auth_check_as(req, cfg, efn, is_gemini(d)) < 0)
        goto out;
    body = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
    if (!json_is_object(body)) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", NULL,
                           "request body must be a JSON object (%s)",
                           body == NULL ? jerr.text : "not an object");
        goto out;
    }
    name = path_model != NULL ? path_model : json_string_value(json_object_get(body, "model"));
    if (name == NULL) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", "model",
                           "model: Field required");
        goto out;
    }
    if (lmx_route_resolve(cfg, name, strlen(name), &route) < 0 || route.group->ndeps == 0) {
        lmx__send_error_as(req, NULL, efn, 400, "invalid_request_error", "model",
                           "Invalid model name passed in model=%s. Call `/v1/models` to view "
                           "available models for your key.",
                           name);
        goto out;
    }
    k = lmx_calloc(1, sizeof(*k));
    if (k == NULL)
        goto estimate;
    k->w = w;
    k->req = req;
    k->cfg = cfg;
    k->d = d;
    lmx_buf_init(&k->resp, COUNT_RESP_MAX);
    lmx_upreq_init(&k->up);
    if (upstream_model(route.group->deps[0], &route, name, model, sizeof(model)) < 0 ||
        build_count(k, route.group->deps[0], model) < 0)
        goto estimate;
    memset(&xr, 0, sizeof(xr));
    xr.method = "POST";
    xr.url = k->up.url.data;
    xr.headers = k->up.headers;
    xr.nheaders = k->up.nheaders;
    xr.body = k->up.body.data;
    xr.body_len = k->up.body.len;
    xr.connect_timeout = 10;
    xr.total_timeout = 30;
    k->body = body;
    body = NULL;
    req->on_abort = on_count_abort;
    req->ud = k;
    if (lmx_xfer_start(w->up, &xr, &count_cbs, k, &k->xfer) == 0)
        return; /* on_count_done answers */
    k->xfer = NULL;
    body = k->body;
    k->body = NULL;
    req->on_abort = NULL;
estimate:
    send_estimate(req, d, body);
out:
    if (k != NULL) {
        k->req = NULL;
        count_free(k); /* gives the config back */
    } else {
        lmx_api_cfg_put(w, cfg);
    }
    json_decref(body);
}
