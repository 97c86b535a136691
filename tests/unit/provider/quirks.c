/*
 * tests/unit/provider/quirks.c - the quirk fixes on recorded and documented
 * provider traffic: Moonshot's usage inside choices[0], Qwen's empty
 * tool-call ids, delta.reasoning, x_groq.usage; events that need no fix stay
 * byte for byte; SSE keep-alive comments; the credential header styles.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "provider/quirks.h"
#include "test.h"
#include "upstream/sse.h"

static char fixtures[1024];

static char *read_fixture(const char *rel, size_t *len)
{
    char path[1400];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Runs the fast-path fix on `text`; returns its result and leaves the text in *out. */
static int fix(unsigned flags, const char *text, struct lmx_buf *out)
{
    return lmx_quirk_fix_event(flags, text, strlen(text), out);
}

/* ------------------------------------------------------------------------ */
/* Moonshot */

struct events {
    char *data[8];
    size_t n;
};

static int collect(const char *ev, size_t evlen, const char *data, size_t len, void *ud)
{
    struct events *e = ud;

    LMX_UNUSED(ev);
    LMX_UNUSED(evlen);
    if (e->n < LMX_ARRAY_SIZE(e->data))
        e->data[e->n++] = strndup(data, len);
    return 0;
}

static void test_moonshot_usage_lifted(void)
{
    unsigned q = lmx_preset_flags("moonshot");
    struct lmx_sse_reader r;
    struct events ev = {{0}, 0};
    struct lmx_buf out;
    struct lmx_jspan s;
    size_t len;
    char *sse = read_fixture("openai-compatible/moonshot/chat-stream-tail.sse", &len);
    json_t *root, *u;

    if (sse == NULL) {
        fprintf(stderr, "skip: the shared fixtures are not here\n");
        return;
    }
    lmx_sse_reader_init(&r, 1u << 20);
    ASSERT_EQ(lmx_sse_reader_feed(&r, sse, len, collect, &ev), 0);
    ASSERT_EQ(lmx_sse_reader_finish(&r, collect, &ev), 0);
    lmx_sse_reader_release(&r);
    free(sse);
    ASSERT_EQ(ev.n, 3);
    lmx_buf_init(&out, 1u << 20);

    /* a content chunk: untouched, not even parsed */
    ASSERT_EQ(fix(q, ev.data[0], &out), 0);
    ASSERT_EQ(out.len, 0);
    /* before the fix the proxy finds no top-level usage in the finish chunk */
    ASSERT(lmx_jscan_find(ev.data[1], strlen(ev.data[1]), "usage", &s) == LMX_DECLINED);
    ASSERT_EQ(fix(q, ev.data[1], &out), 1);
    ASSERT_EQ(lmx_jscan_find(out.data, out.len, "usage", &s), 0);
    ASSERT_EQ(lmx_jscan_check(out.data, out.len), 0);
    root = json_loadb(out.data, out.len, 0, NULL);
    ASSERT(root != NULL);
    u = json_object_get(root, "usage");
    ASSERT_EQ(json_integer_value(json_object_get(u, "prompt_tokens")), 39);
    ASSERT_EQ(json_integer_value(json_object_get(u, "completion_tokens")), 211);
    ASSERT_EQ(json_integer_value(json_object_get(u, "total_tokens")), 250);
    ASSERT(json_object_get(json_array_get(json_object_get(root, "choices"), 0), "usage") == NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(root, "choices"), 0), "finish_reason")),
                  "stop");
    /* member order kept: id first, as Moonshot sent it */
    ASSERT(strncmp(out.data, "{\"id\":\"chatcmpl-67c96964971a7a505b6ff17a\"", 40) == 0);
    json_decref(root);
    /* [DONE] is not JSON: relayed as is */
    ASSERT_EQ(fix(q, ev.data[2], &out), 0);
    /* without the quirk flag nothing is touched */
    ASSERT_EQ(fix(0, ev.data[1], &out), 0);
    ASSERT_EQ(fix(lmx_preset_flags("openai"), ev.data[1], &out), 0);
    for (size_t i = 0; i < ev.n; i++)
        free(ev.data[i]);
    lmx_buf_release(&out);
}

static void test_usage_in_choice_keeps_top_level(void)
{
    const char *both = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
                       "\"usage\":{\"prompt_tokens\":1}}],\"usage\":{\"prompt_tokens\":9}}";
    struct lmx_buf out;
    json_t *root;

    lmx_buf_init(&out, 4096);
    ASSERT_EQ(fix(LMX_Q_USAGE_IN_CHOICE, both, &out), 1);
    root = json_loadb(out.data, out.len, 0, NULL);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(root, "usage"), "prompt_tokens")),
              9);
    ASSERT(json_object_get(json_array_get(json_object_get(root, "choices"), 0), "usage") == NULL);
    json_decref(root);
    /* "usage":null at the top level is replaced */
    ASSERT_EQ(fix(LMX_Q_USAGE_IN_CHOICE,
                  "{\"usage\":null,\"choices\":[{\"usage\":{\"total_tokens\":3}}]}", &out),
              1);
    ASSERT_STR_EQ(out.data, "{\"usage\":{\"total_tokens\":3},\"choices\":[{}]}");
    lmx_buf_release(&out);
}

/* ------------------------------------------------------------------------ */
/* Qwen */

static void test_qwen_empty_tool_ids(void)
{
    unsigned q = lmx_preset_flags("dashscope");
    const char *first = "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_"
                        "abc\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        "\"arguments\":\"\"}}]},\"index\":0}],\"id\":\"chatcmpl-1\"}";
    const char *later = "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"\","
                        "\"type\":\"function\",\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]"
                        "},\"index\":0}],\"id\":\"chatcmpl-1\"}";
    const char *spaced =
        "{\"choices\": [{\"delta\": {\"tool_calls\": [{\"index\": 0, \"id\": \"\", "
        "\"function\": {\"name\": \"\", \"arguments\": \"}\"}}]}}]}";
    struct lmx_buf out;

    lmx_buf_init(&out, 4096);
    ASSERT_EQ(fix(q, first, &out), 0); /* the first delta keeps its id */
    ASSERT_EQ(fix(q, later, &out), 1);
    ASSERT_STR_EQ(out.data, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                            "{\"arguments\":\"{\\\"city\\\":\"}}]},\"index\":0}],\"id\":"
                            "\"chatcmpl-1\"}");
    ASSERT_EQ(fix(q, spaced, &out), 1);
    ASSERT_STR_EQ(out.data, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                            "{\"arguments\":\"}\"}}]}}]}");
    lmx_buf_release(&out);
}

/* Every recorded Qwen and DeepSeek chunk needs no fix: the fast path must not touch one. */
static void check_payloads_untouched(const char *rel, unsigned q)
{
    struct lmx_buf out;
    size_t len, lines = 0;
    char *text = read_fixture(rel, &len), *line, *save = NULL;

    if (text == NULL) {
        fprintf(stderr, "skip %s: the shared fixtures are not here\n", rel);
        return;
    }
    lmx_buf_init(&out, 1u << 20);
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        lines++;
        ASSERT_(fix(q, line, &out) == 0, "%s line %zu was rewritten: %s", rel, lines, out.data);
    }
    ASSERT(lines > 3);
    lmx_buf_release(&out);
    free(text);
}

static void test_recorded_streams_untouched(void)
{
    check_payloads_untouched("openai-compatible/qwen/chat-reasoning-stream.payloads.jsonl",
                             lmx_preset_flags("dashscope"));
    check_payloads_untouched("openai-compatible/deepseek/chat-reasoning-stream.payloads.jsonl",
                             lmx_preset_flags("deepseek"));
    check_payloads_untouched("openai-compatible/deepseek/chat-tool-call-stream.payloads.jsonl",
                             lmx_preset_flags("deepseek") | LMX_Q_EMPTY_TOOL_ID);
}

/* ------------------------------------------------------------------------ */
/* Others */

static void test_delta_reasoning_renamed(void)
{
    unsigned q = lmx_preset_flags("openrouter");
    struct lmx_buf out;

    lmx_buf_init(&out, 4096);
    ASSERT_EQ(fix(q,
                  "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
                  "\"\",\"reasoning\":\"Let me think\"}}]}",
                  &out),
              1);
    ASSERT_STR_EQ(out.data, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                            "\"content\":\"\",\"reasoning_content\":\"Let me think\"}}]}");
    /* a non-stream answer: message.reasoning */
    ASSERT_EQ(
        fix(q, "{\"choices\":[{\"message\":{\"content\":\"4\",\"reasoning\":\"2+2\"}}]}", &out), 1);
    ASSERT_STR_EQ(
        out.data,
        "{\"choices\":[{\"message\":{\"content\":\"4\",\"reasoning_content\":\"2+2\"}}]}");
    /* reasoning:null or an object (OpenAI's effort setting echoed) is left alone */
    ASSERT_EQ(fix(q, "{\"choices\":[{\"delta\":{\"reasoning\":null}}]}", &out), 0);
    ASSERT_EQ(fix(q, "{\"reasoning\":{\"effort\":\"low\"},\"choices\":[]}", &out), 0);
    lmx_buf_release(&out);
}

static void test_xgroq_usage(void)
{
    unsigned q = lmx_preset_flags("groq");
    struct lmx_buf out;

    lmx_buf_init(&out, 4096);
    ASSERT_EQ(fix(q,
                  "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"x_groq\":{\"id\":"
                  "\"req_1\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}}",
                  &out),
              1);
    ASSERT_STR_EQ(out.data, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"x_groq\":{"
                            "\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":"
                            "7}},\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}");
    /* a top-level usage is already there: nothing to do */
    ASSERT_EQ(fix(q,
                  "{\"x_groq\":{\"usage\":{\"prompt_tokens\":5}},\"usage\":{\"prompt_tokens\":5}}",
                  &out),
              0);
    lmx_buf_release(&out);
}

static void test_not_json_and_chunk_api(void)
{
    struct lmx_buf out;
    json_t *chunk;

    lmx_buf_init(&out, 4096);
    /* broken JSON is the caller's to refuse: relayed unchanged here */
    ASSERT_EQ(fix(LMX_Q_FIXED, "{\"usage\":{\"x\":", &out), 0);
    ASSERT_EQ(lmx_quirk_fix_event(LMX_Q_FIXED, NULL, 0, &out), 0);
    /* the JSON-level API counts the edits */
    chunk = json_loads("{\"choices\":[{\"delta\":{\"reasoning\":\"r\",\"tool_calls\":[{\"id\":\"\","
                       "\"type\":\"function\",\"function\":{\"name\":\"\",\"arguments\":\"x\"}}]},"
                       "\"usage\":{\"total_tokens\":1}}]}",
                       0, NULL);
    ASSERT(chunk != NULL);
    ASSERT_EQ(lmx_quirk_fix_chunk(LMX_Q_FIXED, chunk), 5);
    ASSERT_EQ(lmx_quirk_fix_chunk(LMX_Q_FIXED, chunk), 0); /* idempotent */
    ASSERT_EQ(lmx_quirk_fix_chunk(LMX_Q_FIXED, NULL), 0);
    json_decref(chunk);
    lmx_buf_release(&out);
}

/* ": keep-alive" comments between events (DeepSeek under load) never reach the client. */
static void test_keepalive_comments(void)
{
    const char *stream = ": keep-alive\n\n: keep-alive\r\n\r\ndata: {\"choices\":[]}\n\n"
                         ": OPENROUTER PROCESSING\n\ndata: [DONE]\n\n";
    struct lmx_sse_reader r;
    struct events ev = {{0}, 0};

    lmx_sse_reader_init(&r, 4096);
    for (size_t i = 0; stream[i]; i++) /* one byte at a time */
        ASSERT_EQ(lmx_sse_reader_feed(&r, stream + i, 1, collect, &ev), 0);
    ASSERT_EQ(lmx_sse_reader_finish(&r, collect, &ev), 0);
    lmx_sse_reader_release(&r);
    ASSERT_EQ(ev.n, 2);
    ASSERT_STR_EQ(ev.data[0], "{\"choices\":[]}");
    ASSERT_STR_EQ(ev.data[1], "[DONE]");
    for (size_t i = 0; i < ev.n; i++)
        free(ev.data[i]);
    /* blank lines before a non-stream body pass the structural check */
    ASSERT_EQ(lmx_jscan_check("\n\n\n{\"id\":\"x\"}", 13), 0);
}

/* ------------------------------------------------------------------------ */
/* Credentials */

static void test_auth_lines(void)
{
    const char *lines[4];
    char store[256];

    ASSERT_EQ(lmx_quirk_auth_lines(0, "sk-1", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "Authorization: Bearer sk-1");
    ASSERT_EQ(
        lmx_quirk_auth_lines(lmx_preset_flags("maritalk"), "m-1", lines, 4, store, sizeof(store)),
        1);
    ASSERT_STR_EQ(lines[0], "Authorization: Key m-1");
    ASSERT_EQ(
        lmx_quirk_auth_lines(lmx_preset_flags("sarvam"), "sv", lines, 4, store, sizeof(store)), 2);
    ASSERT_STR_EQ(lines[0], "Authorization: Bearer sv");
    ASSERT_STR_EQ(lines[1], "api-subscription-key: sv");
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_AUTH_API_KEY, "az", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "api-key: az");
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_AUTH_X_API_KEY, "x", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "x-api-key: x");
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_AUTH_TOKEN, "t", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "Authorization: Token t");
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_AUTH_RAW, "r", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "Authorization: r");
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_AUTH_APIKEY_SCHEME, "b", lines, 4, store, sizeof(store)), 1);
    ASSERT_STR_EQ(lines[0], "Authorization: Api-Key b");
    ASSERT_EQ(lmx_quirk_auth_lines(0, "", lines, 4, store, sizeof(store)), 0);
    ASSERT_EQ(lmx_quirk_auth_lines(0, NULL, lines, 4, store, sizeof(store)), 0);
    ASSERT_EQ(lmx_quirk_auth_lines(0, "sk-long-key", lines, 4, store, 16), LMX_ETOOBIG);
    ASSERT_EQ(lmx_quirk_auth_lines(LMX_Q_SUBSCRIPTION_KEY, "k", lines, 1, store, sizeof(store)),
              LMX_ETOOBIG);
}

static void test_quirks_for(void)
{
    struct lmx_deployment d;

    memset(&d, 0, sizeof(d));
    d.provider = "deepseek";
    ASSERT_EQ(lmx_quirks_for(&d), lmx_preset_flags("deepseek"));
    d.provider = "openai"; /* its config bits (OPENAI_ORGANIZATION) are not quirks */
    ASSERT_EQ(lmx_quirks_for(&d), 0);
    d.api_base = "https://api.moonshot.cn/v1";
    ASSERT(lmx_quirks_for(&d) & LMX_Q_USAGE_IN_CHOICE);
    d.provider = "hosted_vllm"; /* a named provider is not second-guessed */
    ASSERT_EQ(lmx_quirks_for(&d), 0);
}

int main(void)
{
    const char *fx = getenv("LMX_FIXTURES");

    snprintf(fixtures, sizeof(fixtures), "%s", fx != NULL ? fx : "../shared/fixtures");
    RUN(test_moonshot_usage_lifted);
    RUN(test_usage_in_choice_keeps_top_level);
    RUN(test_qwen_empty_tool_ids);
    RUN(test_recorded_streams_untouched);
    RUN(test_delta_reasoning_renamed);
    RUN(test_xgroq_usage);
    RUN(test_not_json_and_chunk_api);
    RUN(test_keepalive_comments);
    RUN(test_auth_lines);
    RUN(test_quirks_for);
    TEST_MAIN_END();
}
