/*
 * tests/unit/provider/quirks_request.c - the request-side quirk fixes
 * (lmx_quirk_fix_request, lmx_quirk_fix_request_json): Mistral's rules on a
 * chat body (tool-call ids to 9 alphanumerics, stable and matching between a
 * call and its result; tool_choice "required"/object -> "any"; seed ->
 * random_seed; name, nulls and empty assistant turns dropped), bodies left
 * alone, and which presets carry the quirk.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "provider/quirks.h"
#include "test.h"

static bool id_ok(const char *id)
{
    size_t n = 0;

    if (id == NULL)
        return false;
    for (; id[n] != '\0'; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'z') ||
              (id[n] >= 'A' && id[n] <= 'Z')))
            return false;
    return n == 9;
}

static const char *const chat =
    "{\"model\":\"mistral-large-latest\",\"messages\":["
    "{\"role\":\"system\",\"content\":\"s\",\"name\":\"sys\"},"
    "{\"role\":\"user\",\"content\":\"weather?\",\"name\":\"bob\",\"tool_calls\":null},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_PTLP8xhu3uwZk4l3nlnrrJha\","
    "\"type\":\"function\",\"index\":0,\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}},"
    "{\"id\":\"abcDEF123\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_PTLP8xhu3uwZk4l3nlnrrJha\",\"name\":\"get_weather\","
    "\"content\":\"sunny\"},"
    "{\"role\":\"tool\",\"tool_call_id\":\"abcDEF123\",\"name\":\"\",\"content\":\"ok\"},"
    "{\"role\":\"assistant\",\"content\":\"\"},"
    "{\"role\":\"user\",\"content\":\"thanks\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}],"
    "\"tool_choice\":\"required\",\"seed\":42,\"temperature\":0.2}";

static void test_mistral_chat(void)
{
    json_t *b = json_loads(chat, 0, NULL), *msgs, *m;
    const char *id2;
    char id1[16];

    ASSERT(b != NULL);
    ASSERT(lmx_quirk_fix_request_json(LMX_Q_MISTRAL_REQUEST, b) > 0);
    msgs = json_object_get(b, "messages");
    ASSERT_EQ(json_array_size(msgs), 6); /* the empty assistant turn is gone */
    /* name only on tool messages, and only when not empty; nulls gone */
    ASSERT(json_object_get(json_array_get(msgs, 0), "name") == NULL);
    ASSERT(json_object_get(json_array_get(msgs, 1), "name") == NULL);
    ASSERT(json_object_get(json_array_get(msgs, 1), "tool_calls") == NULL);
    m = json_array_get(msgs, 2);
    ASSERT(json_object_get(m, "content") == NULL);
    id2 = json_string_value(json_object_get(json_array_get(json_object_get(m, "tool_calls"), 0), "id"));
    ASSERT(id_ok(id2));
    snprintf(id1, sizeof(id1), "%s", id2);
    ASSERT(json_object_get(json_array_get(json_object_get(m, "tool_calls"), 0), "index") == NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_array_get(json_object_get(m, "tool_calls"), 1), "id")),
                  "abcDEF123"); /* already valid: kept */
    /* the result names the same id as its call */
    m = json_array_get(msgs, 3);
    ASSERT(strcmp(json_string_value(json_object_get(m, "tool_call_id")), id1) == 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "name")), "get_weather");
    m = json_array_get(msgs, 4);
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "tool_call_id")), "abcDEF123");
    ASSERT(json_object_get(m, "name") == NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(msgs, 5), "content")), "thanks");
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "tool_choice")), "any");
    ASSERT(json_object_get(b, "seed") == NULL);
    ASSERT_EQ(json_integer_value(json_object_get(b, "random_seed")), 42);
    ASSERT(json_object_get(b, "tools") != NULL);

    /* a second pass changes nothing; the mapping is stable across calls */
    ASSERT_EQ(lmx_quirk_fix_request_json(LMX_Q_MISTRAL_REQUEST, b), 0);
    json_decref(b);
    b = json_loads(chat, 0, NULL);
    ASSERT(lmx_quirk_fix_request_json(LMX_Q_MISTRAL_REQUEST, b) > 0);
    id2 = json_string_value(json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(b, "messages"), 2),
                                       "tool_calls"),
                       0),
        "id"));
    ASSERT(id2 != NULL && strcmp(id2, id1) == 0);
    json_decref(b);
}

static void test_tool_choice(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"\"auto\"", "auto"},
        {"\"none\"", "none"},
        {"\"any\"", "any"},
        {"\"required\"", "any"},
        {"{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", "any"},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        char text[256];
        json_t *b;

        snprintf(text, sizeof(text), "{\"messages\":[],\"tool_choice\":%s}", cases[i].in);
        b = json_loads(text, 0, NULL);
        ASSERT(b != NULL);
        ASSERT(lmx_quirk_fix_request_json(LMX_Q_MISTRAL_REQUEST, b) >= 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(b, "tool_choice")), cases[i].want);
        json_decref(b);
    }
}

static void test_text_api(void)
{
    struct lmx_buf b;
    const char *plain = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        "\"temperature\":0.2}";
    const char *seeded = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                         "\"temperature\":0.2,\"seed\":7,\"random_seed\":9}";

    lmx_buf_init(&b, 1u << 20);
    /* nothing to fix: not parsed, not touched */
    ASSERT_EQ(lmx_buf_puts(&b, plain), 0);
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_MISTRAL_REQUEST, &b), 0);
    ASSERT_STR_EQ(b.data, plain);
    /* no request quirk: untouched whatever it holds */
    lmx_buf_reset(&b);
    ASSERT_EQ(lmx_buf_puts(&b, seeded), 0);
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_EMPTY_TOOL_ID | LMX_Q_NO_TOOLS, &b), 0);
    ASSERT_STR_EQ(b.data, seeded);
    /* seed goes; an explicit random_seed wins; reals keep their short form */
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_MISTRAL_REQUEST, &b), 1);
    ASSERT_STR_EQ(b.data, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                          "\"temperature\":0.2,\"random_seed\":9}");
    /* not JSON: left for the caller */
    lmx_buf_reset(&b);
    ASSERT_EQ(lmx_buf_puts(&b, "{\"seed\": nope"), 0);
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_MISTRAL_REQUEST, &b), 0);
    ASSERT_STR_EQ(b.data, "{\"seed\": nope");
    /* an empty buffer */
    lmx_buf_release(&b);
    lmx_buf_init(&b, 16);
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_MISTRAL_REQUEST, &b), 0);
    /* a small cap: the rewritten body keeps the buffer's cap */
    lmx_buf_release(&b);
    lmx_buf_init(&b, 40);
    ASSERT_EQ(lmx_buf_puts(&b, "{\"tool_choice\":{\"type\":\"function\"}}"), 0);
    ASSERT_EQ(lmx_quirk_fix_request(LMX_Q_MISTRAL_REQUEST, &b), 1);
    ASSERT_STR_EQ(b.data, "{\"tool_choice\":\"any\"}");
    lmx_buf_release(&b);
}

static void test_presets(void)
{
    struct lmx_deployment d;

    ASSERT(lmx_preset_flags("mistral") & LMX_Q_MISTRAL_REQUEST);
    ASSERT(lmx_preset_flags("codestral") & LMX_Q_MISTRAL_REQUEST);
    ASSERT(lmx_preset_flags("text-completion-codestral") & LMX_Q_MISTRAL_REQUEST);
    ASSERT((lmx_preset_flags("openai") & LMX_Q_REQUEST_FIXED) == 0);
    ASSERT((lmx_preset_flags("groq") & LMX_Q_REQUEST_FIXED) == 0);
    /* openai/ pointed at Mistral's host takes Mistral's rules */
    memset(&d, 0, sizeof(d));
    d.provider = (char *)"openai";
    d.api_base = (char *)"https://api.mistral.ai/v1";
    ASSERT(lmx_quirks_for(&d) & LMX_Q_MISTRAL_REQUEST);
}

int main(void)
{
    RUN(test_mistral_chat);
    RUN(test_tool_choice);
    RUN(test_text_api);
    RUN(test_presets);
    TEST_MAIN_END();
}
