/*
 * provider/vertex.c - Google Vertex AI (`vertex_ai/`, `vertex_ai_beta/`).
 *
 * What a model name selects (kind):
 *   claude-*                 Anthropic Messages body (anthropic.c's ops, then
 *                            "model" dropped and "anthropic_version":
 *                            "vertex-2023-10-16" added), POSTed to
 *                            .../publishers/anthropic/models/{m}:rawPredict
 *                            (:streamRawPredict); answers are Anthropic's.
 *   {publisher}/{m}          partner models (meta, deepseek-ai, qwen, openai,
 *                            zai-org, xai, ...): the OpenAI body with model
 *                            "{publisher}/{m}" to .../endpoints/openapi/chat/completions.
 *   digits only              a deployed endpoint: .../endpoints/{id}:generateContent.
 *   anything else            Gemini: gemini_wire.c's GenerateContentRequest to
 *                            .../publishers/google/models/{m}:generateContent
 *                            (:streamGenerateContent?alt=sse).
 *   /embeddings              .../publishers/google/models/{m}:predict with
 *                            {"instances":[{"content":...}]}.
 * mistral-*, codestral-* and jamba-* (rawPredict with their own bodies) are
 * refused with 501.
 *
 * The URL is {base}/{v1|v1beta1}/projects/{project}/locations/{location}/...
 * where {base} is api_base (its "{location}" replaced) else
 * https://{location}-aiplatform.googleapis.com (https://aiplatform.googleapis.com
 * for location "global"); v1beta1 for vertex_ai_beta/. project: vertex_project,
 * else the credential's project_id (quota_project_id), else VERTEXAI_PROJECT.
 * location: vertex_location, else VERTEXAI_LOCATION / VERTEX_LOCATION, else
 * us-central1.
 *
 * Credentials: litellm_params.vertex_credentials (a path to a JSON key file,
 * or the JSON itself as a string or a mapping), else VERTEXAI_CREDENTIALS,
 * else GOOGLE_APPLICATION_CREDENTIALS (a path). A key is read and parsed once
 * per process and kept by its source (path or JSON text); a source that fails
 * is tried again after CRED_RETRY_S seconds, so a request never reads a file
 * except on first use. "service_account" keys sign an RS256 JWT
 * (lmx_vertex_jwt) exchanged at token_uri with the jwt-bearer grant;
 * "authorized_user" ones (gcloud ADC) use the refresh_token grant. Tokens are
 * cached by provider/token.c under SHA-256(client_email, key id, scope) and
 * reused until 5 minutes before they expire. The metadata server and
 * external_account (workload identity federation) keys are not supported.
 *
 * The /vertex_ai/ pass-through route (api/passthrough.c) runs the same token
 * step through these ops and builds its own URL with lmx_vertex_base,
 * lmx_vertex_location and lmx_vertex_project (see vertex.h).
 */
#include "core/lmx.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/anthropic.h"
#include "provider/gemini.h"
#include "provider/params.h"
#include "provider/token.h"
#include "provider/vertex.h"
#include "upstream/sse.h"

#define DEFAULT_LOCATION  "us-central1"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define ANTH_VERSION      "vertex-2023-10-16"
#define JWT_TTL_S         3600
#define CRED_RETRY_S      30.0
#define SSE_EVENT_MAX     ((size_t)16 << 20)

enum vtx_kind { VK_GEMINI, VK_ENDPOINT, VK_CLAUDE, VK_MAAS, VK_EMBED };

/* A parsed credential, shared by every call that uses it (never freed while the process runs). */
struct vtx_cred {
    struct vtx_cred *next;
    char *source;        /* the path, or the JSON text, it was read from */
    double failed_at;    /* > 0: reading failed then; `error` says why */
    char error[400];
    bool user;           /* authorized_user (refresh token) rather than service_account */
    char *client_email;  /* service account; for a user credential its client_id */
    char *key_id;        /* private_key_id (may be NULL) */
    char *token_uri;
    char *project_id;    /* may be NULL */
    char *client_id, *client_secret, *refresh_token;
    EVP_PKEY *pkey;
    char key[LMX_TOKEN_KEY_LEN + 1]; /* token cache key */
};

static pthread_mutex_t cred_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vtx_cred *cred_list;

/* pc->state of a call. */
struct vtx_call {
    enum vtx_kind kind;
    const struct vtx_cred *cred; /* NULL until resolved */
    char *token;                 /* lmx_malloc'd bearer token, NULL until known */
    void *inner;                 /* anthropic.c's state (claude) */
    struct lmx_gemini_stream *gstream;
    struct lmx_sse_reader sse; /* partner models' OpenAI stream */
    bool sse_init;
    /* the feed in progress (partner models) */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

/* ------------------------------------------------------------------------ */
/* Helpers */

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "vertex_ai: out of memory building the request");
}

static const char *env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static int b64url(struct lmx_buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int rc = lmx_buf_reserve(out, (n + 2) / 3 * 4 + 1);

    for (size_t i = 0; rc == 0 && i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63], tab[v >> 6 & 63], tab[v & 63]};

        rc = lmx_buf_append(out, q, n - i >= 3 ? 4 : n - i + 1);
    }
    return rc;
}

/* Appends a path piece: bytes outside [A-Za-z0-9._~@-] escaped ('/' kept when keep_slash). */
static int path_escape(struct lmx_buf *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

        if (isalnum(*p) || strchr("-._~@", *p) != NULL || (keep_slash && *p == '/'))
            rc = lmx_buf_append(b, p, 1);
        else
            rc = lmx_buf_append(b, esc, 3);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* JWT */

int lmx_vertex_jwt(const char *iss, const char *kid, const char *aud, const char *scope,
                   long long iat, EVP_PKEY *key, struct lmx_buf *out)
{
    json_t *hdr = kid != NULL ? json_pack("{s:s,s:s,s:s}", "alg", "RS256", "typ", "JWT", "kid", kid)
                              : json_pack("{s:s,s:s}", "alg", "RS256", "typ", "JWT");
    json_t *claims = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", iss, "scope", scope, "aud", aud,
                               "iat", (json_int_t)iat, "exp", (json_int_t)(iat + JWT_TTL_S));
    char *h = hdr != NULL ? json_dumps(hdr, JSON_COMPACT) : NULL;
    char *c = claims != NULL ? json_dumps(claims, JSON_COMPACT) : NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned char *sig = NULL;
    size_t start = out->len, siglen = 0;
    int rc = LMX_ENOMEM;

    if (h == NULL || c == NULL)
        goto out;
    if ((rc = b64url(out, (const unsigned char *)h, strlen(h))) < 0 ||
        (rc = lmx_buf_append(out, ".", 1)) < 0 ||
        (rc = b64url(out, (const unsigned char *)c, strlen(c))) < 0)
        goto out;
    rc = LMX_EBADREQ;
    if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
        goto out;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = LMX_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)out->data + start,
                       out->len - start) != 1)
        goto out;
    sig = lmx_malloc(siglen);
    if (sig == NULL) {
        rc = LMX_ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)out->data + start,
                       out->len - start) != 1)
        goto out;
    if ((rc = lmx_buf_append(out, ".", 1)) < 0 || (rc = b64url(out, sig, siglen)) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        out->len = start;
    if (out->data != NULL && out->cap > out->len)
        out->data[out->len] = '\0';
    EVP_MD_CTX_free(ctx);
    lmx_free(sig);
    free(h);
    free(c);
    json_decref(hdr);
    json_decref(claims);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Credentials */

static char *dup_or_null(const char *s)
{
    return s != NULL ? lmx_strdup(s) : NULL;
}

/* Fills c from a parsed key file; on failure c->error says why. Returns 0 or -1. */
static int cred_parse(struct vtx_cred *c, const json_t *root)
{
    const char *type = lmx_json_str(root, "type");
    const char *names[3];

    if (!json_is_object(root)) {
        snprintf(c->error, sizeof(c->error), "the credentials are not a JSON object");
        return -1;
    }
    if (type != NULL && strcmp(type, "authorized_user") == 0) {
        c->user = true;
        c->client_id = dup_or_null(lmx_json_str(root, "client_id"));
        c->client_secret = dup_or_null(lmx_json_str(root, "client_secret"));
        c->refresh_token = dup_or_null(lmx_json_str(root, "refresh_token"));
        c->client_email = dup_or_null(lmx_json_str(root, "client_id"));
        c->project_id = dup_or_null(lmx_json_str(root, "quota_project_id"));
        c->token_uri = lmx_strdup(lmx_json_str(root, "token_uri") != NULL
                                      ? lmx_json_str(root, "token_uri")
                                      : DEFAULT_TOKEN_URI);
        if (c->client_id == NULL || c->client_secret == NULL || c->refresh_token == NULL ||
            c->token_uri == NULL) {
            snprintf(c->error, sizeof(c->error),
                     "authorized_user credentials need client_id, client_secret and "
                     "refresh_token");
            return -1;
        }
        names[0] = "authorized_user";
        names[1] = c->client_id;
        names[2] = c->refresh_token;
        lmx_token_key(names, 3, c->key);
        return 0;
    }
    if (type != NULL && strcmp(type, "service_account") != 0) {
        snprintf(c->error, sizeof(c->error),
                 "credentials of type '%.64s' are not supported (service_account and "
                 "authorized_user are)",
                 type);
        return -1;
    }
    c->client_email = dup_or_null(lmx_json_str(root, "client_email"));
    c->key_id = dup_or_null(lmx_json_str(root, "private_key_id"));
    c->project_id = dup_or_null(lmx_json_str(root, "project_id"));
    c->token_uri = lmx_strdup(lmx_json_str(root, "token_uri") != NULL
                                  ? lmx_json_str(root, "token_uri")
                                  : DEFAULT_TOKEN_URI);
    if (c->client_email == NULL || lmx_json_str(root, "private_key") == NULL ||
        c->token_uri == NULL) {
        snprintf(c->error, sizeof(c->error),
                 "service account credentials need client_email and private_key");
        return -1;
    }
    {
        const char *pem = lmx_json_str(root, "private_key");
        BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));

        c->pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    }
    if (c->pkey == NULL || EVP_PKEY_base_id(c->pkey) != EVP_PKEY_RSA) {
        snprintf(c->error, sizeof(c->error),
                 "the private_key of service account '%.128s' is not a PEM RSA key",
                 c->client_email);
        return -1;
    }
    names[0] = c->client_email;
    names[1] = c->key_id;
    names[2] = LMX_VERTEX_SCOPE;
    lmx_token_key(names, 3, c->key);
    return 0;
}

static void cred_clear(struct vtx_cred *c)
{
    lmx_free(c->client_email);
    lmx_free(c->key_id);
    lmx_free(c->token_uri);
    lmx_free(c->project_id);
    lmx_free(c->client_id);
    lmx_free(c->client_secret);
    lmx_free(c->refresh_token);
    EVP_PKEY_free(c->pkey);
    c->client_email = c->key_id = c->token_uri = c->project_id = NULL;
    c->client_id = c->client_secret = c->refresh_token = NULL;
    c->pkey = NULL;
    c->user = false;
}

/* Reads and parses the source into c (inline JSON text or a path). */
static void cred_load(struct vtx_cred *c, bool is_json)
{
    json_error_t je;
    json_t *root = is_json ? json_loads(c->source, 0, &je) : json_load_file(c->source, 0, &je);

    cred_clear(c);
    c->error[0] = '\0';
    if (root == NULL) {
        if (is_json)
            snprintf(c->error, sizeof(c->error), "vertex_credentials is not valid JSON (%.120s)",
                     je.text);
        else
            snprintf(c->error, sizeof(c->error), "cannot read the credentials file '%.100s': %.120s",
                     c->source, je.text);
    } else if (cred_parse(c, root) < 0 && c->error[0] == '\0') {
        snprintf(c->error, sizeof(c->error), "out of memory reading the credentials");
    }
    c->failed_at = c->error[0] != '\0' ? lmx_wall_s() : 0;
    if (c->failed_at > 0)
        cred_clear(c);
    json_decref(root);
}

/*
 * The credential for a source (read on first use, or again CRED_RETRY_S after a failure).
 * Returns it with c->failed_at == 0, or NULL with *err filled.
 */
static const struct vtx_cred *cred_get(const char *source, bool is_json, struct lmx_perr *err)
{
    struct vtx_cred *c;
    const struct vtx_cred *ok = NULL;

    pthread_mutex_lock(&cred_lock);
    for (c = cred_list; c != NULL; c = c->next)
        if (strcmp(c->source, source) == 0)
            break;
    if (c == NULL) {
        c = lmx_calloc(1, sizeof(*c));
        if (c != NULL && (c->source = lmx_strdup(source)) == NULL) {
            lmx_free(c);
            c = NULL;
        }
        if (c == NULL) {
            pthread_mutex_unlock(&cred_lock);
            oom(err);
            return NULL;
        }
        cred_load(c, is_json);
        c->next = cred_list;
        cred_list = c;
    } else if (c->failed_at > 0 && lmx_wall_s() - c->failed_at >= CRED_RETRY_S) {
        cred_load(c, is_json);
    }
    if (c->failed_at > 0)
        lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error", "vertex_ai: %s", c->error);
    else
        ok = c;
    pthread_mutex_unlock(&cred_lock);
    return ok;
}

/* Where the deployment's credentials come from: the source and whether it is JSON text. */
static const struct vtx_cred *cred_of(const struct lmx_deployment *d, struct lmx_perr *err)
{
    const json_t *vc = json_object_get(d->litellm_params, "vertex_credentials");
    const char *s = NULL;
    char *dumped = NULL;
    const struct vtx_cred *c;
    bool is_json = false;

    if (json_is_object(vc)) {
        dumped = json_dumps(vc, JSON_COMPACT | JSON_SORT_KEYS);
        if (dumped == NULL) {
            oom(err);
            return NULL;
        }
        s = dumped;
        is_json = true;
    } else if (json_is_string(vc) && json_string_length(vc) > 0) {
        s = json_string_value(vc);
    } else if (env("VERTEXAI_CREDENTIALS") != NULL) {
        s = env("VERTEXAI_CREDENTIALS");
    } else {
        s = env("GOOGLE_APPLICATION_CREDENTIALS");
    }
    if (s == NULL) {
        lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                      "vertex_ai: no credentials for deployment '%s' (set litellm_params."
                      "vertex_credentials or GOOGLE_APPLICATION_CREDENTIALS)",
                      d->model != NULL ? d->model : "");
        return NULL;
    }
    if (!is_json) {
        const char *p = s;

        while (isspace((unsigned char)*p))
            p++;
        is_json = *p == '{';
    }
    c = cred_get(s, is_json, err);
    free(dumped);
    return c;
}

/* ------------------------------------------------------------------------ */
/* Call state */

static struct vtx_call *call_get(struct lmx_pcall *pc)
{
    struct vtx_call *vc = pc->state;

    if (vc != NULL)
        return vc;
    vc = lmx_calloc(1, sizeof(*vc));
    if (vc == NULL)
        return NULL;
    pc->state = vc;
    return vc;
}

static void vtx_release(struct lmx_pcall *pc)
{
    struct vtx_call *vc = pc->state;

    if (vc == NULL)
        return;
    if (vc->inner != NULL) {
        pc->state = vc->inner;
        lmx_provider_anthropic_ops.release(pc);
    }
    lmx_gemini_stream_free(vc->gstream);
    if (vc->sse_init)
        lmx_sse_reader_release(&vc->sse);
    lmx_free(vc->token);
    lmx_free(vc);
    pc->state = NULL;
}

/* Runs anthropic.c's op with its own state in pc->state, then puts ours back. */
#define WITH_INNER(pc, vc, expr)                                                                   \
    do {                                                                                           \
        (pc)->state = (vc)->inner;                                                                 \
        expr;                                                                                      \
        (vc)->inner = (pc)->state;                                                                 \
        (pc)->state = (vc);                                                                        \
    } while (0)

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static enum vtx_kind kind_of(const struct lmx_pcall *pc)
{
    const char *m = pc->model != NULL ? pc->model : "";
    const char *p = m;

    if (pc->ep == LMX_EP_EMBEDDINGS)
        return VK_EMBED;
    if (has_prefix(m, "claude-") || has_prefix(m, "anthropic/claude-"))
        return VK_CLAUDE;
    if (strchr(m, '/') != NULL)
        return VK_MAAS;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p != m && *p == '\0')
        return VK_ENDPOINT;
    return VK_GEMINI;
}

/* ------------------------------------------------------------------------ */
/* Token step */

static int vtx_token_prepare(struct lmx_pcall *pc, struct lmx_upreq *tok, struct lmx_perr *err)
{
    struct vtx_call *vc = call_get(pc);
    const struct vtx_cred *c;
    int rc;

    if (vc == NULL)
        return oom(err);
    c = vc->cred != NULL ? vc->cred : cred_of(pc->dep, err);
    if (c == NULL)
        return LMX_EAUTH;
    vc->cred = c;
    rc = lmx_token_take(c->key, &vc->token);
    if (rc != 0)
        return rc < 0 ? oom(err) : 0;
    rc = lmx_token_request(tok, c->token_uri);
    if (rc == 0 && c->user)
        rc = lmx_buf_puts(&tok->body, "grant_type=refresh_token&client_id=");
    if (rc == 0 && c->user)
        rc = lmx_token_form_escape(&tok->body, c->client_id);
    if (rc == 0 && c->user)
        rc = lmx_buf_puts(&tok->body, "&client_secret=");
    if (rc == 0 && c->user)
        rc = lmx_token_form_escape(&tok->body, c->client_secret);
    if (rc == 0 && c->user)
        rc = lmx_buf_puts(&tok->body, "&refresh_token=");
    if (rc == 0 && c->user)
        rc = lmx_token_form_escape(&tok->body, c->refresh_token);
    if (rc == 0 && !c->user)
        rc = lmx_buf_puts(&tok->body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3A"
                                      "jwt-bearer&assertion=");
    if (rc == 0 && !c->user) {
        rc = lmx_vertex_jwt(c->client_email, c->key_id, c->token_uri, LMX_VERTEX_SCOPE,
                            (long long)lmx_wall_s(), c->pkey, &tok->body);
        if (rc == LMX_EBADREQ)
            return lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                                 "vertex_ai: cannot sign a token request with the key of service "
                                 "account '%s'",
                                 c->client_email);
    }
    if (rc < 0)
        return oom(err);
    return 1;
}

static int vtx_token_done(struct lmx_pcall *pc, long status, const char *body, size_t len,
                          struct lmx_perr *err)
{
    static const char *const reasons[] = {"error_description", "error", "error.message", NULL};
    struct vtx_call *vc = pc->state;
    const struct vtx_cred *c = vc != NULL ? vc->cred : NULL;
    char refused[sizeof(err->message)], about[sizeof(err->message)], bad[sizeof(err->message)];
    struct lmx_token_words w = {reasons, refused, "vertex_ai: the token endpoint answered", about,
                                "vertex_ai: ", bad};
    int rc;

    if (c == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "vertex_ai: a token answer without a token request");
    snprintf(refused, sizeof(refused),
             "vertex_ai: the token endpoint refused the credentials of %s '%s'",
             c->user ? "user client" : "service account", c->client_email);
    snprintf(about, sizeof(about), " for '%s'", c->client_email);
    snprintf(bad, sizeof(bad), " (credentials of '%s')", c->client_email);
    rc = lmx_token_answer(c->key, status, body, len, &w, &vc->token, err);
    return rc == LMX_ENOMEM ? oom(err) : rc;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* The location and project of a deployment (borrowed strings). */
const char *lmx_vertex_location(const struct lmx_deployment *d)
{
    const char *l = lmx_json_str(d->litellm_params, "vertex_location");

    if (l == NULL)
        l = env("VERTEXAI_LOCATION");
    if (l == NULL)
        l = env("VERTEX_LOCATION");
    return l != NULL ? l : DEFAULT_LOCATION;
}

static const char *project_of(const struct lmx_deployment *d, const struct vtx_cred *c)
{
    const char *p = lmx_json_str(d->litellm_params, "vertex_project");

    if (p == NULL && c != NULL)
        p = c->project_id;
    if (p == NULL)
        p = env("VERTEXAI_PROJECT");
    return p;
}

int lmx_vertex_base(const struct lmx_deployment *d, const char *loc, struct lmx_buf *u)
{
    const char *base = d->api_base;
    int rc = 0;

    if (base != NULL && strcmp(base, "https://{location}-aiplatform.googleapis.com") == 0)
        base = NULL; /* the provider table's default: global has its own host */
    if (base != NULL && *base != '\0') {
        const char *t;
        size_t n = strlen(base);

        while (n > 0 && base[n - 1] == '/')
            n--;
        while (rc == 0 && (t = memmem(base, n, "{location}", 10)) != NULL) {
            rc = lmx_buf_append(u, base, (size_t)(t - base));
            if (rc == 0)
                rc = path_escape(u, loc, false);
            n -= (size_t)(t - base) + 10;
            base = t + 10;
        }
        if (rc == 0)
            rc = lmx_buf_append(u, base, n);
    } else if (strcmp(loc, "global") == 0) {
        rc = lmx_buf_puts(u, "https://aiplatform.googleapis.com");
    } else {
        rc = lmx_buf_puts(u, "https://");
        if (rc == 0)
            rc = path_escape(u, loc, false);
        if (rc == 0)
            rc = lmx_buf_puts(u, "-aiplatform.googleapis.com");
    }
    return rc;
}

const char *lmx_vertex_project(const struct lmx_pcall *pc)
{
    const struct vtx_call *vc = pc->state;

    return project_of(pc->dep, vc != NULL ? vc->cred : NULL);
}

const char *lmx_vertex_token(const struct lmx_pcall *pc)
{
    const struct vtx_call *vc = pc->state;

    return vc != NULL ? vc->token : NULL;
}

/* {base}/{version}/projects/{p}/locations/{loc} */
static int url_prefix(const struct lmx_deployment *d, const char *project, struct lmx_buf *u)
{
    const char *loc = lmx_vertex_location(d);
    bool beta = d->provider != NULL && strcmp(d->provider, "vertex_ai_beta") == 0;
    int rc = lmx_vertex_base(d, loc, u);

    if (rc == 0)
        rc = lmx_buf_puts(u, beta ? "/v1beta1/projects/" : "/v1/projects/");
    if (rc == 0)
        rc = path_escape(u, project, false);
    if (rc == 0)
        rc = lmx_buf_puts(u, "/locations/");
    if (rc == 0)
        rc = path_escape(u, loc, false);
    return rc;
}

static int build_url(const struct lmx_pcall *pc, enum vtx_kind k, const char *project,
                     struct lmx_buf *u)
{
    const char *m = pc->model != NULL ? pc->model : "";
    int rc = url_prefix(pc->dep, project, u);

    if (rc < 0)
        return rc;
    switch (k) {
    case VK_CLAUDE:
        if (has_prefix(m, "anthropic/"))
            m += 10;
        rc = lmx_buf_puts(u, "/publishers/anthropic/models/");
        if (rc == 0)
            rc = path_escape(u, m, false);
        if (rc == 0)
            rc = lmx_buf_puts(u, pc->stream ? ":streamRawPredict" : ":rawPredict");
        break;
    case VK_MAAS:
        rc = lmx_buf_puts(u, "/endpoints/openapi/chat/completions");
        break;
    case VK_EMBED:
        rc = lmx_buf_puts(u, "/publishers/google/models/");
        if (rc == 0)
            rc = path_escape(u, m, false);
        if (rc == 0)
            rc = lmx_buf_puts(u, ":predict");
        break;
    case VK_ENDPOINT:
    case VK_GEMINI:
    default:
        if (has_prefix(m, "models/"))
            m += 7;
        rc = lmx_buf_puts(u, k == VK_ENDPOINT ? "/endpoints/" : "/publishers/google/models/");
        if (rc == 0)
            rc = path_escape(u, m, false);
        if (rc == 0)
            rc = lmx_buf_puts(u, pc->stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
        break;
    }
    return rc;
}

/* The Anthropic body anthropic.c builds, made Vertex's: no model, anthropic_version added. */
static int claude_body(struct lmx_pcall *pc, struct vtx_call *vc, json_t **out,
                       struct lmx_perr *err)
{
    struct lmx_upreq *tmp = lmx_malloc(sizeof(*tmp));
    json_t *body = NULL;
    int rc;

    *out = NULL;
    if (tmp == NULL)
        return oom(err);
    lmx_upreq_init(tmp);
    WITH_INNER(pc, vc, rc = lmx_provider_anthropic_ops.build(pc, tmp, err));
    if (rc < 0)
        goto out;
    body = json_loadb(tmp->body.data != NULL ? tmp->body.data : "", tmp->body.len, 0, NULL);
    if (!json_is_object(body) || json_object_del(body, "model") < 0 ||
        json_object_set_new(body, "anthropic_version", json_string(ANTH_VERSION)) < 0) {
        rc = oom(err);
        goto out;
    }
    *out = body;
    body = NULL;
out:
    json_decref(body);
    lmx_upreq_release(tmp);
    lmx_free(tmp);
    return rc;
}

/* The OpenAI body for a partner model: the client's, with model "{publisher}/{m}". */
static int maas_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    json_t *body = json_deep_copy(pc->req);

    *out = NULL;
    if (body == NULL ||
        json_object_set_new(body, "model", json_string(pc->model != NULL ? pc->model : "")) < 0 ||
        json_object_set_new(body, "stream", json_boolean(pc->stream)) < 0) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

/* {"instances":[{"content":...}],"parameters":{"outputDimensionality":n}} */
static int embed_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    const json_t *in = json_object_get(pc->req, "input"), *v;
    const json_t *dims = json_object_get(pc->req, "dimensions");
    json_t *body = json_object(), *inst = json_array();
    bool bad = body == NULL || inst == NULL;
    size_t i;

    *out = NULL;
    if (json_is_string(in)) {
        bad = bad || json_array_append_new(inst, json_pack("{s:O}", "content", in)) < 0;
    } else if (json_is_array(in) && json_array_size(in) > 0) {
        json_array_foreach(in, i, v) {
            if (!json_is_string(v)) {
                json_decref(body);
                json_decref(inst);
                return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                                     "vertex_ai embeddings take strings; input[%zu] is not one", i);
            }
            bad = bad || json_array_append_new(inst, json_pack("{s:O}", "content", v)) < 0;
        }
    } else {
        json_decref(body);
        json_decref(inst);
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "vertex_ai embeddings need 'input': a string or an array of strings");
    }
    bad = bad || json_object_set(body, "instances", inst) < 0;
    if (!bad && json_is_integer(dims))
        bad = json_object_set_new(body, "parameters",
                                  json_pack("{s:O}", "outputDimensionality", dims)) < 0;
    json_decref(inst);
    if (bad) {
        json_decref(body);
        return oom(err);
    }
    *out = body;
    return 0;
}

static int vtx_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct vtx_call *vc = call_get(pc);
    const char *m = pc->model != NULL ? pc->model : "", *project;
    json_t *body = NULL;
    int rc;

    if (vc == NULL)
        return oom(err);
    vc->kind = kind_of(pc);
    if (pc->ep == LMX_EP_COMPLETIONS)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "vertex_ai deployments serve /chat/completions and /embeddings, not "
                             "/completions");
    if (vc->kind != VK_EMBED &&
        (has_prefix(m, "mistral") || has_prefix(m, "codestral") || has_prefix(m, "jamba")))
        return lmx_perr_fail(err, LMX_ENOTIMPL, 501, "not_implemented",
                             "vertex_ai/%s: Mistral and AI21 models on Vertex AI are not "
                             "served by this build",
                             m);
    if (vc->cred == NULL && (vc->cred = cred_of(pc->dep, err)) == NULL)
        return LMX_EAUTH;
    if (vc->token == NULL && (rc = lmx_token_take(vc->cred->key, &vc->token)) <= 0)
        return rc < 0 ? oom(err)
                      : lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                                      "vertex_ai: no access token for '%s' (the token step "
                                      "did not run)",
                                      vc->cred->client_email);
    project = project_of(pc->dep, vc->cred);
    if (project == NULL)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "vertex_ai: no project for deployment '%s' (set vertex_project or "
                             "VERTEXAI_PROJECT)",
                             pc->dep->model != NULL ? pc->dep->model : "");

    switch (vc->kind) {
    case VK_CLAUDE:
        rc = claude_body(pc, vc, &body, err);
        break;
    case VK_MAAS:
        rc = maas_body(pc, &body, err);
        break;
    case VK_EMBED:
        rc = embed_body(pc, &body, err);
        break;
    case VK_GEMINI:
    case VK_ENDPOINT:
    default: {
        struct lmx_gemini_opts o = {.provider = "vertex_ai",
                                    .model = pc->model,
                                    .drop_params = pc->drop_params,
                                    .vertex = true};

        rc = lmx_gemini_chat_request(&o, pc->req, &body, err);
        if (rc == 0 && pc->stream && vc->gstream == NULL) {
            const json_t *so = json_object_get(pc->req, "stream_options");

            if (lmx_gemini_stream_new(&vc->gstream, pc->model,
                                      json_is_true(json_object_get(so, "include_usage"))) < 0)
                rc = oom(err);
        }
        break;
    }
    }
    if (rc < 0)
        goto out;
    out->method = "POST";
    rc = build_url(pc, vc->kind, project, &out->url);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", vc->token);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0 && pc->stream)
        rc = lmx_upreq_header(out, "Accept", "text/event-stream");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider 'vertex_ai' is too large");
out:
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

static int maas_parse(const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);

    if (!json_is_object(root) || !json_is_array(json_object_get(root, "choices"))) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "vertex_ai: the partner model's answer is not a chat "
                             "completion: %.200s",
                             body != NULL ? body : "");
    }
    if (json_object_get(root, "object") == NULL)
        json_object_set_new(root, "object", json_string("chat.completion"));
    *out = root;
    return 0;
}

/* :predict -> an OpenAI embeddings list; usage from statistics.token_count. */
static int embed_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                       struct lmx_perr *err)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const json_t *preds = json_object_get(root, "predictions"), *p;
    json_t *data = json_array(), *res = NULL;
    json_int_t tokens = 0;
    size_t i;
    int rc = 0;

    if (!json_is_array(preds)) {
        rc = lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                           "vertex_ai: the embeddings answer has no predictions");
        goto out;
    }
    json_array_foreach(preds, i, p) {
        const json_t *e = json_object_get(p, "embeddings");
        const json_t *vals = json_object_get(e, "values");
        const json_t *tc = json_object_get(json_object_get(e, "statistics"), "token_count");

        if (!json_is_array(vals)) {
            rc = lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                               "vertex_ai: prediction %zu has no embeddings.values", i);
            goto out;
        }
        if (json_is_number(tc))
            tokens += (json_int_t)json_number_value(tc);
        if (data == NULL || json_array_append_new(data, json_pack("{s:s,s:I,s:O}", "object",
                                                                  "embedding", "index",
                                                                  (json_int_t)i, "embedding",
                                                                  vals)) < 0) {
            rc = oom(err);
            goto out;
        }
    }
    res = json_pack("{s:s,s:O,s:s,s:{s:I,s:I}}", "object", "list", "data", data, "model",
                    pc->model != NULL ? pc->model : "", "usage", "prompt_tokens", tokens,
                    "total_tokens", tokens);
    if (res == NULL)
        rc = oom(err);
    *out = res;
out:
    json_decref(root);
    json_decref(data);
    return rc;
}

static int vtx_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                     struct lmx_perr *err)
{
    struct vtx_call *vc = pc->state;
    enum vtx_kind k = vc != NULL ? vc->kind : kind_of(pc);
    int rc;

    switch (k) {
    case VK_CLAUDE:
        if (vc == NULL)
            return oom(err);
        WITH_INNER(pc, vc, rc = lmx_provider_anthropic_ops.parse(pc, body, len, out, err));
        return rc;
    case VK_MAAS:
        return maas_parse(body, len, out, err);
    case VK_EMBED:
        return embed_parse(pc, body, len, out, err);
    case VK_GEMINI:
    case VK_ENDPOINT:
    default:
        return lmx_gemini_chat_response(pc->model, body, len, out, err);
    }
}

/* One event of a partner model's OpenAI stream. */
static int maas_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct vtx_call *vc = ud;
    json_t *chunk;
    const json_t *e;
    int rc;

    LMX_UNUSED(event);
    LMX_UNUSED(event_len);
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 0;
    chunk = json_loadb(data, len, 0, NULL);
    if (!json_is_object(chunk)) {
        json_decref(chunk);
        return lmx_perr_fail(vc->err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "vertex_ai: a stream event is not JSON: %.200s", data);
    }
    e = json_object_get(chunk, "error");
    if (e != NULL) {
        char *text = json_dumps(chunk, JSON_COMPACT);

        lmx_gemini_error(json_is_integer(json_object_get(e, "code"))
                             ? (long)json_integer_value(json_object_get(e, "code"))
                             : 500,
                         text != NULL ? text : "", text != NULL ? strlen(text) : 0, vc->err);
        free(text);
        json_decref(chunk);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(chunk, "object") == NULL)
        json_object_set_new(chunk, "object", json_string("chat.completion.chunk"));
    rc = vc->cb(chunk, vc->ud);
    json_decref(chunk);
    return rc;
}

static int maas_feed(struct vtx_call *vc, const char *p, size_t n, bool end, lmx_chunk_cb cb,
                     void *ud, struct lmx_perr *err)
{
    int rc;

    if (!vc->sse_init) {
        lmx_sse_reader_init(&vc->sse, SSE_EVENT_MAX);
        vc->sse_init = true;
    }
    vc->cb = cb;
    vc->ud = ud;
    vc->err = err;
    rc = end ? lmx_sse_reader_finish(&vc->sse, maas_event, vc)
             : lmx_sse_reader_feed(&vc->sse, p, n, maas_event, vc);
    if (rc < 0 && err->status == 0)
        lmx_perr_fail(err, rc, rc == LMX_ETOOBIG ? 502 : 500, "internal_server_error",
                      "vertex_ai: cannot read the stream: %s", lmx_strerror(rc));
    return rc;
}

static int no_stream(struct lmx_perr *err)
{
    return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                         "vertex_ai: stream bytes for a call that is not a stream");
}

static int vtx_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                           void *ud, struct lmx_perr *err)
{
    struct vtx_call *vc = pc->state;
    int rc;

    if (vc == NULL)
        return no_stream(err);
    switch (vc->kind) {
    case VK_CLAUDE:
        WITH_INNER(pc, vc, rc = lmx_provider_anthropic_ops.stream_feed(pc, p, n, cb, ud, err));
        return rc;
    case VK_MAAS:
        return maas_feed(vc, p, n, false, cb, ud, err);
    case VK_GEMINI:
    case VK_ENDPOINT:
        return vc->gstream != NULL ? lmx_gemini_stream_feed(vc->gstream, p, n, cb, ud, err)
                                   : no_stream(err);
    case VK_EMBED:
    default:
        return no_stream(err);
    }
}

static int vtx_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct vtx_call *vc = pc->state;
    int rc;

    if (vc == NULL)
        return no_stream(err);
    switch (vc->kind) {
    case VK_CLAUDE:
        WITH_INNER(pc, vc, rc = lmx_provider_anthropic_ops.stream_end(pc, cb, ud, err));
        return rc;
    case VK_MAAS:
        return maas_feed(vc, NULL, 0, true, cb, ud, err);
    case VK_GEMINI:
    case VK_ENDPOINT:
        return vc->gstream != NULL ? lmx_gemini_stream_end(vc->gstream, cb, ud, err)
                                   : no_stream(err);
    case VK_EMBED:
    default:
        return no_stream(err);
    }
}

static void vtx_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                          struct lmx_perr *out)
{
    struct vtx_call *vc = pc->state;

    /* a token Google no longer takes (revoked, key deleted): fetch a new one next time */
    if (status == 401 && vc != NULL && vc->cred != NULL)
        lmx_token_forget(vc->cred->key);
    if (vc != NULL && vc->kind == VK_CLAUDE) { /* Anthropic's own error body, or Google's */
        json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
        bool anth = json_is_object(json_object_get(root, "error")) &&
                    json_is_string(json_object_get(root, "type"));

        json_decref(root);
        if (anth) {
            WITH_INNER(pc, vc, lmx_provider_anthropic_ops.map_error(pc, status, body, len, out));
            return;
        }
    }
    lmx_gemini_error(status, body, len, out);
}

const struct lmx_provider_ops lmx_provider_vertex_ops = {
    .name = "vertex_ai",
    .build = vtx_build,
    .parse = vtx_parse,
    .stream_feed = vtx_stream_feed,
    .stream_end = vtx_stream_end,
    .map_error = vtx_map_error,
    .release = vtx_release,
    .token_prepare = vtx_token_prepare,
    .token_done = vtx_token_done,
};
