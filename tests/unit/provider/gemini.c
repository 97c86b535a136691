/*
 * tests/unit/provider/gemini.c - the gemini/ adapter: golden request, answer,
 * stream (every split) and error translations; the recorded Gemini traffic
 * under $LMX_FIXTURES/gemini replayed through the decoders; the fuzz seed
 * corpus replayed through the fuzz target; and a config with a gemini/
 * deployment loading as served.
 */
#include "core/lmx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "provider/gemini.h"
#include "provider/provider.h"
#include "test.h"

#include "../../fuzz/fuzz_gemini.c"

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

static char *dump(const json_t *v)
{
    return v != NULL ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : strdup("(null)");
}

/* json_equal, printing both sides when they differ. */
static bool same(const json_t *got, const json_t *want)
{
    char *a, *b;

    if (got != NULL && want != NULL && json_equal(got, want))
        return true;
    a = dump(got);
    b = dump(want);
    fprintf(stderr, "  got:  %s\n  want: %s\n", a, b);
    free(a);
    free(b);
    return false;
}

static bool hex28(const char *p)
{
    for (int i = 0; i < 28; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

/*
 * Makes generated values comparable: "created" -> 0, a chatcmpl- id ->
 * "chatcmpl-X", a tool-call id "call_<28 hex>[__thought__sig]" ->
 * "call_X[__thought__sig]". Returns false when a tool-call id is malformed.
 */
static bool norm(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    bool ok = true;

    if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            ok = norm(x) && ok;
        }
        return ok;
    }
    if (!json_is_object(v))
        return true;
    json_object_foreach(v, k, x) {
        const char *s = json_string_value(x);

        if (strcmp(k, "created") == 0 && json_is_integer(x)) {
            json_integer_set(x, 0);
        } else if (strcmp(k, "id") == 0 && s != NULL && strncmp(s, "chatcmpl-", 9) == 0) {
            json_string_set(x, "chatcmpl-X");
        } else if (strcmp(k, "id") == 0 && s != NULL && strncmp(s, "call_", 5) == 0) {
            char buf[512];

            if (strlen(s) < 33 || !hex28(s + 5) ||
                (s[33] != '\0' && strncmp(s + 33, "__thought__", 11) != 0)) {
                fprintf(stderr, "  bad tool call id '%s'\n", s);
                ok = false;
                continue;
            }
            snprintf(buf, sizeof(buf), "call_X%s", s + 33);
            json_string_set(x, buf);
        } else {
            ok = norm(x) && ok;
        }
    }
    return ok;
}

static char *read_file(const char *path, size_t *len)
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

static void dep_init(struct lmx_deployment *d, const char *model, const char *base, const char *key)
{
    memset(d, 0, sizeof(*d));
    d->provider = "gemini";
    d->model = "gemini/x";
    d->upstream_model = (char *)model;
    d->api_base = (char *)base;
    d->api_key = (char *)key;
    d->supported = true;
}

static void pc_init(struct lmx_pcall *pc,
                    const struct lmx_deployment *d,
                    const json_t *req,
                    enum lmx_endpoint ep,
                    bool stream,
                    bool drop)
{
    memset(pc, 0, sizeof(*pc));
    pc->dep = d;
    pc->ep = ep;
    pc->req = req;
    pc->model = d->upstream_model;
    pc->call_id = "t";
    pc->stream = stream;
    pc->drop_params = drop;
}

static const char *header(const struct lmx_upreq *up, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < up->nheaders; i++)
        if (strncasecmp(up->headers[i], name, n) == 0 && up->headers[i][n] == ':')
            return up->headers[i] + n + 2;
    return NULL;
}

/* Chunks of a stream: collected as an array. */
static int collect_cb(const json_t *chunk, void *ud)
{
    return json_array_append_new(ud, json_deep_copy(chunk)) < 0 ? LMX_ENOMEM : 0;
}

/* Decodes p through a fresh decoder in the pieces given by cuts; the chunks go to *out. */
static int decode(const char *p,
                  size_t n,
                  const size_t *cuts,
                  size_t ncuts,
                  bool usage,
                  json_t **out,
                  struct lmx_perr *pe)
{
    struct lmx_gemini_stream *s = NULL;
    json_t *chunks = json_array();
    size_t at = 0;
    int rc;

    memset(pe, 0, sizeof(*pe));
    rc = lmx_gemini_stream_new(&s, "gemini-2.5-flash", usage);
    for (size_t i = 0; rc == 0 && i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;

        rc = lmx_gemini_stream_feed(s, p + at, to - at, collect_cb, chunks, pe);
        at = to;
    }
    if (rc == 0)
        rc = lmx_gemini_stream_end(s, collect_cb, chunks, pe);
    lmx_gemini_stream_free(s);
    *out = chunks;
    return rc;
}

/* Content, reasoning and tool calls (name\x01arguments\x02) of a chunk list. */
struct assembled {
    struct lmx_buf text, reasoning, calls;
    const char *finish;
    json_t *usage;
    int nfinish;
};

static void assemble(const json_t *chunks, struct assembled *a)
{
    size_t i, j;
    const json_t *c, *ch;

    lmx_buf_init(&a->text, 1 << 24);
    lmx_buf_init(&a->reasoning, 1 << 24);
    lmx_buf_init(&a->calls, 1 << 24);
    a->finish = NULL;
    a->usage = NULL;
    a->nfinish = 0;
    json_array_foreach(chunks, i, c) {
        if (json_is_object(json_object_get(c, "usage")))
            a->usage = json_object_get(c, "usage");
        json_array_foreach(json_object_get(c, "choices"), j, ch) {
            const json_t *d = json_object_get(ch, "delta"), *tc;
            const char *f = json_string_value(json_object_get(ch, "finish_reason"));
            size_t k;

            if (json_is_string(json_object_get(d, "content")))
                lmx_buf_puts(&a->text, json_string_value(json_object_get(d, "content")));
            if (json_is_string(json_object_get(d, "reasoning_content")))
                lmx_buf_puts(&a->reasoning,
                             json_string_value(json_object_get(d, "reasoning_content")));
            json_array_foreach(json_object_get(d, "tool_calls"), k, tc) {
                const json_t *fn = json_object_get(tc, "function");

                lmx_buf_printf(&a->calls, "%s\x01%s\x02",
                               json_string_value(json_object_get(fn, "name")),
                               json_string_value(json_object_get(fn, "arguments")));
            }
            if (f != NULL) {
                a->finish = f;
                a->nfinish++;
            }
        }
    }
}

static int refuse_cb(const json_t *chunk, void *ud)
{
    LMX_UNUSED(chunk);
    LMX_UNUSED(ud);
    return LMX_ECLIENT;
}

static void assembled_release(struct assembled *a)
{
    lmx_buf_release(&a->text);
    lmx_buf_release(&a->reasoning);
    lmx_buf_release(&a->calls);
}

static const char *S(const struct lmx_buf *b)
{
    return b->data != NULL ? b->data : "";
}

/* ------------------------------------------------------------------------ */
/* URL, headers */

static void test_url_and_auth(void)
{
    const struct lmx_provider_ops *ops = &lmx_provider_gemini_ops;
    static const struct {
        const char *base, *model;
        enum lmx_endpoint ep;
        bool stream;
        const char *want;
    } cases[] = {
        {NULL, "gemini-2.5-flash", LMX_EP_CHAT, false,
         "https://generativelanguage.googleapis.com/v1beta/models/"
         "gemini-2.5-flash:generateContent"},
        {NULL, "gemini-2.5-flash", LMX_EP_CHAT, true,
         "https://generativelanguage.googleapis.com/v1beta/models/"
         "gemini-2.5-flash:streamGenerateContent?alt=sse"},
        {"http://127.0.0.1:9/", "models/gemini-pro", LMX_EP_CHAT, false,
         "http://127.0.0.1:9/v1beta/models/gemini-pro:generateContent"},
        {"http://127.0.0.1:9/v1beta", "gemini-pro", LMX_EP_CHAT, true,
         "http://127.0.0.1:9/v1beta/models/gemini-pro:streamGenerateContent?alt=sse"},
        {"https://gw.example/v1/acct/gw/google-ai-studio/v1alpha", "g", LMX_EP_CHAT, false,
         "https://gw.example/v1/acct/gw/google-ai-studio/v1alpha/models/g:generateContent"},
        {"https://gw.example/v1/acct/gw/google-ai-studio", "g", LMX_EP_CHAT, false,
         "https://gw.example/v1/acct/gw/google-ai-studio/v1beta/models/g:generateContent"},
        {"http://h/v1", "text-embedding-004", LMX_EP_EMBEDDINGS, false,
         "http://h/v1/models/text-embedding-004:batchEmbedContents"},
        {"http://h", "odd name?", LMX_EP_CHAT, false,
         "http://h/v1beta/models/odd%20name%3F:generateContent"},
    };
    json_t *chat = J("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    json_t *emb = J("{\"model\":\"x\",\"input\":\"hi\"}");

    unsetenv("GEMINI_API_BASE");
    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        struct lmx_deployment d;
        struct lmx_pcall pc;
        struct lmx_perr pe = {0, "", "", ""};
        struct lmx_upreq up;
        int rc;

        dep_init(&d, cases[i].model, cases[i].base, "k-123");
        pc_init(&pc, &d, cases[i].ep == LMX_EP_CHAT ? chat : emb, cases[i].ep, cases[i].stream,
                false);
        lmx_upreq_init(&up);
        rc = ops->build(&pc, &up, &pe);
        ASSERT_(rc == 0, "case %zu: %d %s", i, rc, pe.message);
        ASSERT_STR_EQ(up.url.data, cases[i].want);
        ASSERT_STR_EQ(up.method, "POST");
        ASSERT_STR_EQ(header(&up, "x-goog-api-key"), "k-123");
        ASSERT_STR_EQ(header(&up, "Content-Type"), "application/json");
        ASSERT(header(&up, "Authorization") == NULL);
        ASSERT((pc.state != NULL) == (cases[i].stream && cases[i].ep == LMX_EP_CHAT));
        ops->release(&pc);
        ASSERT(pc.state == NULL);
        lmx_upreq_release(&up);
    }

    /* no api_key: GOOGLE_API_KEY, then GEMINI_API_KEY (LiteLLM's order); no key at all: no header
     */
    {
        struct lmx_deployment d;
        struct lmx_pcall pc;
        struct lmx_perr pe = {0, "", "", ""};
        struct lmx_upreq up;

        dep_init(&d, "g", NULL, NULL);
        pc_init(&pc, &d, chat, LMX_EP_CHAT, false, false);
        setenv("GEMINI_API_KEY", "from-gemini", 1);
        setenv("GOOGLE_API_KEY", "from-google", 1);
        setenv("GEMINI_API_BASE", "http://envbase:1", 1);
        lmx_upreq_init(&up);
        ASSERT_EQ(ops->build(&pc, &up, &pe), 0);
        ASSERT_STR_EQ(header(&up, "x-goog-api-key"), "from-google");
        ASSERT_STR_EQ(up.url.data, "http://envbase:1/v1beta/models/g:generateContent");
        lmx_upreq_release(&up);
        unsetenv("GOOGLE_API_KEY");
        lmx_upreq_init(&up);
        ASSERT_EQ(ops->build(&pc, &up, &pe), 0);
        ASSERT_STR_EQ(header(&up, "x-goog-api-key"), "from-gemini");
        lmx_upreq_release(&up);
        unsetenv("GEMINI_API_KEY");
        unsetenv("GEMINI_API_BASE");
        lmx_upreq_init(&up);
        ASSERT_EQ(ops->build(&pc, &up, &pe), 0);
        ASSERT(header(&up, "x-goog-api-key") == NULL);
        lmx_upreq_release(&up);
    }

    /* legacy /completions is not a Gemini surface */
    {
        struct lmx_deployment d;
        struct lmx_pcall pc;
        struct lmx_perr pe = {0, "", "", ""};
        struct lmx_upreq up;

        dep_init(&d, "g", NULL, "k");
        pc_init(&pc, &d, chat, LMX_EP_COMPLETIONS, false, false);
        lmx_upreq_init(&up);
        ASSERT_EQ(ops->build(&pc, &up, &pe), LMX_EBADREQ);
        ASSERT_EQ(pe.status, 400);
        lmx_upreq_release(&up);
    }
    json_decref(chat);
    json_decref(emb);
}

/* ------------------------------------------------------------------------ */
/* Requests */

static int
translate(const char *model, const char *req_text, bool drop, json_t **out, struct lmx_perr *pe)
{
    struct lmx_gemini_opts o = {.provider = "gemini", .model = model, .drop_params = drop};
    json_t *req = J(req_text);
    int rc;

    memset(pe, 0, sizeof(*pe));
    *out = NULL;
    rc = lmx_gemini_chat_request(&o, req, out, pe);
    json_decref(req);
    return rc;
}

static void test_request_golden(void)
{
    const char *req =
        "{\"model\":\"gem\",\"stream\":false,\"user\":\"u1\",\"metadata\":{\"a\":\"b\"},"
        "\"messages\":["
        "{\"role\":\"system\",\"content\":\"You are terse.\"},"
        "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Use metric units.\"}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in this image?\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.jpg?x=1\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/blob\",\"format\":"
        "\"image/webp\"}}]},"
        "{\"role\":\"assistant\",\"content\":\"Let me check.\",\"tool_calls\":["
        "{\"id\":\"call_abc__thought__U0lH\",\"type\":\"function\",\"function\":{\"name\":"
        "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
        "{\"id\":\"call_def\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
        "\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_abc__thought__U0lH\",\"content\":"
        "\"{\\\"temp\\\":21}\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_def\",\"content\":\"noon\"},"
        "{\"role\":\"user\",\"content\":\"Thanks\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
        "\"Weather for a city\",\"strict\":true,\"parameters\":{\"$schema\":"
        "\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
        "\"additionalProperties\":false,\"properties\":{\"city\":{\"type\":\"string\","
        "\"description\":\"City\",\"format\":\"email\"},\"when\":{\"type\":\"string\",\"format\":"
        "\"date-time\",\"exclusiveMinimum\":1},\"unit\":{\"$ref\":\"#/$defs/"
        "Unit\"},\"days\":{\"anyOf\":"
        "[{\"type\":\"integer\"},{\"type\":\"null\"}]}},\"required\":[\"city\"],\"$defs\":"
        "{\"Unit\":{\"type\":\"string\",\"enum\":[\"C\",\"F\"]}}}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":"
        "\"object\",\"properties\":{}}}}],"
        "\"tool_choice\":\"required\",\"max_completion_tokens\":256,\"max_tokens\":9,"
        "\"temperature\":0.5,\"top_p\":0.9,\"stop\":[\"END\"],\"n\":1,\"seed\":7,"
        "\"presence_penalty\":0.1,\"frequency_penalty\":0.2,\"response_format\":{\"type\":"
        "\"json_object\"},\"reasoning_effort\":\"medium\"}";
    const char *want =
        "{\"contents\":["
        "{\"role\":\"user\",\"parts\":[{\"text\":\"What is in this image?\"},"
        "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AAAA\"}},"
        "{\"fileData\":{\"mimeType\":\"image/jpeg\",\"fileUri\":\"https://example.com/"
        "cat.jpg?x=1\"}},"
        "{\"fileData\":{\"mimeType\":\"image/webp\",\"fileUri\":\"https://example.com/blob\"}}]},"
        "{\"role\":\"model\",\"parts\":[{\"text\":\"Let me check.\"},"
        "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},"
        "\"thoughtSignature\":\"U0lH\"},"
        "{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},"
        "{\"role\":\"user\",\"parts\":["
        "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":21}}},"
        "{\"functionResponse\":{\"name\":\"get_time\",\"response\":{\"content\":\"noon\"}}}]},"
        "{\"role\":\"user\",\"parts\":[{\"text\":\"Thanks\"}]}],"
        "\"systemInstruction\":{\"parts\":[{\"text\":\"You are terse.\"},{\"text\":\"Use metric "
        "units.\"}]},"
        "\"tools\":[{\"functionDeclarations\":["
        "{\"name\":\"get_weather\",\"description\":\"Weather for a city\",\"parameters\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":"
        "\"City\"},\"when\":{\"type\":\"string\",\"format\":\"date-time\"},\"unit\":{\"type\":"
        "\"string\",\"enum\":[\"C\",\"F\"]},\"days\":{\"type\":"
        "\"integer\",\"nullable\":true}},\"required\":[\"city\"]}},"
        "{\"name\":\"get_time\"}]}],"
        "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\"}},"
        "\"generationConfig\":{\"maxOutputTokens\":256,\"temperature\":0.5,\"topP\":0.9,"
        "\"candidateCount\":1,\"seed\":7,\"presencePenalty\":0.1,\"frequencyPenalty\":0.2,"
        "\"stopSequences\":[\"END\"],\"responseMimeType\":\"application/json\","
        "\"thinkingConfig\":{\"thinkingBudget\":2048,\"includeThoughts\":true}}}";
    struct lmx_perr pe;
    json_t *got, *w = J(want);

    ASSERT_EQ(translate("gemini-2.5-flash", req, false, &got, &pe), 0);
    ASSERT(same(got, w));
    json_decref(got);
    json_decref(w);
}

static void test_request_variants(void)
{
    struct lmx_perr pe;
    json_t *got, *w;

    /* a named tool_choice, json_schema output, gemini-3 defaults (temperature 1, thinkingLevel),
       a first tool call without signature gets the documented dummy one on gemini-3 */
    ASSERT_EQ(translate("gemini-3-pro-preview",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":"
                        "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                        "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":[{\"type\":"
                        "\"text\",\"text\":\"[1,2]\"}]}],"
                        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                        "{\"googleSearch\":{}}],"
                        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                        "\"stop\":\"X\",\"reasoning_effort\":\"high\","
                        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
                        "\"r\",\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":"
                        "{\"a\":{\"type\":[\"string\",\"null\"]},\"b\":{\"const\":\"k\"}},"
                        "\"additionalProperties\":false}}}}",
                        false, &got, &pe),
              0);
    w = J("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},"
          "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{}},"
          "\"thoughtSignature\":\"skip_thought_signature_validator\"}]},"
          "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"f\",\"response\":"
          "{\"content\":\"[1,2]\"}}}]}],"
          "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\"}]},{\"googleSearch\":{}}],"
          "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":"
          "[\"f\"]}},"
          "\"generationConfig\":{\"stopSequences\":[\"X\"],\"responseMimeType\":"
          "\"application/json\",\"responseSchema\":{\"type\":\"object\",\"properties\":{\"a\":"
          "{\"type\":\"string\",\"nullable\":true},\"b\":{\"enum\":[\"k\"]}}},"
          "\"thinkingConfig\":{\"thinkingLevel\":\"high\",\"includeThoughts\":true},"
          "\"temperature\":1.0}}");
    ASSERT(same(got, w));
    json_decref(got);
    json_decref(w);

    /* gemma: no systemInstruction; the system text opens the first user turn */
    ASSERT_EQ(translate("gemma-3-27b-it",
                        "{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\","
                        "\"content\":\"U\"}],\"max_tokens\":5,\"tool_choice\":\"none\"}",
                        false, &got, &pe),
              0);
    w = J("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"S\"},{\"text\":\"U\"}]}],"
          "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}},"
          "\"generationConfig\":{\"maxOutputTokens\":5}}");
    ASSERT(same(got, w));
    json_decref(got);
    json_decref(w);

    /* audio, files and a media-only user turn (a blank text part is added, as LiteLLM does);
       reasoning none, Anthropic-style thinking is ignored when reasoning_effort is given */
    ASSERT_EQ(
        translate("gemini-2.0-flash",
                  "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\","
                  "\"input_audio\":{\"data\":\"QUJD\",\"format\":\"mp3\"}},{\"type\":\"file\","
                  "\"file\":{\"file_data\":\"data:application/pdf;base64,JVBE\"}},"
                  "{\"type\":\"file\",\"file\":{\"file_id\":\"gs://b/doc.pdf\"}}]}],"
                  "\"reasoning_effort\":\"none\",\"thinking\":{\"type\":\"enabled\","
                  "\"budget_tokens\":99}}",
                  false, &got, &pe),
        0);
    w = J("{\"contents\":[{\"role\":\"user\",\"parts\":["
          "{\"inlineData\":{\"mimeType\":\"audio/mp3\",\"data\":\"QUJD\"}},"
          "{\"inlineData\":{\"mimeType\":\"application/pdf\",\"data\":\"JVBE\"}},"
          "{\"fileData\":{\"mimeType\":\"application/pdf\",\"fileUri\":\"gs://b/doc.pdf\"}},"
          "{\"text\":\" \"}]}],"
          "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":0,\"includeThoughts\":"
          "false}}}");
    ASSERT(same(got, w));
    json_decref(got);
    json_decref(w);

    /* thinking (Anthropic style), legacy functions + function_call, a recursive $ref dropped */
    ASSERT_EQ(translate("gemini-2.5-pro",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512},"
                        "\"functions\":[{\"name\":\"tree\",\"parameters\":{\"$defs\":{\"N\":"
                        "{\"type\":\"object\",\"properties\":{\"kid\":{\"$ref\":\"#/$defs/N\"},"
                        "\"v\":{\"type\":\"integer\"}}}},\"$ref\":\"#/$defs/N\"}}],"
                        "\"function_call\":{\"name\":\"tree\"},\"top_k\":3,\"logprobs\":true,"
                        "\"top_logprobs\":2,\"modalities\":[\"text\"]}",
                        false, &got, &pe),
              0);
    w = J("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
          "\"tools\":[{\"functionDeclarations\":[{\"name\":\"tree\",\"parameters\":{\"type\":"
          "\"object\",\"properties\":{\"kid\":{},\"v\":{\"type\":\"integer\"}}}}]}],"
          "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":"
          "[\"tree\"]}},"
          "\"generationConfig\":{\"topK\":3,\"responseLogprobs\":true,\"logprobs\":2,"
          "\"responseModalities\":[\"TEXT\"],\"thinkingConfig\":{\"includeThoughts\":true,"
          "\"thinkingBudget\":512}}}");
    ASSERT(same(got, w));
    json_decref(got);
    json_decref(w);
}

/* Vertex AI keeps every schema format; AI Studio only the ones it accepts. */
static void test_request_formats(void)
{
    json_t *req =
        J("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
          "\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
          "\"properties\":{\"u\":{\"type\":\"string\",\"format\":\"uri\"},\"n\":{\"type\":"
          "\"number\",\"format\":\"double\"}}}}}]}");
    struct lmx_perr pe = {0, "", "", ""};
    json_t *out = NULL;

    for (int vertex = 0; vertex < 2; vertex++) {
        struct lmx_gemini_opts o = {
            .provider = "x", .model = "gemini-2.5-flash", .vertex = vertex == 1};
        const json_t *props;

        ASSERT_EQ(lmx_gemini_chat_request(&o, req, &out, &pe), 0);
        props = json_object_get(
            json_object_get(
                json_array_get(json_object_get(json_array_get(json_object_get(out, "tools"), 0),
                                               "functionDeclarations"),
                               0),
                "parameters"),
            "properties");
        ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(props, "n"), "format")),
                      "double");
        if (vertex)
            ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(props, "u"), "format")),
                          "uri");
        else
            ASSERT(json_object_get(json_object_get(props, "u"), "format") == NULL);
        json_decref(out);
        out = NULL;
    }
    json_decref(req);
}

static void test_request_errors(void)
{
    struct lmx_perr pe;
    json_t *got;

    /* a parameter Gemini lacks: 400 naming it, unless drop_params */
    ASSERT_EQ(translate("gemini-2.5-flash",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":"
                        "{\"1\":2}}",
                        false, &got, &pe),
              LMX_EBADPARAM);
    ASSERT_EQ(pe.status, 400);
    ASSERT_STR_EQ(pe.type, "invalid_request_error");
    ASSERT_STR_EQ(pe.param, "logit_bias");
    ASSERT(strstr(pe.message, "gemini does not support parameters: ['logit_bias']") != NULL);
    ASSERT(strstr(pe.message, "drop_params") != NULL);
    ASSERT(got == NULL);
    ASSERT_EQ(translate("gemini-2.5-flash",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":"
                        "{\"1\":2}}",
                        true, &got, &pe),
              0);
    ASSERT(json_object_get(got, "generationConfig") == NULL);
    json_decref(got);

    /* gemini-3 takes no penalties */
    ASSERT_EQ(translate("gemini-3-flash-preview",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        "\"frequency_penalty\":0.3}",
                        false, &got, &pe),
              LMX_EBADPARAM);
    ASSERT_STR_EQ(pe.param, "frequency_penalty");
    ASSERT_EQ(translate("gemini-3-flash-preview",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        "\"frequency_penalty\":0.3}",
                        true, &got, &pe),
              0);
    ASSERT(json_object_get(json_object_get(got, "generationConfig"), "frequencyPenalty") == NULL);
    json_decref(got);

    /* a tool_choice Gemini has no mode for */
    ASSERT_EQ(translate("gemini-2.5-flash",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":"
                        "\"validated\"}",
                        false, &got, &pe),
              LMX_EBADPARAM);
    ASSERT(strstr(pe.message, "tool_choice=validated") != NULL);
    ASSERT_EQ(translate("gemini-2.5-flash",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":"
                        "\"validated\"}",
                        true, &got, &pe),
              0);
    ASSERT(json_object_get(got, "toolConfig") == NULL);
    json_decref(got);

    /* bodies that cannot be expressed: 400 with a reason */
    static const char *const bad[] = {
        "{\"messages\":[]}",
        "{\"model\":\"x\"}",
        "{\"messages\":[{\"content\":\"no role\"}]}",
        "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}",
        "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"nope\",\"content\":\"x\"}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"data:image/png,rawbytes\"}}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
        "{\"url\":\"ftp://x/y.png\"}}]}]}",
        "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"a\",\"function\":"
        "{\"name\":\"f\",\"arguments\":\"{not json\"}}]}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"extreme\"}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\","
        "\"function\":{\"description\":\"no name\"}}]}",
    };
    for (size_t i = 0; i < LMX_ARRAY_SIZE(bad); i++) {
        int rc = translate("gemini-2.5-flash", bad[i], true, &got, &pe);

        ASSERT_(rc == LMX_EBADREQ, "case %zu: rc %d", i, rc);
        ASSERT_(pe.status == 400 && pe.message[0] != '\0', "case %zu: %d '%s'", i, pe.status,
                pe.message);
        ASSERT(got == NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void check_answer(const char *body, const char *want_text)
{
    struct lmx_perr pe = {0, "", "", ""};
    json_t *got = NULL, *want = J(want_text);

    ASSERT_EQ(lmx_gemini_chat_response("gemini-2.5-flash", body, strlen(body), &got, &pe), 0);
    ASSERT(norm(got));
    ASSERT(same(got, want));
    json_decref(got);
    json_decref(want);
}

static void test_answers(void)
{
    /* text, thoughts, a tool call with a thought signature, usage with cache and thoughts */
    check_answer(
        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Thinking...\","
        "\"thought\":true},{\"text\":\"It is \"},{\"text\":\"sunny.\"},{\"functionCall\":"
        "{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"U0lH\"}]},"
        "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":10,"
        "\"candidatesTokenCount\":5,\"thoughtsTokenCount\":7,\"totalTokenCount\":22,"
        "\"cachedContentTokenCount\":4},\"responseId\":\"resp-1\",\"modelVersion\":\"x\"}",
        "{\"id\":\"resp-1\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
        "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"It is sunny.\",\"tool_calls\":[{\"id\":\"call_X__thought__U0lH\",\"type\":"
        "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
        "\"{\\\"city\\\":\\\"Paris\\\"}\"}}],\"reasoning_content\":\"Thinking...\"},"
        "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":10,"
        "\"completion_tokens\":12,\"total_tokens\":22,\"prompt_tokens_details\":"
        "{\"cached_tokens\":4},\"completion_tokens_details\":{\"reasoning_tokens\":7}}}");
    /* MAX_TOKENS -> length; candidates already counting thoughts (prompt + candidates = total);
       two candidates (n=2) */
    check_answer("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"cut\"}]},\"finishReason\":"
                 "\"MAX_TOKENS\"},{\"index\":1,\"content\":{\"parts\":[{\"text\":\"b\"}]},"
                 "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,"
                 "\"candidatesTokenCount\":9,\"thoughtsTokenCount\":4,\"totalTokenCount\":12}}",
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
                 "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":\"cut\"},\"finish_reason\":\"length\"},{\"index\":1,"
                 "\"message\":{\"role\":\"assistant\",\"content\":\"b\"},\"finish_reason\":"
                 "\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9,"
                 "\"total_tokens\":12,\"completion_tokens_details\":{\"reasoning_tokens\":4}}}");
    /* a filtered candidate: no content, content_filter (LiteLLM) */
    check_answer("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"partial\"}]},"
                 "\"finishReason\":\"RECITATION\"}],\"usageMetadata\":{\"promptTokenCount\":2,"
                 "\"totalTokenCount\":2}}",
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
                 "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":null},\"finish_reason\":\"content_filter\"}],"
                 "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":0,\"total_tokens\":2}}");
    /* a blocked prompt: no candidates at all */
    check_answer("{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
                 "{\"promptTokenCount\":5,\"totalTokenCount\":5}}",
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
                 "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":null},\"finish_reason\":\"content_filter\"}],"
                 "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":0,\"total_tokens\":5}}");
    /* only empty text: content null */
    check_answer("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}]},\"finishReason\":"
                 "\"STOP\"}]}",
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion\",\"created\":0,\"model\":"
                 "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                 "\"assistant\",\"content\":null},\"finish_reason\":\"stop\"}],\"usage\":"
                 "{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}");

    /* not an answer */
    {
        struct lmx_perr pe = {0, "", "", ""};
        json_t *got = NULL;
        const char *e = "{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":"
                        "\"UNAVAILABLE\"}}";

        ASSERT_EQ(lmx_gemini_chat_response("m", "<html>", 6, &got, &pe), LMX_EUPSTREAM);
        ASSERT(pe.message[0] != '\0');
        ASSERT(got == NULL);
        ASSERT_EQ(lmx_gemini_chat_response("m", e, strlen(e), &got, &pe), LMX_EUPSTREAM);
        ASSERT_EQ(pe.status, 503);
        ASSERT_STR_EQ(pe.message, "overloaded");
    }
}

/* ------------------------------------------------------------------------ */
/* Streams */

#define EV(json) "data: " json "\r\n\r\n"

static const char golden_stream[] = EV(
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Plan.\","
    "\"thought\":true}]},\"index\":0}],\"responseId\":\"sid\"}")
    EV("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Hel\"}]},"
       "\"index\":0}],\"responseId\":\"sid\"}")
        EV("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"lo "
           "\\u00e9\"}]},"
           "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}")
            EV("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{"
               "\"name\":"
               "\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"U0lH\"}]},"
               "\"index\":0}]}") EV("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{"
                                    "\"functionCall\":{\"name\":"
                                    "\"get_time\",\"args\":{}}}]},\"index\":0}]}")
                EV("{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},"
                   "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{"
                   "\"promptTokenCount\":5,"
                   "\"candidatesTokenCount\":7,\"totalTokenCount\":12}}");

static const char golden_chunks[] =
    "["
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\","
    "\"reasoning_content\":\"Plan.\",\"role\":\"assistant\"},\"finish_reason\":null}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
    "\"finish_reason\":null}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9\"},"
    "\"finish_reason\":null}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":"
    "\"call_X__thought__U0lH\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},\"index\":0}]},\"finish_reason\":null}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":"
    "\"call_X\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"},"
    "\"index\":1}]},\"finish_reason\":null}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
    "\"tool_calls\"}]},"
    "{\"id\":\"sid\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
    "\"gemini-2.5-flash\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
    "\"total_tokens\":12}}"
    "]";

static void test_stream_every_split(void)
{
    size_t n = sizeof(golden_stream) - 1;
    json_t *want = J(golden_chunks);
    struct lmx_perr pe;
    json_t *got;
    size_t *cuts = malloc(n * sizeof(*cuts));

    /* one feed */
    ASSERT_EQ(decode(golden_stream, n, NULL, 0, true, &got, &pe), 0);
    ASSERT(norm(got));
    ASSERT(same(got, want));
    json_decref(got);
    /* every two-piece split */
    for (size_t k = 0; k <= n; k++) {
        bool ok;

        ASSERT_(decode(golden_stream, n, &k, 1, true, &got, &pe) == 0, "split at %zu: %s", k,
                pe.message);
        ok = norm(got) && json_equal(got, want);
        if (!ok)
            same(got, want);
        json_decref(got);
        ASSERT_(ok, "split at %zu", k);
    }
    /* one byte at a time */
    for (size_t k = 0; k + 1 < n; k++)
        cuts[k] = k + 1;
    ASSERT_EQ(decode(golden_stream, n, cuts, n - 1, true, &got, &pe), 0);
    ASSERT(norm(got));
    ASSERT(same(got, want));
    json_decref(got);
    /* without include_usage: no usage chunk */
    ASSERT_EQ(decode(golden_stream, n, NULL, 0, false, &got, &pe), 0);
    ASSERT_EQ(json_array_size(got), json_array_size(want) - 1);
    json_decref(got);
    free(cuts);
    json_decref(want);
}

static void test_stream_cases(void)
{
    struct lmx_perr pe;
    json_t *got, *want;
    struct assembled a;

    /* a mid-stream error event: the status and message of the event */
    {
        static const char s[] =
            EV("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}") EV(
                "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":"
                "\"RESOURCE_EXHAUSTED\"}}");

        ASSERT_EQ(decode(s, sizeof(s) - 1, NULL, 0, true, &got, &pe), LMX_EUPSTREAM);
        ASSERT_EQ(pe.status, 429);
        ASSERT_STR_EQ(pe.type, "rate_limit_error");
        ASSERT_STR_EQ(pe.message, "Resource has been exhausted");
        ASSERT_EQ(json_array_size(got), 1);
        json_decref(got);
    }
    /* an event that is not JSON */
    {
        static const char s[] = EV("{\"candidates\":");

        ASSERT_EQ(decode(s, sizeof(s) - 1, NULL, 0, true, &got, &pe), LMX_EUPSTREAM);
        ASSERT(pe.message[0] != '\0');
        json_decref(got);
    }
    /* a blocked prompt: one content_filter chunk, then usage */
    {
        static const char s[] =
            EV("{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":"
               "{\"promptTokenCount\":8,\"totalTokenCount\":8},\"responseId\":\"b\"}");

        ASSERT_EQ(decode(s, sizeof(s) - 1, NULL, 0, true, &got, &pe), 0);
        want = J("[{\"id\":\"b\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
                 "\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                 "\"assistant\"},\"finish_reason\":\"content_filter\"}]},{\"id\":\"b\",\"object\":"
                 "\"chat.completion.chunk\",\"created\":0,\"model\":\"gemini-2.5-flash\","
                 "\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":0,"
                 "\"total_tokens\":8}}]");
        ASSERT(norm(got));
        ASSERT(same(got, want));
        json_decref(want);
        json_decref(got);
    }
    /* LF endings, a last event without its blank line, no finishReason: "stop" is added;
       MAX_TOKENS maps to length; two candidates keep their indexes */
    {
        static const char s[] =
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"index\":0},"
            "{\"content\":{\"parts\":[{\"text\":\"y\"}]},\"index\":1,\"finishReason\":"
            "\"MAX_TOKENS\"}]}\n\n"
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"z\"}]},\"index\":0}]}";

        ASSERT_EQ(decode(s, sizeof(s) - 1, NULL, 0, false, &got, &pe), 0);
        want = J("[{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                 "\"x\",\"role\":\"assistant\"},\"finish_reason\":null}]},"
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":1,\"delta\":{\"content\":"
                 "\"y\",\"role\":\"assistant\"},\"finish_reason\":null}]},"
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":1,\"delta\":{},"
                 "\"finish_reason\":\"length\"}]},"
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                 "\"z\"},\"finish_reason\":null}]},"
                 "{\"id\":\"chatcmpl-X\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                 "\"model\":\"gemini-2.5-flash\",\"choices\":[{\"index\":0,\"delta\":{},"
                 "\"finish_reason\":\"stop\"}]}]");
        ASSERT(norm(got));
        ASSERT(same(got, want));
        json_decref(want);
        json_decref(got);
    }
    /* a tool call only: content null in the first delta, finish tool_calls */
    {
        static const char s[] =
            EV("{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
               "\"args\":{\"q\":[1,\"\\u00fc\"]}}}]},\"finishReason\":\"STOP\"}]}");

        ASSERT_EQ(decode(s, sizeof(s) - 1, NULL, 0, false, &got, &pe), 0);
        assemble(got, &a);
        ASSERT_STR_EQ(S(&a.calls), "f\x01{\"q\":[1,\"\xc3\xbc\"]}\x02");
        ASSERT_STR_EQ(a.finish, "tool_calls");
        ASSERT_EQ(a.nfinish, 1);
        ASSERT(json_is_null(json_object_get(
            json_object_get(json_array_get(json_object_get(json_array_get(got, 0), "choices"), 0),
                            "delta"),
            "content")));
        assembled_release(&a);
        json_decref(got);
    }
    /* the callback's refusal stops the feed with its code */
    {
        struct lmx_gemini_stream *st = NULL;

        ASSERT_EQ(lmx_gemini_stream_new(&st, "m", false), 0);
        memset(&pe, 0, sizeof(pe));
        ASSERT_EQ(lmx_gemini_stream_feed(st, golden_stream, sizeof(golden_stream) - 1, refuse_cb,
                                         NULL, &pe),
                  LMX_ECLIENT);
        lmx_gemini_stream_free(st);
    }
}

/* ------------------------------------------------------------------------ */
/* Errors */

static void test_errors(void)
{
    struct lmx_perr pe;
    static const struct {
        long status;
        const char *body, *type, *msg;
    } cases[] = {
        {429, "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}",
         "rate_limit_error", "quota"},
        {400,
         "{\"error\":{\"code\":400,\"message\":\"API key not valid.\",\"status\":"
         "\"INVALID_ARGUMENT\"}}",
         "invalid_request_error", "API key not valid."},
        {403, "{\"error\":{\"code\":403,\"message\":\"denied\",\"status\":\"PERMISSION_DENIED\"}}",
         "auth_error", "denied"},
        {401, "{\"error\":{\"code\":401,\"message\":\"who\",\"status\":\"UNAUTHENTICATED\"}}",
         "auth_error", "who"},
        {404, "{\"error\":{\"code\":404,\"message\":\"no model\",\"status\":\"NOT_FOUND\"}}",
         "not_found_error", "no model"},
        {503, "[{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}]",
         "internal_server_error", "busy"},
        {504, "{\"error\":{\"code\":504,\"message\":\"slow\",\"status\":\"DEADLINE_EXCEEDED\"}}",
         "timeout", "slow"},
        {500, "oops", "internal_server_error", "gemini returned HTTP 500: oops"},
        {429, "", "rate_limit_error", "gemini returned HTTP 429"},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        memset(&pe, 0, sizeof(pe));
        lmx_gemini_error(cases[i].status, cases[i].body, strlen(cases[i].body), &pe);
        ASSERT_EQ(pe.status, cases[i].status);
        ASSERT_STR_EQ(pe.type, cases[i].type);
        ASSERT_STR_EQ(pe.message, cases[i].msg);
    }
    /* through the ops table */
    memset(&pe, 0, sizeof(pe));
    lmx_provider_gemini_ops.map_error(NULL, 429, cases[0].body, strlen(cases[0].body), &pe);
    ASSERT_EQ(pe.status, 429);
    ASSERT_STR_EQ(pe.type, "rate_limit_error");
}

/* ------------------------------------------------------------------------ */
/* Embeddings */

static void test_embeddings(void)
{
    struct lmx_gemini_opts o = {.provider = "gemini", .model = "text-embedding-004"};
    struct lmx_perr pe = {0, "", "", ""};
    json_t *req = J("{\"model\":\"e\",\"input\":[\"hello world\",\"bye\"],\"dimensions\":4,"
                    "\"encoding_format\":\"float\",\"user\":\"u\",\"task_type\":"
                    "\"RETRIEVAL_QUERY\"}");
    json_t *got = NULL, *want;
    const char *answer = "{\"embeddings\":[{\"values\":[0.1,0.2,0.3,0.4]},{\"values\":[1,2,3,4]}]}";

    ASSERT_EQ(lmx_gemini_embed_request(&o, req, &got, &pe), 0);
    want = J("{\"requests\":[{\"model\":\"models/text-embedding-004\",\"content\":{\"parts\":"
             "[{\"text\":\"hello world\"}]},\"outputDimensionality\":4,\"taskType\":"
             "\"RETRIEVAL_QUERY\"},{\"model\":\"models/text-embedding-004\",\"content\":"
             "{\"parts\":[{\"text\":\"bye\"}]},\"outputDimensionality\":4,\"taskType\":"
             "\"RETRIEVAL_QUERY\"}]}");
    ASSERT(same(got, want));
    json_decref(got);
    json_decref(want);

    ASSERT_EQ(
        lmx_gemini_embed_response("text-embedding-004", req, answer, strlen(answer), &got, &pe), 0);
    want =
        J("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":"
          "[0.1,0.2,0.3,0.4]},{\"object\":\"embedding\",\"index\":1,\"embedding\":[1,2,3,4]}],"
          "\"model\":\"text-embedding-004\",\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}");
    ASSERT(same(got, want));
    json_decref(got);
    json_decref(want);
    json_decref(req);

    /* token ids are not text; base64 output is not offered (unless dropped) */
    req = J("{\"input\":[[1,2,3]]}");
    ASSERT_EQ(lmx_gemini_embed_request(&o, req, &got, &pe), LMX_EBADREQ);
    json_decref(req);
    req = J("{\"input\":\"x\",\"encoding_format\":\"base64\"}");
    ASSERT_EQ(lmx_gemini_embed_request(&o, req, &got, &pe), LMX_EBADPARAM);
    o.drop_params = true;
    ASSERT_EQ(lmx_gemini_embed_request(&o, req, &got, &pe), 0);
    json_decref(got);
    json_decref(req);
    ASSERT_EQ(lmx_gemini_embed_response("m", NULL, "{}", 2, &got, &pe), LMX_EUPSTREAM);
}

/* ------------------------------------------------------------------------ */
/* The ops table end to end: build -> parse / stream -> release */

static void test_ops_roundtrip(void)
{
    const struct lmx_provider_ops *ops = &lmx_provider_gemini_ops;
    struct lmx_deployment d;
    struct lmx_pcall pc;
    struct lmx_perr pe = {0, "", "", ""};
    struct lmx_upreq up;
    json_t *req = J("{\"model\":\"g\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}");
    const char *ok_answer = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"ok\"}]}}]}";
    json_t *body, *want, *chunks = json_array(), *out = NULL;
    struct assembled a;

    dep_init(&d, "gemini-2.5-flash", "http://127.0.0.1:1", "k");
    pc_init(&pc, &d, req, LMX_EP_CHAT, true, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &pe), 0);
    body = json_loadb(up.body.data, up.body.len, 0, NULL);
    want = J("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}],"
             "\"generationConfig\":{\"maxOutputTokens\":3}}");
    ASSERT(same(body, want));
    json_decref(want);
    ASSERT_EQ(ops->stream_feed(&pc, golden_stream, 100, collect_cb, chunks, &pe), 0);
    ASSERT_EQ(ops->stream_feed(&pc, golden_stream + 100, sizeof(golden_stream) - 101, collect_cb,
                               chunks, &pe),
              0);
    ASSERT_EQ(ops->stream_end(&pc, collect_cb, chunks, &pe), 0);
    assemble(chunks, &a);
    ASSERT_STR_EQ(S(&a.text), "Hello \xc3\xa9");
    ASSERT_STR_EQ(S(&a.reasoning), "Plan.");
    ASSERT_EQ(json_integer_value(json_object_get(a.usage, "total_tokens")), 12);
    assembled_release(&a);
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(body);

    pc_init(&pc, &d, req, LMX_EP_CHAT, false, false);
    lmx_upreq_init(&up);
    ASSERT_EQ(ops->build(&pc, &up, &pe), 0);
    ASSERT_EQ(ops->parse(&pc, ok_answer, strlen(ok_answer), &out, &pe), 0);
    ASSERT_STR_EQ(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message"),
            "content")),
        "ok");
    ops->release(&pc);
    lmx_upreq_release(&up);
    json_decref(out);
    json_decref(chunks);
    json_decref(req);
}

/* ------------------------------------------------------------------------ */
/* Recorded traffic */

static const char *fixtures_dir(char *buf, size_t n)
{
    const char *dir = getenv("LMX_FIXTURES");
    DIR *d;

    snprintf(buf, n, "%s/gemini", dir != NULL ? dir : "../shared/fixtures");
    d = opendir(buf);
    if (d == NULL)
        return NULL;
    closedir(d);
    return buf;
}

/* What a recorded GenerateContentResponse list says, for the checks. */
struct recorded {
    bool text, thought;
    json_t *calls;       /* functionCall objects, in order */
    const json_t *usage; /* the last usageMetadata (borrowed from `all`) */
    json_t *all;         /* the responses */
};

static void recorded_add(struct recorded *r, json_t *resp)
{
    size_t i, j;
    const json_t *c, *p;

    json_array_append_new(r->all, resp);
    if (json_is_object(json_object_get(resp, "usageMetadata")))
        r->usage = json_object_get(resp, "usageMetadata");
    json_array_foreach(json_object_get(resp, "candidates"), i, c) {
        json_array_foreach(json_object_get(json_object_get(c, "content"), "parts"), j, p) {
            if (json_string_length(json_object_get(p, "text")) > 0) {
                if (json_is_true(json_object_get(p, "thought")))
                    r->thought = true;
                else
                    r->text = true;
            }
            if (json_is_object(json_object_get(p, "functionCall")))
                json_array_append(r->calls, json_object_get(p, "functionCall"));
        }
    }
}

static void check_usage(const json_t *u, const json_t *um, const char *name)
{
    long long prompt = json_integer_value(json_object_get(um, "promptTokenCount"));
    long long cand = json_integer_value(json_object_get(um, "candidatesTokenCount"));
    long long th = json_integer_value(json_object_get(um, "thoughtsTokenCount"));
    long long total = json_integer_value(json_object_get(um, "totalTokenCount"));

    ASSERT_(json_is_object(u), "%s: no usage", name);
    ASSERT_(json_integer_value(json_object_get(u, "prompt_tokens")) == prompt, "%s: prompt", name);
    ASSERT_(json_integer_value(json_object_get(u, "total_tokens")) == total, "%s: total", name);
    ASSERT_(json_integer_value(json_object_get(u, "completion_tokens")) ==
                (prompt + cand == total ? cand : cand + th),
            "%s: completion", name);
    if (json_object_get(um, "thoughtsTokenCount") != NULL)
        ASSERT_(json_integer_value(json_object_get(json_object_get(u, "completion_tokens_details"),
                                                   "reasoning_tokens")) == th,
                "%s: reasoning tokens", name);
}

/* Tool calls (name\x01arguments\x02 as assembled) match the recording's functionCalls. */
static void check_calls(const char *assembled, const json_t *calls, const char *name)
{
    const char *p = assembled;
    size_t i;
    const json_t *fc;

    json_array_foreach(calls, i, fc) {
        const char *sep = strchr(p, '\x01'), *end = sep != NULL ? strchr(sep, '\x02') : NULL;
        json_t *args;

        ASSERT_(end != NULL, "%s: tool call %zu missing", name, i);
        ASSERT_((size_t)(sep - p) == strlen(json_string_value(json_object_get(fc, "name"))) &&
                    strncmp(p, json_string_value(json_object_get(fc, "name")), (size_t)(sep - p)) ==
                        0,
                "%s: tool call %zu name", name, i);
        args = json_loadb(sep + 1, (size_t)(end - sep - 1), 0, NULL);
        ASSERT_(args != NULL, "%s: tool call %zu arguments are not JSON", name, i);
        ASSERT_(json_equal(args, json_object_get(fc, "args")), "%s: tool call %zu arguments", name,
                i);
        json_decref(args);
        p = end + 1;
    }
    ASSERT_(*p == '\0', "%s: more tool calls than recorded", name);
}

static void replay_answer(const char *name, const char *body, size_t len)
{
    struct recorded r = {false, false, json_array(), NULL, json_array()};
    struct lmx_perr pe = {0, "", "", ""};
    json_t *resp = json_loadb(body, len, 0, NULL), *out = NULL;
    struct lmx_buf calls;
    const json_t *msg, *tc;
    size_t i;

    ASSERT_(resp != NULL, "%s: not JSON", name);
    recorded_add(&r, resp);
    ASSERT_(lmx_gemini_chat_response("m", body, len, &out, &pe) == 0, "%s: %s", name, pe.message);
    msg = json_object_get(json_array_get(json_object_get(out, "choices"), 0), "message");
    if (r.text)
        ASSERT_(json_string_length(json_object_get(msg, "content")) > 0, "%s: no text", name);
    lmx_buf_init(&calls, 1 << 20);
    json_array_foreach(json_object_get(msg, "tool_calls"), i, tc) {
        const json_t *fn = json_object_get(tc, "function");

        lmx_buf_printf(&calls, "%s\x01%s\x02", json_string_value(json_object_get(fn, "name")),
                       json_string_value(json_object_get(fn, "arguments")));
    }
    check_calls(S(&calls), r.calls, name);
    if (json_array_size(r.calls) > 0)
        ASSERT_STR_EQ(json_string_value(json_object_get(
                          json_array_get(json_object_get(out, "choices"), 0), "finish_reason")),
                      "tool_calls");
    if (r.usage != NULL)
        check_usage(json_object_get(out, "usage"), r.usage, name);
    ASSERT_(norm(out), "%s: ids", name);
    lmx_buf_release(&calls);
    json_decref(out);
    json_decref(r.calls);
    json_decref(r.all);
}

/* A stream recording: whole, byte by byte, and at every two-piece split the same chunks. */
static void replay_stream(const char *name, const char *body, size_t len, struct recorded *r)
{
    struct lmx_perr pe;
    json_t *whole = NULL, *got = NULL;
    struct assembled a;
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));

    ASSERT_(decode(body, len, NULL, 0, true, &whole, &pe) == 0, "%s: %s", name, pe.message);
    ASSERT(norm(whole));
    assemble(whole, &a);
    if (r->text)
        ASSERT_(a.text.len > 0, "%s: no text", name);
    if (r->thought)
        ASSERT_(a.reasoning.len > 0, "%s: no reasoning", name);
    check_calls(S(&a.calls), r->calls, name);
    ASSERT_(a.nfinish == 1, "%s: %d finish reasons", name, a.nfinish);
    if (json_array_size(r->calls) > 0)
        ASSERT_STR_EQ(a.finish, "tool_calls");
    if (r->usage != NULL)
        check_usage(a.usage, r->usage, name);
    assembled_release(&a);

    for (size_t k = 0; k + 1 < len; k++)
        cuts[k] = k + 1;
    ASSERT_(decode(body, len, cuts, len > 0 ? len - 1 : 0, true, &got, &pe) == 0, "%s bytes: %s",
            name, pe.message);
    ASSERT(norm(got));
    ASSERT_(json_equal(got, whole), "%s: byte by byte differs", name);
    json_decref(got);
    for (size_t k = 0; k <= len; k += 7) {
        bool ok;

        ASSERT_(decode(body, len, &k, 1, true, &got, &pe) == 0, "%s split %zu: %s", name, k,
                pe.message);
        ok = norm(got) && json_equal(got, whole);
        json_decref(got);
        ASSERT_(ok, "%s: split at %zu differs", name, k);
    }
    free(cuts);
    json_decref(whole);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void test_fixtures(void)
{
    char dirbuf[4096], path[8192];
    const char *dir = fixtures_dir(dirbuf, sizeof(dirbuf));
    struct dirent *de;
    DIR *d;
    int answers = 0, streams = 0, errors = 0;

    if (dir == NULL) {
        fprintf(stderr, "skip test_fixtures: no gemini fixtures (set LMX_FIXTURES)\n");
        return;
    }
    d = opendir(dir);
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = 0;
        char *body;

        if (name[0] == '.' || strstr(name, ".request") != NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        body = read_file(path, &len);
        if (body == NULL)
            continue;
        if (strncmp(name, "error-", 6) == 0) {
            json_t *e = json_loads(body, 0, NULL);
            const json_t *eo = json_object_get(e, "error");
            long code = (long)json_integer_value(json_object_get(eo, "code"));
            struct lmx_perr pe = {0, "", "", ""};

            lmx_gemini_error(code, body, len, &pe);
            ASSERT_(pe.status == code, "%s: status %d", name, pe.status);
            ASSERT_STR_EQ(pe.message, json_string_value(json_object_get(eo, "message")));
            ASSERT_STR_EQ(pe.type,
                          lmx_gemini_error_type(json_string_value(json_object_get(eo, "status"))));
            json_decref(e);
            errors++;
        } else if (ends_with(name, ".response.json")) {
            replay_answer(name, body, len);
            answers++;
        } else if (ends_with(name, ".sse")) {
            struct recorded r = {false, false, json_array(), NULL, json_array()};
            const char *p = body;

            /* the recording's own events: "data: <json>" blocks */
            while ((p = strstr(p, "data: ")) != NULL) {
                const char *end = strstr(p, "\r\n\r\n");
                json_t *ev;

                if (end == NULL)
                    end = p + strlen(p);
                ev = json_loadb(p + 6, (size_t)(end - p - 6), 0, NULL);
                if (ev != NULL)
                    recorded_add(&r, ev);
                p = end;
            }
            ASSERT_(json_array_size(r.all) > 0, "%s: no events", name);
            replay_stream(name, body, len, &r);
            json_decref(r.calls);
            json_decref(r.all);
            streams++;
        } else if (ends_with(name, ".payloads.jsonl")) {
            struct recorded r = {false, false, json_array(), NULL, json_array()};
            struct lmx_buf framed;
            char *line = body, *nl;

            lmx_buf_init(&framed, 1 << 24);
            for (; *line != '\0'; line = nl != NULL ? nl + 1 : line + strlen(line)) {
                nl = strchr(line, '\n');
                if (nl != NULL)
                    *nl = '\0';
                if (*line == '\0')
                    continue;
                recorded_add(&r, json_loads(line, 0, NULL));
                lmx_buf_printf(&framed, "data: %s\r\n\r\n", line); /* Gemini's alt=sse framing */
            }
            replay_stream(name, framed.data, framed.len, &r);
            lmx_buf_release(&framed);
            json_decref(r.calls);
            json_decref(r.all);
            streams++;
        }
        free(body);
    }
    closedir(d);
    fprintf(stderr, "     fixtures: %d answers, %d streams, %d errors\n", answers, streams, errors);
    ASSERT(answers > 0 && streams > 0 && errors > 0);
}

/* ------------------------------------------------------------------------ */
/* Fuzz seed corpus */

static void test_fuzz_corpus(void)
{
    const char *src = getenv("LMX_SRC");
    char dir[4096], path[8192];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpora/gemini", src != NULL ? src : ".");
    d = opendir(dir);
    ASSERT_(d != NULL, "no corpus at %s (LMX_SRC)", dir);
    while ((de = readdir(d)) != NULL) {
        size_t len = 0;
        char *body;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        body = read_file(path, &len);
        if (body == NULL)
            continue;
        LLVMFuzzerTestOneInput((const uint8_t *)body, len);
        /* and every prefix of it: truncated input must not crash either */
        for (size_t k = 0; k < len; k += 13)
            LLVMFuzzerTestOneInput((const uint8_t *)body, k);
        free(body);
        n++;
    }
    closedir(d);
    ASSERT(n >= 5);
}

/* ------------------------------------------------------------------------ */
/* Out of memory: every allocation failing in turn gives LMX_ENOMEM, never a crash or a leak
   (the countdown only exists in LMX_FAULT_INJECT builds; elsewhere one round runs) */

static void test_oom(void)
{
    static const char answer[] =
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"t\",\"thought\":true},{\"text\":"
        "\"a\"},{\"functionCall\":{\"name\":\"f\",\"args\":{\"x\":1}},\"thoughtSignature\":\"s\"}]}"
        ","
        "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":1,"
        "\"thoughtsTokenCount\":1,\"cachedContentTokenCount\":1,\"totalTokenCount\":3}}";
    struct lmx_gemini_opts o = {.provider = "gemini", .model = "gemini-3-pro-preview"};
    json_t *req =
        J("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\","
          "\"content\":[{\"type\":\"text\",\"text\":\"u\"},{\"type\":\"image_url\","
          "\"image_url\":{\"url\":\"data:image/png;base64,AA\"}}]},{\"role\":"
          "\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\","
          "\"arguments\":\"{\\\"a\\\":1}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c\","
          "\"content\":\"{\\\"r\\\":2}\"}],\"tools\":[{\"type\":\"function\",\"function\":"
          "{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"$defs\":{\"D\":{\"type\":"
          "\"string\"}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/D\"},\"b\":{\"anyOf\":"
          "[{\"type\":\"integer\"},{\"type\":\"null\"}]}}}}}],\"tool_choice\":\"auto\","
          "\"stop\":\"x\",\"reasoning_effort\":\"low\",\"response_format\":{\"type\":"
          "\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"object\",\"properties\":"
          "{\"k\":{\"type\":\"string\"}}}}}}");
    json_t *emb = J("{\"input\":[\"a\",\"b\"],\"dimensions\":2}");
    const char *emb_answer = "{\"embeddings\":[{\"values\":[1]}]}";
    long n;

    lmx_alloc_install();
    for (n = 0; n < 200000; n++) {
        struct lmx_perr pe[5];
        json_t *out[5] = {NULL, NULL, NULL, NULL, NULL};
        int rc[5];
        bool done = true;

        memset(pe, 0, sizeof(pe));
        lmx_alloc_fail_after(n);
        rc[0] = lmx_gemini_chat_request(&o, req, &out[0], &pe[0]);
        rc[1] = lmx_gemini_chat_response("m", answer, sizeof(answer) - 1, &out[1], &pe[1]);
        rc[2] = decode(golden_stream, sizeof(golden_stream) - 1, NULL, 0, true, &out[2], &pe[2]);
        rc[3] = lmx_gemini_embed_request(&o, emb, &out[3], &pe[3]);
        rc[4] =
            lmx_gemini_embed_response("m", emb, emb_answer, strlen(emb_answer), &out[4], &pe[4]);
        lmx_alloc_fail_after(-1);
        for (int i = 0; i < 5; i++) {
            json_decref(out[i]);
            done = done && rc[i] == 0;
            if (rc[i] != 0 && rc[i] != LMX_ENOMEM) {
                fprintf(stderr, "round %ld step %d: %d (%s)\n", n, i, rc[i], pe[i].message);
                lmx_test_failures++;
                done = true;
            }
        }
        if (done)
            break;
    }
    fprintf(stderr, "     oom: %ld rounds\n", n + 1);
    json_decref(req);
    json_decref(emb);
}

/* ------------------------------------------------------------------------ */
/* Config: a gemini/ deployment is served */

static void test_config_served(void)
{
    const char *text = "model_list:\n"
                       "  - model_name: g\n"
                       "    litellm_params: {model: gemini/gemini-2.5-flash, api_key: k}\n";
    struct lmx_config *cfg = NULL;
    struct lmx_diag diag;

    lmx_diag_init(&diag);
    ASSERT_EQ(lmx_config_load_string("t.yaml", text, strlen(text), &cfg, &diag), 0);
    for (size_t i = 0; i < diag.n; i++)
        ASSERT_(strstr(diag.lines[i], "not served") == NULL, "%s", diag.lines[i]);
    ASSERT(cfg->deps[0].supported);
    ASSERT_STR_EQ(cfg->deps[0].provider, "gemini");
    ASSERT_STR_EQ(cfg->deps[0].upstream_model, "gemini-2.5-flash");
    ASSERT(lmx_provider_for(&cfg->deps[0]) == &lmx_provider_gemini_ops);
    lmx_config_unref(cfg);
    lmx_diag_release(&diag);
}

int main(void)
{
    RUN(test_url_and_auth);
    RUN(test_request_golden);
    RUN(test_request_variants);
    RUN(test_request_formats);
    RUN(test_request_errors);
    RUN(test_answers);
    RUN(test_stream_every_split);
    RUN(test_stream_cases);
    RUN(test_errors);
    RUN(test_embeddings);
    RUN(test_ops_roundtrip);
    RUN(test_fixtures);
    RUN(test_fuzz_corpus);
    RUN(test_config_served);
    RUN(test_oom);
    TEST_MAIN_END();
}
