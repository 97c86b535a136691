/*
 * tests/unit/provider/tgi.c - Predibase (TGI) and Triton through their ops
 * tables: golden requests (URL, headers, body with the rendered prompt and the
 * mapped parameters), refused parameters, answers, SSE streams split at every
 * byte into OpenAI chunks (special tokens dropped, finish reason and usage
 * from TGI's details; Triton's stream ending with the body), error events and
 * error statuses.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/tgi.h"
#include "test.h"

struct call {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    const struct lmx_provider_ops *ops;
    json_t *req, *body;
    int rc;
};

static void call_build(struct call *c, const struct lmx_provider_ops *ops, const char *model,
                       const char *req, const char *lp, const char *api_base, const char *key,
                       bool drop)
{
    memset(c, 0, sizeof(*c));
    c->ops = ops;
    c->dep.provider = (char *)ops->name;
    c->dep.upstream_model = (char *)model;
    c->dep.api_base = (char *)api_base;
    c->dep.api_key = (char *)key;
    c->dep.litellm_params = json_loads(lp != NULL ? lp : "{}", 0, NULL);
    c->req = json_loads(req, 0, NULL);
    c->pc.dep = &c->dep;
    c->pc.ep = LMX_EP_CHAT;
    c->pc.req = c->req;
    c->pc.model = model;
    c->pc.call_id = "t1";
    c->pc.stream = json_is_true(json_object_get(c->req, "stream"));
    c->pc.drop_params = drop;
    lmx_upreq_init(&c->up);
    c->rc = ops->build(&c->pc, &c->up, &c->err);
    if (c->rc == 0)
        c->body = json_loadb(c->up.body.data, c->up.body.len, 0, NULL);
}

static void call_free(struct call *c)
{
    c->ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->body);
    json_decref(c->dep.litellm_params);
}

static bool has_header(const struct lmx_upreq *u, const char *line)
{
    for (size_t i = 0; i < u->nheaders; i++)
        if (strcmp(u->headers[i], line) == 0)
            return true;
    return false;
}

static bool json_eq_text(const json_t *v, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    bool eq = w != NULL && json_equal(v, w);

    if (!eq) {
        char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        fprintf(stderr, "  got  %s\n  want %s\n", d != NULL ? d : "(null)", want);
        free(d);
    }
    json_decref(w);
    return eq;
}

static const char *const req2 =
    "{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":"
    "\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}],\"max_tokens\":9,\"temperature\":"
    "0.5,\"stop\":\"END\",\"top_k\":4,\"user\":\"u1\"}";

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_predibase_build(void)
{
    struct call c;

    call_build(&c, &lmx_provider_predibase_ops, "llama-3-8b", req2,
               "{\"tenant_id\":\"ten\",\"adapter_id\":\"my/1\"}", "https://serving.app.predibase.com",
               "pb", false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data,
                  "https://serving.app.predibase.com/ten/deployments/v2/llms/llama-3-8b/generate");
    ASSERT(has_header(&c.up, "Authorization: Bearer pb"));
    ASSERT(has_header(&c.up, "Accept: application/json"));
    ASSERT(json_eq_text(c.body, "{\"inputs\":\"Be brief.\\nHi\",\"parameters\":{\"max_new_tokens\":9,"
                                "\"temperature\":0.5,\"stop\":[\"END\"],\"top_k\":4,"
                                "\"adapter_id\":\"my/1\",\"details\":true}}"));
    call_free(&c);

    /* stream: generate_stream; tenant from the environment */
    setenv("PREDIBASE_TENANT_ID", "envten", 1);
    call_build(&c, &lmx_provider_predibase_ops, "m",
               "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"stream\":true}",
               NULL, "https://pb.example/", NULL, false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://pb.example/envten/deployments/v2/llms/m/generate_stream");
    ASSERT(has_header(&c.up, "Accept: text/event-stream"));
    call_free(&c);
    unsetenv("PREDIBASE_TENANT_ID");

    call_build(&c, &lmx_provider_predibase_ops, "m", req2, NULL, NULL, "pb", false);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT(strstr(c.err.message, "tenant_id") != NULL);
    call_free(&c);

    /* tools: refused, or dropped with drop_params */
    call_build(&c, &lmx_provider_predibase_ops, "m",
               "{\"model\":\"x\",\"messages\":[],\"tools\":[{\"type\":\"function\"}]}",
               "{\"tenant_id\":\"t\"}", NULL, "pb", false);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "tools");
    call_free(&c);
    call_build(&c, &lmx_provider_predibase_ops, "m",
               "{\"model\":\"x\",\"messages\":[],\"tools\":[{\"type\":\"function\"}]}",
               "{\"tenant_id\":\"t\"}", NULL, "pb", true);
    ASSERT_EQ(c.rc, 0);
    ASSERT(json_object_get(json_object_get(c.body, "parameters"), "tools") == NULL);
    call_free(&c);
}

static void test_triton_build(void)
{
    struct call c;

    call_build(&c, &lmx_provider_triton_ops, "ensemble", req2, NULL, "http://tr:8000/", NULL,
               false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://tr:8000/v2/models/ensemble/generate");
    ASSERT(json_eq_text(c.body, "{\"text_input\":\"Be brief.\\nHi\",\"parameters\":{\"max_tokens\":9,"
                                "\"temperature\":0.5,\"stop_words\":[\"END\"],\"top_k\":4}}"));
    call_free(&c);

    /* a whole generate URL: used, switched to generate_stream for a stream */
    call_build(&c, &lmx_provider_triton_ops, "x",
               "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"stream\":true}",
               NULL, "http://tr:8000/v2/models/llama/generate", NULL, false);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://tr:8000/v2/models/llama/generate_stream");
    ASSERT(json_is_true(json_object_get(json_object_get(c.body, "parameters"), "stream")));
    call_free(&c);

    call_build(&c, &lmx_provider_triton_ops, "x", req2, NULL, "http://tr:8000/v2/models/x/infer",
               NULL, false);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
    call_build(&c, &lmx_provider_triton_ops, "x", req2, NULL, NULL, NULL, false);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void test_parse(void)
{
    struct call c;
    json_t *o = NULL;
    const char *pb = "{\"generated_text\":\"Hello\",\"details\":{\"finish_reason\":\"length\","
                     "\"generated_tokens\":4,\"prefill\":[{},{},{}]}}";
    const char *tr = "{\"model_name\":\"ensemble\",\"model_version\":\"1\",\"text_output\":\"Yo\"}";

    call_build(&c, &lmx_provider_predibase_ops, "m", req2, "{\"tenant_id\":\"t\"}", NULL, "k",
               false);
    ASSERT_EQ(c.ops->parse(&c.pc, pb, strlen(pb), &o, &c.err), 0);
    ASSERT(json_eq_text(json_object_get(o, "choices"),
                        "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
                        "\"finish_reason\":\"length\"}]"));
    ASSERT(json_eq_text(json_object_get(o, "usage"),
                        "{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}"));
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "object")), "chat.completion");
    json_decref(o);
    o = NULL;
    ASSERT_EQ(c.ops->parse(&c.pc, "{\"error\":\"bad input\"}", 21, &o, &c.err), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "bad input") != NULL);
    ASSERT_EQ(c.ops->parse(&c.pc, "[", 1, &o, &c.err), LMX_EUPSTREAM);
    call_free(&c);

    call_build(&c, &lmx_provider_triton_ops, "ensemble", req2, NULL, "http://t", NULL, false);
    ASSERT_EQ(c.ops->parse(&c.pc, tr, strlen(tr), &o, &c.err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(json_array_get(json_object_get(o, "choices"), 0), "message"),
                      "content")),
                  "Yo");
    json_decref(o);
    call_free(&c);
}

static int collect(const json_t *chunk, void *ud)
{
    return json_array_append_new(ud, json_deep_copy(chunk)) < 0 ? LMX_ENOMEM : 0;
}

struct assembled {
    char content[256];
    const char *finish;
    long long completion, prompt;
    bool role_first;
};

static void assemble(const json_t *chunks, struct assembled *a)
{
    json_t *c;
    size_t i;

    memset(a, 0, sizeof(*a));
    json_array_foreach(chunks, i, c) {
        json_t *ch = json_array_get(json_object_get(c, "choices"), 0), *d;
        const char *t, *f;

        d = json_object_get(ch, "delta");
        if (i == 0)
            a->role_first = json_is_string(json_object_get(d, "role"));
        t = json_string_value(json_object_get(d, "content"));
        if (t != NULL)
            strncat(a->content, t, sizeof(a->content) - strlen(a->content) - 1);
        f = json_string_value(json_object_get(ch, "finish_reason"));
        if (f != NULL)
            a->finish = f;
        if (json_is_object(json_object_get(c, "usage"))) {
            a->completion = json_integer_value(
                json_object_get(json_object_get(c, "usage"), "completion_tokens"));
            a->prompt =
                json_integer_value(json_object_get(json_object_get(c, "usage"), "prompt_tokens"));
        }
    }
}

static const char pb_stream[] =
    "data:{\"index\":1,\"token\":{\"id\":1,\"text\":\"Hel\",\"logprob\":-0.1,\"special\":false},"
    "\"generated_text\":null,\"details\":null}\n\n"
    "data:{\"index\":2,\"token\":{\"id\":2,\"text\":\"lo\",\"logprob\":-0.1,\"special\":false},"
    "\"generated_text\":null,\"details\":null}\r\n\r\n"
    "data:{\"index\":3,\"token\":{\"id\":3,\"text\":\"</s>\",\"logprob\":0,\"special\":true},"
    "\"generated_text\":\"Hello\",\"details\":{\"finish_reason\":\"eos_token\","
    "\"generated_tokens\":3,\"seed\":null}}\n\n";

static const char tr_stream[] = "data: {\"model_name\":\"e\",\"text_output\":\"Yo\"}\n\n"
                                "data: {\"model_name\":\"e\",\"text_output\":\" there\"}\n\n";

static int feed_all(struct call *c, const char *text, size_t step, json_t *chunks)
{
    size_t n = strlen(text);
    int rc = 0;

    for (size_t off = 0; rc == 0 && off < n; off += step)
        rc = c->ops->stream_feed(&c->pc, text + off, LMX_MIN(step, n - off), collect, chunks,
                                 &c->err);
    return rc == 0 ? c->ops->stream_end(&c->pc, collect, chunks, &c->err) : rc;
}

static void test_streams_every_split(void)
{
    const char *sreq = "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                       "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

    for (size_t step = 1; step <= sizeof(pb_stream); step++) {
        struct call c;
        struct assembled a;
        json_t *chunks = json_array();

        call_build(&c, &lmx_provider_predibase_ops, "m", sreq, "{\"tenant_id\":\"t\"}", NULL, "k",
                   false);
        ASSERT_EQ(feed_all(&c, pb_stream, step, chunks), 0);
        assemble(chunks, &a);
        ASSERT(a.role_first);
        ASSERT_STR_EQ(a.content, "Hello");
        ASSERT_STR_EQ(a.finish, "stop");
        ASSERT_EQ(a.completion, 3);
        json_decref(chunks);
        call_free(&c);
    }
    for (size_t step = 1; step <= sizeof(tr_stream); step++) {
        struct call c;
        struct assembled a;
        json_t *chunks = json_array();

        call_build(&c, &lmx_provider_triton_ops, "e", sreq, NULL, "http://t", NULL, false);
        ASSERT_EQ(feed_all(&c, tr_stream, step, chunks), 0);
        assemble(chunks, &a);
        ASSERT_STR_EQ(a.content, "Yo there");
        ASSERT_STR_EQ(a.finish, "stop");
        json_decref(chunks);
        call_free(&c);
    }
}

static void test_stream_errors(void)
{
    const char *sreq = "{\"model\":\"x\",\"messages\":[],\"stream\":true}";
    const char *err_ev = "data:{\"error\":\"Request failed during generation\","
                         "\"error_type\":\"generation\"}\n\n";
    struct call c;
    json_t *chunks = json_array();

    call_build(&c, &lmx_provider_predibase_ops, "m", sreq, "{\"tenant_id\":\"t\"}", NULL, "k",
               false);
    ASSERT_EQ(feed_all(&c, err_ev, 7, chunks), LMX_EUPSTREAM);
    ASSERT(strstr(c.err.message, "during generation") != NULL);
    call_free(&c);

    /* TGI stream cut before its details event */
    call_build(&c, &lmx_provider_predibase_ops, "m", sreq, "{\"tenant_id\":\"t\"}", NULL, "k",
               false);
    ASSERT_EQ(feed_all(&c, "data:{\"token\":{\"text\":\"a\"},\"details\":null}\n\n", 5, chunks),
              LMX_EUPSTREAM);
    call_free(&c);

    /* Triton: an empty stream, a malformed event */
    call_build(&c, &lmx_provider_triton_ops, "e", sreq, NULL, "http://t", NULL, false);
    ASSERT_EQ(feed_all(&c, "", 1, chunks), LMX_EUPSTREAM);
    call_free(&c);
    call_build(&c, &lmx_provider_triton_ops, "e", sreq, NULL, "http://t", NULL, false);
    ASSERT_EQ(feed_all(&c, "data: {nope\n\n", 3, chunks), LMX_EUPSTREAM);
    call_free(&c);
    json_decref(chunks);
}

static void test_map_error(void)
{
    struct call c;
    const char *e1 = "{\"error\":\"Input validation error: max_new_tokens too big\","
                     "\"error_type\":\"validation\"}";

    call_build(&c, &lmx_provider_predibase_ops, "m", req2, "{\"tenant_id\":\"t\"}", NULL, "k",
               false);
    c.ops->map_error(&c.pc, 422, e1, strlen(e1), &c.err);
    ASSERT_EQ(c.err.status, 422);
    ASSERT_STR_EQ(c.err.type, "invalid_request_error");
    ASSERT(strstr(c.err.message, "max_new_tokens") != NULL);
    c.ops->map_error(&c.pc, 429, "{\"detail\":\"slow down\"}", 22, &c.err);
    ASSERT_STR_EQ(c.err.type, "rate_limit_error");
    ASSERT_STR_EQ(c.err.message, "slow down");
    c.ops->map_error(&c.pc, 503, "gone", 4, &c.err);
    ASSERT_EQ(c.err.status, 503);
    ASSERT(strstr(c.err.message, "gone") != NULL);
    call_free(&c);
}

int main(void)
{
    RUN(test_predibase_build);
    RUN(test_triton_build);
    RUN(test_parse);
    RUN(test_streams_every_split);
    RUN(test_stream_errors);
    RUN(test_map_error);
    TEST_MAIN_END();
}
