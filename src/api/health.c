/*
 * api/health.c - GET /health: one real, minimal call to every deployment
 * (or those of ?model=<group>), run in parallel, reported as LiteLLM does:
 * healthy_endpoints, unhealthy_endpoints and their counts. Never shows keys.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "route/state.h"

#define HEALTH_TIMEOUT 30.0
#define HEALTH_BODY_MAX (1u << 20)

struct health_run;

struct health_probe {
    struct health_run *run;
    const struct lmx_deployment *dep;
    struct lmx_xfer *xfer;
    struct lmx_buf url;
    struct lmx_buf body;
    struct lmx_buf resp;
    const char *headers[12];
    char store[4608];
    long status;
    int err;
    char msg[600];
    struct lmx_upreq *upreq; /* a translated family's request (owned) */
};

struct health_run {
    struct lmx_api_worker *w;
    struct lmx_http_req *req;
    struct lmx_config *cfg;
    struct health_probe *probes;
    size_t n, pending;
    bool background; /* a background check: results go to the cache and the cooldowns */
};

/* The latest background results, shared by every worker's GET /health. */
static uv_once_t cache_once = UV_ONCE_INIT;
static uv_mutex_t cache_lock;
static char *cache_body; /* JSON text, owned */

static void cache_init(void)
{
    uv_mutex_init(&cache_lock);
}

static bool bg_enabled(const struct lmx_config *cfg, double *interval)
{
    json_t *gs = json_object_get(cfg->root, "general_settings");
    json_t *iv = json_object_get(gs, "health_check_interval");

    *interval = json_is_number(iv) && json_number_value(iv) > 0 ? json_number_value(iv) : 300;
    return json_is_true(json_object_get(gs, "background_health_checks"));
}

static bool is_embedding(const struct lmx_deployment *d)
{
    const char *mode = json_string_value(json_object_get(d->model_info, "mode"));

    return mode != NULL && strcmp(mode, "embedding") == 0;
}

static json_t *endpoint_json(const struct health_probe *p, bool with_error)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "model", p->dep->model, "model_name",
                          p->dep->model_name, "model_id", p->dep->id);

    if (o != NULL && p->dep->api_base != NULL)
        json_object_set_new(o, "api_base", json_string(p->dep->api_base));
    if (o != NULL && with_error) {
        char e[700];

        if (p->err != 0)
            snprintf(e, sizeof(e), "%s: %s", lmx_strerror(p->err), p->msg);
        else
            snprintf(e, sizeof(e), "HTTP %ld: %.*s", p->status,
                     (int)LMX_MIN(p->resp.len, 300), p->resp.data ? p->resp.data : "");
        json_object_set_new(o, "error", json_string(e));
    }
    return o;
}

static void run_finish(struct health_run *r)
{
    json_t *ok = json_array(), *bad = json_array();
    size_t nok = 0, nbad = 0;

    for (size_t i = 0; i < r->n; i++) {
        struct health_probe *p = &r->probes[i];
        bool good = p->err == 0 && p->status >= 200 && p->status < 300;

        json_array_append_new(good ? ok : bad, endpoint_json(p, !good));
        if (good)
            nok++;
        else
            nbad++;
        lmx_buf_release(&p->url);
        lmx_buf_release(&p->body);
        lmx_buf_release(&p->resp);
        if (p->upreq != NULL) {
            lmx_upreq_release(p->upreq);
            lmx_free(p->upreq);
        }
    }
    if (r->background) {
        json_t *all = json_pack("{s:o, s:o, s:i, s:i}", "healthy_endpoints", ok,
                                "unhealthy_endpoints", bad, "healthy_count", (json_int_t)nok,
                                "unhealthy_count", (json_int_t)nbad);
        char *text = all != NULL ? json_dumps(all, JSON_COMPACT) : NULL;
        double interval;
        uint64_t now = lmx_wall_ms();

        json_decref(all);
        uv_once(&cache_once, cache_init);
        uv_mutex_lock(&cache_lock);
        lmx_free(cache_body);
        cache_body = text;
        uv_mutex_unlock(&cache_lock);
        /* a failing deployment sits out until the next check; a passing one is back */
        bg_enabled(r->cfg, &interval);
        for (size_t i = 0; i < r->n; i++) {
            struct health_probe *p = &r->probes[i];
            struct lmx_dstate *st = p->dep->state;
            bool good = p->err == 0 && p->status >= 200 && p->status < 300;

            if (st == NULL)
                continue;
            int was = atomic_exchange(&st->health, good ? 1 : -1);

            if (good && atomic_load(&st->cooldown_until_ms) > now) {
                lmx_dstate_uncool(st);
                lmx_info("health check: deployment '%s' (%s) is healthy again", p->dep->id,
                         p->dep->model);
            } else if (!good) {
                /* a little past the next round, so it cannot slip back in between */
                lmx_dstate_cool_until(st, now + (uint64_t)(interval * 1500.0),
                                      p->err != 0 ? 0 : (int)p->status, true);
                if (was != -1)
                    lmx_warn("health check: deployment '%s' (%s) is unhealthy; it takes no "
                             "requests until a check passes",
                             p->dep->id, p->dep->model);
            }
        }
    } else if (r->req != NULL) {
        r->req->on_abort = NULL;
        lmx__send_json(r->req, NULL, 200,
                       json_pack("{s:o, s:o, s:i, s:i}", "healthy_endpoints", ok,
                                 "unhealthy_endpoints", bad, "healthy_count", (json_int_t)nok,
                                 "unhealthy_count", (json_int_t)nbad));
    } else {
        json_decref(ok);
        json_decref(bad);
    }
    if (r->background)
        r->w->health_running = false;
    lmx_api_cfg_put(r->w, r->cfg);
    lmx_free(r->probes);
    lmx_free(r);
}

static int probe_data(struct lmx_xfer *x, const char *p, size_t n, void *ud)
{
    struct health_probe *pr = ud;

    LMX_UNUSED(x);
    if (lmx_buf_append(&pr->resp, p, n) < 0)
        return LMX_EUPSTREAM;
    return 0;
}

static int probe_headers(struct lmx_xfer *x, long status, const char *h, size_t len, void *ud)
{
    struct health_probe *pr = ud;

    LMX_UNUSED(x);
    LMX_UNUSED(h);
    LMX_UNUSED(len);
    pr->status = status;
    return 0;
}

static void probe_done(struct lmx_xfer *x, int err, const char *msg, void *ud)
{
    struct health_probe *pr = ud;
    struct health_run *r = pr->run;

    LMX_UNUSED(x);
    pr->xfer = NULL;
    pr->err = err;
    snprintf(pr->msg, sizeof(pr->msg), "%s", msg);
    if (--r->pending == 0)
        run_finish(r);
}

static const struct lmx_xfer_cbs probe_cbs = {probe_headers, probe_data, probe_done};

static void on_abort(struct lmx_http_req *req, void *ud)
{
    struct health_run *r = ud;

    LMX_UNUSED(req);
    r->req = NULL;
    for (size_t i = 0; i < r->n; i++) {
        if (r->probes[i].xfer != NULL) {
            lmx_xfer_cancel(r->probes[i].xfer);
            r->probes[i].xfer = NULL;
            r->pending--;
        }
    }
    if (r->pending == 0)
        run_finish(r);
}

/* A family with its own wire format: the probe request is the adapter's translation. */
static void probe_translated(struct health_run *r, struct health_probe *p,
                             const struct lmx_provider_ops *ops, enum lmx_endpoint ep)
{
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_pcall pc;
    struct lmx_xfer_req xr;
    json_t *req;
    int err;

    req = ep == LMX_EP_EMBEDDINGS
              ? json_pack("{s:s, s:[s]}", "model", p->dep->upstream_model, "input", "test")
              : json_pack("{s:s, s:[{s:s, s:s}], s:i}", "model", p->dep->upstream_model,
                          "messages", "role", "user", "content", "ping", "max_tokens", 1);
    p->upreq = lmx_malloc(sizeof(*p->upreq));
    if (req == NULL || p->upreq == NULL) {
        json_decref(req);
        p->err = LMX_ENOMEM;
        snprintf(p->msg, sizeof(p->msg), "out of memory");
        return;
    }
    lmx_upreq_init(p->upreq);
    memset(&pc, 0, sizeof(pc));
    pc.dep = p->dep;
    pc.ep = ep;
    pc.req = req;
    pc.model = p->dep->upstream_model;
    pc.call_id = "health-check";
    pc.drop_params = true;
    err = ops->build(&pc, p->upreq, &pe);
    if (ops->release != NULL)
        ops->release(&pc);
    json_decref(req);
    if (err < 0) {
        p->err = err;
        snprintf(p->msg, sizeof(p->msg), "cannot build the health request: %s",
                 pe.message[0] ? pe.message : lmx_strerror(err));
        return;
    }
    memset(&xr, 0, sizeof(xr));
    xr.method = p->upreq->method;
    xr.url = p->upreq->url.data;
    xr.headers = p->upreq->headers;
    xr.nheaders = p->upreq->nheaders;
    xr.body = p->upreq->body.data;
    xr.body_len = p->upreq->body.len;
    xr.connect_timeout = 10;
    xr.total_timeout = p->dep->timeout > 0 ? LMX_MIN(p->dep->timeout, HEALTH_TIMEOUT)
                                           : HEALTH_TIMEOUT;
    err = lmx_xfer_start(r->w->up, &xr, &probe_cbs, p, &p->xfer);
    if (err < 0) {
        p->err = err;
        snprintf(p->msg, sizeof(p->msg), "cannot start the call");
        p->xfer = NULL;
    }
}

static int probe_start(struct health_run *r, struct health_probe *p)
{
    const struct lmx_provider_ops *ops = lmx_provider_for(p->dep);
    enum lmx_endpoint ep = is_embedding(p->dep) ? LMX_EP_EMBEDDINGS : LMX_EP_CHAT;
    struct lmx_xfer_req xr;
    size_t nh = 0;
    int n, err;

    lmx_buf_init(&p->url, 4096);
    lmx_buf_init(&p->body, 4096);
    lmx_buf_init(&p->resp, HEALTH_BODY_MAX);
    if (ops == NULL) {
        p->err = LMX_ENOTIMPL;
        snprintf(p->msg, sizeof(p->msg), "provider '%s' is not served by this build",
                 p->dep->provider);
        return 0;
    }
    if (ops->build != NULL) {
        probe_translated(r, p, ops, ep);
        return p->xfer != NULL;
    }
    err = ops->build_url(p->dep, ep, p->dep->upstream_model, &p->url);
    if (err == 0 && ep == LMX_EP_EMBEDDINGS) {
        err = lmx_buf_puts(&p->body, "{\"model\":");
        if (err == 0)
            err = lmx_buf_json_str(&p->body, p->dep->upstream_model,
                                   strlen(p->dep->upstream_model));
        if (err == 0)
            err = lmx_buf_puts(&p->body, ",\"input\":\"test\"}");
    } else if (err == 0) {
        err = lmx_buf_puts(&p->body, "{\"model\":");
        if (err == 0)
            err = lmx_buf_json_str(&p->body, p->dep->upstream_model,
                                   strlen(p->dep->upstream_model));
        if (err == 0)
            err = lmx_buf_puts(&p->body, ",\"messages\":[{\"role\":\"user\",\"content\":"
                                         "\"ping\"}],\"max_tokens\":1}");
    }
    if (err < 0) {
        p->err = err;
        snprintf(p->msg, sizeof(p->msg), "cannot build the health request");
        return 0;
    }
    p->headers[nh++] = "Content-Type: application/json";
    n = ops->auth_headers(p->dep, p->headers + nh, LMX_ARRAY_SIZE(p->headers) - nh, p->store,
                          sizeof(p->store));
    if (n > 0)
        nh += (size_t)n;
    memset(&xr, 0, sizeof(xr));
    xr.method = "POST";
    xr.url = p->url.data;
    xr.headers = p->headers;
    xr.nheaders = nh;
    xr.body = p->body.data;
    xr.body_len = p->body.len;
    xr.connect_timeout = 10;
    xr.total_timeout = p->dep->timeout > 0 ? LMX_MIN(p->dep->timeout, HEALTH_TIMEOUT)
                                           : HEALTH_TIMEOUT;
    err = lmx_xfer_start(r->w->up, &xr, &probe_cbs, p, &p->xfer);
    if (err < 0) {
        p->err = err;
        snprintf(p->msg, sizeof(p->msg), "cannot start the call");
        p->xfer = NULL;
        return 0;
    }
    return 1;
}

/* Starts one round of probes; req NULL = a background round. */
static void run_start(struct lmx_api_worker *w, struct lmx_http_req *req, struct lmx_config *cfg,
                      const char *only);

void lmx__ops_health(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    double interval;

    if (lmx__auth_check(req, cfg) < 0) {
        lmx_api_cfg_put(w, cfg);
        return;
    }
    if (bg_enabled(cfg, &interval)) {
        char *text = NULL;

        uv_once(&cache_once, cache_init);
        uv_mutex_lock(&cache_lock);
        if (cache_body != NULL)
            text = lmx_strdup(cache_body);
        uv_mutex_unlock(&cache_lock);
        if (text != NULL) {
            lmx_http_res_send(req, 200, NULL, 0, "application/json", text, strlen(text));
            lmx_free(text);
            lmx_api_cfg_put(w, cfg);
            return;
        }
        /* no background round has finished yet: run one now */
    }
    run_start(w, req, cfg, lmx_http_req_query(req, "model"));
}

static void on_health_tick(uv_timer_t *t)
{
    struct lmx_api_worker *w = t->data;

    if (w->health_running)
        return;
    w->health_running = true;
    run_start(w, NULL, lmx_api_cfg_get(w), NULL);
}

void lmx_api_health_schedule(struct lmx_api_worker *w)
{
    double interval;
    bool on = w->cfg != NULL && bg_enabled(w->cfg, &interval);

    if (!on) {
        if (w->health_timer != NULL)
            uv_timer_stop(w->health_timer);
        return;
    }
    if (w->health_timer == NULL) {
        w->health_timer = lmx_malloc(sizeof(*w->health_timer));
        if (w->health_timer == NULL)
            return;
        uv_timer_init(w->loop, w->health_timer);
        w->health_timer->data = w;
    }
    uv_timer_start(w->health_timer, on_health_tick, 0, (uint64_t)(interval * 1000.0));
}

static void free_timer(uv_handle_t *h)
{
    lmx_free(h);
}

void lmx_api_health_stop(struct lmx_api_worker *w)
{
    if (w->health_timer != NULL)
        uv_close((uv_handle_t *)w->health_timer, free_timer);
    w->health_timer = NULL;
}

static void run_start(struct lmx_api_worker *w, struct lmx_http_req *req, struct lmx_config *cfg,
                      const char *only)
{
    struct health_run *r = NULL;
    size_t n = 0;

    r = lmx_calloc(1, sizeof(*r));
    if (r == NULL || (r->probes = lmx_calloc(cfg->ndeps + 1, sizeof(*r->probes))) == NULL) {
        if (req != NULL)
            lmx__send_err_code(req, NULL, LMX_ENOMEM, "out of memory");
        goto fail;
    }
    r->w = w;
    r->req = req;
    r->cfg = cfg;
    r->background = req == NULL;
    for (size_t i = 0; i < cfg->ndeps; i++) {
        const struct lmx_deployment *d = &cfg->deps[i];

        if (strchr(d->upstream_model, '*') != NULL)
            continue; /* a wildcard names no model to call */
        if (only != NULL && strcmp(only, d->model_name) != 0)
            continue;
        r->probes[n].run = r;
        r->probes[n].dep = d;
        n++;
    }
    r->n = n;
    r->pending = 1; /* held while starting, so no probe finishes the run early */
    for (size_t i = 0; i < n; i++)
        r->pending += (size_t)probe_start(r, &r->probes[i]);
    if (req != NULL) {
        req->on_abort = on_abort;
        req->ud = r;
    }
    if (--r->pending == 0)
        run_finish(r);
    return;
fail:
    if (r != NULL)
        lmx_free(r->probes);
    lmx_free(r);
    if (req == NULL)
        w->health_running = false;
    lmx_api_cfg_put(w, cfg);
}
