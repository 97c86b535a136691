/*
 * tests/unit/provider/anthropic.c - the Anthropic adapter (provider/anthropic.c)
 * through its ops table.
 *
 * Golden tests: OpenAI requests in -> exact /v1/messages requests out (URL,
 * headers, body); Anthropic answers and streams in (streams split at every
 * byte position) -> exact OpenAI objects and chunks out; errors. Then a
 * conformance pass over the recorded traffic in $LMX_FIXTURES/anthropic/
 * (skipped with a message when absent), and a replay of the fuzz seed corpus
 * ${LMX_SRC}/tests/fuzz/corpora/anthropic/.
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "provider/anthropic.h"
#include "provider/provider.h"
#include "test.h"

#include "../../fuzz/fuzz_anthropic.c"

static const struct lmx_provider_ops *ops = &lmx_provider_anthropic_ops;

/* ------------------------------------------------------------------------ */
/* Helpers */

static struct lmx_deployment test_dep(const char *base, const char *key)
{
    struct lmx_deployment d;

    memset(&d, 0, sizeof(d));
    d.model_name = "claude";
    d.model = "anthropic/claude-x";
    d.provider = "anthropic";
    d.upstream_model = "claude-x";
    d.api_base = (char *)base;
    d.api_key = (char *)key;
    d.supported = true;
    d.drop_params = -1;
    return d;
}

static void
pc_init(struct lmx_pcall *pc, const struct lmx_deployment *d, const json_t *req, bool stream)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = LMX_EP_CHAT;
    pc->req = req;
    pc->model = "claude-x";
    pc->call_id = "call-1";
    pc->stream = stream;
}

/* Compares with the JSON text `want`; prints both when they differ. */
static bool json_same(const json_t *got, const char *want)
{
    json_error_t e;
    json_t *w = json_loads(want, 0, &e);
    bool same;

    if (w == NULL) {
        fprintf(stderr, "bad expected JSON at %d: %s\n%s\n", e.position, e.text, want);
        return false;
    }
    same = json_equal((json_t *)got, w);
    if (!same) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
        char *x = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);

        fprintf(stderr, "JSON differs\n  got:  %s\n  want: %s\n", g ? g : "(null)",
                x ? x : "(null)");
        free(g);
        free(x);
    }
    json_decref(w);
    return same;
}

static bool has_header(const struct lmx_upreq *r, const char *line)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i], line) == 0)
            return true;
    return false;
}

static bool has_header_named(const struct lmx_upreq *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nheaders; i++)
        if (strncmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return true;
    return false;
}

struct built {
    int rc;
    struct lmx_perr pe;
    struct lmx_upreq up;
    json_t *body;
};

/* Runs build() on the request text; b->body is the parsed body (NULL on failure). */
static void build_req(
    struct built *b, const char *req_text, const struct lmx_deployment *d, bool stream, bool drop)
{
    json_t *req = json_loads(req_text, 0, NULL);
    struct lmx_pcall pc;

    memset(&b->pe, 0, sizeof(b->pe));
    b->body = NULL;
    lmx_upreq_init(&b->up);
    if (req == NULL) {
        fprintf(stderr, "bad request JSON: %s\n", req_text);
        b->rc = -1;
        return;
    }
    pc_init(&pc, d, req, stream);
    pc.drop_params = drop;
    b->rc = ops->build(&pc, &b->up, &b->pe);
    if (b->rc == 0)
        b->body = json_loadb(b->up.body.data, b->up.body.len, 0, NULL);
    ops->release(&pc);
    json_decref(req);
}

static void built_free(struct built *b)
{
    lmx_upreq_release(&b->up);
    json_decref(b->body);
}

struct collect {
    json_t *chunks;
    int fail_after; /* the callback fails once this many chunks were taken; -1 never */
};

/* Keeps a copy of every chunk, without its "created" (checked to be an integer). */
static int collect_cb(const json_t *chunk, void *ud)
{
    struct collect *c = ud;
    json_t *copy;

    if (c->fail_after >= 0 && json_array_size(c->chunks) >= (size_t)c->fail_after)
        return LMX_ECLIENT;
    copy = json_deep_copy(chunk);
    if (copy == NULL || !json_is_integer(json_object_get(copy, "created")))
        return LMX_EINTERNAL;
    json_object_del(copy, "created");
    json_array_append_new(c->chunks, copy);
    return 0;
}

/*
 * Feeds a stream: in two pieces split at `split` (when step is 0), or `step`
 * bytes at a time. Returns the first negative code or 0; *chunks gets the
 * chunks (new reference).
 */
static int run_stream(const char *req_text,
                      const char *data,
                      size_t n,
                      size_t split,
                      size_t step,
                      json_t **chunks,
                      struct lmx_perr *pe,
                      int fail_after)
{
    struct lmx_deployment d = test_dep("https://api.anthropic.com", "sk-ant");
    json_t *req = json_loads(req_text, 0, NULL);
    struct collect c = {json_array(), fail_after};
    struct lmx_pcall pc;
    int rc = 0;

    memset(pe, 0, sizeof(*pe));
    pc_init(&pc, &d, req, true);
    if (step == 0) {
        rc = ops->stream_feed(&pc, data, split, collect_cb, &c, pe);
        if (rc == 0)
            rc = ops->stream_feed(&pc, data + split, n - split, collect_cb, &c, pe);
    } else {
        for (size_t off = 0; rc == 0 && off < n; off += step)
            rc = ops->stream_feed(&pc, data + off, LMX_MIN(step, n - off), collect_cb, &c, pe);
    }
    if (rc == 0)
        rc = ops->stream_end(&pc, collect_cb, &c, pe);
    ops->release(&pc);
    json_decref(req);
    *chunks = c.chunks;
    return rc;
}

/*
 * What a client assembles from the chunks: {"content", "reasoning",
 * "tool_calls":[{"id","name","arguments"}], "finish_reason", "usage",
 * "signature"}; also checks the role comes in the first chunk only and the
 * id/model/object are the same in every chunk.
 */
static json_t *assemble(const json_t *chunks, bool *ok)
{
    struct lmx_buf text, reasoning, sig;
    json_t *tools = json_array(), *usage = NULL, *res;
    const char *finish = NULL, *id0 = NULL;
    const json_t *ch;
    size_t i;

    *ok = true;
    lmx_buf_init(&text, 1 << 24);
    lmx_buf_init(&reasoning, 1 << 24);
    lmx_buf_init(&sig, 1 << 24);
    json_array_foreach(chunks, i, ch) {
        const json_t *choices = json_object_get(ch, "choices");
        const json_t *choice = json_array_get(choices, 0);
        const json_t *delta = json_object_get(choice, "delta");
        const json_t *tc, *t;
        size_t k;

        if (strcmp(json_string_value(json_object_get(ch, "object")), "chat.completion.chunk"))
            *ok = false;
        if (id0 == NULL)
            id0 = json_string_value(json_object_get(ch, "id"));
        else if (strcmp(id0, json_string_value(json_object_get(ch, "id"))) != 0)
            *ok = false;
        if ((json_object_get(delta, "role") != NULL) != (i == 0 && delta != NULL))
            *ok = false;
        if (json_object_get(ch, "usage") != NULL) {
            if (json_array_size(choices) != 0)
                *ok = false;
            json_decref(usage);
            usage = json_deep_copy(json_object_get(ch, "usage"));
            continue;
        }
        if (json_string_value(json_object_get(choice, "finish_reason")) != NULL)
            finish = json_string_value(json_object_get(choice, "finish_reason"));
        if (json_is_string(json_object_get(delta, "content")))
            lmx_buf_puts(&text, json_string_value(json_object_get(delta, "content")));
        if (json_is_string(json_object_get(delta, "reasoning_content")))
            lmx_buf_puts(&reasoning,
                         json_string_value(json_object_get(delta, "reasoning_content")));
        json_array_foreach(json_object_get(delta, "thinking_blocks"), k, t) {
            if (json_is_string(json_object_get(t, "signature")))
                lmx_buf_puts(&sig, json_string_value(json_object_get(t, "signature")));
        }
        json_array_foreach(json_object_get(delta, "tool_calls"), k, tc) {
            json_int_t idx = json_integer_value(json_object_get(tc, "index"));
            const json_t *fn = json_object_get(tc, "function");
            json_t *slot;

            if (json_object_get(tc, "id") != NULL) {
                if (idx != (json_int_t)json_array_size(tools) ||
                    strcmp(json_string_value(json_object_get(tc, "type")), "function") != 0)
                    *ok = false;
                json_array_append_new(
                    tools, json_pack("{s:O,s:O,s:s}", "id", json_object_get(tc, "id"), "name",
                                     json_object_get(fn, "name"), "arguments", ""));
                continue;
            }
            slot = json_array_get(tools, (size_t)idx);
            if (slot == NULL) {
                *ok = false;
                continue;
            }
            {
                struct lmx_buf a;

                lmx_buf_init(&a, 1 << 24);
                lmx_buf_puts(&a, json_string_value(json_object_get(slot, "arguments")));
                lmx_buf_puts(&a, json_string_value(json_object_get(fn, "arguments")));
                json_object_set_new(slot, "arguments", json_string(a.data ? a.data : ""));
                lmx_buf_release(&a);
            }
        }
    }
    res = json_pack("{s:s,s:s,s:o,s:s?,s:o,s:s}", "content", text.data ? text.data : "",
                    "reasoning", reasoning.data ? reasoning.data : "", "tool_calls", tools,
                    "finish_reason", finish, "usage", usage ? usage : json_null(), "signature",
                    sig.data ? sig.data : "");
    lmx_buf_release(&text);
    lmx_buf_release(&reasoning);
    lmx_buf_release(&sig);
    return res;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        }
        if (p != NULL) {
            p[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static const char *CANON_REQ =
    "{\"model\":\"claude\",\"messages\":["
    "{\"role\":\"system\",\"content\":\"You are terse.\"},"
    "{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"},"
    "{\"role\":\"assistant\",\"content\":\"Let me check.\",\"tool_calls\":[{\"id\":\"toolu_1\","
    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
    "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"content\":\"sunny\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"And this?\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.jpg\","
    "\"detail\":\"high\"}},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/r.PDF?v=2\"}}]}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
    "\"Weather now\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
    "\"string\"}},\"required\":[\"city\"]}}}],"
    "\"tool_choice\":\"required\",\"stop\":\"END\",\"temperature\":0.5,\"top_p\":0.9,"
    "\"user\":\"user-42\",\"max_completion_tokens\":300,\"stream\":true,"
    "\"stream_options\":{\"include_usage\":true},\"metadata\":{\"tags\":[\"x\"]},"
    "\"drop_params\":false}";

static void test_build_canonical(void)
{
    struct lmx_deployment d = test_dep("https://api.anthropic.com/", "sk-ant-1");
    struct built b;

    build_req(&b, CANON_REQ, &d, true, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT_STR_EQ(b.up.method, "POST");
    ASSERT_STR_EQ(b.up.url.data, "https://api.anthropic.com/v1/messages");
    ASSERT(has_header(&b.up, "x-api-key: sk-ant-1"));
    ASSERT(has_header(&b.up, "anthropic-version: 2023-06-01"));
    ASSERT(has_header(&b.up, "content-type: application/json"));
    ASSERT(json_same(
        b.body,
        "{\"model\":\"claude-x\",\"messages\":["
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is the weather in "
        "Paris?\"}]},"
        "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Let me check.\"},"
        "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":"
        "\"Paris\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\","
        "\"content\":\"sunny\"},{\"type\":\"text\",\"text\":\"And this?\"},"
        "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\","
        "\"data\":\"AAAA\"}},"
        "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/cat.jpg\"}},"
        "{\"type\":\"document\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/r.PDF?v=2\"}}"
        "]}],"
        "\"system\":\"You are terse.\",\"max_tokens\":300,\"stream\":true,"
        "\"stop_sequences\":[\"END\"],\"temperature\":0.5,\"top_p\":0.9,"
        "\"metadata\":{\"user_id\":\"user-42\"},"
        "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather now\",\"input_schema\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":"
        "[\"city\"]}}],"
        "\"tool_choice\":{\"type\":\"any\"}}"));
    built_free(&b);
}

static void test_build_defaults(void)
{
    struct lmx_deployment d = test_dep(NULL, NULL);
    struct built b;

    unsetenv("ANTHROPIC_API_BASE");
    unsetenv("ANTHROPIC_BASE_URL");
    unsetenv("ANTHROPIC_API_KEY");
    build_req(&b, "{\"model\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &d,
              false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT_STR_EQ(b.up.url.data, "https://api.anthropic.com/v1/messages");
    ASSERT(!has_header_named(&b.up, "x-api-key")); /* no key: none sent, the upstream says 401 */
    ASSERT(has_header(&b.up, "anthropic-version: 2023-06-01"));
    ASSERT(json_same(b.body, "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\","
                             "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                             "\"max_tokens\":4096}"));
    built_free(&b);

    /* the environment stands in for a missing api_base / api_key */
    setenv("ANTHROPIC_API_BASE", "http://10.0.0.1:8080/", 1);
    setenv("ANTHROPIC_API_KEY", "sk-env", 1);
    build_req(&b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &d, false, false);
    unsetenv("ANTHROPIC_API_BASE");
    unsetenv("ANTHROPIC_API_KEY");
    ASSERT_EQ(b.rc, 0);
    ASSERT_STR_EQ(b.up.url.data, "http://10.0.0.1:8080/v1/messages");
    ASSERT(has_header(&b.up, "x-api-key: sk-env"));
    built_free(&b);

    /* a base that already names the endpoint is used as it is */
    d = test_dep("http://h:1/proxy/v1/messages", "k");
    build_req(&b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT_STR_EQ(b.up.url.data, "http://h:1/proxy/v1/messages");
    built_free(&b);
}

static void test_build_system_blocks(void)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    struct built b;

    /* cache_control anywhere in the system prompt: blocks, cache_control kept */
    build_req(&b,
              "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":"
              "\"Long rules\",\"cache_control\":{\"type\":\"ephemeral\"}}]},"
              "{\"role\":\"developer\",\"content\":\"Be kind.\"},"
              "{\"role\":\"user\",\"content\":\"hi\",\"cache_control\":{\"type\":\"ephemeral\"}},"
              "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"again\","
              "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "system"),
                     "[{\"type\":\"text\",\"text\":\"Long rules\",\"cache_control\":{\"type\":"
                     "\"ephemeral\"}},{\"type\":\"text\",\"text\":\"Be kind.\"}]"));
    ASSERT(json_same(json_object_get(b.body, "messages"),
                     "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\","
                     "\"cache_control\":{\"type\":\"ephemeral\"}},{\"type\":\"text\",\"text\":"
                     "\"again\",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]}]"));
    built_free(&b);

    /* two plain system messages: blocks too (nothing is joined) */
    build_req(&b,
              "{\"messages\":[{\"role\":\"system\",\"content\":\"A\"},{\"role\":\"user\","
              "\"content\":\"hi\"},{\"role\":\"system\",\"content\":\"B\"}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "system"),
                     "[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"text\",\"text\":\"B\"}]"));
    built_free(&b);
}

static void test_build_thinking(void)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    struct built b;

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reasoning_effort\":"
              "\"medium\",\"temperature\":0.2,\"top_k\":5}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(b.body, "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\","
                             "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                             "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
                             "\"max_tokens\":6144,\"top_k\":5}"));
    built_free(&b);

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reasoning_effort\":"
              "\"high\",\"max_tokens\":10000}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "thinking"),
                     "{\"type\":\"enabled\",\"budget_tokens\":4096}"));
    ASSERT_EQ(json_integer_value(json_object_get(b.body, "max_tokens")), 10000);
    built_free(&b);

    /* thinking passes through and wins over reasoning_effort */
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reasoning_effort\":"
              "\"low\",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5000}}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "thinking"),
                     "{\"type\":\"enabled\",\"budget_tokens\":5000}"));
    ASSERT_EQ(json_integer_value(json_object_get(b.body, "max_tokens")), 9096);
    built_free(&b);

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reasoning_effort\":"
              "\"extreme\"}",
              &d, false, false);
    ASSERT_EQ(b.rc, LMX_EBADREQ);
    ASSERT_EQ(b.pe.status, 400);
    ASSERT_STR_EQ(b.pe.param, "reasoning_effort");
    built_free(&b);

    /* replayed thinking blocks go first in the assistant turn */
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
              "\"content\":null,\"thinking_blocks\":[{\"type\":\"thinking\",\"thinking\":\"hm\","
              "\"signature\":\"sig\"}],\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\","
              "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},{\"role\":\"tool\","
              "\"tool_call_id\":\"t1\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}],"
              "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "messages"),
                     "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
                     "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":"
                     "\"hm\",\"signature\":\"sig\"},{\"type\":\"tool_use\",\"id\":\"t1\","
                     "\"name\":\"f\",\"input\":{}}]},"
                     "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
                     "\"t1\",\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}]}]"));
    ASSERT(
        json_same(json_object_get(b.body, "tools"),
                  "[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}]"));
    built_free(&b);
}

static void test_build_json_mode(void)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    struct built b;

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{"
              "\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":{\"type\":"
              "\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}}}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "tools"),
                     "[{\"name\":\"json_tool_call\",\"input_schema\":{\"type\":\"object\","
                     "\"properties\":{\"a\":{\"type\":\"integer\"}}}}]"));
    ASSERT(json_same(json_object_get(b.body, "tool_choice"),
                     "{\"type\":\"tool\",\"name\":\"json_tool_call\"}"));
    built_free(&b);

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{"
              "\"type\":\"json_object\"},\"reasoning_effort\":\"low\"}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "tools"),
                     "[{\"name\":\"json_tool_call\",\"input_schema\":{\"type\":\"object\","
                     "\"additionalProperties\":true,\"properties\":{}}}]"));
    ASSERT(json_object_get(b.body, "tool_choice") == NULL); /* not forced with thinking */
    built_free(&b);

    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{"
              "\"type\":\"text\"}}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_object_get(b.body, "tools") == NULL);
    built_free(&b);
}

static void test_build_tool_choice(void)
{
    static const struct {
        const char *params, *want;
    } cases[] = {
        {"\"tool_choice\":\"auto\"", "{\"type\":\"auto\"}"},
        {"\"tool_choice\":\"none\",\"parallel_tool_calls\":false", "{\"type\":\"none\"}"},
        {"\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}",
         "{\"type\":\"tool\",\"name\":\"f\"}"},
        {"\"parallel_tool_calls\":false", "{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"},
        {"\"tool_choice\":\"required\",\"parallel_tool_calls\":true",
         "{\"type\":\"any\",\"disable_parallel_tool_use\":false}"},
    };
    struct lmx_deployment d = test_dep("http://h", "k");

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        char req[512];
        struct built b;

        snprintf(req, sizeof(req),
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":"
                 "\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}"
                 "}],%s}",
                 cases[i].params);
        build_req(&b, req, &d, false, false);
        ASSERT_EQ(b.rc, 0);
        ASSERT_(json_same(json_object_get(b.body, "tool_choice"), cases[i].want), "case %zu", i);
        built_free(&b);
    }
}

static void test_build_params(void)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    struct built b;

    /* unsupported parameter: refused naming it, dropped with drop_params */
    build_req(&b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7}", &d, false,
              false);
    ASSERT_EQ(b.rc, LMX_EBADPARAM);
    ASSERT_EQ(b.pe.status, 400);
    ASSERT_STR_EQ(b.pe.type, "invalid_request_error");
    ASSERT_STR_EQ(b.pe.param, "seed");
    ASSERT(strstr(b.pe.message, "anthropic does not support parameter 'seed'") != NULL);
    built_free(&b);
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"seed\":7,\"n\":2,"
              "\"frequency_penalty\":0.1,\"stop\":[\"  \",\"x\"]}",
              &d, false, true);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(b.body, "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\","
                             "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                             "\"max_tokens\":4096,\"stop_sequences\":[\"x\"]}"));
    built_free(&b);
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":1,"
              "\"logprobs\":false}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    built_free(&b);

    /* web_search_options: Anthropic's hosted web search tool */
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"web_search_options\":{"
              "\"search_context_size\":\"medium\",\"user_location\":{\"type\":\"approximate\","
              "\"approximate\":{\"city\":\"Paris\",\"country\":\"FR\",\"x\":1}}}}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "tools"),
                     "[{\"type\":\"web_search_20250305\",\"name\":\"web_search\","
                     "\"user_location\":{\"type\":\"approximate\",\"city\":\"Paris\","
                     "\"country\":\"FR\"},\"max_uses\":5}]"));
    built_free(&b);

    /* user ids that look like an e-mail address or a phone number are left out */
    build_req(&b, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":\"a@b.io\"}", &d,
              false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_object_get(b.body, "metadata") == NULL);
    built_free(&b);
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":"
              "\"+1 (555) 123-4567\"}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_object_get(b.body, "metadata") == NULL);
    built_free(&b);

    /* a PDF data URL is a document; file parts too */
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
              "\"image_url\":\"data:application/pdf;base64,JVBE\"},{\"type\":\"file\",\"file\":{"
              "\"file_data\":\"data:image/jpeg;base64,/9j/\"}}]}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, 0);
    ASSERT(json_same(json_object_get(b.body, "messages"),
                     "[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":"
                     "\"base64\",\"media_type\":\"application/pdf\",\"data\":\"JVBE\"}},"
                     "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":"
                     "\"image/jpeg\",\"data\":\"/9j/\"}}]}]"));
    built_free(&b);

    /* what cannot be expressed is a 400 naming the problem */
    build_req(&b,
              "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\",\"function\":"
              "{\"name\":\"f\",\"arguments\":\"{bad\"}}]}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, LMX_EBADREQ);
    ASSERT(strstr(b.pe.message, "not valid JSON") != NULL);
    built_free(&b);
    build_req(&b,
              "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
              "\"image_url\":{\"url\":\"ftp://x/y.png\"}}]}]}",
              &d, false, false);
    ASSERT_EQ(b.rc, LMX_EBADREQ);
    built_free(&b);
    build_req(&b, "{\"messages\":[]}", &d, false, false);
    ASSERT_EQ(b.rc, LMX_EBADREQ);
    ASSERT_STR_EQ(b.pe.param, "messages");
    built_free(&b);
    build_req(&b, "{\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}", &d, false, false);
    ASSERT_EQ(b.rc, LMX_EBADREQ);
    built_free(&b);
}

static void test_build_not_chat(void)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    json_t *req = json_pack("{s:s}", "input", "x");
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_upreq up;
    struct lmx_pcall pc;

    pc_init(&pc, &d, req, false);
    pc.ep = LMX_EP_EMBEDDINGS;
    lmx_upreq_init(&up);
    ASSERT(ops->build(&pc, &up, &pe) < 0);
    ASSERT_EQ(pe.status, 400);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(req);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static int parse_text(const char *req_text, const char *body, json_t **out, struct lmx_perr *pe)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    json_t *req = json_loads(req_text, 0, NULL);
    struct lmx_pcall pc;
    int rc;

    memset(pe, 0, sizeof(*pe));
    pc_init(&pc, &d, req, false);
    rc = ops->parse(&pc, body, strlen(body), out, pe);
    if (rc == 0) {
        if (!json_is_integer(json_object_get(*out, "created")))
            rc = -12345;
        json_object_del(*out, "created");
    }
    ops->release(&pc);
    json_decref(req);
    return rc;
}

static void test_parse_text(void)
{
    struct lmx_perr pe;
    json_t *out = NULL;

    ASSERT_EQ(parse_text("{}",
                         "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                         "\"claude-x-2025\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"},"
                         "{\"type\":\"text\",\"text\":\" there\"}],\"stop_reason\":\"max_tokens\","
                         "\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":3,"
                         "\"cache_read_input_tokens\":5,\"output_tokens\":7}}",
                         &out, &pe),
              0);
    ASSERT(json_same(out, "{\"id\":\"msg_1\",\"object\":\"chat.completion\",\"model\":"
                          "\"claude-x-2025\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                          "\"assistant\",\"content\":\"Hello there\"},\"finish_reason\":"
                          "\"length\"}],\"usage\":{\"prompt_tokens\":18,\"completion_tokens\":7,"
                          "\"total_tokens\":25,\"prompt_tokens_details\":{\"cached_tokens\":5},"
                          "\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":5}}"));
    json_decref(out);
}

static void test_parse_tools_thinking(void)
{
    struct lmx_perr pe;
    json_t *out = NULL;

    ASSERT_EQ(parse_text("{}",
                         "{\"id\":\"msg_2\",\"model\":\"m\",\"content\":[{\"type\":\"thinking\","
                         "\"thinking\":\"Let me\",\"signature\":\"S1\"},{\"type\":"
                         "\"redacted_thinking\",\"data\":\"xx\"},{\"type\":\"text\",\"text\":"
                         "\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_9\",\"name\":"
                         "\"get_weather\",\"input\":{\"city\":\"Paris\",\"n\":[1,2]}},{\"type\":"
                         "\"tool_use\",\"id\":\"toolu_10\",\"name\":\"now\",\"input\":{}}],"
                         "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":5,"
                         "\"output_tokens\":9}}",
                         &out, &pe),
              0);
    ASSERT(json_same(
        out, "{\"id\":\"msg_2\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{"
             "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Checking.\","
             "\"tool_calls\":[{\"id\":\"toolu_9\",\"type\":\"function\",\"function\":{\"name\":"
             "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"n\\\":[1,2]}\"}},"
             "{\"id\":\"toolu_10\",\"type\":\"function\",\"function\":{\"name\":\"now\","
             "\"arguments\":\"{}\"}}],"
             "\"reasoning_content\":\"Let me\",\"thinking_blocks\":[{\"type\":\"thinking\","
             "\"thinking\":\"Let me\",\"signature\":\"S1\"},{\"type\":\"redacted_thinking\","
             "\"data\":\"xx\"}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":"
             "5,\"completion_tokens\":9,\"total_tokens\":14,\"prompt_tokens_details\":{"
             "\"cached_tokens\":0},\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":"
             "0}}"));
    json_decref(out);

    /* a tool call only: content null; refusal -> content_filter */
    ASSERT_EQ(
        parse_text("{}",
                   "{\"id\":\"m3\",\"model\":\"m\",\"content\":[],\"stop_reason\":\"refusal\","
                   "\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}",
                   &out, &pe),
        0);
    ASSERT(json_is_null(json_object_get(
        json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message"),
        "content")));
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "content_filter");
    json_decref(out);
}

static void test_parse_json_mode(void)
{
    struct lmx_perr pe;
    json_t *out = NULL;

    ASSERT_EQ(parse_text("{\"response_format\":{\"type\":\"json_object\"}}",
                         "{\"id\":\"m4\",\"model\":\"m\",\"content\":[{\"type\":\"tool_use\","
                         "\"id\":\"t\",\"name\":\"json_tool_call\",\"input\":{\"values\":{\"a\":1}}"
                         "}],\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":1,"
                         "\"output_tokens\":2}}",
                         &out, &pe),
              0);
    ASSERT(json_same(json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message"),
                     "{\"role\":\"assistant\",\"content\":\"{\\\"a\\\":1}\"}"));
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                  "stop");
    json_decref(out);
}

static void test_parse_errors(void)
{
    struct lmx_perr pe;
    json_t *out = NULL;

    ASSERT(parse_text("{}", "not json", &out, &pe) < 0);
    ASSERT(out == NULL);
    ASSERT(pe.message[0] != '\0');
    ASSERT(parse_text("{}",
                      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                      "\"message\":\"Overloaded\"}}",
                      &out, &pe) < 0);
    ASSERT_EQ(pe.status, 529);
    ASSERT_STR_EQ(pe.message, "Overloaded");
}

static void test_map_error(void)
{
    static const struct {
        long status;
        const char *body;
        int want_status;
        const char *type, *msg;
    } cases[] = {
        {529,
         "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
         "\"Overloaded\"},\"request_id\":\"req_1\"}",
         529, "overloaded_error", "Overloaded"},
        {401,
         "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
         "\"invalid x-api-key\"}}",
         401, "auth_error", "invalid x-api-key"},
        {500,
         "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal "
         "server error\"}}",
         500, "internal_server_error", "Internal server error"},
        {400,
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
         "\"prompt is too long: 250000 tokens > 200000 maximum\"}}",
         400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum"},
        {429,
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow "
         "down\"}}",
         429, "rate_limit_error", "slow down"},
        {502, "<html>bad gateway</html>", 502, "internal_server_error",
         "anthropic returned HTTP 502: <html>bad gateway</html>"},
    };
    struct lmx_deployment d = test_dep("http://h", "k");
    struct lmx_pcall pc;

    pc_init(&pc, &d, NULL, false);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        struct lmx_perr pe = {0, "", "", ""};

        ops->map_error(&pc, cases[i].status, cases[i].body, strlen(cases[i].body), &pe);
        ASSERT_EQ(pe.status, cases[i].want_status);
        ASSERT_STR_EQ(pe.type, cases[i].type);
        ASSERT_STR_EQ(pe.message, cases[i].msg);
    }
    ops->release(&pc);
}

/* ------------------------------------------------------------------------ */
/* Streams */

#define USAGE_REQ "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}"

static const char TEXT_STREAM[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
    "\"role\":\"assistant\",\"model\":\"claude-x-1\",\"content\":[],\"stop_reason\":null,"
    "\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":4,"
    "\"cache_creation_input_tokens\":2,\"output_tokens\":1}}   }\n"
    "\n"
    "event: content_block_start\r\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\r\n"
    "\r\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n"
    "\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Hello\"}}          \n"
    "\n"
    ": a comment line\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\" w\\u00f6rld\"}}\n"
    "\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0 }\n"
    "\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
    "\"stop_sequence\":null},\"usage\":{\"output_tokens\":7}}\n"
    "\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n"
    "\n";

static const char *TEXT_CHUNKS =
    "[{\"id\":\"msg_1\",\"object\":\"chat.completion.chunk\",\"model\":\"claude-x-1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":"
    "null}]},"
    "{\"id\":\"msg_1\",\"object\":\"chat.completion.chunk\",\"model\":\"claude-x-1\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"content\":\" w\\u00f6rld\"},\"finish_reason\":null}]},"
    "{\"id\":\"msg_1\",\"object\":\"chat.completion.chunk\",\"model\":\"claude-x-1\",\"choices\":"
    "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]},"
    "{\"id\":\"msg_1\",\"object\":\"chat.completion.chunk\",\"model\":\"claude-x-1\",\"choices\":"
    "[],\"usage\":{\"prompt_tokens\":16,\"completion_tokens\":7,\"total_tokens\":23,"
    "\"prompt_tokens_details\":{\"cached_tokens\":4},\"cache_creation_input_tokens\":2,"
    "\"cache_read_input_tokens\":4}}]";

static void test_stream_text_every_split(void)
{
    size_t n = sizeof(TEXT_STREAM) - 1;
    struct lmx_perr pe;
    json_t *chunks, *want = json_loads(TEXT_CHUNKS, 0, NULL);

    ASSERT(want != NULL);
    ASSERT_EQ(run_stream(USAGE_REQ, TEXT_STREAM, n, 0, 1, &chunks, &pe, -1), 0);
    ASSERT(json_same(chunks, TEXT_CHUNKS));
    json_decref(chunks);
    for (size_t split = 0; split <= n; split++) {
        int rc = run_stream(USAGE_REQ, TEXT_STREAM, n, split, 0, &chunks, &pe, -1);
        bool same = json_equal(chunks, want);

        json_decref(chunks);
        ASSERT_(rc == 0 && same, "split at %zu: rc %d, same %d", split, rc, same);
    }
    json_decref(want);

    /* nothing after message_stop reaches the client */
    {
        static const char extra[] =
            "event: content_block_delta\n"
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
            "\"text_delta\",\"text\":\"late\"}}\n\n";
        char both[sizeof(TEXT_STREAM) + sizeof(extra)];

        memcpy(both, TEXT_STREAM, n);
        memcpy(both + n, extra, sizeof(extra));
        ASSERT_EQ(run_stream(USAGE_REQ, both, n + sizeof(extra) - 1, 0, 5, &chunks, &pe, -1), 0);
        ASSERT(json_same(chunks, TEXT_CHUNKS));
        json_decref(chunks);
    }

    /* without include_usage there is no usage chunk */
    ASSERT_EQ(run_stream("{\"stream\":true}", TEXT_STREAM, n, 0, 7, &chunks, &pe, -1), 0);
    ASSERT_EQ(json_array_size(chunks), 3);
    json_decref(chunks);
}

static const char TOOL_STREAM[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_t\",\"model\":\"c\",\"usage\":"
    "{\"input_tokens\":50,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
    "\"tool_use\",\"id\":\"toolu_A\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Par\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
    "\"input_json_delta\",\"partial_json\":\"is\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
    "\"tool_use\",\"id\":\"toolu_B\",\"name\":\"now\",\"input\":{}}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":"
    "{\"output_tokens\":30}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static void test_stream_tools(void)
{
    size_t n = sizeof(TOOL_STREAM) - 1;
    struct lmx_perr pe;
    json_t *chunks, *a, *first;
    bool ok;

    ASSERT_EQ(run_stream(USAGE_REQ, TOOL_STREAM, n, 0, 3, &chunks, &pe, -1), 0);
    /* the first chunk of a tool call names it; the fragments follow */
    first = json_array_get(chunks, 0);
    ASSERT(json_same(json_object_get(json_array_get(json_object_get(first, "choices"), 0), "delta"),
                     "{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"toolu_A\","
                     "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                     "\"arguments\":\"\"}}]}"));
    ASSERT(json_same(
        json_object_get(json_array_get(json_object_get(json_array_get(chunks, 1), "choices"), 0),
                        "delta"),
        "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
        "\"{\\\"city\\\": \\\"Par\"}}]}"));
    a = assemble(chunks, &ok);
    ASSERT(ok);
    ASSERT(json_same(a, "{\"content\":\"\",\"reasoning\":\"\",\"signature\":\"\",\"tool_calls\":["
                        "{\"id\":\"toolu_A\",\"name\":\"get_weather\",\"arguments\":"
                        "\"{\\\"city\\\": \\\"Paris\\\"}\"},{\"id\":\"toolu_B\",\"name\":\"now\","
                        "\"arguments\":\"{}\"}],\"finish_reason\":\"tool_calls\",\"usage\":{"
                        "\"prompt_tokens\":50,\"completion_tokens\":30,\"total_tokens\":80,"
                        "\"prompt_tokens_details\":{\"cached_tokens\":0},"
                        "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}"));
    json_decref(a);
    json_decref(chunks);
}

static const char THINK_STREAM[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_k\",\"model\":\"c\",\"usage\":"
    "{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
    "\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
    "\"thinking\":\"2+2\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\","
    "\"thinking\":\" is 4\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\","
    "\"signature\":\"SIG==\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"4\"}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":"
    "{\"output_tokens\":12}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";

static void test_stream_thinking(void)
{
    struct lmx_perr pe;
    json_t *chunks, *a;
    bool ok;

    ASSERT_EQ(
        run_stream(USAGE_REQ, THINK_STREAM, sizeof(THINK_STREAM) - 1, 0, 64, &chunks, &pe, -1), 0);
    ASSERT(json_same(
        json_object_get(json_array_get(json_object_get(json_array_get(chunks, 0), "choices"), 0),
                        "delta"),
        "{\"role\":\"assistant\",\"reasoning_content\":\"2+2\",\"thinking_blocks\":"
        "[{\"type\":\"thinking\",\"thinking\":\"2+2\"}]}"));
    a = assemble(chunks, &ok);
    ASSERT(ok);
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "reasoning")), "2+2 is 4");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "signature")), "SIG==");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "content")), "4");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "finish_reason")), "stop");
    json_decref(a);
    json_decref(chunks);
}

static void test_stream_json_mode(void)
{
    static const char s[] =
        "event: message_start\n"
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{"
        "\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
        "\"tool_use\",\"id\":\"t\",\"name\":\"json_tool_call\",\"input\":{}}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"input_json_delta\",\"partial_json\":\" 1}\"}}\n\n"
        "event: content_block_stop\n"
        "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: message_delta\n"
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{"
        "\"output_tokens\":3}}\n\n"
        "event: message_stop\n"
        "data: {\"type\":\"message_stop\"}\n\n";
    struct lmx_perr pe;
    json_t *chunks, *a;
    bool ok;

    ASSERT_EQ(run_stream("{\"response_format\":{\"type\":\"json_object\"}}", s, sizeof(s) - 1, 0, 5,
                         &chunks, &pe, -1),
              0);
    a = assemble(chunks, &ok);
    ASSERT(ok);
    ASSERT(json_same(a, "{\"content\":\"{\\\"a\\\": 1}\",\"reasoning\":\"\",\"signature\":\"\","
                        "\"tool_calls\":[],\"finish_reason\":\"stop\",\"usage\":null}"));
    json_decref(a);
    json_decref(chunks);
}

static void test_stream_errors(void)
{
    static const char mid[] =
        "event: message_start\n"
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{"
        "\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
        "\"text\":\"\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"Hi\"}}\n\n"
        "event: error\n"
        "data: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":\"overloaded_error\","
        "\"message\":\"Overloaded\"}    }\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"never\"}}\n\n";
    static const char cut[] =
        "event: message_start\n"
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"Hi\"}}\n\n";
    static const char garbage[] = "event: content_block_delta\ndata: {\"type\":\"content_blo\n\n";
    struct lmx_perr pe;
    json_t *chunks;
    int rc;

    for (size_t step = 1; step <= sizeof(mid); step++) {
        rc = run_stream(USAGE_REQ, mid, sizeof(mid) - 1, 0, step, &chunks, &pe, -1);
        ASSERT_(rc < 0 && pe.status == 529 && strcmp(pe.type, "overloaded_error") == 0 &&
                    strcmp(pe.message, "Overloaded") == 0 && json_array_size(chunks) == 1,
                "step %zu: rc %d status %d type %s msg %s chunks %zu", step, rc, pe.status, pe.type,
                pe.message, json_array_size(chunks));
        json_decref(chunks);
    }
    /* a clean close before message_stop is not a whole answer */
    rc = run_stream(USAGE_REQ, cut, sizeof(cut) - 1, 0, 1, &chunks, &pe, -1);
    ASSERT(rc < 0);
    ASSERT(strstr(pe.message, "message_stop") != NULL);
    json_decref(chunks);
    rc = run_stream(USAGE_REQ, garbage, sizeof(garbage) - 1, 0, 1, &chunks, &pe, -1);
    ASSERT(rc < 0);
    ASSERT(strstr(pe.message, "malformed") != NULL);
    json_decref(chunks);
    /* the callback's failure comes back unchanged, with no adapter error */
    rc = run_stream(USAGE_REQ, TEXT_STREAM, sizeof(TEXT_STREAM) - 1, 0, 1, &chunks, &pe, 1);
    ASSERT_EQ(rc, LMX_ECLIENT);
    ASSERT_STR_EQ(pe.message, "");
    json_decref(chunks);
}

/* ------------------------------------------------------------------------ */
/* Conformance: recorded traffic */

static const char *fixtures_dir(char *buf, size_t n)
{
    const char *f = getenv("LMX_FIXTURES"), *src = getenv("LMX_SRC");

    if (f != NULL && *f != '\0')
        snprintf(buf, n, "%s/anthropic", f);
    else
        snprintf(buf, n, "%s/../shared/fixtures/anthropic", src != NULL ? src : ".");
    return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The recording's own numbers: latest usage fields, text present, stop reason, error type. */
struct recorded {
    long long in, out, cr, cw;
    bool text, thinking, tools;
    char stop[32];
    char error[64];
};

static void recorded_event(struct recorded *r, const json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const json_t *u = NULL, *d = json_object_get(ev, "delta");

    if (type == NULL)
        return;
    if (strcmp(type, "message_start") == 0)
        u = json_object_get(json_object_get(ev, "message"), "usage");
    if (strcmp(type, "message_delta") == 0) {
        u = json_object_get(ev, "usage");
        if (json_is_string(json_object_get(d, "stop_reason")))
            snprintf(r->stop, sizeof(r->stop), "%s",
                     json_string_value(json_object_get(d, "stop_reason")));
    }
    if (strcmp(type, "error") == 0)
        snprintf(r->error, sizeof(r->error), "%s",
                 json_string_value(json_object_get(json_object_get(ev, "error"), "type")));
    if (strcmp(type, "content_block_delta") == 0) {
        const char *t = json_string_value(json_object_get(d, "text"));

        if (t != NULL && *t != '\0')
            r->text = true;
        if (json_object_get(d, "thinking") != NULL)
            r->thinking = true;
    }
    if (strcmp(type, "content_block_start") == 0 &&
        strcmp(json_string_value(json_object_get(json_object_get(ev, "content_block"), "type")),
               "tool_use") == 0)
        r->tools = true;
    if (u != NULL) {
        if (json_is_integer(json_object_get(u, "input_tokens")))
            r->in = json_integer_value(json_object_get(u, "input_tokens"));
        if (json_is_integer(json_object_get(u, "output_tokens")))
            r->out = json_integer_value(json_object_get(u, "output_tokens"));
        if (json_is_integer(json_object_get(u, "cache_read_input_tokens")))
            r->cr = json_integer_value(json_object_get(u, "cache_read_input_tokens"));
        if (json_is_integer(json_object_get(u, "cache_creation_input_tokens")))
            r->cw = json_integer_value(json_object_get(u, "cache_creation_input_tokens"));
    }
}

/* The data lines of an SSE text, read the simple way (one data line per event). */
static void recorded_sse(struct recorded *r, const char *text)
{
    const char *p = text;

    while ((p = strstr(p, "data:")) != NULL) {
        const char *e = strchr(p, '\n');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        json_t *ev = json_loadb(p + 5, n - 5, 0, NULL);

        recorded_event(r, ev);
        json_decref(ev);
        p += n;
    }
}

static const char *expected_finish(const char *stop)
{
    if (strcmp(stop, "max_tokens") == 0)
        return "length";
    if (strcmp(stop, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(stop, "refusal") == 0)
        return "content_filter";
    return "stop";
}

static int conform_stream(const char *name, const char *text, size_t n)
{
    struct recorded r;
    struct lmx_perr pe;
    json_t *chunks, *a, *u, *tc;
    size_t k;
    bool ok;
    int rc, fails = lmx_test_failures;

    memset(&r, 0, sizeof(r));
    recorded_sse(&r, text);
    rc = run_stream(USAGE_REQ, text, n, 0, n > 0 ? n : 1, &chunks, &pe, -1);
    if (r.error[0] != '\0') {
        if (!(rc < 0 && pe.status >= 400 && pe.message[0] != '\0'))
            fprintf(stderr, "%s: expected an error, got rc %d\n", name, rc);
        else if (strcmp(r.error, "overloaded_error") == 0 && pe.status != 529)
            fprintf(stderr, "%s: overloaded must stay 529, got %d\n", name, pe.status);
        else
            rc = 0;
        json_decref(chunks);
        return rc == 0 ? 0 : -1;
    }
    if (rc != 0) {
        fprintf(stderr, "%s: rc %d: %s\n", name, rc, pe.message);
        json_decref(chunks);
        return -1;
    }
    a = assemble(chunks, &ok);
    u = json_object_get(a, "usage");
    if (!ok)
        fprintf(stderr, "%s: chunks are not well formed\n", name);
    if (r.text && json_string_length(json_object_get(a, "content")) == 0)
        ok = false, fprintf(stderr, "%s: no content assembled\n", name);
    if (r.thinking && json_string_length(json_object_get(a, "reasoning")) == 0)
        ok = false, fprintf(stderr, "%s: no reasoning assembled\n", name);
    if (r.tools && json_array_size(json_object_get(a, "tool_calls")) == 0)
        ok = false, fprintf(stderr, "%s: no tool call assembled\n", name);
    json_array_foreach(json_object_get(a, "tool_calls"), k, tc) {
        const char *args = json_string_value(json_object_get(tc, "arguments"));
        json_t *parsed = json_loads(args, 0, NULL);

        if (!json_is_object(parsed))
            ok = false,
            fprintf(stderr, "%s: tool call %zu arguments '%s' are not JSON\n", name, k, args);
        json_decref(parsed);
    }
    if (json_integer_value(json_object_get(u, "prompt_tokens")) != r.in + r.cr + r.cw ||
        json_integer_value(json_object_get(u, "completion_tokens")) != r.out ||
        json_integer_value(json_object_get(u, "total_tokens")) != r.in + r.cr + r.cw + r.out ||
        json_integer_value(
            json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens")) != r.cr)
        ok = false, fprintf(stderr, "%s: usage differs from the recording\n", name);
    if (strcmp(json_string_value(json_object_get(a, "finish_reason")), expected_finish(r.stop)) !=
        0)
        ok = false, fprintf(stderr, "%s: finish_reason %s for stop_reason %s\n", name,
                            json_string_value(json_object_get(a, "finish_reason")), r.stop);
    json_decref(a);
    json_decref(chunks);
    /* every split gives the same chunks */
    if (ok) {
        json_t *whole;

        run_stream(USAGE_REQ, text, n, 0, n > 0 ? n : 1, &whole, &pe, -1);
        for (size_t split = 0; split <= n && ok; split++) {
            rc = run_stream(USAGE_REQ, text, n, split, 0, &chunks, &pe, -1);
            if (rc != 0 || !json_equal(chunks, whole))
                ok = false, fprintf(stderr, "%s: split at %zu differs\n", name, split);
            json_decref(chunks);
        }
        json_decref(whole);
    }
    return ok && fails == lmx_test_failures ? 0 : -1;
}

static int conform_response(const char *name, const char *text, size_t n)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    json_t *rec = json_loadb(text, n, 0, NULL), *out = NULL, *req = json_object();
    const json_t *u = json_object_get(rec, "usage"), *b, *msg, *ou;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_pcall pc;
    bool has_text = false, has_think = false, ok = true;
    long long in, o, cr, cw;
    size_t i;

    pc_init(&pc, &d, req, false);
    if (ops->parse(&pc, text, n, &out, &pe) != 0) {
        fprintf(stderr, "%s: parse failed: %s\n", name, pe.message);
        ok = false;
        goto done;
    }
    json_array_foreach(json_object_get(rec, "content"), i, b) {
        if (strcmp(json_string_value(json_object_get(b, "type")), "text") == 0)
            has_text = true;
        if (strcmp(json_string_value(json_object_get(b, "type")), "thinking") == 0)
            has_think = true;
    }
    msg = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    ou = json_object_get(out, "usage");
    in = json_integer_value(json_object_get(u, "input_tokens"));
    o = json_integer_value(json_object_get(u, "output_tokens"));
    cr = json_integer_value(json_object_get(u, "cache_read_input_tokens"));
    cw = json_integer_value(json_object_get(u, "cache_creation_input_tokens"));
    if (has_text && json_string_length(json_object_get(msg, "content")) == 0)
        ok = false, fprintf(stderr, "%s: no content\n", name);
    if (has_think && json_string_length(json_object_get(msg, "reasoning_content")) == 0)
        ok = false, fprintf(stderr, "%s: no reasoning_content\n", name);
    if (strcmp(json_string_value(json_object_get(out, "id")),
               json_string_value(json_object_get(rec, "id"))) != 0 ||
        strcmp(json_string_value(json_object_get(out, "object")), "chat.completion") != 0)
        ok = false, fprintf(stderr, "%s: id/object\n", name);
    if (json_integer_value(json_object_get(ou, "prompt_tokens")) != in + cr + cw ||
        json_integer_value(json_object_get(ou, "completion_tokens")) != o ||
        json_integer_value(json_object_get(ou, "total_tokens")) != in + cr + cw + o)
        ok = false, fprintf(stderr, "%s: usage differs from the recording\n", name);
done:
    ops->release(&pc);
    json_decref(out);
    json_decref(rec);
    json_decref(req);
    return ok ? 0 : -1;
}

static int conform_error(const char *name, const char *text, size_t n)
{
    struct lmx_deployment d = test_dep("http://h", "k");
    const char *dash = strchr(name, '-');
    long status = dash != NULL ? strtol(dash + 1, NULL, 10) : 500;
    struct lmx_perr pe = {0, "", "", ""};
    json_t *rec = json_loadb(text, n, 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(rec, "error"), "message"));
    struct lmx_pcall pc;
    int rc = 0;

    pc_init(&pc, &d, NULL, false);
    ops->map_error(&pc, status, text, n, &pe);
    if (pe.status != status || msg == NULL || strcmp(pe.message, msg) != 0) {
        fprintf(stderr, "%s: status %d (want %ld), message '%s'\n", name, pe.status, status,
                pe.message);
        rc = -1;
    }
    ops->release(&pc);
    json_decref(rec);
    return rc;
}

/* event: <type>\ndata: <line>\n\n for every line of a payloads file. */
static char *frame_payloads(const char *text, size_t *len)
{
    struct lmx_buf b;
    const char *p = text;

    lmx_buf_init(&b, 1 << 24);
    while (*p != '\0') {
        const char *e = strchr(p, '\n');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        json_t *ev = json_loadb(p, n, 0, NULL);
        const char *type = json_string_value(json_object_get(ev, "type"));

        if (n > 0) {
            lmx_buf_printf(&b, "event: %s\ndata: ", type != NULL ? type : "");
            lmx_buf_append(&b, p, n);
            lmx_buf_puts(&b, "\n\n");
        }
        json_decref(ev);
        p += n + (e != NULL);
    }
    *len = b.len;
    return lmx_buf_steal(&b);
}

static void test_fixtures(void)
{
    char dir[1024], path[2048];
    struct dirent *de;
    DIR *dh;
    int seen = 0, bad = 0;

    fixtures_dir(dir, sizeof(dir));
    dh = opendir(dir);
    if (dh == NULL) {
        fprintf(stderr, "skip: no fixtures at %s (set LMX_FIXTURES)\n", dir);
        return;
    }
    while ((de = readdir(dh)) != NULL) {
        const char *name = de->d_name;
        char *text;
        size_t n = 0;
        int rc = 0;

        if (name[0] == '.' || strstr(name, ".request") != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        text = read_all(path, &n);
        if (text == NULL)
            continue;
        if (ends_with(name, ".sse")) {
            rc = conform_stream(name, text, n);
        } else if (ends_with(name, ".payloads.jsonl")) {
            size_t fn;
            char *framed = frame_payloads(text, &fn);

            rc = conform_stream(name, framed, fn);
            lmx_free(framed);
        } else if (strncmp(name, "error-", 6) == 0 && ends_with(name, ".json")) {
            rc = conform_error(name, text, n);
        } else if (ends_with(name, ".response.json")) {
            rc = conform_response(name, text, n);
        } else {
            free(text);
            continue;
        }
        fprintf(stderr, "  fixture %-45s %s\n", name, rc == 0 ? "ok" : "FAIL");
        seen++;
        bad += rc != 0;
        free(text);
    }
    closedir(dh);
    ASSERT(seen > 0);
    ASSERT_EQ(bad, 0);
}

/* ------------------------------------------------------------------------ */
/* The fuzz seed corpus, replayed */

static void test_fuzz_corpus(void)
{
    const char *src = getenv("LMX_SRC");
    char dir[1024], path[2048];
    struct dirent *de;
    DIR *dh;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpora/anthropic", src != NULL ? src : ".");
    dh = opendir(dir);
    ASSERT_(dh != NULL, "no corpus at %s (set LMX_SRC)", dir);
    while ((de = readdir(dh)) != NULL) {
        char *data, *exact;
        size_t len = 0;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        data = read_all(path, &len);
        if (data == NULL)
            continue;
        /* an exact-size copy, as libFuzzer passes it: no NUL after the bytes */
        exact = malloc(len > 0 ? len : 1);
        ASSERT(exact != NULL);
        memcpy(exact, data, len);
        LLVMFuzzerTestOneInput((const uint8_t *)exact, len);
        /* and every mode for the same bytes */
        for (unsigned m = 0; m < 32 && len > 0; m++) {
            exact[0] = (char)m;
            LLVMFuzzerTestOneInput((const uint8_t *)exact, len);
        }
        free(exact);
        free(data);
        n++;
    }
    closedir(dh);
    ASSERT(n > 0);
}

int main(void)
{
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("ANTHROPIC_API_BASE");
    unsetenv("ANTHROPIC_BASE_URL");
    RUN(test_build_canonical);
    RUN(test_build_defaults);
    RUN(test_build_system_blocks);
    RUN(test_build_thinking);
    RUN(test_build_json_mode);
    RUN(test_build_tool_choice);
    RUN(test_build_params);
    RUN(test_build_not_chat);
    RUN(test_parse_text);
    RUN(test_parse_tools_thinking);
    RUN(test_parse_json_mode);
    RUN(test_parse_errors);
    RUN(test_map_error);
    RUN(test_stream_text_every_split);
    RUN(test_stream_tools);
    RUN(test_stream_thinking);
    RUN(test_stream_json_mode);
    RUN(test_stream_errors);
    RUN(test_fixtures);
    RUN(test_fuzz_corpus);
    TEST_MAIN_END();
}
