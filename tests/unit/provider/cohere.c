/*
 * tests/unit/provider/cohere.c - the Cohere v2 adapter through its ops table:
 * golden requests (URL, headers, body), answers and streams (split at every
 * byte) into OpenAI objects and chunks, errors, the recorded fixtures
 * ($LMX_FIXTURES/cohere, skipped when absent) and a replay of the fuzz corpus
 * (tests/fuzz/corpora/cohere).
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/cohere.h"
#include "test.h"

#include "../../fuzz/fuzz_cohere.c"

static const struct lmx_provider_ops *ops = &lmx_provider_cohere_ops;

/* ------------------------------------------------------------------------ */
/* Fixtures of the test itself */

struct call {
    struct lmx_deployment dep;
    struct lmx_pcall pc;
    struct lmx_upreq up;
    struct lmx_perr err;
    json_t *req;
    int rc;
};

/* Builds the request for `req` (JSON text); the deployment is cohere_chat/command-r. */
static void call_build(struct call *c,
                       const char *req,
                       enum lmx_endpoint ep,
                       bool drop,
                       const char *api_base,
                       const char *litellm_params)
{
    memset(c, 0, sizeof(*c));
    c->dep.provider = "cohere_chat";
    c->dep.model = "cohere_chat/command-r";
    c->dep.upstream_model = "command-r";
    c->dep.api_base = (char *)api_base;
    c->dep.api_key = "sk-co";
    c->dep.litellm_params = json_loads(litellm_params != NULL ? litellm_params : "{}", 0, NULL);
    c->req = json_loads(req, 0, NULL);
    c->pc.dep = &c->dep;
    c->pc.ep = ep;
    c->pc.req = c->req;
    c->pc.model = "command-r";
    c->pc.call_id = "test-1";
    c->pc.stream = json_is_true(json_object_get(c->req, "stream"));
    c->pc.drop_params = drop;
    lmx_upreq_init(&c->up);
    c->rc = ops->build(&c->pc, &c->up, &c->err);
}

static void call_free(struct call *c)
{
    ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->dep.litellm_params);
}

static bool has_header(const struct lmx_upreq *u, const char *line)
{
    for (size_t i = 0; i < u->nheaders; i++)
        if (strcmp(u->headers[i], line) == 0)
            return true;
    return false;
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
    char reasoning[4096];
    char args[4][512];
    char ids[4][128];
    char names[4][64];
    int ntools;
    char finish[32];
    long long prompt, completion, total, cached;
    bool usage, role_first;
};

static void assemble(const json_t *chunks, struct assembled *a)
{
    json_t *ch;
    size_t i;

    memset(a, 0, sizeof(*a));
    a->cached = -1;
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
        if ((s = json_string_value(json_object_get(c0, "finish_reason"))) != NULL)
            snprintf(a->finish, sizeof(a->finish), "%s", s);
        if (json_is_object(u)) {
            a->usage = true;
            a->prompt = json_integer_value(json_object_get(u, "prompt_tokens"));
            a->completion = json_integer_value(json_object_get(u, "completion_tokens"));
            a->total = json_integer_value(json_object_get(u, "total_tokens"));
            if (json_object_get(u, "prompt_tokens_details") != NULL)
                a->cached = json_integer_value(
                    json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens"));
        }
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        if (buf != NULL) {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static bool body_is(const struct call *c, const char *want)
{
    if (c->up.body.data != NULL && strcmp(c->up.body.data, want) == 0)
        return true;
    fprintf(stderr, "body:\n  got  %s\n  want %s\n", c->up.body.data ? c->up.body.data : "(null)",
            want);
    return false;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_build_chat(void)
{
    struct call c;

    call_build(&c,
               "{\"model\":\"co\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
               "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi \"},{\"type\":"
               "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}],"
               "\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"stop\":\"END\","
               "\"max_completion_tokens\":64,\"max_tokens\":10,\"seed\":7,"
               "\"frequency_penalty\":0.1,\"presence_penalty\":0.2,\"user\":\"u1\","
               "\"metadata\":{\"a\":1},\"response_format\":{\"type\":\"json_schema\","
               "\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}},"
               "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
               "\"safety_mode\":\"CONTEXTUAL\"}",
               LMX_EP_CHAT, false, "http://127.0.0.1:9/", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.method, "POST");
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/v2/chat");
    ASSERT(has_header(&c.up, "Authorization: Bearer sk-co"));
    ASSERT(has_header(&c.up, "Content-Type: application/json"));
    ASSERT(has_header(&c.up, "Accept: text/event-stream"));
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"messages\":[{\"role\":\"system\",\"content\":"
                       "\"be brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                       "\"hi \"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;"
                       "base64,AAAA\"}}]}],\"temperature\":0.5,\"p\":0.9,\"k\":40,"
                       "\"stop_sequences\":[\"END\"],\"max_tokens\":64,\"seed\":7,"
                       "\"frequency_penalty\":0.1,\"presence_penalty\":0.2,\"response_format\":{"
                       "\"type\":\"json_object\",\"json_schema\":{\"type\":\"object\"}},"
                       "\"safety_mode\":\"CONTEXTUAL\",\"stream\":true}"));
    call_free(&c);
}

static void test_build_tools(void)
{
    struct call c;

    call_build(&c,
               "{\"model\":\"co\",\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":"
               "\"text\",\"text\":\"sys\"}]},{\"role\":\"user\",\"content\":\"weather?\","
               "\"name\":\"bob\"},{\"role\":\"assistant\",\"content\":\"I will look.\","
               "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
               "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":"
               "\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"},{\"role\":\"assistant\","
               "\"content\":null},{\"role\":\"assistant\",\"content\":\"It is sunny.\"}],"
               "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
               "\"description\":\"weather\",\"parameters\":{\"type\":\"object\"},"
               "\"strict\":true}}],\"tool_choice\":\"required\",\"parallel_tool_calls\":true,"
               "\"n\":1}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://api.cohere.com/v2/chat");
    ASSERT(has_header(&c.up, "Accept: application/json"));
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"messages\":[{\"role\":\"system\",\"content\":"
                       "\"sys\"},{\"role\":\"user\",\"content\":\"weather?\"},{\"role\":"
                       "\"assistant\",\"tool_plan\":\"I will look.\",\"tool_calls\":[{\"id\":"
                       "\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                       "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\","
                       "\"tool_call_id\":\"c1\",\"content\":\"sunny\"},{\"role\":\"assistant\","
                       "\"content\":\"It is sunny.\"}],\"tools\":[{\"type\":\"function\","
                       "\"function\":{\"name\":\"get_weather\",\"description\":\"weather\","
                       "\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"REQUIRED\"}"));
    call_free(&c);
}

static void test_build_unsupported(void)
{
    struct call c;

    call_build(&c,
               "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"logit_bias\":{\"1\":2}}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_EQ(c.err.status, 400);
    ASSERT_STR_EQ(c.err.type, "invalid_request_error");
    ASSERT_STR_EQ(c.err.param, "logit_bias");
    ASSERT(strstr(c.err.message, "cohere_chat does not support parameter 'logit_bias'") != NULL);
    call_free(&c);

    call_build(&c,
               "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"logit_bias\":{\"1\":2},\"n\":3,\"logprobs\":true}",
               LMX_EP_CHAT, true, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"x\"}]}"));
    call_free(&c);

    call_build(&c, "{\"model\":\"co\",\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    call_free(&c);

    call_build(&c, "{\"model\":\"co\",\"prompt\":\"x\"}", LMX_EP_COMPLETIONS, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    call_free(&c);
}

static void test_build_defaults(void)
{
    struct call c;

    /* litellm_params are defaults; credentials and routing keys are not */
    call_build(&c,
               "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"temperature\":0.5}",
               LMX_EP_CHAT, false, "https://proxy.example/v2/chat",
               "{\"model\":\"cohere_chat/command-r\",\"api_key\":\"k\",\"rpm\":5,"
               "\"temperature\":0.1,\"max_tokens\":10,\"additional_drop_params\":[\"seed\"],"
               "\"seed\":3}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://proxy.example/v2/chat");
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"x\"}],\"temperature\":0.5,\"max_tokens\":10}"));
    call_free(&c);
}

static void test_build_embed(void)
{
    struct call c;

    call_build(&c, "{\"model\":\"e\",\"input\":[\"a\",\"b\"],\"dimensions\":256}",
               LMX_EP_EMBEDDINGS, false, "http://127.0.0.1:9", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/v2/embed");
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"texts\":[\"a\",\"b\"],\"input_type\":"
                       "\"search_document\",\"embedding_types\":[\"float\"],"
                       "\"output_dimension\":256}"));
    call_free(&c);

    call_build(&c,
               "{\"model\":\"e\",\"input\":\"a\",\"encoding_format\":\"base64\",\"input_type\":"
               "\"search_query\"}",
               LMX_EP_EMBEDDINGS, false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(body_is(&c, "{\"model\":\"command-r\",\"texts\":[\"a\"],\"input_type\":"
                       "\"search_query\",\"embedding_types\":[\"base64\"]}"));
    {
        static const char ans[] = "{\"id\":\"x\",\"embeddings\":{\"base64\":[\"AAAA\"]},"
                                  "\"meta\":{\"billed_units\":{\"input_tokens\":1}}}";
        json_t *out = NULL;

        ASSERT_EQ(ops->parse(&c.pc, ans, sizeof(ans) - 1, &out, &c.err), 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_array_get(json_object_get(out, "data"), 0), "embedding")),
                      "AAAA");
        json_decref(out);
    }
    call_free(&c);

    call_build(&c, "{\"model\":\"e\",\"input\":[[1,2,3]]}", LMX_EP_EMBEDDINGS, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void test_parse_chat(void)
{
    static const char ans[] =
        "{\"id\":\"x\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\","
        "\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"Hello \"},{\"type\":\"text\","
        "\"text\":\"world\"}]},\"finish_reason\":\"MAX_TOKENS\",\"usage\":{\"billed_units\":{"
        "\"input_tokens\":3,\"output_tokens\":2},\"tokens\":{\"input_tokens\":30,"
        "\"output_tokens\":2},\"cached_tokens\":20}}";
    struct call c;
    json_t *out = NULL, *want;

    call_build(&c, "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(ops->parse(&c.pc, ans, sizeof(ans) - 1, &out, &c.err), 0);
    json_object_del(out, "created");
    want = json_loads(
        "{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion\",\"model\":\"command-r\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello "
        "world\",\"reasoning_content\":\"hmm\"},\"finish_reason\":\"length\"}],\"usage\":{"
        "\"prompt_tokens\":30,\"completion_tokens\":2,\"total_tokens\":32,"
        "\"prompt_tokens_details\":{\"cached_tokens\":20}}}",
        0, NULL);
    ASSERT(json_equal(out, want));
    json_decref(want);
    json_decref(out);
    call_free(&c);
}

static void test_parse_tools_and_billed(void)
{
    static const char ans[] =
        "{\"id\":\"x\",\"message\":{\"role\":\"assistant\",\"tool_plan\":\"plan\",\"tool_calls\":"
        "[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
        "\"{\\\"a\\\":1}\"}}]},\"finish_reason\":\"TOOL_CALL\",\"usage\":{\"billed_units\":{"
        "\"input_tokens\":5,\"output_tokens\":4}}}";
    struct call c;
    json_t *out = NULL, *m;

    call_build(&c, "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(ops->parse(&c.pc, ans, sizeof(ans) - 1, &out, &c.err), 0);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    ASSERT(json_is_null(json_object_get(m, "content")));
    ASSERT_STR_EQ(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(m, "tool_calls"), 0), "function"),
            "arguments")),
        "{\"a\":1}");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "tool_calls");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "prompt_tokens")),
              5);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "total_tokens")),
              9);
    json_decref(out);

    ASSERT(ops->parse(&c.pc, "not json", 8, &out, &c.err) < 0);
    ASSERT(out == NULL);
    ASSERT(c.err.message[0] != '\0');
    call_free(&c);
}

static void test_map_error(void)
{
    static const char body[] = "{\"id\":\"e\",\"message\":\"invalid api token\"}";
    struct lmx_perr e;

    memset(&e, 0, sizeof(e));
    ops->map_error(NULL, 401, body, sizeof(body) - 1, &e);
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT_STR_EQ(e.message, "invalid api token");
    ops->map_error(NULL, 429, "{\"message\":\"slow down\"}", 23, &e);
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ops->map_error(NULL, 503, "<html>oops</html>", 17, &e);
    ASSERT_EQ(e.status, 503);
    ASSERT_STR_EQ(e.type, "internal_server_error");
    ASSERT(strstr(e.message, "HTTP 503") != NULL && strstr(e.message, "oops") != NULL);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static const char stream_text[] =
    "event: message-start\n"
    "data: {\"id\":\"s1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":"
    "\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],\"citations\":[]}}}\n\n"
    "event: content-start\n"
    "data: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":"
    "\"thinking\",\"thinking\":\"\"}}}}\n\n"
    "event: content-delta\r\n"
    "data: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{"
    "\"thinking\":\"Let me think.\"}}}}\r\n\r\n"
    "event: content-end\n"
    "data: {\"type\":\"content-end\",\"index\":0}\n\n"
    "event: content-delta\n"
    "data: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{"
    "\"text\":\"Hel\"}}}}\n\n"
    "event: content-delta\n"
    "data: {\"type\":\"content-delta\",\"index\":1,\"delta\":{\"message\":{\"content\":{"
    "\"text\":\"lo \\u00e9\"}}}}\n\n"
    "event: message-end\n"
    "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{"
    "\"billed_units\":{\"input_tokens\":1,\"output_tokens\":2},\"tokens\":{\"input_tokens\":11,"
    "\"output_tokens\":3}}}}\n\n";

static const char stream_tools[] =
    "event: message-start\n"
    "data: {\"id\":\"s2\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":"
    "\"assistant\"}}}\n\n"
    "event: tool-plan-delta\n"
    "data: {\"type\":\"tool-plan-delta\",\"delta\":{\"message\":{\"tool_plan\":\"I will\"}}}\n\n"
    "event: tool-call-start\n"
    "data: {\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{"
    "\"id\":\"w_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"\""
    "}}}}}\n\n"
    "event: tool-call-delta\n"
    "data: {\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{"
    "\"function\":{\"arguments\":\"{\\\"city\\\":\"}}}}}\n\n"
    "event: tool-call-delta\n"
    "data: {\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":{\"tool_calls\":{"
    "\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}}}}\n\n"
    "event: tool-call-end\n"
    "data: {\"type\":\"tool-call-end\",\"index\":0}\n\n"
    "event: tool-call-start\n"
    "data: {\"type\":\"tool-call-start\",\"index\":1,\"delta\":{\"message\":{\"tool_calls\":{"
    "\"id\":\"t_2\",\"type\":\"function\",\"function\":{\"name\":\"time\",\"arguments\":\"{}\""
    "}}}}}\n\n"
    "event: tool-call-end\n"
    "data: {\"type\":\"tool-call-end\",\"index\":1}\n\n"
    "event: message-end\n"
    "data: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TOOL_CALL\",\"usage\":{"
    "\"tokens\":{\"input_tokens\":7,\"output_tokens\":9}}}}\n\n";

/* Runs `text` whole, then split at every byte and one byte at a time: the chunks must agree. */
static void check_splits(const char *text, bool usage, json_t **whole_out)
{
    size_t n = strlen(text);
    const char *req = usage ? "{\"model\":\"co\",\"stream\":true,\"stream_options\":{"
                              "\"include_usage\":true},\"messages\":[{\"role\":\"user\","
                              "\"content\":\"x\"}]}"
                            : "{\"model\":\"co\",\"stream\":true,\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"x\"}]}";
    struct call c;
    json_t *whole = json_array();

    call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(feed(&c, text, n, 0, n, whole), 0);
    call_free(&c);
    for (size_t cut = 0; cut <= n; cut++) {
        json_t *got = json_array();
        int rc;

        call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
        rc = feed(&c, text, n, 0, cut, got);
        call_free(&c);
        ASSERT_(rc == 0 && json_equal(got, whole), "split at %zu differs (rc %d)", cut, rc);
        json_decref(got);
    }
    {
        json_t *got = json_array();

        call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
        ASSERT_EQ(feed(&c, text, n, 1, 0, got), 0);
        call_free(&c);
        ASSERT(json_equal(got, whole));
        json_decref(got);
    }
    *whole_out = whole;
}

static void test_stream_text(void)
{
    json_t *chunks = NULL, *first;
    struct assembled a;

    check_splits(stream_text, true, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT(a.role_first);
    ASSERT_STR_EQ(a.text, "Hello \xc3\xa9");
    ASSERT_STR_EQ(a.reasoning, "Let me think.");
    ASSERT_STR_EQ(a.finish, "stop");
    ASSERT(a.usage);
    ASSERT_EQ(a.prompt, 11);
    ASSERT_EQ(a.completion, 3);
    ASSERT_EQ(a.total, 14);
    /* the exact first and last chunks */
    first = json_loads("{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\","
                       "\"model\":\"command-r\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                       "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
                       0, NULL);
    ASSERT(json_equal(json_array_get(chunks, 0), first));
    json_decref(first);
    first = json_loads("{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\","
                       "\"model\":\"command-r\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,"
                       "\"completion_tokens\":3,\"total_tokens\":14}}",
                       0, NULL);
    ASSERT(json_equal(json_array_get(chunks, json_array_size(chunks) - 1), first));
    json_decref(first);
    json_decref(chunks);

    /* without include_usage: no usage chunk */
    check_splits(stream_text, false, &chunks);
    assemble(chunks, &a);
    ASSERT(!a.usage);
    json_decref(chunks);
}

static void test_stream_tools(void)
{
    json_t *chunks = NULL, *j;
    struct assembled a;

    check_splits(stream_tools, true, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT_EQ(a.ntools, 2);
    ASSERT_STR_EQ(a.ids[0], "w_1");
    ASSERT_STR_EQ(a.names[0], "weather");
    ASSERT_STR_EQ(a.args[0], "{\"city\":\"Paris\"}");
    ASSERT_STR_EQ(a.ids[1], "t_2");
    ASSERT_STR_EQ(a.args[1], "{}");
    j = json_loads(a.args[0], 0, NULL);
    ASSERT(json_is_object(j));
    json_decref(j);
    ASSERT_STR_EQ(a.text, "");
    ASSERT_STR_EQ(a.finish, "tool_calls");
    ASSERT_EQ(a.prompt, 7);
    ASSERT_EQ(a.completion, 9);
    json_decref(chunks);
}

static void test_stream_errors(void)
{
    static const char failed[] =
        "event: message-start\ndata: {\"type\":\"message-start\"}\n\n"
        "event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":"
        "\"ERROR\",\"error\":\"model overloaded\"}}\n\n";
    static const char bad[] = "event: content-delta\ndata: {\"type\":\"content-del\n\n";
    static const char cut[] = "event: message-start\ndata: {\"type\":\"message-start\"}\n\n"
                              "event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":"
                              "{\"message\":{\"content\":{\"text\":\"Hi\"}}}}\n\n";
    const char *req = "{\"model\":\"co\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                      "\"content\":\"x\"}]}";
    struct call c;
    json_t *got = json_array();

    call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, failed, sizeof(failed) - 1, 5, 0, got) < 0);
    ASSERT(strstr(c.err.message, "model overloaded") != NULL);
    ASSERT(c.err.status >= 500);
    call_free(&c);

    call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, bad, sizeof(bad) - 1, 0, 3, got) < 0);
    ASSERT(strstr(c.err.message, "malformed") != NULL);
    call_free(&c);

    call_build(&c, req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, cut, sizeof(cut) - 1, 0, 10, got) < 0);
    ASSERT(strstr(c.err.message, "message-end") != NULL);
    call_free(&c);
    json_decref(got);
}

/* ------------------------------------------------------------------------ */
/* Recorded traffic ($LMX_FIXTURES/cohere) */

static const char *fixtures_dir(char *buf, size_t n)
{
    const char *env = getenv("LMX_FIXTURES");
    const char *src = getenv("LMX_SRC");

    if (env != NULL && env[0] != '\0')
        snprintf(buf, n, "%s/cohere", env);
    else
        snprintf(buf, n, "%s/../shared/fixtures/cohere", src != NULL ? src : ".");
    return buf;
}

/* The usage a recording carries: message-end's delta.usage, or the answer's usage. */
static void recorded_tokens(const json_t *usage, long long *in, long long *out)
{
    json_t *t = json_object_get(usage, "tokens");

    *in = json_integer_value(json_object_get(t, "input_tokens"));
    *out = json_integer_value(json_object_get(t, "output_tokens"));
}

static void conform_stream(const char *path, const char *text, size_t n, bool framed)
{
    struct call c;
    struct lmx_buf sse;
    json_t *chunks = json_array(), *last_usage = NULL;
    struct assembled a;
    bool has_text = false;
    long long in, out;
    const char *p = text, *end = text + n;

    lmx_buf_init(&sse, 64u << 20);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *ev = framed ? NULL : json_loadb(p, len, 0, NULL);

        if (!framed && json_is_object(ev)) {
            const char *ty = json_string_value(json_object_get(ev, "type"));

            lmx_buf_printf(&sse, "event: %s\ndata: %.*s\n\n", ty, (int)len, p);
        }
        if (framed && len > 6 && memcmp(p, "data: ", 6) == 0)
            ev = json_loadb(p + 6, len - 6, 0, NULL);
        if (json_is_object(ev)) {
            const char *ty = json_string_value(json_object_get(ev, "type"));
            json_t *content = json_object_get(
                json_object_get(json_object_get(ev, "delta"), "message"), "content");

            if (ty != NULL && strcmp(ty, "content-delta") == 0 &&
                json_string_length(json_object_get(content, "text")) > 0)
                has_text = true;
            if (ty != NULL && strcmp(ty, "message-end") == 0) {
                json_decref(last_usage);
                last_usage = json_incref(json_object_get(json_object_get(ev, "delta"), "usage"));
            }
        }
        json_decref(ev);
        p = nl != NULL ? nl + 1 : end;
    }
    call_build(&c,
               "{\"model\":\"co\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
               "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    if (framed)
        c.rc = feed(&c, text, n, 7, 0, chunks);
    else
        c.rc = feed(&c, sse.data, sse.len, 7, 0, chunks);
    ASSERT_(c.rc == 0, "%s: stream failed: %s", path, c.err.message);
    assemble(chunks, &a);
    ASSERT_(!has_text || a.text[0] != '\0', "%s: no text", path);
    recorded_tokens(last_usage, &in, &out);
    ASSERT_(a.usage && a.prompt == in && a.completion == out,
            "%s: usage %lld/%lld, recorded %lld/%lld", path, a.prompt, a.completion, in, out);
    ASSERT_STR_EQ(a.finish, "stop");
    fprintf(stderr, "     conform %s: %zu chunks, text %zu bytes, reasoning %zu bytes\n", path,
            json_array_size(chunks), strlen(a.text), strlen(a.reasoning));
    call_free(&c);
    lmx_buf_release(&sse);
    json_decref(chunks);
    json_decref(last_usage);
}

static void conform_response(const char *path, const char *text, size_t n)
{
    struct call c;
    json_t *rec = json_loadb(text, n, 0, NULL), *out = NULL, *m, *tc;
    long long in, outt;
    size_t i;

    ASSERT_(json_is_object(rec), "%s: not JSON", path);
    call_build(&c, "{\"model\":\"co\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_(ops->parse(&c.pc, text, n, &out, &c.err) == 0, "%s: %s", path, c.err.message);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    if (json_array_size(json_object_get(json_object_get(rec, "message"), "content")) > 0)
        ASSERT_(json_string_length(json_object_get(m, "content")) > 0, "%s: no text", path);
    ASSERT_EQ(json_array_size(json_object_get(m, "tool_calls")),
              json_array_size(json_object_get(json_object_get(rec, "message"), "tool_calls")));
    json_array_foreach(json_object_get(m, "tool_calls"), i, tc) {
        const char *args =
            json_string_value(json_object_get(json_object_get(tc, "function"), "arguments"));
        json_t *j = args != NULL ? json_loads(args, 0, NULL) : NULL;

        ASSERT_(json_is_object(j), "%s: tool call %zu arguments do not parse", path, i);
        json_decref(j);
    }
    recorded_tokens(json_object_get(rec, "usage"), &in, &outt);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "prompt_tokens")),
              in);
    ASSERT_EQ(
        json_integer_value(json_object_get(json_object_get(out, "usage"), "completion_tokens")),
        outt);
    fprintf(stderr, "     conform %s: ok\n", path);
    json_decref(out);
    json_decref(rec);
    call_free(&c);
}

static void test_fixtures(void)
{
    char dir[1024], path[2048];
    DIR *d;
    struct dirent *e;
    int seen = 0;

    d = opendir(fixtures_dir(dir, sizeof(dir)));
    if (d == NULL) {
        fprintf(stderr, "     skip: no fixtures at %s\n", dir);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t nl = strlen(name), len = 0;
        char *text;

        if (name[0] == '.' || strstr(name, "request") != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        text = read_file(path, &len);
        if (text == NULL)
            continue;
        if (nl > 15 && strcmp(name + nl - 15, ".payloads.jsonl") == 0) {
            conform_stream(name, text, len, false);
            seen++;
        } else if (nl > 4 && strcmp(name + nl - 4, ".sse") == 0) {
            conform_stream(name, text, len, true);
            seen++;
        } else if (nl > 5 && strcmp(name + nl - 5, ".json") == 0) {
            conform_response(name, text, len);
            seen++;
        }
        free(text);
    }
    closedir(d);
    ASSERT(seen > 0);
}

/* ------------------------------------------------------------------------ */
/* The fuzz corpus, replayed */

static void test_fuzz_corpus(void)
{
    const char *src = getenv("LMX_SRC");
    char dir[1024], path[2048];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpora/cohere", src != NULL ? src : ".");
    d = opendir(dir);
    ASSERT_(d != NULL, "no corpus at %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t len = 0;
        char *data;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        data = read_file(path, &len);
        if (data == NULL)
            continue;
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        n++;
    }
    closedir(d);
    ASSERT(n >= 3);
}

int main(void)
{
    RUN(test_build_chat);
    RUN(test_build_tools);
    RUN(test_build_unsupported);
    RUN(test_build_defaults);
    RUN(test_build_embed);
    RUN(test_parse_chat);
    RUN(test_parse_tools_and_billed);
    RUN(test_map_error);
    RUN(test_stream_text);
    RUN(test_stream_tools);
    RUN(test_stream_errors);
    RUN(test_fixtures);
    RUN(test_fuzz_corpus);
    TEST_MAIN_END();
}
