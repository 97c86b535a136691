/*
 * tests/unit/provider/vertex.c - the vertex_ai/ adapter: the service-account
 * JWT checked against a key pair made here (structure, claims, RS256
 * signature with the public key), the token step (request, answer, cache,
 * refusal), golden requests (URL, headers, body) for Gemini, Claude, partner
 * models and embeddings, URL variants (global, api_base, vertex_ai_beta,
 * endpoints), answers and streams to OpenAI objects, and errors.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "provider/provider.h"
#include "provider/token.h"
#include "test.h"

#include "../../../src/provider/vertex.c"

static const struct lmx_provider_ops *ops = &lmx_provider_vertex_ops;
static EVP_PKEY *test_key;
static char *test_pem;

#define EMAIL     "llmux-test@proj-1.iam.gserviceaccount.com"
#define TOKEN_URI "http://127.0.0.1:9/token"

/* ------------------------------------------------------------------------ */
/* Helpers */

static json_t *J(const char *s)
{
    json_error_t je;
    json_t *v = json_loads(s, 0, &je);

    if (v == NULL) {
        fprintf(stderr, "bad JSON in test: %s: %s\n", je.text, s);
        abort();
    }
    return v;
}

/* got == the JSON text want (printed when not). */
static bool eqs(const json_t *got, const char *want)
{
    json_t *w = J(want);
    bool ok = got != NULL && json_equal(got, w);

    if (!ok) {
        char *a = got != NULL ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        fprintf(stderr, "  got:  %s\n  want: %s\n", a != NULL ? a : "(null)", want);
        free(a);
    }
    json_decref(w);
    return ok;
}

static void map_err(struct lmx_pcall *pc, long status, const char *body, struct lmx_perr *e)
{
    ops->map_error(pc, status, body, strlen(body), e);
}

static void make_key(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    BIO *bio = BIO_new(BIO_s_mem());
    char *p;
    long n;

    if (ctx == NULL || bio == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 || EVP_PKEY_keygen(ctx, &test_key) != 1 ||
        PEM_write_bio_PrivateKey(bio, test_key, NULL, NULL, 0, NULL, NULL) != 1)
        abort();
    n = BIO_get_mem_data(bio, &p);
    test_pem = strndup(p, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_CTX_free(ctx);
}

/* A service-account key (as litellm_params.vertex_credentials, an object). */
static json_t *sa_json(const char *email, const char *project)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "service_account", "project_id",
                     project, "private_key_id", "kid-123", "private_key", test_pem,
                     "client_email", email, "client_id", "1234", "token_uri", TOKEN_URI);
}

struct tdep {
    struct lmx_deployment d;
    json_t *lp;
};

static void dep_init(struct tdep *t, const char *provider, const char *base, json_t *lp)
{
    memset(t, 0, sizeof(*t));
    t->d.model_name = "m";
    t->d.model = "vertex_ai/x";
    t->d.provider = (char *)provider;
    t->d.api_base = (char *)base;
    t->d.drop_params = -1;
    t->lp = lp;
    t->d.litellm_params = lp;
}

static void pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, enum lmx_endpoint ep,
                    const json_t *req, const char *model, bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = ep;
    pc->req = req;
    pc->model = model;
    pc->call_id = "c1";
    pc->stream = stream;
}

static const char *header(const struct lmx_upreq *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nheaders; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

/* base64url -> bytes (NUL-terminated); returns the length or -1. */
static long unb64url(const char *s, size_t n, unsigned char *out)
{
    char tmp[4096];
    size_t m = 0;
    int k;

    if (n + 4 >= sizeof(tmp))
        return -1;
    for (size_t i = 0; i < n; i++)
        tmp[m++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (m % 4)
        tmp[m++] = '=';
    tmp[m] = '\0';
    k = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)m);
    if (k < 0)
        return -1;
    while (m > 0 && tmp[m - 1] == '=') {
        k--;
        m--;
    }
    out[k] = '\0';
    return k;
}

/*
 * Checks a JWT: three parts, header {alg,typ,kid}, claims {iss,scope,aud,iat,exp=iat+3600},
 * and an RS256 signature that the public half of test_key verifies. Returns 0 or a line.
 */
static int check_jwt(const char *jwt, size_t len, const char *iss, const char *aud)
{
    const char *d1 = memchr(jwt, '.', len), *d2;
    unsigned char part[4096], sig[1024];
    json_t *h = NULL, *c = NULL;
    EVP_MD_CTX *ctx = NULL;
    long sl;
    int bad = 0;

    if (d1 == NULL || (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt))) == NULL)
        return __LINE__;
    if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL)
        return __LINE__;
    if (unb64url(jwt, (size_t)(d1 - jwt), part) < 0 || (h = json_loads((char *)part, 0, NULL)) ==
                                                            NULL)
        return __LINE__;
    if (unb64url(d1 + 1, (size_t)(d2 - d1 - 1), part) < 0 ||
        (c = json_loads((char *)part, 0, NULL)) == NULL)
        bad = __LINE__;
    if (!bad && (strcmp(lmx_json_str(h, "alg"), "RS256") != 0 ||
                 strcmp(lmx_json_str(h, "typ"), "JWT") != 0 ||
                 strcmp(lmx_json_str(h, "kid"), "kid-123") != 0 || json_object_size(h) != 3))
        bad = __LINE__;
    if (!bad && (strcmp(lmx_json_str(c, "iss"), iss) != 0 ||
                 strcmp(lmx_json_str(c, "aud"), aud) != 0 ||
                 strcmp(lmx_json_str(c, "scope"),
                        "https://www.googleapis.com/auth/cloud-platform") != 0))
        bad = __LINE__;
    if (!bad && (!json_is_integer(json_object_get(c, "iat")) ||
                 json_integer_value(json_object_get(c, "exp")) -
                         json_integer_value(json_object_get(c, "iat")) !=
                     3600))
        bad = __LINE__;
    sl = bad ? -1 : unb64url(d2 + 1, len - (size_t)(d2 + 1 - jwt), sig);
    if (!bad && sl != 256)
        bad = __LINE__;
    if (!bad) {
        /* verify with a key made from the public half only */
        BIO *bio = BIO_new(BIO_s_mem());
        EVP_PKEY *pub = NULL;

        if (PEM_write_bio_PUBKEY(bio, test_key) == 1)
            pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        ctx = EVP_MD_CTX_new();
        if (pub == NULL || ctx == NULL ||
            EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) != 1 ||
            EVP_DigestVerify(ctx, sig, (size_t)sl, (const unsigned char *)jwt,
                             (size_t)(d2 - jwt)) != 1)
            bad = __LINE__;
        EVP_PKEY_free(pub);
        BIO_free(bio);
    }
    EVP_MD_CTX_free(ctx);
    json_decref(h);
    json_decref(c);
    return bad;
}

/* Runs the token step against a canned token answer; returns token_prepare's result. */
static int token_step(struct lmx_pcall *pc, const char *answer, long status, struct lmx_perr *e)
{
    struct lmx_upreq tok;
    int rc;

    lmx_upreq_init(&tok);
    rc = ops->token_prepare(pc, &tok, e);
    if (rc == 1 && ops->token_done(pc, status, answer, strlen(answer), e) < 0)
        rc = -1;
    lmx_upreq_release(&tok);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Tests */

static void test_jwt(void)
{
    struct lmx_buf b;
    int bad;

    lmx_buf_init(&b, 1 << 16);
    ASSERT_EQ(lmx_vertex_jwt("a@b.iam", "kid-123", "https://oauth2.googleapis.com/token",
                             LMX_VERTEX_SCOPE, 1700000000, test_key, &b),
              0);
    bad = check_jwt(b.data, b.len, "a@b.iam", "https://oauth2.googleapis.com/token");
    ASSERT_EQ(bad, 0);
    /* the claims are exactly these */
    {
        const char *d1 = strchr(b.data, '.'), *d2 = strchr(d1 + 1, '.');
        unsigned char part[1024];
        json_t *c;

        ASSERT(unb64url(d1 + 1, (size_t)(d2 - d1 - 1), part) > 0);
        c = json_loads((char *)part, 0, NULL);
        ASSERT(eqs(c, ("{\"iss\":\"a@b.iam\",\"scope\":\"https://www.googleapis.com/auth/"
                               "cloud-platform\",\"aud\":\"https://oauth2.googleapis.com/token\","
                               "\"iat\":1700000000,\"exp\":1700003600}")));
        json_decref(c);
    }
    /* a tampered payload fails verification */
    {
        char *t = strdup(b.data);
        char *d1 = strchr(t, '.');

        d1[3] = d1[3] == 'A' ? 'B' : 'A';
        ASSERT(check_jwt(t, strlen(t), "a@b.iam", "https://oauth2.googleapis.com/token") != 0);
        free(t);
    }
    /* not an RSA key: refused */
    {
        EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

        lmx_buf_reset(&b);
        ASSERT_EQ(lmx_vertex_jwt("a", NULL, "b", "c", 1, ec, &b), LMX_EBADREQ);
        ASSERT_EQ(b.len, 0);
        EVP_PKEY_free(ec);
    }
    lmx_buf_release(&b);
}

static void test_token_step_and_gemini(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq tok, up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                    "\"max_tokens\":5,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                    "\"get\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":"
                    "\"string\"}}}}}]}");
    json_t *want, *body;
    const char *ans = "{\"access_token\":\"ya29.unit-1\",\"expires_in\":3599,\"token_type\":"
                      "\"Bearer\"}";

    lmx_token_clear();
    dep_init(&t, "vertex_ai", NULL,
             json_pack("{s:o,s:s,s:s}", "vertex_credentials", sa_json(EMAIL, "proj-from-key"),
                       "vertex_project", "proj-1", "vertex_location", "europe-west4"));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.method, "POST");
    ASSERT_STR_EQ(tok.url.data, TOKEN_URI);
    ASSERT_STR_EQ(header(&tok, "Content-Type"), "application/x-www-form-urlencoded");
    {
        const char *pre = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                          "&assertion=";

        ASSERT(strncmp(tok.body.data, pre, strlen(pre)) == 0);
        ASSERT_EQ(check_jwt(tok.body.data + strlen(pre), tok.body.len - strlen(pre), EMAIL,
                            TOKEN_URI),
                  0);
    }
    ASSERT_EQ(ops->token_done(&pc, 200, ans, strlen(ans), &e), 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/"
                               "locations/europe-west4/publishers/google/models/"
                               "gemini-2.0-flash:generateContent");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer ya29.unit-1");
    ASSERT_STR_EQ(header(&up, "Content-Type"), "application/json");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    want = J("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}],"
             "\"generationConfig\":{\"maxOutputTokens\":5},\"tools\":[{\"functionDeclarations\":"
             "[{\"name\":\"get\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":"
             "{\"type\":\"string\"}}}}]}]}");
    if (!json_equal(body, want)) {
        char *s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);

        fprintf(stderr, "  body: %s\n", s);
        free(s);
    }
    ASSERT(json_equal(body, want));
    json_decref(body);
    json_decref(want);
    /* the same body the gemini/ translation builds */
    {
        struct lmx_gemini_opts o = {.provider = "vertex_ai", .model = "gemini-2.0-flash",
                                    .vertex = true};
        json_t *g = NULL;

        ASSERT_EQ(lmx_gemini_chat_request(&o, req, &g, &e), 0);
        body = json_loadb(up.body.data, up.body.len, 0, NULL);
        ASSERT(json_equal(g, body));
        json_decref(g);
        json_decref(body);
    }
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* a second call: the cached token, no token request */
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", true);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 0);
    ASSERT_EQ(tok.url.len, 0);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer ya29.unit-1");
    ASSERT(strstr(up.url.data, "/gemini-2.0-flash:streamGenerateContent?alt=sse") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    lmx_upreq_release(&up);

    /* build without the token step and an empty cache: 401 */
    lmx_token_clear();
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EAUTH);
    ASSERT_EQ(e.status, 401);
    ops->release(&pc);
    lmx_upreq_release(&up);

    json_decref(t.lp);
    json_decref(req);
}

static void test_refresh_before_expiry(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq tok;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    const struct vtx_cred *c;
    char out[64];

    lmx_token_clear();
    dep_init(&t, "vertex_ai", NULL,
             json_pack("{s:o}", "vertex_credentials", sa_json("refresh@p.iam", "p")));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.5-pro", false);
    /* a token with 4 minutes left is not used: the step fetches a new one */
    c = cred_of(&t.d, &e);
    ASSERT(c != NULL);
    ASSERT_EQ(lmx_token_put(c->key, "ya29.old", lmx_wall_s() + 240), 0);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    {
        const char *ans = "{\"access_token\":\"ya29.new\",\"expires_in\":3600}";

        ASSERT_EQ(ops->token_done(&pc, 200, ans, strlen(ans), &e), 0);
    }
    ASSERT(lmx_token_get(c->key, lmx_wall_s(), out, sizeof(out)));
    ASSERT(strcmp(out, "ya29.new") == 0);
    ops->release(&pc);
    lmx_upreq_release(&tok);
    /* a 401 from Vertex drops the cached token */
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.5-pro", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 0);
    map_err(&pc, 401,
                   "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication "
                   "credentials.\",\"status\":\"UNAUTHENTICATED\"}}",
            &e);
    ASSERT_EQ(e.status, 401);
    ASSERT(!lmx_token_get(c->key, lmx_wall_s(), out, sizeof(out)));
    ops->release(&pc);
    lmx_upreq_release(&tok);
    json_decref(t.lp);
    json_decref(req);
}

static void test_refused_and_missing(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

    lmx_token_clear();
    dep_init(&t, "vertex_ai", NULL,
             json_pack("{s:o,s:s}", "vertex_credentials", sa_json("refused@p.iam", "p"),
                       "vertex_project", "p"));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc,
                         "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT "
                         "Signature.\"}",
                         400, &e),
              -1);
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT(strstr(e.message, "refused@p.iam") != NULL);
    ASSERT(strstr(e.message, "Invalid JWT Signature.") != NULL);
    ops->release(&pc);
    /* token endpoint down: 503, not 401 */
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "oops", 500, &e), -1);
    ASSERT_EQ(e.status, 503);
    ops->release(&pc);
    json_decref(t.lp);

    /* no credentials anywhere */
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    unsetenv("VERTEXAI_CREDENTIALS");
    dep_init(&t, "vertex_ai", NULL, json_object());
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "", 0, &e), LMX_EAUTH);
    ASSERT_EQ(e.status, 401);
    ASSERT(strstr(e.message, "vertex_credentials") != NULL);
    ops->release(&pc);
    json_decref(t.lp);

    /* a path that does not exist, a key that is not PEM, inline JSON text */
    dep_init(&t, "vertex_ai", NULL, json_pack("{s:s}", "vertex_credentials", "/nonexistent/k.json"));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "", 0, &e), LMX_EAUTH);
    ASSERT(strstr(e.message, "cannot read the credentials file '/nonexistent/k.json'") != NULL);
    ops->release(&pc);
    json_decref(t.lp);
    dep_init(&t, "vertex_ai", NULL,
             json_pack("{s:s}", "vertex_credentials",
                       "{\"type\":\"service_account\",\"client_email\":\"x@y\","
                       "\"private_key\":\"not a key\"}"));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "", 0, &e), LMX_EAUTH);
    ASSERT(strstr(e.message, "not a PEM RSA key") != NULL);
    ops->release(&pc);
    json_decref(t.lp);
    json_decref(req);
}

static void test_key_file_and_user_creds(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq tok;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    json_t *sa = sa_json("file@p.iam", "proj-file");
    char path[] = "/tmp/llmux-vtx-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    ASSERT(f != NULL);
    json_dumpf(sa, f, 0);
    fclose(f);
    lmx_token_clear();
    /* GOOGLE_APPLICATION_CREDENTIALS: the project comes from the key */
    setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
    dep_init(&t, "vertex_ai", NULL, json_object());
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "{\"access_token\":\"ya29.f\",\"expires_in\":3600}", 200, &e), 1);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->build(&pc, &tok, &e), 0);
    ASSERT_STR_EQ(tok.url.data, "https://us-central1-aiplatform.googleapis.com/v1/projects/"
                                "proj-file/locations/us-central1/publishers/google/models/"
                                "gemini-2.0-flash:generateContent");
    ops->release(&pc);
    lmx_upreq_release(&tok);
    /* the file is not read again: removing it changes nothing */
    unlink(path);
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    ASSERT_EQ(token_step(&pc, "", 0, &e), 0);
    ops->release(&pc);
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    json_decref(t.lp);
    json_decref(sa);

    /* authorized_user (gcloud ADC): the refresh_token grant */
    dep_init(&t, "vertex_ai", NULL,
             json_pack("{s:{s:s,s:s,s:s,s:s},s:s}", "vertex_credentials", "type",
                       "authorized_user", "client_id", "cid.apps", "client_secret", "s/ecret",
                       "refresh_token", "1//rt", "vertex_project", "p"));
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "gemini-2.0-flash", false);
    lmx_upreq_init(&tok);
    ASSERT_EQ(ops->token_prepare(&pc, &tok, &e), 1);
    ASSERT_STR_EQ(tok.url.data, "https://oauth2.googleapis.com/token");
    ASSERT_STR_EQ(tok.body.data, "grant_type=refresh_token&client_id=cid.apps&client_secret="
                                 "s%2Fecret&refresh_token=1%2F%2Frt");
    ops->release(&pc);
    lmx_upreq_release(&tok);
    json_decref(t.lp);
    json_decref(req);
}

/* A deployment with a cached token, for the request-shape tests. */
static void ready_dep(struct tdep *t, const char *provider, const char *base, const char *loc)
{
    struct lmx_perr e = {0, "", "", ""};
    const struct vtx_cred *c;

    dep_init(t, provider, base,
             json_pack("{s:o,s:s,s:s}", "vertex_credentials", sa_json(EMAIL, "pk"),
                       "vertex_project", "proj-1", "vertex_location", loc));
    c = cred_of(&t->d, &e);
    if (c == NULL || lmx_token_put(c->key, "ya29.ready", lmx_wall_s() + 3600) < 0)
        abort();
}

static void test_claude(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                    "{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":20}");
    json_t *body, *out = NULL;
    const char *ans = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                      "\"claude-sonnet-4\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}],"
                      "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,"
                      "\"output_tokens\":1}}";

    ready_dep(&t, "vertex_ai", NULL, "us-east5");
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "claude-sonnet-4@20250514", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/"
                               "locations/us-east5/publishers/anthropic/models/"
                               "claude-sonnet-4@20250514:rawPredict");
    ASSERT_STR_EQ(header(&up, "Authorization"), "Bearer ya29.ready");
    ASSERT(header(&up, "x-api-key") == NULL);
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, "{\"anthropic_version\":\"vertex-2023-10-16\",\"system\":"
                     "\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":"
                     "[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":20}"));
    ASSERT(json_object_get(body, "model") == NULL);
    ASSERT_STR_EQ(lmx_json_str(body, "anthropic_version"), "vertex-2023-10-16");
    ASSERT_EQ(json_integer_value(json_object_get(body, "max_tokens")), 20);
    json_decref(body);
    ASSERT_EQ(ops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    ASSERT_STR_EQ(lmx_json_str(json_object_get(json_array_get(json_object_get(out, "choices"), 0),
                                               "message"),
                               "content"),
                  "Hello");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "prompt_tokens")),
              3);
    json_decref(out);
    /* Anthropic error body from rawPredict */
    {
        const char *eb = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                         "\"message\":\"slow down\"}}";

        ops->map_error(&pc, 429, eb, strlen(eb), &e);
    }
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT_STR_EQ(e.message, "slow down");
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(t.lp);
    json_decref(req);
}

struct chunks {
    json_t *all;
};

static int collect(const json_t *chunk, void *ud)
{
    struct chunks *c = ud;

    json_array_append(c->all, (json_t *)chunk);
    return 0;
}

static void test_claude_stream(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    struct chunks c = {json_array()};
    const char *sse =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
        "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],"
        "\"usage\":{\"input_tokens\":3,\"output_tokens\":0}}}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
        "\"end_turn\"},\"usage\":{\"output_tokens\":1}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    size_t i;
    json_t *ch;
    bool text = false, finish = false;

    ready_dep(&t, "vertex_ai", NULL, "global");
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "claude-opus-4", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://aiplatform.googleapis.com/v1/projects/proj-1/locations/"
                               "global/publishers/anthropic/models/claude-opus-4:"
                               "streamRawPredict");
    ASSERT(strstr(up.body.data, "\"stream\":true") != NULL);
    for (size_t off = 0, len = strlen(sse); off < len; off += 7) /* in 7-byte pieces */
        ASSERT_EQ(ops->stream_feed(&pc, sse + off, LMX_MIN(7, len - off), collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    json_array_foreach(c.all, i, ch) {
        const json_t *c0 = json_array_get(json_object_get(ch, "choices"), 0);

        if (lmx_json_str(json_object_get(c0, "delta"), "content") != NULL &&
            strcmp(lmx_json_str(json_object_get(c0, "delta"), "content"), "Hel") == 0)
            text = true;
        if (lmx_json_str(c0, "finish_reason") != NULL &&
            strcmp(lmx_json_str(c0, "finish_reason"), "stop") == 0)
            finish = true;
    }
    ASSERT(text);
    ASSERT(finish);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);
    json_decref(t.lp);
    json_decref(req);
}

static void test_maas(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                    "\"temperature\":0.5,\"stream_options\":{\"include_usage\":true}}");
    json_t *body, *out = NULL;
    struct chunks c = {json_array()};
    const char *sse = "data: {\"id\":\"a\",\"object\":\"chat.completion.chunk\",\"choices\":[{"
                      "\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
                      "data: {\"id\":\"a\",\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n"
                      "data: [DONE]\n\n";
    const char *ans = "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"meta/llama\","
                      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                      "\"Yo\"},\"finish_reason\":\"stop\"}]}";

    ready_dep(&t, "vertex_ai", "http://127.0.0.1:7000/", "us-central1");
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "meta/llama-3.3-70b-instruct-maas", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "http://127.0.0.1:7000/v1/projects/proj-1/locations/us-central1/"
                               "endpoints/openapi/chat/completions");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, ("{\"model\":\"meta/llama-3.3-70b-instruct-maas\",\"messages\":"
                              "[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0.5,"
                              "\"stream\":true,\"stream_options\":{\"include_usage\":true}}")));
    json_decref(body);
    ASSERT_EQ(ops->stream_feed(&pc, sse, strlen(sse), collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT_EQ(json_array_size(c.all), 2);
    ASSERT_STR_EQ(lmx_json_str(json_array_get(c.all, 1), "object"), "chat.completion.chunk");
    ASSERT_EQ(ops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    ASSERT_STR_EQ(lmx_json_str(out, "object"), "chat.completion");
    json_decref(out);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);
    json_decref(t.lp);
    json_decref(req);
}

static void test_embeddings(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"input\":[\"a b\",\"c\"],\"dimensions\":4}");
    json_t *body, *out = NULL;
    const char *ans = "{\"predictions\":[{\"embeddings\":{\"statistics\":{\"truncated\":false,"
                      "\"token_count\":2},\"values\":[0.1,0.2]}},{\"embeddings\":{\"statistics\":"
                      "{\"truncated\":false,\"token_count\":1},\"values\":[0.3,0.4]}}],"
                      "\"metadata\":{\"billableCharacterCount\":3}}";

    ready_dep(&t, "vertex_ai_beta", NULL, "us-central1");
    pc_init(&pc, &t.d, LMX_EP_EMBEDDINGS, req, "text-embedding-005", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/"
                               "proj-1/locations/us-central1/publishers/google/models/"
                               "text-embedding-005:predict");
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    ASSERT(eqs(body, ("{\"instances\":[{\"content\":\"a b\"},{\"content\":\"c\"}],"
                              "\"parameters\":{\"outputDimensionality\":4}}")));
    json_decref(body);
    ASSERT_EQ(ops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    ASSERT(eqs(out, ("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                             "\"embedding\":[0.1,0.2]},{\"object\":\"embedding\",\"index\":1,"
                             "\"embedding\":[0.3,0.4]}],\"model\":\"text-embedding-005\","
                             "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}")));
    json_decref(out);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
    /* token ids are refused */
    req = J("{\"input\":[[1,2]]}");
    pc_init(&pc, &t.d, LMX_EP_EMBEDDINGS, req, "text-embedding-005", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADREQ);
    ASSERT_EQ(e.status, 400);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(t.lp);
    json_decref(req);
}

static void test_gemini_answers_and_errors(void)
{
    struct tdep t;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr e = {0, "", "", ""};
    json_t *req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream_options\":"
                    "{\"include_usage\":true}}");
    json_t *out = NULL;
    struct chunks c = {json_array()};
    const char *ans = "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":"
                      "\"Hello\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{"
                      "\"promptTokenCount\":2,\"candidatesTokenCount\":1,\"totalTokenCount\":3}}";
    const char *sse = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{"
                      "\"text\":\"He\"}]}}]}\r\n\r\ndata: {\"candidates\":[{\"content\":{"
                      "\"role\":\"model\",\"parts\":[{\"text\":\"llo\"}]},\"finishReason\":"
                      "\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":2,"
                      "\"candidatesTokenCount\":2,\"totalTokenCount\":4}}\r\n\r\n";

    ready_dep(&t, "vertex_ai", "http://mock:1/{location}/", "asia-east1");
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "1234567890", true);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), 0);
    ASSERT_STR_EQ(up.url.data, "http://mock:1/asia-east1/v1/projects/proj-1/locations/asia-east1/"
                               "endpoints/1234567890:streamGenerateContent?alt=sse");
    ASSERT_EQ(ops->stream_feed(&pc, sse, strlen(sse), collect, &c, &e), 0);
    ASSERT_EQ(ops->stream_end(&pc, collect, &c, &e), 0);
    ASSERT(json_array_size(c.all) >= 3); /* content, content + finish, usage */
    ASSERT_EQ(json_integer_value(json_object_get(
                  json_object_get(json_array_get(c.all, json_array_size(c.all) - 1), "usage"),
                  "total_tokens")),
              4);
    ASSERT_EQ(ops->parse(&pc, ans, strlen(ans), &out, &e), 0);
    ASSERT_STR_EQ(lmx_json_str(json_object_get(json_array_get(json_object_get(out, "choices"), 0),
                                               "message"),
                               "content"),
                  "Hello");
    json_decref(out);
    map_err(&pc, 429,
                   "[{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":"
                   "\"RESOURCE_EXHAUSTED\"}}]",
            &e);
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT(strstr(e.message, "Quota exceeded") != NULL);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(c.all);
    json_decref(req);

    /* /completions, Mistral on Vertex, no project */
    req = J("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    pc_init(&pc, &t.d, LMX_EP_COMPLETIONS, req, "gemini-2.0-flash", false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_EBADREQ);
    ops->release(&pc);
    pc_init(&pc, &t.d, LMX_EP_CHAT, req, "mistral-large-2411", false);
    ASSERT_EQ(ops->build(&pc, &up, &e), LMX_ENOTIMPL);
    ASSERT_EQ(e.status, 501);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(t.lp);
    json_decref(req);
}

int main(void)
{
    make_key();
    RUN(test_jwt);
    RUN(test_token_step_and_gemini);
    RUN(test_refresh_before_expiry);
    RUN(test_refused_and_missing);
    RUN(test_key_file_and_user_creds);
    RUN(test_claude);
    RUN(test_claude_stream);
    RUN(test_maas);
    RUN(test_embeddings);
    RUN(test_gemini_answers_and_errors);
    lmx_token_clear();
    EVP_PKEY_free(test_key);
    free(test_pem);
    TEST_MAIN_END();
}
