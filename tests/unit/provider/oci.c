/*
 * tests/unit/provider/oci.c - the OCI Generative AI adapter through its ops
 * table: golden requests (URL, headers, GENERIC and COHERE bodies), the HTTP
 * signature checked with the public half of an RSA key generated here, the
 * key file read once, answers and streams (split at every byte) into OpenAI
 * objects and chunks, and errors.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/err.h"
#include "provider/oci.h"
#include "test.h"

static const struct lmx_provider_ops *ops = &lmx_provider_oci_ops;

static EVP_PKEY *priv;       /* the key the adapter signs with */
static EVP_PKEY *pub;        /* its public half only */
static char *pem;            /* the private key, PEM */
static char key_path[64];    /* pem written to a temp file */

#define COMPARTMENT "ocid1.compartment.oc1..test"
#define TENANCY     "ocid1.tenancy.oc1..ten"
#define USER        "ocid1.user.oc1..usr"
#define FP          "4f:29:77:cc:b1:3e:55:ab:61:2a:de:47:f1:38:4c:90"

/* ------------------------------------------------------------------------ */
/* Fixtures of the test itself */

static bool make_key(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;
    FILE *f;
    int fd;

    priv = EVP_RSA_gen(2048);
    if (priv == NULL || b == NULL ||
        PEM_write_bio_PrivateKey(b, priv, NULL, NULL, 0, NULL, NULL) != 1)
        return false;
    n = BIO_get_mem_data(b, &p);
    pem = malloc((size_t)n + 1);
    memcpy(pem, p, (size_t)n);
    pem[n] = '\0';
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    if (PEM_write_bio_PUBKEY(b, priv) != 1)
        return false;
    pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    BIO_free(b);
    snprintf(key_path, sizeof(key_path), "/tmp/lmx-oci-key-XXXXXX");
    fd = mkstemp(key_path);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL)
        return false;
    fputs(pem, f);
    fclose(f);
    return pub != NULL;
}

struct call {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req;
    int rc;
};

/* Credentials as litellm_params, the key from the temp file. */
static char *creds(const char *extra)
{
    static char buf[2048];

    snprintf(buf, sizeof(buf),
             "{\"model\":\"oci/x\",\"oci_region\":\"us-chicago-1\",\"oci_user\":\"" USER "\","
             "\"oci_fingerprint\":\"" FP "\",\"oci_tenancy\":\"" TENANCY "\","
             "\"oci_compartment_id\":\"" COMPARTMENT "\",\"oci_key_file\":\"%s\"%s%s}",
             key_path, extra != NULL ? "," : "", extra != NULL ? extra : "");
    return buf;
}

static void call_build_ep(struct call *c, const char *model, const char *req, enum lmx_endpoint ep,
                          bool drop, const char *api_base, const char *litellm_params)
{
    memset(c, 0, sizeof(*c));
    c->dep.provider = "oci";
    c->dep.model = "oci/x";
    c->dep.upstream_model = (char *)model;
    c->dep.api_base = (char *)api_base;
    c->dep.litellm_params = json_loads(litellm_params != NULL ? litellm_params : creds(NULL), 0,
                                       NULL);
    c->req = json_loads(req, 0, NULL);
    c->pc.dep = &c->dep;
    c->pc.ep = ep;
    c->pc.req = c->req;
    c->pc.model = model;
    c->pc.call_id = "test-1";
    c->pc.stream = json_is_true(json_object_get(c->req, "stream"));
    c->pc.drop_params = drop;
    lmx_upreq_init(&c->up);
    c->rc = ops->build(&c->pc, &c->up, &c->err);
}

static void call_build(struct call *c, const char *model, const char *req, bool drop,
                       const char *api_base, const char *litellm_params)
{
    call_build_ep(c, model, req, LMX_EP_CHAT, drop, api_base, litellm_params);
}

static void call_free(struct call *c)
{
    ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->dep.litellm_params);
}

/* The value of header `name` (exact case), or NULL. */
static const char *header(const struct lmx_upreq *u, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < u->nheaders; i++)
        if (strncmp(u->headers[i], name, n) == 0 && u->headers[i][n] == ':')
            return u->headers[i] + n + 2;
    return NULL;
}

static bool body_is(const struct call *c, const char *want)
{
    if (c->up.body.data != NULL && strcmp(c->up.body.data, want) == 0)
        return true;
    fprintf(stderr, "body:\n  got  %s\n  want %s\n", c->up.body.data ? c->up.body.data : "(null)",
            want);
    return false;
}

/* A quoted field of the Authorization value: key="value". */
static bool auth_field(const char *auth, const char *key, char *out, size_t cap)
{
    char pat[32];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "%s=\"", key);
    p = strstr(auth, pat);
    if (p == NULL)
        return false;
    p += strlen(pat);
    e = strchr(p, '"');
    if (e == NULL || (size_t)(e - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

static size_t unb64(const char *s, unsigned char *out)
{
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)strlen(s));
    size_t len = strlen(s);

    if (n < 0)
        return 0;
    if (len > 0 && s[len - 1] == '=')
        n--;
    if (len > 1 && s[len - 2] == '=')
        n--;
    return (size_t)n;
}

/*
 * Checks the request the way OCI does: x-content-sha256 is the body's digest,
 * content-length its length, and the signature over the signing string built
 * from the sent headers verifies with the public key.
 */
static bool signature_ok(const struct call *c, const char *want_path)
{
    const char *auth = header(&c->up, "Authorization");
    char sig[1024], hdrs[256], kid[512], alg[32], ver[8], *ss = NULL;
    unsigned char raw[1024], md[32];
    unsigned char shab[64];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen;
    bool ok = false;
    int k;

    if (auth == NULL || strncmp(auth, "Signature ", 10) != 0 ||
        !auth_field(auth, "signature", sig, sizeof(sig)) ||
        !auth_field(auth, "headers", hdrs, sizeof(hdrs)) ||
        !auth_field(auth, "keyId", kid, sizeof(kid)) ||
        !auth_field(auth, "algorithm", alg, sizeof(alg)) ||
        !auth_field(auth, "version", ver, sizeof(ver)))
        goto out;
    if (strcmp(hdrs, LMX_OCI_SIGNED_HEADERS) != 0 || strcmp(kid, TENANCY "/" USER "/" FP) != 0 ||
        strcmp(alg, "rsa-sha256") != 0 || strcmp(ver, "1") != 0)
        goto out;
    /* x-content-sha256 and content-length describe the body */
    EVP_Digest(c->up.body.data, c->up.body.len, md, NULL, EVP_sha256(), NULL);
    if (unb64(header(&c->up, "x-content-sha256"), shab) != 32 || memcmp(shab, md, 32) != 0 ||
        (size_t)atol(header(&c->up, "Content-Length")) != c->up.body.len)
        goto out;
    k = asprintf(&ss,
                 "date: %s\n(request-target): post %s\nhost: %s\ncontent-length: %s\n"
                 "content-type: %s\nx-content-sha256: %s",
                 header(&c->up, "Date"), want_path, header(&c->up, "Host"),
                 header(&c->up, "Content-Length"), header(&c->up, "Content-Type"),
                 header(&c->up, "x-content-sha256"));
    siglen = unb64(sig, raw);
    ok = k > 0 && siglen == 256 && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
         EVP_DigestVerify(ctx, raw, siglen, (unsigned char *)ss, strlen(ss)) == 1;
out:
    if (!ok)
        fprintf(stderr, "signature check failed: %s\n", auth != NULL ? auth : "(no Authorization)");
    EVP_MD_CTX_free(ctx);
    free(ss);
    return ok;
}

/* Chunks collected from a stream, "created" removed (it is the wall clock). */
static int collect(const json_t *chunk, void *ud)
{
    json_t *copy = json_deep_copy(chunk);

    json_object_del(copy, "created");
    return json_array_append_new(ud, copy) < 0 ? LMX_ENOMEM : 0;
}

/* Feeds `n` bytes in pieces of `step` (or split once at `cut` when step is 0), then ends. */
static int feed(struct call *c, const char *p, size_t n, size_t step, size_t cut, json_t *out)
{
    int rc = 0;

    if (step == 0) {
        rc = ops->stream_feed(&c->pc, p, cut, collect, out, &c->err);
        if (rc == 0)
            rc = ops->stream_feed(&c->pc, p + cut, n - cut, collect, out, &c->err);
    } else {
        for (size_t i = 0; rc == 0 && i < n; i += step)
            rc = ops->stream_feed(&c->pc, p + i, LMX_MIN(step, n - i), collect, out, &c->err);
    }
    if (rc == 0)
        rc = ops->stream_end(&c->pc, collect, out, &c->err);
    return rc;
}

/* What a client assembles from chunks. */
struct assembled {
    char text[4096];
    char reasoning[1024];
    char args[4][512];
    char ids[4][128];
    char names[4][64];
    int ntools;
    char finish[32];
    long long prompt, completion, total;
    bool usage, role_first;
    int nfinish;
};

static void assemble(const json_t *chunks, struct assembled *a)
{
    json_t *ch;
    size_t i;

    memset(a, 0, sizeof(*a));
    json_array_foreach(chunks, i, ch) {
        json_t *c0 = json_array_get(json_object_get(ch, "choices"), 0);
        json_t *d = json_object_get(c0, "delta"), *u = json_object_get(ch, "usage"), *tc;
        const char *s;
        size_t j;

        if (i == 0)
            a->role_first = json_is_string(json_object_get(d, "role"));
        if ((s = json_string_value(json_object_get(d, "content"))) != NULL)
            strncat(a->text, s, sizeof(a->text) - strlen(a->text) - 1);
        if ((s = json_string_value(json_object_get(d, "reasoning_content"))) != NULL)
            strncat(a->reasoning, s, sizeof(a->reasoning) - strlen(a->reasoning) - 1);
        json_array_foreach(json_object_get(d, "tool_calls"), j, tc) {
            long k = (long)json_integer_value(json_object_get(tc, "index"));
            json_t *fn = json_object_get(tc, "function");

            if (k < 0 || k >= 4)
                continue;
            if (k + 1 > a->ntools)
                a->ntools = (int)k + 1;
            if ((s = json_string_value(json_object_get(tc, "id"))) != NULL)
                snprintf(a->ids[k], sizeof(a->ids[k]), "%s", s);
            if ((s = json_string_value(json_object_get(fn, "name"))) != NULL)
                snprintf(a->names[k], sizeof(a->names[k]), "%s", s);
            if ((s = json_string_value(json_object_get(fn, "arguments"))) != NULL)
                strncat(a->args[k], s, sizeof(a->args[k]) - strlen(a->args[k]) - 1);
        }
        if ((s = json_string_value(json_object_get(c0, "finish_reason"))) != NULL) {
            snprintf(a->finish, sizeof(a->finish), "%s", s);
            a->nfinish++;
        }
        if (json_is_object(u)) {
            a->usage = true;
            a->prompt = json_integer_value(json_object_get(u, "prompt_tokens"));
            a->completion = json_integer_value(json_object_get(u, "completion_tokens"));
            a->total = json_integer_value(json_object_get(u, "total_tokens"));
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Signing */

static void test_date_and_sign(void)
{
    struct lmx_oci_sign_req r;
    struct lmx_buf sha, auth, ss;
    char date[30];

    lmx_oci_date(784111777, date);
    ASSERT(strcmp(date, "Sun, 06 Nov 1994 08:49:37 GMT") == 0);
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/20231130/actions/chat";
    r.host = "h.example";
    r.date = date;
    r.content_type = "application/json";
    r.body = "{}";
    r.body_len = 2;
    r.key_id = "t/u/f";
    lmx_buf_init(&sha, 64);
    lmx_buf_init(&auth, 4096);
    lmx_buf_init(&ss, 4096);
    ASSERT_EQ(lmx_oci_sign(&r, priv, &sha, &auth, &ss), 0);
    /* SHA-256("{}") */
    ASSERT_STR_EQ(sha.data, "RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=");
    ASSERT_STR_EQ(ss.data, "date: Sun, 06 Nov 1994 08:49:37 GMT\n"
                           "(request-target): post /20231130/actions/chat\n"
                           "host: h.example\ncontent-length: 2\ncontent-type: application/json\n"
                           "x-content-sha256: RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=");
    ASSERT(strncmp(auth.data,
                   "Signature version=\"1\",keyId=\"t/u/f\",algorithm=\"rsa-sha256\","
                   "headers=\"date "
                   "(request-target) host content-length content-type x-content-sha256\","
                   "signature=\"",
                   strlen("Signature version=\"1\",keyId=\"t/u/f\",algorithm=\"rsa-sha256\","
                          "headers=\"date (request-target) host content-length content-type "
                          "x-content-sha256\",signature=\"")) == 0);
    /* a key that is not RSA is refused */
    {
        EVP_PKEY *ec = EVP_EC_gen("P-256");

        ASSERT_EQ(lmx_oci_sign(&r, ec, &sha, &auth, NULL), LMX_EBADREQ);
        EVP_PKEY_free(ec);
    }
    lmx_buf_release(&sha);
    lmx_buf_release(&auth);
    lmx_buf_release(&ss);
}

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_build_generic(void)
{
    struct call c;

    call_build(&c, "meta.llama-3.3-70b-instruct",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
               "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":"
               "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\",\"detail\":"
               "\"low\"}}]}],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"stop\":\"END\","
               "\"max_tokens\":64,\"seed\":7,\"frequency_penalty\":0.1,\"presence_penalty\":0.2,"
               "\"user\":\"u1\",\"metadata\":{\"a\":1},\"n\":2,\"stream\":true,"
               "\"stream_options\":{\"include_usage\":true},\"oci_key_file\":\"/etc/shadow\"}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.method, "POST");
    ASSERT_STR_EQ(c.up.url.data, "https://inference.generativeai.us-chicago-1.oci.oraclecloud.com"
                                 "/20231130/actions/chat");
    ASSERT_STR_EQ(header(&c.up, "Host"), "inference.generativeai.us-chicago-1.oci.oraclecloud.com");
    ASSERT_STR_EQ(header(&c.up, "Content-Type"), "application/json");
    ASSERT_STR_EQ(header(&c.up, "Accept"), "text/event-stream");
    ASSERT(header(&c.up, "Date") != NULL && strstr(header(&c.up, "Date"), " GMT") != NULL);
    ASSERT(body_is(&c, "{\"compartmentId\":\"" COMPARTMENT "\",\"servingMode\":{\"servingType\":"
                       "\"ON_DEMAND\",\"modelId\":\"meta.llama-3.3-70b-instruct\"},"
                       "\"chatRequest\":{\"apiFormat\":\"GENERIC\",\"messages\":[{\"role\":"
                       "\"SYSTEM\",\"content\":[{\"type\":\"TEXT\",\"text\":\"be brief\"}]},"
                       "{\"role\":\"USER\",\"content\":[{\"type\":\"TEXT\",\"text\":\"hi\"},"
                       "{\"type\":\"IMAGE\",\"imageUrl\":{\"url\":\"data:image/png;base64,AAAA\","
                       "\"detail\":\"LOW\"}}]}],\"temperature\":0.5,\"topP\":0.9,\"topK\":40,"
                       "\"stop\":[\"END\"],\"maxTokens\":64,\"seed\":7,\"frequencyPenalty\":0.1,"
                       "\"presencePenalty\":0.2,\"numGenerations\":2,\"isStream\":true}}"));
    ASSERT(signature_ok(&c, "/20231130/actions/chat"));
    call_free(&c);
}

static void test_build_generic_tools(void)
{
    struct call c;

    call_build(&c, "openai.gpt-5",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":"
               "\"text\",\"text\":\"sys\"}]},{\"role\":\"user\",\"content\":\"weather?\"},"
               "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":"
               "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
               "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
               "\"content\":\"sunny\"},{\"role\":\"assistant\",\"content\":null}],"
               "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
               "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"}}}],"
               "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
               "\"reasoning_effort\":\"low\",\"response_format\":{\"type\":\"json_schema\","
               "\"json_schema\":{\"name\":\"j\",\"strict\":true,\"schema\":{\"type\":"
               "\"object\"}}},\"parallel_tool_calls\":true}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(header(&c.up, "Accept"), "application/json");
    ASSERT(body_is(&c, "{\"compartmentId\":\"" COMPARTMENT "\",\"servingMode\":{\"servingType\":"
                       "\"ON_DEMAND\",\"modelId\":\"openai.gpt-5\"},\"chatRequest\":{\"apiFormat\":"
                       "\"GENERIC\",\"messages\":[{\"role\":\"SYSTEM\",\"content\":[{\"type\":"
                       "\"TEXT\",\"text\":\"sys\"}]},{\"role\":\"USER\",\"content\":[{\"type\":"
                       "\"TEXT\",\"text\":\"weather?\"}]},{\"role\":\"ASSISTANT\",\"toolCalls\":"
                       "[{\"id\":\"c1\",\"type\":\"FUNCTION\",\"name\":\"get_weather\","
                       "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}]},{\"role\":\"TOOL\","
                       "\"toolCallId\":\"c1\",\"content\":[{\"type\":\"TEXT\",\"text\":"
                       "\"sunny\"}]}],\"tools\":[{\"type\":\"FUNCTION\",\"name\":\"get_weather\","
                       "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"}}],"
                       "\"toolChoice\":{\"type\":\"FUNCTION\",\"name\":\"get_weather\"},"
                       "\"reasoningEffort\":\"LOW\",\"responseFormat\":{\"type\":\"JSON_SCHEMA\","
                       "\"jsonSchema\":{\"name\":\"j\",\"schema\":{\"type\":\"object\"},"
                       "\"isStrict\":true}},\"maxCompletionTokens\":4096,\"isStream\":false}}"));
    call_free(&c);
}

static void test_build_cohere(void)
{
    struct call c;

    call_build(&c, "cohere.command-r-plus",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
               "{\"role\":\"system\",\"content\":\"and kind\"},{\"role\":\"user\",\"content\":"
               "\"first\"},{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\","
               "\"content\":[{\"type\":\"text\",\"text\":\"weather \"},{\"type\":\"text\","
               "\"text\":\"now?\"}]},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{"
               "\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":"
               "\"{\\\"c\\\":1}\"}},{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":"
               "\"t\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"a\","
               "\"content\":\"sunny\"},{\"role\":\"tool\",\"tool_call_id\":\"b\",\"content\":"
               "\"noon\"}],\"stop\":[\"X\"],\"top_k\":5,\"tool_choice\":\"auto\","
               "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\",\"parameters\":{"
               "\"type\":\"object\",\"properties\":{\"c\":{\"type\":\"integer\",\"description\":"
               "\"city\"},\"u\":{\"type\":[\"string\",\"null\"]}},\"required\":[\"c\"]}}}],"
               "\"response_format\":{\"type\":\"json_object\"}}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(body_is(&c, "{\"compartmentId\":\"" COMPARTMENT "\",\"servingMode\":{\"servingType\":"
                       "\"ON_DEMAND\",\"modelId\":\"cohere.command-r-plus\"},\"chatRequest\":{"
                       "\"apiFormat\":\"COHERE\",\"message\":\"weather now?\",\"chatHistory\":[{"
                       "\"role\":\"USER\",\"message\":\"first\"},{\"role\":\"CHATBOT\","
                       "\"message\":\"ok\"},{\"role\":\"CHATBOT\",\"message\":\"\",\"toolCalls\":[{"
                       "\"name\":\"w\",\"parameters\":{\"c\":1}},{\"name\":\"t\",\"parameters\":"
                       "{}}]},{\"role\":\"TOOL\",\"toolResults\":[{\"call\":{\"name\":\"w\","
                       "\"parameters\":{\"c\":1}},\"outputs\":[{\"output\":\"sunny\"}]},{\"call\":"
                       "{\"name\":\"t\",\"parameters\":{}},\"outputs\":[{\"output\":\"noon\"}]}]}],"
                       "\"preambleOverride\":\"be brief\\nand kind\",\"tools\":[{\"name\":\"w\","
                       "\"description\":\"\",\"parameterDefinitions\":{\"c\":{\"description\":"
                       "\"city\",\"type\":\"int\",\"isRequired\":true},\"u\":{\"description\":\"\","
                       "\"type\":\"str\",\"isRequired\":false}}}],\"stopSequences\":[\"X\"],"
                       "\"topK\":5,\"responseFormat\":{\"type\":\"JSON_OBJECT\"},"
                       "\"maxTokens\":4096,"
                       "\"isStream\":false}}"));
    ASSERT(signature_ok(&c, "/20231130/actions/chat"));
    call_free(&c);

    /* cohere has no reasoning_effort, tool_choice 'required', logit_bias */
    call_build(&c, "cohere.command-r-plus",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"tool_choice\":\"required\"}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "tool_choice");
    call_free(&c);
    call_build(&c, "cohere.command-r-plus", "{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
                                            "\"content\":\"x\"}]}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT(strstr(c.err.message, "at least one user message") != NULL);
    call_free(&c);
}

static void test_build_settings(void)
{
    struct call c;
    char lp[2048];

    /* api_base with a path prefix and an action suffix; {region}; DEDICATED; inline oci_key */
    {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "oci_region", "eu-frankfurt-1",
                              "oci_user", USER, "oci_fingerprint", FP, "oci_tenancy", TENANCY,
                              "oci_compartment_id", COMPARTMENT, "oci_key", pem,
                              "oci_serving_mode", "DEDICATED", "oci_endpoint_id", "ocid1.ep.x");
        char *s = json_dumps(o, JSON_COMPACT);

        snprintf(lp, sizeof(lp), "%s", s);
        free(s);
        json_decref(o);
    }
    call_build(&c, "cohere.command-r",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"max_completion_tokens\":9,\"max_tokens\":3}",
               false, "http://127.0.0.1:9/{region}/proxy/20231130/actions/chat/", lp);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/eu-frankfurt-1/proxy/20231130/actions/chat");
    ASSERT_STR_EQ(header(&c.up, "Host"), "127.0.0.1:9");
    ASSERT(body_is(&c, "{\"compartmentId\":\"" COMPARTMENT "\",\"servingMode\":{\"servingType\":"
                       "\"DEDICATED\",\"endpointId\":\"ocid1.ep.x\"},\"chatRequest\":{"
                       "\"apiFormat\":\"COHERE\",\"message\":\"x\",\"chatHistory\":[],"
                       "\"maxTokens\":9,\"isStream\":false}}"));
    ASSERT(signature_ok(&c, "/eu-frankfurt-1/proxy/20231130/actions/chat"));
    call_free(&c);

    /* the key as one line with literal "\n" pairs, as env files carry it */
    {
        char *flat = malloc(strlen(pem) * 2 + 1), *o = flat;
        json_t *p;
        char *s;

        for (const char *q = pem; *q; q++) {
            if (*q == '\n') {
                *o++ = '\\';
                *o++ = 'n';
            } else {
                *o++ = *q;
            }
        }
        *o = '\0';
        p = json_loads(creds(NULL), 0, NULL);
        json_object_del(p, "oci_key_file");
        json_object_set_new(p, "oci_key", json_string(flat));
        s = json_dumps(p, JSON_COMPACT);
        call_build(&c, "xai.grok-4", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                     "\"content\":\"x\"}]}",
                   false, NULL, s);
        ASSERT_EQ(c.rc, 0);
        ASSERT(signature_ok(&c, "/20231130/actions/chat"));
        call_free(&c);
        free(s);
        free(flat);
        json_decref(p);
    }
}

static void test_build_errors(void)
{
    struct call c;
    static const char req[] =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";

    /* no credentials: 401, nothing built */
    unsetenv("OCI_USER");
    unsetenv("OCI_KEY");
    unsetenv("OCI_KEY_FILE");
    call_build(&c, "meta.llama-3", req, false, NULL,
               "{\"oci_compartment_id\":\"c\",\"oci_tenancy\":\"t\",\"oci_fingerprint\":\"f\","
               "\"oci_key_file\":\"/nonexistent\"}");
    ASSERT_EQ(c.rc, LMX_EAUTH);
    ASSERT_EQ(c.err.status, 401);
    ASSERT(strstr(c.err.message, "oci_user") != NULL);
    ASSERT(c.pc.state == NULL);
    call_free(&c);
    /* an unreadable key file: 401 naming it */
    call_build(&c, "meta.llama-3", req, false, NULL,
               creds("\"oci_key_file\":\"/nonexistent/k.pem\""));
    ASSERT_EQ(c.rc, LMX_EAUTH);
    ASSERT_EQ(c.err.status, 401);
    ASSERT(strstr(c.err.message, "/nonexistent/k.pem") != NULL);
    call_free(&c);
    /* a key that is not PEM */
    call_build(&c, "meta.llama-3", req, false, NULL, creds("\"oci_key\":\"garbage\""));
    ASSERT_EQ(c.rc, LMX_EAUTH);
    ASSERT(strstr(c.err.message, "PEM RSA") != NULL);
    call_free(&c);
    /* no compartment: 400 */
    unsetenv("OCI_COMPARTMENT_ID");
    call_build(&c, "meta.llama-3", req, false, NULL,
               "{\"oci_user\":\"u\",\"oci_tenancy\":\"t\",\"oci_fingerprint\":\"f\"}");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    ASSERT(strstr(c.err.message, "oci_compartment_id") != NULL);
    call_free(&c);
    /* the environment stands in for litellm_params */
    setenv("OCI_COMPARTMENT_ID", "ocid1.compartment.env", 1);
    call_build(&c, "meta.llama-3", req, false, NULL, creds(NULL));
    ASSERT_EQ(c.rc, 0);
    ASSERT(strstr(c.up.body.data, COMPARTMENT) != NULL); /* litellm_params win */
    call_free(&c);
    unsetenv("OCI_COMPARTMENT_ID");
    /* a bad region, a bad serving mode */
    call_build(&c, "meta.llama-3", req, false, NULL, creds("\"oci_region\":\"US EAST\""));
    ASSERT(c.rc < 0);
    ASSERT_EQ(c.err.status, 400);
    call_free(&c);
    call_build(&c, "meta.llama-3", req, false, NULL, creds("\"oci_serving_mode\":\"SPOT\""));
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
    /* unsupported parameters: 400 naming them, or dropped */
    call_build(&c, "meta.llama-3",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"top_logprobs\":2}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "top_logprobs");
    ASSERT(strstr(c.err.message, "oci does not support parameter 'top_logprobs'") != NULL);
    call_free(&c);
    call_build(&c, "meta.llama-3",
               "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
               "\"input_audio\",\"input_audio\":{}}]},{\"role\":\"user\",\"content\":\"y\"}],"
               "\"top_logprobs\":2,\"logprobs\":true,\"n\":1}",
               true, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(strstr(c.up.body.data, "\"chatRequest\":{\"apiFormat\":\"GENERIC\",\"messages\":[{"
                                  "\"role\":\"USER\",\"content\":[]},{\"role\":\"USER\","
                                  "\"content\":[{\"type\":\"TEXT\",\"text\":\"y\"}]}],"
                                  "\"maxTokens\":4096,\"isStream\":false}") != NULL);
    call_free(&c);
    call_build(&c, "meta.llama-3", "{\"model\":\"m\",\"messages\":[{\"role\":\"function\","
                                   "\"content\":\"x\"}]}",
               false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
    /* only chat */
    call_build_ep(&c, "cohere.embed-english-v3.0", "{\"model\":\"e\",\"input\":\"x\"}",
                  LMX_EP_EMBEDDINGS, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_ENOTIMPL);
    ASSERT_EQ(c.err.status, 501);
    call_free(&c);
    call_build_ep(&c, "meta.llama-3", "{\"model\":\"e\",\"prompt\":\"x\"}", LMX_EP_COMPLETIONS,
                  false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

/* The key file is read once: removed after the first call, later calls still sign. */
static void test_key_file_cached(void)
{
    char path[64], lp[512];
    struct call c;
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "/tmp/lmx-oci-once-XXXXXX");
    fd = mkstemp(path);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    ASSERT(f != NULL);
    fputs(pem, f);
    fclose(f);
    snprintf(lp, sizeof(lp), "\"oci_key_file\":\"%s\"", path);
    call_build(&c, "meta.llama-3", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                   "\"content\":\"x\"}]}",
               false, NULL, creds(lp));
    ASSERT_EQ(c.rc, 0);
    call_free(&c);
    unlink(path);
    for (int i = 0; i < 3; i++) {
        call_build(&c, "meta.llama-3", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                                       "\"content\":\"x\"}]}",
                   false, NULL, creds(lp));
        ASSERT_EQ(c.rc, 0);
        ASSERT(signature_ok(&c, "/20231130/actions/chat"));
        call_free(&c);
    }
}

/* ------------------------------------------------------------------------ */
/* Answers */

static json_t *parse_one(const char *model, const char *ans, int *rc)
{
    struct call c;
    json_t *out = NULL;

    call_build(&c, model, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               false, NULL, NULL);
    *rc = c.rc == 0 ? ops->parse(&c.pc, ans, strlen(ans), &out, &c.err) : c.rc;
    if (out != NULL)
        json_object_del(out, "created");
    call_free(&c);
    return out;
}

static void test_parse_generic(void)
{
    int rc;
    json_t *out = parse_one(
        "meta.llama-3",
        "{\"modelId\":\"meta.llama-3\",\"modelVersion\":\"1\",\"chatResponse\":{\"apiFormat\":"
        "\"GENERIC\",\"timeCreated\":\"2025-01-01T00:00:00Z\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"ASSISTANT\",\"content\":[{\"type\":\"TEXT\",\"text\":\"Hello \"},"
        "{\"type\":\"TEXT\",\"text\":\"world\"}]},\"finishReason\":\"MAX_TOKENS\"}],\"usage\":{"
        "\"promptTokens\":5,\"completionTokens\":12,\"totalTokens\":17,"
        "\"completionTokensDetails\":{\"reasoningTokens\":7}}}}",
        &rc);
    json_t *want = json_loads(
        "{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion\",\"model\":\"meta.llama-3\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello "
        "world\"},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
        "\"completion_tokens\":12,\"total_tokens\":17,\"completion_tokens_details\":{"
        "\"reasoning_tokens\":7}}}",
        0, NULL);

    ASSERT_EQ(rc, 0);
    ASSERT(json_equal(out, want));
    json_decref(want);
    json_decref(out);

    out = parse_one("meta.llama-3",
                    "{\"chatResponse\":{\"apiFormat\":\"GENERIC\",\"choices\":[{\"message\":{"
                    "\"role\":\"ASSISTANT\",\"toolCalls\":[{\"id\":\"t1\",\"type\":\"FUNCTION\","
                    "\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}]},\"finishReason\":"
                    "\"tool_calls\"}],\"usage\":{\"promptTokens\":2,\"completionTokens\":3}}}",
                    &rc);
    want = json_loads("{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion\",\"model\":"
                      "\"meta.llama-3\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                      "\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t1\",\"type\":"
                      "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}"
                      "]},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":2,"
                      "\"completion_tokens\":3,\"total_tokens\":5}}",
                      0, NULL);
    ASSERT_EQ(rc, 0);
    ASSERT(json_equal(out, want));
    json_decref(want);
    json_decref(out);

    out = parse_one("meta.llama-3", "{\"chatResponse\":{\"choices\":[]}}", &rc);
    ASSERT_EQ(rc, LMX_EUPSTREAM);
    ASSERT(out == NULL);
    out = parse_one("meta.llama-3", "not json", &rc);
    ASSERT_EQ(rc, LMX_EUPSTREAM);
    ASSERT(out == NULL);
}

static void test_parse_cohere(void)
{
    int rc;
    json_t *out = parse_one(
        "cohere.command-r",
        "{\"modelId\":\"cohere.command-r\",\"chatResponse\":{\"apiFormat\":\"COHERE\",\"text\":"
        "\"Hi there\",\"finishReason\":\"COMPLETE\",\"usage\":{\"promptTokens\":4,"
        "\"completionTokens\":2,\"totalTokens\":6}}}",
        &rc);
    json_t *m, *tc;

    ASSERT_EQ(rc, 0);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "content")), "Hi there");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "stop");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "total_tokens")),
              6);
    json_decref(out);

    out = parse_one("cohere.command-r",
                    "{\"chatResponse\":{\"apiFormat\":\"COHERE\",\"text\":\"\",\"toolCalls\":[{"
                    "\"name\":\"lookup\",\"parameters\":{\"query\":\"mock\"}}],\"finishReason\":"
                    "\"COMPLETE\"}}",
                    &rc);
    ASSERT_EQ(rc, 0);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    tc = json_array_get(json_object_get(m, "tool_calls"), 0);
    ASSERT(json_is_null(json_object_get(m, "content")));
    ASSERT_STR_EQ(json_string_value(json_object_get(tc, "id")), "call_test-1_0");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(tc, "function"), "name")),
                  "lookup");
    ASSERT_STR_EQ(
        json_string_value(json_object_get(json_object_get(tc, "function"), "arguments")),
        "{\"query\":\"mock\"}");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "tool_calls");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "total_tokens")),
              0);
    json_decref(out);
}

static void map_error(const char *body, long status, struct lmx_perr *e)
{
    ops->map_error(NULL, status, body, strlen(body), e);
}

static void test_map_error(void)
{
    struct lmx_perr e;

    memset(&e, 0, sizeof(e));
    map_error("{\"code\":\"NotAuthenticated\",\"message\":\"The required information to "
              "complete authentication was not provided.\"}",
              401, &e);
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT(strstr(e.message, "required information") != NULL);
    map_error("{\"code\":\"TooManyRequests\",\"message\":\"slow down\"}", 429, &e);
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT_STR_EQ(e.message, "slow down - TooManyRequests");
    map_error("{\"code\":\"NotAuthorizedOrNotFound\",\"message\":\"no\"}", 404, &e);
    ASSERT_EQ(e.status, 404);
    ASSERT_STR_EQ(e.type, "invalid_request_error");
    map_error("<html>oops</html>", 503, &e);
    ASSERT_EQ(e.status, 503);
    ASSERT_STR_EQ(e.type, "internal_server_error");
    ASSERT(strstr(e.message, "HTTP 503") != NULL && strstr(e.message, "oops") != NULL);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static const char stream_generic[] =
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"content\":[{\"type\":\"TEXT\","
    "\"text\":\"Hel\"}]},\"pad\":\"aaaa\"}\n\n"
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"content\":[{\"type\":\"TEXT\","
    "\"text\":\"lo \\u00e9\"}]}}\r\n\r\n"
    /* two events separated by a single newline */
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"content\":[{\"type\":\"TEXT\","
    "\"text\":\"!\"}]}}\n"
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\"},\"finishReason\":\"stop\"}\n\n"
    "data: {\"usage\":{\"promptTokens\":11,\"completionTokens\":3,\"totalTokens\":14}}\n\n";

static const char stream_generic_tools[] =
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"toolCalls\":[{\"id\":\"w_1\","
    "\"type\":\"FUNCTION\",\"name\":\"weather\",\"arguments\":\"\"}]}}\n\n"
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"toolCalls\":[{\"arguments\":"
    "\"{\\\"city\\\":\"}]}}\n\n"
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"toolCalls\":[{\"id\":\"w_1\","
    "\"arguments\":\"\\\"Paris\\\"}\"}]}}\n\n"
    "data: {\"index\":0,\"message\":{\"role\":\"ASSISTANT\",\"toolCalls\":[{\"id\":\"t_2\","
    "\"type\":\"FUNCTION\",\"name\":\"time\",\"arguments\":\"{}\"}]}}\n\n"
    "data: {\"index\":0,\"finishReason\":\"tool_calls\"}\n\n";

static const char stream_cohere[] =
    "data: {\"apiFormat\":\"COHERE\",\"text\":\"Hello\"}\n\n"
    "data: {\"apiFormat\":\"COHERE\",\"text\":\" world\"}\n\n"
    "data: {\"apiFormat\":\"COHERE\",\"text\":\"Hello world\",\"chatHistory\":[{\"role\":"
    "\"USER\",\"message\":\"x\"}],\"finishReason\":\"COMPLETE\",\"usage\":{\"promptTokens\":1,"
    "\"completionTokens\":2,\"totalTokens\":3}}\n\n";

static const char stream_cohere_tools[] =
    "data: {\"apiFormat\":\"COHERE\",\"toolCalls\":[{\"name\":\"lookup\",\"parameters\":{"
    "\"query\":\"mock\"}}]}\n\n"
    "data: {\"apiFormat\":\"COHERE\",\"text\":\"\",\"toolCalls\":[{\"name\":\"lookup\","
    "\"parameters\":{\"query\":\"mock\"}}],\"chatHistory\":[],\"finishReason\":\"COMPLETE\"}\n\n";

/* Runs `text` whole, then split at every byte and one byte at a time: the chunks must agree. */
static void check_splits(const char *model, const char *text, bool usage, json_t **whole_out)
{
    size_t n = strlen(text);
    const char *req = usage ? "{\"model\":\"m\",\"stream\":true,\"stream_options\":{"
                              "\"include_usage\":true},\"messages\":[{\"role\":\"user\","
                              "\"content\":\"x\"}]}"
                            : "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"x\"}]}";
    struct call c;
    json_t *whole = json_array();

    *whole_out = whole;
    call_build(&c, model, req, false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(feed(&c, text, n, 0, n, whole), 0);
    call_free(&c);
    for (size_t cut = 0; cut <= n; cut++) {
        json_t *got = json_array();
        int rc;

        call_build(&c, model, req, false, NULL, NULL);
        rc = feed(&c, text, n, 0, cut, got);
        call_free(&c);
        ASSERT_(rc == 0 && json_equal(got, whole), "split at %zu differs (rc %d)", cut, rc);
        json_decref(got);
    }
    {
        json_t *got = json_array();

        call_build(&c, model, req, false, NULL, NULL);
        ASSERT_EQ(feed(&c, text, n, 1, 0, got), 0);
        call_free(&c);
        ASSERT(json_equal(got, whole));
        json_decref(got);
    }
}

static void test_stream_generic(void)
{
    json_t *chunks = NULL, *first;
    struct assembled a;

    check_splits("meta.llama-3", stream_generic, true, &chunks);
    assemble(chunks, &a);
    ASSERT(a.role_first);
    ASSERT_STR_EQ(a.text, "Hello \xc3\xa9!");
    ASSERT_STR_EQ(a.finish, "stop");
    ASSERT_EQ(a.nfinish, 1);
    ASSERT(a.usage);
    ASSERT_EQ(a.prompt, 11);
    ASSERT_EQ(a.completion, 3);
    ASSERT_EQ(a.total, 14);
    first = json_loads("{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\","
                       "\"model\":\"meta.llama-3\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                       "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
                       0, NULL);
    ASSERT(json_equal(json_array_get(chunks, 0), first));
    ASSERT_EQ(json_array_size(json_object_get(json_array_get(chunks, json_array_size(chunks) - 1),
                                              "choices")),
              0);
    json_decref(first);
    json_decref(chunks);

    /* without include_usage: no usage chunk */
    check_splits("meta.llama-3", stream_generic, false, &chunks);
    assemble(chunks, &a);
    ASSERT(!a.usage);
    json_decref(chunks);
}

static void test_stream_generic_tools(void)
{
    json_t *chunks = NULL;
    struct assembled a;

    check_splits("meta.llama-3", stream_generic_tools, false, &chunks);
    assemble(chunks, &a);
    ASSERT_EQ(a.ntools, 2);
    ASSERT_STR_EQ(a.ids[0], "w_1");
    ASSERT_STR_EQ(a.names[0], "weather");
    ASSERT_STR_EQ(a.args[0], "{\"city\":\"Paris\"}");
    ASSERT_STR_EQ(a.ids[1], "t_2");
    ASSERT_STR_EQ(a.names[1], "time");
    ASSERT_STR_EQ(a.args[1], "{}");
    ASSERT_STR_EQ(a.finish, "tool_calls");
    json_decref(chunks);
}

static void test_stream_cohere(void)
{
    json_t *chunks = NULL;
    struct assembled a;

    check_splits("cohere.command-r", stream_cohere, true, &chunks);
    assemble(chunks, &a);
    ASSERT(a.role_first);
    ASSERT_STR_EQ(a.text, "Hello world"); /* the last event's full text is not repeated */
    ASSERT_STR_EQ(a.finish, "stop");
    ASSERT_EQ(a.total, 3);
    json_decref(chunks);

    check_splits("cohere.command-r", stream_cohere_tools, false, &chunks);
    assemble(chunks, &a);
    ASSERT_EQ(a.ntools, 1); /* the last event's tool calls are not repeated */
    ASSERT_STR_EQ(a.names[0], "lookup");
    ASSERT_STR_EQ(a.args[0], "{\"query\":\"mock\"}");
    ASSERT(a.ids[0][0] != '\0');
    ASSERT_STR_EQ(a.finish, "tool_calls");
    json_decref(chunks);

    /* a stream of one event: its text is all there is */
    check_splits("cohere.command-r",
                 "data: {\"apiFormat\":\"COHERE\",\"text\":\"Only\",\"chatHistory\":[],"
                 "\"finishReason\":\"MAX_TOKENS\"}\n\n",
                 false, &chunks);
    assemble(chunks, &a);
    ASSERT_STR_EQ(a.text, "Only");
    ASSERT_STR_EQ(a.finish, "length");
    json_decref(chunks);
}

static void test_stream_errors(void)
{
    static const char req[] = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                              "\"content\":\"x\"}]}";
    static const char cut_short[] =
        "data: {\"message\":{\"role\":\"ASSISTANT\",\"content\":[{\"type\":\"TEXT\",\"text\":"
        "\"Hi\"}]}}\n\n";
    static const char failed[] =
        "data: {\"message\":{\"content\":[{\"type\":\"TEXT\",\"text\":\"Hi\"}]}}\n\n"
        "data: {\"code\":\"InternalServerError\",\"message\":\"model crashed\"}\n\n";
    static const char done_only[] =
        "data: {\"message\":{\"content\":[{\"type\":\"TEXT\",\"text\":\"Hi\"}]}}\n\n"
        "data: [DONE]\n\n";
    struct call c;
    json_t *got = json_array();
    struct assembled a;

    call_build(&c, "meta.llama-3", req, false, NULL, NULL);
    ASSERT_EQ(feed(&c, cut_short, strlen(cut_short), 0, 5, got), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "finishReason") != NULL);
    call_free(&c);

    call_build(&c, "meta.llama-3", req, false, NULL, NULL);
    ASSERT_EQ(feed(&c, failed, strlen(failed), 7, 0, got), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "model crashed") != NULL);
    call_free(&c);

    call_build(&c, "meta.llama-3", req, false, NULL, NULL);
    ASSERT_EQ(feed(&c, "data: {nope}\n\n", 14, 0, 3, got), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "malformed") != NULL);
    call_free(&c);
    json_decref(got);

    got = json_array();
    call_build(&c, "meta.llama-3", req, false, NULL, NULL);
    ASSERT_EQ(feed(&c, done_only, strlen(done_only), 0, 10, got), 0);
    call_free(&c);
    assemble(got, &a);
    ASSERT_STR_EQ(a.text, "Hi");
    ASSERT_STR_EQ(a.finish, "stop");
    json_decref(got);
}

int main(void)
{
    if (!make_key()) {
        fprintf(stderr, "cannot make a test key\n");
        return 1;
    }
    RUN(test_date_and_sign);
    RUN(test_build_generic);
    RUN(test_build_generic_tools);
    RUN(test_build_cohere);
    RUN(test_build_settings);
    RUN(test_build_errors);
    RUN(test_key_file_cached);
    RUN(test_parse_generic);
    RUN(test_parse_cohere);
    RUN(test_map_error);
    RUN(test_stream_generic);
    RUN(test_stream_generic_tools);
    RUN(test_stream_cohere);
    RUN(test_stream_errors);
    unlink(key_path);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    free(pem);
    TEST_MAIN_END();
}
