/*
 * provider/token.c - the process-wide bearer-token cache (see token.h).
 *
 * A small table of {key, token, expiry} rows behind one pthread mutex. It
 * holds one row per credential in use, so a linear scan is enough; when all
 * TOKEN_ROWS rows are taken, a put replaces the one that expires first.
 */
#include "core/lmx.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/err.h"
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
