/*
 * route/retry.c - error classes, retry counts, cooldown decisions, backoff
 * and fallback lists, as LiteLLM's router does them (COMPAT.md §3.3).
 */
#include "core/lmx.h"

#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/util.h"
#include "route/retry.h"

static const char *const names[LMX_EC_N] = {
    [LMX_EC_BADREQ] = "BadRequestError",
    [LMX_EC_AUTH] = "AuthenticationError",
    [LMX_EC_NOTFOUND] = "NotFoundError",
    [LMX_EC_TIMEOUT] = "Timeout",
    [LMX_EC_RATELIMIT] = "RateLimitError",
    [LMX_EC_CONTENT_POLICY] = "ContentPolicyViolationError",
    [LMX_EC_CONTEXT_WINDOW] = "ContextWindowExceededError",
    [LMX_EC_SERVER] = "InternalServerError",
    [LMX_EC_CONNECT] = "APIConnectionError",
};

const char *lmx_route_class_name(enum lmx_errclass cls)
{
    return cls > LMX_EC_NONE && cls < LMX_EC_N ? names[cls] : "APIError";
}

static bool has(const char *body, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    if (body == NULL || len < n)
        return false;
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(body + i, needle, n) == 0)
            return true;
    return false;
}

enum lmx_errclass lmx_route_classify(int err, long status, const char *body, size_t len)
{
    if (err == LMX_ETIMEOUT || err == LMX_EGWTIMEOUT)
        return LMX_EC_TIMEOUT;
    if (err == LMX_ECONNECT)
        return LMX_EC_CONNECT;
    if (err != 0 && status < 400)
        return err == LMX_EUPSTREAM ? LMX_EC_CONNECT : LMX_EC_SERVER;
    if (status == 401 || status == 403)
        return LMX_EC_AUTH;
    if (status == 404)
        return LMX_EC_NOTFOUND;
    if (status == 408)
        return LMX_EC_TIMEOUT;
    if (status == 429)
        return LMX_EC_RATELIMIT;
    if (status == 409 || status >= 500)
        return LMX_EC_SERVER;
    if (status >= 400) {
        if (has(body, len, "context_length_exceeded") || has(body, len, "context length") ||
            has(body, len, "context window") || has(body, len, "too many tokens") ||
            has(body, len, "prompt is too long") || has(body, len, "maximum context"))
            return LMX_EC_CONTEXT_WINDOW;
        if (has(body, len, "content_filter") || has(body, len, "content_policy") ||
            has(body, len, "content management policy") ||
            has(body, len, "ResponsibleAIPolicyViolation"))
            return LMX_EC_CONTENT_POLICY;
        return LMX_EC_BADREQ;
    }
    return LMX_EC_SERVER;
}

static bool transient(enum lmx_errclass cls)
{
    return cls == LMX_EC_TIMEOUT || cls == LMX_EC_RATELIMIT || cls == LMX_EC_SERVER ||
           cls == LMX_EC_CONNECT;
}

int lmx_route_retries_for(const struct lmx_router_cfg *rc, enum lmx_errclass cls,
                          int num_retries)
{
    if (rc != NULL && cls > LMX_EC_NONE && cls < LMX_EC_N && rc->retry_policy[cls] >= 0)
        return rc->retry_policy[cls];
    if (rc != NULL && cls == LMX_EC_CONNECT && rc->retry_policy[LMX_EC_SERVER] >= 0)
        return rc->retry_policy[LMX_EC_SERVER];
    return transient(cls) ? num_retries : 0;
}

static double cooldown_of(const struct lmx_router_cfg *rc, const struct lmx_deployment *d)
{
    return d->cooldown_time >= 0 ? d->cooldown_time : rc->cooldown_time;
}

bool lmx_route_maybe_cool(const struct lmx_router_cfg *rc, const struct lmx_deployment *d,
                          size_t group_size, enum lmx_errclass cls, long status,
                          uint64_t now_ms)
{
    struct lmx_dstate *st = d->state;
    unsigned fails;
    int allowed;
    double secs;

    if (rc == NULL || st == NULL || rc->disable_cooldowns || group_size <= 1)
        return false;
    if (cls == LMX_EC_BADREQ || cls == LMX_EC_CONTEXT_WINDOW || cls == LMX_EC_CONTENT_POLICY ||
        cls <= LMX_EC_NONE || cls >= LMX_EC_N)
        return false;
    secs = cooldown_of(rc, d);
    if (secs <= 0)
        return false;
    if (cls != LMX_EC_AUTH && cls != LMX_EC_NOTFOUND) {
        /* transient: only once this minute's failures pass the allowance */
        if (rc->allowed_fails_policy[cls] >= 0) {
            allowed = rc->allowed_fails_policy[cls];
            fails = atomic_load_explicit(&st->class_fails[cls], memory_order_relaxed);
        } else {
            allowed = rc->allowed_fails;
            fails = atomic_load_explicit(&st->fails, memory_order_relaxed);
        }
        if ((int)fails <= allowed)
            return false;
    }
    lmx_dstate_cool_until(st, now_ms + (uint64_t)(secs * 1000.0), (int)status, true);
    return true;
}

double lmx_route_backoff(const struct lmx_router_cfg *rc, int k, double retry_after_hdr)
{
    double base = 0.5, wait;

    for (int i = 0; i < k && base < 8; i++)
        base *= 2;
    wait = base * (0.75 + 0.5 * lmx_rand01());
    if (wait > 8)
        wait = 8;
    if (retry_after_hdr > 0)
        wait = LMX_MAX(wait, LMX_MIN(retry_after_hdr, 60.0));
    if (rc != NULL && rc->retry_after > wait)
        wait = rc->retry_after;
    return wait;
}

json_t *lmx_route_fallbacks(const struct lmx_router_cfg *rc, const char *group,
                            enum lmx_errclass cls, json_t *request_fallbacks)
{
    json_t *l = NULL;

    if (cls == LMX_EC_BADREQ)
        return NULL; /* the caller's request is wrong: another group will not help */
    if (json_is_array(request_fallbacks) && json_array_size(request_fallbacks) > 0)
        return request_fallbacks;
    if (rc == NULL)
        return NULL;
    if (cls == LMX_EC_CONTEXT_WINDOW)
        return lmx_route_fallbacks_for(rc->context_window_fallbacks, group);
    if (cls == LMX_EC_CONTENT_POLICY)
        return lmx_route_fallbacks_for(rc->content_policy_fallbacks, group);
    l = lmx_route_fallbacks_for(rc->fallbacks, group);
    if (l == NULL && json_is_array(rc->default_fallbacks))
        l = rc->default_fallbacks;
    return l;
}
