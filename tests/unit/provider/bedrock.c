/*
 * tests/unit/provider/bedrock.c - the Bedrock Converse adapter.
 *
 * Golden tests: OpenAI requests in → exact Converse request out (URL, the
 * headers that matter, a SigV4 signature recomputed from what was sent,
 * body); Converse answers and event streams in (split at every byte) →
 * exact OpenAI objects and chunks out; errors and exceptions. Conformance:
 * every recorded Bedrock answer and stream in $LMX_FIXTURES/bedrock (the
 * *.decoded.jsonl payloads framed here with our own encoder). Fuzz replay:
 * every file of tests/fuzz/corpora/bedrock through the fuzz target.
 * Embeddings: Titan and Cohere InvokeModel requests, answers (float and
 * base64), usage, refusals.
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "provider/bedrock.h"
#include "provider/eventstream.h"
#include "provider/provider.h"
#include "provider/sigv4.h"
#include "test.h"

#include "../../fuzz/fuzz_bedrock.c"

#define OPS    lmx_provider_bedrock_ops
#define CLAUDE "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
#define AKID   "AKIDTEST"
#define SECRET "secret/key+example"

/* ------------------------------------------------------------------------ */
/* Fixture helpers */

static void clear_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION_NAME",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_BEDROCK_RUNTIME_ENDPOINT",
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(vars); i++)
        unsetenv(vars[i]);
}

/* One call: a deployment, the client's request, the adapter's output. */
struct fx {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req;
    int rc;
};

/* The endpoint fx_build builds for (the embeddings tests switch it). */
static enum lmx_endpoint fx_ep = LMX_EP_CHAT;

static char default_lp[] = "{\"aws_access_key_id\":\"" AKID "\",\"aws_secret_access_key\":\"" SECRET
                           "\",\"aws_region_name\":\"us-east-1\"}";

/* Sets up a call without building it. lp: litellm_params JSON (NULL: static keys). */
static void
fx_setup(struct fx *f, const char *model, const char *lp, const char *req, bool stream, bool drop)
{
    memset(f, 0, sizeof(*f));
    f->dep.model = "bedrock/x";
    f->dep.provider = "bedrock";
    f->dep.upstream_model = (char *)model;
    f->dep.id = "dep-1";
    f->dep.litellm_params = json_loads(lp != NULL ? lp : default_lp, 0, NULL);
    f->req = json_loads(req, 0, NULL);
    if (f->dep.litellm_params == NULL || f->req == NULL) {
        fprintf(stderr, "bad test JSON: %s / %s\n", lp != NULL ? lp : default_lp, req);
        abort();
    }
    f->pc.dep = &f->dep;
    f->pc.ep = fx_ep;
    f->pc.req = f->req;
    f->pc.model = model;
    f->pc.call_id = "test-1";
    f->pc.stream = stream;
    f->pc.drop_params = drop;
    lmx_upreq_init(&f->up);
}

/* Builds the request; f->rc is build's return. lp: litellm_params JSON (NULL: static keys). */
static void
fx_build(struct fx *f, const char *model, const char *lp, const char *req, bool stream, bool drop)
{
    fx_setup(f, model, lp, req, stream, drop);
    f->rc = OPS.build(&f->pc, &f->up, &f->err);
}

static void fx_release(struct fx *f)
{
    OPS.release(&f->pc);
    lmx_upreq_release(&f->up);
    json_decref(f->req);
    json_decref(f->dep.litellm_params);
}

/* The value of header `name` (case-insensitive) of the built request, or NULL. */
static const char *fx_header(const struct fx *f, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < f->up.nheaders; i++)
        if (strncasecmp(f->up.headers[i], name, n) == 0 && f->up.headers[i][n] == ':')
            return f->up.headers[i] + n + 2;
    return NULL;
}

static bool json_same(json_t *got, const char *want_text)
{
    json_error_t je;
    json_t *want = json_loads(want_text, 0, &je);
    bool same;

    if (want == NULL) {
        fprintf(stderr, "bad expected JSON: %s: %s\n", je.text, want_text);
        return false;
    }
    same = json_equal(got, want);
    if (!same) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);

        fprintf(stderr, "JSON differs\n got: %s\nwant: %s\n", g ? g : "(null)", w ? w : "");
        free(g);
        free(w);
    }
    json_decref(want);
    return same;
}

#define ASSERT_JSON(got, want) ASSERT_(json_same((got), (want)), "%s", "JSON mismatch")

static bool body_is(const struct fx *f, const char *want)
{
    json_t *got = json_loadb(f->up.body.data ? f->up.body.data : "", f->up.body.len, 0, NULL);
    bool same = json_same(got, want);

    json_decref(got);
    return same;
}

#define ASSERT_BODY(f, want) ASSERT_(body_is((f), (want)), "%s", "request body mismatch")

/* Recomputes the SigV4 Authorization from what the adapter sends; true when it matches. */
static bool signature_ok(
    const struct fx *f, const char *ak, const char *sk, const char *region, const char *token)
{
    const char *url = f->up.url.data, *path, *host = fx_header(f, "Host");
    const char *date = fx_header(f, "X-Amz-Date"), *auth = fx_header(f, "Authorization");
    struct lmx_sigv4_hdr h[3];
    struct lmx_sigv4_req r;
    struct lmx_buf want;
    size_t nh = 0;
    bool ok;

    if (host == NULL || date == NULL || auth == NULL)
        return false;
    path = strchr(strstr(url, "://") + 3, '/');
    h[nh++] = (struct lmx_sigv4_hdr){"host", host};
    h[nh++] = (struct lmx_sigv4_hdr){"x-amz-date", date};
    if (token != NULL)
        h[nh++] = (struct lmx_sigv4_hdr){"x-amz-security-token", token};
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = path;
    r.headers = h;
    r.nheaders = nh;
    r.payload = f->up.body.data;
    r.payload_len = f->up.body.len;
    r.amz_date = date;
    r.region = region;
    r.service = "bedrock";
    r.access_key = ak;
    r.secret_key = sk;
    lmx_buf_init(&want, 4096);
    ok = lmx_sigv4_sign(&r, &want, NULL, NULL) == 0 && strcmp(want.data, auth) == 0;
    if (!ok)
        fprintf(stderr, "signature differs\n got: %s\nwant: %s\n", auth, want.data);
    lmx_buf_release(&want);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Streams: frames and chunk collection */

static void add_frame(
    struct lmx_buf *b, const char *mtype, const char *tname, const char *type, const char *payload)
{
    struct lmx_es_header h[3];

    h[0] = lmx_es_string(tname, type);
    h[1] = lmx_es_string(":content-type", "application/json");
    h[2] = lmx_es_string(":message-type", mtype);
    if (lmx_es_encode(b, h, 3, payload, strlen(payload)) < 0)
        abort();
}

static void add_event(struct lmx_buf *b, const char *type, const char *payload)
{
    add_frame(b, "event", ":event-type", type, payload);
}

static void add_exception(struct lmx_buf *b, const char *type, const char *payload)
{
    add_frame(b, "exception", ":exception-type", type, payload);
}

/* Every chunk, "created" removed, compact with sorted keys, one per line. */
struct chunks {
    struct lmx_buf out;
    json_t *all;
    int stop_after; /* return LMX_ECLIENT at this chunk; 0 = never */
};

static int chunk_cb(const json_t *chunk, void *ud)
{
    struct chunks *c = ud;
    json_t *copy = json_deep_copy(chunk);
    char *text;

    json_object_del(copy, "created");
    text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    lmx_buf_puts(&c->out, text);
    lmx_buf_puts(&c->out, "\n");
    free(text);
    json_array_append_new(c->all, copy);
    if (c->stop_after > 0 && (int)json_array_size(c->all) >= c->stop_after)
        return LMX_ECLIENT;
    return 0;
}

static void chunks_init(struct chunks *c)
{
    lmx_buf_init(&c->out, 1 << 24);
    c->all = json_array();
    c->stop_after = 0;
}

static void chunks_release(struct chunks *c)
{
    lmx_buf_release(&c->out);
    json_decref(c->all);
}

/* Feeds bytes[0..cut) and [cut..n), then ends the stream. Returns the first failure or 0. */
static int run_stream(struct fx *f, const char *bytes, size_t n, size_t cut, struct chunks *c)
{
    int rc = OPS.stream_feed(&f->pc, bytes, cut, chunk_cb, c, &f->err);

    if (rc == 0)
        rc = OPS.stream_feed(&f->pc, bytes + cut, n - cut, chunk_cb, c, &f->err);
    if (rc == 0)
        rc = OPS.stream_end(&f->pc, chunk_cb, c, &f->err);
    return rc;
}

#define STREAM_REQ                                                                            \
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true," \
    "\"stream_options\":{\"include_usage\":true}}"

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_request_basic(void)
{
    struct fx f;
    const char *auth;

    clear_env();
    fx_build(&f, CLAUDE, NULL,
             "{\"model\":\"claude\",\"messages\":["
             "{\"role\":\"system\",\"content\":\"Be brief.\"},"
             "{\"role\":\"user\",\"content\":\"Hello\"},"
             "{\"role\":\"assistant\",\"content\":\"Hi!\"},"
             "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"How many r's?\"}]},"
             "{\"role\":\"user\",\"content\":\"In strawberry.\"}],"
             "\"max_tokens\":100,\"temperature\":0.5,\"top_p\":0.9,\"stop\":\"END\","
             "\"user\":\"u1\",\"metadata\":{\"a\":1},\"n\":1,\"stream\":false}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.method, "POST");
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                                 "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
    ASSERT_STR_EQ(fx_header(&f, "Content-Type"), "application/json");
    ASSERT_STR_EQ(fx_header(&f, "Accept"), "application/json");
    ASSERT_STR_EQ(fx_header(&f, "Host"), "bedrock-runtime.us-east-1.amazonaws.com");
    ASSERT(fx_header(&f, "X-Amz-Security-Token") == NULL);
    ASSERT_EQ(strlen(fx_header(&f, "X-Amz-Date")), 16);
    auth = fx_header(&f, "Authorization");
    ASSERT(auth != NULL && strncmp(auth, "AWS4-HMAC-SHA256 Credential=" AKID "/",
                                   strlen("AWS4-HMAC-SHA256 Credential=" AKID "/")) == 0);
    ASSERT(strstr(auth, "/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, "
                        "Signature=") != NULL);
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    ASSERT_BODY(&f, "{\"system\":[{\"text\":\"Be brief.\"}],\"messages\":["
                    "{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]},"
                    "{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi!\"}]},"
                    "{\"role\":\"user\",\"content\":[{\"text\":\"How many r's?\"},"
                    "{\"text\":\"In strawberry.\"}]}],"
                    "\"inferenceConfig\":{\"maxTokens\":100,\"temperature\":0.5,\"topP\":0.9,"
                    "\"stopSequences\":[\"END\"]}}");
    fx_release(&f);
}

static void test_request_auth_variants(void)
{
    struct fx f;

    /* session token from litellm_params: sent and signed */
    clear_env();
    fx_build(&f, "converse/" CLAUDE,
             "{\"aws_access_key_id\":\"AK2\",\"aws_secret_access_key\":\"SK2\","
             "\"aws_session_token\":\"TOKEN/123=\",\"aws_region_name\":\"eu-west-1\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
                                 "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
    ASSERT_STR_EQ(fx_header(&f, "Accept"), "application/vnd.amazon.eventstream");
    ASSERT_STR_EQ(fx_header(&f, "X-Amz-Security-Token"), "TOKEN/123=");
    ASSERT(strstr(fx_header(&f, "Authorization"),
                  "SignedHeaders=host;x-amz-date;x-amz-security-token,") != NULL);
    ASSERT(signature_ok(&f, "AK2", "SK2", "eu-west-1", "TOKEN/123="));
    fx_release(&f);

    /* credentials and region from the environment */
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSK", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOK", 1);
    setenv("AWS_REGION", "ap-south-1", 1);
    fx_build(&f, "meta.llama3-1-70b-instruct-v1:0", "{}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.ap-south-1.amazonaws.com/model/"
                                 "meta.llama3-1-70b-instruct-v1%3A0/converse");
    ASSERT_STR_EQ(fx_header(&f, "X-Amz-Security-Token"), "ENVTOK");
    ASSERT(signature_ok(&f, "ENVAK", "ENVSK", "ap-south-1", "ENVTOK"));
    fx_release(&f);

    /* AWS_REGION_NAME comes first; an ARN's region comes before both */
    setenv("AWS_REGION_NAME", "us-east-2", 1);
    fx_build(&f,
             "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/"
             "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
             "{}", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data,
                  "https://bedrock-runtime.eu-central-1.amazonaws.com/model/"
                  "arn%3Aaws%3Abedrock%3Aeu-central-1%3A123456789012%3Ainference-profile%2F"
                  "eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
    ASSERT(signature_ok(&f, "ENVAK", "ENVSK", "eu-central-1", "ENVTOK"));
    fx_release(&f);
    fx_build(&f, "amazon.nova-pro-v1:0", "{}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.us-east-2.amazonaws.com/model/"
                                 "amazon.nova-pro-v1%3A0/converse");
    fx_release(&f);

    /* a Bedrock API key: Bearer, no SigV4 (litellm_params api_key, then the env) */
    clear_env();
    fx_build(&f, CLAUDE, "{\"api_key\":\"br-key\",\"aws_region_name\":\"us-west-2\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(fx_header(&f, "Authorization"), "Bearer br-key");
    ASSERT(fx_header(&f, "X-Amz-Date") == NULL);
    fx_release(&f);
    clear_env();
    setenv("AWS_BEARER_TOKEN_BEDROCK", "env-br-key", 1);
    fx_build(&f, CLAUDE, "{\"aws_region_name\":\"us-west-2\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(fx_header(&f, "Authorization"), "Bearer env-br-key");
    ASSERT(fx_header(&f, "X-Amz-Date") == NULL);
    fx_release(&f);
    clear_env();

    /* no credentials at all, or STS-only ones: refused before anything is sent */
    fx_build(&f, CLAUDE, "{\"aws_region_name\":\"us-west-2\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, LMX_ECONFIG);
    ASSERT_EQ(f.err.status, 500);
    ASSERT(strstr(f.err.message, "no AWS credentials") != NULL);
    fx_release(&f);
    fx_build(&f, CLAUDE, "{\"aws_role_name\":\"arn:aws:iam::1:role/r\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, LMX_ENOTIMPL);
    ASSERT_EQ(f.err.status, 501);
    fx_release(&f);
}

static void test_request_dep_api_key(void)
{
    struct fx f;

    clear_env();
    memset(&f, 0, sizeof(f));
    f.dep.model = "bedrock/x";
    f.dep.provider = "bedrock";
    f.dep.upstream_model = CLAUDE;
    f.dep.api_key = "cfg-key";
    f.dep.litellm_params = json_loads("{\"aws_region_name\":\"us-west-2\"}", 0, NULL);
    f.req = json_loads("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 0, NULL);
    f.pc.dep = &f.dep;
    f.pc.ep = LMX_EP_CHAT;
    f.pc.req = f.req;
    f.pc.model = CLAUDE;
    lmx_upreq_init(&f.up);
    ASSERT_EQ(OPS.build(&f.pc, &f.up, &f.err), 0);
    ASSERT_STR_EQ(fx_header(&f, "Authorization"), "Bearer cfg-key");
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.us-west-2.amazonaws.com/model/"
                                 "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
    fx_release(&f);
}

static void test_request_endpoints(void)
{
    struct fx f;

    /* api_base replaces the host and keeps its path; Host and the signed path follow */
    clear_env();
    fx_build(&f, CLAUDE,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"aws_region_name\":\"us-east-1\",\"api_base\":\"http://127.0.0.1:9911/proxy/\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "http://127.0.0.1:9911/proxy/model/"
                                 "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
    ASSERT_STR_EQ(fx_header(&f, "Host"), "127.0.0.1:9911");
    ASSERT(signature_ok(&f, "A", "S", "us-east-1", NULL));
    fx_release(&f);

    /* aws_bedrock_runtime_endpoint */
    fx_build(&f, CLAUDE,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"aws_region_name\":\"us-east-1\","
             "\"aws_bedrock_runtime_endpoint\":\"https://vpce-1.bedrock-runtime.us-east-1.vpce."
             "amazonaws.com\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/"
                                 "model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
    fx_release(&f);

    /* the provider table's template, and AWS_BEDROCK_RUNTIME_ENDPOINT over it */
    {
        struct fx g;

        fx_build(&g, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false,
                 false);
        lmx_upreq_release(&g.up);
        OPS.release(&g.pc);
        g.dep.api_base = "https://bedrock-runtime.{region}.amazonaws.com";
        lmx_upreq_init(&g.up);
        ASSERT_EQ(OPS.build(&g.pc, &g.up, &g.err), 0);
        ASSERT_STR_EQ(g.up.url.data, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                                     "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
        lmx_upreq_release(&g.up);
        OPS.release(&g.pc);
        setenv("AWS_BEDROCK_RUNTIME_ENDPOINT", "http://localhost:4566", 1);
        lmx_upreq_init(&g.up);
        ASSERT_EQ(OPS.build(&g.pc, &g.up, &g.err), 0);
        ASSERT_STR_EQ(g.up.url.data, "http://localhost:4566/model/"
                                     "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
        unsetenv("AWS_BEDROCK_RUNTIME_ENDPOINT");
        fx_release(&g);
    }

    /* routes this build does not serve, and endpoints it cannot use */
    fx_build(&f, "invoke/anthropic.claude-v2", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT_EQ(f.rc, LMX_ENOTIMPL);
    ASSERT_EQ(f.err.status, 501);
    ASSERT(strstr(f.err.message, "'invoke/'") != NULL);
    fx_release(&f);
    fx_build(&f, CLAUDE, "{\"api_base\":\"ftp://x\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT(f.rc < 0);
    ASSERT_EQ(f.err.status, 500);
    fx_release(&f);
    fx_build(&f, CLAUDE, "{\"aws_region_name\":\"US East\",\"api_key\":\"k\"}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    ASSERT(f.rc < 0);
    ASSERT(strstr(f.err.message, "invalid AWS region") != NULL);
    fx_release(&f);
    {
        struct fx g;

        fx_build(&g, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false,
                 false);
        OPS.release(&g.pc);
        lmx_upreq_release(&g.up);
        lmx_upreq_init(&g.up);
        g.pc.ep = LMX_EP_EMBEDDINGS;
        ASSERT_EQ(OPS.build(&g.pc, &g.up, &g.err), LMX_ENOTIMPL);
        fx_release(&g);
    }
}

static void test_request_tools(void)
{
    struct fx f;

    clear_env();
    fx_build(&f, "anthropic.claude-3-5-sonnet-20240620-v1:0", NULL,
             "{\"messages\":["
             "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
             "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
             "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
             "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},{\"id\":\"call_2\",\"type\":"
             "\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":[{\"type\":\"text\","
             "\"text\":\"noon\"}]},"
             "{\"role\":\"user\",\"content\":\"thanks\"}],"
             "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
             "\"description\":\"Get the weather\",\"parameters\":{\"type\":\"object\","
             "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}},"
             "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}],"
             "\"tool_choice\":\"required\",\"parallel_tool_calls\":true}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":["
                    "{\"role\":\"user\",\"content\":[{\"text\":\"Weather in Paris?\"}]},"
                    "{\"role\":\"assistant\",\"content\":["
                    "{\"toolUse\":{\"toolUseId\":\"call_1\",\"name\":\"get_weather\","
                    "\"input\":{\"city\":\"Paris\"}}},"
                    "{\"toolUse\":{\"toolUseId\":\"call_2\",\"name\":\"get_time\",\"input\":{}}}]},"
                    "{\"role\":\"user\",\"content\":["
                    "{\"toolResult\":{\"toolUseId\":\"call_1\",\"content\":[{\"text\":\"sunny\"}],"
                    "\"status\":\"success\"}},"
                    "{\"toolResult\":{\"toolUseId\":\"call_2\",\"content\":[{\"text\":\"noon\"}],"
                    "\"status\":\"success\"}},"
                    "{\"text\":\"thanks\"}]}],"
                    "\"toolConfig\":{\"tools\":["
                    "{\"toolSpec\":{\"name\":\"get_weather\",\"description\":\"Get the weather\","
                    "\"inputSchema\":{\"json\":{\"type\":\"object\",\"properties\":{\"city\":"
                    "{\"type\":\"string\"}},\"required\":[\"city\"]}}}},"
                    "{\"toolSpec\":{\"name\":\"get_time\",\"inputSchema\":{\"json\":{\"type\":"
                    "\"object\",\"properties\":{}}}}}],"
                    "\"toolChoice\":{\"any\":{}}}}");
    fx_release(&f);

    /* a named tool; tool calls in the history without tools get a placeholder tool */
    fx_build(&f, "anthropic.claude-3-5-sonnet-20240620-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
             "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
             "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"f\",\"inputSchema\":"
                    "{\"json\":{\"type\":\"object\",\"properties\":{}}}}}],"
                    "\"toolChoice\":{\"tool\":{\"name\":\"f\"}}}}");
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"type\":"
             "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"a\",\"content\":\"\"}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":["
                    "{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"a\","
                    "\"name\":\"f\",\"input\":{}}}]},"
                    "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"a\","
                    "\"content\":[{\"text\":\" \"}],\"status\":\"success\"}}]}],"
                    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"dummy_tool\","
                    "\"description\":\"This is a dummy tool call\",\"inputSchema\":{\"json\":"
                    "{\"type\":\"object\",\"properties\":{}}}}}]}}");
    fx_release(&f);

    /* tool_choice none: refused, or dropped; Llama takes no toolChoice but auto (left out) */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
             "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
             "\"tool_choice\":\"none\"}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.param, "tool_choice");
    fx_release(&f);
    fx_build(&f, "meta.llama3-1-70b-instruct-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
             "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
             "\"tool_choice\":\"auto\"}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"f\",\"inputSchema\":"
                    "{\"json\":{\"type\":\"object\",\"properties\":{}}}}}]}}");
    fx_release(&f);

    /* arguments that are not JSON */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"type\":"
             "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    fx_release(&f);
}

static void test_request_images(void)
{
    struct fx f;

    clear_env();
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":["
             "{\"type\":\"text\",\"text\":\"What is this?\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0K\"}},"
             "{\"type\":\"image_url\",\"image_url\":\"data:image/jpg;base64,/9j/\"},"
             "{\"type\":\"file\",\"file\":{\"file_data\":\"data:application/pdf;base64,JVBE\","
             "\"filename\":\"a.pdf\"}}]}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":["
                    "{\"text\":\"What is this?\"},"
                    "{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"iVBORw0K\"}}},"
                    "{\"image\":{\"format\":\"jpeg\",\"source\":{\"bytes\":\"/9j/\"}}},"
                    "{\"document\":{\"format\":\"pdf\",\"name\":\"document-1\","
                    "\"source\":{\"bytes\":\"JVBE\"}}}]}]}");
    fx_release(&f);

    /* an http URL build meets unfetched (no pre-steps ran): 400, even with drop_params */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}",
             false, true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT(strstr(f.err.message, "'https://example.com/a.png' was not fetched") != NULL);
    fx_release(&f);
    /* another scheme: refused, dropped with drop_params */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://example.com/a.png\"}}]}]}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_EQ(f.err.status, 400);
    ASSERT(strstr(f.err.message, "bedrock needs image bytes") != NULL);
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://example.com/a.png\"}}]}]}",
             false, true);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}");
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"data:image/tiff;base64,AAAA\"}}]}]}",
             false, true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
}

/* ------------------------------------------------------------------------ */
/* Image URLs: fetched through token_prepare / token_done before build */

static const unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                          'I',  'H', 'D', 'R', 0,    0,    0,    1,    0, 0, 0, 1};
static const unsigned char jpeg_bytes[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
static const unsigned char gif_bytes[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0};
static const unsigned char webp_bytes[] = {'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'E', 'B', 'P', 'V'};
static const unsigned char bmp_bytes[] = {'B', 'M', 0x3a, 0, 0, 0, 0, 0, 0, 0};

/* base64 of png_bytes and jpeg_bytes */
#define PNG_B64  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"
#define JPEG_B64 "/9j/4AAQSkZJRgA="

/* One pre-step as the proxy runs it: token_prepare; when it asks, the answer to token_done. */
static int fx_prepare(struct fx *f)
{
    lmx_upreq_release(&f->up);
    lmx_upreq_init(&f->up);
    memset(&f->err, 0, sizeof(f->err));
    return OPS.token_prepare(&f->pc, &f->up, &f->err);
}

static int fx_answer(struct fx *f, long status, const void *body, size_t len)
{
    memset(&f->err, 0, sizeof(f->err));
    return OPS.token_done(&f->pc, status, (const char *)body, len, &f->err);
}

/* A new attempt as the proxy starts one: the state released, pc zeroed and filled again. */
static void fx_new_attempt(struct fx *f)
{
    struct lmx_pcall pc = f->pc;

    OPS.release(&f->pc);
    memset(&f->pc, 0, sizeof(f->pc));
    f->pc.dep = pc.dep;
    f->pc.ep = pc.ep;
    f->pc.req = pc.req;
    f->pc.model = pc.model;
    f->pc.call_id = pc.call_id;
    f->pc.stream = pc.stream;
    f->pc.drop_params = pc.drop_params;
}

static void test_image_fetch(void)
{
    struct fx f;

    clear_env();
    /* no remote image (text, a data URL): no pre-step */
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," PNG_B64
             "\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), 0);
    ASSERT(f.pc.state == NULL);
    fx_release(&f);

    /* two URLs (one twice, one in a tool result), a data URL; assistant parts are not fetched */
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://img.example/a.png\"}},"
             "{\"type\":\"image_url\",\"image_url\":\"https://img.example/a.png\"},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/gif;base64,R0lG\"}}]},"
             "{\"role\":\"assistant\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
             "{\"url\":\"https://img.example/never.png\"}}],\"tool_calls\":[{\"id\":\"t1\","
             "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"HTTP://img.example/b.jpg?size=1\"}}]}]}",
             false, true); /* drop_params: build drops the assistant's image part */
    ASSERT_EQ(fx_prepare(&f), 1);
    ASSERT_STR_EQ(f.up.method, "GET");
    ASSERT_STR_EQ(f.up.url.data, "https://img.example/a.png");
    ASSERT_EQ(f.up.body.len, 0);
    ASSERT_EQ(f.up.nheaders, 1);
    ASSERT_STR_EQ(fx_header(&f, "Accept"), "image/*");
    ASSERT_EQ(fx_answer(&f, 200, png_bytes, sizeof(png_bytes)), 0);
    ASSERT_EQ(fx_prepare(&f), 1);
    ASSERT_STR_EQ(f.up.url.data, "HTTP://img.example/b.jpg?size=1");
    ASSERT_EQ(fx_answer(&f, 203, jpeg_bytes, sizeof(jpeg_bytes)), 0);
    ASSERT_EQ(fx_prepare(&f), 0);
    lmx_upreq_release(&f.up);
    lmx_upreq_init(&f.up);
    f.rc = OPS.build(&f.pc, &f.up, &f.err);
    ASSERT_(f.rc == 0, "build: %d %s", f.rc, f.err.message);
    ASSERT_STR_EQ(f.up.method, "POST");
    ASSERT(strstr(f.up.url.data, "/converse") != NULL);
    ASSERT_BODY(&f, "{\"messages\":["
                    "{\"role\":\"user\",\"content\":[{\"text\":\"x\"},"
                    "{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"" PNG_B64 "\"}}},"
                    "{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"" PNG_B64 "\"}}},"
                    "{\"image\":{\"format\":\"gif\",\"source\":{\"bytes\":\"R0lG\"}}}]},"
                    "{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"t1\","
                    "\"name\":\"f\",\"input\":{}}}]},"
                    "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t1\","
                    "\"content\":[{\"image\":{\"format\":\"jpeg\",\"source\":{\"bytes\":\"" JPEG_B64
                    "\"}}}],\"status\":\"success\"}}]}],"
                    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"dummy_tool\","
                    "\"description\":\"This is a dummy tool call\",\"inputSchema\":"
                    "{\"json\":{\"type\":\"object\",\"properties\":{}}}}}]}}");

    /* a retry: the proxy zeroes pc, the images are fetched again */
    fx_new_attempt(&f);
    ASSERT_EQ(fx_prepare(&f), 1);
    ASSERT_STR_EQ(f.up.url.data, "https://img.example/a.png");
    fx_release(&f); /* released with a fetch pending */

    /* the formats by magic bytes; the streaming build takes the images too */
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":["
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://127.0.0.1:1/g\"}},"
             "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://127.0.0.1:1/w\"}}]}]}",
             true, false);
    ASSERT_EQ(fx_prepare(&f), 1);
    ASSERT_EQ(fx_answer(&f, 200, gif_bytes, sizeof(gif_bytes)), 0);
    ASSERT_EQ(fx_prepare(&f), 1);
    ASSERT_EQ(fx_answer(&f, 200, webp_bytes, sizeof(webp_bytes)), 0);
    ASSERT_EQ(fx_prepare(&f), 0);
    lmx_upreq_release(&f.up);
    lmx_upreq_init(&f.up);
    ASSERT_EQ(OPS.build(&f.pc, &f.up, &f.err), 0);
    ASSERT(strstr(f.up.url.data, "/converse-stream") != NULL);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":["
                    "{\"image\":{\"format\":\"gif\",\"source\":{\"bytes\":\"R0lGODlhAQABAA==\"}}},"
                    "{\"image\":{\"format\":\"webp\",\"source\":{\"bytes\":"
                    "\"UklGRgQAAABXRUJQVg==\"}}}]}]}");
    fx_release(&f);

    /* embeddings and models build refuses: no pre-step */
    fx_ep = LMX_EP_EMBEDDINGS;
    fx_setup(&f, "amazon.titan-embed-text-v2:0", NULL,
             "{\"input\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
             "\"image_url\",\"image_url\":{\"url\":\"https://img.example/a.png\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), 0);
    fx_release(&f);
    fx_ep = LMX_EP_CHAT;
    fx_setup(&f, "invoke/anthropic.claude-v2", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
             "\"image_url\",\"image_url\":{\"url\":\"https://img.example/a.png\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), 0);
    fx_release(&f);
}

/* One image URL fetched with the answer (status, body): token_done's return, the error in f. */
static int fetch_one(struct fx *f, const char *url, long status, const void *body, size_t len)
{
    char req[512];

    snprintf(req, sizeof(req),
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"%s\"}}]}]}",
             url);
    fx_setup(f, CLAUDE, NULL, req, false, false);
    if (fx_prepare(f) != 1)
        return 1; /* no fetch asked for: the caller's check fails */
    return fx_answer(f, status, body, len);
}

static void test_image_fetch_refused(void)
{
    unsigned char *big;
    char req[8192];
    size_t off;
    struct fx f;

    clear_env();
    /* a failed fetch: 400 naming the URL and the status (not retryable) */
    ASSERT_EQ(fetch_one(&f, "https://img.example/missing", 404, "nope", 4), LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.type, "invalid_request_error");
    ASSERT_STR_EQ(f.err.message, "cannot fetch image https://img.example/missing: HTTP 404");
    fx_release(&f);
    ASSERT_EQ(fetch_one(&f, "https://img.example/moved", 302, "", 0), LMX_EBADREQ);
    ASSERT_STR_EQ(f.err.message, "cannot fetch image https://img.example/moved: HTTP 302");
    fx_release(&f);
    ASSERT_EQ(fetch_one(&f, "https://img.example/down", 503, "", 0), LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    fx_release(&f);

    /* over Bedrock's 3.75 MB; exactly at it is taken */
    big = calloc(1, 3932161);
    ASSERT(big != NULL);
    memcpy(big, png_bytes, sizeof(png_bytes));
    ASSERT_EQ(fetch_one(&f, "https://img.example/big.png", 200, big, 3932161), LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT(strstr(f.err.message, "https://img.example/big.png") != NULL);
    ASSERT(strstr(f.err.message, "3.75 MB") != NULL);
    fx_release(&f);
    ASSERT_EQ(fetch_one(&f, "https://img.example/edge.png", 200, big, 3932160), 0);
    ASSERT_EQ(fx_prepare(&f), 0);
    ASSERT_EQ(OPS.build(&f.pc, &f.up, &f.err), 0);
    ASSERT(f.up.body.len > 3932160 / 3 * 4);
    fx_release(&f);
    free(big);

    /* not an image Bedrock takes, or no bytes at all */
    ASSERT_EQ(fetch_one(&f, "https://img.example/a.bmp", 200, bmp_bytes, sizeof(bmp_bytes)),
              LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT(strstr(f.err.message, "https://img.example/a.bmp is not a png, jpeg, gif or webp") !=
           NULL);
    fx_release(&f);
    ASSERT_EQ(fetch_one(&f, "https://img.example/empty", 200, "", 0), LMX_EBADREQ);
    fx_release(&f);
    ASSERT_EQ(fetch_one(&f, "https://img.example/short", 200, png_bytes, 7), LMX_EBADREQ);
    fx_release(&f);

    /* URLs that are not fetched: userinfo, no host, blanks */
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"https://user:pw@img.example/a.png\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT(strstr(f.err.message, "credentials") != NULL);
    ASSERT(f.pc.state == NULL);
    fx_release(&f);
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"https://img.example/a.png?u=a@b\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), 1); /* an @ after the host is not userinfo */
    fx_release(&f);
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"https:///a.png\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), LMX_EBADREQ);
    ASSERT(strstr(f.err.message, "no host") != NULL);
    fx_release(&f);
    fx_setup(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"https://img.example/a b.png\"}}]}]}",
             false, false);
    ASSERT_EQ(fx_prepare(&f), LMX_EBADREQ);
    fx_release(&f);

    /* more distinct URLs than one attempt fetches: refused before any fetch */
    off = (size_t)snprintf(req, sizeof(req), "{\"messages\":[{\"role\":\"user\",\"content\":[");
    for (int i = 0; i < 17; i++)
        off += (size_t)snprintf(req + off, sizeof(req) - off,
                                "%s{\"type\":\"image_url\",\"image_url\":"
                                "{\"url\":\"https://img.example/%d.png\"}}",
                                i > 0 ? "," : "", i);
    snprintf(req + off, sizeof(req) - off, "]}]}");
    fx_setup(&f, CLAUDE, NULL, req, false, false);
    ASSERT_EQ(fx_prepare(&f), LMX_EBADREQ);
    ASSERT(strstr(f.err.message, "at most 16 image URLs") != NULL);
    fx_release(&f);

    /* an answer with no fetch asked for */
    fx_setup(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false,
             false);
    ASSERT_EQ(fx_answer(&f, 200, png_bytes, sizeof(png_bytes)), LMX_EINTERNAL);
    ASSERT_EQ(f.err.status, 500);
    fx_release(&f);
}

static void test_request_params(void)
{
    struct fx f;

    clear_env();
    /* reasoning_effort on Claude: thinking with a budget, maxTokens above it */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"low\","
             "\"top_k\":5,\"anthropic_beta\":[\"b1\"]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"inferenceConfig\":{\"maxTokens\":5120},"
                    "\"additionalModelRequestFields\":{\"thinking\":{\"type\":\"enabled\","
                    "\"budget_tokens\":1024},\"top_k\":5,\"anthropic_beta\":[\"b1\"]}}");
    fx_release(&f);
    /* thinking given as is, max_completion_tokens wins over max_tokens */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"thinking\":{\"type\":"
             "\"enabled\",\"budget_tokens\":2000},\"max_tokens\":10,\"max_completion_tokens\":"
             "3000}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"inferenceConfig\":{\"maxTokens\":3000},"
                    "\"additionalModelRequestFields\":{\"thinking\":{\"type\":\"enabled\","
                    "\"budget_tokens\":2000}}}");
    fx_release(&f);
    /* gpt-oss takes reasoning_effort as is; Nova takes top_k under inferenceConfig */
    fx_build(&f, "openai.gpt-oss-120b-1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"high\"}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"additionalModelRequestFields\":{\"reasoning_effort\":\"high\"}}");
    fx_release(&f);
    fx_build(&f, "us.amazon.nova-lite-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_k\":20}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"additionalModelRequestFields\":{\"inferenceConfig\":{\"topK\":20}}}");
    fx_release(&f);
    /* Llama: no reasoning_effort, no top_k, no seed: 400 naming the parameter, or dropped */
    fx_build(&f, "meta.llama3-1-70b-instruct-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"low\"}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.type, "invalid_request_error");
    ASSERT_STR_EQ(f.err.param, "reasoning_effort");
    ASSERT(strncmp(f.err.message, "bedrock does not support parameter 'reasoning_effort'", 53) ==
           0);
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(f.err.param, "seed");
    fx_release(&f);
    fx_build(&f, "meta.llama3-1-70b-instruct-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1,\"top_k\":3,"
             "\"reasoning_effort\":\"low\",\"presence_penalty\":0.5,\"n\":2,\"logprobs\":true,"
             "\"parallel_tool_calls\":false}",
             false, true);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}");
    fx_release(&f);
    /* additional_drop_params drops one parameter without drop_params */
    fx_build(&f, CLAUDE,
             "{\"api_key\":\"k\",\"additional_drop_params\":[\"seed\"],\"temperature\":0.2,"
             "\"max_tokens\":50,\"guardrailConfig\":{\"guardrailIdentifier\":\"g\","
             "\"guardrailVersion\":\"1\"}}",
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1,\"max_tokens\":9}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"inferenceConfig\":{\"maxTokens\":9,\"temperature\":0.2},"
                    "\"guardrailConfig\":{\"guardrailIdentifier\":\"g\",\"guardrailVersion\":"
                    "\"1\"}}");
    fx_release(&f);
    /* malformed values */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"many\"}",
             false, false);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    ASSERT_STR_EQ(f.err.param, "max_tokens");
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[]}", false, false);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}", false,
             false);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
    /* stop as a list, empty strings left out; system parts and developer role */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":"
             "\"A\",\"cache_control\":{\"type\":\"ephemeral\"}}]},{\"role\":\"system\","
             "\"content\":\"B\"},{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"\",\"s1\","
             "\"s2\"]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"system\":[{\"text\":\"A\"},{\"cachePoint\":{\"type\":\"default\"}},"
                    "{\"text\":\"B\"}],"
                    "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"inferenceConfig\":{\"stopSequences\":[\"s1\",\"s2\"]}}");
    fx_release(&f);
    /* an empty assistant message is left out; the user turns around it merge */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
             "\"content\":\"\"},{\"role\":\"user\",\"content\":\"b\"}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"},"
                    "{\"text\":\"b\"}]}]}");
    fx_release(&f);
    /* assistant thinking blocks are replayed as reasoningContent */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
             "\"content\":\"ok\",\"thinking_blocks\":[{\"type\":\"thinking\",\"thinking\":\"t\","
             "\"signature\":\"sig\"},{\"type\":\"redacted_thinking\",\"data\":\"cmVk\"}]},"
             "{\"role\":\"user\",\"content\":\"y\"}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]},"
                    "{\"role\":\"assistant\",\"content\":["
                    "{\"reasoningContent\":{\"reasoningText\":{\"text\":\"t\",\"signature\":"
                    "\"sig\"}}},{\"reasoningContent\":{\"redactedContent\":\"cmVk\"}},"
                    "{\"text\":\"ok\"}]},"
                    "{\"role\":\"user\",\"content\":[{\"text\":\"y\"}]}]}");
    fx_release(&f);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static json_t *parse_ok(struct fx *f, const char *body)
{
    json_t *out = NULL;

    if (OPS.parse(&f->pc, body, strlen(body), &out, &f->err) < 0)
        return NULL;
    json_object_del(out, "created");
    return out;
}

static void test_parse(void)
{
    struct fx f;
    json_t *out;

    clear_env();
    fx_build(&f, "anthropic.claude-3-5-sonnet-20240620-v1:0", NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false, false);
    out = parse_ok(&f, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                       "{\"text\":\"Let me check.\"},{\"toolUse\":{\"toolUseId\":\"tooluse_1\","
                       "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}}]}},"
                       "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":10,"
                       "\"outputTokens\":5,\"totalTokens\":15,\"cacheReadInputTokens\":4},"
                       "\"metrics\":{\"latencyMs\":1}}");
    ASSERT(out != NULL);
    ASSERT_JSON(out, "{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion\",\"model\":"
                     "\"anthropic.claude-3-5-sonnet-20240620-v1:0\",\"choices\":[{\"index\":0,"
                     "\"message\":{\"role\":\"assistant\",\"content\":\"Let me check.\","
                     "\"tool_calls\":[{\"id\":\"tooluse_1\",\"type\":\"function\",\"function\":"
                     "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                     "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":14,"
                     "\"completion_tokens\":5,\"total_tokens\":15,\"prompt_tokens_details\":"
                     "{\"cached_tokens\":4},\"cache_read_input_tokens\":4}}");
    json_decref(out);

    /* tool calls only: content null; reasoning: reasoning_content and thinking_blocks */
    out = parse_ok(&f, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                       "{\"reasoningContent\":{\"reasoningText\":{\"text\":\"hm\",\"signature\":"
                       "\"c2ln\"}}},{\"reasoningContent\":{\"redactedContent\":\"cmVk\"}},"
                       "{\"toolUse\":{\"toolUseId\":\"t\",\"name\":\"f\",\"input\":{}}}]}},"
                       "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":1,"
                       "\"outputTokens\":2,\"totalTokens\":3}}");
    ASSERT(out != NULL);
    ASSERT_JSON(json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message"),
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t\","
                "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}],"
                "\"reasoning_content\":\"hm\",\"thinking_blocks\":[{\"type\":\"thinking\","
                "\"thinking\":\"hm\",\"signature\":\"c2ln\"},{\"type\":\"redacted_thinking\","
                "\"data\":\"cmVk\"}]}");
    ASSERT_JSON(json_object_get(out, "usage"),
                "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}");
    json_decref(out);

    /* stop reasons */
    {
        static const char *const map[][2] = {
            {"end_turn", "stop"},
            {"stop_sequence", "stop"},
            {"max_tokens", "length"},
            {"tool_use", "tool_calls"},
            {"guardrail_intervened", "content_filter"},
            {"content_filtered", "content_filter"},
        };

        for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++) {
            char body[256];
            const char *fr;

            snprintf(body, sizeof(body),
                     "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
                     "\"a\"}]}},\"stopReason\":\"%s\",\"usage\":{}}",
                     map[i][0]);
            out = parse_ok(&f, body);
            ASSERT(out != NULL);
            fr = json_string_value(json_object_get(
                json_array_get(json_object_get(out, "choices"), 0), "finish_reason"));
            ASSERT_(fr != NULL && strcmp(fr, map[i][1]) == 0, "%s -> %s", map[i][0], fr);
            json_decref(out);
        }
    }

    /* not JSON */
    ASSERT(parse_ok(&f, "<html>") == NULL);
    ASSERT_EQ(f.err.status, 500);
    ASSERT(strstr(f.err.message, "not a JSON object") != NULL);
    fx_release(&f);

    /* response_format: the forced tool's input is the content */
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{"
             "\"type\":\"json_schema\",\"json_schema\":{\"name\":\"answer\",\"schema\":{\"type\":"
             "\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}}}}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],"
                    "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"json_tool_call\","
                    "\"inputSchema\":{\"json\":{\"type\":\"object\",\"properties\":{\"n\":"
                    "{\"type\":\"integer\"}}}}}}],\"toolChoice\":{\"tool\":{\"name\":"
                    "\"json_tool_call\"}}}}");
    out = parse_ok(&f, "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                       "{\"toolUse\":{\"toolUseId\":\"t\",\"name\":\"json_tool_call\",\"input\":"
                       "{\"n\":3}}}]}},\"stopReason\":\"tool_use\",\"usage\":{}}");
    ASSERT(out != NULL);
    ASSERT_JSON(json_array_get(json_object_get(out, "choices"), 0),
                "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"n\\\":3}\"},"
                "\"finish_reason\":\"stop\"}");
    json_decref(out);
    fx_release(&f);
}

static void test_map_error(void)
{
    struct fx f;
    struct lmx_perr e;
    static const char body429[] = "{\"message\":\"Too many requests, please wait before trying "
                                  "again.\"}";

    clear_env();
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false,
             false);
    memset(&e, 0, sizeof(e));
    OPS.map_error(&f.pc, 429, body429, strlen(body429), &e);
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT_STR_EQ(e.message, "Too many requests, please wait before trying again.");
    memset(&e, 0, sizeof(e));
    OPS.map_error(&f.pc, 403, "{\"Message\":\"User is not authorized\"}", 36, &e);
    ASSERT_EQ(e.status, 403);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT_STR_EQ(e.message, "User is not authorized");
    memset(&e, 0, sizeof(e));
    OPS.map_error(&f.pc, 400, "{\"message\":\"The provided model identifier is invalid.\"}", 55,
                  &e);
    ASSERT_EQ(e.status, 400);
    ASSERT_STR_EQ(e.type, "invalid_request_error");
    memset(&e, 0, sizeof(e));
    OPS.map_error(&f.pc, 503, "Service Unavailable", 19, &e);
    ASSERT_EQ(e.status, 503);
    ASSERT_STR_EQ(e.type, "internal_server_error");
    ASSERT(strstr(e.message, "Service Unavailable") != NULL);
    memset(&e, 0, sizeof(e));
    OPS.map_error(&f.pc, 500, NULL, 0, &e);
    ASSERT_EQ(e.status, 500);
    fx_release(&f);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static void golden_stream(struct lmx_buf *b)
{
    add_event(b, "messageStart", "{\"role\":\"assistant\",\"p\":\"abcdefgh\"}");
    add_event(b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"},\"p\":\"abc\"}");
    add_event(b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"lo\"}}");
    add_event(b, "contentBlockStop", "{\"contentBlockIndex\":0}");
    add_event(b, "contentBlockStart",
              "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"t1\","
              "\"name\":\"f\"}}}");
    add_event(b, "contentBlockDelta",
              "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{\\\"a\\\":\"}}}");
    add_event(b, "contentBlockDelta",
              "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"1}\"}}}");
    add_event(b, "contentBlockStop", "{\"contentBlockIndex\":1}");
    add_event(b, "messageStop", "{\"stopReason\":\"tool_use\"}");
    add_event(b, "metadata",
              "{\"usage\":{\"inputTokens\":3,\"outputTokens\":4,\"totalTokens\":7},"
              "\"metrics\":{\"latencyMs\":5}}");
}

#define CK(delta, fr)                                                                   \
    "{\"choices\":[{\"delta\":" delta ",\"finish_reason\":" fr ",\"index\":0}],\"id\":" \
    "\"chatcmpl-test-1\",\"model\":\"" CLAUDE "\",\"object\":\"chat.completion.chunk\"}\n"

static const char golden_chunks[] = CK("{\"content\":\"\",\"role\":\"assistant\"}", "null") CK(
    "{\"content\":\"Hel\"}", "null") CK("{\"content\":\"lo\"}", "null")
    CK("{\"tool_calls\":[{\"function\":{\"arguments\":\"\",\"name\":\"f\"},\"id\":\"t1\","
       "\"index\":0,\"type\":\"function\"}]}",
       "null") CK("{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"a\\\":\"},\"index\":0}]}",
                  "null") CK("{\"tool_calls\":[{\"function\":{\"arguments\":\"1}\"},\"index\":0}]}",
                             "null")
        CK("{}", "\"tool_calls\"") "{\"choices\":[],\"id\":\"chatcmpl-test-1\",\"model\":\"" CLAUDE
                                   "\",\"object\":"
                                   "\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":4,"
                                   "\"prompt_tokens\":3,"
                                   "\"total_tokens\":7}}\n";

static void test_stream_golden_every_split(void)
{
    struct lmx_buf b;

    clear_env();
    lmx_buf_init(&b, 1 << 20);
    golden_stream(&b);
    for (size_t cut = 0; cut <= b.len; cut++) {
        struct fx f;
        struct chunks c;
        int rc;

        fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
        chunks_init(&c);
        rc = run_stream(&f, b.data, b.len, cut, &c);
        ASSERT_(rc == 0, "cut %zu: %d %s", cut, rc, f.err.message);
        ASSERT_(strcmp(c.out.data, golden_chunks) == 0, "cut %zu:\n%s--- want\n%s", cut, c.out.data,
                golden_chunks);
        chunks_release(&c);
        fx_release(&f);
    }
    /* one byte at a time */
    {
        struct fx f;
        struct chunks c;
        int rc = 0;

        fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
        chunks_init(&c);
        for (size_t i = 0; i < b.len && rc == 0; i++)
            rc = OPS.stream_feed(&f.pc, b.data + i, 1, chunk_cb, &c, &f.err);
        ASSERT_EQ(rc, 0);
        ASSERT_EQ(OPS.stream_end(&f.pc, chunk_cb, &c, &f.err), 0);
        ASSERT(strcmp(c.out.data, golden_chunks) == 0);
        chunks_release(&c);
        fx_release(&f);
    }
    /* without include_usage: no usage chunk */
    {
        struct fx f;
        struct chunks c;

        fx_build(&f, CLAUDE, NULL,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}", true,
                 false);
        chunks_init(&c);
        ASSERT_EQ(run_stream(&f, b.data, b.len, 0, &c), 0);
        ASSERT_EQ(json_array_size(c.all), 7);
        chunks_release(&c);
        fx_release(&f);
    }
    /* the callback's failure stops the stream and comes back untouched */
    {
        struct fx f;
        struct chunks c;

        fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
        chunks_init(&c);
        c.stop_after = 2;
        ASSERT_EQ(OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err), LMX_ECLIENT);
        ASSERT_STR_EQ(f.err.message, "");
        chunks_release(&c);
        fx_release(&f);
    }
    lmx_buf_release(&b);
}

static void test_stream_orders_and_modes(void)
{
    struct lmx_buf b;
    struct fx f;
    struct chunks c;

    clear_env();
    /* metadata before messageStop, no messageStart: role on the first chunk, usage after finish */
    lmx_buf_init(&b, 1 << 20);
    add_event(&b, "contentBlockStart",
              "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"x\",\"name\":"
              "\"g\"}}}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}");
    add_event(&b, "contentBlockStop", "{\"contentBlockIndex\":0}");
    add_event(&b, "metadata",
              "{\"usage\":{\"inputTokens\":1,\"outputTokens\":2,"
              "\"totalTokens\":3}}");
    add_event(&b, "messageStop", "{\"stopReason\":\"tool_use\"}");
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT_EQ(run_stream(&f, b.data, b.len, 7, &c), 0);
    ASSERT_EQ(json_array_size(c.all), 4);
    ASSERT_JSON(
        json_object_get(json_array_get(json_object_get(json_array_get(c.all, 0), "choices"), 0),
                        "delta"),
        "{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"x\",\"type\":"
        "\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"\"}}]}");
    ASSERT_JSON(json_object_get(json_array_get(c.all, 3), "usage"),
                "{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}");
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_release(&b);

    /* reasoning: reasoning_content, a signature in thinking_blocks, text, finish length */
    lmx_buf_init(&b, 1 << 20);
    add_event(&b, "messageStart", "{\"role\":\"assistant\"}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"hm\"}}}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"text\":\"\"}}}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"reasoningContent\":{\"signature\":\"c2\"}}}");
    add_event(&b, "contentBlockDelta", "{\"contentBlockIndex\":1,\"delta\":{\"text\":\"ok\"}}");
    add_event(&b, "messageStop", "{\"stopReason\":\"max_tokens\"}");
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true,
             false);
    chunks_init(&c);
    ASSERT_EQ(run_stream(&f, b.data, b.len, 0, &c), 0);
    ASSERT_EQ(json_array_size(c.all), 5);
    ASSERT_JSON(
        json_object_get(json_array_get(json_object_get(json_array_get(c.all, 1), "choices"), 0),
                        "delta"),
        "{\"reasoning_content\":\"hm\"}");
    ASSERT_JSON(
        json_object_get(json_array_get(json_object_get(json_array_get(c.all, 2), "choices"), 0),
                        "delta"),
        "{\"thinking_blocks\":[{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":"
        "\"c2\"}]}");
    ASSERT_JSON(json_array_get(json_object_get(json_array_get(c.all, 4), "choices"), 0),
                "{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}");
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_release(&b);

    /* response_format in a stream: the forced tool's input arrives as content */
    lmx_buf_init(&b, 1 << 20);
    add_event(&b, "messageStart", "{\"role\":\"assistant\"}");
    add_event(&b, "contentBlockStart",
              "{\"contentBlockIndex\":0,\"start\":{\"toolUse\":{\"toolUseId\":\"j\",\"name\":"
              "\"json_tool_call\"}}}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{\\\"n\\\":\"}}}");
    add_event(&b, "contentBlockDelta",
              "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"3}\"}}}");
    add_event(&b, "messageStop", "{\"stopReason\":\"tool_use\"}");
    fx_build(&f, CLAUDE, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{"
             "\"type\":\"json_object\"}}",
             true, false);
    chunks_init(&c);
    ASSERT_EQ(run_stream(&f, b.data, b.len, 0, &c), 0);
    ASSERT_EQ(json_array_size(c.all), 4);
    ASSERT_JSON(
        json_object_get(json_array_get(json_object_get(json_array_get(c.all, 1), "choices"), 0),
                        "delta"),
        "{\"content\":\"{\\\"n\\\":\"}");
    ASSERT_JSON(json_array_get(json_object_get(json_array_get(c.all, 3), "choices"), 0),
                "{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}");
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_release(&b);
}

static void test_stream_errors(void)
{
    static const struct {
        const char *type;
        int status;
        const char *etype;
    } ex[] = {
        {"throttlingException", 429, "rate_limit_error"},
        {"validationException", 400, "invalid_request_error"},
        {"modelStreamErrorException", 424, "invalid_request_error"},
        {"serviceUnavailableException", 503, "internal_server_error"},
        {"internalServerException", 500, "internal_server_error"},
    };
    struct lmx_buf b;
    struct fx f;
    struct chunks c;
    int rc;

    clear_env();
    for (size_t i = 0; i < LMX_ARRAY_SIZE(ex); i++) {
        lmx_buf_init(&b, 1 << 20);
        add_event(&b, "messageStart", "{\"role\":\"assistant\"}");
        add_event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"a\"}}");
        add_exception(&b, ex[i].type, "{\"message\":\"upstream said no\"}");
        add_event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"b\"}}");
        fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
        chunks_init(&c);
        rc = OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err);
        ASSERT_(rc < 0, "%s: rc %d", ex[i].type, rc);
        ASSERT_(f.err.status == ex[i].status, "%s: status %d", ex[i].type, f.err.status);
        ASSERT_STR_EQ(f.err.type, ex[i].etype);
        ASSERT_STR_EQ(f.err.message, "upstream said no");
        ASSERT_EQ(json_array_size(c.all), 2); /* what came before the exception */
        chunks_release(&c);
        fx_release(&f);
        lmx_buf_release(&b);
    }

    /* an unmodeled error message: :error-code and :error-message headers */
    lmx_buf_init(&b, 1 << 20);
    {
        struct lmx_es_header h[3];

        h[0] = lmx_es_string(":message-type", "error");
        h[1] = lmx_es_string(":error-code", "ThrottlingException");
        h[2] = lmx_es_string(":error-message", "slow down");
        ASSERT_EQ(lmx_es_encode(&b, h, 3, NULL, 0), 0);
    }
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT(OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err) < 0);
    ASSERT_EQ(f.err.status, 429);
    ASSERT_STR_EQ(f.err.message, "slow down");
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_release(&b);

    /* a broken CRC, a payload that is not JSON, a stream cut short, no messageStop */
    lmx_buf_init(&b, 1 << 20);
    golden_stream(&b);
    b.data[40] ^= 0x20;
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT(OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err) < 0);
    ASSERT_EQ(f.err.status, 500);
    ASSERT(strstr(f.err.message, "malformed eventstream") != NULL);
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_reset(&b);
    add_event(&b, "contentBlockDelta", "not json");
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT(OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err) < 0);
    ASSERT(strstr(f.err.message, "not a JSON object") != NULL);
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_reset(&b);
    golden_stream(&b);
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT_EQ(OPS.stream_feed(&f.pc, b.data, b.len - 3, chunk_cb, &c, &f.err), 0);
    ASSERT(OPS.stream_end(&f.pc, chunk_cb, &c, &f.err) < 0);
    ASSERT(strstr(f.err.message, "middle of an eventstream message") != NULL);
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_reset(&b);
    add_event(&b, "messageStart", "{\"role\":\"assistant\"}");
    add_event(&b, "contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"a\"}}");
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT_EQ(OPS.stream_feed(&f.pc, b.data, b.len, chunk_cb, &c, &f.err), 0);
    ASSERT(OPS.stream_end(&f.pc, chunk_cb, &c, &f.err) < 0);
    ASSERT(strstr(f.err.message, "before messageStop") != NULL);
    chunks_release(&c);
    fx_release(&f);
    /* a JSON error body where the stream should be (not an event stream at all) */
    fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
    chunks_init(&c);
    ASSERT(OPS.stream_feed(&f.pc, "{\"message\":\"x\"}", 15, chunk_cb, &c, &f.err) < 0);
    ASSERT_EQ(f.err.status, 500);
    chunks_release(&c);
    fx_release(&f);
    lmx_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* Conformance: every recorded Bedrock answer and stream */

static const char *fixtures(void)
{
    const char *dir = getenv("LMX_FIXTURES");

    return dir != NULL ? dir : "../shared/fixtures";
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n + 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p != NULL) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The recording's usage must come out as prompt/completion/total tokens. */
static bool usage_matches(json_t *usage, json_t *rec)
{
    json_int_t in = json_integer_value(json_object_get(rec, "inputTokens")) +
                    json_integer_value(json_object_get(rec, "cacheReadInputTokens")) +
                    json_integer_value(json_object_get(rec, "cacheWriteInputTokens"));

    return json_integer_value(json_object_get(usage, "prompt_tokens")) == in &&
           json_integer_value(json_object_get(usage, "completion_tokens")) ==
               json_integer_value(json_object_get(rec, "outputTokens")) &&
           json_integer_value(json_object_get(usage, "total_tokens")) ==
               json_integer_value(json_object_get(rec, "totalTokens"));
}

static void conform_response(const char *path)
{
    struct fx f;
    json_t *rec, *out = NULL, *msg, *blk;
    size_t n, i;
    char *body = slurp(path, &n);
    bool has_text = false;

    ASSERT(body != NULL);
    rec = json_loadb(body, n, 0, NULL);
    ASSERT(rec != NULL);
    fx_build(&f, CLAUDE, NULL, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false,
             false);
    ASSERT_(OPS.parse(&f.pc, body, n, &out, &f.err) == 0, "%s: %s", path, f.err.message);
    json_array_foreach(
        json_object_get(json_object_get(json_object_get(rec, "output"), "message"), "content"), i,
        blk) {
        if (json_is_string(json_object_get(blk, "text")))
            has_text = true;
    }
    msg = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    if (has_text)
        ASSERT_(json_string_length(json_object_get(msg, "content")) > 0, "%s: no text", path);
    ASSERT_(usage_matches(json_object_get(out, "usage"), json_object_get(rec, "usage")),
            "%s: usage", path);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "stop");
    json_decref(out);
    json_decref(rec);
    free(body);
    fx_release(&f);
}

static void conform_stream(const char *path)
{
    struct lmx_buf b;
    json_t *rec_usage = NULL, *chunk, *usage = NULL;
    char *text;
    size_t n, i;
    bool has_text = false, has_reasoning = false, finished = false;
    struct lmx_buf content, reasoning, args[8];
    int ntools = 0;

    text = slurp(path, &n);
    ASSERT(text != NULL);
    lmx_buf_init(&b, 1 << 22);
    /* frame each recorded payload as Bedrock does: the inner object, a "p" padding member */
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *ev = json_loads(line, 0, NULL);
        const char *type;
        json_t *inner;
        char *payload;

        ASSERT_(json_is_object(ev) && json_object_size(ev) == 1, "%s: bad line", path);
        json_object_foreach(ev, type, inner) {
            json_object_set_new(inner, "p", json_string("abcdefghijklmnopqrstuvwxyz"));
            payload = json_dumps(inner, JSON_COMPACT);
            add_event(&b, type, payload);
            free(payload);
            if (strcmp(type, "metadata") == 0)
                rec_usage = json_deep_copy(json_object_get(inner, "usage"));
            if (strcmp(type, "contentBlockDelta") == 0) {
                json_t *d = json_object_get(inner, "delta");

                if (json_string_length(json_object_get(d, "text")) > 0)
                    has_text = true;
                if (json_object_get(d, "reasoningContent") != NULL)
                    has_reasoning = true;
            }
        }
        json_decref(ev);
    }
    free(text);
    ASSERT_(rec_usage != NULL, "%s: no metadata", path);
    lmx_buf_init(&content, 1 << 20);
    lmx_buf_init(&reasoning, 1 << 20);
    for (int k = 0; k < 8; k++)
        lmx_buf_init(&args[k], 1 << 20);
    for (size_t cut = 0; cut <= b.len; cut += (cut < 64 || cut + 64 > b.len) ? 1 : 17) {
        struct fx f;
        struct chunks c;

        fx_build(&f, CLAUDE, NULL, STREAM_REQ, true, false);
        chunks_init(&c);
        ASSERT_(run_stream(&f, b.data, b.len, cut, &c) == 0, "%s cut %zu: %s", path, cut,
                f.err.message);
        if (cut == 0) {
            json_array_foreach(c.all, i, chunk) {
                json_t *ch = json_array_get(json_object_get(chunk, "choices"), 0);
                json_t *d = json_object_get(ch, "delta");
                json_t *tc = json_object_get(d, "tool_calls");
                size_t j;
                json_t *t;

                if (i == 0)
                    ASSERT_STR_EQ(json_string_value(json_object_get(d, "role")), "assistant");
                if (json_is_string(json_object_get(d, "content")))
                    lmx_buf_puts(&content, json_string_value(json_object_get(d, "content")));
                if (json_is_string(json_object_get(d, "reasoning_content")))
                    lmx_buf_puts(&reasoning,
                                 json_string_value(json_object_get(d, "reasoning_content")));
                json_array_foreach(tc, j, t) {
                    int k = (int)json_integer_value(json_object_get(t, "index"));
                    json_t *a = json_object_get(json_object_get(t, "function"), "arguments");

                    ASSERT(k >= 0 && k < 8);
                    ntools = LMX_MAX(ntools, k + 1);
                    lmx_buf_puts(&args[k], json_string_value(a));
                }
                if (json_is_string(json_object_get(ch, "finish_reason")))
                    finished = true;
                if (json_object_get(chunk, "usage") != NULL)
                    usage = json_incref(json_object_get(chunk, "usage"));
            }
        }
        chunks_release(&c);
        fx_release(&f);
    }
    ASSERT_(finished, "%s: no finish_reason", path);
    if (has_text)
        ASSERT_(content.len > 0, "%s: no content", path);
    if (has_reasoning)
        ASSERT_(reasoning.len > 0, "%s: no reasoning_content", path);
    for (int k = 0; k < ntools; k++) {
        json_t *j = json_loadb(args[k].data ? args[k].data : "", args[k].len, 0, NULL);

        ASSERT_(json_is_object(j), "%s: tool %d arguments '%s' are not JSON", path, k,
                args[k].data);
        json_decref(j);
    }
    ASSERT_(usage != NULL && usage_matches(usage, rec_usage), "%s: usage", path);
    json_decref(usage);
    json_decref(rec_usage);
    lmx_buf_release(&content);
    lmx_buf_release(&reasoning);
    for (int k = 0; k < 8; k++)
        lmx_buf_release(&args[k]);
    lmx_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* Embeddings */

#define TITAN2 "amazon.titan-embed-text-v2:0"
#define TITAN1 "amazon.titan-embed-text-v1"
#define COHERE "cohere.embed-english-v3"

static void embed_build(struct fx *f, const char *model, const char *lp, const char *req, bool drop)
{
    fx_ep = LMX_EP_EMBEDDINGS;
    fx_build(f, model, lp, req, false, drop);
    fx_ep = LMX_EP_CHAT;
}

/* parse's output for `answer` after building `req` for `model`; NULL when parse failed. */
static json_t *embed_parse(struct fx *f, const char *model, const char *req, const char *answer)
{
    json_t *out = NULL;

    embed_build(f, model, NULL, req, false);
    if (f->rc != 0)
        return NULL;
    f->rc = OPS.parse(&f->pc, answer, strlen(answer), &out, &f->err);
    return out;
}

static void test_embed_requests(void)
{
    struct fx f;

    clear_env();
    /* Titan v2: inputText, dimensions, normalize; SigV4-signed InvokeModel */
    embed_build(&f, TITAN2, NULL,
                "{\"model\":\"emb\",\"input\":\"hello world\",\"dimensions\":256,"
                "\"normalize\":true,\"encoding_format\":\"float\",\"user\":\"u\"}",
                false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.method, "POST");
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                                 "amazon.titan-embed-text-v2%3A0/invoke");
    ASSERT_STR_EQ(fx_header(&f, "Accept"), "application/json");
    ASSERT_STR_EQ(fx_header(&f, "Content-Type"), "application/json");
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    ASSERT_BODY(&f, "{\"inputText\":\"hello world\",\"dimensions\":256,\"normalize\":true}");
    fx_release(&f);

    /* Titan v1: a one-element list is one text; dimensions is refused, or dropped */
    embed_build(&f, TITAN1, NULL, "{\"input\":[\"one\"]}", false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputText\":\"one\"}");
    fx_release(&f);
    embed_build(&f, TITAN1, NULL, "{\"input\":\"x\",\"dimensions\":512}", false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.param, "dimensions");
    fx_release(&f);
    embed_build(&f, TITAN1, NULL, "{\"input\":\"x\",\"dimensions\":512,\"normalize\":true}", true);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputText\":\"x\"}");
    fx_release(&f);

    /* Titan takes one text per call: a longer list is a clear 400 */
    embed_build(&f, TITAN2, NULL, "{\"input\":[\"a\",\"b\",\"c\"]}", true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.param, "input");
    ASSERT(strstr(f.err.message, "one text per request") != NULL);
    ASSERT(strstr(f.err.message, "send 3 calls") != NULL);
    fx_release(&f);

    /* Cohere: texts, input_type (search_document unless given), truncate */
    embed_build(&f, COHERE, NULL, "{\"input\":[\"a b\",\"cdef\"]}", false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                                 "cohere.embed-english-v3/invoke");
    ASSERT_BODY(&f, "{\"texts\":[\"a b\",\"cdef\"],\"input_type\":\"search_document\"}");
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    fx_release(&f);
    embed_build(&f, "cohere.embed-multilingual-v3", NULL,
                "{\"input\":\"hola\",\"input_type\":\"search_query\",\"truncate\":\"END\","
                "\"encoding_format\":\"base64\"}",
                false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"texts\":[\"hola\"],\"input_type\":\"search_query\",\"truncate\":\"END\"}");
    fx_release(&f);
    embed_build(&f, COHERE, NULL, "{\"input\":\"x\",\"dimensions\":256}", false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    fx_release(&f);
    embed_build(&f, "cohere.embed-v4:0", NULL, "{\"input\":\"x\",\"dimensions\":256}", false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"texts\":[\"x\"],\"input_type\":\"search_document\","
                    "\"output_dimension\":256}");
    fx_release(&f);

    /* a Bedrock API key works for embeddings too */
    embed_build(&f, COHERE, "{\"api_key\":\"br-key\",\"aws_region_name\":\"eu-west-1\"}",
                "{\"input\":\"x\"}", false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(fx_header(&f, "Authorization"), "Bearer br-key");
    ASSERT_STR_EQ(f.up.url.data, "https://bedrock-runtime.eu-west-1.amazonaws.com/model/"
                                 "cohere.embed-english-v3/invoke");
    fx_release(&f);

    /* refusals: token arrays, an empty list, a bad format, unknown parameters, other models */
    {
        static const char *const bad[] = {
            "{\"input\":[[1,2,3]]}",
            "{\"input\":[]}",
            "{\"input\":[\"a\",7]}",
            "{}",
            "{\"input\":\"x\",\"encoding_format\":\"int8\"}",
        };

        for (size_t i = 0; i < LMX_ARRAY_SIZE(bad); i++) {
            embed_build(&f, COHERE, NULL, bad[i], true);
            ASSERT_EQ(f.rc, LMX_EBADREQ);
            ASSERT_EQ(f.err.status, 400);
            fx_release(&f);
        }
    }
    embed_build(&f, COHERE, NULL, "{\"input\":\"x\",\"logit_bias\":{}}", false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT(strstr(f.err.message, "'logit_bias'") != NULL);
    fx_release(&f);
    embed_build(&f, TITAN2, NULL, "{\"input\":\"x\",\"input_type\":\"search_query\"}", false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    fx_release(&f);
    embed_build(&f, "amazon.nova-2-multimodal-embeddings-v1:0", NULL, "{\"input\":\"x\"}", false);
    ASSERT_EQ(f.rc, LMX_ENOTIMPL);
    ASSERT_EQ(f.err.status, 501);
    fx_release(&f);
    embed_build(&f, TITAN2, "{\"aws_region_name\":\"us-east-1\"}", "{\"input\":\"x\"}", false);
    ASSERT_EQ(f.rc, LMX_ECONFIG);
    ASSERT(strstr(f.err.message, "no AWS credentials") != NULL);
    fx_release(&f);
}

static void test_embed_answers(void)
{
    struct fx f;
    json_t *out;

    clear_env();
    /* Titan: one vector, inputTextTokenCount as usage */
    out = embed_parse(&f, TITAN2, "{\"input\":\"hello\"}",
                      "{\"embedding\":[0.5,-1.25,3],\"inputTextTokenCount\":3,"
                      "\"embeddingsByType\":{\"float\":[0.5,-1.25,3]}}");
    ASSERT_EQ(f.rc, 0);
    ASSERT_JSON(out, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                     "\"embedding\":[0.5,-1.25,3]}],\"model\":\"" TITAN2 "\","
                     "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
    json_decref(out);
    fx_release(&f);

    /* Titan v2 answering embeddingsByType only; base64 is float32 little-endian */
    out = embed_parse(&f, TITAN2, "{\"input\":\"hello\",\"encoding_format\":\"base64\"}",
                      "{\"embeddingsByType\":{\"float\":[1.0,-2.0]},\"inputTextTokenCount\":1}");
    ASSERT_EQ(f.rc, 0);
    ASSERT_JSON(out, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                     "\"embedding\":\"AACAPwAAAMA=\"}],\"model\":\"" TITAN2 "\","
                     "\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}");
    json_decref(out);
    fx_release(&f);

    /* Cohere: one vector per text, in order; no usage upstream: ceil(chars/4) per text */
    out = embed_parse(&f, COHERE, "{\"input\":[\"a b\",\"cdefg\"]}",
                      "{\"embeddings\":[[0.1,0.2],[0.3,0.4]],\"id\":\"e-1\","
                      "\"response_type\":\"embeddings_floats\",\"texts\":[\"a b\",\"cdefg\"]}");
    ASSERT_EQ(f.rc, 0);
    ASSERT_JSON(out, "{\"object\":\"list\",\"data\":["
                     "{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]},"
                     "{\"object\":\"embedding\",\"index\":1,\"embedding\":[0.3,0.4]}],"
                     "\"model\":\"" COHERE "\","
                     "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
    json_decref(out);
    fx_release(&f);

    /* Cohere by type, base64, and billed units when an answer carries them */
    out = embed_parse(&f, COHERE, "{\"input\":\"x\",\"encoding_format\":\"base64\"}",
                      "{\"embeddings\":{\"float\":[[0.5,-0.25,0.125]]},"
                      "\"response_type\":\"embeddings_by_type\","
                      "\"meta\":{\"billed_units\":{\"input_tokens\":7}}}");
    ASSERT_EQ(f.rc, 0);
    ASSERT_JSON(out, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                     "\"embedding\":\"AAAAPwAAgL4AAAA+\"}],\"model\":\"" COHERE "\","
                     "\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}");
    json_decref(out);
    fx_release(&f);

    /* answers that are not embeddings */
    {
        static const char *const bad[] = {
            "{\"message\":\"nope\"}",
            "{\"embedding\":[\"a\"]}",
            "{\"embeddings\":[[1],\"x\"]}",
            "{\"embeddings\":[]}",
            "[1,2]",
            "not json",
        };

        for (size_t i = 0; i < LMX_ARRAY_SIZE(bad); i++) {
            out = embed_parse(&f, i < 2 ? TITAN1 : COHERE, "{\"input\":\"x\"}", bad[i]);
            ASSERT(out == NULL);
            ASSERT_EQ(f.rc, LMX_EUPSTREAM);
            ASSERT_EQ(f.err.status, 500);
            fx_release(&f);
        }
    }

    /* an InvokeModel error body maps like a Converse one */
    embed_build(&f, TITAN1, NULL, "{\"input\":\"x\"}", false);
    {
        static const char body[] = "{\"message\":\"Malformed input request: expected maxLength\"}";

        memset(&f.err, 0, sizeof(f.err));
        OPS.map_error(&f.pc, 400, body, strlen(body), &f.err);
        ASSERT_EQ(f.err.status, 400);
        ASSERT_STR_EQ(f.err.message, "Malformed input request: expected maxLength");
    }
    fx_release(&f);
}

static void test_conformance(void)
{
    char dir[4096], path[4600];
    struct dirent *de;
    DIR *d;
    int nresp = 0, nstream = 0;

    clear_env();
    snprintf(dir, sizeof(dir), "%s/bedrock", fixtures());
    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "skip: no Bedrock fixtures at %s\n", dir);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (ends_with(de->d_name, ".response.json")) {
            conform_response(path);
            nresp++;
        } else if (ends_with(de->d_name, ".decoded.jsonl")) {
            conform_stream(path);
            nstream++;
        }
    }
    closedir(d);
    fprintf(stderr, "conformance: %d answers, %d streams\n", nresp, nstream);
    ASSERT(nresp >= 2);
    ASSERT(nstream >= 3);
}

/* ------------------------------------------------------------------------ */
/* Fuzz corpus replay */

static void test_fuzz_corpus(void)
{
    const char *src = getenv("LMX_SRC");
    char dir[4096], path[4600];
    struct dirent *de;
    DIR *d;
    int n = 0;

    clear_env();
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpora/bedrock", src != NULL ? src : ".");
    d = opendir(dir);
    ASSERT_(d != NULL, "no corpus at %s", dir);
    while ((de = readdir(d)) != NULL) {
        size_t len;
        char *p;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        p = slurp(path, &len);
        ASSERT(p != NULL);
        LLVMFuzzerTestOneInput((const uint8_t *)p, len);
        free(p);
        n++;
    }
    closedir(d);
    ASSERT(n >= 5);
}

int main(void)
{
    RUN(test_request_basic);
    RUN(test_request_auth_variants);
    RUN(test_request_dep_api_key);
    RUN(test_request_endpoints);
    RUN(test_request_tools);
    RUN(test_request_images);
    RUN(test_image_fetch);
    RUN(test_image_fetch_refused);
    RUN(test_request_params);
    RUN(test_parse);
    RUN(test_map_error);
    RUN(test_stream_golden_every_split);
    RUN(test_stream_orders_and_modes);
    RUN(test_stream_errors);
    RUN(test_embed_requests);
    RUN(test_embed_answers);
    RUN(test_conformance);
    RUN(test_fuzz_corpus);
    TEST_MAIN_END();
}
