/*
 * tools/mock/control.c - llmux-mock: the request log and the failure rules,
 * for tests that assert which deployments a router tried, in which order and
 * when, and that change a model's behaviour at run time.
 *
 *   GET    /mock/log[?since=SEQ][&limit=N]
 *          the last MOCK_LOG_CAP model requests in arrival order (oldest first):
 *          [{"seq","model","tag","path","stream","status","fault","chaos","rule",
 *            "t_ms","done_ms"}]
 *          seq grows from 1 and is never reused (not even after /mock/reset);
 *          status is what the mock answered (0 while it has not, or never did: reset,
 *          hang, client gone first); fault is "" or the fault applied (reset, hang,
 *          disconnect, malformed, slow-headers); chaos: the fault or status came from a
 *          mock-chaos-N draw; rule: a /mock/fail rule decided the answer; tag: what
 *          follows the last '@' of the model ("" when none); t_ms: arrival (first byte
 *          of the request) in ms since the mock started; done_ms: when the status line
 *          was queued, null while unanswered. since=SEQ keeps entries with seq > SEQ;
 *          limit=N keeps the last N of those.
 *   POST   /mock/fail {"model":NAME,"status":CODE,"fault":F,"latency_ms":MS,
 *                      "retry_after":S,"error_message":M,"error_code":C,"count":N}
 *          from now on a request whose model (exactly NAME, tag included; Azure: the
 *          deployment when the body has no model) is answered by this rule instead of
 *          its model-name controls (x-mock-* headers still win). Every field but
 *          model is optional: {"model":X} alone makes X answer normally; "status":
 *          200 heals a failing name. count: the rule applies to the next N requests
 *          only (default: until deleted). A rule for the same NAME replaces the old
 *          one. Answers {"rules":[...]}. At most MOCK_MAX_RULES rules (else 409).
 *   GET    /mock/fail            the rules
 *   DELETE /mock/fail[?model=X]  deletes every rule (or X's); {"rules":[...]}
 *
 * /mock/reset empties the log but keeps the rules.
 */
#include "core/lmx.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "mock.h"

/* ------------------------------------------------------------------------ */
/* The log */

struct log_rec {
    uint64_t seq; /* 0: empty */
    uint64_t t_ns, done_ns;
    int status;
    bool stream, chaos, rule;
    char fault[16];
    char model[MOCK_LOG_MODEL];
    char path[96];
};

static struct log_rec *ring; /* MOCK_LOG_CAP entries */
static uint64_t ring_next = 1; /* the next seq */
static uint64_t ring_first = 1; /* the oldest seq still listed (after a reset: the next) */
static uv_mutex_t ring_lock;
static uint64_t t0_ns;

static struct mock_rule rules[MOCK_MAX_RULES];
static size_t nrules;
static uv_mutex_t rules_lock;
_Atomic size_t mock_nrules;

int mock_control_init(void)
{
    t0_ns = lmx_now_ns();
    ring = lmx_calloc(MOCK_LOG_CAP, sizeof(*ring));
    if (ring == NULL)
        return LMX_ENOMEM;
    if (uv_mutex_init(&ring_lock) != 0) {
        lmx_free(ring);
        ring = NULL;
        return LMX_ENOMEM;
    }
    if (uv_mutex_init(&rules_lock) != 0) {
        uv_mutex_destroy(&ring_lock);
        lmx_free(ring);
        ring = NULL;
        return LMX_ENOMEM;
    }
    return 0;
}

void mock_control_free(void)
{
    if (ring == NULL)
        return;
    uv_mutex_destroy(&ring_lock);
    uv_mutex_destroy(&rules_lock);
    lmx_free(ring);
    ring = NULL;
}

static void copy_str(char *dst, size_t cap, const char *s, size_t n)
{
    if (s == NULL)
        n = 0;
    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

uint64_t mock_log_add(const struct mock_log_in *in)
{
    struct log_rec *r;
    uint64_t seq;

    uv_mutex_lock(&ring_lock);
    seq = ring_next++;
    r = &ring[seq % MOCK_LOG_CAP];
    r->seq = seq;
    r->t_ns = in->arrival_ns;
    r->done_ns = 0;
    r->status = 0;
    r->stream = in->stream;
    r->chaos = in->chaos;
    r->rule = in->rule;
    copy_str(r->fault, sizeof(r->fault), in->fault, in->fault != NULL ? strlen(in->fault) : 0);
    copy_str(r->model, sizeof(r->model), in->model, in->model_len);
    copy_str(r->path, sizeof(r->path), in->path, in->path_len);
    uv_mutex_unlock(&ring_lock);
    return seq;
}

void mock_log_status(uint64_t seq, int status)
{
    struct log_rec *r;

    if (seq == 0)
        return;
    uv_mutex_lock(&ring_lock);
    r = &ring[seq % MOCK_LOG_CAP];
    if (r->seq == seq && r->status == 0) {
        r->status = status;
        r->done_ns = lmx_now_ns();
    }
    uv_mutex_unlock(&ring_lock);
}

void mock_log_clear(void)
{
    uv_mutex_lock(&ring_lock);
    ring_first = ring_next;
    uv_mutex_unlock(&ring_lock);
}

static double ms_since_start(uint64_t ns)
{
    return ns > t0_ns ? (double)(ns - t0_ns) / 1e6 : 0.0;
}

static int rec_json(struct lmx_buf *b, const struct log_rec *r)
{
    const char *at = strrchr(r->model, '@');
    const char *tag = at != NULL ? at + 1 : "";
    int err;

    err = lmx_buf_printf(b, "{\"seq\":%" PRIu64 ",\"model\":", r->seq);
    if (err == 0)
        err = lmx_buf_json_str(b, r->model, strlen(r->model));
    if (err == 0)
        err = lmx_buf_puts(b, ",\"tag\":");
    if (err == 0)
        err = lmx_buf_json_str(b, tag, strlen(tag));
    if (err == 0)
        err = lmx_buf_puts(b, ",\"path\":");
    if (err == 0)
        err = lmx_buf_json_str(b, r->path, strlen(r->path));
    if (err == 0)
        err = lmx_buf_printf(b, ",\"stream\":%s,\"status\":%d,\"fault\":", r->stream ? "true" : "false",
                             r->status);
    if (err == 0)
        err = lmx_buf_json_str(b, r->fault, strlen(r->fault));
    if (err == 0)
        err = lmx_buf_printf(b, ",\"chaos\":%s,\"rule\":%s,\"t_ms\":%.3f", r->chaos ? "true" : "false",
                             r->rule ? "true" : "false", ms_since_start(r->t_ns));
    if (err == 0 && r->done_ns != 0)
        err = lmx_buf_printf(b, ",\"done_ms\":%.3f}", ms_since_start(r->done_ns));
    else if (err == 0)
        err = lmx_buf_puts(b, ",\"done_ms\":null}");
    return err;
}

/* Appends the log as a JSON array. Returns 0 or an lmx_buf error. */
static int log_json(struct lmx_buf *b, uint64_t since, uint64_t limit)
{
    uint64_t from, to;
    bool first = true;
    int err;

    uv_mutex_lock(&ring_lock);
    to = ring_next; /* exclusive */
    from = ring_first;
    if (to - from > MOCK_LOG_CAP)
        from = to - MOCK_LOG_CAP;
    if (from <= since)
        from = since + 1;
    if (limit > 0 && to > from && to - from > limit)
        from = to - limit;
    err = lmx_buf_puts(b, "[");
    for (uint64_t s = from; err == 0 && s < to; s++) {
        const struct log_rec *r = &ring[s % MOCK_LOG_CAP];

        if (r->seq != s)
            continue;
        if (!first)
            err = lmx_buf_puts(b, ",");
        first = false;
        if (err == 0)
            err = rec_json(b, r);
    }
    uv_mutex_unlock(&ring_lock);
    if (err == 0)
        err = lmx_buf_puts(b, "]");
    return err;
}

/* ------------------------------------------------------------------------ */
/* Rules */

bool mock_rule_take(const char *model, size_t len, struct mock_rule *out)
{
    bool found = false;

    if (model == NULL || atomic_load_explicit(&mock_nrules, memory_order_relaxed) == 0)
        return false;
    uv_mutex_lock(&rules_lock);
    for (size_t i = 0; i < nrules; i++) {
        struct mock_rule *r = &rules[i];

        if (strlen(r->model) != len || memcmp(r->model, model, len) != 0)
            continue;
        *out = *r;
        found = true;
        if (r->count > 0 && --r->count == 0) {
            rules[i] = rules[--nrules];
            atomic_store_explicit(&mock_nrules, nrules, memory_order_relaxed);
        }
        break;
    }
    uv_mutex_unlock(&rules_lock);
    return found;
}

static long int_field(const json_t *o, const char *k, long lo, long hi, bool *bad)
{
    const json_t *v = json_object_get(o, k);
    double d;

    if (v == NULL || json_is_null(v))
        return -1;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v))
        d = json_real_value(v);
    else if (json_is_string(v) && lmx_parse_double(json_string_value(v), &d) == 0)
        ;
    else {
        *bad = true;
        return -1;
    }
    if (d < (double)lo || d > (double)hi) {
        *bad = true;
        return -1;
    }
    return (long)d;
}

static bool str_field(const json_t *o, const char *k, char *dst, size_t cap, bool *bad)
{
    const json_t *v = json_object_get(o, k);

    dst[0] = '\0';
    if (v == NULL || json_is_null(v))
        return false;
    if (json_is_integer(v)) {
        snprintf(dst, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap) {
        *bad = true;
        return false;
    }
    copy_str(dst, cap, json_string_value(v), json_string_length(v));
    return true;
}

/* Reads a rule from a JSON body. Returns NULL or a message saying what is wrong. */
static const char *rule_parse(const char *body, size_t len, struct mock_rule *r)
{
    json_t *o = json_loadb(body, len, 0, NULL);
    const json_t *m;
    const char *why = NULL;
    bool bad = false;

    memset(r, 0, sizeof(*r));
    if (!json_is_object(o)) {
        why = "the body must be a JSON object";
        goto out;
    }
    m = json_object_get(o, "model");
    if (!json_is_string(m) || json_string_length(m) == 0 ||
        json_string_length(m) >= sizeof(r->model)) {
        why = "\"model\" must be a non-empty string (at most 127 bytes)";
        goto out;
    }
    copy_str(r->model, sizeof(r->model), json_string_value(m), json_string_length(m));
    r->status = int_field(o, "status", 100, 999, &bad);
    r->latency_ms = int_field(o, "latency_ms", 0, 86400000, &bad);
    r->count = int_field(o, "count", 1, 1000000000, &bad);
    if (r->count < 0)
        r->count = 0;
    str_field(o, "fault", r->fault, sizeof(r->fault), &bad);
    str_field(o, "retry_after", r->retry_after, sizeof(r->retry_after), &bad);
    str_field(o, "error_message", r->err_msg, sizeof(r->err_msg), &bad);
    str_field(o, "error_code", r->err_code, sizeof(r->err_code), &bad);
    if (bad)
        why = "bad field value (status 100-999, latency_ms >= 0, count >= 1, strings)";
    else if (r->fault[0] != '\0' && !mock_fault_valid(r->fault, strlen(r->fault)))
        why = "unknown fault (none, reset, hang, malformed, disconnect[:K], slow-headers:MS)";
out:
    json_decref(o);
    return why;
}

static int rule_json(struct lmx_buf *b, const struct mock_rule *r)
{
    int err = lmx_buf_puts(b, "{\"model\":");

    if (err == 0)
        err = lmx_buf_json_str(b, r->model, strlen(r->model));
    if (err == 0 && r->status >= 0)
        err = lmx_buf_printf(b, ",\"status\":%ld", r->status);
    if (err == 0 && r->latency_ms >= 0)
        err = lmx_buf_printf(b, ",\"latency_ms\":%ld", r->latency_ms);
    if (err == 0 && r->count > 0)
        err = lmx_buf_printf(b, ",\"count\":%ld", r->count);
    if (err == 0 && r->fault[0] != '\0') {
        err = lmx_buf_puts(b, ",\"fault\":");
        if (err == 0)
            err = lmx_buf_json_str(b, r->fault, strlen(r->fault));
    }
    if (err == 0 && r->retry_after[0] != '\0') {
        err = lmx_buf_puts(b, ",\"retry_after\":");
        if (err == 0)
            err = lmx_buf_json_str(b, r->retry_after, strlen(r->retry_after));
    }
    if (err == 0)
        err = lmx_buf_puts(b, "}");
    return err;
}

/* {"rules":[...]}; the caller holds rules_lock. */
static int rules_json(struct lmx_buf *b)
{
    int err = lmx_buf_puts(b, "{\"rules\":[");

    for (size_t i = 0; err == 0 && i < nrules; i++) {
        if (i > 0)
            err = lmx_buf_puts(b, ",");
        if (err == 0)
            err = rule_json(b, &rules[i]);
    }
    if (err == 0)
        err = lmx_buf_puts(b, "]}");
    return err;
}

static void send_text(struct lmx_http_req *req, int status, const char *s)
{
    lmx_http_res_send(req, status, NULL, 0, "application/json", s, strlen(s));
}

static void send_error(struct mock_worker *w, struct lmx_http_req *req, int status, const char *msg)
{
    struct lmx_buf *b = &w->scratch;

    lmx_buf_reset(b);
    if (mock_body_error(b, msg, "invalid_request_error", NULL) < 0) {
        send_text(req, 503, "{}");
        return;
    }
    lmx_http_res_send(req, status, NULL, 0, "application/json", b->data, b->len);
}

static void route_fail(struct mock_worker *w, struct lmx_http_req *req)
{
    struct lmx_buf *b = &w->scratch;
    struct mock_rule r;
    const char *why, *only;
    int status = 200, err;

    lmx_buf_reset(b);
    switch (req->method) {
    case LMX_HTTP_POST:
        why = rule_parse(req->body.data, req->body.len, &r);
        if (why != NULL) {
            send_error(w, req, 400, why);
            return;
        }
        uv_mutex_lock(&rules_lock);
        {
            size_t i;

            for (i = 0; i < nrules; i++)
                if (strcmp(rules[i].model, r.model) == 0)
                    break;
            if (i < nrules)
                rules[i] = r;
            else if (nrules < MOCK_MAX_RULES)
                rules[nrules++] = r;
            else
                status = 409;
        }
        atomic_store_explicit(&mock_nrules, nrules, memory_order_relaxed);
        break;
    case LMX_HTTP_DELETE:
        only = lmx_http_req_query(req, "model");
        uv_mutex_lock(&rules_lock);
        for (size_t i = 0; i < nrules;) {
            if (only == NULL || strcmp(rules[i].model, only) == 0)
                rules[i] = rules[--nrules];
            else
                i++;
        }
        atomic_store_explicit(&mock_nrules, nrules, memory_order_relaxed);
        break;
    case LMX_HTTP_GET:
        uv_mutex_lock(&rules_lock);
        break;
    default:
        send_text(req, 405, "{\"error\":{\"message\":\"method not allowed\"}}");
        return;
    }
    err = rules_json(b);
    uv_mutex_unlock(&rules_lock);
    if (status == 409) {
        send_error(w, req, 409, "too many rules");
        return;
    }
    if (err < 0) {
        send_text(req, 503, "{}");
        return;
    }
    lmx_http_res_send(req, status, NULL, 0, "application/json", b->data, b->len);
}

static uint64_t query_u64(struct lmx_http_req *req, const char *name)
{
    const char *v = lmx_http_req_query(req, name);

    return v != NULL ? strtoull(v, NULL, 10) : 0;
}

static void route_log(struct mock_worker *w, struct lmx_http_req *req)
{
    struct lmx_buf *b = &w->scratch;

    if (req->method != LMX_HTTP_GET) {
        send_text(req, 405, "{\"error\":{\"message\":\"method not allowed\"}}");
        return;
    }
    lmx_buf_reset(b);
    if (log_json(b, query_u64(req, "since"), query_u64(req, "limit")) < 0) {
        send_text(req, 503, "{}");
        return;
    }
    lmx_http_res_send(req, 200, NULL, 0, "application/json", b->data, b->len);
}

bool mock_control_route(struct mock_worker *w, struct lmx_http_req *req)
{
    const char *p = req->path + 5; /* after "/mock" */

    if (strcmp(p, "/log") == 0) {
        route_log(w, req);
        return true;
    }
    if (strcmp(p, "/fail") == 0) {
        route_fail(w, req);
        return true;
    }
    return false;
}
