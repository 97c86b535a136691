/*
 * tests/unit/dialect/gemini_in.c - the Gemini generateContent dialect: golden
 * request -> canonical conversions, canonical answers and chunk sequences ->
 * exact Gemini JSON and SSE text (a streamed tool call and usage included),
 * error bodies, refused input, every recorded generateContent request under
 * $LMX_FIXTURES/gemini accepted, and out of memory on every path.
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
#include "dialect/dialect.h"
#include "test.h"

static const struct lmx_dialect_ops *ops = &lmx_dialect_gemini;

/* ------------------------------------------------------------------------ */
/* Helpers */

static json_t *J(const char *s)
{
    json_error_t je;
    json_t *v = json_loads(s, 0, &je);

    if (v == NULL) {
        fprintf(stderr, "bad JSON in test: %s at %d: %s\n", je.text, je.position, s);
        abort();
    }
    return v;
}

/* json_equal, printing both sides when they differ. */
static bool same(const json_t *got, const json_t *want)
{
    char *a, *b;

    if (got != NULL && want != NULL && json_equal(got, want))
        return true;
    a = got != NULL ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : strdup("(null)");
    b = want != NULL ? json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS) : strdup("(null)");
    fprintf(stderr, "  got:  %s\n  want: %s\n", a, b);
    free(a);
    free(b);
    return false;
}

static void dc_init(struct lmx_dcall *dc, const char *model, bool stream)
{
    memset(dc, 0, sizeof(*dc));
    dc->ops = ops;
    dc->path_model = model;
    dc->path_stream = stream;
    dc->call_id = "test-call";
    dc->created = 1700000000;
}

/* ops->request on a body text; the canonical request (or NULL) in *out. */
static int convert(struct lmx_dcall *dc, const char *body, json_t **out, struct lmx_perr *pe)
{
    json_t *in = J(body);
    int rc;

    memset(pe, 0, sizeof(*pe));
    rc = ops->request(dc, in, out, pe);
    json_decref(in);
    return rc;
}

/* The request converts to exactly `want` (non-stream, model "gemini-2.5-flash"). */
static bool converts_to(const char *body, const char *want)
{
    struct lmx_dcall dc;
    struct lmx_perr pe;
    json_t *out = NULL, *w = J(want);
    int rc;
    bool ok;

    dc_init(&dc, "gemini-2.5-flash", false);
    rc = convert(&dc, body, &out, &pe);
    if (rc != 0)
        fprintf(stderr, "  request failed: %d %s\n", rc, pe.message);
    ok = rc == 0 && same(out, w);
    json_decref(out);
    json_decref(w);
    ops->release(&dc);
    return ok;
}

/* The request's canonical `key` is exactly `want` ("null" = absent). */
static bool key_is(const char *body, const char *key, const char *want)
{
    struct lmx_dcall dc;
    struct lmx_perr pe;
    json_t *out = NULL, *w = json_loads(want, JSON_DECODE_ANY, NULL);
    int rc;
    bool ok;

    dc_init(&dc, "m", false);
    rc = convert(&dc, body, &out, &pe);
    if (rc != 0)
        fprintf(stderr, "  request failed: %d %s\n", rc, pe.message);
    if (json_is_null(w))
        ok = rc == 0 && json_object_get(out, key) == NULL;
    else
        ok = rc == 0 && same(json_object_get(out, key), w);
    if (!ok)
        fprintf(stderr, "  key '%s' of %s\n", key, body);
    json_decref(out);
    json_decref(w);
    ops->release(&dc);
    return ok;
}

/* Exact text comparison, printing both. */
static bool text_is(const struct lmx_buf *b, const char *want)
{
    const char *got = b->data != NULL ? b->data : "";

    if (strcmp(got, want) == 0)
        return true;
    fprintf(stderr, "  got:  %s\n  want: %s\n", got, want);
    return false;
}

/* Feeds chunk texts (NULL-terminated) to stream_chunk, then stream_end; all output in *out. */
static int feed(struct lmx_dcall *dc, const char *const *chunks, struct lmx_buf *out)
{
    for (size_t i = 0; chunks[i] != NULL; i++) {
        json_t *c = J(chunks[i]);
        int rc = ops->stream_chunk(dc, c, out);

        json_decref(c);
        if (rc < 0)
            return rc;
    }
    return ops->stream_end(dc, out);
}

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_request_basic(void)
{
    ASSERT(converts_to(
        "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
        "\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"},{\"text\":\"lo\"},"
        "{\"text\":\"hmm\",\"thought\":true}]},"
        "{\"role\":\"user\",\"parts\":[{\"text\":\"What is this?\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AAAA\"}}]}],"
        "\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":"
        "\"BLOCK_NONE\"}],"
        "\"generationConfig\":{\"temperature\":0.5,\"topP\":0.9,\"topK\":40,"
        "\"maxOutputTokens\":256,\"candidateCount\":1,\"seed\":7,\"presencePenalty\":0.1,"
        "\"frequencyPenalty\":0.2,\"stopSequences\":[\"END\"],\"responseLogprobs\":true,"
        "\"logprobs\":3}}",
        "{\"model\":\"gemini-2.5-flash\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"user\",\"content\":\"Hi\"},"
        "{\"role\":\"assistant\",\"content\":\"Hello\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}],"
        "\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"max_tokens\":256,\"n\":1,\"seed\":7,"
        "\"presence_penalty\":0.1,\"frequency_penalty\":0.2,\"stop\":[\"END\"],"
        "\"logprobs\":true,\"top_logprobs\":3,\"stream\":false}"));
}

static void test_request_stream(void)
{
    struct lmx_dcall dc;
    struct lmx_perr pe;
    json_t *out = NULL;
    json_t *want = J("{\"model\":\"gemini-2.5-pro\",\"messages\":[{\"role\":\"user\","
                     "\"content\":\"x\"}],\"stream\":true,\"stream_options\":"
                     "{\"include_usage\":true}}");

    dc_init(&dc, "gemini-2.5-pro", true);
    ASSERT_EQ(convert(&dc, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"model\":\"other\"}",
                      &out, &pe),
              0);
    ASSERT(dc.stream);
    ASSERT(same(out, want));
    json_decref(out);
    json_decref(want);
    ops->release(&dc);
    ASSERT(dc.state == NULL);
}

static void test_request_tools(void)
{
    ASSERT(converts_to(
        "{\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris and Rome?\"}]},"
        "{\"role\":\"model\",\"parts\":["
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},"
        "\"thoughtSignature\":\"SIG1\"},"
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Rome\"}}}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":20}}},"
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"content\":\"25C\"}}}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Checking time.\"},"
        "{\"functionCall\":{\"id\":\"abc\",\"name\":\"get_time\",\"args\":{}}}]},"
        "{\"role\":\"function\",\"parts\":["
        "{\"functionResponse\":{\"id\":\"abc\",\"name\":\"get_time\",\"response\":{\"time\":"
        "\"noon\"}}},{\"text\":\"Thanks\"}]}],"
        "\"tools\":[{\"functionDeclarations\":["
        "{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":"
        "\"OBJECT\",\"properties\":{\"city\":{\"type\":\"STRING\",\"description\":\"City\"},"
        "\"unit\":{\"type\":\"STRING\",\"enum\":[\"C\",\"F\"],\"nullable\":true},"
        "\"days\":{\"type\":\"ARRAY\",\"items\":{\"type\":\"INTEGER\"}}},"
        "\"required\":[\"city\"],\"propertyOrdering\":[\"city\",\"unit\",\"days\"]}},"
        "{\"name\":\"get_time\",\"parametersJsonSchema\":{\"type\":\"object\",\"properties\":"
        "{\"tz\":{\"type\":[\"string\",\"null\"]}},\"additionalProperties\":false}},"
        "{\"name\":\"noop\"}]},{\"googleSearch\":{}}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\","
        "\"allowedFunctionNames\":[\"get_weather\"]}}}",
        "{\"model\":\"gemini-2.5-flash\",\"messages\":["
        "{\"role\":\"user\",\"content\":\"Weather in Paris and Rome?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"call_0__thought__SIG1\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_0__thought__SIG1\",\"content\":"
        "\"{\\\"temp\\\":20}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"25C\"},"
        "{\"role\":\"assistant\",\"content\":\"Checking time.\",\"tool_calls\":["
        "{\"id\":\"abc\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
        "\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"abc\",\"content\":\"{\\\"time\\\":\\\"noon\\\"}\"},"
        "{\"role\":\"user\",\"content\":\"Thanks\"}],"
        "\"tools\":["
        "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
        "\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
        "\"string\",\"description\":\"City\"},\"unit\":{\"type\":[\"string\",\"null\"],"
        "\"enum\":[\"C\",\"F\"]},\"days\":{\"type\":\"array\",\"items\":{\"type\":"
        "\"integer\"}}},\"required\":[\"city\"]}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":"
        "\"object\",\"properties\":{\"tz\":{\"type\":[\"string\",\"null\"]}},"
        "\"additionalProperties\":false}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"noop\"}},"
        "{\"googleSearch\":{}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
        "\"stream\":false}"));
    /* a second answer to the same call has nothing left to match */
    ASSERT(!converts_to("{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":"
                        "{\"name\":\"f\"}}]},{\"parts\":[{\"functionResponse\":{\"name\":\"f\","
                        "\"response\":{}}},{\"functionResponse\":{\"name\":\"f\",\"response\":"
                        "{}}}]}]}",
                        "{}"));
}

static void test_request_variants(void)
{
    static const char base[] = "{\"contents\":[{\"parts\":[{\"text\":\"a\"}]}],";
    char body[1024];
#define WITH(extra) (snprintf(body, sizeof(body), "%s%s}", base, (extra)), body)

    ASSERT(key_is(WITH("\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}"),
                  "tool_choice", "\"auto\""));
    ASSERT(key_is(WITH("\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}}"),
                  "tool_choice", "\"none\""));
    ASSERT(key_is(WITH("\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\"}}"),
                  "tool_choice", "\"required\""));
    ASSERT(key_is(WITH("\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\","
                       "\"allowedFunctionNames\":[\"f\",\"g\"]}}"),
                  "tool_choice", "\"required\""));
    ASSERT(key_is(WITH("\"toolConfig\":{\"functionCallingConfig\":{\"mode\":"
                       "\"MODE_UNSPECIFIED\"}}"),
                  "tool_choice", "null"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"responseMimeType\":\"application/json\"}"),
                  "response_format", "{\"type\":\"json_object\"}"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"responseMimeType\":\"text/plain\"}"),
                  "response_format", "null"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"responseMimeType\":\"application/json\","
                       "\"responseSchema\":{\"type\":\"OBJECT\",\"properties\":{\"a\":{\"type\":"
                       "\"NUMBER\",\"format\":\"double\"}}}}"),
                  "response_format",
                  "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"response\",\"schema\":"
                  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\",\"format\":"
                  "\"double\"}}}}}"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"responseMimeType\":\"application/json\","
                       "\"responseJsonSchema\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/x\"}}}"),
                  "response_format",
                  "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"response\",\"schema\":"
                  "{\"type\":\"array\",\"items\":{\"$ref\":\"#/x\"}}}}"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"thinkingConfig\":{\"thinkingLevel\":\"HIGH\"}}"),
                  "reasoning_effort", "\"high\""));
    ASSERT(key_is(WITH("\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":0}}"),
                  "reasoning_effort", "\"none\""));
    ASSERT(key_is(WITH("\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":2048,"
                       "\"includeThoughts\":true}}"),
                  "thinking", "{\"type\":\"enabled\",\"budget_tokens\":2048}"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":-1}}"),
                  "thinking", "null"));
    ASSERT(key_is(WITH("\"generationConfig\":{\"thinkingConfig\":{\"includeThoughts\":true}}"),
                  "reasoning_effort", "null"));
    ASSERT(key_is(WITH("\"cachedContent\":\"cachedContents/x\",\"safetySettings\":[]"),
                  "cachedContent", "null"));
#undef WITH
    /* snake_case spellings and single objects for repeated fields */
    ASSERT(converts_to(
        "{\"system_instruction\":{\"parts\":{\"text\":\"S\"}},\"contents\":{\"parts\":{\"text\":"
        "\"U\"}},\"generation_config\":{\"max_output_tokens\":5,\"stop_sequences\":[\"x\"],"
        "\"top_p\":1},\"tool_config\":{\"function_calling_config\":{\"mode\":\"any\","
        "\"allowed_function_names\":[\"f\"]}},\"tools\":{\"function_declarations\":{\"name\":"
        "\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\","
        "\"min_length\":1}}}}}}",
        "{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
        "{\"role\":\"user\",\"content\":\"U\"}],\"tools\":[{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":"
        "\"string\",\"minLength\":1}}}}}],\"tool_choice\":{\"type\":\"function\",\"function\":"
        "{\"name\":\"f\"}},\"max_tokens\":5,\"stop\":[\"x\"],\"top_p\":1,\"stream\":false}"));
    /* media: audio, documents, files by URI */
    ASSERT(converts_to(
        "{\"systemInstruction\":\"plain\",\"contents\":[{\"role\":\"user\",\"parts\":["
        "{\"inlineData\":{\"mimeType\":\"audio/mpeg\",\"data\":\"MP\"}},"
        "{\"inline_data\":{\"mime_type\":\"audio/wav\",\"data\":\"WV\"}},"
        "{\"inlineData\":{\"mimeType\":\"application/pdf\",\"data\":\"PD\"}},"
        "{\"fileData\":{\"fileUri\":\"https://x.test/a.png\"}},"
        "{\"fileData\":{\"fileUri\":\"gs://b/v.mp4\",\"mimeType\":\"video/mp4\"}},"
        "{\"executableCode\":{\"language\":\"PYTHON\",\"code\":\"1\"}}]}]}",
        "{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"system\",\"content\":"
        "\"plain\"},{\"role\":\"user\",\"content\":["
        "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"MP\",\"format\":\"mp3\"}},"
        "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"WV\",\"format\":\"wav\"}},"
        "{\"type\":\"file\",\"file\":{\"file_data\":\"data:application/pdf;base64,PD\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.test/a.png\"}},"
        "{\"type\":\"file\",\"file\":{\"file_id\":\"gs://b/v.mp4\",\"format\":\"video/mp4\"}}"
        "]}],\"stream\":false}"));
}

static void test_request_bad(void)
{
    static const char *const cases[][2] = {
        {"{}", "contents"},
        {"{\"contents\":[]}", "contents"},
        {"{\"contents\":\"hi\"}", "contents"},
        {"{\"contents\":[{\"role\":\"bot\",\"parts\":[{\"text\":\"x\"}]}]}", "valid role"},
        {"{\"contents\":[{\"role\":\"user\",\"parts\":[]}]}", "contents[0].parts"},
        {"{\"contents\":[{\"role\":\"user\"}]}", "contents[0].parts"},
        {"{\"contents\":[{\"parts\":[\"x\"]}]}", "contents[0].parts[0]"},
        {"{\"contents\":[{\"parts\":[{\"text\":5}]}]}", "contents[0].parts[0].text"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"\"}]}]}", "contents"},
        {"{\"contents\":[{\"parts\":[{\"functionResponse\":{\"name\":\"f\",\"response\":{}}}]}]}",
         "answers no earlier functionCall"},
        {"{\"contents\":[{\"parts\":[{\"functionCall\":{\"name\":\"f\"}}]}]}", "model turn"},
        {"{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionResponse\":{\"name\":\"f\"}}]}]"
         "}",
         "user turn"},
        {"{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"args\":{}}}]}]}",
         "functionCall needs a name"},
        {"{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\","
         "\"args\":[1]}}]}]}",
         "functionCall.args"},
        {"{\"contents\":[{\"parts\":[{\"inlineData\":{\"data\":\"AA\"}}]}]}", "inlineData"},
        {"{\"contents\":[{\"parts\":[{\"fileData\":{\"mimeType\":\"image/png\"}}]}]}", "fileUri"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"temperature\":"
         "\"hot\"}}",
         "generationConfig.temperature"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"stopSequences\":"
         "\"END\"}}",
         "stopSequences"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":[]}",
         "generationConfig"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"toolConfig\":{\"functionCallingConfig\":"
         "{\"mode\":\"SOMETIMES\"}}}",
         "mode"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"tools\":[{\"functionDeclarations\":"
         "[{\"description\":\"d\"}]}]}",
         "tools[0].functionDeclarations[0]"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"systemInstruction\":5}",
         "systemInstruction"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"thinkingConfig\":"
         "{\"thinkingBudget\":\"many\"}}}",
         "thinkingBudget"},
    };
    struct lmx_dcall dc;
    struct lmx_perr pe;
    json_t *out = NULL;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        dc_init(&dc, "m", false);
        out = NULL;
        ASSERT_EQ(convert(&dc, cases[i][0], &out, &pe), LMX_EBADREQ);
        ASSERT(out == NULL);
        ASSERT_EQ(pe.status, 400);
        ASSERT_STR_EQ(pe.type, "invalid_request_error");
        ASSERT_(strstr(pe.message, cases[i][1]) != NULL, "case %zu: '%s' lacks '%s'", i, pe.message,
                cases[i][1]);
        ASSERT(dc.state == NULL);
        ops->release(&dc);
    }
    /* no model in the path nor the body */
    dc_init(&dc, NULL, false);
    ASSERT_EQ(convert(&dc, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}", &out, &pe),
              LMX_EBADREQ);
    ASSERT_STR_EQ(pe.param, "model");
    ops->release(&dc);
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void test_response(void)
{
    struct lmx_dcall dc;
    struct lmx_perr pe;
    struct lmx_buf b;
    json_t *out = NULL, *resp;

    dc_init(&dc, "gemini-2.5-pro", false);
    ASSERT_EQ(convert(&dc,
                      "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
                      "{\"thinkingConfig\":{\"includeThoughts\":true}}}",
                      &out, &pe),
              0);
    json_decref(out);
    dc.model = "gemini-2.5-pro";
    resp = J("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":"
             "\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":\"Sunny.\",\"reasoning_content\":\"Think.\",\"tool_calls\":["
             "{\"id\":\"call_9__thought__SIGX\",\"type\":\"function\",\"function\":{\"name\":"
             "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
             "{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"noop\","
             "\"arguments\":\"\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{"
             "\"prompt_tokens\":10,\"completion_tokens\":30,\"total_tokens\":40,"
             "\"prompt_tokens_details\":{\"cached_tokens\":4},\"completion_tokens_details\":"
             "{\"reasoning_tokens\":12}}}");
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(ops->response(&dc, resp, &b), 0);
    ASSERT(text_is(
        &b, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Think.\",\"thought\":true},"
            "{\"text\":\"Sunny.\"},{\"functionCall\":{\"id\":\"call_9\",\"name\":\"get_weather\","
            "\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"SIGX\"},{\"functionCall\":"
            "{\"id\":\"call_a\",\"name\":\"noop\",\"args\":{}}}],\"role\":\"model\"},"
            "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":10,"
            "\"candidatesTokenCount\":18,\"totalTokenCount\":40,\"cachedContentTokenCount\":4,"
            "\"thoughtsTokenCount\":12},\"modelVersion\":\"gemini-2.5-pro\",\"responseId\":"
            "\"chatcmpl-1\"}"));
    json_decref(resp);
    ops->release(&dc);
    lmx_buf_release(&b);

    /* no thoughts asked for; two choices; finish reasons; no usage; model from the answer */
    dc_init(&dc, "m", false);
    ASSERT_EQ(convert(&dc, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}", &out, &pe), 0);
    json_decref(out);
    resp = J("{\"id\":\"r2\",\"model\":\"m2\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
             "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ab\"},{\"type\":\"text\","
             "\"text\":\"c\"}],\"reasoning_content\":\"x\"},\"finish_reason\":\"length\"},"
             "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":null},"
             "\"finish_reason\":\"content_filter\"}]}");
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(ops->response(&dc, resp, &b), 0);
    ASSERT(text_is(&b, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"abc\"}],\"role\":"
                       "\"model\"},\"finishReason\":\"MAX_TOKENS\",\"index\":0},{\"content\":{"
                       "\"parts\":[{\"text\":\"\"}],\"role\":\"model\"},\"finishReason\":"
                       "\"SAFETY\",\"index\":1}],\"modelVersion\":\"m2\",\"responseId\":\"r2\"}"));
    json_decref(resp);
    ops->release(&dc);
    lmx_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* Streams */

#define EV(json) "data: " json "\r\n\r\n"

static void test_stream_text(void)
{
    static const char *const chunks[] = {
        "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
        "{\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":"
        "\"Hmm.\"},\"finish_reason\":null}]}",
        "{\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},"
        "\"finish_reason\":null}]}",
        "{\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},"
        "\"finish_reason\":null}]}",
        "{\"id\":\"chatcmpl-9\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
        "\"stop\"}]}",
        "{\"id\":\"chatcmpl-9\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
        "\"completion_tokens\":7,\"total_tokens\":12,\"completion_tokens_details\":"
        "{\"reasoning_tokens\":3}}}",
        NULL,
    };
    struct lmx_dcall dc;
    struct lmx_perr pe;
    struct lmx_buf b;
    json_t *out = NULL;

    dc_init(&dc, "gemini-2.5-flash", true);
    ASSERT_EQ(convert(&dc,
                      "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
                      "{\"thinkingConfig\":{\"includeThoughts\":true}}}",
                      &out, &pe),
              0);
    json_decref(out);
    dc.model = "gemini-2.5-flash";
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&dc, chunks, &b), 0);
    ASSERT(text_is(
        &b,
        EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hmm.\",\"thought\":true}],"
           "\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\","
           "\"responseId\":\"chatcmpl-9\"}")
            EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":"
               "\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":"
               "\"chatcmpl-9\"}")
                EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" world\"}],\"role\":"
                   "\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\","
                   "\"responseId\":\"chatcmpl-9\"}")
                    EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":"
                       "\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":"
                       "{\"promptTokenCount\":5,\"candidatesTokenCount\":4,\"totalTokenCount\":12,"
                       "\"thoughtsTokenCount\":3},\"modelVersion\":\"gemini-2.5-flash\","
                       "\"responseId\":\"chatcmpl-9\"}")));
    ops->release(&dc);
    lmx_buf_release(&b);
}

static void test_stream_tools(void)
{
    static const char *const chunks[] = {
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
        "null,\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":"
        "{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
        "\"id\":\"call_B__thought__S2\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_time\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}",
        "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
        "{\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":9,"
        "\"total_tokens\":17}}",
        NULL,
    };
    struct lmx_dcall dc;
    struct lmx_perr pe;
    struct lmx_buf b;
    json_t *out = NULL;

    dc_init(&dc, "gemini-2.5-flash", true);
    ASSERT_EQ(convert(&dc, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}", &out, &pe), 0);
    json_decref(out);
    dc.model = "gemini-2.5-flash";
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&dc, chunks, &b), 0);
    ASSERT(text_is(
        &b, EV("{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"id\":\"call_A\","
               "\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},"
               "\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"c1\"}")
                EV("{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"id\":"
                   "\"call_B\",\"name\":\"get_time\",\"args\":{}},\"thoughtSignature\":\"S2\"}],"
                   "\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\","
                   "\"responseId\":\"c1\"}")
                    EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":"
                       "\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":"
                       "{\"promptTokenCount\":8,\"candidatesTokenCount\":9,\"totalTokenCount\":17},"
                       "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"c1\"}")));
    ops->release(&dc);
    lmx_buf_release(&b);
}

/* Whole calls in one chunk with text and the finish; hidden thoughts; no usage chunk. */
static void test_stream_odd(void)
{
    static const char *const chunks[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hidden\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\",\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"a\\\":1}\"}}]},\"finish_reason\":"
        "\"tool_calls\"}]}",
        NULL,
    };
    static const char *const cut[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"arguments\":\":2}\"}}]}}]}",
        NULL,
    };
    struct lmx_dcall dc;
    struct lmx_perr pe;
    struct lmx_buf b;
    json_t *out = NULL;

    dc_init(&dc, "m", true);
    ASSERT_EQ(convert(&dc, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}", &out, &pe), 0);
    json_decref(out);
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&dc, chunks, &b), 0);
    ASSERT(text_is(
        &b, EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"},{\"functionCall\":"
               "{\"id\":\"call_0\",\"name\":\"g\",\"args\":{\"a\":1}}}],\"role\":\"model\"},"
               "\"index\":0}],\"modelVersion\":\"\"}")
                EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":"
                   "\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"\"}")));
    ops->release(&dc);
    lmx_buf_release(&b);

    /* a call still open when the stream ends goes out with the last event */
    dc_init(&dc, "m", true);
    dc.model = "m";
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&dc, cut, &b), 0);
    ASSERT(text_is(&b, EV("{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"id\":"
                          "\"call_0\",\"name\":\"f\",\"args\":{\"a\":2}}}],\"role\":\"model\"},"
                          "\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":\"m\"}")));
    ops->release(&dc);
    lmx_buf_release(&b);

    /* an empty stream still ends with a finishReason */
    dc_init(&dc, "m", true);
    dc.model = "m";
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(ops->stream_end(&dc, &b), 0);
    ASSERT(text_is(&b, EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":"
                          "\"model\"},\"finishReason\":\"STOP\",\"index\":0}],\"modelVersion\":"
                          "\"m\"}")));
    ops->release(&dc);
    lmx_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* Errors */

static void test_errors(void)
{
    static const struct {
        int status;
        const char *type, *rpc;
    } cases[] = {
        {400, "invalid_request_error", "INVALID_ARGUMENT"},
        {401, "auth_error", "UNAUTHENTICATED"},
        {403, "auth_error", "PERMISSION_DENIED"},
        {404, "not_found_error", "NOT_FOUND"},
        {408, "timeout", "DEADLINE_EXCEEDED"},
        {413, "invalid_request_error", "INVALID_ARGUMENT"},
        {429, "rate_limit_error", "RESOURCE_EXHAUSTED"},
        {500, "internal_server_error", "INTERNAL"},
        {502, "internal_server_error", "INTERNAL"},
        {503, "internal_server_error", "UNAVAILABLE"},
        {504, "timeout", "DEADLINE_EXCEEDED"},
        {402, "budget_exceeded", "INVALID_ARGUMENT"},
        {529, "internal_server_error", "UNAVAILABLE"},
    };
    struct lmx_dcall dc;
    struct lmx_buf b;
    char want[512];

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        lmx_buf_init(&b, 4096);
        ops->error_body(cases[i].status, cases[i].type, "it \"failed\"", &b);
        snprintf(want, sizeof(want),
                 "{\"error\":{\"code\":%d,\"message\":\"it \\\"failed\\\"\",\"status\":\"%s\"}}",
                 cases[i].status, cases[i].rpc);
        ASSERT(text_is(&b, want));
        lmx_buf_release(&b);
    }
    dc_init(&dc, "m", true);
    lmx_buf_init(&b, 4096);
    ops->stream_error(&dc, 502, "internal_server_error", "upstream reset", &b);
    ASSERT(text_is(&b, EV("{\"error\":{\"code\":502,\"message\":\"upstream reset\",\"status\":"
                          "\"INTERNAL\"}}")));
    ops->release(&dc);
    lmx_buf_release(&b);
    /* a buffer too small for the body stays empty */
    lmx_buf_init(&b, 8);
    ops->error_body(400, "invalid_request_error", "long enough message", &b);
    ASSERT_EQ(b.len, 0);
    lmx_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* Recorded requests */

static char *read_file(const char *path)
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
        if (p != NULL)
            p[n] = '\0';
    }
    fclose(f);
    return p;
}

static void test_fixtures(void)
{
    const char *root = getenv("LMX_FIXTURES");
    char dir[4096], path[8192];
    struct dirent *de;
    DIR *d;
    int n = 0;

    if (root == NULL) {
        fprintf(stderr, "skip test_fixtures: set LMX_FIXTURES\n");
        return;
    }
    snprintf(dir, sizeof(dir), "%s/gemini", root);
    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "skip test_fixtures: no %s\n", dir);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        struct lmx_dcall dc;
        struct lmx_perr pe;
        json_t *in, *out = NULL;
        char *body;
        int rc;

        if (strncmp(de->d_name, "generateContent", 15) != 0 ||
            strstr(de->d_name, ".request") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        body = read_file(path);
        ASSERT(body != NULL);
        in = J(body);
        free(body);
        dc_init(&dc, "gemini-2.5-flash", strstr(de->d_name, "stream") != NULL);
        memset(&pe, 0, sizeof(pe));
        rc = ops->request(&dc, in, &out, &pe);
        ASSERT_(rc == 0, "%s: %d %s", de->d_name, rc, pe.message);
        ASSERT_(json_array_size(json_object_get(out, "messages")) > 0, "%s: no messages",
                de->d_name);
        json_decref(out);
        json_decref(in);
        ops->release(&dc);
        n++;
    }
    closedir(d);
    fprintf(stderr, "     fixtures: %d requests\n", n);
    ASSERT(n > 0);
}

/* ------------------------------------------------------------------------ */
/* Out of memory: each allocation failing in turn gives LMX_ENOMEM, never a crash or a leak
   (the countdown only exists in LMX_FAULT_INJECT builds; elsewhere one round runs) */

static void test_oom(void)
{
    static const char *const chunks[] = {
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\","
        "\"reasoning_content\":\"r\",\"tool_calls\":[{\"index\":0,\"id\":\"i__thought__s\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}}]}}]}",
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
        "\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
        "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
        "\"total_tokens\":3,\"completion_tokens_details\":{\"reasoning_tokens\":1}}}",
        NULL,
    };
    json_t *req =
        J("{\"systemInstruction\":{\"parts\":[{\"text\":\"s\"},{\"text\":\"t\"}]},\"contents\":["
          "{\"parts\":[{\"text\":\"u\"},{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":"
          "\"AA\"}},{\"fileData\":{\"fileUri\":\"gs://x\",\"mimeType\":\"application/pdf\"}}]},"
          "{\"role\":\"model\",\"parts\":[{\"text\":\"m\"},{\"functionCall\":{\"name\":\"f\","
          "\"args\":{\"a\":1}},\"thoughtSignature\":\"s\"}]},{\"parts\":[{\"functionResponse\":"
          "{\"name\":\"f\",\"response\":{\"r\":2}}}]}],\"tools\":[{\"functionDeclarations\":["
          "{\"name\":\"f\",\"parameters\":{\"type\":\"OBJECT\",\"properties\":{\"a\":{\"type\":"
          "\"STRING\",\"nullable\":true}}}}]},{\"codeExecution\":{}}],\"toolConfig\":"
          "{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"f\"]}},"
          "\"generationConfig\":{\"temperature\":1,\"stopSequences\":[\"x\"],\"responseMimeType\":"
          "\"application/json\",\"responseSchema\":{\"type\":\"OBJECT\"},\"thinkingConfig\":"
          "{\"thinkingBudget\":100,\"includeThoughts\":true}}}");
    json_t *resp = J("{\"id\":\"r\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"c\","
                     "\"reasoning_content\":\"t\",\"tool_calls\":[{\"id\":\"a__thought__b\","
                     "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":"
                     "\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
                     "\"total_tokens\":2}}");
    json_t *parsed[LMX_ARRAY_SIZE(chunks)];
    long n;

    for (size_t i = 0; chunks[i] != NULL; i++)
        parsed[i] = J(chunks[i]);
    lmx_alloc_install();
    for (n = 0; n < 100000; n++) {
        struct lmx_dcall dc;
        struct lmx_perr pe;
        struct lmx_buf b;
        json_t *out = NULL;
        int rc[4] = {0, 0, 0, 0};
        bool done = true;

        dc_init(&dc, "m", true);
        lmx_buf_init(&b, 1 << 20);
        memset(&pe, 0, sizeof(pe));
        lmx_alloc_fail_after(n);
        rc[0] = ops->request(&dc, req, &out, &pe);
        rc[1] = ops->response(&dc, resp, &b);
        for (size_t i = 0; rc[2] == 0 && chunks[i] != NULL; i++)
            rc[2] = ops->stream_chunk(&dc, parsed[i], &b);
        if (rc[2] == 0)
            rc[2] = ops->stream_end(&dc, &b);
        ops->error_body(500, "internal_server_error", "m", &b);
        ops->stream_error(&dc, 500, "internal_server_error", "m", &b);
        lmx_alloc_fail_after(-1);
        json_decref(out);
        ops->release(&dc);
        lmx_buf_release(&b);
        for (int i = 0; i < 3; i++) {
            done = done && rc[i] == 0;
            if (rc[i] != 0 && rc[i] != LMX_ENOMEM) {
                fprintf(stderr, "round %ld step %d: %d (%s)\n", n, i, rc[i], pe.message);
                lmx_test_failures++;
                done = true;
            }
        }
        if (done)
            break;
    }
    fprintf(stderr, "     oom: %ld rounds\n", n + 1);
    for (size_t i = 0; chunks[i] != NULL; i++)
        json_decref(parsed[i]);
    json_decref(req);
    json_decref(resp);
}

int main(void)
{
    RUN(test_request_basic);
    RUN(test_request_stream);
    RUN(test_request_tools);
    RUN(test_request_variants);
    RUN(test_request_bad);
    RUN(test_response);
    RUN(test_stream_text);
    RUN(test_stream_tools);
    RUN(test_stream_odd);
    RUN(test_errors);
    RUN(test_fixtures);
    RUN(test_oom);
    TEST_MAIN_END();
}
