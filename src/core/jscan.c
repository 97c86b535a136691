/*
 * core/jscan.c - a minimal scanner over the top level of a JSON object.
 *
 * It skips values without building them: strings (with escapes), nested
 * objects and arrays (by depth, strings honoured), and scalars. Keys are
 * compared in their raw form, so a key written with escapes is not matched
 * (clients do not escape plain ASCII keys).
 */
#include "core/lmx.h"

#include <string.h>

#include "core/err.h"
#include "core/jscan.h"

static size_t skip_ws(const char *t, size_t i, size_t n)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* i at the opening quote; returns the index after the closing quote, or n on error */
static size_t skip_string(const char *t, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        const char *q = memchr(t + i, '"', n - i);
        size_t bs = 0;

        if (q == NULL)
            return n;
        i = (size_t)(q - t);
        while (bs < i && t[i - 1 - bs] == '\\')
            bs++;
        if (bs % 2 == 0)
            return i + 1;
    }
    return n;
}

static size_t skip_value(const char *t, size_t i, size_t n)
{
    int depth = 0;

    if (i >= n)
        return n;
    if (t[i] == '"')
        return skip_string(t, i, n);
    if (t[i] != '{' && t[i] != '[') {
        while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
               t[i] != '\n' && t[i] != '\r' && t[i] != '\t')
            i++;
        return i;
    }
    while (i < n) {
        char ch = t[i];

        if (ch == '"') {
            i = skip_string(t, i, n);
            continue;
        }
        if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']') {
            depth--;
            if (depth == 0)
                return i + 1;
        }
        i++;
    }
    return n;
}

/* Calls fn for each top-level member; stops when fn returns nonzero. */
typedef int (*member_fn)(const char *t, const struct lmx_jspan *s, size_t key_len, void *ud);

static int each_member(const char *t, size_t n, member_fn fn, void *ud, size_t *close_at)
{
    size_t i = skip_ws(t, 0, n);

    if (i >= n || t[i] != '{')
        return LMX_EBADJSON;
    i = skip_ws(t, i + 1, n);
    while (i < n && t[i] != '}') {
        struct lmx_jspan s;
        size_t kend;

        if (t[i] != '"')
            return LMX_EBADJSON;
        s.member_start = i;
        kend = skip_string(t, i, n);
        if (kend >= n)
            return LMX_EBADJSON;
        i = skip_ws(t, kend, n);
        if (i >= n || t[i] != ':')
            return LMX_EBADJSON;
        i = skip_ws(t, i + 1, n);
        s.value_start = i;
        i = skip_value(t, i, n);
        if (i >= n)
            return LMX_EBADJSON;
        s.value_end = i;
        s.member_end = i;
        if (fn(t, &s, kend - s.member_start - 2, ud))
            return 0;
        i = skip_ws(t, i, n);
        if (i < n && t[i] == ',')
            i = skip_ws(t, i + 1, n);
    }
    if (i >= n)
        return LMX_EBADJSON;
    if (close_at != NULL)
        *close_at = i;
    return LMX_DECLINED; /* walked every member */
}

struct find_ud {
    const char *key;
    size_t key_len;
    struct lmx_jspan *out;
    bool found;
};

static int find_fn(const char *t, const struct lmx_jspan *s, size_t key_len, void *ud)
{
    struct find_ud *f = ud;

    if (key_len == f->key_len && memcmp(t + s->member_start + 1, f->key, key_len) == 0) {
        *f->out = *s;
        f->found = true;
        return 1;
    }
    return 0;
}

int lmx_jscan_find(const char *text, size_t len, const char *key, struct lmx_jspan *out)
{
    struct find_ud f = {key, strlen(key), out, false};
    int rc = each_member(text, len, find_fn, &f, NULL);

    if (rc == LMX_EBADJSON)
        return rc;
    return f.found ? 0 : LMX_DECLINED;
}

struct rewrite_ud {
    const char *const *drop;
    size_t ndrop;
    const char *set_key;
    size_t set_key_len;
    const char *set_raw;
    size_t set_raw_len;
    bool set_done;
    bool first;
    struct lmx_buf *out;
    int err;
};

static int put_member(struct rewrite_ud *r, const char *k, size_t kl, const char *v, size_t vl)
{
    int err = 0;

    if (!r->first)
        err = lmx_buf_append(r->out, ",", 1);
    if (err == 0)
        err = lmx_buf_append(r->out, k, kl);
    if (err == 0)
        err = lmx_buf_append(r->out, ":", 1);
    if (err == 0)
        err = lmx_buf_append(r->out, v, vl);
    r->first = false;
    return err;
}

static int rewrite_fn(const char *t, const struct lmx_jspan *s, size_t key_len, void *ud)
{
    struct rewrite_ud *r = ud;
    const char *k = t + s->member_start + 1;

    for (size_t i = 0; i < r->ndrop; i++)
        if (strlen(r->drop[i]) == key_len && memcmp(k, r->drop[i], key_len) == 0)
            return 0;
    if (r->set_key != NULL && key_len == r->set_key_len && memcmp(k, r->set_key, key_len) == 0) {
        r->set_done = true;
        r->err = put_member(r, k - 1, key_len + 2, r->set_raw, r->set_raw_len);
    } else {
        r->err = put_member(r, k - 1, key_len + 2, t + s->value_start,
                            s->value_end - s->value_start);
    }
    return r->err != 0;
}

int lmx_jscan_rewrite(const char *text, size_t len, const char *const *drop, size_t ndrop,
                      const char *set_key, const char *set_raw, size_t set_raw_len,
                      const char *extra_raw, size_t extra_len, struct lmx_buf *out)
{
    struct rewrite_ud r = {drop, ndrop, set_key, set_key ? strlen(set_key) : 0, set_raw,
                           set_raw_len, false, true, out, 0};
    size_t close_at = 0;
    int rc, err;

    err = lmx_buf_append(out, "{", 1);
    if (err < 0)
        return err;
    rc = each_member(text, len, rewrite_fn, &r, &close_at);
    if (r.err < 0)
        return r.err;
    if (rc == LMX_EBADJSON)
        return rc;
    if (set_key != NULL && !r.set_done) {
        err = lmx_buf_append(out, r.first ? "\"" : ",\"", r.first ? 1 : 2);
        if (err == 0)
            err = lmx_buf_append(out, set_key, r.set_key_len);
        if (err == 0)
            err = lmx_buf_append(out, "\":", 2);
        if (err == 0)
            err = lmx_buf_append(out, set_raw, set_raw_len);
        if (err < 0)
            return err;
        r.first = false;
    }
    if (extra_raw != NULL && extra_len > 0) {
        /* extra_raw starts with ','; skip it when nothing precedes */
        if (r.first && extra_raw[0] == ',') {
            extra_raw++;
            extra_len--;
        }
        err = lmx_buf_append(out, extra_raw, extra_len);
        if (err < 0)
            return err;
    }
    return lmx_buf_append(out, "}", 1);
}

static int no_member(const char *t, const struct lmx_jspan *s, size_t key_len, void *ud)
{
    LMX_UNUSED(t);
    LMX_UNUSED(s);
    LMX_UNUSED(key_len);
    LMX_UNUSED(ud);
    return 0;
}

int lmx_jscan_check(const char *text, size_t len)
{
    size_t close_at = 0;

    if (each_member(text, len, no_member, NULL, &close_at) != LMX_DECLINED)
        return LMX_EBADJSON;
    return skip_ws(text, close_at + 1, len) == len ? 0 : LMX_EBADJSON;
}
