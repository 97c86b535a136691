/*
 * tests/unit/dialect/responses.c - the Responses API dialect through its ops
 * table: requests into canonical chat requests (input items, instructions,
 * tools, text.format, previous_response_id from the store), answers into
 * Response objects, streams into the exact event sequence, errors, and the
 * records it stores. Uses the recorded request fixtures when $LMX_FIXTURES is
 * set.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/err.h"
#include "test.h"

#include "../../../src/dialect/responses.c"

static const struct lmx_dialect_ops *ops = &lmx_dialect_responses;

struct call {
    struct lmx_dcall dc;
    struct lmx_perr err;
    json_t *req; /* the canonical request */
    int rc;
};

static void call_request(struct call *c, const char *body)
{
    json_t *in = json_loads(body, 0, NULL);

    memset(c, 0, sizeof(*c));
    c->dc.ops = ops;
    c->dc.call_id = "call-1";
    c->dc.created = 1700000000;
    c->dc.model = "claude-x";
    if (in == NULL) {
        fprintf(stderr, "bad test JSON: %s\n", body);
        abort();
    }
    c->rc = ops->request(&c->dc, in, &c->req, &c->err);
    json_decref(in);
}

static void call_done(struct call *c)
{
    json_decref(c->req);
    ops->release(&c->dc);
}

static json_t *at(json_t *root, const char *path)
{
    char key[64];
    json_t *v = root;

    while (v != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        snprintf(key, sizeof(key), "%.*s", (int)n, path);
        if (json_is_array(v))
            v = json_array_get(v, (size_t)strtoul(key, NULL, 10));
        else
            v = json_object_get(v, key);
        path += n + (path[n] == '.');
    }
    return v;
}

static const char *s_at(json_t *root, const char *path)
{
    return json_string_value(at(root, path));
}

static long long i_at(json_t *root, const char *path)
{
    return json_integer_value(at(root, path));
}

/* A canonical answer → the Response object (parsed). */
static json_t *respond(struct call *c, const char *completion)
{
    json_t *resp = json_loads(completion, 0, NULL);
    struct lmx_buf b;
    json_t *out;

    lmx_buf_init(&b, 1 << 20);
    c->rc = ops->response(&c->dc, resp, &b);
    out = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    lmx_buf_release(&b);
    json_decref(resp);
    return out;
}

/* The stored record of a response id (parsed), or NULL. */
static json_t *record(const char *id)
{
    size_t len;
    char *t = lmx_respstore_get(id, &len);
    json_t *r = t != NULL ? json_loadb(t, len, 0, NULL) : NULL;

    lmx_free(t);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static void test_request_string(void)
{
    struct call c;

    call_request(&c, "{\"model\":\"m\",\"input\":\"Hello!\",\"instructions\":\"Be brief.\","
                     "\"max_output_tokens\":50,\"temperature\":0.5,\"top_p\":0.9,"
                     "\"reasoning\":{\"effort\":\"low\"},\"metadata\":{\"a\":\"b\"},"
                     "\"user\":\"u1\",\"parallel_tool_calls\":false,\"store\":false}");
    ASSERT_EQ(c.rc, 0);
    ASSERT(!c.dc.stream);
    ASSERT_STR_EQ(s_at(c.req, "model"), "m");
    ASSERT_EQ(json_array_size(at(c.req, "messages")), 2);
    ASSERT_STR_EQ(s_at(c.req, "messages.0.role"), "system");
    ASSERT_STR_EQ(s_at(c.req, "messages.0.content"), "Be brief.");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.role"), "user");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content"), "Hello!");
    ASSERT_EQ(i_at(c.req, "max_tokens"), 50);
    ASSERT_DBL_EQ(json_real_value(at(c.req, "temperature")), 0.5);
    ASSERT_DBL_EQ(json_real_value(at(c.req, "top_p")), 0.9);
    ASSERT_STR_EQ(s_at(c.req, "reasoning_effort"), "low");
    ASSERT_STR_EQ(s_at(c.req, "user"), "u1");
    ASSERT(json_is_false(at(c.req, "parallel_tool_calls")));
    ASSERT(at(c.req, "metadata") == NULL);
    ASSERT(at(c.req, "store") == NULL);
    ASSERT(at(c.req, "max_output_tokens") == NULL);
    ASSERT(at(c.req, "stream") == NULL);
    call_done(&c);

    call_request(&c, "{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}");
    ASSERT_EQ(c.rc, 0);
    ASSERT(c.dc.stream);
    ASSERT(json_is_true(at(c.req, "stream")));
    ASSERT(json_is_true(at(c.req, "stream_options.include_usage")));
    call_done(&c);
}

static void test_request_items(void)
{
    struct call c;

    call_request(
        &c,
        "{\"model\":\"m\",\"input\":["
        "{\"role\":\"developer\",\"content\":\"Rules.\"},"
        "{\"type\":\"message\",\"role\":\"user\",\"content\":["
        "{\"type\":\"input_text\",\"text\":\"What is this?\"},"
        "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,AAAA\",\"detail\":\"low\"}]},"
        "{\"type\":\"message\",\"role\":\"assistant\",\"content\":["
        "{\"type\":\"output_text\",\"text\":\"A \"},{\"type\":\"output_text\",\"text\":\"cat.\"}]},"
        "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"
        "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"},"
        "{\"type\":\"function_call\",\"call_id\":\"call_2\",\"name\":\"g\",\"arguments\":\"{}\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"42\"},"
        "{\"type\":\"function_call_output\",\"call_id\":\"call_2\",\"output\":["
        "{\"type\":\"input_text\",\"text\":\"ok\"}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_data\":\"data:application/pdf;base64,AA\",\"filename\":\"a.pdf\"}]}"
        "]}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(json_array_size(at(c.req, "messages")), 6);
    ASSERT_STR_EQ(s_at(c.req, "messages.0.role"), "system");
    ASSERT_STR_EQ(s_at(c.req, "messages.0.content"), "Rules.");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content.0.type"), "text");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content.0.text"), "What is this?");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content.1.type"), "image_url");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content.1.image_url.url"), "data:image/png;base64,AAAA");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.content.1.image_url.detail"), "low");
    /* the assistant text and the two calls after it make one assistant turn */
    ASSERT_STR_EQ(s_at(c.req, "messages.2.role"), "assistant");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.content"), "A cat.");
    ASSERT_EQ(json_array_size(at(c.req, "messages.2.tool_calls")), 2);
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_calls.0.id"), "call_1");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_calls.0.type"), "function");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_calls.0.function.name"), "f");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_calls.0.function.arguments"), "{\"a\":1}");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_calls.1.function.name"), "g");
    ASSERT_STR_EQ(s_at(c.req, "messages.3.role"), "tool");
    ASSERT_STR_EQ(s_at(c.req, "messages.3.tool_call_id"), "call_1");
    ASSERT_STR_EQ(s_at(c.req, "messages.3.content"), "42");
    ASSERT_STR_EQ(s_at(c.req, "messages.4.content"), "ok");
    ASSERT_STR_EQ(s_at(c.req, "messages.5.content.0.type"), "file");
    ASSERT_STR_EQ(s_at(c.req, "messages.5.content.0.file.filename"), "a.pdf");
    call_done(&c);

    /* a function_call with no assistant turn before it starts one */
    call_request(&c, "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"q\"},"
                     "{\"type\":\"function_call\",\"call_id\":\"c9\",\"name\":\"f\",\"arguments\":\"{}\"},"
                     "{\"type\":\"function_call_output\",\"call_id\":\"c9\",\"output\":\"r\"}]}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(s_at(c.req, "messages.1.role"), "assistant");
    ASSERT(json_is_null(at(c.req, "messages.1.content")));
    ASSERT_STR_EQ(s_at(c.req, "messages.1.tool_calls.0.id"), "c9");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.role"), "tool");
    call_done(&c);
}

static void test_request_tools_format(void)
{
    struct call c;

    call_request(&c, "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":"
                     "\"get_weather\",\"description\":\"d\",\"parameters\":{\"type\":\"object\","
                     "\"properties\":{\"city\":{\"type\":\"string\"}}},\"strict\":true},"
                     "{\"type\":\"function\",\"name\":\"bare\"}],"
                     "\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"},"
                     "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"w\",\"schema\":"
                     "{\"type\":\"object\"},\"strict\":true}}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(s_at(c.req, "tools.0.type"), "function");
    ASSERT_STR_EQ(s_at(c.req, "tools.0.function.name"), "get_weather");
    ASSERT_STR_EQ(s_at(c.req, "tools.0.function.description"), "d");
    ASSERT_STR_EQ(s_at(c.req, "tools.0.function.parameters.properties.city.type"), "string");
    ASSERT(json_is_true(at(c.req, "tools.0.function.strict")));
    ASSERT_STR_EQ(s_at(c.req, "tools.1.function.parameters.type"), "object");
    ASSERT_STR_EQ(s_at(c.req, "tool_choice.type"), "function");
    ASSERT_STR_EQ(s_at(c.req, "tool_choice.function.name"), "get_weather");
    ASSERT_STR_EQ(s_at(c.req, "response_format.type"), "json_schema");
    ASSERT_STR_EQ(s_at(c.req, "response_format.json_schema.name"), "w");
    ASSERT_STR_EQ(s_at(c.req, "response_format.json_schema.schema.type"), "object");
    ASSERT(json_is_true(at(c.req, "response_format.json_schema.strict")));
    call_done(&c);

    call_request(&c, "{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":\"required\","
                     "\"text\":{\"format\":{\"type\":\"json_object\"}}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(s_at(c.req, "tool_choice"), "required");
    ASSERT_STR_EQ(s_at(c.req, "response_format.type"), "json_object");
    call_done(&c);

    call_request(&c, "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"text\"}}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT(at(c.req, "response_format") == NULL);
    call_done(&c);
}

static void test_request_errors(void)
{
    static const struct {
        const char *body;
        const char *param;
        const char *msg; /* a part of the message */
    } cases[] = {
        {"{\"input\":\"x\"}", "model", "Missing required parameter: 'model'."},
        {"{\"model\":\"m\"}", "input", "Missing required parameter: 'input'."},
        {"{\"model\":\"m\",\"input\":5}", "input", "'input' must be"},
        {"{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}", "tools",
         "tool type 'web_search' is not supported"},
        {"{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":\"sometimes\"}", "tool_choice", "tool_choice"},
        {"{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_nope\"}",
         "previous_response_id", "Previous response with id 'resp_nope' not found."},
        {"{\"model\":\"m\",\"input\":[{\"type\":\"web_search_call\"}]}", "input",
         "input item type 'web_search_call' is not supported"},
        {"{\"model\":\"m\",\"input\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "input", "role"},
        {"{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\","
         "\"file_id\":\"f\"}]}]}",
         "input", "image_url"},
        {"{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}", "max_output_tokens", "positive"},
        {"{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\"}}}",
         "text.format.schema", "schema"},
    };

    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        struct call c;

        call_request(&c, cases[i].body);
        ASSERT_EQ(c.rc, LMX_EBADREQ);
        ASSERT(c.req == NULL);
        ASSERT(c.dc.state == NULL);
        ASSERT_EQ(c.err.status, 400);
        ASSERT_STR_EQ(c.err.type, "invalid_request_error");
        ASSERT_STR_EQ(c.err.param, cases[i].param);
        ASSERT_(strstr(c.err.message, cases[i].msg) != NULL, "case %zu: '%s' lacks '%s'", i,
                c.err.message, cases[i].msg);
        call_done(&c);
    }
}

/* The recorded request fixtures convert (skipped without $LMX_FIXTURES). */
static void test_request_fixtures(void)
{
    static const char *const files[] = {"responses.request.fromdocs.json",
                                        "responses-stream.request.fromdocs.json",
                                        "responses-function-call.request.fromdocs.json"};
    const char *dir = getenv("LMX_FIXTURES");

    if (dir == NULL)
        return;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(files); i++) {
        char path[512];
        json_t *in;
        struct call c;
        char *text;

        snprintf(path, sizeof(path), "%s/openai/%s", dir, files[i]);
        in = json_load_file(path, 0, NULL);
        if (in == NULL)
            continue;
        text = json_dumps(in, JSON_COMPACT);
        json_decref(in);
        call_request(&c, text);
        free(text);
        ASSERT_EQ(c.rc, 0);
        ASSERT_STR_EQ(s_at(c.req, "model"), "gpt-5.4");
        ASSERT_STR_EQ(s_at(c.req, "messages.0.role"), i == 1 ? "system" : "user");
        if (i == 2) {
            ASSERT_STR_EQ(s_at(c.req, "tools.0.function.name"), "get_current_weather");
            ASSERT_STR_EQ(s_at(c.req, "tool_choice"), "auto");
        }
        call_done(&c);
    }
}

/* ------------------------------------------------------------------------ */
/* Answers */

static void test_response_text(void)
{
    struct call c;
    json_t *r, *rec;
    char id[64];

    call_request(&c, "{\"model\":\"m\",\"input\":\"Hello\",\"instructions\":\"I\","
                     "\"max_output_tokens\":9,\"metadata\":{\"k\":\"v\"}}");
    ASSERT_EQ(c.rc, 0);
    r = respond(&c, "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                    "\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\","
                    "\"reasoning_content\":\"thinking\"},\"finish_reason\":\"stop\"}],"
                    "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15,"
                    "\"prompt_tokens_details\":{\"cached_tokens\":4},"
                    "\"completion_tokens_details\":{\"reasoning_tokens\":2}}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT(r != NULL);
    ASSERT_EQ(strncmp(s_at(r, "id"), "resp_", 5), 0);
    ASSERT_EQ(strlen(s_at(r, "id")), 53);
    ASSERT_STR_EQ(s_at(r, "object"), "response");
    ASSERT_EQ(i_at(r, "created_at"), 1700000000);
    ASSERT_STR_EQ(s_at(r, "status"), "completed");
    ASSERT_STR_EQ(s_at(r, "model"), "claude-x");
    ASSERT(json_is_null(at(r, "error")));
    ASSERT(json_is_null(at(r, "incomplete_details")));
    ASSERT_STR_EQ(s_at(r, "instructions"), "I");
    ASSERT_EQ(i_at(r, "max_output_tokens"), 9);
    ASSERT(json_is_null(at(r, "previous_response_id")));
    ASSERT(json_is_true(at(r, "store")));
    ASSERT(json_is_true(at(r, "parallel_tool_calls")));
    ASSERT_STR_EQ(s_at(r, "tool_choice"), "auto");
    ASSERT_EQ(json_array_size(at(r, "tools")), 0);
    ASSERT_STR_EQ(s_at(r, "text.format.type"), "text");
    ASSERT_STR_EQ(s_at(r, "truncation"), "disabled");
    ASSERT_STR_EQ(s_at(r, "metadata.k"), "v");
    ASSERT_EQ(json_array_size(at(r, "output")), 2);
    ASSERT_STR_EQ(s_at(r, "output.0.type"), "reasoning");
    ASSERT_STR_EQ(s_at(r, "output.0.summary.0.type"), "summary_text");
    ASSERT_STR_EQ(s_at(r, "output.0.summary.0.text"), "thinking");
    ASSERT_EQ(strncmp(s_at(r, "output.0.id"), "rs_", 3), 0);
    ASSERT_STR_EQ(s_at(r, "output.1.type"), "message");
    ASSERT_EQ(strncmp(s_at(r, "output.1.id"), "msg_", 4), 0);
    ASSERT_STR_EQ(s_at(r, "output.1.role"), "assistant");
    ASSERT_STR_EQ(s_at(r, "output.1.status"), "completed");
    ASSERT_STR_EQ(s_at(r, "output.1.content.0.type"), "output_text");
    ASSERT_STR_EQ(s_at(r, "output.1.content.0.text"), "Hi there");
    ASSERT(json_is_array(at(r, "output.1.content.0.annotations")));
    ASSERT_EQ(i_at(r, "usage.input_tokens"), 10);
    ASSERT_EQ(i_at(r, "usage.input_tokens_details.cached_tokens"), 4);
    ASSERT_EQ(i_at(r, "usage.output_tokens"), 5);
    ASSERT_EQ(i_at(r, "usage.output_tokens_details.reasoning_tokens"), 2);
    ASSERT_EQ(i_at(r, "usage.total_tokens"), 15);

    /* the record: the response, input items with ids, the conversation */
    snprintf(id, sizeof(id), "%s", s_at(r, "id"));
    rec = record(id);
    ASSERT(rec != NULL);
    ASSERT_EQ(strcmp(s_at(rec, "response.id"), id), 0);
    ASSERT_EQ(json_array_size(at(rec, "input_items")), 1);
    ASSERT_STR_EQ(s_at(rec, "input_items.0.type"), "message");
    ASSERT_STR_EQ(s_at(rec, "input_items.0.role"), "user");
    ASSERT_STR_EQ(s_at(rec, "input_items.0.content.0.type"), "input_text");
    ASSERT_STR_EQ(s_at(rec, "input_items.0.content.0.text"), "Hello");
    ASSERT_EQ(strncmp(s_at(rec, "input_items.0.id"), "msg_", 4), 0);
    /* instructions are not carried into later turns (as OpenAI does) */
    ASSERT_EQ(json_array_size(at(rec, "messages")), 2);
    ASSERT_STR_EQ(s_at(rec, "messages.0.content"), "Hello");
    ASSERT_STR_EQ(s_at(rec, "messages.1.role"), "assistant");
    ASSERT_STR_EQ(s_at(rec, "messages.1.content"), "Hi there");
    json_decref(rec);
    json_decref(r);
    call_done(&c);
}

static void test_response_length_and_nostore(void)
{
    struct call c;
    json_t *r;

    call_request(&c, "{\"model\":\"m\",\"input\":\"Hello\",\"store\":false}");
    r = respond(&c, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"cut\"},"
                    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,"
                    "\"completion_tokens\":2}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(s_at(r, "status"), "incomplete");
    ASSERT_STR_EQ(s_at(r, "incomplete_details.reason"), "max_output_tokens");
    ASSERT(json_is_false(at(r, "store")));
    ASSERT_EQ(i_at(r, "usage.total_tokens"), 3);
    ASSERT(record(s_at(r, "id")) == NULL);
    json_decref(r);
    call_done(&c);
}

/* Function calling over two turns, the second through previous_response_id. */
static void test_function_call_turns(void)
{
    struct call c;
    json_t *r;
    char id[64], body[512];

    call_request(&c, "{\"model\":\"m\",\"input\":\"Weather in Paris?\",\"instructions\":\"sys\","
                     "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":"
                     "{\"type\":\"object\"}}]}");
    r = respond(&c, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
                    "\"tool_calls\":[{\"id\":\"call_A\",\"type\":\"function\",\"function\":"
                    "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                    "\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":3,"
                    "\"completion_tokens\":4,\"total_tokens\":7}}");
    ASSERT_EQ(c.rc, 0);
    ASSERT_STR_EQ(s_at(r, "status"), "completed");
    ASSERT_EQ(json_array_size(at(r, "output")), 1);
    ASSERT_STR_EQ(s_at(r, "output.0.type"), "function_call");
    ASSERT_EQ(strncmp(s_at(r, "output.0.id"), "fc_", 3), 0);
    ASSERT_STR_EQ(s_at(r, "output.0.call_id"), "call_A");
    ASSERT_STR_EQ(s_at(r, "output.0.name"), "get_weather");
    ASSERT_STR_EQ(s_at(r, "output.0.arguments"), "{\"city\":\"Paris\"}");
    ASSERT_STR_EQ(s_at(r, "output.0.status"), "completed");
    ASSERT_STR_EQ(s_at(r, "tools.0.name"), "get_weather"); /* echoed as sent */
    snprintf(id, sizeof(id), "%s", s_at(r, "id"));

    /* the AI SDK's way: the call named by item_reference instead of previous_response_id */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
             "{\"type\":\"item_reference\",\"id\":\"%s\"},{\"type\":\"function_call_output\","
             "\"call_id\":\"call_A\",\"output\":\"sunny\"}]}",
             s_at(r, "output.0.id"));
    json_decref(r);
    call_done(&c);
    call_request(&c, body);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(json_array_size(at(c.req, "messages")), 3);
    ASSERT_STR_EQ(s_at(c.req, "messages.1.role"), "assistant");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.tool_calls.0.id"), "call_A");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.tool_calls.0.function.name"), "get_weather");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.tool_call_id"), "call_A");
    call_done(&c);
    call_request(&c, "{\"model\":\"m\",\"input\":[{\"type\":\"item_reference\",\"id\":\"fc_nope\"}]}");
    ASSERT_EQ(c.rc, LMX_EBADREQ);
    ASSERT_STR_EQ(c.err.message, "Item with id 'fc_nope' not found.");
    call_done(&c);

    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"previous_response_id\":\"%s\",\"input\":[{\"type\":"
             "\"function_call_output\",\"call_id\":\"call_A\",\"output\":\"sunny\"}]}",
             id);
    call_request(&c, body);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(json_array_size(at(c.req, "messages")), 3);
    ASSERT_STR_EQ(s_at(c.req, "messages.0.role"), "user");
    ASSERT_STR_EQ(s_at(c.req, "messages.0.content"), "Weather in Paris?");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.role"), "assistant");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.tool_calls.0.id"), "call_A");
    ASSERT_STR_EQ(s_at(c.req, "messages.1.tool_calls.0.function.arguments"),
                  "{\"city\":\"Paris\"}");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.role"), "tool");
    ASSERT_STR_EQ(s_at(c.req, "messages.2.content"), "sunny");
    r = respond(&c, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"Sunny.\"},"
                    "\"finish_reason\":\"stop\"}]}");
    ASSERT_EQ(strcmp(s_at(r, "previous_response_id"), id), 0);
    ASSERT_STR_EQ(s_at(r, "output.0.content.0.text"), "Sunny.");
    snprintf(id, sizeof(id), "%s", s_at(r, "id"));
    json_decref(r);
    call_done(&c);

    /* a third turn sees the whole chain */
    snprintf(body, sizeof(body),
             "{\"model\":\"m\",\"previous_response_id\":\"%s\",\"input\":\"thanks\"}", id);
    call_request(&c, body);
    ASSERT_EQ(c.rc, 0);
    ASSERT_EQ(json_array_size(at(c.req, "messages")), 5);
    ASSERT_STR_EQ(s_at(c.req, "messages.3.content"), "Sunny.");
    ASSERT_STR_EQ(s_at(c.req, "messages.4.content"), "thanks");
    call_done(&c);
}

/* ------------------------------------------------------------------------ */
/* Streams */

struct ev {
    char type[80];
    json_t *data;
};

/* Splits the framed output into events; checks the framing and the sequence numbers. */
static size_t parse_events(const char *s, struct ev *evs, size_t max, long long *seq0)
{
    size_t n = 0;

    while (*s != '\0' && n < max) {
        const char *nl = strchr(s, '\n'), *end;

        if (strncmp(s, "event: ", 7) != 0 || nl == NULL || strncmp(nl + 1, "data: ", 6) != 0)
            return 0;
        end = strstr(nl + 7, "\n\n");
        if (end == NULL)
            return 0;
        snprintf(evs[n].type, sizeof(evs[n].type), "%.*s", (int)(nl - s - 7), s + 7);
        evs[n].data = json_loadb(nl + 7, (size_t)(end - nl - 7), 0, NULL);
        if (evs[n].data == NULL || strcmp(s_at(evs[n].data, "type"), evs[n].type) != 0 ||
            i_at(evs[n].data, "sequence_number") != *seq0 + (long long)n)
            return 0;
        n++;
        s = end + 2;
    }
    return n;
}

static void free_events(struct ev *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(evs[i].data);
}

static int feed(struct call *c, struct lmx_buf *b, const char *chunk)
{
    json_t *j = json_loads(chunk, 0, NULL);
    int rc = ops->stream_chunk(&c->dc, j, b);

    json_decref(j);
    return rc;
}

static void test_stream_text(void)
{
    static const char *const want[] = {
        "response.created",          "response.in_progress",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done",  "response.content_part.done",
        "response.output_item.done",  "response.completed",
    };
    struct call c;
    struct lmx_buf b;
    struct ev evs[32];
    long long seq0 = 0;
    size_t n;
    json_t *rec, *done;

    call_request(&c, "{\"model\":\"m\",\"input\":\"Hello\",\"stream\":true}");
    ASSERT_EQ(c.rc, 0);
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,\"total_tokens\":5}}"), 0);
    ASSERT_EQ(ops->stream_end(&c.dc, &b), 0);
    n = parse_events(b.data, evs, 32, &seq0);
    ASSERT_EQ(n, LMX_ARRAY_SIZE(want));
    for (size_t i = 0; i < n; i++)
        ASSERT_STR_EQ(evs[i].type, want[i]);
    ASSERT_STR_EQ(s_at(evs[0].data, "response.status"), "in_progress");
    ASSERT_EQ(json_array_size(at(evs[0].data, "response.output")), 0);
    ASSERT(json_is_null(at(evs[0].data, "response.usage")));
    ASSERT_STR_EQ(s_at(evs[2].data, "item.type"), "message");
    ASSERT_STR_EQ(s_at(evs[2].data, "item.status"), "in_progress");
    ASSERT_EQ(i_at(evs[2].data, "output_index"), 0);
    ASSERT_STR_EQ(s_at(evs[3].data, "part.type"), "output_text");
    ASSERT_STR_EQ(s_at(evs[3].data, "item_id"), s_at(evs[2].data, "item.id"));
    ASSERT_STR_EQ(s_at(evs[4].data, "delta"), "Hel");
    ASSERT_EQ(i_at(evs[4].data, "content_index"), 0);
    ASSERT_STR_EQ(s_at(evs[5].data, "delta"), "lo");
    ASSERT_STR_EQ(s_at(evs[6].data, "text"), "Hello");
    ASSERT_STR_EQ(s_at(evs[7].data, "part.text"), "Hello");
    ASSERT_STR_EQ(s_at(evs[8].data, "item.status"), "completed");
    ASSERT_STR_EQ(s_at(evs[8].data, "item.content.0.text"), "Hello");
    done = evs[9].data;
    ASSERT_STR_EQ(s_at(done, "response.status"), "completed");
    ASSERT_STR_EQ(s_at(done, "response.id"), s_at(evs[0].data, "response.id"));
    ASSERT_STR_EQ(s_at(done, "response.output.0.content.0.text"), "Hello");
    ASSERT_EQ(i_at(done, "response.usage.input_tokens"), 2);
    ASSERT_EQ(i_at(done, "response.usage.output_tokens"), 3);
    ASSERT_EQ(i_at(done, "response.usage.total_tokens"), 5);
    rec = record(s_at(done, "response.id"));
    ASSERT(rec != NULL);
    ASSERT_STR_EQ(s_at(rec, "response.output.0.content.0.text"), "Hello");
    ASSERT_STR_EQ(s_at(rec, "messages.1.content"), "Hello");
    json_decref(rec);
    free_events(evs, n);
    lmx_buf_release(&b);
    call_done(&c);
}

static void test_stream_tools_reasoning(void)
{
    static const char *const want[] = {
        "response.created",
        "response.in_progress",
        "response.output_item.added", /* reasoning */
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added", /* message */
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added", /* call 0 */
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added", /* call 1 */
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    };
    struct call c;
    struct lmx_buf b;
    struct ev evs[64];
    long long seq0 = 0;
    size_t n;
    json_t *done, *rec;

    call_request(&c, "{\"model\":\"m\",\"input\":\"go\",\"stream\":true,\"tools\":[{\"type\":"
                     "\"function\",\"name\":\"f\"}]}");
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"content\":\"Calling.\"}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                           "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]}}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\","
                           "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}"), 0);
    ASSERT_EQ(ops->stream_end(&c.dc, &b), 0);
    n = parse_events(b.data, evs, 64, &seq0);
    ASSERT_EQ(n, LMX_ARRAY_SIZE(want));
    for (size_t i = 0; i < n; i++)
        ASSERT_STR_EQ(evs[i].type, want[i]);
    ASSERT_STR_EQ(s_at(evs[4].data, "delta"), "hmm");
    ASSERT_STR_EQ(s_at(evs[7].data, "item.summary.0.text"), "hmm");
    ASSERT_EQ(i_at(evs[8].data, "output_index"), 1);
    ASSERT_STR_EQ(s_at(evs[14].data, "item.type"), "function_call");
    ASSERT_STR_EQ(s_at(evs[14].data, "item.call_id"), "call_1");
    ASSERT_STR_EQ(s_at(evs[14].data, "item.name"), "f");
    ASSERT_STR_EQ(s_at(evs[14].data, "item.arguments"), "");
    ASSERT_EQ(i_at(evs[14].data, "output_index"), 2);
    ASSERT_STR_EQ(s_at(evs[15].data, "delta"), "{\"a\"");
    ASSERT_STR_EQ(s_at(evs[15].data, "item_id"), s_at(evs[14].data, "item.id"));
    ASSERT_STR_EQ(s_at(evs[17].data, "arguments"), "{\"a\":1}");
    ASSERT_STR_EQ(s_at(evs[18].data, "item.arguments"), "{\"a\":1}");
    ASSERT_STR_EQ(s_at(evs[18].data, "item.status"), "completed");
    ASSERT_STR_EQ(s_at(evs[19].data, "item.call_id"), "call_2");
    ASSERT_EQ(i_at(evs[19].data, "output_index"), 3);
    done = evs[23].data;
    ASSERT_EQ(json_array_size(at(done, "response.output")), 4);
    ASSERT_STR_EQ(s_at(done, "response.output.3.arguments"), "{}");
    ASSERT_EQ(i_at(done, "response.usage.total_tokens"), 2);
    rec = record(s_at(done, "response.id"));
    ASSERT_STR_EQ(s_at(rec, "messages.1.content"), "Calling.");
    ASSERT_EQ(json_array_size(at(rec, "messages.1.tool_calls")), 2);
    ASSERT_STR_EQ(s_at(rec, "messages.1.tool_calls.0.function.arguments"), "{\"a\":1}");
    json_decref(rec);
    free_events(evs, n);
    lmx_buf_release(&b);
    call_done(&c);
}

static void test_stream_incomplete_and_empty(void)
{
    struct call c;
    struct lmx_buf b;
    struct ev evs[16];
    long long seq0 = 0;
    size_t n;

    call_request(&c, "{\"model\":\"m\",\"input\":\"go\",\"stream\":true,\"store\":false}");
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}"), 0);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":0}}"), 0);
    ASSERT_EQ(ops->stream_end(&c.dc, &b), 0);
    n = parse_events(b.data, evs, 16, &seq0);
    ASSERT_EQ(n, 8); /* created, in_progress, one empty message (5 events), incomplete */
    ASSERT_STR_EQ(evs[7].type, "response.incomplete");
    ASSERT_STR_EQ(s_at(evs[7].data, "response.status"), "incomplete");
    ASSERT_STR_EQ(s_at(evs[7].data, "response.incomplete_details.reason"), "max_output_tokens");
    ASSERT_STR_EQ(s_at(evs[7].data, "response.output.0.content.0.text"), "");
    ASSERT(record(s_at(evs[7].data, "response.id")) == NULL);
    free_events(evs, n);
    lmx_buf_release(&b);
    call_done(&c);
}

static void test_stream_error(void)
{
    struct call c;
    struct lmx_buf b;
    struct ev evs[16];
    long long seq0 = 0;
    size_t n;

    call_request(&c, "{\"model\":\"m\",\"input\":\"go\",\"stream\":true}");
    lmx_buf_init(&b, 1 << 20);
    ASSERT_EQ(feed(&c, &b, "{\"choices\":[{\"delta\":{\"content\":\"par\"}}]}"), 0);
    ops->stream_error(&c.dc, 500, "internal_server_error", "upstream broke", &b);
    n = parse_events(b.data, evs, 16, &seq0);
    ASSERT_EQ(n, 10); /* created, in_progress, added, part, delta; error; 3 done; failed */
    ASSERT_STR_EQ(evs[5].type, "error");
    ASSERT_STR_EQ(s_at(evs[5].data, "code"), "internal_server_error");
    ASSERT_STR_EQ(s_at(evs[5].data, "message"), "upstream broke");
    ASSERT(json_is_null(at(evs[5].data, "param")));
    ASSERT_STR_EQ(s_at(evs[5].data, "error.message"), "upstream broke");
    ASSERT_STR_EQ(evs[9].type, "response.failed");
    ASSERT_STR_EQ(s_at(evs[9].data, "response.status"), "failed");
    ASSERT_STR_EQ(s_at(evs[9].data, "response.error.code"), "internal_server_error");
    ASSERT_STR_EQ(s_at(evs[9].data, "response.output.0.content.0.text"), "par");
    ASSERT(record(s_at(evs[9].data, "response.id")) == NULL); /* a failure is not stored */
    free_events(evs, n);
    lmx_buf_release(&b);
    call_done(&c);

    /* before any state: the error event alone, sequence 0 */
    memset(&c, 0, sizeof(c));
    lmx_buf_init(&b, 1 << 20);
    ops->stream_error(&c.dc, 429, "rate_limit_error", "slow down", &b);
    n = parse_events(b.data, evs, 16, &seq0);
    ASSERT_EQ(n, 1);
    ASSERT_STR_EQ(s_at(evs[0].data, "code"), "rate_limit_error");
    free_events(evs, n);
    lmx_buf_release(&b);
}

static void test_error_body(void)
{
    struct lmx_buf b;
    json_t *e;

    lmx_buf_init(&b, 4096);
    ops->error_body(404, "not_found_error", "no such \"model\"", &b);
    e = json_loadb(b.data, b.len, 0, NULL);
    ASSERT(e != NULL);
    ASSERT_STR_EQ(s_at(e, "error.message"), "no such \"model\"");
    ASSERT_STR_EQ(s_at(e, "error.type"), "not_found_error");
    ASSERT(json_is_null(at(e, "error.param")));
    ASSERT_STR_EQ(s_at(e, "error.code"), "404");
    json_decref(e);
    lmx_buf_release(&b);
}

int main(void)
{
    RUN(test_request_string);
    RUN(test_request_items);
    RUN(test_request_tools_format);
    RUN(test_request_errors);
    RUN(test_request_fixtures);
    RUN(test_response_text);
    RUN(test_response_length_and_nostore);
    RUN(test_function_call_turns);
    RUN(test_stream_text);
    RUN(test_stream_tools_reasoning);
    RUN(test_stream_incomplete_and_empty);
    RUN(test_stream_error);
    RUN(test_error_body);
    lmx_respstore_close();
    TEST_MAIN_END();
}
