/*
 * api/proxy.c - the OpenAI-compatible model endpoints: chat/completions,
 * completions, embeddings.
 *
 * The fast path of DESIGN.md §4: the client's body is parsed once (to read
 * `model` and `stream` and to validate it), then forwarded byte for byte with
 * only `model` rewritten and the proxy's own fields dropped. Non-stream
 * responses are buffered (bounded) so a failed attempt can be retried on
 * another deployment; streams are relayed chunk by chunk with backpressure,
 * and usage is read from them on the way. A failure before the first byte
 * reaches the client is retried; after it, the client gets an error event.
 */
#include "core/lmx.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/log.h"
#include "core/util.h"
#include "dialect/dialect.h"
#include "provider/params.h"
#include "provider/prices.h"
#include "provider/quirks.h"
#include "route/retry.h"
#include "route/router.h"
#include "route/settings.h"
#include "route/state.h"
#include "store/respstore.h"
#include "upstream/sse.h"

#define RESP_MAX (256u << 20)  /* a non-stream upstream response, buffered */
#define ERRBODY_MAX (64u << 10) /* an upstream error body read from a stream */
#define SSE_EVENT_MAX (8u << 20)
#define MAX_UP_HEADERS 8
#define MAX_PASS_HEADERS 16
#define PASS_STORE 8192
#define PRE_STEP_MAX (20u << 20) /* a token answer or a fetched resource (an image) */
#define PRE_STEPS_MAX 16         /* pre-steps (tokens, fetches) per attempt */

struct lmx_call {
    struct lmx_api_worker *w;
    struct lmx_http_req *req; /* NULL once the client is gone */
    struct lmx_config *cfg;
    enum lmx_endpoint ep;
    const char *route_name; /* for messages: "/chat/completions" */
    json_t *body;
    bool stream;

    const struct lmx_router_cfg *rc; /* NULL when the snapshot was not bound (tests) */
    struct lmx_route route;
    const struct lmx_deployment *dep;
    uint8_t tried[LMX_ROUTE_MAX_TRIED / 8];
    int attempts;       /* upstream calls made (all groups) */
    int retries;        /* retries made (all groups) */
    int group_retries;  /* retries made in the current group */
    int num_retries;    /* the request's or the config's num_retries */
    json_t *fb_list;    /* fallback groups (borrowed), once the first group has failed */
    size_t fb_next;
    int fallbacks;      /* fallback groups tried */
    json_t *fb_messages; /* messages of a {"model","messages"} fallback (borrowed) */
    bool mock_fallbacks, mock_ratelimit, mock_timeout;
    uint64_t est_tokens; /* prompt estimate for pre-call checks */
    double retry_after_hdr; /* the upstream's retry-after, seconds */
    uv_timer_t *wait;       /* backoff timer, created on first use */
    double req_timeout;    /* the request's `timeout` or x-litellm-timeout, 0 = none */
    double timeout;        /* per attempt, seconds */
    double stream_timeout; /* stall limit for streams, seconds */

    struct lmx_buf up_body;
    struct lmx_buf url;
    const char *up_headers[MAX_UP_HEADERS + 4 + MAX_PASS_HEADERS];
    size_t nup_headers;
    char hdr_store[4608];
    char *pass_store; /* x-pass-* headers, allocated when a request has some */
    struct lmx_xfer *xfer;

    /* a family with its own wire format: the adapter translates both ways */
    const struct lmx_provider_ops *ops;
    struct lmx_pcall pc;
    struct lmx_upreq *upreq; /* allocated on first use */
    bool translated;
    char pc_model[512];
    json_t *xbody;        /* the body the adapter translates (translated_body) */
    bool client_usage;    /* the client asked for stream_options.include_usage */

    long status;
    bool client_streaming; /* response headers sent to the client */
    struct lmx_buf resp;
    struct lmx_sse_reader sse;
    bool saw_done;
    char stream_err[600]; /* why the answer was refused, when it was */
    unsigned quirks;            /* the provider's stream quirks (provider/quirks.h) */
    struct lmx_buf fixbuf;      /* an event rewritten to undo a quirk */
    json_t *usage;

    uint64_t t0;
    uint64_t t_attempt;
    uint64_t ttft_ns; /* first stream event of the attempt, from its start */
    uint64_t upstream_ns; /* time spent waiting on upstreams, all attempts */
    char call_id[64];
    char model_name[256]; /* as the client sent it */

    /* a client of another dialect (Anthropic, Responses, Gemini): NULL for OpenAI clients */
    const struct lmx_dialect_ops *dialect;
    struct lmx_dcall dc;
    struct lmx_buf dout;    /* the dialect's output for one chunk or answer */
    char *canon;            /* the canonical request as text: the fast path's raw body */
    size_t canon_len;
    bool token_step;        /* the current transfer is a pre-step: a token, a resource */
    int pre_steps;          /* pre-steps made by this attempt */
    uint64_t t_step;        /* start of the current pre-step */
    bool native;            /* client and provider speak the same dialect: bytes pass through */
    bool native_err;        /* the provider's own error event reached the client */
    bool prev_remote;       /* Responses: previous_response_id is not ours: only native serves */
    char prev_id[128];
    json_t *native_body;    /* Responses: the client's body as parsed, for the native path */
    bool raw_relay;         /* /audio/speech: the upstream's bytes go back as they come */
    char up_ctype[128];     /* the upstream's Content-Type */
    const char *mp_model;   /* /audio/transcriptions: the model field's value in the client's body */
    size_t mp_model_len;
};

static void free_handle(uv_handle_t *h)
{
    lmx_free(h);
}

static void call_free(struct lmx_call *c)
{
    if (c->req != NULL) {
        c->req->on_abort = NULL;
        c->req->on_drain = NULL;
    }
    if (c->wait != NULL)
        uv_close((uv_handle_t *)c->wait, free_handle); /* its memory goes in the callback */
    if (c->translated && c->ops->release != NULL)
        c->ops->release(&c->pc);
    if (c->upreq != NULL) {
        lmx_upreq_release(c->upreq);
        lmx_free(c->upreq);
    }
    lmx_free(c->pass_store);
    json_decref(c->xbody);
    json_decref(c->body);
    json_decref(c->usage);
    lmx_buf_release(&c->up_body);
    lmx_buf_release(&c->url);
    lmx_buf_release(&c->resp);
    lmx_sse_reader_release(&c->sse);
    lmx_buf_release(&c->fixbuf);
    if (c->dialect != NULL && c->dialect->release != NULL)
        c->dialect->release(&c->dc);
    lmx_buf_release(&c->dout);
    lmx_free(c->canon);
    json_decref(c->native_body);
    lmx_api_cfg_put(c->w, c->cfg);
    lmx_free(c);
}

static double ms_since(uint64_t t)
{
    return (double)(lmx_now_ns() - t) / 1e6;
}

static int upstream_model(struct lmx_call *c, char *out, size_t n);

/* x-litellm-response-cost for a finished non-stream answer whose usage is known. */
static void cost_header(struct lmx_call *c, struct lmx_hdrset *hs)
{
    char model[512], text[64];
    double cost;

    if (c->usage == NULL || c->dep == NULL || upstream_model(c, model, sizeof(model)) < 0)
        return;
    if (lmx_prices_call_cost_model(c->dep, model, c->usage, &cost) < 0)
        return; /* no price known: no header, as LiteLLM drops a None cost */
    lmx_cost_format(cost, text, sizeof(text));
    lmx__hdrset_add(hs, "x-litellm-response-cost", "%s", text);
}

/*
 * The call's cost as a JSON number in out (include_cost_in_streaming_usage),
 * from the usage just read; false when no price is known.
 */
static bool stream_cost_text(struct lmx_call *c, char *out, size_t n)
{
    char model[512];
    double cost;

    if (!c->cfg->stream_cost || c->usage == NULL || c->dep == NULL ||
        upstream_model(c, model, sizeof(model)) < 0 ||
        lmx_prices_call_cost_model(c->dep, model, c->usage, &cost) < 0)
        return false;
    lmx_cost_format(cost, out, n);
    return true;
}

/* The x-litellm-* headers every answer of this call carries. */
static void call_headers(struct lmx_call *c, struct lmx_hdrset *hs)
{
    double total = ms_since(c->t0);
    double up = (double)c->upstream_ns / 1e6;

    lmx__hdrset_init(hs);
    lmx__hdrset_add(hs, "x-litellm-call-id", "%s", c->call_id);
    if (c->dep != NULL) {
        lmx__hdrset_add(hs, "x-litellm-model-id", "%s", c->dep->id);
        if (c->dep->api_base != NULL)
            lmx__hdrset_add(hs, "x-litellm-model-api-base", "%s", c->dep->api_base);
        if (c->dep->region_name != NULL)
            lmx__hdrset_add(hs, "x-litellm-model-region", "%s", c->dep->region_name);
    }
    if (c->route.group != NULL)
        lmx__hdrset_add(hs, "x-litellm-model-group", "%s", c->route.group->name);
    lmx__hdrset_add(hs, "x-litellm-version", "%s", LMX_VERSION);
    lmx__hdrset_add(hs, "x-litellm-response-duration-ms", "%.3f", total);
    lmx__hdrset_add(hs, "x-litellm-overhead-duration-ms", "%.3f", total > up ? total - up : 0.0);
    lmx__hdrset_add(hs, "x-litellm-attempted-retries", "%d", c->retries);
    lmx__hdrset_add(hs, "x-litellm-max-retries", "%d", c->num_retries);
    lmx__hdrset_add(hs, "x-litellm-attempted-fallbacks", "%d", c->fallbacks);
    if (c->rc != NULL)
        lmx__hdrset_add(hs, "x-litellm-max-fallbacks", "%d", c->rc->max_fallbacks);
    if (c->timeout > 0) {
        char t[32];

        /* Python's repr of the float, as LiteLLM writes it: "1.0", "0.001" */
        lmx_cost_format(c->stream ? c->stream_timeout : c->timeout, t, sizeof(t));
        lmx__hdrset_add(hs, "x-litellm-timeout", "%s", t);
    }
}

/* How an error body is shaped for this call's client. */
static lmx_errbody_fn errfn(const struct lmx_call *c)
{
    return c->dialect != NULL ? c->dialect->error_body : NULL;
}

static void call_fail(struct lmx_call *c, int status, const char *type, const char *fmt, ...)
    LMX_PRINTF(4, 5);

/* Answers the client with an error and frees the call. */
static void call_fail(struct lmx_call *c, int status, const char *type, const char *fmt, ...)
{
    struct lmx_hdrset hs;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->req != NULL) {
        call_headers(c, &hs);
        lmx__send_error_as(c->req, &hs, errfn(c), status, type, NULL, "%s", msg);
        c->req = NULL;
    }
    call_free(c);
}

/* ------------------------------------------------------------------------ */
/* Building the upstream request */

/* Body members the proxy consumes and never sends upstream (COMPAT.md §3.4). */
static bool is_proxy_field(const char *k)
{
    return lmx_param_internal(k);
}

/* litellm_params keys that are routing, credentials or prices, never call defaults. */
static bool is_not_default(const char *k)
{
    return lmx_param_not_default(k);
}

/* The upstream model name: the deployment's, with '*' replaced by what the wildcard matched. */
static int upstream_model(struct lmx_call *c, char *out, size_t n)
{
    const char *um = c->dep->upstream_model;
    const char *star = strchr(um, '*');
    int k;

    if (star == NULL) {
        k = snprintf(out, n, "%s", um);
    } else if (c->route.wild_part != NULL) {
        k = snprintf(out, n, "%.*s%.*s%s", (int)(star - um), um, (int)c->route.wild_len,
                     c->route.wild_part, star + 1);
    } else {
        /* a wildcard deployment reached by its id or an alias: pass the client's name */
        k = snprintf(out, n, "%s", c->model_name);
    }
    return k < 0 || (size_t)k >= n ? LMX_ETOOBIG : 0;
}

/* "x-pass-<name>: v" from the client goes upstream as "<name>: v" (COMPAT.md §5). */
static int add_pass_headers(struct lmx_call *c)
{
    size_t used = 0;

    for (size_t i = 0; i < c->req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &c->req->hdrs[i];
        size_t room = PASS_STORE - used;
        int k;

        if (h->name_len <= 7 || memcmp(h->name, "x-pass-", 7) != 0)
            continue;
        if (c->pass_store == NULL && (c->pass_store = lmx_malloc(PASS_STORE)) == NULL)
            return LMX_ENOMEM;
        if (c->nup_headers == LMX_ARRAY_SIZE(c->up_headers))
            return LMX_EHDRTOOBIG;
        k = snprintf(c->pass_store + used, room, "%.*s: %.*s", (int)(h->name_len - 7),
                     h->name + 7, (int)h->value_len, h->value);
        if (k < 0 || (size_t)k >= room)
            return LMX_EHDRTOOBIG;
        c->up_headers[c->nup_headers++] = c->pass_store + used;
        used += (size_t)k + 1;
    }
    return 0;
}

static bool voyage_rerank(const struct lmx_call *c)
{
    return c->ep == LMX_EP_RERANK && strcmp(c->dep->provider, "voyage") == 0;
}

/*
 * The value of the text field `name` in a multipart/form-data body whose
 * Content-Type is `ctype`, or NULL.
 */
static const char *multipart_field(const char *ctype, size_t ctlen, const char *body, size_t len,
                                   const char *name, size_t *vlen)
{
    char delim[96], want[80];
    const char *b = memmem(ctype, ctlen, "boundary=", 9), *p, *end = body + len;
    size_t blen = 0, dl, wl;

    if (b == NULL)
        return NULL;
    b += 9;
    if (b < ctype + ctlen && *b == '"')
        b++;
    while (b + blen < ctype + ctlen && b[blen] != '"' && b[blen] != ';' && b[blen] != ' ')
        blen++;
    if (blen == 0 || blen > 70)
        return NULL;
    dl = (size_t)snprintf(delim, sizeof(delim), "--%.*s", (int)blen, b);
    wl = (size_t)snprintf(want, sizeof(want), "name=\"%s\"", name);
    for (p = memmem(body, len, delim, dl); p != NULL;
         p = memmem(p + dl, (size_t)(end - p) - dl, delim, dl)) {
        const char *h = p + dl, *hend = memmem(h, (size_t)(end - h), "\r\n\r\n", 4), *v, *vend;

        if (hend == NULL)
            return NULL;
        if (memmem(h, (size_t)(hend - h), want, wl) == NULL)
            continue;
        v = hend + 4;
        for (vend = v; vend + 2 + dl <= end; vend++)
            if (vend[0] == '\r' && vend[1] == '\n' && memcmp(vend + 2, delim, dl) == 0)
                break;
        if (vend + 2 + dl > end)
            return NULL;
        *vlen = (size_t)(vend - v);
        return v;
    }
    return NULL;
}

/* /audio/transcriptions: the client's multipart body with the model field rewritten. */
static int build_multipart(struct lmx_call *c, const struct lmx_provider_ops *ops,
                           const char *model)
{
    const char *ct, *body = c->req->body.data;
    size_t ctlen, pre = (size_t)(c->mp_model - body);
    int n, err;

    err = lmx_buf_append(&c->up_body, body, pre);
    if (err == 0)
        err = lmx_buf_puts(&c->up_body, model);
    if (err == 0)
        err = lmx_buf_append(&c->up_body, c->mp_model + c->mp_model_len,
                             c->req->body.len - pre - c->mp_model_len);
    if (err < 0)
        return err;
    ct = lmx_http_req_header(c->req, "content-type", &ctlen);
    n = snprintf(c->hdr_store, 1024, "Content-Type: %.*s", (int)ctlen, ct);
    if (n < 0 || n >= 1024)
        return LMX_EHDRTOOBIG;
    c->nup_headers = 0;
    c->up_headers[c->nup_headers++] = c->hdr_store;
    n = ops->auth_headers(c->dep, c->up_headers + c->nup_headers, MAX_UP_HEADERS,
                          c->hdr_store + 1024, sizeof(c->hdr_store) - 1024);
    if (n < 0)
        return n;
    c->nup_headers += (size_t)n;
    return add_pass_headers(c);
}

/* Voyage answers rerank in its own list shape: Cohere's shape for the client. */
static json_t *voyage_rerank_answer(const struct lmx_call *c, const json_t *v)
{
    json_t *results = json_array(), *d, *r;
    size_t i;

    if (results == NULL)
        return NULL;
    json_array_foreach(json_object_get(v, "data"), i, d) {
        r = json_pack("{s:O,s:O}", "index", json_object_get(d, "index"), "relevance_score",
                      json_object_get(d, "relevance_score"));
        if (r == NULL)
            break;
        if (json_is_string(json_object_get(d, "document")))
            json_object_set_new(r, "document",
                                json_pack("{s:O}", "text", json_object_get(d, "document")));
        json_array_append_new(results, r);
    }
    return json_pack("{s:s,s:o,s:{s:{s:i}},s:O*}", "id", c->call_id, "results", results, "meta",
                     "billed_units", "search_units", 1, "usage", json_object_get(v, "usage"));
}

static int build_request(struct lmx_call *c, const struct lmx_provider_ops *ops)
{
    const char *drop[96];
    size_t ndrop = 0;
    char model[512];
    struct lmx_buf raw, extra;
    const char *k;
    json_t *v, *adp;
    int err, n;

    lmx_buf_reset(&c->up_body);
    lmx_buf_reset(&c->url);
    err = upstream_model(c, model, sizeof(model));
    if (err < 0)
        return err;
    err = ops->build_url(c->dep, c->ep, model, &c->url);
    if (err < 0)
        return err;
    if (c->ep == LMX_EP_TRANSCRIPTIONS)
        return build_multipart(c, ops, model);

    if (c->native) {
        /* the client's own Responses body: its metadata is the API's, not LiteLLM's */
        json_object_foreach(c->native_body, k, v) {
            if (ndrop < LMX_ARRAY_SIZE(drop) && is_proxy_field(k) && strcmp(k, "metadata") != 0)
                drop[ndrop++] = k;
        }
    } else {
        json_object_foreach(c->body, k, v) {
            if (ndrop < LMX_ARRAY_SIZE(drop) && is_proxy_field(k))
                drop[ndrop++] = k;
        }
    }
    if (c->fb_messages != NULL && ndrop < LMX_ARRAY_SIZE(drop))
        drop[ndrop++] = "messages"; /* replaced below by the fallback's own */
    if (voyage_rerank(c) && ndrop < LMX_ARRAY_SIZE(drop))
        drop[ndrop++] = "top_n"; /* Voyage calls it top_k */
    /* additional_drop_params on the deployment: those go too */
    adp = json_object_get(c->dep->litellm_params, "additional_drop_params");
    for (size_t i = 0; json_is_array(adp) && i < json_array_size(adp); i++) {
        const char *s = json_string_value(json_array_get(adp, i));

        if (s != NULL && ndrop < LMX_ARRAY_SIZE(drop))
            drop[ndrop++] = s;
    }
    lmx_buf_init(&raw, 1024);
    lmx_buf_init(&extra, 1u << 20);
    err = lmx_buf_json_str(&raw, model, strlen(model));
    /* other litellm_params are defaults for the call, unless the client set them */
    if (err == 0 && voyage_rerank(c) && json_is_integer(json_object_get(c->body, "top_n")))
        err = lmx_buf_printf(&extra, ",\"top_k\":%" JSON_INTEGER_FORMAT,
                             json_integer_value(json_object_get(c->body, "top_n")));
    if (err == 0 && c->fb_messages != NULL) {
        char *dump = json_dumps(c->fb_messages, JSON_COMPACT);

        err = dump == NULL ? LMX_ENOMEM : lmx_buf_printf(&extra, ",\"messages\":%s", dump);
        lmx_free(dump);
    }
    json_object_foreach(c->dep->litellm_params, k, v) {
        char *dump;

        if (err < 0)
            break;
        if (is_not_default(k) || json_object_get(c->body, k) != NULL || json_is_null(v))
            continue;
        dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (dump == NULL) {
            err = LMX_ENOMEM;
            break;
        }
        err = lmx_buf_puts(&extra, ",");
        if (err == 0)
            err = lmx_buf_json_str(&extra, k, strlen(k));
        if (err == 0)
            err = lmx_buf_printf(&extra, ":%s", dump);
        lmx_free(dump);
    }
    if (err == 0)
        err = lmx_jscan_rewrite(c->canon != NULL && !c->native ? c->canon : c->req->body.data,
                                c->canon != NULL && !c->native ? c->canon_len : c->req->body.len,
                                drop, ndrop, "model",
                                raw.data, raw.len, extra.data, extra.len, &c->up_body);
    lmx_buf_release(&raw);
    lmx_buf_release(&extra);
    if (err < 0)
        return err;
    /* the provider's request rules (Mistral: tool-call ids, tool_choice, seed) */
    if ((c->dep->quirks & LMX_Q_REQUEST_FIXED) &&
        (c->ep == LMX_EP_CHAT || c->ep == LMX_EP_COMPLETIONS)) {
        err = lmx_quirk_fix_request(c->dep->quirks, &c->up_body);
        if (err < 0)
            return err;
    }

    c->nup_headers = 0;
    c->up_headers[c->nup_headers++] = "Content-Type: application/json";
    c->up_headers[c->nup_headers++] =
        c->stream ? "Accept: text/event-stream" : "Accept: application/json";
    n = ops->auth_headers(c->dep, c->up_headers + c->nup_headers, MAX_UP_HEADERS, c->hdr_store,
                          sizeof(c->hdr_store));
    if (n < 0)
        return n;
    c->nup_headers += (size_t)n;
    return add_pass_headers(c);
}

/* ------------------------------------------------------------------------ */
/* Upstream callbacks */

static void start_attempt(struct lmx_call *c);
static void attempt_failed(struct lmx_call *c, int err, const char *msg);
static void mock_answer(struct lmx_call *c, const char *text);

static int start_client_stream(struct lmx_call *c)
{
    struct lmx_hdrset hs;

    call_headers(c, &hs);
    lmx__hdrset_add(&hs, "Content-Type", "%s",
                    c->dc.path_array   ? "application/json"
                    : c->dialect != NULL ? c->dialect->stream_content_type
                                         : "text/event-stream");
    lmx__hdrset_add(&hs, "Cache-Control", "%s", "no-cache");
    if (lmx_http_res_begin(c->req, 200, hs.h, hs.n, -1) < 0)
        return LMX_ECLIENT;
    c->client_streaming = true;
    return 0;
}

/* An SSE event ("event: <ev>" when named, then its data) queued to the client as it came. */
static int queue_event(struct lmx_call *c, const char *ev, size_t evlen, const char *data,
                       size_t len)
{
    int err = 0;

    if (evlen > 0) {
        err = lmx_http_res_queue(c->req, "event: ", 7);
        if (err == 0)
            err = lmx_http_res_queue(c->req, ev, evlen);
        if (err == 0)
            err = lmx_http_res_queue(c->req, "\n", 1);
    }
    if (err == 0)
        err = lmx_http_res_queue(c->req, "data: ", 6);
    if (err == 0)
        err = lmx_http_res_queue(c->req, data, len);
    if (err == 0)
        err = lmx_http_res_queue(c->req, "\n\n", 2);
    return err;
}

/* One canonical chunk, in the client's dialect, queued to the client. */
static int dialect_chunk(struct lmx_call *c, const json_t *chunk)
{
    int err;

    lmx_buf_reset(&c->dout);
    err = c->dialect->stream_chunk(&c->dc, chunk, &c->dout);
    if (err == 0 && c->dout.len > 0)
        err = lmx_http_res_queue(c->req, c->dout.data, c->dout.len);
    return err;
}

/* The canonical stream ended cleanly: the dialect's closing events. */
static int dialect_end(struct lmx_call *c)
{
    int err;

    if (!c->client_streaming) {
        c->ttft_ns = lmx_now_ns() - c->t_attempt;
        err = start_client_stream(c);
        if (err < 0)
            return err;
    }
    lmx_buf_reset(&c->dout);
    err = c->dialect->stream_end(&c->dc, &c->dout);
    if (err == 0 && c->dout.len > 0)
        err = lmx_http_res_queue(c->req, c->dout.data, c->dout.len);
    return err;
}

/*
 * A canonical non-stream answer, converted for the client and sent. Returns
 * 0 once answered, or LMX_EUPSTREAM with stream_err set.
 */
static int dialect_answer(struct lmx_call *c, const json_t *resp, int status)
{
    struct lmx_hdrset hs;
    int err;

    lmx_buf_reset(&c->dout);
    err = c->dialect->response(&c->dc, resp, &c->dout);
    if (err < 0) {
        snprintf(c->stream_err, sizeof(c->stream_err),
                 "cannot express the answer of provider '%s' in the %s format: %s",
                 c->dep != NULL ? c->dep->provider : "mock", c->dialect->name, lmx_strerror(err));
        return LMX_EUPSTREAM;
    }
    call_headers(c, &hs);
    cost_header(c, &hs);
    lmx_http_res_send(c->req, status, hs.h, hs.n, "application/json", c->dout.data, c->dout.len);
    c->req = NULL;
    return 0;
}

/*
 * One upstream SSE event: checked, its usage read, and queued to the client
 * re-framed. The client's response starts with the first good event, so a
 * stream that fails before it is retried without the client seeing anything.
 */
static int stream_event(const char *ev, size_t evlen, const char *data, size_t len, void *ud)
{
    struct lmx_call *c = ud;
    struct lmx_jspan s;
    int err = 0;
    bool done = len == 6 && memcmp(data, "[DONE]", 6) == 0;

    /* a cut or garbled event must not reach the client as if it were data */
    if (!done && lmx_jscan_check(data, len) < 0) {
        snprintf(c->stream_err, sizeof(c->stream_err),
                 "upstream sent a malformed stream event: %.*s", (int)LMX_MIN(len, 120), data);
        return LMX_EUPSTREAM;
    }
    if (!c->client_streaming) {
        c->ttft_ns = lmx_now_ns() - c->t_attempt;
        err = start_client_stream(c);
        if (err < 0)
            return err;
    }
    if (done) {
        c->saw_done = true;
        return c->dialect != NULL ? 0 : lmx_http_res_queue(c->req, "data: [DONE]\n\n", 14);
    }
    if (c->quirks & LMX_Q_FIXED) {
        /* e.g. Moonshot's usage inside choices[0], Qwen's empty tool-call ids */
        int r = lmx_quirk_fix_event(c->quirks, data, len, &c->fixbuf);

        if (r < 0)
            return r;
        if (r > 0) {
            data = c->fixbuf.data;
            len = c->fixbuf.len;
        }
    }
    /* most chunks carry no usage: only parse the ones that do */
    if (memmem(data, len, "\"usage\"", 7) != NULL &&
        lmx_jscan_find(data, len, "usage", &s) == 0 && data[s.value_start] == '{') {
        json_t *u = json_loadb(data + s.value_start, s.value_end - s.value_start, 0, NULL);

        if (u != NULL) {
            char cost[64];

            json_decref(c->usage);
            c->usage = u;
            if (c->dialect == NULL && json_object_get(u, "cost") == NULL &&
                stream_cost_text(c, cost, sizeof(cost))) {
                /* LiteLLM's include_cost_in_streaming_usage: usage.cost, bytes otherwise as sent */
                struct lmx_buf b;
                size_t close = s.value_end - 1; /* the usage object's '}' */
                bool empty = json_object_size(u) == 0;

                lmx_buf_init(&b, len + 96);
                err = lmx_buf_append(&b, data, close);
                if (err == 0)
                    err = lmx_buf_printf(&b, "%s\"cost\":%s", empty ? "" : ",", cost);
                if (err == 0)
                    err = lmx_buf_append(&b, data + close, len - close);
                if (err == 0) {
                    err = queue_event(c, ev, evlen, b.data, b.len);
                    lmx_buf_release(&b);
                    return err;
                }
                lmx_buf_release(&b);
                return err;
            }
        }
    }
    if (c->dialect != NULL) {
        json_t *chunk = json_loadb(data, len, 0, NULL);

        if (chunk == NULL)
            return LMX_ENOMEM; /* lmx_jscan_check passed: only memory can fail */
        err = dialect_chunk(c, chunk);
        json_decref(chunk);
        return err;
    }
    return err == 0 ? queue_event(c, ev, evlen, data, len) : err;
}

/* One OpenAI chunk decoded by an adapter from the provider's stream: queued to the client. */
static int translated_chunk(const json_t *chunk, void *ud)
{
    struct lmx_call *c = ud;
    json_t *u = json_object_get(chunk, "usage");
    json_t *choices = json_object_get(chunk, "choices");
    char *text;
    int err = 0;

    if (c->dialect != NULL) {
        /* every chunk goes to the dialect, the usage one too: it reports usage itself */
        if (!c->client_streaming) {
            c->ttft_ns = lmx_now_ns() - c->t_attempt;
            err = start_client_stream(c);
            if (err < 0)
                return err;
        }
        if (json_is_object(u)) {
            json_decref(c->usage);
            c->usage = json_incref(u);
        }
        return dialect_chunk(c, chunk);
    }
    if (json_is_object(u) && !c->client_usage && json_array_size(choices) == 0) {
        /* asked for by the proxy, not the client: keep it, do not send it */
        json_decref(c->usage);
        c->usage = json_incref(u);
        return 0;
    }
    if (!c->client_streaming) {
        c->ttft_ns = lmx_now_ns() - c->t_attempt;
        err = start_client_stream(c);
        if (err < 0)
            return err;
    }
    if (json_is_object(u)) {
        char cost[64];

        json_decref(c->usage);
        c->usage = json_incref(u);
        if (json_object_get(u, "cost") == NULL && stream_cost_text(c, cost, sizeof(cost))) {
            /* usage.cost (include_cost_in_streaming_usage); the adapter's chunk is borrowed */
            json_t *copy = json_copy((json_t *)chunk), *uc = json_copy(u);

            if (copy == NULL || uc == NULL ||
                json_object_set_new(uc, "cost", json_loads(cost, JSON_DECODE_ANY, NULL)) < 0) {
                json_decref(copy);
                json_decref(uc);
                return LMX_ENOMEM;
            }
            if (json_object_set_new(copy, "usage", uc) < 0) { /* took uc either way */
                json_decref(copy);
                return LMX_ENOMEM;
            }
            text = json_dumps(copy, JSON_COMPACT);
            json_decref(copy);
            goto queue;
        }
    }
    text = json_dumps(chunk, JSON_COMPACT);
queue:
    if (text == NULL)
        return LMX_ENOMEM;
    err = lmx_http_res_queue(c->req, "data: ", 6);
    if (err == 0)
        err = lmx_http_res_queue(c->req, text, strlen(text));
    if (err == 0)
        err = lmx_http_res_queue(c->req, "\n\n", 2);
    lmx_free(text);
    return err;
}

/* An adapter's error, kept as an OpenAI error body so the failure path reads it like any. */
static void keep_perr(struct lmx_call *c, const struct lmx_perr *pe)
{
    c->status = pe->status > 0 ? pe->status : 500;
    lmx_buf_reset(&c->resp);
    lmx_buf_puts(&c->resp, "{\"error\":{\"message\":");
    lmx_buf_json_str(&c->resp, pe->message, strlen(pe->message));
    lmx_buf_puts(&c->resp, ",\"type\":");
    if (pe->type[0] != '\0')
        lmx_buf_json_str(&c->resp, pe->type, strlen(pe->type));
    else
        lmx_buf_puts(&c->resp, "null");
    lmx_buf_puts(&c->resp, ",\"param\":");
    if (pe->param[0] != '\0')
        lmx_buf_json_str(&c->resp, pe->param, strlen(pe->param));
    else
        lmx_buf_puts(&c->resp, "null");
    lmx_buf_puts(&c->resp, "}}");
    snprintf(c->stream_err, sizeof(c->stream_err), "%s", pe->message);
}

static void on_client_drain(struct lmx_http_req *req, void *ud)
{
    struct lmx_call *c = ud;

    LMX_UNUSED(req);
    if (c->xfer != NULL)
        lmx_xfer_resume(c->xfer);
}

static void on_client_abort(struct lmx_http_req *req, void *ud)
{
    struct lmx_call *c = ud;
    struct lmx_api_stats *st = &c->w->stats;

    LMX_UNUSED(req);
    c->req = NULL;
    lmx_api_count(&st->client_aborts);
    lmx_debug("call %s: client went away; cancelling the upstream call", c->call_id);
    if (c->xfer != NULL) {
        lmx_xfer_cancel(c->xfer); /* stop paying for tokens nobody reads */
        c->xfer = NULL;
        if (c->dep != NULL && c->dep->state != NULL)
            lmx_dstate_end(c->dep->state, lmx_wall_ms(), true, LMX_EC_NONE, 0, 0);
    }
    call_free(c);
}

/* The upstream's retry-after (delta-seconds form), or 0. */
static double retry_after_of(const char *hdrs, size_t len)
{
    static const char name[] = "\nretry-after:";
    const char *end = hdrs + len;

    for (const char *p = hdrs; p + sizeof(name) - 1 < end; p++) {
        double v;
        char tmp[32];
        size_t k = 0;

        if (*p != '\n' || strncasecmp(p, name, sizeof(name) - 1) != 0)
            continue;
        p += sizeof(name) - 1;
        while (p < end && *p == ' ')
            p++;
        while (p < end && k < sizeof(tmp) - 1 && *p != '\r' && *p != '\n')
            tmp[k++] = *p++;
        tmp[k] = '\0';
        return lmx_parse_double(tmp, &v) == 0 && v > 0 ? v : 0;
    }
    return 0;
}

/* The value of header `name` (lower case) in the upstream's raw header block, or NULL. */
static const char *header_value(const char *hdrs, size_t len, const char *name, size_t *n)
{
    size_t nl = strlen(name);
    const char *end = hdrs + len;

    for (const char *p = hdrs; p + nl + 1 < end; p++) {
        const char *v;

        if ((p != hdrs && p[-1] != '\n') || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
            continue;
        v = p + nl + 1;
        while (v < end && *v == ' ')
            v++;
        *n = 0;
        while (v + *n < end && v[*n] != '\r' && v[*n] != '\n')
            (*n)++;
        return v;
    }
    return NULL;
}

static int on_up_headers(struct lmx_xfer *x, long status, const char *hdrs, size_t len, void *ud)
{
    struct lmx_call *c = ud;

    LMX_UNUSED(x);
    c->status = status;
    lmx_buf_reset(&c->resp);
    c->retry_after_hdr = status >= 400 ? retry_after_of(hdrs, len) : 0;
    c->up_ctype[0] = '\0';
    if (c->raw_relay) {
        size_t n;
        const char *v = header_value(hdrs, len, "content-type", &n);

        if (v != NULL)
            snprintf(c->up_ctype, sizeof(c->up_ctype), "%.*s", (int)n, v);
    }
    return 0;
}

/* Audio from /audio/speech: relayed as it comes, with the upstream's Content-Type. */
static int relay_raw(struct lmx_call *c, const char *p, size_t n)
{
    if (!c->client_streaming) {
        struct lmx_hdrset hs;

        call_headers(c, &hs);
        lmx__hdrset_add(&hs, "Content-Type", "%s",
                        c->up_ctype[0] ? c->up_ctype : "application/octet-stream");
        if (lmx_http_res_begin(c->req, (int)c->status, hs.h, hs.n, -1) < 0)
            return LMX_ECLIENT;
        c->client_streaming = true;
        c->ttft_ns = lmx_now_ns() - c->t_attempt;
    }
    return lmx_http_res_queue(c->req, p, n);
}

static int native_event(const char *ev, size_t evlen, const char *data, size_t len, void *ud);

static int on_up_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct lmx_call *c = ud;
    int err;

    LMX_UNUSED(x);
    if (c->req == NULL)
        return LMX_ECLIENT;
    if (c->raw_relay && c->status >= 200 && c->status < 300) {
        if (c->client_streaming && lmx_http_res_room(c->req) == 0)
            return LMX_AGAIN;
        err = relay_raw(c, p, n);
        lmx_http_res_flush(c->req);
        return err;
    }
    if (!c->stream || c->status < 200 || c->status >= 300) {
        err = lmx_buf_append(&c->resp, p, n);
        return err == LMX_ETOOBIG ? LMX_EUPSTREAM : err;
    }
    /* backpressure: take all of a chunk or none of it */
    if (c->client_streaming && lmx_http_res_room(c->req) == 0)
        return LMX_AGAIN;
    if (c->native) {
        err = lmx_sse_reader_feed(&c->sse, p, n, native_event, c);
        if (c->client_streaming)
            lmx_http_res_flush(c->req);
        return err;
    }
    if (c->translated) {
        struct lmx_perr pe = {0, "", "", ""};

        err = c->ops->stream_feed(&c->pc, p, n, translated_chunk, c, &pe);
        if (c->client_streaming)
            lmx_http_res_flush(c->req);
        if (err < 0 && pe.message[0] != '\0') {
            keep_perr(c, &pe);
            return LMX_EUPSTREAM;
        }
        return err;
    }
    err = lmx_sse_reader_feed(&c->sse, p, n, stream_event, c);
    if (c->client_streaming)
        lmx_http_res_flush(c->req);
    if (err == LMX_ETOOBIG)
        snprintf(c->stream_err, sizeof(c->stream_err),
                 "upstream sent a stream event larger than %u bytes", SSE_EVENT_MAX);
    return err;
}

/* A JSON error body from the upstream, turned into our envelope with its status. */
static void relay_upstream_error(struct lmx_call *c)
{
    json_t *root = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
    json_t *e = json_object_get(root, "error");
    const char *msg = NULL, *type = NULL, *param = NULL;
    struct lmx_hdrset hs;
    int status = (int)c->status;

    if (json_is_object(e)) {
        msg = json_string_value(json_object_get(e, "message"));
        type = json_string_value(json_object_get(e, "type"));
        param = json_string_value(json_object_get(e, "param"));
    } else if (json_is_string(e)) {
        msg = json_string_value(e);
    } else if (json_is_string(json_object_get(root, "message"))) {
        msg = json_string_value(json_object_get(root, "message"));
    }
    if (type == NULL)
        type = status == 429 ? "rate_limit_error"
               : status == 401 ? "auth_error"
               : status >= 500 ? "internal_server_error"
                               : "invalid_request_error";
    call_headers(c, &hs);
    if (status == 429 && c->retry_after_hdr > 0)
        lmx__hdrset_add(&hs, "retry-after", "%.0f", c->retry_after_hdr);
    if (msg != NULL) {
        lmx__send_error_as(c->req, &hs, errfn(c), status, type, param, "%s", msg);
    } else {
        lmx__send_error_as(c->req, &hs, errfn(c), status, type, param,
                        "upstream '%s' returned HTTP %d: %.*s", c->dep->provider, status,
                        (int)LMX_MIN(c->resp.len, 512), c->resp.data ? c->resp.data : "");
    }
    c->req = NULL;
    json_decref(root);
}

/* Is the buffered answer one JSON object? When not, says why in stream_err. */
static bool json_answer(struct lmx_call *c, const char *body)
{
    if (lmx_jscan_check(body, c->resp.len) == 0)
        return true;
    snprintf(c->stream_err, sizeof(c->stream_err),
             "upstream returned a body that is not a JSON object (HTTP %ld): %.80s", c->status,
             body);
    return false;
}

/*
 * A complete 2xx answer: checked to be one JSON object (an SDK cannot use
 * anything else; a structural check costs far less than a parse), usage read,
 * bytes relayed as they came. Returns 0 once answered, or LMX_EUPSTREAM with
 * stream_err set when the body is not a JSON object.
 */
static int finish_ok(struct lmx_call *c)
{
    struct lmx_hdrset hs;
    struct lmx_jspan s;
    const char *body = c->resp.data ? c->resp.data : "";

    if (!json_answer(c, body))
        return LMX_EUPSTREAM;
    if (voyage_rerank(c)) {
        json_t *root = json_loadb(body, c->resp.len, 0, NULL);
        json_t *out = voyage_rerank_answer(c, root);

        json_decref(root);
        c->usage = json_incref(json_object_get(out, "usage"));
        call_headers(c, &hs);
        lmx__send_json(c->req, &hs, 200, out);
        c->req = NULL;
        return 0;
    }
    if (c->dialect != NULL) {
        json_t *root = json_loadb(body, c->resp.len, 0, NULL);
        int err;

        if (root == NULL)
            return LMX_ENOMEM;
        c->usage = json_incref(json_object_get(root, "usage"));
        err = dialect_answer(c, root, (int)c->status);
        json_decref(root);
        return err;
    }
    if (lmx_jscan_find(body, c->resp.len, "usage", &s) == 0 && body[s.value_start] == '{')
        c->usage = json_loadb(body + s.value_start, s.value_end - s.value_start, 0, NULL);
    call_headers(c, &hs);
    cost_header(c, &hs);
    lmx_http_res_send(c->req, (int)c->status, hs.h, hs.n, "application/json", body,
                      c->resp.len);
    c->req = NULL;
    return 0;
}

/* Mid-stream failure: one error event in the client's dialect, then close. */
static void stream_error(struct lmx_call *c, int err, const char *msg)
{
    struct lmx_buf b;
    int status = lmx_err_status(err);
    const char *type = lmx_err_type(err);
    json_t *eb = NULL;

    if (c->status >= 400) {
        /* the provider said why (an error event, kept by keep_perr): say it on */
        eb = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
        status = (int)c->status;
        if (json_is_string(json_object_get(json_object_get(eb, "error"), "type")))
            type = json_string_value(json_object_get(json_object_get(eb, "error"), "type"));
    }
    lmx_buf_init(&b, 8192);
    if (c->raw_relay || c->native_err) {
        /* audio cannot carry an error, and a relayed error event already told the client */
        json_decref(eb);
        lmx_buf_release(&b);
        if (c->raw_relay)
            lmx_http_res_abort(c->req);
        else
            lmx_http_res_end(c->req, true);
        c->req = NULL;
        return;
    }
    if (c->dialect != NULL && c->dialect->stream_error != NULL) {
        c->dialect->stream_error(&c->dc, status, type, msg, &b);
        if (b.len > 0)
            lmx_http_res_write(c->req, b.data, b.len);
    } else if (lmx_buf_puts(&b, "data: {\"error\":{\"message\":") == 0 &&
        lmx_buf_json_str(&b, msg, strlen(msg)) == 0 && lmx_buf_puts(&b, ",\"type\":") == 0 &&
        lmx_buf_json_str(&b, type, strlen(type)) == 0 &&
        lmx_buf_printf(&b, ",\"param\":null,\"code\":\"%d\"}}\n\n", status) == 0)
        lmx_http_res_write(c->req, b.data, b.len);
    lmx_buf_release(&b);
    json_decref(eb);
    /*
     * The answer is whole (the error event, then the terminating chunk): the
     * connection stays usable. Closing it raced the client's next request,
     * which a pooling client (undici) may already have sent on it.
     */
    lmx_http_res_end(c->req, true);
    c->req = NULL;
}

static uint64_t usage_tokens(const struct lmx_call *c)
{
    json_t *t = json_object_get(c->usage, "total_tokens");

    return json_is_integer(t) && json_integer_value(t) > 0 ? (uint64_t)json_integer_value(t) : 0;
}

/* A translated non-stream answer: the adapter's OpenAI object, sent. */
static int translated_finish(struct lmx_call *c)
{
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_hdrset hs;
    json_t *out = NULL;
    char *text;
    int err;

    err = c->ops->parse(&c->pc, c->resp.data ? c->resp.data : "", c->resp.len, &out, &pe);
    if (err < 0 || out == NULL) {
        if (pe.message[0] == '\0')
            snprintf(pe.message, sizeof(pe.message), "cannot read the answer of provider '%s'",
                     c->dep->provider);
        if (pe.status >= 400)
            keep_perr(c, &pe); /* the adapter named the status to answer (a failed prediction) */
        else
            snprintf(c->stream_err, sizeof(c->stream_err), "%s", pe.message);
        json_decref(out);
        return LMX_EUPSTREAM;
    }
    json_decref(c->usage);
    c->usage = json_incref(json_object_get(out, "usage"));
    if (c->dialect != NULL) {
        err = dialect_answer(c, out, 200);
        json_decref(out);
        return err;
    }
    text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (text == NULL)
        return LMX_ENOMEM;
    call_headers(c, &hs);
    cost_header(c, &hs);
    lmx_http_res_send(c->req, 200, hs.h, hs.n, "application/json", text, strlen(text));
    c->req = NULL;
    lmx_free(text);
    return 0;
}

/* A translated stream ended cleanly: what the adapter still holds, then [DONE]. */
static int translated_stream_end(struct lmx_call *c)
{
    struct lmx_perr pe = {0, "", "", ""};
    int err = 0;

    if (c->ops->stream_end != NULL)
        err = c->ops->stream_end(&c->pc, translated_chunk, c, &pe);
    if (err < 0) {
        if (pe.message[0] != '\0')
            keep_perr(c, &pe);
        return err == LMX_ECLIENT ? err : LMX_EUPSTREAM;
    }
    if (!c->client_streaming) {
        snprintf(c->stream_err, sizeof(c->stream_err),
                 "provider '%s' ended the stream without any content", c->dep->provider);
        return LMX_EUPSTREAM;
    }
    return c->dialect != NULL ? dialect_end(c)
                              : lmx_http_res_queue(c->req, "data: [DONE]\n\n", 14);
}

/* ------------------------------------------------------------------------ */
/* Native pass-through: an Anthropic client on an Anthropic deployment */

/* Anthropic's usage object → the canonical usage (for cost and accounting). */
static void native_usage(struct lmx_call *c, const json_t *u, bool final)
{
    json_int_t in, out, cr, cw;
    json_t *prev = c->usage;

    if (!json_is_object(u))
        return;
    in = json_integer_value(json_object_get(u, "input_tokens"));
    out = json_integer_value(json_object_get(u, "output_tokens"));
    cr = json_integer_value(json_object_get(u, "cache_read_input_tokens"));
    cw = json_integer_value(json_object_get(u, "cache_creation_input_tokens"));
    if (final && prev != NULL && json_object_get(u, "input_tokens") == NULL) {
        /* message_delta carries the output count; the input came with message_start */
        in = json_integer_value(json_object_get(prev, "lmx_in"));
        cr = json_integer_value(json_object_get(json_object_get(prev, "prompt_tokens_details"),
                                                "cached_tokens"));
        cw = json_integer_value(json_object_get(prev, "cache_creation_input_tokens"));
    }
    c->usage = json_pack("{s:I,s:I,s:I,s:{s:I},s:I,s:I}", "prompt_tokens", in + cr + cw,
                         "completion_tokens", out, "total_tokens", in + cr + cw + out,
                         "prompt_tokens_details", "cached_tokens", cr,
                         "cache_creation_input_tokens", cw, "lmx_in", in);
    json_decref(prev);
}

/* The Responses API's usage object → the canonical usage. */
static void responses_usage(struct lmx_call *c, const json_t *u)
{
    json_int_t in = json_integer_value(json_object_get(u, "input_tokens"));
    json_int_t out = json_integer_value(json_object_get(u, "output_tokens"));
    json_int_t cached = json_integer_value(
        json_object_get(json_object_get(u, "input_tokens_details"), "cached_tokens"));
    json_int_t reasoning = json_integer_value(
        json_object_get(json_object_get(u, "output_tokens_details"), "reasoning_tokens"));

    if (!json_is_object(u))
        return;
    json_decref(c->usage);
    c->usage = json_pack("{s:I,s:I,s:I,s:{s:I},s:{s:I}}", "prompt_tokens", in,
                         "completion_tokens", out, "total_tokens", in + out,
                         "prompt_tokens_details", "cached_tokens", cached,
                         "completion_tokens_details", "reasoning_tokens", reasoning);
}

static bool ev_is(const char *ev, size_t evlen, const char *name)
{
    return evlen == strlen(name) && memcmp(ev, name, evlen) == 0;
}

/*
 * A Responses answer an OpenAI or Azure deployment made natively, kept so
 * GET /v1/responses/{id} and /input_items find it; "native" marks that its
 * previous_response_id chain lives with the provider.
 */
static void native_store(struct lmx_call *c, const json_t *resp)
{
    const char *id = json_string_value(json_object_get(resp, "id"));
    const json_t *input = json_object_get(c->native_body, "input");
    json_t *items, *rec;
    char *text;

    if (id == NULL || json_is_false(json_object_get(c->native_body, "store")))
        return;
    items = json_is_array(input) ? json_deep_copy(input)
            : json_is_string(input)
                ? json_pack("[{s:s,s:s,s:s,s:[{s:s,s:O}]}]", "id", "msg_input_0", "type",
                            "message", "role", "user", "content", "type", "input_text", "text",
                            input)
                : json_array();
    rec = json_pack("{s:O,s:o,s:b}", "response", resp, "input_items", items, "native", 1);
    text = rec != NULL ? json_dumps(rec, JSON_COMPACT) : NULL;
    if (text != NULL)
        lmx_respstore_put(id, text, strlen(text));
    lmx_free(text);
    json_decref(rec);
}

/* A Responses stream event: usage from the final response, the end, errors. */
static void responses_native_event(struct lmx_call *c, const char *ev, size_t evlen,
                                   const char *data, size_t len)
{
    if (ev_is(ev, evlen, "response.completed") || ev_is(ev, evlen, "response.incomplete") ||
        ev_is(ev, evlen, "response.failed")) {
        json_t *e = json_loadb(data, len, 0, NULL);

        responses_usage(c, json_object_get(json_object_get(e, "response"), "usage"));
        if (!ev_is(ev, evlen, "response.failed"))
            native_store(c, json_object_get(e, "response"));
        json_decref(e);
        c->saw_done = true;
    } else if (ev_is(ev, evlen, "error")) {
        c->native_err = true;
    }
}

/* One event of the provider's stream: checked, its usage read, relayed as it came. */
static int native_event(const char *ev, size_t evlen, const char *data, size_t len, void *ud)
{
    struct lmx_call *c = ud;
    int err = 0;

    if (lmx_jscan_check(data, len) < 0) {
        snprintf(c->stream_err, sizeof(c->stream_err),
                 "upstream sent a malformed stream event: %.*s", (int)LMX_MIN(len, 120), data);
        return LMX_EUPSTREAM;
    }
    if (!c->client_streaming) {
        c->ttft_ns = lmx_now_ns() - c->t_attempt;
        err = start_client_stream(c);
        if (err < 0)
            return err;
    }
    if (c->dialect == &lmx_dialect_responses) {
        responses_native_event(c, ev, evlen, data, len);
    } else if ((evlen == 13 && memcmp(ev, "message_start", 13) == 0) ||
        (evlen == 13 && memcmp(ev, "message_delta", 13) == 0)) {
        json_t *e = json_loadb(data, len, 0, NULL);
        bool start = ev[8] == 's';

        native_usage(c, start ? json_object_get(json_object_get(e, "message"), "usage")
                              : json_object_get(e, "usage"),
                     !start);
        json_decref(e);
    } else if (evlen == 12 && memcmp(ev, "message_stop", 12) == 0) {
        c->saw_done = true;
    } else if (evlen == 5 && memcmp(ev, "error", 5) == 0) {
        c->native_err = true; /* relayed below: the client hears it in its own words */
    }
    return err == 0 ? queue_event(c, ev, evlen, data, len) : err;
}

/* The provider's complete answer: checked, usage read, relayed byte for byte. */
static int native_finish(struct lmx_call *c)
{
    struct lmx_hdrset hs;
    const char *body = c->resp.data ? c->resp.data : "";
    struct lmx_jspan s;

    if (!json_answer(c, body))
        return LMX_EUPSTREAM;
    if (lmx_jscan_find(body, c->resp.len, "usage", &s) == 0 && body[s.value_start] == '{') {
        json_t *u = json_loadb(body + s.value_start, s.value_end - s.value_start, 0, NULL);

        if (c->dialect == &lmx_dialect_responses)
            responses_usage(c, u);
        else
            native_usage(c, u, false);
        json_decref(u);
    }
    if (c->dialect == &lmx_dialect_responses && c->status == 200) {
        json_t *r = json_loadb(body, c->resp.len, 0, NULL);

        native_store(c, r);
        json_decref(r);
    }
    call_headers(c, &hs);
    cost_header(c, &hs);
    lmx_http_res_send(c->req, (int)c->status, hs.h, hs.n, "application/json", body, c->resp.len);
    c->req = NULL;
    return 0;
}

/*
 * The client's own body goes to the provider, with only `model` rewritten:
 * the adapter built the URL and the credential headers from the canonical
 * form; thinking signatures, cache_control and beta fields pass untouched.
 */
static int native_body(struct lmx_call *c)
{
    struct lmx_buf raw;
    const char *beta;
    size_t blen;
    int err;

    lmx_buf_init(&raw, 1024);
    err = lmx_buf_json_str(&raw, c->pc_model, strlen(c->pc_model));
    lmx_buf_reset(&c->upreq->body);
    if (err == 0)
        err = lmx_jscan_rewrite(c->req->body.data, c->req->body.len, NULL, 0, "model", raw.data,
                                raw.len, NULL, 0, &c->upreq->body);
    lmx_buf_release(&raw);
    beta = lmx_http_req_header(c->req, "anthropic-beta", &blen);
    if (err == 0 && beta != NULL) {
        bool has = false;

        for (size_t i = 0; i < c->upreq->nheaders; i++)
            has = has || strncasecmp(c->upreq->headers[i], "anthropic-beta:", 15) == 0;
        if (!has)
            err = lmx_upreq_header(c->upreq, "anthropic-beta", "%.*s", (int)blen, beta);
    }
    return err;
}

static void on_up_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct lmx_call *c = ud;
    uint64_t now_ns = lmx_now_ns();
    uint64_t took_ns = now_ns - c->t_attempt;

    LMX_UNUSED(x);
    c->xfer = NULL;
    c->upstream_ns += took_ns;
    if (c->req == NULL) {
        call_free(c);
        return;
    }
    if (err == 0 && c->status >= 200 && c->status < 300 && (c->translated || c->native)) {
        if (c->native && c->stream) {
            err = lmx_sse_reader_finish(&c->sse, native_event, c);
            if (err == 0 && !c->saw_done) {
                snprintf(c->stream_err, sizeof(c->stream_err),
                         "upstream stream ended before its final event");
                err = LMX_EUPSTREAM;
            }
        } else if (c->native) {
            err = native_finish(c);
        } else {
            err = c->stream ? translated_stream_end(c) : translated_finish(c);
        }
        if (err == 0) {
            if (c->req != NULL) {
                lmx_http_res_end(c->req, true);
                c->req = NULL;
            }
            if (c->dep->state != NULL)
                lmx_dstate_end(c->dep->state, lmx_wall_ms(), true, LMX_EC_NONE,
                               (c->stream ? c->ttft_ns : took_ns) / 1000, usage_tokens(c));
            call_free(c);
            return;
        }
        msg = c->stream_err;
        if (err == LMX_EUPSTREAM && c->translated && c->status >= 400 && !c->client_streaming) {
            /* keep_perr set the adapter's status and body: handled as the upstream's error */
            err = 0;
            c->stream_err[0] = '\0';
        }
    } else if (err == 0 && c->status >= 400 && c->translated && c->ops->map_error != NULL) {
        struct lmx_perr pe = {0, "", "", ""};

        c->ops->map_error(&c->pc, c->status, c->resp.data, c->resp.len, &pe);
        if (pe.status == 0)
            pe.status = (int)c->status;
        keep_perr(c, &pe);
        c->stream_err[0] = '\0';
    } else if (err == 0 && c->status >= 200 && c->status < 300) {
        if (c->raw_relay) {
            err = c->client_streaming ? 0 : relay_raw(c, "", 0); /* an empty answer */
        } else if (c->stream) {
            err = lmx_sse_reader_finish(&c->sse, stream_event, c);
            if (err == 0 && !c->saw_done) {
                /* a clean close without [DONE]: tell the client it is not whole */
                snprintf(c->stream_err, sizeof(c->stream_err),
                         "upstream stream ended without [DONE]");
                err = LMX_EUPSTREAM;
            }
            if (err == 0 && c->dialect != NULL)
                err = dialect_end(c);
        } else {
            err = finish_ok(c);
        }
        if (err == 0) {
            if (c->req != NULL) { /* a stream: finish it */
                lmx_http_res_end(c->req, true);
                c->req = NULL;
            }
            if (c->dep->state != NULL)
                lmx_dstate_end(c->dep->state, lmx_wall_ms(), true, LMX_EC_NONE,
                               (c->stream ? c->ttft_ns : took_ns) / 1000, usage_tokens(c));
            call_free(c);
            return;
        }
        msg = c->stream_err;
    }
    attempt_failed(c, err, msg);
}

static const struct lmx_xfer_cbs xfer_cbs = {
    .on_headers = on_up_headers,
    .on_data = on_up_data,
    .on_done = on_up_done,
};

/* ------------------------------------------------------------------------ */
/* Failures: retry, cool down, fall back */

static struct lmx_pick_ctx pick_ctx(const struct lmx_call *c)
{
    struct lmx_pick_ctx ctx = {c->rc, lmx_wall_ms(), c->est_tokens, 0};

    return ctx;
}

static void on_wait_over(uv_timer_t *t)
{
    start_attempt(t->data);
}

/* Is a deployment this request has not tried free right now? */
static bool untried_free(const struct lmx_call *c)
{
    uint64_t now = lmx_wall_ms();
    size_t n = LMX_MIN(c->route.group->ndeps, (size_t)LMX_ROUTE_MAX_TRIED);

    if (c->route.pinned != NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct lmx_deployment *d = c->route.group->deps[i];

        if ((c->tried[i >> 3] >> (i & 7)) & 1)
            continue;
        if (d->state == NULL || !lmx_dstate_cooling(d->state, now))
            return true;
    }
    return false;
}

/* Moves the call to the next fallback group; false when none is left. */
static bool next_fallback(struct lmx_call *c, enum lmx_errclass cls)
{
    int max = c->rc != NULL ? c->rc->max_fallbacks : 5;

    if (c->fb_list == NULL) {
        json_t *reqfb = json_object_get(c->body, "fallbacks");

        c->fb_list = lmx_route_fallbacks(c->rc, c->route.group->name, cls, reqfb);
        c->fb_next = 0;
        if (c->fb_list == NULL)
            return false;
    }
    while (c->fb_next < json_array_size(c->fb_list) && c->fallbacks < max) {
        json_t *e = json_array_get(c->fb_list, c->fb_next++);
        const char *name = json_is_string(e) ? json_string_value(e)
                                             : json_string_value(json_object_get(e, "model"));
        json_t *msgs = json_is_object(e) ? json_object_get(e, "messages") : NULL;
        struct lmx_route r;

        if (name == NULL || lmx_route_resolve(c->cfg, name, strlen(name), &r) < 0) {
            lmx_warn("call %s: fallback '%s' names no model group; skipped", c->call_id,
                     name ? name : "?");
            continue;
        }
        if (r.group == c->route.group)
            continue;
        lmx_info("call %s: group '%s' failed; falling back to '%s'", c->call_id,
                 c->route.group->name, r.group->name);
        c->route = r;
        if (r.wild_part == NULL && strchr(name, '*') == NULL)
            snprintf(c->model_name, sizeof(c->model_name), "%s", name);
        memset(c->tried, 0, sizeof(c->tried));
        c->group_retries = 0;
        c->fallbacks++;
        c->fb_messages = json_is_array(msgs) ? msgs : NULL;
        c->mock_ratelimit = false;
        return true;
    }
    return false;
}

/* The group has nothing left to try: fall back, or answer with why. */
static void group_exhausted(struct lmx_call *c, enum lmx_errclass cls, int err, const char *msg)
{
    if (next_fallback(c, cls)) {
        start_attempt(c);
        return;
    }
    if (c->client_streaming) {
        stream_error(c, err != 0 ? err : LMX_EUPSTREAM, msg);
        call_free(c);
        return;
    }
    if (err == 0 && c->status >= 400) {
        relay_upstream_error(c);
        call_free(c);
        return;
    }
    if (c->stream_err[0] != '\0')
        call_fail(c, lmx_err_status(err), lmx_err_type(err), "%s", c->stream_err);
    else
        call_fail(c, lmx_err_status(err), lmx_err_type(err), "%s: %s", lmx_strerror(err),
                  msg != NULL && msg[0] ? msg : "no detail");
}

/* An attempt failed (err: transport failure, or 0 with an HTTP error status). */
static void attempt_failed(struct lmx_call *c, int err, const char *msg)
{
    struct lmx_api_stats *st = &c->w->stats;
    enum lmx_errclass cls;
    uint64_t now = lmx_wall_ms();
    double wait = 0;

    cls = lmx_route_classify(err, err == 0 ? c->status : 0, c->resp.data, c->resp.len);
    if (err == LMX_EUPSTREAM && c->stream_err[0] != '\0')
        cls = LMX_EC_SERVER; /* a broken answer, not a broken connection */
    lmx_api_count(&st->upstream_failures);
    if (c->dep->state != NULL) {
        lmx_dstate_end(c->dep->state, now, false, cls, 0, 0);
        if (lmx_route_maybe_cool(c->rc, c->dep, c->route.group->ndeps, cls, c->status, now))
            lmx_warn("deployment '%s' (%s) cooling down after %s", c->dep->id, c->dep->model,
                     lmx_route_class_name(cls));
    }
    if (err == 0)
        lmx_warn("call %s: deployment '%s' (%s) answered HTTP %ld (%s)", c->call_id, c->dep->id,
                 c->dep->model, c->status, lmx_route_class_name(cls));
    else
        lmx_warn("call %s: deployment '%s' (%s) failed: %s: %s", c->call_id, c->dep->id,
                 c->dep->model, lmx_strerror(err), msg != NULL ? msg : "");

    if (c->client_streaming) {
        char m[700];

        if (c->stream_err[0] != '\0')
            snprintf(m, sizeof(m), "%s", c->stream_err);
        else
            snprintf(m, sizeof(m), "upstream stream failed: %s%s%s", lmx_strerror(err),
                     msg != NULL && msg[0] ? ": " : "", msg != NULL ? msg : "");
        stream_error(c, err != 0 ? err : LMX_EUPSTREAM, m);
        call_free(c);
        return;
    }
    if (c->group_retries < lmx_route_retries_for(c->rc, cls, c->num_retries)) {
        c->group_retries++;
        c->retries++;
        if (!untried_free(c))
            wait = lmx_route_backoff(c->rc, c->group_retries - 1, c->retry_after_hdr);
        if (wait <= 0) {
            start_attempt(c);
            return;
        }
        if (c->wait == NULL) {
            c->wait = lmx_malloc(sizeof(*c->wait));
            if (c->wait == NULL) {
                start_attempt(c);
                return;
            }
            uv_timer_init(c->w->loop, c->wait);
            c->wait->data = c;
        }
        lmx_debug("call %s: retry %d in %.3f s", c->call_id, c->group_retries, wait);
        uv_timer_start(c->wait, on_wait_over, (uint64_t)(wait * 1000.0), 0);
        return;
    }
    group_exhausted(c, cls, err, msg);
}

/* A failure made up by a test hook, as if the upstream had answered it. */
static void fake_failure(struct lmx_call *c, long status, int err, const char *text)
{
    c->status = status;
    lmx_buf_reset(&c->resp);
    lmx_buf_printf(&c->resp, "{\"error\":{\"message\":\"%s\",\"type\":null,\"code\":\"%ld\"}}",
                   text, status);
    snprintf(c->stream_err, sizeof(c->stream_err), "%s", err != 0 ? text : "");
    attempt_failed(c, err, text);
}

static const char *pick_failure(enum lmx_pick_why why, enum lmx_errclass *cls)
{
    switch (why) {
    case LMX_PICK_CONTEXT:
        *cls = LMX_EC_CONTEXT_WINDOW;
        return "no deployment of the group has a context window the prompt fits "
               "(enable_pre_call_checks)";
    case LMX_PICK_FULL:
        *cls = LMX_EC_RATELIMIT;
        return "every deployment of the group has used its rpm/tpm this minute";
    default:
        *cls = LMX_EC_RATELIMIT;
        return "every deployment of the group is cooling down";
    }
}

/*
 * What an adapter translates: the client's body with the proxy's own fields
 * and the deployment's additional_drop_params removed, the deployment's
 * litellm_params defaults added, a {"model","messages"} fallback's messages,
 * and include_usage always on for streams (the proxy needs the usage; it
 * keeps the usage chunk from a client that did not ask for it).
 */
static int translated_body(struct lmx_call *c)
{
    json_t *b = json_object(), *adp, *v, *so;
    const char *k;
    size_t i;

    if (b == NULL)
        return LMX_ENOMEM;
    json_object_foreach(c->body, k, v) {
        if (!is_proxy_field(k))
            json_object_set(b, k, v);
    }
    adp = json_object_get(c->dep->litellm_params, "additional_drop_params");
    json_array_foreach(adp, i, v) {
        if (json_is_string(v))
            json_object_del(b, json_string_value(v));
    }
    json_object_foreach(c->dep->litellm_params, k, v) {
        if (!is_not_default(k) && !json_is_null(v) && json_object_get(b, k) == NULL)
            json_object_set(b, k, v);
    }
    if (c->fb_messages != NULL)
        json_object_set(b, "messages", c->fb_messages);
    if (c->stream) {
        so = json_object_get(b, "stream_options");
        so = json_is_object(so) ? json_deep_copy(so) : json_object();
        if (so == NULL || json_object_set_new(so, "include_usage", json_true()) < 0 ||
            json_object_set_new(b, "stream_options", so) < 0) {
            json_decref(b);
            return LMX_ENOMEM;
        }
    }
    json_decref(c->xbody);
    c->xbody = b;
    return 0;
}

static bool drop_params_of(const struct lmx_call *c)
{
    json_t *v = json_object_get(c->body, "drop_params");

    if (json_is_boolean(v))
        return json_is_true(v);
    if (c->dep->drop_params >= 0)
        return c->dep->drop_params == 1;
    return c->cfg->drop_params;
}

/*
 * Sets up the adapter's view of the call for the current deployment
 * (translated families): the body it translates, the upstream model, a fresh
 * request to fill. build (or token_prepare first) comes next.
 */
static int prepare_translated(struct lmx_call *c, const struct lmx_provider_ops *ops,
                              struct lmx_perr *pe)
{
    int err;

    if (c->translated && c->ops->release != NULL)
        c->ops->release(&c->pc);
    memset(&c->pc, 0, sizeof(c->pc));
    if (c->upreq == NULL) {
        c->upreq = lmx_malloc(sizeof(*c->upreq));
        if (c->upreq == NULL) {
            pe->status = 503;
            snprintf(pe->message, sizeof(pe->message), "out of memory");
            return LMX_ENOMEM;
        }
    } else {
        lmx_upreq_release(c->upreq);
    }
    lmx_upreq_init(c->upreq);
    c->ops = ops;
    c->translated = true;
    err = upstream_model(c, c->pc_model, sizeof(c->pc_model));
    if (err < 0)
        return err;
    err = translated_body(c);
    if (err < 0)
        return err;
    c->pc.dep = c->dep;
    c->pc.ep = c->ep;
    c->pc.req = c->xbody;
    c->pc.model = c->pc_model;
    c->pc.call_id = c->call_id;
    c->pc.stream = c->stream;
    c->pc.drop_params = drop_params_of(c);
    return 0;
}

/* The request cannot be expressed for this provider (or its credential is unusable): the caller's to fix. */
static void translated_refused(struct lmx_call *c, int err, const struct lmx_perr *pe)
{
    struct lmx_hdrset hs;

    if (c->dep->state != NULL && c->token_step) {
        /* a refused credential is the deployment's failure; a caller's bad resource (400) is not */
        bool cred = pe->status == 401 || pe->status == 403;

        lmx_dstate_end(c->dep->state, lmx_wall_ms(), !cred, cred ? LMX_EC_AUTH : LMX_EC_NONE, 0,
                       0);
    }
    call_headers(c, &hs);
    lmx__send_error_as(c->req, &hs, errfn(c), pe->status > 0 ? pe->status : lmx_err_status(err),
                       pe->type[0] ? pe->type : lmx_err_type(err),
                       pe->param[0] ? pe->param : NULL, "%s",
                       pe->message[0] ? pe->message : lmx_strerror(err));
    c->req = NULL;
    call_free(c);
}

static void upreq_xfer(const struct lmx_upreq *r, struct lmx_xfer_req *xr)
{
    memset(xr, 0, sizeof(*xr));
    xr->method = r->method;
    xr->url = r->url.data;
    xr->headers = r->headers;
    xr->nheaders = r->nheaders;
    xr->body = r->body.data;
    xr->body_len = r->body.len;
}

/* Starts a transfer of the current attempt with its timeouts; begin: it starts the attempt. */
static void launch(struct lmx_call *c, struct lmx_xfer_req *xr, const struct lmx_xfer_cbs *cbs,
                   bool begin)
{
    struct lmx_api_stats *st = &c->w->stats;
    double idle = c->stream ? c->stream_timeout : c->timeout;
    int err;

    xr->connect_timeout = LMX_MIN(c->timeout, 30.0);
    xr->total_timeout = c->stream && !c->token_step ? 0 : c->timeout;
    xr->idle_timeout = c->token_step ? c->timeout : idle;
    c->t_step = lmx_now_ns();
    if (begin) {
        c->t_attempt = c->t_step;
        c->ttft_ns = 0;
        if (c->dep->state != NULL)
            lmx_dstate_begin(c->dep->state, lmx_wall_ms());
    }
    lmx_api_count(&st->upstream_calls);
    err = lmx_xfer_start(c->w->up, xr, cbs, c, &c->xfer);
    if (err < 0) {
        c->xfer = NULL;
        c->token_step = false;
        attempt_failed(c, err, "cannot start the upstream call");
    }
}

/* Builds the adapter's request (the token, if any, is at hand) and sends it. */
static void send_translated(struct lmx_call *c, bool begin)
{
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_xfer_req xr;
    int err;

    c->token_step = false;
    if (!begin) { /* after a token step: a fresh request for the call itself */
        lmx_upreq_release(c->upreq);
        lmx_upreq_init(c->upreq);
    }
    err = c->ops->build(&c->pc, c->upreq, &pe);
    if (err < 0) {
        if (!begin && c->dep->state != NULL)
            lmx_dstate_end(c->dep->state, lmx_wall_ms(), true, LMX_EC_NONE, 0, 0);
        translated_refused(c, err, &pe);
        return;
    }
    c->native = c->dialect != NULL && c->dialect == &lmx_dialect_anthropic &&
                strcmp(c->ops->name, "anthropic") == 0 && c->fb_messages == NULL;
    if (c->native && (err = native_body(c)) < 0) {
        pe.status = 0;
        snprintf(pe.message, sizeof(pe.message), "cannot forward the request: %s",
                 lmx_strerror(err));
        translated_refused(c, err, &pe);
        return;
    }
    for (size_t i = 0; i < c->req->nhdrs; i++) {
        const struct lmx_http_hdr *h = &c->req->hdrs[i];

        if (h->name_len > 7 && memcmp(h->name, "x-pass-", 7) == 0) {
            char name[128];

            snprintf(name, sizeof(name), "%.*s", (int)LMX_MIN(h->name_len - 7, 127), h->name + 7);
            lmx_upreq_header(c->upreq, name, "%.*s", (int)h->value_len, h->value);
        }
    }
    upreq_xfer(c->upreq, &xr);
    launch(c, &xr, &xfer_cbs, begin);
}

static const struct lmx_xfer_cbs token_cbs;

/* The token endpoint answered (or failed): the adapter keeps the token, the call goes on. */
static void on_token_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct lmx_call *c = ud;
    struct lmx_perr pe = {0, "", "", ""};

    LMX_UNUSED(x);
    c->xfer = NULL;
    c->upstream_ns += lmx_now_ns() - c->t_step;
    if (c->req == NULL) {
        call_free(c);
        return;
    }
    if (err == LMX_ETOOBIG) { /* the caller's to fix: retrying fetches the same bytes */
        pe.status = 400;
        snprintf(pe.type, sizeof(pe.type), "invalid_request_error");
        snprintf(pe.message, sizeof(pe.message),
                 "a resource the request needs fetched (%s) is larger than %u MiB",
                 c->upreq->url.data != NULL ? c->upreq->url.data : "?", PRE_STEP_MAX >> 20);
        translated_refused(c, err, &pe);
        return;
    }
    if (err < 0 && c->upreq->resource) { /* the caller's URL is unreachable: not retryable */
        pe.status = 400;
        snprintf(pe.type, sizeof(pe.type), "invalid_request_error");
        snprintf(pe.message, sizeof(pe.message), "cannot fetch %s: %s",
                 c->upreq->url.data != NULL ? c->upreq->url.data : "?",
                 msg != NULL && *msg != '\0' ? msg : lmx_strerror(err));
        translated_refused(c, err, &pe);
        return;
    }
    if (err < 0) { /* unreachable or timed out: a connection failure of this deployment */
        c->token_step = false;
        attempt_failed(c, err, msg);
        return;
    }
    err = c->ops->token_done(&c->pc, c->status, c->resp.data ? c->resp.data : "", c->resp.len,
                             &pe);
    lmx_buf_reset(&c->resp);
    if (err < 0) {
        if (pe.status >= 500 || pe.status == 429) { /* the token service's trouble: retryable */
            keep_perr(c, &pe);
            c->token_step = false;
            attempt_failed(c, 0, pe.message);
            return;
        }
        translated_refused(c, err, &pe);
        return;
    }
    c->status = 0;
    /* the adapter may need more first: another token, the next image to fetch */
    if (++c->pre_steps < PRE_STEPS_MAX) {
        int r;

        lmx_upreq_release(c->upreq);
        lmx_upreq_init(c->upreq);
        r = c->ops->token_prepare(&c->pc, c->upreq, &pe);
        if (r < 0) {
            translated_refused(c, r, &pe);
            return;
        }
        if (r == 1) {
            struct lmx_xfer_req xr;

            upreq_xfer(c->upreq, &xr);
            launch(c, &xr, &token_cbs, false);
            return;
        }
    }
    send_translated(c, false);
}

static int on_token_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct lmx_call *c = ud;

    LMX_UNUSED(x);
    if (c->req == NULL)
        return LMX_ECLIENT;
    if (c->resp.len + n > PRE_STEP_MAX)
        return LMX_ETOOBIG;
    return lmx_buf_append(&c->resp, p, n);
}

static const struct lmx_xfer_cbs token_cbs = {
    .on_headers = on_up_headers,
    .on_data = on_token_data,
    .on_done = on_token_done,
};

static int dialect_in(struct lmx_call *c, const char *path_model, bool path_stream);

/*
 * /completions on a family that only serves chat: from this attempt on the
 * call is a chat call whose answer the completions dialect converts back.
 * Returns 0, or answers the client (freeing the call) and returns < 0.
 */
static int bridge_completions(struct lmx_call *c)
{
    int err;

    c->dialect = &lmx_dialect_completions;
    err = dialect_in(c, NULL, false);
    if (err < 0)
        return err;
    c->ep = LMX_EP_CHAT;
    c->dc.model = c->model_name;
    return 0;
}

/*
 * May the current deployment take a Responses request natively? OpenAI and
 * Azure speak the Responses API; a previous_response_id llmux stored (it
 * answered over chat) can only be continued over chat.
 */
static bool responses_native(const struct lmx_call *c)
{
    const char *p = c->dep->provider;

    if (strcmp(p, "openai") != 0 && strcmp(p, "azure") != 0)
        return false;
    return c->prev_id[0] == '\0' || c->prev_remote;
}

/* Picks a deployment (another one than before when there is one) and calls it. */
static void start_attempt(struct lmx_call *c)
{
    const struct lmx_provider_ops *ops;
    struct lmx_pick_ctx ctx = pick_ctx(c);
    enum lmx_pick_why why;
    int idx, err;

    c->status = 0;
    c->token_step = false;
    c->pre_steps = 0;
    c->native = false;
    if (c->dialect == &lmx_dialect_responses)
        c->ep = LMX_EP_CHAT; /* a native attempt before may have made it /responses */
    c->native_err = false;
    c->stream_err[0] = '\0';
    c->retry_after_hdr = 0;
    lmx_sse_reader_reset(&c->sse);
    c->saw_done = false;
    if (c->mock_fallbacks && c->fallbacks == 0) {
        /* mock_testing_fallbacks: the first group fails at once, fallbacks run */
        lmx_buf_reset(&c->resp);
        c->status = 500;
        lmx_buf_puts(&c->resp, "{\"error\":{\"message\":\"This is a mock exception for model "
                               "group fallbacks (mock_testing_fallbacks=true)\"}}");
        group_exhausted(c, LMX_EC_SERVER, 0, NULL);
        return;
    }
    idx = lmx_route_pick(&c->route, c->tried, &ctx, &why);
    if (idx < 0 && why == LMX_PICK_ALL_TRIED) {
        /* every deployment tried once: retries go round again */
        memset(c->tried, 0, sizeof(c->tried));
        idx = lmx_route_pick(&c->route, c->tried, &ctx, &why);
    }
    if (idx < 0) {
        enum lmx_errclass cls;
        const char *why_text = pick_failure(why, &cls);
        double secs = ctx.soonest_ms > ctx.now_ms ? (double)(ctx.soonest_ms - ctx.now_ms) / 1e3
                                                  : 0;

        if (next_fallback(c, cls)) {
            start_attempt(c);
            return;
        }
        if (cls == LMX_EC_CONTEXT_WINDOW) {
            call_fail(c, 400, "invalid_request_error",
                      "ContextWindowExceededError: %s. Passed model=%s", why_text, c->model_name);
            return;
        }
        if (c->req != NULL && secs > 0) {
            struct lmx_hdrset hs;

            call_headers(c, &hs);
            lmx__hdrset_add(&hs, "retry-after", "%.0f", secs + 0.999);
            lmx__send_error_as(c->req, &hs, errfn(c), 429, "rate_limit_error", NULL,
                            "No deployments available for selected model, Try again in %.0f "
                            "seconds. Passed model=%s. pre-call-checks=%s, %s",
                            secs + 0.999, c->model_name,
                            c->rc && c->rc->enable_pre_call_checks ? "True" : "False", why_text);
            c->req = NULL;
            call_free(c);
            return;
        }
        call_fail(c, 429, "rate_limit_error",
                  "No deployments available for selected model. Passed model=%s. %s",
                  c->model_name, why_text);
        return;
    }
    c->tried[idx >> 3] = (uint8_t)(c->tried[idx >> 3] | (1u << (idx & 7)));
    c->dep = c->route.group->deps[idx];
    c->quirks = c->dep->quirks;
    c->attempts++;
    {
        /* litellm_params.mock_response: this deployment answers with it, no upstream call */
        json_t *mr = json_object_get(c->dep->litellm_params, "mock_response");

        if (json_is_string(mr) && (c->ep == LMX_EP_CHAT || c->ep == LMX_EP_COMPLETIONS)) {
            mock_answer(c, json_string_value(mr));
            return;
        }
    }
    if (c->mock_ratelimit) {
        /* mock_testing_rate_limit_error: the first attempt answers 429 */
        c->mock_ratelimit = false;
        fake_failure(c, 429, 0, "This is a mock rate limit error (mock_testing_rate_limit_error)");
        return;
    }
    ops = lmx_provider_for(c->dep);
    if (ops == NULL) {
        call_fail(c, 501, "not_implemented",
                  "provider '%s' (model '%s') is not served by this llmux build yet",
                  c->dep->provider, c->dep->model);
        return;
    }
    if (c->prev_remote && (ops->build != NULL || !responses_native(c))) {
        call_fail(c, 400, "invalid_request_error",
                  "Previous response with id '%s' not found. (Deployment '%s' of provider "
                  "'%s' is served over chat; only llmux's own stored responses can be "
                  "continued there.)",
                  c->prev_id, c->dep->id, c->dep->provider);
        return;
    }
    if (ops->build != NULL && c->ep == LMX_EP_COMPLETIONS && c->dialect == NULL &&
        bridge_completions(c) < 0)
        return; /* answered */
    if (ops->build != NULL && c->ep != LMX_EP_CHAT && c->ep != LMX_EP_EMBEDDINGS &&
        !(c->ep == LMX_EP_RERANK && ops->build_url != NULL)) {
        call_fail(c, 400, "invalid_request_error",
                  "provider '%s' (model '%s') does not serve %s through llmux", c->dep->provider,
                  c->dep->model, lmx_endpoint_path(c->ep));
        return;
    }
    c->timeout = c->dep->timeout > 0 ? c->dep->timeout : c->cfg->request_timeout;
    c->stream_timeout = c->dep->stream_timeout > 0                  ? c->dep->stream_timeout
                        : c->rc != NULL && c->rc->stream_timeout > 0 ? c->rc->stream_timeout
                                                                     : c->timeout;
    if (c->req_timeout > 0) /* the request's own timeout wins over the deployment's */
        c->timeout = c->stream_timeout = c->req_timeout;
    if (c->mock_timeout || json_is_true(json_object_get(c->dep->litellm_params, "mock_timeout"))) {
        /* mock_timeout: as if the deployment had not answered within its timeout */
        char text[160];

        snprintf(text, sizeof(text),
                 "litellm.Timeout: APITimeoutError - Request timed out after %g seconds "
                 "(mock_timeout)", c->timeout);
        c->t_attempt = lmx_now_ns();
        if (c->dep->state != NULL)
            lmx_dstate_begin(c->dep->state, lmx_wall_ms());
        fake_failure(c, 408, LMX_ETIMEOUT, text);
        return;
    }
    if (ops->build != NULL && c->ep != LMX_EP_RERANK) {
        struct lmx_perr pe = {0, "", "", ""};
        int r;

        err = prepare_translated(c, ops, &pe);
        r = err < 0 || ops->token_prepare == NULL ? 0 : ops->token_prepare(&c->pc, c->upreq, &pe);
        if (err < 0 || r < 0) {
            translated_refused(c, err < 0 ? err : r, &pe);
            return;
        }
        if (r == 1) {
            /* the provider's credential first (OAuth2, IAM); the call goes on in on_token_done */
            struct lmx_xfer_req xr;

            upreq_xfer(c->upreq, &xr);
            c->token_step = true;
            launch(c, &xr, &token_cbs, true);
            return;
        }
        send_translated(c, true);
        return;
    }
    if (c->dialect == &lmx_dialect_responses) {
        /* an OpenAI or Azure deployment takes the Responses request as it came */
        c->native = responses_native(c) && c->fb_messages == NULL;
        c->ep = c->native ? LMX_EP_RESPONSES : LMX_EP_CHAT;
    }
    {
        struct lmx_xfer_req xr;

        memset(&xr, 0, sizeof(xr));
        c->translated = false;
        err = build_request(c, ops);
        if (err < 0) {
            call_fail(c, lmx_err_status(err), lmx_err_type(err),
                      "cannot build the request for deployment '%s': %s", c->dep->id,
                      lmx_strerror(err));
            return;
        }
        xr.method = "POST";
        xr.url = c->url.data;
        xr.headers = c->up_headers;
        xr.nheaders = c->nup_headers;
        xr.body = c->up_body.data;
        xr.body_len = c->up_body.len;
        launch(c, &xr, &xfer_cbs, true);
    }
}

/* ------------------------------------------------------------------------ */
/* mock_response: an answer made here, no upstream call (LiteLLM's test hook) */

/* mock_response for a client of another dialect: the same canonical answer, converted. */
static void mock_answer_dialect(struct lmx_call *c, const char *text)
{
    long now = (long)lmx_wall_s();
    char id[80];
    json_t *usage = json_pack("{s:i,s:i,s:i}", "prompt_tokens", 10, "completion_tokens", 20,
                              "total_tokens", 30);
    json_t *a = NULL, *b = NULL;
    int err = LMX_ENOMEM;

    snprintf(id, sizeof(id), "chatcmpl-%s", c->call_id);
    if (usage == NULL)
        goto out;
    json_decref(c->usage);
    c->usage = json_incref(usage);
    if (!c->stream) {
        a = json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:O}", "id", id, "object",
                      "chat.completion", "created", (json_int_t)now, "model", c->model_name,
                      "choices", "index", 0, "message", "role", "assistant", "content", text,
                      "finish_reason", "stop", "usage", usage);
        if (a == NULL)
            goto out;
        err = dialect_answer(c, a, 200);
        goto out;
    }
    a = json_pack("{s:s,s:s,s:i,s:s,s:[{s:i,s:{s:s,s:s},s:s}]}", "id", id, "object",
                  "chat.completion.chunk", "created", (json_int_t)now, "model", c->model_name,
                  "choices", "index", 0, "delta", "role", "assistant", "content", text,
                  "finish_reason", "stop");
    b = json_pack("{s:s,s:s,s:i,s:s,s:[],s:O}", "id", id, "object", "chat.completion.chunk",
                  "created", (json_int_t)now, "model", c->model_name, "choices", "usage", usage);
    if (a == NULL || b == NULL)
        goto out;
    c->t_attempt = lmx_now_ns();
    err = start_client_stream(c);
    if (err == 0)
        err = dialect_chunk(c, a);
    if (err == 0)
        err = dialect_chunk(c, b);
    if (err == 0)
        err = dialect_end(c);
    lmx_http_res_end(c->req, err == 0);
    c->req = NULL;
out:
    if (err < 0 && c->req != NULL) {
        call_fail(c, lmx_err_status(err), lmx_err_type(err), "%s",
                  c->stream_err[0] ? c->stream_err : lmx_strerror(err));
        c = NULL;
    }
    json_decref(a);
    json_decref(b);
    json_decref(usage);
    if (c != NULL) {
        c->req = NULL;
        call_free(c);
    }
}

static void mock_answer(struct lmx_call *c, const char *text)
{
    struct lmx_hdrset hs;
    struct lmx_buf b;
    long now = (long)lmx_wall_s();
    int err;

    if (c->dialect != NULL) {
        mock_answer_dialect(c, text);
        return;
    }
    lmx_buf_init(&b, 1u << 20);
    call_headers(c, &hs);
    if (!c->stream) {
        err = lmx_buf_printf(&b, "{\"id\":\"chatcmpl-%s\",\"object\":\"chat.completion\","
                                 "\"created\":%ld,\"model\":",
                             c->call_id, now);
        if (err == 0)
            err = lmx_buf_json_str(&b, c->model_name, strlen(c->model_name));
        if (err == 0)
            err = lmx_buf_puts(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                                   "\"assistant\",\"content\":");
        if (err == 0)
            err = lmx_buf_json_str(&b, text, strlen(text));
        if (err == 0)
            err = lmx_buf_puts(&b, "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
                                   "10,\"completion_tokens\":20,\"total_tokens\":30}}");
        if (err < 0)
            lmx__send_err_code(c->req, &hs, LMX_ENOMEM, "out of memory");
        else
            lmx_http_res_send(c->req, 200, hs.h, hs.n, "application/json", b.data, b.len);
    } else if (start_client_stream(c) == 0) {
        err = lmx_buf_printf(&b, "data: {\"id\":\"chatcmpl-%s\",\"object\":"
                                 "\"chat.completion.chunk\",\"created\":%ld,\"model\":",
                             c->call_id, now);
        if (err == 0)
            err = lmx_buf_json_str(&b, c->model_name, strlen(c->model_name));
        if (err == 0)
            err = lmx_buf_puts(&b, ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                                   "\"content\":");
        if (err == 0)
            err = lmx_buf_json_str(&b, text, strlen(text));
        if (err == 0)
            err = lmx_buf_printf(&b, "},\"finish_reason\":\"stop\"}]}\n\n"
                                     "data: {\"id\":\"chatcmpl-%s\",\"object\":"
                                     "\"chat.completion.chunk\",\"created\":%ld,\"choices\":[],"
                                     "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,"
                                     "\"total_tokens\":30}}\n\ndata: [DONE]\n\n",
                                 c->call_id, now);
        if (err == 0)
            lmx_http_res_write(c->req, b.data, b.len);
        lmx_http_res_end(c->req, err == 0);
    }
    c->req = NULL;
    lmx_buf_release(&b);
    call_free(c);
}

/* ------------------------------------------------------------------------ */
/* Entry */

static int retries_from(struct lmx_call *c)
{
    json_t *n = json_object_get(c->body, "num_retries");
    const char *h;
    size_t hl;

    if (json_is_integer(n) && json_integer_value(n) >= 0)
        return (int)LMX_MIN(json_integer_value(n), 20);
    h = lmx_http_req_header(c->req, "x-litellm-num-retries", &hl);
    if (h != NULL && hl > 0 && hl < 4) {
        char tmp[4];
        double v;

        memcpy(tmp, h, hl);
        tmp[hl] = '\0';
        if (lmx_parse_double(tmp, &v) == 0 && v >= 0)
            return (int)LMX_MIN(v, 20);
    }
    return c->cfg->num_retries;
}

/* The request's own timeout: body `timeout`, else the x-litellm-timeout header; 0 = none. */
static double timeout_from(struct lmx_call *c)
{
    json_t *t = json_object_get(c->body, "timeout");
    const char *h;
    size_t hl;
    double v = 0;

    if (json_is_number(t) && json_number_value(t) > 0)
        v = json_number_value(t);
    h = lmx_http_req_header(c->req, "x-litellm-timeout", &hl);
    if (h != NULL && hl > 0 && hl < 32) {
        char tmp[32];
        double hv;

        memcpy(tmp, h, hl);
        tmp[hl] = '\0';
        if (lmx_parse_double(tmp, &hv) == 0 && hv > 0)
            v = hv;
    }
    return v;
}

/* Characters / 4 over the message contents: the estimate pre-call checks use. */
static uint64_t estimate_tokens(const json_t *body)
{
    json_t *msgs = json_object_get(body, "messages"), *m, *p;
    size_t i, j, chars = 0;

    json_array_foreach(msgs, i, m) {
        json_t *content = json_object_get(m, "content");

        if (json_is_string(content))
            chars += json_string_length(content);
        json_array_foreach(content, j, p) {
            json_t *t = json_object_get(p, "text");

            if (json_is_string(t))
                chars += json_string_length(t);
        }
    }
    if (json_is_string(json_object_get(body, "prompt")))
        chars += json_string_length(json_object_get(body, "prompt"));
    return chars / 4 + 1;
}

static const char *route_label(enum lmx_endpoint ep)
{
    return lmx_endpoint_path(ep);
}

static void list_groups(const struct lmx_config *cfg, char *out, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < cfg->ngroups && used + 4 < n; i++) {
        int k = snprintf(out + used, n - used, "%s%s", i ? ", " : "", cfg->groups[i].name);

        if (k < 0 || (size_t)k >= n - used) {
            snprintf(out + used, n - used, ", ...");
            break;
        }
        used += (size_t)k;
    }
}

/* Has the requested group an OpenAI or Azure deployment (one that speaks Responses)? */
static bool group_speaks_responses(const struct lmx_call *c)
{
    const char *name = json_string_value(json_object_get(c->body, "model"));
    struct lmx_route r;

    if (name == NULL || lmx_route_resolve(c->cfg, name, strlen(name), &r) < 0)
        return false;
    for (size_t i = 0; i < r.group->ndeps; i++)
        if (strcmp(r.group->deps[i]->provider, "openai") == 0 ||
            strcmp(r.group->deps[i]->provider, "azure") == 0)
            return true;
    return false;
}

/*
 * A client's dialect request → the canonical request in c->body (and as
 * text in c->canon, the fast path's raw body). Returns 0, or answers the
 * client (freeing the call) and returns a negative code.
 */
static int dialect_in(struct lmx_call *c, const char *path_model, bool path_stream)
{
    struct lmx_perr pe = {0, "", "", ""};
    json_t *canon = NULL;
    int err;

    c->dc.ops = c->dialect;
    c->dc.path_model = path_model;
    c->dc.path_stream = path_stream;
    if (path_stream && strcmp(c->dialect->name, "gemini") == 0) {
        /* Google streams a JSON array unless the client asks for alt=sse */
        const char *alt = lmx_http_req_query(c->req, "alt");

        c->dc.path_array = alt == NULL || strcmp(alt, "sse") != 0;
    }
    c->dc.call_id = c->call_id;
    c->dc.created = (int64_t)lmx_wall_s();
    if (c->dialect == &lmx_dialect_responses) {
        const char *prev = json_string_value(json_object_get(c->body, "previous_response_id"));

        c->native_body = json_incref(c->body);
        if (prev != NULL && strlen(prev) < sizeof(c->prev_id)) {
            char *rec = lmx_respstore_get(prev, NULL);

            snprintf(c->prev_id, sizeof(c->prev_id), "%s", prev);
            json_t *r = rec != NULL ? json_loads(rec, 0, NULL) : NULL;
            bool native = json_is_true(json_object_get(r, "native"));

            json_decref(r);
            if ((rec == NULL || native) && group_speaks_responses(c)) {
                /* another server's id (OpenAI's own): only a native call can continue it */
                json_t *copy = json_copy(c->body);

                c->prev_remote = true;
                if (copy == NULL)
                    return LMX_ENOMEM;
                json_object_del(copy, "previous_response_id");
                json_decref(c->body);
                c->body = copy;
            }
            lmx_free(rec);
        }
    }
    err = c->dialect->request(&c->dc, c->body, &canon, &pe);
    if (err < 0 || canon == NULL) {
        struct lmx_hdrset hs;

        json_decref(canon);
        call_headers(c, &hs);
        lmx__send_error_as(c->req, &hs, errfn(c), pe.status > 0 ? pe.status : 400,
                           pe.type[0] ? pe.type : "invalid_request_error",
                           pe.param[0] ? pe.param : NULL, "%s",
                           pe.message[0] ? pe.message : "the request cannot be read");
        c->req = NULL;
        call_free(c);
        return err < 0 ? err : LMX_EBADREQ;
    }
    json_decref(c->body);
    c->body = canon;
    c->canon = json_dumps(canon, JSON_COMPACT);
    if (c->canon == NULL) {
        call_fail(c, 503, "internal_server_error", "out of memory");
        return LMX_ENOMEM;
    }
    c->canon_len = strlen(c->canon);
    lmx_buf_init(&c->dout, 64u << 20);
    return 0;
}

static void proxy_begin(struct lmx_api_worker *w, struct lmx_http_req *req, enum lmx_endpoint ep,
                        const char *path_model, const struct lmx_dialect_ops *d, bool path_stream)
{
    struct lmx_call *c;
    struct lmx_config *cfg;
    json_error_t jerr;
    json_t *model, *stream, *mock;
    const char *cid;
    size_t cidlen;

    cfg = lmx_api_cfg_get(w);
    if (lmx__auth_check_as(req, cfg, d != NULL ? d->error_body : NULL,
                           d != NULL && strcmp(d->name, "gemini") == 0) < 0) {
        lmx_api_cfg_put(w, cfg);
        return;
    }
    c = lmx_calloc(1, sizeof(*c));
    if (c == NULL) {
        lmx_api_cfg_put(w, cfg);
        lmx__send_err_code(req, NULL, LMX_ENOMEM, "out of memory");
        return;
    }
    c->w = w;
    c->req = req;
    c->cfg = cfg;
    c->dialect = d;
    c->rc = cfg->router;
    c->ep = ep;
    c->t0 = req->start_ns;
    lmx_buf_init(&c->up_body, req->body.len + (1u << 20));
    lmx_buf_init(&c->url, 4096);
    lmx_buf_init(&c->resp, RESP_MAX);
    lmx_sse_reader_init(&c->sse, SSE_EVENT_MAX);
    lmx_buf_init(&c->fixbuf, SSE_EVENT_MAX);
    cid = lmx_http_req_header(req, "x-litellm-call-id", &cidlen);
    if (cid != NULL && cidlen > 0 && cidlen < sizeof(c->call_id))
        snprintf(c->call_id, sizeof(c->call_id), "%.*s", (int)cidlen, cid);
    else
        lmx_uuid4(c->call_id);

    if (req->body.len == 0) {
        call_fail(c, 400, "invalid_request_error", "request body is empty; expected a JSON object");
        return;
    }
    c->raw_relay = ep == LMX_EP_SPEECH || ep == LMX_EP_TRANSCRIPTIONS;
    if (ep == LMX_EP_TRANSCRIPTIONS) {
        size_t ctlen = 0;
        const char *ct = lmx_http_req_header(req, "content-type", &ctlen);

        if (ct == NULL || ctlen < 19 || !lmx_streq_ci(ct, 19, "multipart/form-data")) {
            call_fail(c, 400, "invalid_request_error",
                      "/audio/transcriptions takes multipart/form-data with 'file' and 'model'");
            return;
        }
        c->mp_model = multipart_field(ct, ctlen, req->body.data, req->body.len, "model",
                                      &c->mp_model_len);
        if (c->mp_model == NULL || c->mp_model_len == 0 || c->mp_model_len >= 256) {
            call_fail(c, 400, "invalid_request_error",
                      "'model' is required: a form field of the multipart body");
            return;
        }
        c->body = json_pack("{s:s%}", "model", c->mp_model, c->mp_model_len);
    } else {
        c->body = json_loadb(req->body.data, req->body.len, 0, &jerr);
    }
    if (c->body == NULL) {
        call_fail(c, 400, "invalid_request_error",
                  "invalid JSON in request body at line %d, column %d (byte %d): %s", jerr.line,
                  jerr.column, jerr.position, jerr.text);
        return;
    }
    if (!json_is_object(c->body)) {
        call_fail(c, 400, "invalid_request_error", "request body must be a JSON object");
        return;
    }
    if (d != NULL && dialect_in(c, path_model, path_stream) < 0)
        return;
    model = json_object_get(c->body, "model");
    if (path_model != NULL && !json_is_string(model)) {
        snprintf(c->model_name, sizeof(c->model_name), "%s", path_model);
    } else if (json_is_string(model) && json_string_length(model) < sizeof(c->model_name)) {
        snprintf(c->model_name, sizeof(c->model_name), "%s", json_string_value(model));
    } else {
        call_fail(c, 400, "invalid_request_error",
                  json_is_string(model) ? "'model' is too long"
                                        : "'model' is required and must be a string");
        return;
    }
    stream = json_object_get(c->body, "stream");
    if (stream != NULL && !json_is_boolean(stream) && !json_is_null(stream)) {
        call_fail(c, 400, "invalid_request_error", "'stream' must be a boolean");
        return;
    }
    c->stream = json_is_true(stream) && (ep == LMX_EP_CHAT || ep == LMX_EP_COMPLETIONS);
    c->dc.model = c->model_name;
    c->client_usage =
        json_is_true(json_object_get(json_object_get(c->body, "stream_options"), "include_usage"));
    if (lmx_route_resolve(cfg, c->model_name, strlen(c->model_name), &c->route) < 0) {
        char names[1024];

        list_groups(cfg, names, sizeof(names));
        call_fail(c, 400, "invalid_request_error",
                  "%s: Invalid model name passed in model=%s. Call `/v1/models` to view "
                  "available models for your key. Available models: [%s]",
                  d != NULL ? d->name : route_label(ep), c->model_name, names);
        return;
    }
    c->num_retries = retries_from(c);
    c->req_timeout = timeout_from(c);
    c->mock_fallbacks = json_is_true(json_object_get(c->body, "mock_testing_fallbacks"));
    c->mock_ratelimit = json_is_true(json_object_get(c->body, "mock_testing_rate_limit_error"));
    c->mock_timeout = json_is_true(json_object_get(c->body, "mock_timeout"));
    if (c->rc != NULL && c->rc->enable_pre_call_checks)
        c->est_tokens = estimate_tokens(c->body);
    req->on_abort = on_client_abort;
    req->on_drain = on_client_drain;
    req->ud = c;
    mock = json_object_get(c->body, "mock_response");
    if (json_is_string(mock) && (ep == LMX_EP_CHAT || ep == LMX_EP_COMPLETIONS)) {
        mock_answer(c, json_string_value(mock));
        return;
    }
    start_attempt(c);
}

void lmx__proxy_start(struct lmx_api_worker *w, struct lmx_http_req *req, enum lmx_endpoint ep,
                      const char *path_model)
{
    proxy_begin(w, req, ep, path_model, NULL, false);
}

void lmx__proxy_dialect(struct lmx_api_worker *w, struct lmx_http_req *req,
                        const struct lmx_dialect_ops *d, const char *path_model, bool path_stream)
{
    proxy_begin(w, req, LMX_EP_CHAT, path_model, d, path_stream);
}
