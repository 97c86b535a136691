/*
 * tests/unit/provider/ollama.c - the Ollama adapter through its ops table:
 * golden requests for /api/chat, /api/generate and /api/embed, answers and
 * NDJSON streams (split at every byte) into OpenAI objects and chunks,
 * errors, the recorded fixtures ($LMX_FIXTURES/ollama, skipped when absent)
 * and a replay of the fuzz corpus (tests/fuzz/corpora/ollama).
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "provider/ollama.h"
#include "test.h"

#include "../../fuzz/fuzz_ollama.c"

static const struct lmx_provider_ops *ops = &lmx_provider_ollama_ops;

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

/* Builds the request for `req` (JSON text) on a `provider`/llama3.2 deployment. */
static void call_build(struct call *c,
                       const char *provider,
                       const char *model,
                       const char *req,
                       enum lmx_endpoint ep,
                       bool drop,
                       const char *api_base,
                       const char *key)
{
    memset(c, 0, sizeof(*c));
    c->dep.provider = (char *)provider;
    c->dep.model = "ollama/x";
    c->dep.upstream_model = (char *)model;
    c->dep.api_base = (char *)api_base;
    c->dep.api_key = (char *)key;
    c->dep.litellm_params = json_object();
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

static void call_free(struct call *c)
{
    ops->release(&c->pc);
    lmx_upreq_release(&c->up);
    json_decref(c->req);
    json_decref(c->dep.litellm_params);
}

static bool has_header(const struct lmx_upreq *u, const char *prefix)
{
    for (size_t i = 0; i < u->nheaders; i++)
        if (strncmp(u->headers[i], prefix, strlen(prefix)) == 0)
            return true;
    return false;
}

static bool body_is(const struct call *c, const char *want)
{
    if (c->up.body.data != NULL && strcmp(c->up.body.data, want) == 0)
        return true;
    fprintf(stderr, "body:\n  got  %s\n  want %s\n", c->up.body.data ? c->up.body.data : "(null)",
            want);
    return false;
}

/* True when s is a made-up tool-call id: "call_" and 24 hex digits. */
static bool is_made_up_id(const char *s)
{
    if (s == NULL || strncmp(s, "call_", 5) != 0 || strlen(s) != 29)
        return false;
    for (s += 5; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* Chunks collected from a stream: "created" removed, made-up tool ids replaced by "call_X". */
static int collect(const json_t *chunk, void *ud)
{
    json_t *copy = json_deep_copy(chunk), *tc;
    json_t *d = json_object_get(json_array_get(json_object_get(copy, "choices"), 0), "delta");
    size_t i;

    json_object_del(copy, "created");
    json_array_foreach(json_object_get(d, "tool_calls"), i, tc) {
        if (is_made_up_id(json_string_value(json_object_get(tc, "id"))))
            json_object_set_new(tc, "id", json_string("call_X"));
    }
    return json_array_append_new(ud, copy) < 0 ? LMX_ENOMEM : 0;
}

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

struct assembled {
    char text[4096];
    char reasoning[4096];
    char args[4][512];
    char names[4][64];
    bool ids_ok;
    int ntools;
    char finish[32];
    long long prompt, completion, total;
    bool usage, role_first;
};

static void assemble(const json_t *chunks, struct assembled *a)
{
    json_t *ch;
    size_t i;

    memset(a, 0, sizeof(*a));
    a->ids_ok = true;
    json_array_foreach(chunks, i, ch) {
        json_t *c0 = json_array_get(json_object_get(ch, "choices"), 0);
        json_t *d = json_object_get(c0, "delta"), *u = json_object_get(ch, "usage"), *tc;
        const char *s;
        size_t j;

        if (i == 0)
            a->role_first = json_is_string(json_object_get(d, "role"));
        if ((s = json_string_value(json_object_get(d, "content"))) != NULL ||
            (s = json_string_value(json_object_get(c0, "text"))) != NULL)
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
            if (json_string_length(json_object_get(tc, "id")) == 0)
                a->ids_ok = false;
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

static const char *const chat_req = "{\"model\":\"o\",\"stream\":true,\"stream_options\":{"
                                    "\"include_usage\":true},\"messages\":[{\"role\":\"user\","
                                    "\"content\":\"x\"}]}";

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_build_chat(void)
{
    struct call c;

    call_build(&c, "ollama_chat", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
               "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is \"},"
               "{\"type\":\"text\",\"text\":\"this?\"},{\"type\":\"image_url\",\"image_url\":{"
               "\"url\":\"data:image/png;base64,iVBO\"}}]},{\"role\":\"assistant\",\"content\":"
               "null,\"reasoning_content\":\"look\",\"tool_calls\":[{\"id\":\"c1\",\"type\":"
               "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
               "\"{\\\"city\\\":\\\"Tokyo\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
               "\"content\":\"sunny\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
               "\"get_weather\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\","
               "\"max_tokens\":50,\"temperature\":0.2,\"top_p\":0.9,\"seed\":1,\"stop\":\"END\","
               "\"frequency_penalty\":0.5,\"response_format\":{\"type\":\"json_object\"},"
               "\"keep_alive\":\"5m\",\"top_k\":20,\"num_ctx\":8192,\"reasoning_effort\":\"high\","
               "\"user\":\"u\",\"stream\":true}",
               LMX_EP_CHAT, false, "http://127.0.0.1:9/", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/api/chat");
    ASSERT(has_header(&c.up, "Content-Type: application/json"));
    ASSERT(!has_header(&c.up, "Authorization:"));
    ASSERT(body_is(&c, "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"system\",\"content\":"
                       "\"be brief\"},{\"role\":\"user\",\"content\":\"what is this?\","
                       "\"images\":[\"iVBO\"]},{\"role\":\"assistant\",\"content\":\"\","
                       "\"thinking\":\"look\",\"tool_calls\":[{\"function\":{\"name\":"
                       "\"get_weather\",\"arguments\":{\"city\":\"Tokyo\"}}}]},{\"role\":"
                       "\"tool\",\"content\":\"sunny\",\"tool_name\":\"get_weather\"}],\"tools\":"
                       "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                       "\"parameters\":{\"type\":\"object\"}}}],\"stream\":true,\"format\":"
                       "\"json\",\"keep_alive\":\"5m\",\"think\":true,\"options\":{"
                       "\"num_predict\":50,\"temperature\":0.2,\"top_p\":0.9,\"seed\":1,\"stop\":"
                       "[\"END\"],\"frequency_penalty\":0.5,\"top_k\":20,\"num_ctx\":8192}}"));
    call_free(&c);

    /* a key (Ollama's cloud) is a bearer token; no options, stream off */
    call_build(&c, "ollama_chat", "gpt-oss:20b",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
               "\"reasoning_effort\":\"low\"}",
               LMX_EP_CHAT, false, "https://ollama.com/api/chat", "sk-ol");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "https://ollama.com/api/chat");
    ASSERT(has_header(&c.up, "Authorization: Bearer sk-ol"));
    ASSERT(body_is(&c, "{\"model\":\"gpt-oss:20b\",\"messages\":[{\"role\":\"user\",\"content\":"
                       "\"hi\"}],\"stream\":false,\"think\":\"low\"}"));
    call_free(&c);

    /* bad tool-call arguments, unknown roles and refused parameters are 400s */
    call_build(
        &c, "ollama_chat", "llama3.2",
        "{\"model\":\"o\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":"
        "\"1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1\"}}]}]}",
        LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_EQ(c.err.status, 400);
    call_free(&c);
    call_build(&c, "ollama_chat", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
               "\"logit_bias\":{\"1\":1}}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "logit_bias");
    ASSERT(strstr(c.err.message, "ollama_chat does not support parameter 'logit_bias'") != NULL);
    call_free(&c);
}

static void test_build_default_base(void)
{
    struct call c;

    unsetenv("OLLAMA_API_BASE");
    call_build(&c, "ollama_chat", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://localhost:11434/api/chat");
    call_free(&c);
    setenv("OLLAMA_API_BASE", "http://10.1.2.3:11434", 1);
    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_STR_EQ(c.up.url.data, "http://10.1.2.3:11434/api/generate");
    call_free(&c);
    unsetenv("OLLAMA_API_BASE");
}

static void test_build_generate(void)
{
    struct call c;

    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
               "{\"role\":\"user\",\"content\":\"why is the sky blue?\"}],\"max_tokens\":5,"
               "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\","
               "\"schema\":{\"type\":\"object\"}}}}",
               LMX_EP_CHAT, false, "http://127.0.0.1:9", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/api/generate");
    ASSERT(body_is(&c, "{\"model\":\"llama3.2\",\"prompt\":\"why is the sky blue?\",\"system\":"
                       "\"be brief\",\"stream\":false,\"format\":{\"type\":\"object\"},"
                       "\"options\":{\"num_predict\":5}}"));
    call_free(&c);

    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":"
               "\"assistant\",\"content\":\"hello\"},{\"role\":\"user\",\"content\":[{\"type\":"
               "\"text\",\"text\":\"and this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
               "\"data:image/jpeg;base64,/9j/\"}}]}],\"stream\":true}",
               LMX_EP_CHAT, false, "http://127.0.0.1:9", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(body_is(&c, "{\"model\":\"llama3.2\",\"prompt\":\"### User:\\nhi\\n\\n### Assistant:"
                       "\\nhello\\n\\n### User:\\nand this?\\n\\n\",\"images\":[\"/9j/\"],"
                       "\"stream\":true}"));
    call_free(&c);

    /* generate has no tools */
    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":"
               "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADPARAM);
    ASSERT_STR_EQ(c.err.param, "tools");
    call_free(&c);
    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":"
               "[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
               LMX_EP_CHAT, true, NULL, NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT(strstr(c.up.body.data, "tools") == NULL);
    call_free(&c);

    /* /completions: the prompt itself, on /api/generate for both prefixes */
    call_build(&c, "ollama_chat", "llama3.2",
               "{\"model\":\"o\",\"prompt\":[\"Once upon\"],\"suffix\":\"end\",\"max_tokens\":3}",
               LMX_EP_COMPLETIONS, false, "http://127.0.0.1:9", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/api/generate");
    ASSERT(body_is(&c, "{\"model\":\"llama3.2\",\"prompt\":\"Once upon\",\"stream\":false,"
                       "\"suffix\":\"end\",\"options\":{\"num_predict\":3}}"));
    call_free(&c);
    call_build(&c, "ollama", "llama3.2", "{\"model\":\"o\",\"prompt\":[\"a\",\"b\"]}",
               LMX_EP_COMPLETIONS, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

static void test_build_embed(void)
{
    struct call c;

    call_build(&c, "ollama", "nomic-embed-text",
               "{\"model\":\"e\",\"input\":[\"a\",\"b\"],\"dimensions\":64,\"user\":\"u\"}",
               LMX_EP_EMBEDDINGS, false, "http://127.0.0.1:9", NULL);
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(c.up.url.data, "http://127.0.0.1:9/api/embed");
    ASSERT(body_is(&c, "{\"model\":\"nomic-embed-text\",\"input\":[\"a\",\"b\"],"
                       "\"dimensions\":64}"));
    call_free(&c);
    call_build(&c, "ollama", "nomic-embed-text", "{\"model\":\"e\",\"input\":[1,2]}",
               LMX_EP_EMBEDDINGS, false, NULL, NULL);
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    call_free(&c);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void test_parse(void)
{
    static const char chat[] =
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
        "\"assistant\",\"content\":\"Hi!\",\"thinking\":\"greet\"},\"done\":true,"
        "\"done_reason\":\"length\",\"prompt_eval_count\":26,\"eval_count\":298}";
    static const char tools[] =
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
        "\"tool_calls\":[{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":"
        "\"Tokyo\"}}},{\"function\":{\"name\":\"time\",\"arguments\":{}}}]},\"done\":true,"
        "\"done_reason\":\"stop\",\"prompt_eval_count\":169,\"eval_count\":18}";
    struct call c;
    json_t *out = NULL, *want, *m, *tc;

    call_build(&c, "ollama_chat", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_EQ(ops->parse(&c.pc, chat, sizeof(chat) - 1, &out, &c.err), 0);
    json_object_del(out, "created");
    want = json_loads("{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion\",\"model\":"
                      "\"llama3.2\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\"Hi!\",\"reasoning_content\":\"greet\"},\"finish_reason\":"
                      "\"length\"}],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":298,"
                      "\"total_tokens\":324}}",
                      0, NULL);
    ASSERT(json_equal(out, want));
    json_decref(want);
    json_decref(out);

    ASSERT_EQ(ops->parse(&c.pc, tools, sizeof(tools) - 1, &out, &c.err), 0);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    ASSERT(json_is_null(json_object_get(m, "content")));
    ASSERT_EQ(json_array_size(json_object_get(m, "tool_calls")), 2);
    tc = json_array_get(json_object_get(m, "tool_calls"), 0);
    ASSERT(is_made_up_id(json_string_value(json_object_get(tc, "id"))));
    ASSERT(strcmp(json_string_value(json_object_get(tc, "id")),
                  json_string_value(json_object_get(
                      json_array_get(json_object_get(m, "tool_calls"), 1), "id"))) != 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(tc, "function"), "arguments")),
                  "{\"city\":\"Tokyo\"}");
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "tool_calls");
    json_decref(out);

    /* an error object with a 200 is still an error */
    ASSERT(ops->parse(&c.pc, "{\"error\":\"boom\"}", 16, &out, &c.err) < 0);
    ASSERT_STR_EQ(c.err.message, "boom");
    ASSERT(ops->parse(&c.pc, "[1]", 3, &out, &c.err) < 0);
    call_free(&c);

    /* generate and /completions */
    call_build(&c, "ollama", "llama3.2",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    {
        static const char gen[] = "{\"model\":\"llama3.2\",\"response\":\"Blue.\",\"done\":true,"
                                  "\"context\":[1,2],\"prompt_eval_count\":3,\"eval_count\":2}";

        ASSERT_EQ(ops->parse(&c.pc, gen, sizeof(gen) - 1, &out, &c.err), 0);
        m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
        ASSERT_STR_EQ(json_string_value(json_object_get(m, "content")), "Blue.");
        ASSERT_EQ(
            json_integer_value(json_object_get(json_object_get(out, "usage"), "total_tokens")), 5);
        json_decref(out);
    }
    call_free(&c);
    call_build(&c, "ollama", "llama3.2", "{\"model\":\"o\",\"prompt\":\"x\"}", LMX_EP_COMPLETIONS,
               false, NULL, NULL);
    {
        static const char gen[] = "{\"model\":\"llama3.2\",\"response\":\"Blue.\",\"done\":true}";

        ASSERT_EQ(ops->parse(&c.pc, gen, sizeof(gen) - 1, &out, &c.err), 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(out, "object")), "text_completion");
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_array_get(json_object_get(out, "choices"), 0), "text")),
                      "Blue.");
        ASSERT(strncmp(json_string_value(json_object_get(out, "id")), "cmpl-", 5) == 0);
        json_decref(out);
    }
    call_free(&c);
    call_build(&c, "ollama", "e", "{\"model\":\"o\",\"input\":\"x\"}", LMX_EP_EMBEDDINGS, false,
               NULL, NULL);
    {
        static const char emb[] = "{\"model\":\"e\",\"embeddings\":[[0.5,1],[2,3]],"
                                  "\"prompt_eval_count\":4}";

        ASSERT_EQ(ops->parse(&c.pc, emb, sizeof(emb) - 1, &out, &c.err), 0);
        want = json_loads("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                          "\"embedding\":[0.5,1]},{\"object\":\"embedding\",\"index\":1,"
                          "\"embedding\":[2,3]}],\"model\":\"e\",\"usage\":{\"prompt_tokens\":4,"
                          "\"total_tokens\":4}}",
                          0, NULL);
        ASSERT(json_equal(out, want));
        json_decref(want);
        json_decref(out);
    }
    call_free(&c);
}

static void test_map_error(void)
{
    static const char body[] = "{\"error\":\"model 'x' not found\"}";
    struct lmx_perr e;

    memset(&e, 0, sizeof(e));
    ops->map_error(NULL, 404, body, sizeof(body) - 1, &e);
    ASSERT_EQ(e.status, 404);
    ASSERT_STR_EQ(e.type, "invalid_request_error");
    ASSERT_STR_EQ(e.message, "model 'x' not found");
    ops->map_error(NULL, 502, "bad gateway", 11, &e);
    ASSERT_EQ(e.status, 502);
    ASSERT(strstr(e.message, "HTTP 502") != NULL);
}

/* ------------------------------------------------------------------------ */
/* Streams */

static const char stream_chat[] =
    "{\"model\":\"m\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
    "\"thinking\":\"hmm\"},\"done\":false}\n"
    "{\"model\":\"m\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":"
    "\"The sky\"},\"done\":false}\r\n"
    "\n"
    "{\"model\":\"m\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":"
    "\" is blue \\u2014 mostly.\"},\"done\":false}\n"
    "{\"model\":\"m\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":21,\"eval_count\":40}\n";

static const char stream_tools[] =
    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
    "\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Tokyo\"}}}]},"
    "\"done\":false}\n"
    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
    "\"function\":{\"name\":\"get_time\",\"arguments\":{\"tz\":\"JST\"}}}]},\"done\":false}\n"
    "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
    "\"done_reason\":\"stop\",\"prompt_eval_count\":169,\"eval_count\":15}";

static void check_splits(const char *provider,
                         enum lmx_endpoint ep,
                         const char *req,
                         const char *text,
                         json_t **whole_out)
{
    size_t n = strlen(text);
    struct call c;
    json_t *whole = json_array();

    call_build(&c, provider, "m", req, ep, false, NULL, NULL);
    ASSERT_EQ(feed(&c, text, n, 0, n, whole), 0);
    call_free(&c);
    for (size_t cut = 0; cut <= n; cut++) {
        json_t *got = json_array();
        int rc;

        call_build(&c, provider, "m", req, ep, false, NULL, NULL);
        rc = feed(&c, text, n, 0, cut, got);
        call_free(&c);
        ASSERT_(rc == 0 && json_equal(got, whole), "split at %zu differs (rc %d)", cut, rc);
        json_decref(got);
    }
    {
        json_t *got = json_array();

        call_build(&c, provider, "m", req, ep, false, NULL, NULL);
        ASSERT_EQ(feed(&c, text, n, 1, 0, got), 0);
        call_free(&c);
        ASSERT(json_equal(got, whole));
        json_decref(got);
    }
    *whole_out = whole;
}

static void test_stream_chat(void)
{
    json_t *chunks = NULL, *want;
    struct assembled a;

    check_splits("ollama_chat", LMX_EP_CHAT, chat_req, stream_chat, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT(a.role_first);
    ASSERT_STR_EQ(a.text, "The sky is blue \xe2\x80\x94 mostly.");
    ASSERT_STR_EQ(a.reasoning, "hmm");
    ASSERT_STR_EQ(a.finish, "stop");
    ASSERT(a.usage);
    ASSERT_EQ(a.prompt, 21);
    ASSERT_EQ(a.completion, 40);
    ASSERT_EQ(a.total, 61);
    want = json_loads(
        "[{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
        "\"finish_reason\":null}]},{\"id\":\"chatcmpl-test-1\",\"object\":"
        "\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{"
        "\"reasoning_content\":\"hmm\"},\"finish_reason\":null}]},{\"id\":\"chatcmpl-test-1\","
        "\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"content\":\"The sky\"},\"finish_reason\":null}]},{\"id\":"
        "\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{"
        "\"index\":0,\"delta\":{\"content\":\" is blue \\u2014 mostly.\"},\"finish_reason\":"
        "null}]},{\"id\":\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\",\"model\":"
        "\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]},{\"id\":"
        "\"chatcmpl-test-1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":"
        "[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":40,\"total_tokens\":61}}]",
        0, NULL);
    ASSERT(json_equal(chunks, want));
    json_decref(want);
    json_decref(chunks);
}

static void test_stream_tools(void)
{
    json_t *chunks = NULL, *j;
    struct assembled a;

    /* the last line has no newline: stream_end reads it */
    check_splits("ollama_chat", LMX_EP_CHAT, chat_req, stream_tools, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT_EQ(a.ntools, 2);
    ASSERT(a.ids_ok);
    ASSERT_STR_EQ(a.names[0], "get_weather");
    ASSERT_STR_EQ(a.args[0], "{\"city\":\"Tokyo\"}");
    ASSERT_STR_EQ(a.names[1], "get_time");
    j = json_loads(a.args[1], 0, NULL);
    ASSERT(json_is_object(j));
    json_decref(j);
    ASSERT_STR_EQ(a.finish, "tool_calls");
    ASSERT_EQ(a.prompt, 169);
    json_decref(chunks);
}

static void test_stream_generate(void)
{
    static const char gen[] = "{\"model\":\"m\",\"response\":\"That\",\"done\":false}\n"
                              "{\"model\":\"m\",\"response\":\"'s it\",\"done\":false}\n"
                              "{\"model\":\"m\",\"response\":\"!\",\"done\":true, \"done_reason\":"
                              " \"length\",\"prompt_eval_count\":2,\"eval_count\":3}\n";
    json_t *chunks = NULL;
    struct assembled a;

    check_splits("ollama", LMX_EP_CHAT, chat_req, gen, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT_STR_EQ(a.text, "That's it!");
    ASSERT_STR_EQ(a.finish, "length");
    ASSERT_EQ(a.total, 5);
    json_decref(chunks);

    check_splits("ollama", LMX_EP_COMPLETIONS,
                 "{\"model\":\"o\",\"prompt\":\"x\",\"stream\":true,\"stream_options\":{"
                 "\"include_usage\":true}}",
                 gen, &chunks);
    ASSERT(chunks != NULL);
    assemble(chunks, &a);
    ASSERT_STR_EQ(a.text, "That's it!");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(chunks, 0), "object")),
                  "text_completion");
    ASSERT_STR_EQ(a.finish, "length");
    ASSERT_EQ(a.total, 5);
    json_decref(chunks);
}

static void test_stream_errors(void)
{
    static const char midstream[] = "{\"model\":\"m\",\"response\":\" Yes\",\"done\":false}\n"
                                    "{\"error\":\"an error was encountered while running the "
                                    "model\"}\n";
    static const char bad[] = "{\"model\":\"m\",\"message\":{\"content\":\"x\"},\"done\":fa\n";
    static const char cut[] = "{\"model\":\"m\",\"message\":{\"content\":\"x\"},\"done\":false}\n";
    struct call c;
    json_t *got = json_array();
    struct assembled a;

    call_build(&c, "ollama", "m", chat_req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, midstream, sizeof(midstream) - 1, 3, 0, got) < 0);
    ASSERT_STR_EQ(c.err.message, "an error was encountered while running the model");
    ASSERT(c.err.status >= 500);
    assemble(got, &a);
    ASSERT_STR_EQ(a.text, " Yes"); /* what came before the error went out */
    call_free(&c);

    call_build(&c, "ollama_chat", "m", chat_req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, bad, sizeof(bad) - 1, 0, 5, got) < 0);
    ASSERT(strstr(c.err.message, "malformed") != NULL);
    call_free(&c);

    call_build(&c, "ollama_chat", "m", chat_req, LMX_EP_CHAT, false, NULL, NULL);
    ASSERT(feed(&c, cut, sizeof(cut) - 1, 0, 5, got) < 0);
    ASSERT(strstr(c.err.message, "done") != NULL);
    call_free(&c);
    json_decref(got);
}

/* ------------------------------------------------------------------------ */
/* Recorded traffic ($LMX_FIXTURES/ollama) */

static const char *fixtures_dir(char *buf, size_t n)
{
    const char *env = getenv("LMX_FIXTURES");
    const char *src = getenv("LMX_SRC");

    if (env != NULL && env[0] != '\0')
        snprintf(buf, n, "%s/ollama", env);
    else
        snprintf(buf, n, "%s/../shared/fixtures/ollama", src != NULL ? src : ".");
    return buf;
}

/* NDJSON in, every line checked: text present, usage as the done line says, errors kept. */
static void conform_stream(const char *name, const char *text, size_t n)
{
    const char *provider = strstr(name, "generate") != NULL || strstr(name, "error") != NULL
                               ? "ollama"
                               : "ollama_chat";
    struct call c;
    json_t *chunks = json_array(), *last = NULL;
    struct assembled a;
    bool has_text = false;
    const char *err_msg = NULL;
    const char *p = text, *end = text + n;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *o = json_loadb(p, len, 0, NULL);
        json_t *m = json_object_get(o, "message");

        if (json_string_length(json_object_get(m, "content")) > 0 ||
            json_string_length(json_object_get(o, "response")) > 0)
            has_text = true;
        if (json_is_true(json_object_get(o, "done")) || json_object_get(o, "error") != NULL) {
            json_decref(last);
            last = json_incref(o);
        }
        json_decref(o);
        p = nl != NULL ? nl + 1 : end;
    }
    err_msg = json_string_value(json_object_get(last, "error"));
    call_build(&c, provider, "m", chat_req, LMX_EP_CHAT, false, NULL, NULL);
    c.rc = feed(&c, text, n, 5, 0, chunks);
    assemble(chunks, &a);
    if (err_msg != NULL) {
        ASSERT_(c.rc < 0 && strcmp(c.err.message, err_msg) == 0, "%s: error not reported (%s)",
                name, c.err.message);
    } else {
        ASSERT_(c.rc == 0, "%s: stream failed: %s", name, c.err.message);
        ASSERT_(a.usage &&
                    a.prompt == json_integer_value(json_object_get(last, "prompt_eval_count")) &&
                    a.completion == json_integer_value(json_object_get(last, "eval_count")),
                "%s: usage %lld/%lld differs from the recording", name, a.prompt, a.completion);
        ASSERT_STR_EQ(a.finish, "stop");
    }
    ASSERT_(!has_text || a.text[0] != '\0', "%s: no text", name);
    fprintf(stderr, "     conform %s: %zu chunks, text %zu bytes%s\n", name,
            json_array_size(chunks), strlen(a.text), err_msg != NULL ? ", error kept" : "");
    call_free(&c);
    json_decref(chunks);
    json_decref(last);
}

static void conform_response(const char *name, const char *text, size_t n)
{
    struct call c;
    json_t *rec = json_loadb(text, n, 0, NULL), *out = NULL, *m, *tc;
    size_t i;

    ASSERT_(json_is_object(rec), "%s: not JSON", name);
    if (json_object_get(rec, "error") != NULL) {
        struct lmx_perr e;

        memset(&e, 0, sizeof(e));
        ops->map_error(NULL, 500, text, n, &e);
        ASSERT_STR_EQ(e.message, json_string_value(json_object_get(rec, "error")));
        fprintf(stderr, "     conform %s: error mapped\n", name);
        json_decref(rec);
        return;
    }
    call_build(&c, "ollama_chat", "m",
               "{\"model\":\"o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
               LMX_EP_CHAT, false, NULL, NULL);
    ASSERT_(ops->parse(&c.pc, text, n, &out, &c.err) == 0, "%s: %s", name, c.err.message);
    m = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    if (json_string_length(json_object_get(json_object_get(rec, "message"), "content")) > 0)
        ASSERT_(json_string_length(json_object_get(m, "content")) > 0, "%s: no text", name);
    ASSERT_EQ(json_array_size(json_object_get(m, "tool_calls")),
              json_array_size(json_object_get(json_object_get(rec, "message"), "tool_calls")));
    json_array_foreach(json_object_get(m, "tool_calls"), i, tc) {
        const char *args =
            json_string_value(json_object_get(json_object_get(tc, "function"), "arguments"));
        json_t *j = args != NULL ? json_loads(args, 0, NULL) : NULL;

        ASSERT_(json_is_object(j), "%s: tool call %zu arguments do not parse", name, i);
        json_decref(j);
    }
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(out, "usage"), "prompt_tokens")),
              json_integer_value(json_object_get(rec, "prompt_eval_count")));
    ASSERT_EQ(
        json_integer_value(json_object_get(json_object_get(out, "usage"), "completion_tokens")),
        json_integer_value(json_object_get(rec, "eval_count")));
    fprintf(stderr, "     conform %s: ok\n", name);
    json_decref(out);
    json_decref(rec);
    call_free(&c);
}

/* chat-stream-tools-first + -final: two pretty-printed stream objects, made one NDJSON stream. */
static void conform_tools_pair(const char *dir)
{
    char path[2048];
    size_t n1 = 0, n2 = 0;
    char *a, *b;
    json_t *o1, *o2;
    char *l1, *l2;
    struct lmx_buf nd;

    snprintf(path, sizeof(path), "%s/chat-stream-tools-first.fromdocs.json", dir);
    a = read_file(path, &n1);
    snprintf(path, sizeof(path), "%s/chat-stream-tools-final.fromdocs.json", dir);
    b = read_file(path, &n2);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return;
    }
    o1 = json_loadb(a, n1, 0, NULL);
    o2 = json_loadb(b, n2, 0, NULL);
    l1 = json_dumps(o1, JSON_COMPACT);
    l2 = json_dumps(o2, JSON_COMPACT);
    lmx_buf_init(&nd, 1u << 20);
    if (l1 != NULL && l2 != NULL && lmx_buf_printf(&nd, "%s\n%s\n", l1, l2) == 0) {
        struct call c;
        json_t *chunks = json_array();
        struct assembled as;

        call_build(&c, "ollama_chat", "m", chat_req, LMX_EP_CHAT, false, NULL, NULL);
        ASSERT_EQ(feed(&c, nd.data, nd.len, 3, 0, chunks), 0);
        assemble(chunks, &as);
        ASSERT_EQ(as.ntools, 1);
        ASSERT(as.ids_ok);
        ASSERT_STR_EQ(as.args[0], "{\"city\":\"Tokyo\"}");
        ASSERT_STR_EQ(as.finish, "tool_calls");
        ASSERT_EQ(as.prompt, json_integer_value(json_object_get(o2, "prompt_eval_count")));
        ASSERT_EQ(as.completion, json_integer_value(json_object_get(o2, "eval_count")));
        fprintf(stderr, "     conform chat-stream-tools-{first,final}: ok\n");
        call_free(&c);
        json_decref(chunks);
    }
    lmx_buf_release(&nd);
    free(l1);
    free(l2);
    json_decref(o1);
    json_decref(o2);
    free(a);
    free(b);
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

        if (name[0] == '.' || strstr(name, "request") != NULL ||
            strstr(name, "chat-stream-tools-") != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        text = read_file(path, &len);
        if (text == NULL)
            continue;
        if (nl > 7 && strcmp(name + nl - 7, ".ndjson") == 0) {
            conform_stream(name, text, len);
            seen++;
        } else if (nl > 5 && strcmp(name + nl - 5, ".json") == 0) {
            conform_response(name, text, len);
            seen++;
        }
        free(text);
    }
    closedir(d);
    conform_tools_pair(dir);
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

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpora/ollama", src != NULL ? src : ".");
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
    RUN(test_build_default_base);
    RUN(test_build_generate);
    RUN(test_build_embed);
    RUN(test_parse);
    RUN(test_map_error);
    RUN(test_stream_chat);
    RUN(test_stream_tools);
    RUN(test_stream_generate);
    RUN(test_stream_errors);
    RUN(test_fixtures);
    RUN(test_fuzz_corpus);
    TEST_MAIN_END();
}
