/*
 * provider/token.c - the process-wide bearer-token cache (see token.h).
 *
 * A small table of {key, token, expiry} rows behind one pthread mutex. It
 * holds one row per credential in use, so a linear scan is enough; when all
 * TOKEN_ROWS rows are taken, a put replaces the one that expires first.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/params.h"
#include "provider/token.h"

#define TOKEN_ROWS    256
#define DEFAULT_TTL_S 3600.0

struct token_row {
    char key[LMX_TOKEN_KEY_LEN + 1];
    char *token; /* lmx_malloc'd; NULL = free row */
    double expires_at;
};

static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static struct token_row token_rows[TOKEN_ROWS];

void lmx_token_key(const char *const *parts, size_t n, char out[LMX_TOKEN_KEY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

    for (size_t i = 0; ok && i < n; i++) {
        const char *p = parts[i] != NULL ? parts[i] : "";

        ok = EVP_DigestUpdate(ctx, p, strlen(p) + 1) == 1;
    }
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) /* no memory for a digest context: a key that matches nothing cached */
        memset(md, 0, sizeof(md));
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[LMX_TOKEN_KEY_LEN] = '\0';
}

/* The row of key, or NULL. Called with the lock held. */
static struct token_row *row_of(const char *key)
{
    for (size_t i = 0; i < TOKEN_ROWS; i++)
        if (token_rows[i].token != NULL && strcmp(token_rows[i].key, key) == 0)
            return &token_rows[i];
    return NULL;
}

static void row_clear(struct token_row *r)
{
    lmx_free(r->token);
    r->token = NULL;
    r->key[0] = '\0';
    r->expires_at = 0;
}

bool lmx_token_get(const char *key, double now, char *out, size_t cap)
{
    struct token_row *r;
    bool ok = false;

    pthread_mutex_lock(&token_lock);
    r = row_of(key);
    if (r != NULL && r->expires_at - LMX_TOKEN_MARGIN > now) {
        size_t n = strlen(r->token);

        if (n < cap) {
            memcpy(out, r->token, n + 1);
            ok = true;
        }
    }
    pthread_mutex_unlock(&token_lock);
    return ok;
}

int lmx_token_put(const char *key, const char *token, double expires_at)
{
    size_t n = token != NULL ? strlen(token) : 0;
    struct token_row *r, *soonest = NULL;
    char *copy;

    if (n == 0 || n >= LMX_TOKEN_MAX || strlen(key) != LMX_TOKEN_KEY_LEN)
        return LMX_EBADREQ;
    copy = lmx_strdup(token);
    if (copy == NULL)
        return LMX_ENOMEM;
    pthread_mutex_lock(&token_lock);
    r = row_of(key);
    for (size_t i = 0; r == NULL && i < TOKEN_ROWS; i++) {
        struct token_row *t = &token_rows[i];

        if (t->token == NULL)
            r = t;
        else if (soonest == NULL || t->expires_at < soonest->expires_at)
            soonest = t;
    }
    if (r == NULL)
        r = soonest;
    lmx_free(r->token);
    memcpy(r->key, key, LMX_TOKEN_KEY_LEN + 1);
    r->token = copy;
    r->expires_at = expires_at;
    pthread_mutex_unlock(&token_lock);
    return 0;
}

void lmx_token_forget(const char *key)
{
    struct token_row *r;

    pthread_mutex_lock(&token_lock);
    r = row_of(key);
    if (r != NULL)
        row_clear(r);
    pthread_mutex_unlock(&token_lock);
}

void lmx_token_clear(void)
{
    pthread_mutex_lock(&token_lock);
    for (size_t i = 0; i < TOKEN_ROWS; i++)
        if (token_rows[i].token != NULL)
            row_clear(&token_rows[i]);
    pthread_mutex_unlock(&token_lock);
}

int lmx_token_accept(const char *key, const char *body, size_t len, double now, char *out,
                     size_t cap, const char **why)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    const json_t *in = json_object_get(root, "expires_in");
    const json_t *at = json_object_get(root, "expiration");
    double exp = now + DEFAULT_TTL_S;
    int rc = LMX_EUPSTREAM;

    *why = NULL;
    if (tok == NULL || *tok == '\0') {
        *why = json_is_object(root) ? "the token endpoint's answer has no access_token"
                                    : "the token endpoint's answer is not JSON";
        goto out;
    }
    if (strlen(tok) >= cap || strlen(tok) >= LMX_TOKEN_MAX) {
        *why = "the token endpoint's access_token is too long";
        goto out;
    }
    if (json_is_number(in) && json_number_value(in) > 0)
        exp = now + json_number_value(in);
    else if (json_is_number(at) && json_number_value(at) > now)
        exp = json_number_value(at);
    memcpy(out, tok, strlen(tok) + 1);
    rc = lmx_token_put(key, tok, exp);
    if (rc == LMX_ENOMEM) /* the call can still use the token; the next one fetches again */
        rc = 0;
out:
    json_decref(root);
    return rc;
}

int lmx_token_take(const char *key, char **token)
{
    char *t = lmx_malloc(LMX_TOKEN_MAX);

    if (t == NULL)
        return LMX_ENOMEM;
    if (!lmx_token_get(key, lmx_wall_s(), t, LMX_TOKEN_MAX)) {
        lmx_free(t);
        return 0;
    }
    lmx_free(*token);
    *token = t;
    return 1;
}

int lmx_token_request(struct lmx_upreq *tok, const char *url)
{
    int rc;

    tok->method = "POST";
    rc = lmx_buf_puts(&tok->url, url);
    if (rc == 0)
        rc = lmx_upreq_header(tok, "Content-Type", "application/x-www-form-urlencoded");
    if (rc == 0)
        rc = lmx_upreq_header(tok, "Accept", "application/json");
    return rc < 0 ? LMX_ENOMEM : 0;
}

int lmx_token_form_escape(struct lmx_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

        if (isalnum(*p) || strchr("-._~", *p) != NULL)
            rc = lmx_buf_append(b, p, 1);
        else
            rc = lmx_buf_append(b, esc, 3);
    }
    return rc < 0 ? LMX_ENOMEM : 0;
}

/* The non-empty string at a dot-separated path of root ("errors.0.message"), or NULL. */
static const char *string_at(const json_t *root, const char *path)
{
    const json_t *v = root;
    char seg[64];

    while (v != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        unsigned long i;
        char *end;

        snprintf(seg, sizeof(seg), "%.*s", (int)LMX_MIN(n, sizeof(seg) - 1), path);
        i = strtoul(seg, &end, 10);
        if (isdigit((unsigned char)seg[0]) && *end == '\0')
            v = json_array_get(v, i); /* NULL when v is not an array */
        else
            v = json_object_get(v, seg); /* NULL when v is not an object */
        path += n;
        if (*path == '.')
            path++;
    }
    return json_string_value(v) != NULL && *json_string_value(v) != '\0' ? json_string_value(v)
                                                                       : NULL;
}

int lmx_token_answer(const char *key, long status, const char *body, size_t len,
                     const struct lmx_token_words *w, char **token, struct lmx_perr *err)
{
    const char *why = NULL;
    char *t;
    int rc;

    if (status < 200 || status >= 300) {
        json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
        const char *e = NULL;
        char what[256];

        for (size_t i = 0; e == NULL && w->reasons[i] != NULL; i++)
            e = string_at(root, w->reasons[i]);
        snprintf(what, sizeof(what), "%s", e != NULL ? e : "no reason given");
        json_decref(root);
        if (status == 400 || status == 401 || status == 403) {
            lmx_perr_set(err, 401, "auth_error", NULL, "%s (status %ld): %s", w->refused, status,
                         what);
            return LMX_EAUTH;
        }
        lmx_perr_set(err, status == 429 ? 429 : 503,
                     status == 429 ? "rate_limit_error" : "internal_server_error", NULL,
                     "%s status %ld%s: %s", w->answered, status, w->about, what);
        return LMX_EUPSTREAM;
    }
    t = lmx_malloc(LMX_TOKEN_MAX);
    if (t == NULL)
        return LMX_ENOMEM;
    rc = lmx_token_accept(key, body, len, lmx_wall_s(), t, LMX_TOKEN_MAX, &why);
    if (rc < 0) {
        lmx_free(t);
        lmx_perr_set(err, 503, "internal_server_error", NULL, "%s%s%s", w->bad_answer,
                     why != NULL ? why : lmx_strerror(rc), w->bad_about);
        return rc;
    }
    lmx_free(*token);
    *token = t;
    return 0;
}
