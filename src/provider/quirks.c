/*
 * provider/quirks.c - the fixes for OpenAI-compatible providers whose answers
 * differ from OpenAI's in ways a client notices, and their credential header.
 *
 * Which provider has which quirk is data in the preset table
 * (config/providers.c); this file only knows how to apply a fix. Every
 * function is pure (no I/O, no global state): the proxy calls them on the
 * events it relays, and on the request bodies it sends on the fast path when
 * a provider's rules differ from OpenAI's (Mistral's tool-call ids). Not here:
 * parameter maps of families with their own wire format (the adapters).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "provider/params.h"
#include "provider/quirks.h"

unsigned lmx_quirks_for(const struct lmx_deployment *d)
{
    unsigned f;

    if (d == NULL || d->provider == NULL)
        return 0;
    f = lmx_preset_flags(d->provider);
    if ((strcmp(d->provider, "openai") == 0 || strcmp(d->provider, "custom_openai") == 0 ||
         strcmp(d->provider, "openai_like") == 0) &&
        d->api_base != NULL) {
        unsigned b = lmx_preset_flags_by_base(d->api_base);

        if (b != 0)
            f = b;
    }
    return f & ~0xffu; /* config/'s own bits are no business of the caller */
}

/* ------------------------------------------------------------------------ */
/* Chunk fixes */

static bool usage_missing(const json_t *o)
{
    const json_t *u = json_object_get(o, "usage");

    return u == NULL || json_is_null(u);
}

/* Moonshot: {"choices":[{...,"usage":{...}}]} -> the usage at the top level. */
static int lift_choice_usage(json_t *chunk)
{
    json_t *choices = json_object_get(chunk, "choices");
    size_t i;
    json_t *ch;
    int n = 0;

    json_array_foreach(choices, i, ch) {
        json_t *u = json_object_get(ch, "usage");

        if (!json_is_object(u))
            continue;
        if (usage_missing(chunk)) {
            if (json_object_set(chunk, "usage", u) < 0)
                return LMX_ENOMEM;
        }
        json_object_del(ch, "usage"); /* OpenAI's choices carry no usage */
        n++;
    }
    return n;
}

/* Groq: {"x_groq":{"usage":{...}}} -> also the top-level usage. */
static int lift_xgroq_usage(json_t *chunk)
{
    json_t *u = json_object_get(json_object_get(chunk, "x_groq"), "usage");

    if (!json_is_object(u) || !usage_missing(chunk))
        return 0;
    return json_object_set(chunk, "usage", u) < 0 ? LMX_ENOMEM : 1;
}

static bool is_empty_string(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) == 0;
}

/* Qwen: later tool-call deltas repeat "id":"" (and an empty name): dropped. */
static int drop_empty_tool_ids(json_t *delta)
{
    json_t *calls = json_object_get(delta, "tool_calls");
    size_t i;
    json_t *tc;
    int n = 0;

    json_array_foreach(calls, i, tc) {
        json_t *fn = json_object_get(tc, "function");

        if (is_empty_string(json_object_get(tc, "id"))) {
            json_object_del(tc, "id");
            n++;
            /* OpenAI sends the type only with the id */
            if (json_object_get(tc, "type") != NULL) {
                json_object_del(tc, "type");
                n++;
            }
        }
        if (json_is_object(fn) && is_empty_string(json_object_get(fn, "name"))) {
            json_object_del(fn, "name");
            n++;
        }
    }
    return n;
}

/* delta.reasoning / message.reasoning (a string) -> reasoning_content, as LiteLLM names it. */
static int rename_reasoning(json_t *msg)
{
    json_t *r = json_object_get(msg, "reasoning");
    json_t *rc = json_object_get(msg, "reasoning_content");

    if (!json_is_string(r))
        return 0;
    if (rc == NULL || json_is_null(rc)) {
        if (json_object_set(msg, "reasoning_content", r) < 0)
            return LMX_ENOMEM;
    }
    json_object_del(msg, "reasoning");
    return 1;
}

int lmx_quirk_fix_chunk(unsigned flags, json_t *chunk)
{
    json_t *choices, *ch;
    size_t i;
    int n = 0, k;

    if (!json_is_object(chunk) || (flags & LMX_Q_FIXED) == 0)
        return 0;
    if (flags & LMX_Q_USAGE_IN_CHOICE) {
        k = lift_choice_usage(chunk);
        if (k < 0)
            return k;
        n += k;
    }
    if (flags & LMX_Q_XGROQ_USAGE) {
        k = lift_xgroq_usage(chunk);
        if (k < 0)
            return k;
        n += k;
    }
    choices = json_object_get(chunk, "choices");
    json_array_foreach(choices, i, ch) {
        json_t *msg = json_object_get(ch, "delta");

        if (msg == NULL)
            msg = json_object_get(ch, "message");
        if (!json_is_object(msg))
            continue;
        if (flags & LMX_Q_EMPTY_TOOL_ID)
            n += drop_empty_tool_ids(msg);
        if (flags & LMX_Q_DELTA_REASONING) {
            k = rename_reasoning(msg);
            if (k < 0)
                return k;
            n += k;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* The fast path: decide from the bytes whether a parse is needed at all */

/* True when `key` appears as a member name followed by ':' and (optionally) `value`. */
static bool has_member(const char *p, size_t len, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = value != NULL ? strlen(value) : 0;
    const char *end = p + len;

    while (p < end) {
        const char *k = memmem(p, (size_t)(end - p), key, kl);
        const char *q;

        if (k == NULL)
            return false;
        q = k + kl;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q < end && *q == ':') {
            q++;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
                q++;
            if (vl == 0 || ((size_t)(end - q) >= vl && memcmp(q, value, vl) == 0))
                return true;
        }
        p = k + 1;
    }
    return false;
}

static bool may_need_fix(unsigned flags, const char *data, size_t len)
{
    if ((flags & LMX_Q_USAGE_IN_CHOICE) && has_member(data, len, "\"usage\"", "{"))
        return true;
    if ((flags & LMX_Q_XGROQ_USAGE) && memmem(data, len, "\"x_groq\"", 8) != NULL &&
        has_member(data, len, "\"usage\"", "{"))
        return true;
    if ((flags & LMX_Q_EMPTY_TOOL_ID) &&
        (has_member(data, len, "\"id\"", "\"\"") || has_member(data, len, "\"name\"", "\"\"")))
        return true;
    if ((flags & LMX_Q_DELTA_REASONING) && has_member(data, len, "\"reasoning\"", "\""))
        return true;
    return false;
}

struct dump_ctx {
    struct lmx_buf *out;
    int err;
};

static int dump_cb(const char *p, size_t n, void *ud)
{
    struct dump_ctx *c = ud;

    c->err = lmx_buf_append(c->out, p, n);
    return c->err < 0 ? -1 : 0;
}

int lmx_quirk_fix_event(unsigned flags, const char *data, size_t len, struct lmx_buf *out)
{
    json_t *root;
    struct dump_ctx dc = {out, 0};
    int n;

    if ((flags & LMX_Q_FIXED) == 0 || data == NULL || !may_need_fix(flags, data, len))
        return 0;
    root = json_loadb(data, len, 0, NULL);
    if (root == NULL)
        return 0; /* not JSON (or no memory): relayed as is, the caller checks it */
    n = lmx_quirk_fix_chunk(flags, root);
    if (n > 0) {
        lmx_buf_reset(out);
        if (json_dump_callback(root, dump_cb, &dc, JSON_COMPACT) < 0)
            n = dc.err < 0 ? dc.err : LMX_ENOMEM;
        else
            n = 1;
    }
    json_decref(root);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Credentials */

static int put_line(const char **lines,
                    size_t *n,
                    size_t max,
                    char *store,
                    size_t len,
                    size_t *used,
                    const char *name,
                    const char *scheme,
                    const char *key)
{
    int k;

    if (*n >= max)
        return LMX_ETOOBIG;
    k = snprintf(store + *used, len - *used, "%s: %s%s", name, scheme, key);
    if (k < 0 || (size_t)k >= len - *used)
        return LMX_ETOOBIG;
    lines[(*n)++] = store + *used;
    *used += (size_t)k + 1;
    return 0;
}

int lmx_quirk_auth_lines(
    unsigned flags, const char *key, const char **lines, size_t max, char *store, size_t store_len)
{
    const char *name = "Authorization", *scheme = "Bearer ";
    size_t n = 0, used = 0;
    int err;

    if (key == NULL || key[0] == '\0')
        return 0;
    switch (flags & LMX_AUTH_MASK) {
    case LMX_AUTH_API_KEY:
        name = "api-key", scheme = "";
        break;
    case LMX_AUTH_X_API_KEY:
        name = "x-api-key", scheme = "";
        break;
    case LMX_AUTH_TOKEN:
        scheme = "Token ";
        break;
    case LMX_AUTH_KEY:
        scheme = "Key ";
        break;
    case LMX_AUTH_RAW:
        scheme = "";
        break;
    case LMX_AUTH_APIKEY_SCHEME:
        scheme = "Api-Key ";
        break;
    default:
        break;
    }
    err = put_line(lines, &n, max, store, store_len, &used, name, scheme, key);
    if (err == 0 && (flags & LMX_Q_SUBSCRIPTION_KEY))
        err = put_line(lines, &n, max, store, store_len, &used, "api-subscription-key", "", key);
    return err < 0 ? err : (int)n;
}

/* ------------------------------------------------------------------------ */
/* Request fixes (sent bodies) */

static bool mistral_id_ok(const char *id)
{
    size_t n = 0;

    for (; id[n] != '\0'; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
              (id[n] >= 'A' && id[n] <= 'Z')))
            return false;
    return n == 9;
}

/*
 * A tool-call id as Mistral takes it: a valid one as is, any other as 9
 * base-62 digits of its FNV-1a hash, so that an assistant's call and the tool
 * result naming it still match. Returns 1 when *v was replaced, 0, or LMX_ENOMEM.
 */
static int mistral_id(json_t *obj, const char *key)
{
    static const char digits[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const char *id = json_string_value(json_object_get(obj, key));
    uint64_t h = 14695981039346656037ull;
    char out[10];

    if (id == NULL || mistral_id_ok(id))
        return 0;
    for (const char *p = id; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    for (int i = 0; i < 9; i++) {
        out[i] = digits[h % 62];
        h /= 62;
    }
    out[9] = '\0';
    return json_object_set_new(obj, key, json_string(out)) < 0 ? LMX_ENOMEM : 1;
}

static bool empty_content(const json_t *c)
{
    return c == NULL || json_is_null(c) || (json_is_string(c) && json_string_length(c) == 0) ||
           (json_is_array(c) && json_array_size(c) == 0);
}

/* One message by Mistral's rules; *drop set for an empty assistant turn. */
static int mistral_message(json_t *m, bool *drop)
{
    const char *role = json_string_value(json_object_get(m, "role"));
    bool tool = role != NULL && strcmp(role, "tool") == 0;
    json_t *v, *calls, *c;
    const char *k;
    void *tmp;
    size_t i;
    int n = 0, r;

    *drop = false;
    json_object_foreach_safe(m, tmp, k, v) {
        if (json_is_null(v)) {
            json_object_del(m, k);
            n++;
        }
    }
    v = json_object_get(m, "name");
    if (v != NULL && (!tool || !json_is_string(v) || json_string_length(v) == 0)) {
        json_object_del(m, "name");
        n++;
    }
    if (tool && (r = mistral_id(m, "tool_call_id")) != 0) {
        if (r < 0)
            return r;
        n++;
    }
    if (role == NULL || strcmp(role, "assistant") != 0)
        return n;
    calls = json_object_get(m, "tool_calls");
    json_array_foreach(calls, i, c) {
        json_object_foreach_safe(c, tmp, k, v) {
            if (strcmp(k, "id") != 0 && strcmp(k, "type") != 0 && strcmp(k, "function") != 0) {
                json_object_del(c, k);
                n++;
            }
        }
        if ((r = mistral_id(c, "id")) < 0)
            return r;
        n += r;
    }
    *drop = empty_content(json_object_get(m, "content")) && json_array_size(calls) == 0 &&
            json_object_get(m, "function_call") == NULL;
    return n;
}

static int mistral_request(json_t *body)
{
    json_t *msgs = json_object_get(body, "messages"), *v;
    int n = 0, r;

    for (size_t i = 0; i < json_array_size(msgs);) {
        bool drop;

        if (!json_is_object(json_array_get(msgs, i))) {
            i++;
            continue;
        }
        r = mistral_message(json_array_get(msgs, i), &drop);
        if (r < 0)
            return r;
        n += r;
        if (drop) {
            json_array_remove(msgs, i);
            n++;
        } else {
            i++;
        }
    }
    v = json_object_get(body, "tool_choice");
    if (json_is_object(v) || (json_is_string(v) && strcmp(json_string_value(v), "required") == 0)) {
        if (json_object_set_new(body, "tool_choice", json_string("any")) < 0)
            return LMX_ENOMEM;
        n++;
    }
    v = json_object_get(body, "seed");
    if (v != NULL) {
        if (json_object_get(body, "random_seed") == NULL &&
            json_object_set(body, "random_seed", v) < 0)
            return LMX_ENOMEM;
        json_object_del(body, "seed");
        n++;
    }
    return n;
}

int lmx_quirk_fix_request_json(unsigned flags, json_t *body)
{
    if (!json_is_object(body))
        return 0;
    if (flags & LMX_Q_MISTRAL_REQUEST)
        return mistral_request(body);
    return 0;
}

/* Whether a Mistral body can need a fix at all: ids, names, nulls, tool_choice, seed, turns. */
static bool request_may_need_fix(unsigned flags, const char *p, size_t len)
{
    static const char *const keys[] = {"\"tool_call", "\"name\"", "null", "\"tool_choice\"",
                                       "\"seed\"", "\"assistant\""};

    if ((flags & LMX_Q_MISTRAL_REQUEST) == 0)
        return false;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(keys); i++)
        if (memmem(p, len, keys[i], strlen(keys[i])) != NULL)
            return true;
    return false;
}

int lmx_quirk_fix_request(unsigned flags, struct lmx_buf *body)
{
    struct lmx_buf out;
    json_t *root;
    int n;

    if ((flags & LMX_Q_REQUEST_FIXED) == 0 || body->data == NULL ||
        !request_may_need_fix(flags, body->data, body->len))
        return 0;
    root = json_loadb(body->data, body->len, 0, NULL);
    if (root == NULL)
        return 0;
    n = lmx_quirk_fix_request_json(flags, root);
    if (n > 0) {
        lmx_buf_init(&out, body->max);
        n = lmx_json_append(root, &out); /* reals as the client's numbers, not 17 digits */
        if (n == 0) {
            lmx_buf_release(body);
            *body = out;
            out.data = NULL;
            n = 1;
        }
        lmx_buf_release(&out);
    }
    json_decref(root);
    return n;
}
