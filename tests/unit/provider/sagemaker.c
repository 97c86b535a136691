/*
 * tests/unit/provider/sagemaker.c - the SageMaker adapter (sagemaker_chat/
 * and sagemaker/).
 *
 * Golden tests: OpenAI requests in → exact SageMaker request out (URL, the
 * headers that matter, a SigV4 signature recomputed from what was sent,
 * body: the OpenAI body for sagemaker_chat/, the rendered TGI prompt and
 * parameters for sagemaker/); answers (chat.completion, TGI generated_text)
 * → OpenAI objects; event streams of PayloadPart events (split at every
 * byte) → exact chunks; errors, exceptions and broken frames.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "provider/eventstream.h"
#include "provider/provider.h"
#include "provider/sagemaker.h"
#include "provider/sigv4.h"
#include "test.h"

#define OPS    lmx_provider_sagemaker_ops
#define AKID   "AKIDSAGE"
#define SECRET "sage/secret+key"
#define EP     "my-endpoint"
#define URL    "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/" EP
#define MSGS   "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"}," \
             "{\"role\":\"user\",\"content\":\"Hi\"}]"

static void clear_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",  "AWS_REGION_NAME",
        "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_BEARER_TOKEN_BEDROCK",
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(vars); i++)
        unsetenv(vars[i]);
}

struct fx {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req;
    int rc;
};

static char default_lp[] = "{\"aws_access_key_id\":\"" AKID "\",\"aws_secret_access_key\":\"" SECRET
                           "\",\"aws_region_name\":\"us-east-1\"}";

/* provider: "sagemaker" (TGI) or "sagemaker_chat"; lp NULL: static keys in us-east-1. */
static void fx_build(struct fx *f,
                     const char *provider,
                     const char *model,
                     const char *lp,
                     const char *req,
                     bool stream,
                     bool drop)
{
    memset(f, 0, sizeof(*f));
    f->dep.model = "sagemaker/x";
    f->dep.provider = (char *)provider;
    f->dep.upstream_model = (char *)model;
    f->dep.id = "dep-sm";
    f->dep.litellm_params = json_loads(lp != NULL ? lp : default_lp, 0, NULL);
    f->req = json_loads(req, 0, NULL);
    if (f->dep.litellm_params == NULL || f->req == NULL) {
        fprintf(stderr, "bad test JSON: %s / %s\n", lp != NULL ? lp : default_lp, req);
        abort();
    }
    f->pc.dep = &f->dep;
    f->pc.ep = LMX_EP_CHAT;
    f->pc.req = f->req;
    f->pc.model = model;
    f->pc.call_id = "t1";
    f->pc.stream = stream;
    f->pc.drop_params = drop;
    lmx_upreq_init(&f->up);
    f->rc = OPS.build(&f->pc, &f->up, &f->err);
}

static void fx_release(struct fx *f)
{
    OPS.release(&f->pc);
    lmx_upreq_release(&f->up);
    json_decref(f->req);
    json_decref(f->dep.litellm_params);
}

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
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &je);
    bool same;

    if (want == NULL) {
        fprintf(stderr, "bad expected JSON: %s: %s\n", je.text, want_text);
        return false;
    }
    same = json_equal(got, want);
    if (!same) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

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

/* Recomputes the SigV4 Authorization (service sagemaker) from what is sent. */
static bool signature_ok(
    const struct fx *f, const char *ak, const char *sk, const char *region, const char *token)
{
    const char *url = f->up.url.data, *host = fx_header(f, "Host");
    const char *date = fx_header(f, "X-Amz-Date"), *auth = fx_header(f, "Authorization");
    struct lmx_sigv4_hdr h[3];
    struct lmx_sigv4_req r;
    struct lmx_buf want;
    size_t nh = 0;
    bool ok;

    if (host == NULL || date == NULL || auth == NULL)
        return false;
    h[nh++] = (struct lmx_sigv4_hdr){"host", host};
    h[nh++] = (struct lmx_sigv4_hdr){"x-amz-date", date};
    if (token != NULL)
        h[nh++] = (struct lmx_sigv4_hdr){"x-amz-security-token", token};
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = strchr(strstr(url, "://") + 3, '/');
    r.headers = h;
    r.nheaders = nh;
    r.payload = f->up.body.data;
    r.payload_len = f->up.body.len;
    r.amz_date = date;
    r.region = region;
    r.service = "sagemaker";
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
/* Streams */

static void add_part(struct lmx_buf *b, const char *bytes)
{
    struct lmx_es_header h[3];

    h[0] = lmx_es_string(":event-type", "PayloadPart");
    h[1] = lmx_es_string(":content-type", "application/octet-stream");
    h[2] = lmx_es_string(":message-type", "event");
    if (lmx_es_encode(b, h, 3, bytes, strlen(bytes)) < 0)
        abort();
}

static void add_exception(struct lmx_buf *b, const char *type, const char *payload)
{
    struct lmx_es_header h[3];

    h[0] = lmx_es_string(":exception-type", type);
    h[1] = lmx_es_string(":content-type", "application/json");
    h[2] = lmx_es_string(":message-type", "exception");
    if (lmx_es_encode(b, h, 3, payload, strlen(payload)) < 0)
        abort();
}

struct chunks {
    struct lmx_buf out;
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
    json_decref(copy);
    return 0;
}

/* Feeds bytes[0..cut) and [cut..n), then ends the stream. */
static int run_stream(struct fx *f, const struct lmx_buf *b, size_t cut, struct chunks *c)
{
    int rc = OPS.stream_feed(&f->pc, b->data, cut, chunk_cb, c, &f->err);

    if (rc == 0)
        rc = OPS.stream_feed(&f->pc, b->data + cut, b->len - cut, chunk_cb, c, &f->err);
    if (rc == 0)
        rc = OPS.stream_end(&f->pc, chunk_cb, c, &f->err);
    return rc;
}

/* Every split of `b` gives exactly `want` (one compact sorted chunk per line, no "created"). */
static void stream_golden(const char *provider,
                          const char *req,
                          const struct lmx_buf *b,
                          const char *want)
{
    for (size_t cut = 0; cut <= b->len; cut++) {
        struct fx f;
        struct chunks c;

        fx_build(&f, provider, EP, NULL, req, true, false);
        ASSERT_EQ(f.rc, 0);
        lmx_buf_init(&c.out, 1 << 20);
        ASSERT_EQ(run_stream(&f, b, cut, &c), 0);
        if (strcmp(c.out.data != NULL ? c.out.data : "", want) != 0) {
            fprintf(stderr, "cut %zu\n got:\n%s\nwant:\n%s\n", cut, c.out.data, want);
            ASSERT(false);
        }
        lmx_buf_release(&c.out);
        fx_release(&f);
    }
}

#define STREAM_REQ "{" MSGS ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_chat_request(void)
{
    struct fx f;
    const char *auth;

    clear_env();
    fx_build(&f, "sagemaker_chat", EP,
             "{\"aws_access_key_id\":\"" AKID "\",\"aws_secret_access_key\":\"" SECRET
             "\",\"aws_region_name\":\"us-east-1\",\"model_id\":\"ic-1\"}",
             "{\"model\":\"group\"," MSGS ",\"temperature\":0.2,\"max_tokens\":10,"
             "\"metadata\":{\"a\":1},\"model_id\":\"ic-1\",\"hf_model_name\":\"x\",\"tools\":[]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.method, "POST");
    ASSERT_STR_EQ(f.up.url.data, URL "/invocations");
    ASSERT_STR_EQ(fx_header(&f, "Content-Type"), "application/json");
    ASSERT_STR_EQ(fx_header(&f, "Host"), "runtime.sagemaker.us-east-1.amazonaws.com");
    ASSERT_STR_EQ(fx_header(&f, "X-Amzn-SageMaker-Inference-Component"), "ic-1");
    auth = fx_header(&f, "Authorization");
    ASSERT(auth != NULL && strstr(auth, "Credential=" AKID "/") != NULL);
    ASSERT(strstr(auth, "/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, ") !=
           NULL);
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    ASSERT_BODY(&f, "{\"model\":\"" EP "\"," MSGS ",\"temperature\":0.2,\"max_tokens\":10,"
                    "\"tools\":[]}");
    fx_release(&f);

    /* a stream: the -response-stream route, stream and stream_options in the body */
    fx_build(&f, "sagemaker_chat", EP, NULL, STREAM_REQ, true, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, URL "/invocations-response-stream");
    ASSERT(fx_header(&f, "X-Amzn-SageMaker-Inference-Component") == NULL);
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    ASSERT_BODY(&f, "{\"model\":\"" EP "\"," MSGS
                    ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    fx_release(&f);
}

static void test_where_and_who(void)
{
    struct fx f;

    /* environment credentials and region, a session token */
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSK", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOK", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    fx_build(&f, "sagemaker_chat", "ep with:odd/chars", "{}", "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/"
                                 "ep%20with%3Aodd%2Fchars/invocations");
    ASSERT_STR_EQ(fx_header(&f, "X-Amz-Security-Token"), "ENVTOK");
    ASSERT(signature_ok(&f, "ENVAK", "ENVSK", "eu-west-1", "ENVTOK"));
    fx_release(&f);
    clear_env();

    /* api_base replaces scheme and host; the provider table's {region} template works */
    fx_build(&f, "sagemaker", EP,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"aws_region_name\":\"us-west-2\",\"api_base\":\"http://127.0.0.1:9/sm/\"}",
             "{" MSGS "}", true, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "http://127.0.0.1:9/sm/endpoints/" EP
                                 "/invocations-response-stream");
    ASSERT_STR_EQ(fx_header(&f, "Host"), "127.0.0.1:9");
    ASSERT(signature_ok(&f, "A", "S", "us-west-2", NULL));
    fx_release(&f);
    {
        struct fx g;

        fx_build(&g, "sagemaker_chat", EP, NULL, "{" MSGS "}", false, false);
        OPS.release(&g.pc);
        lmx_upreq_release(&g.up);
        lmx_upreq_init(&g.up);
        g.dep.api_base = "https://runtime.sagemaker.{region}.amazonaws.com";
        ASSERT_EQ(OPS.build(&g.pc, &g.up, &g.err), 0);
        ASSERT_STR_EQ(g.up.url.data, URL "/invocations");
        fx_release(&g);
    }

    /* sagemaker_base_url is the whole URL (LiteLLM) */
    fx_build(&f, "sagemaker_chat", EP,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"sagemaker_base_url\":\"https://proxy.example/custom/path\"}",
             "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, "https://proxy.example/custom/path");
    ASSERT(signature_ok(&f, "A", "S", "us-west-2", NULL));
    ASSERT_BODY(&f, "{\"model\":\"" EP "\"," MSGS "}");
    fx_release(&f);

    /* refusals before anything is sent */
    fx_build(&f, "sagemaker_chat", EP, "{\"aws_region_name\":\"us-east-1\"}", "{" MSGS "}", false,
             false);
    ASSERT_EQ(f.rc, LMX_ECONFIG);
    ASSERT_EQ(f.err.status, 500);
    ASSERT(strstr(f.err.message, "sagemaker deployment 'dep-sm' has no AWS credentials") != NULL);
    ASSERT(strstr(f.err.message, "AWS_BEARER_TOKEN_BEDROCK") == NULL);
    fx_release(&f);
    fx_build(&f, "sagemaker_chat", EP, "{\"aws_role_name\":\"r\"}", "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, LMX_ENOTIMPL);
    fx_release(&f);
    fx_build(&f, "sagemaker_chat", EP,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"aws_region_name\":\"Not A Region\"}",
             "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, LMX_ECONFIG);
    fx_release(&f);
    fx_build(&f, "sagemaker_chat", "", NULL, "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, LMX_EBADMODEL);
    fx_release(&f);
    fx_build(&f, "sagemaker_chat", EP, NULL, "{\"messages\":\"x\"}", false, false);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
    {
        struct fx g;

        fx_build(&g, "sagemaker", EP, NULL, "{" MSGS "}", false, false);
        OPS.release(&g.pc);
        lmx_upreq_release(&g.up);
        lmx_upreq_init(&g.up);
        g.pc.ep = LMX_EP_EMBEDDINGS;
        ASSERT_EQ(OPS.build(&g.pc, &g.up, &g.err), LMX_ENOTIMPL);
        ASSERT_EQ(g.err.status, 501);
        fx_release(&g);
    }
}

static void test_tgi_request(void)
{
    struct fx f;

    clear_env();
    /* the default template (contents joined by spaces), parameters mapped, details on */
    fx_build(&f, "sagemaker", EP, NULL,
             "{" MSGS ",\"max_tokens\":0,\"temperature\":0,\"top_p\":0.9,\"stop\":\"END\","
             "\"n\":2,\"seed\":7,\"top_k\":5,\"user\":\"u\"}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_STR_EQ(f.up.url.data, URL "/invocations");
    ASSERT(signature_ok(&f, AKID, SECRET, "us-east-1", NULL));
    ASSERT_BODY(&f, "{\"inputs\":\"Be brief. Hi\",\"parameters\":{\"max_new_tokens\":1,"
                    "\"temperature\":0.01,\"top_p\":0.9,\"stop\":[\"END\"],\"best_of\":2,"
                    "\"do_sample\":true,\"seed\":7,\"top_k\":5,\"details\":true}}");
    fx_release(&f);

    /* aws_sagemaker_allow_zero_temp keeps 0; max_completion_tokens wins; a stream says so */
    fx_build(&f, "sagemaker", EP,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"aws_sagemaker_allow_zero_temp\":true}",
             "{" MSGS ",\"temperature\":0,\"max_tokens\":5,\"max_completion_tokens\":9,"
             "\"stop\":[\"a\",\"b\"],\"stream\":true}",
             true, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"Be brief. Hi\",\"parameters\":{\"temperature\":0,"
                    "\"max_new_tokens\":9,\"stop\":[\"a\",\"b\"],\"details\":true},"
                    "\"stream\":true}");
    fx_release(&f);

    /* chat templates by hf_model_name (else the endpoint name) */
    fx_build(&f, "sagemaker", EP,
             "{\"aws_access_key_id\":\"A\",\"aws_secret_access_key\":\"S\","
             "\"hf_model_name\":\"meta-llama/Meta-Llama-3-8B-Instruct\"}",
             "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"<|begin_of_text|><|start_header_id|>system<|end_header_id|>"
                    "\\n\\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\\n\\nHi"
                    "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n\","
                    "\"parameters\":{\"details\":true}}");
    fx_release(&f);
    fx_build(&f, "sagemaker", "jumpstart-llama-2-7b-chat", NULL,
             "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
             "{\"role\":\"user\",\"content\":\"U1\"},{\"role\":\"assistant\",\"content\":\"A1\"},"
             "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"U2\"}]}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"<s>[INST] <<SYS>>\\nS\\n<</SYS>>\\n\\nU1 [/INST] A1 </s>"
                    "<s>[INST] U2 [/INST]\",\"parameters\":{\"details\":true}}");
    fx_release(&f);
    fx_build(&f, "sagemaker", "hf-mistral-7b-instruct", NULL,
             "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
             "{\"role\":\"user\",\"content\":\"U1\"},{\"role\":\"assistant\",\"content\":\"A1\"},"
             "{\"role\":\"user\",\"content\":\"U2\"}]}",
             false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"<s>[INST] S\\n\\nU1 [/INST]A1</s>[INST] U2 [/INST]\","
                    "\"parameters\":{\"details\":true}}");
    fx_release(&f);
    fx_build(&f, "sagemaker", "qwen2-7b", NULL, "{" MSGS "}", false, false);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"<|im_start|>system\\nBe brief.<|im_end|>\\n<|im_start|>user\\n"
                    "Hi<|im_end|>\\n<|im_start|>assistant\\n\",\"parameters\":{\"details\":true}}");
    fx_release(&f);

    /* what TGI cannot take: refused, or dropped */
    fx_build(&f, "sagemaker", EP, NULL, "{" MSGS ",\"tools\":[{\"type\":\"function\"}]}", false,
             false);
    ASSERT_EQ(f.rc, LMX_EBADPARAM);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.param, "tools");
    ASSERT(strstr(f.err.message, "does not support parameter 'tools'") != NULL);
    fx_release(&f);
    fx_build(&f, "sagemaker", EP, NULL, "{" MSGS ",\"tools\":[],\"logprobs\":true}", false, true);
    ASSERT_EQ(f.rc, 0);
    ASSERT_BODY(&f, "{\"inputs\":\"Be brief. Hi\",\"parameters\":{\"details\":true}}");
    fx_release(&f);
    fx_build(&f, "sagemaker", EP, NULL,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
             "\"image_url\":{\"url\":\"data:image/png;base64,AA\"}}]}]}",
             false, true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
    fx_build(&f, "sagemaker", EP, NULL, "{" MSGS ",\"max_tokens\":\"many\"}", false, true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
    fx_build(&f, "sagemaker", EP, NULL, "{\"messages\":[]}", false, true);
    ASSERT_EQ(f.rc, LMX_EBADREQ);
    fx_release(&f);
}

/* ------------------------------------------------------------------------ */
/* Answers and errors */

static void test_parse(void)
{
    struct fx f;
    json_t *out = NULL;
    static const char chat[] =
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"tgi\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,"
        "\"total_tokens\":4}}";
    static const char tgi[] = "[{\"generated_text\":\"Be brief. Hi there friend\",\"details\":"
                              "{\"finish_reason\":\"length\",\"generated_tokens\":5}}]";

    clear_env();
    fx_build(&f, "sagemaker_chat", EP, NULL, "{" MSGS "}", false, false);
    ASSERT_EQ(OPS.parse(&f.pc, chat, strlen(chat), &out, &f.err), 0);
    ASSERT_JSON(out, chat);
    json_decref(out);
    /* model and object filled in when the container leaves them out */
    {
        static const char bare[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                   "\"content\":\"x\"},\"finish_reason\":\"stop\"}]}";

        ASSERT_EQ(OPS.parse(&f.pc, bare, strlen(bare), &out, &f.err), 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(out, "model")), EP);
        ASSERT_STR_EQ(json_string_value(json_object_get(out, "object")), "chat.completion");
        json_decref(out);
    }
    ASSERT_EQ(OPS.parse(&f.pc, "{\"x\":1}", 7, &out, &f.err), LMX_EUPSTREAM);
    ASSERT_EQ(f.err.status, 500);
    ASSERT_EQ(OPS.parse(&f.pc, "<html>", 6, &out, &f.err), LMX_EUPSTREAM);
    fx_release(&f);

    /* TGI: the echoed prompt stripped, finish from details, usage estimated for the prompt */
    fx_build(&f, "sagemaker", EP, NULL, "{" MSGS "}", false, false);
    ASSERT_EQ(OPS.parse(&f.pc, tgi, strlen(tgi), &out, &f.err), 0);
    json_object_del(out, "created");
    ASSERT_JSON(out, "{\"id\":\"chatcmpl-t1\",\"object\":\"chat.completion\",\"model\":\"" EP "\","
                     "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                     "\"content\":\" there friend\"},\"finish_reason\":\"length\"}],"
                     "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,"
                     "\"total_tokens\":8}}");
    json_decref(out);
    {
        /* a JumpStart object answer; no details: stop, completion estimated */
        static const char js[] = "{\"generation\":\"abcdefgh\"}";

        ASSERT_EQ(OPS.parse(&f.pc, js, strlen(js), &out, &f.err), 0);
        ASSERT_JSON(json_object_get(out, "usage"),
                    "{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}");
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                      "stop");
        json_decref(out);
    }
    ASSERT_EQ(OPS.parse(&f.pc, "[{\"x\":1}]", 9, &out, &f.err), LMX_EUPSTREAM);
    fx_release(&f);
}

static void test_map_error(void)
{
    struct fx f;
    static const char model_err[] =
        "{\"ErrorCode\":\"CLIENT_ERROR_FROM_MODEL\",\"Message\":\"Received client error (400)\","
        "\"OriginalMessage\":\"{\\\"error\\\":\\\"Input validation error: too long\\\","
        "\\\"error_type\\\":\\\"validation\\\"}\",\"OriginalStatusCode\":400}";

    fx_build(&f, "sagemaker_chat", EP, NULL, "{" MSGS "}", false, false);
    OPS.map_error(&f.pc, 400, "{\"message\":\"Endpoint x not found.\"}", 35, &f.err);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.message, "Endpoint x not found.");
    ASSERT_STR_EQ(f.err.type, "invalid_request_error");
    OPS.map_error(&f.pc, 424, model_err, strlen(model_err), &f.err);
    ASSERT_EQ(f.err.status, 400);
    ASSERT_STR_EQ(f.err.message, "Input validation error: too long");
    OPS.map_error(&f.pc, 429, "{\"Message\":\"slow down\"}", 23, &f.err);
    ASSERT_EQ(f.err.status, 429);
    ASSERT_STR_EQ(f.err.type, "rate_limit_error");
    ASSERT_STR_EQ(f.err.message, "slow down");
    OPS.map_error(&f.pc, 503, "busy", 4, &f.err);
    ASSERT_EQ(f.err.status, 503);
    ASSERT_STR_EQ(f.err.message, "sagemaker returned HTTP 503: busy");
    fx_release(&f);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static void test_stream_chat(void)
{
    struct lmx_buf b;

    clear_env();
    lmx_buf_init(&b, 1 << 20);
    /* SSE events cut across parts, a comment, a usage chunk, [DONE] */
    add_part(&b, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"tgi\","
                 "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"He");
    add_part(&b, "l\"},\"finish_reason\":null}]}\n\n: keep-alive\n\ndata:{\"id\":\"c1\",");
    add_part(&b, "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},"
                 "\"finish_reason\":\"stop\"}]}\r\n\r\n");
    add_part(&b, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"tgi\","
                 "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,"
                 "\"total_tokens\":5}}\n\ndata: [DONE]\n\n");
    stream_golden("sagemaker_chat", STREAM_REQ, &b,
                  "{\"choices\":[{\"delta\":{\"content\":\"Hel\",\"role\":\"assistant\"},"
                  "\"finish_reason\":null,\"index\":0}],\"id\":\"c1\",\"model\":\"tgi\","
                  "\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\","
                  "\"index\":0}],\"id\":\"c1\",\"model\":\"" EP "\","
                  "\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[],\"id\":\"c1\",\"model\":\"tgi\","
                  "\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":2,"
                  "\"prompt_tokens\":3,\"total_tokens\":5}}\n");
    lmx_buf_reset(&b);

    /* a container that answers a stream with one chat.completion (no final newline) */
    add_part(&b, "{\"id\":\"c2\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{");
    add_part(&b, "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\","
                 "\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                 "\"{}\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":1,"
                 "\"completion_tokens\":1,\"total_tokens\":2}}");
    stream_golden("sagemaker_chat", STREAM_REQ, &b,
                  "{\"choices\":[{\"delta\":{\"content\":\"Hi\",\"role\":\"assistant\","
                  "\"tool_calls\":[{\"function\":{\"arguments\":\"{}\",\"name\":\"f\"},"
                  "\"id\":\"t\",\"index\":0,\"type\":\"function\"}]},\"finish_reason\":"
                  "\"tool_calls\",\"index\":0}],\"id\":\"c2\",\"model\":\"m\","
                  "\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[],\"id\":\"chatcmpl-t1\",\"model\":\"m\","
                  "\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":1,"
                  "\"prompt_tokens\":1,\"total_tokens\":2}}\n");
    lmx_buf_release(&b);
}

static void test_stream_tgi(void)
{
    struct lmx_buf b;

    clear_env();
    lmx_buf_init(&b, 1 << 20);
    add_part(&b, "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"Hel\",\"logprob\":-0.1,"
                 "\"special\":false},\"generated_text\":null,\"details\":null}\n\ndata:{\"ind");
    add_part(&b, "ex\":2,\"token\":{\"id\":2,\"text\":\"lo\",\"special\":false},"
                 "\"generated_text\":null,\"details\":null}\n\n");
    add_part(&b, "data:{\"index\":3,\"token\":{\"id\":3,\"text\":\"</s>\",\"special\":true},"
                 "\"generated_text\":\"Hello\",\"details\":{\"finish_reason\":\"eos_token\","
                 "\"generated_tokens\":3,\"seed\":null}}\n\n");
    stream_golden("sagemaker", STREAM_REQ, &b,
                  "{\"choices\":[{\"delta\":{\"content\":\"Hel\",\"role\":\"assistant\"},"
                  "\"finish_reason\":null,\"index\":0}],\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":null,"
                  "\"index\":0}],\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],"
                  "\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[],\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\",\"usage\":{\"completion_tokens\":3,"
                  "\"prompt_tokens\":3,\"total_tokens\":6}}\n");
    lmx_buf_reset(&b);

    /* a stream cut before the details: finished with "stop" and an estimate */
    add_part(&b, "data:{\"token\":{\"text\":\"abcd\",\"special\":false}}\n\n");
    stream_golden("sagemaker", "{" MSGS ",\"stream\":true}", &b,
                  "{\"choices\":[{\"delta\":{\"content\":\"abcd\",\"role\":\"assistant\"},"
                  "\"finish_reason\":null,\"index\":0}],\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\"}\n"
                  "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\",\"index\":0}],"
                  "\"id\":\"chatcmpl-t1\",\"model\":\"" EP
                  "\",\"object\":\"chat.completion.chunk\"}\n");
    lmx_buf_release(&b);
}

/* Runs `b` whole as a stream of `provider`; returns the first failure, *f kept for the error. */
static int stream_once(struct fx *f, const char *provider, const struct lmx_buf *b,
                       struct chunks *c)
{
    fx_build(f, provider, EP, NULL, STREAM_REQ, true, false);
    if (f->rc != 0)
        return f->rc;
    return run_stream(f, b, b->len / 2, c);
}

static void test_stream_errors(void)
{
    struct lmx_buf b;
    struct chunks c;
    struct fx f;

    clear_env();
    lmx_buf_init(&b, 1 << 20);
    lmx_buf_init(&c.out, 1 << 20);

    /* ModelStreamError mid-way: 424 with its message, the delta before it delivered */
    add_part(&b, "data:{\"token\":{\"text\":\"Hi\",\"special\":false}}\n\n");
    add_exception(&b, "ModelStreamError",
                  "{\"Message\":\"Your model timed out\","
                  "\"ErrorCode\":\"ModelInvocationTimeExceeded\"}");
    ASSERT_EQ(stream_once(&f, "sagemaker", &b, &c), LMX_EUPSTREAM);
    ASSERT_EQ(f.err.status, 424);
    ASSERT(strstr(f.err.message, "ModelStreamError: Your model timed out") != NULL);
    ASSERT(strstr(c.out.data, "\"Hi\"") != NULL);
    fx_release(&f);
    lmx_buf_reset(&b);
    add_exception(&b, "InternalStreamFailure", "{\"Message\":\"oops\"}");
    ASSERT_EQ(stream_once(&f, "sagemaker_chat", &b, &c), LMX_EUPSTREAM);
    ASSERT_EQ(f.err.status, 500);
    fx_release(&f);

    /* a container error event, a line that is not JSON */
    lmx_buf_reset(&b);
    add_part(&b, "data:{\"error\":\"Request failed during generation\","
                 "\"error_type\":\"gen\"}\n\n");
    ASSERT_EQ(stream_once(&f, "sagemaker", &b, &c), LMX_EUPSTREAM);
    ASSERT(strstr(f.err.message, "Request failed during generation") != NULL);
    fx_release(&f);
    lmx_buf_reset(&b);
    add_part(&b, "data: not json\n\n");
    ASSERT_EQ(stream_once(&f, "sagemaker_chat", &b, &c), LMX_EUPSTREAM);
    ASSERT(strstr(f.err.message, "not JSON") != NULL);
    fx_release(&f);

    /* a broken CRC, a stream cut inside a message, a TGI stream with nothing in it */
    lmx_buf_reset(&b);
    add_part(&b, "data:{\"token\":{\"text\":\"Hi\",\"special\":false}}\n\n");
    b.data[b.len - 1] ^= 0x55;
    ASSERT_EQ(stream_once(&f, "sagemaker", &b, &c), LMX_EUPSTREAM);
    ASSERT(strstr(f.err.message, "malformed eventstream") != NULL);
    fx_release(&f);
    lmx_buf_reset(&b);
    add_part(&b, "data:{\"token\":{\"text\":\"Hi\",\"special\":false}}\n\n");
    b.len -= 3;
    ASSERT_EQ(stream_once(&f, "sagemaker", &b, &c), LMX_EUPSTREAM);
    ASSERT(strstr(f.err.message, "middle of an eventstream message") != NULL);
    fx_release(&f);
    lmx_buf_reset(&b);
    ASSERT_EQ(stream_once(&f, "sagemaker", &b, &c), LMX_EUPSTREAM);
    ASSERT(strstr(f.err.message, "before any token") != NULL);
    fx_release(&f);

    lmx_buf_release(&c.out);
    lmx_buf_release(&b);
}

int main(void)
{
    RUN(test_chat_request);
    RUN(test_where_and_who);
    RUN(test_tgi_request);
    RUN(test_parse);
    RUN(test_map_error);
    RUN(test_stream_chat);
    RUN(test_stream_tgi);
    RUN(test_stream_errors);
    TEST_MAIN_END();
}
