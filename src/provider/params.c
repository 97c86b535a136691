/*
 * provider/params.c - the shared parameter lists and adapter helpers.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "provider/params.h"

/* clang-format off */
static const char *const internal_keys[] = {
    "metadata", "fallbacks", "num_retries", "timeout", "mock_response", "mock_testing_fallbacks",
    "mock_testing_rate_limit_error", "mock_timeout", "cache", "caching", "drop_params", "api_key",
    "api_base", "api_version", "litellm_logging_obj", "proxy_server_request", "secret_fields",
    "context_window_fallbacks", "content_policy_fallbacks", "tags", "litellm_metadata",
    "litellm_call_id", "additional_drop_params", "user_config", "extra_headers", "base_model",
    "guardrails", "prompt_id", "prompt_variables", "prompt_version", "max_retries",
};

static const char *const not_defaults[] = {
    "model", "api_key", "api_base", "api_version", "organization", "rpm", "tpm", "weight",
    "order", "timeout", "stream_timeout", "num_retries", "max_parallel_requests",
    "input_cost_per_second", "output_cost_per_second", "region_name", "max_budget",
    "budget_duration", "tags", "drop_params", "mock_response", "use_in_pass_through",
    "custom_llm_provider", "cooldown_time", "additional_drop_params", "mock_timeout",
    "merge_reasoning_content_in_choices", "health_check_timeout",
    "configurable_clientside_auth_params", "stream", "max_retries", "model_info",
    "deployment_id", "tenant_id", "client_id", "client_secret", "api_type", "extra_headers",
};
/* clang-format on */

bool lmx_param_in(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

bool lmx_param_internal(const char *k)
{
    return lmx_param_in(k, internal_keys, LMX_ARRAY_SIZE(internal_keys)) ||
           strncmp(k, "litellm_", 8) == 0 || strncmp(k, "mock_", 5) == 0;
}

bool lmx_param_dropped(const struct lmx_deployment *d, const char *k)
{
    json_t *a = json_object_get(d->litellm_params, "additional_drop_params");
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), k) == 0)
            return true;
    }
    return false;
}

bool lmx_param_not_default(const char *k)
{
    /* credentials, endpoints and prices of any provider family */
    static const char *const prefixes[] = {"aws_",       "vertex_",      "azure_",
                                           "watsonx_",   "api_",         "litellm_",
                                           "oci_",       "snowflake_",   "databricks_",
                                           "input_cost", "output_cost"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(prefixes); i++)
        if (strncmp(k, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return lmx_param_in(k, not_defaults, LMX_ARRAY_SIZE(not_defaults));
}

void lmx_perr_set(struct lmx_perr *e, int status, const char *type, const char *param,
                  const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

int lmx_perr_fail(struct lmx_perr *e, int rc, int status, const char *type, const char *fmt, ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    e->param[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return rc;
}

int lmx_perr_bad(struct lmx_perr *e, const char *param, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return LMX_EBADREQ;
    e->status = 400;
    snprintf(e->type, sizeof(e->type), "invalid_request_error");
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return LMX_EBADREQ;
}

bool lmx_streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool lmx_json_present(const json_t *v)
{
    return v != NULL && !json_is_null(v);
}

void lmx_json_put_flag(json_t *o, const char *k, json_t *v, bool *bad)
{
    if (json_object_set_new(o, k, v) < 0)
        *bad = true;
}

void lmx_json_push_flag(json_t *a, json_t *v, bool *bad)
{
    if (json_array_append_new(a, v) < 0)
        *bad = true;
}

int lmx_content_text(const json_t *c, struct lmx_buf *b)
{
    size_t i;
    const json_t *p;

    if (json_is_string(c))
        return lmx_buf_append(b, json_string_value(c), json_string_length(c));
    json_array_foreach(c, i, p) {
        const json_t *t = json_object_get(p, "text");

        if (json_is_string(t) && lmx_buf_append(b, json_string_value(t), json_string_length(t)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

const char *lmx_json_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s != NULL && *s != '\0' ? s : NULL;
}

int lmx_param_unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k,
                          const char *provider_name)
{
    if (pc->drop_params)
        return 0;
    lmx_perr_set(err, 400, "invalid_request_error", k,
                 "%s does not support parameter '%s' (model=%s). To drop unsupported "
                 "parameters, set `drop_params: true` in litellm_settings, on the deployment "
                 "or in the request",
                 provider_name, k, pc->model);
    return LMX_EBADPARAM;
}

static int dump_cb(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

int lmx_json_append(const json_t *o, struct lmx_buf *b)
{
    /* 15 digits: 0.9 goes out as 0.9, as the client wrote it, not 0.90000000000000002 */
    return json_dump_callback(o, dump_cb, b, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0
               ? LMX_ENOMEM
               : 0;
}

int lmx_json_put(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v) < 0 ? LMX_ENOMEM : 0;
}

long long lmx_json_int(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return 0;
}

json_t *lmx_param_call(const struct lmx_pcall *pc)
{
    json_t *p = json_object();
    json_t *lp = pc->dep != NULL ? pc->dep->litellm_params : NULL;
    json_t *adp = json_object_get(lp, "additional_drop_params");
    const char *k;
    json_t *v;

    if (p == NULL)
        return NULL;
    json_object_foreach((json_t *)pc->req, k, v) {
        if (!json_is_null(v) && json_object_set(p, k, v) < 0)
            goto fail;
    }
    json_object_foreach(lp, k, v) {
        if (json_is_null(v) || lmx_param_not_default(k) || json_object_get(p, k) != NULL)
            continue;
        if (json_object_set(p, k, v) < 0)
            goto fail;
    }
    for (size_t i = 0; json_is_array(adp) && i < json_array_size(adp); i++) {
        const char *s = json_string_value(json_array_get(adp, i));

        if (s != NULL)
            json_object_del(p, s);
    }
    return p;
fail:
    json_decref(p);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Reading stream events without a parse */

#define JF_MAX_DEPTH 32

static size_t jf_ws(const char *t, size_t i, size_t n)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

static int jf_hex4(const char *t, size_t i, size_t n, unsigned *out)
{
    unsigned u = 0;

    if (n - i < 4)
        return -1;
    for (size_t k = 0; k < 4; k++) {
        char c = t[i + k];

        u <<= 4;
        if (c >= '0' && c <= '9')
            u |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            u |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            u |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = u;
    return 0;
}

/* Length of the valid UTF-8 sequence at t[i] (first byte >= 0x80), or 0. */
static size_t jf_utf8(const unsigned char *t, size_t i, size_t n)
{
    unsigned c = t[i], v;
    size_t len;

    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n - i < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((t[i + k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (t[i + k] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return len;
}

/*
 * t[i] is the opening quote: returns the index after the closing one, or 0
 * for anything jansson would refuse (or that we decline: a key with escapes).
 */
static size_t jf_string(const char *t, size_t i, size_t n, bool key)
{
    const unsigned char *u = (const unsigned char *)t;

    for (i++; i < n; i++) {
        unsigned c = u[i];

        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c >= 0x80) {
            size_t l = jf_utf8(u, i, n);

            if (l == 0)
                return 0;
            i += l - 1;
            continue;
        }
        if (c != '\\')
            continue;
        if (key || ++i >= n)
            return 0;
        switch (t[i]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
        case 'u': {
            unsigned cp, lo;

            if (jf_hex4(t, i + 1, n, &cp) < 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return 0;
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (n - i < 7 || t[i + 1] != '\\' || t[i + 2] != 'u' ||
                    jf_hex4(t, i + 3, n, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return 0;
                i += 6;
            }
            break;
        }
        default:
            return 0;
        }
    }
    return 0;
}

/* A number at t[i]: the index after it, or 0 (bad, or one we decline). */
static size_t jf_number(const char *t, size_t i, size_t n)
{
    size_t start = i, digits = 0, edigits = 0;
    bool real = false;

    if (i < n && t[i] == '-')
        i++;
    if (i >= n || t[i] < '0' || t[i] > '9')
        return 0;
    if (t[i] == '0') {
        i++;
        digits = 1;
        if (i < n && t[i] >= '0' && t[i] <= '9')
            return 0;
    } else {
        while (i < n && t[i] >= '0' && t[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (i < n && t[i] == '.') {
        real = true;
        i++;
        if (i >= n || t[i] < '0' || t[i] > '9')
            return 0;
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        real = true;
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        while (i < n && t[i] >= '0' && t[i] <= '9') {
            i++;
            edigits++;
        }
        if (edigits == 0 || edigits > 2)
            return 0;
    }
    if (real ? i - start > 32 : digits > 18)
        return 0; /* might overflow: jansson decides */
    return i;
}

static size_t jf_value(const char *t, size_t i, size_t n, int depth);

/* A container at t[i] ('{' or '['): the index after it, or 0. */
static size_t jf_container(const char *t, size_t i, size_t n, int depth)
{
    bool obj = t[i] == '{';
    char close = obj ? '}' : ']';

    if (depth >= JF_MAX_DEPTH)
        return 0;
    i = jf_ws(t, i + 1, n);
    if (i < n && t[i] == close)
        return i + 1;
    while (i < n) {
        if (obj) {
            if (t[i] != '"' || (i = jf_string(t, i, n, true)) == 0)
                return 0;
            i = jf_ws(t, i, n);
            if (i >= n || t[i] != ':')
                return 0;
            i = jf_ws(t, i + 1, n);
        }
        if ((i = jf_value(t, i, n, depth + 1)) == 0)
            return 0;
        i = jf_ws(t, i, n);
        if (i >= n)
            return 0;
        if (t[i] == close)
            return i + 1;
        if (t[i] != ',')
            return 0;
        i = jf_ws(t, i + 1, n);
    }
    return 0;
}

static size_t jf_literal(const char *t, size_t i, size_t n, const char *lit, size_t len)
{
    if (n - i < len || memcmp(t + i, lit, len) != 0)
        return 0;
    i += len;
    if (i < n && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
        return 0;
    return i;
}

static size_t jf_value(const char *t, size_t i, size_t n, int depth)
{
    if (i >= n)
        return 0;
    switch (t[i]) {
    case '"':
        return jf_string(t, i, n, false);
    case '{':
    case '[':
        return jf_container(t, i, n, depth);
    case 't':
        return jf_literal(t, i, n, "true", 4);
    case 'f':
        return jf_literal(t, i, n, "false", 5);
    case 'n':
        return jf_literal(t, i, n, "null", 4);
    default:
        return jf_number(t, i, n);
    }
}

int lmx_jfast_check(const char *text, size_t n)
{
    size_t i = jf_ws(text, 0, n);

    if (i >= n || text[i] != '{' || (i = jf_container(text, i, n, 0)) == 0)
        return LMX_DECLINED;
    return jf_ws(text, i, n) == n ? 0 : LMX_DECLINED;
}

/* In checked text: the index after the string at t[i] (its opening quote). */
static size_t jf_skip_string(const char *t, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        const char *q = memchr(t + i, '"', n - i);
        size_t bs = 0;

        if (q == NULL)
            return n;
        i = (size_t)(q - t);
        while (t[i - 1 - bs] == '\\') /* the opening quote stops this */
            bs++;
        if (bs % 2 == 0)
            return i + 1;
    }
    return n;
}

/* In checked text: the index after the value at t[i]. */
static size_t jf_skip(const char *t, size_t i, size_t n)
{
    int depth = 0;

    if (t[i] == '"')
        return jf_skip_string(t, i, n);
    if (t[i] != '{' && t[i] != '[') {
        while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
               t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
            i++;
        return i;
    }
    while (i < n) {
        char c = t[i];

        if (c == '"') {
            i = jf_skip_string(t, i, n);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return n;
}

static bool held(const json_t *v)
{
    return v != NULL && v->refcount != 1;
}

bool lmx_chunk_env_held(const json_t *env)
{
    const json_t *choices = json_object_get(env, "choices");

    return env == NULL || held(env) || held(choices) || held(json_array_get(choices, 0));
}

enum lmx_jkind lmx_jfast_kind(const char *v, size_t vn)
{
    if (v == NULL || vn == 0)
        return LMX_JK_NONE;
    switch (v[0]) {
    case '"':
        return LMX_JK_STRING;
    case '{':
        return LMX_JK_OBJECT;
    case '[':
        return LMX_JK_ARRAY;
    case 't':
        return LMX_JK_TRUE;
    case 'f':
        return LMX_JK_FALSE;
    case 'n':
        return LMX_JK_NULL;
    default:
        return memchr(v, '.', vn) != NULL || memchr(v, 'e', vn) != NULL ||
                       memchr(v, 'E', vn) != NULL
                   ? LMX_JK_REAL
                   : LMX_JK_INT;
    }
}

void lmx_jfast_getv(const char *o, size_t on, const char *const *keys, size_t nkeys,
                    struct lmx_jval *out)
{
    size_t i;

    memset(out, 0, nkeys * sizeof(*out));
    if (o == NULL)
        return;
    i = jf_ws(o, 0, on);
    if (i >= on || o[i] != '{')
        return;
    i = jf_ws(o, i + 1, on);
    while (i < on && o[i] == '"') {
        size_t ks = i + 1, ke = jf_skip_string(o, i, on) - 1, vs;

        i = jf_ws(o, ke + 1, on);
        vs = i = jf_ws(o, i + 1, on); /* past ':' */
        i = jf_skip(o, i, on);
        for (size_t k = 0; k < nkeys; k++) {
            if ((ke == ks || keys[k][0] == o[ks]) && strncmp(keys[k], o + ks, ke - ks) == 0 &&
                keys[k][ke - ks] == '\0') {
                out[k].v = o + vs;
                out[k].n = i - vs;
            }
        }
        i = jf_ws(o, i, on);
        if (i < on && o[i] == ',')
            i = jf_ws(o, i + 1, on);
    }
}

enum lmx_jkind lmx_jfast_get(const char *o, size_t on, const char *key, const char **v,
                             size_t *vn)
{
    struct lmx_jval r;

    lmx_jfast_getv(o, on, &key, 1, &r);
    *v = r.v;
    *vn = r.n;
    return lmx_jfast_kind(r.v, r.n);
}

long long lmx_jfast_int(const char *v, size_t vn)
{
    long long x = 0;
    size_t i = 0;
    bool neg = false;

    if (lmx_jfast_kind(v, vn) != LMX_JK_INT)
        return 0;
    if (v[0] == '-') {
        neg = true;
        i++;
    }
    for (; i < vn; i++)
        x = x * 10 + (v[i] - '0');
    return neg ? -x : x;
}

/* Appends code point cp as UTF-8. */
static int jf_put_utf8(struct lmx_buf *b, unsigned cp)
{
    char s[4];
    size_t n;

    if (cp < 0x80) {
        s[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return lmx_buf_append(b, s, n);
}

int lmx_jfast_str(const char *v, size_t vn, struct lmx_buf *b)
{
    size_t i = 1, end = vn - 1; /* inside the quotes */
    int rc = 0;

    lmx_buf_reset(b);
    while (rc == 0 && i < end) {
        const char *bs = memchr(v + i, '\\', end - i);
        size_t run = bs != NULL ? (size_t)(bs - v) - i : end - i;
        unsigned cp = 0, lo = 0;
        char c;

        if (run > 0 && (rc = lmx_buf_append(b, v + i, run)) < 0)
            break;
        i += run;
        if (i >= end)
            break;
        c = v[i + 1]; /* checked: a valid escape follows */
        i += 2;
        switch (c) {
        case 'b': rc = lmx_buf_append(b, "\b", 1); break;
        case 'f': rc = lmx_buf_append(b, "\f", 1); break;
        case 'n': rc = lmx_buf_append(b, "\n", 1); break;
        case 'r': rc = lmx_buf_append(b, "\r", 1); break;
        case 't': rc = lmx_buf_append(b, "\t", 1); break;
        case 'u':
            jf_hex4(v, i, vn, &cp);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                jf_hex4(v, i + 2, vn, &lo);
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            rc = jf_put_utf8(b, cp);
            break;
        default: /* " \ / */
            rc = lmx_buf_append(b, &c, 1);
            break;
        }
    }
    if (rc == 0)
        rc = lmx_buf_append(b, "", 0);
    return rc < 0 ? rc : 0;
}

bool lmx_jfast_next(const char *a, size_t an, size_t *pos, const char **v, size_t *vn)
{
    size_t i = *pos;

    if (a == NULL || an == 0 || a[0] != '[')
        return false;
    i = jf_ws(a, i == 0 ? 1 : i, an);
    if (i < an && a[i] == ',')
        i = jf_ws(a, i + 1, an);
    if (i >= an || a[i] == ']')
        return false;
    *v = a + i;
    *pos = jf_skip(a, i, an);
    *vn = *pos - i;
    return true;
}
