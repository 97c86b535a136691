/*
 * dialect/responses.c - the OpenAI Responses API (POST /v1/responses) served
 * from any provider through the canonical chat format.
 *
 * request:  input items, instructions, previous_response_id (the stored
 *           conversation), function tools, text.format, ... → a chat request.
 * response: a chat.completion → a Response object (reasoning, message and
 *           function_call output items, usage in input/output tokens).
 * stream:   chat chunks → the typed event sequence (response.created, one
 *           added/delta/done group per output item, response.completed), each
 *           framed "event: TYPE\ndata: JSON\n\n" with sequence_number from 0.
 *
 * Unless the request says store:false, the finished response is put in the
 * response store (store/respstore.h) as one record:
 *   {"response": <Response>, "input_items": [<items with ids>],
 *    "messages": [<canonical conversation, this assistant turn included>]}
 * for GET /v1/responses/{id}, /input_items and a later previous_response_id.
 * The store call never blocks; it is the only side effect here.
 *
 * Only function tools are bridged: hosted tools (web_search, file_search,
 * computer_use, ...) are refused with a 400 naming them.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "dialect/dialect.h"
#include "provider/params.h"
#include "store/respstore.h"
#include "core/util.h"

#define TEXT_MAX ((size_t)64 << 20) /* text or arguments of one streamed item */

enum rs_open { OPEN_NONE, OPEN_REASONING, OPEN_MESSAGE, OPEN_FCALL };

struct rs_state {
    char hex[49];       /* random part of every id of this response */
    char resp_id[64];   /* "resp_<hex>" */
    json_t *echo;       /* request fields repeated in every Response object */
    json_t *conv;       /* previous conversation + this input (no instructions) */
    json_t *input_items;
    bool store;

    /* streaming */
    bool started;
    int64_t seq;
    json_t *output;        /* finished output items */
    enum rs_open open;     /* the item being streamed */
    char item_id[96];
    char call_id[128];
    char name[128];
    long tc_index;         /* canonical tool_calls index of the open function call */
    struct lmx_buf acc;    /* its text or arguments so far */
    int nitems;            /* output items opened, for ids */
    json_t *usage;         /* the canonical usage, once seen */
    char finish[32];
};

static int bad(struct lmx_perr *err, const char *param, const char *fmt, ...) LMX_PRINTF(3, 4);

static int bad(struct lmx_perr *err, const char *param, const char *fmt, ...)
{
    va_list ap;

    err->status = 400;
    snprintf(err->type, sizeof(err->type), "invalid_request_error");
    snprintf(err->param, sizeof(err->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return LMX_EBADREQ;
}

static void make_hex(char out[49])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char b[24];

    if (lmx_random(b, sizeof(b)) < 0) {
        char u[37];

        lmx_uuid4(u);
        memcpy(b, u, sizeof(b)); /* still unique enough: the uuid is random */
    }
    for (size_t i = 0; i < sizeof(b); i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[48] = '\0';
}

/* The string value of v, or dflt when v is not a string. */
static const char *sval(const json_t *v, const char *dflt)
{
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static json_t *str_or_null(const json_t *v)
{
    return json_is_string(v) ? json_incref((json_t *)v) : json_null();
}

/* ------------------------------------------------------------------------ */
/* Request: input items → canonical messages */

/* The text of content parts (input_text, output_text, text, refusal), joined. */
static int parts_text(const json_t *parts, struct lmx_buf *b)
{
    size_t i;
    json_t *p;

    json_array_foreach (parts, i, p) {
        const json_t *t = json_object_get(p, "text");

        if (!json_is_string(t))
            t = json_object_get(p, "refusal");
        if (json_is_string(t) && lmx_buf_append(b, json_string_value(t), json_string_length(t)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* One input content part → a chat content part (new reference), or NULL with *err set. */
static json_t *chat_part(const json_t *p, struct lmx_perr *err)
{
    const char *type = json_string_value(json_object_get(p, "type"));

    if (type == NULL) {
        bad(err, "input", "every content part needs a 'type'");
        return NULL;
    }
    if (strcmp(type, "input_text") == 0 || strcmp(type, "output_text") == 0 ||
        strcmp(type, "text") == 0) {
        const json_t *t = json_object_get(p, "text");

        if (!json_is_string(t)) {
            bad(err, "input", "content part '%s' needs a string 'text'", type);
            return NULL;
        }
        return json_pack("{s:s, s:O}", "type", "text", "text", t);
    }
    if (strcmp(type, "refusal") == 0)
        return json_pack("{s:s, s:s}", "type", "text", "text",
                         sval(json_object_get(p, "refusal"), ""));
    if (strcmp(type, "input_image") == 0) {
        const json_t *url = json_object_get(p, "image_url");
        json_t *img;

        if (!json_is_string(url)) {
            bad(err, "input",
                "input_image needs an 'image_url' (a URL or a data: URL); file_id images are "
                "not supported");
            return NULL;
        }
        img = json_pack("{s:O}", "url", url);
        if (img != NULL && json_is_string(json_object_get(p, "detail")))
            json_object_set(img, "detail", json_object_get(p, "detail"));
        return json_pack("{s:s, s:o}", "type", "image_url", "image_url", img);
    }
    if (strcmp(type, "input_file") == 0) {
        static const char *const keys[] = {"file_data", "file_id", "filename"};
        json_t *file = json_object();

        for (size_t i = 0; file != NULL && i < LMX_ARRAY_SIZE(keys); i++)
            if (json_is_string(json_object_get(p, keys[i])))
                json_object_set(file, keys[i], json_object_get(p, keys[i]));
        if (file != NULL && json_object_get(file, "file_data") == NULL &&
            json_object_get(file, "file_id") == NULL) {
            json_decref(file);
            bad(err, "input", "input_file needs 'file_data' or 'file_id'");
            return NULL;
        }
        return json_pack("{s:s, s:o}", "type", "file", "file", file);
    }
    bad(err, "input", "content part type '%s' is not supported", type);
    return NULL;
}

/* A message item → a chat message (new reference), or NULL with *err set. */
static json_t *chat_message(const json_t *item, struct lmx_perr *err)
{
    const char *role = json_string_value(json_object_get(item, "role"));
    const json_t *content = json_object_get(item, "content");
    json_t *msg = NULL, *parts = NULL;
    struct lmx_buf b;

    if (role == NULL || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
                         strcmp(role, "system") != 0 && strcmp(role, "developer") != 0)) {
        bad(err, "input", "message role must be 'user', 'assistant', 'system' or 'developer'");
        return NULL;
    }
    if (strcmp(role, "developer") == 0)
        role = "system"; /* every provider knows system; few know developer */
    if (json_is_string(content))
        return json_pack("{s:s, s:O}", "role", role, "content", content);
    if (!json_is_array(content)) {
        bad(err, "input", "message content must be a string or an array of parts");
        return NULL;
    }
    if (strcmp(role, "user") != 0) {
        /* assistant and system turns: plain text, which every provider takes */
        lmx_buf_init(&b, TEXT_MAX);
        if (parts_text(content, &b) == 0)
            msg = json_pack("{s:s, s:s#}", "role", role, "content", b.data ? b.data : "",
                            (int)b.len);
        lmx_buf_release(&b);
        if (msg == NULL)
            bad(err, "input", "message content is too large");
        return msg;
    }
    parts = json_array();
    for (size_t i = 0; parts != NULL && i < json_array_size(content); i++) {
        json_t *p = chat_part(json_array_get(content, i), err);

        if (p == NULL) {
            json_decref(parts);
            return NULL;
        }
        json_array_append_new(parts, p);
    }
    return json_pack("{s:s, s:o}", "role", role, "content", parts);
}

/* The tool output of a function_call_output: a string, or the text of its parts. */
static json_t *tool_output(const json_t *out)
{
    struct lmx_buf b;
    json_t *s = NULL;

    if (json_is_string(out))
        return json_incref((json_t *)out);
    if (out == NULL || json_is_null(out))
        return json_string("");
    if (!json_is_array(out)) {
        char *text = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);

        s = text != NULL ? json_string(text) : NULL;
        lmx_free(text);
        return s;
    }
    lmx_buf_init(&b, TEXT_MAX);
    if (parts_text(out, &b) == 0)
        s = json_stringn(b.data ? b.data : "", b.len);
    lmx_buf_release(&b);
    return s;
}

/* The assistant message tool calls go into: the last one, or a new one. */
static json_t *assistant_for_calls(json_t *msgs)
{
    json_t *last = json_array_get(msgs, json_array_size(msgs) - 1);
    json_t *msg;

    if (last != NULL &&
        strcmp(sval(json_object_get(last, "role"), ""), "assistant") == 0) {
        if (!json_is_array(json_object_get(last, "tool_calls")))
            json_object_set_new(last, "tool_calls", json_array());
        return last;
    }
    msg = json_pack("{s:s, s:n, s:[]}", "role", "assistant", "content", "tool_calls");
    if (msg == NULL || json_array_append_new(msgs, msg) < 0)
        return NULL;
    return msg;
}

/* An input item with an id (for /input_items): a new reference. */
static json_t *input_item(const json_t *item, const char *hex, size_t i)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const json_t *content = json_object_get(item, "content");
    json_t *c = json_deep_copy(item);
    char id[96];

    if (c == NULL)
        return NULL;
    if (type == NULL) {
        type = "message";
        json_object_set_new(c, "type", json_string(type));
    }
    if (strcmp(type, "message") == 0 && json_is_string(content)) {
        const char *role = json_string_value(json_object_get(item, "role"));
        bool out = role != NULL && strcmp(role, "assistant") == 0;

        json_object_set_new(c, "content",
                            json_pack("[{s:s, s:O}]", "type", out ? "output_text" : "input_text",
                                      "text", content));
    }
    if (!json_is_string(json_object_get(c, "id"))) {
        snprintf(id, sizeof(id), "%s_%s_%zu",
                 strcmp(type, "message") == 0         ? "msg"
                 : strcmp(type, "function_call") == 0 ? "fc"
                                                      : "item",
                 hex, i);
        json_object_set_new(c, "id", json_string(id));
    }
    return c;
}

/*
 * The item an item_reference names (a new reference), or NULL. Our item ids
 * carry the hex of their response ("fc_<hex>_2" belongs to "resp_<hex>"), so
 * the record is found without an index; both its output and input are searched.
 */
static json_t *resolve_reference(const char *id)
{
    const char *us = id != NULL ? strchr(id, '_') : NULL;
    static const char *const lists[] = {"output", "input_items"};
    char rid[64];
    char *text;
    size_t len = 0;
    json_t *rec, *found = NULL;

    if (us == NULL || strlen(us + 1) < 48)
        return NULL;
    snprintf(rid, sizeof(rid), "resp_%.48s", us + 1);
    text = lmx_respstore_get(rid, &len);
    rec = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
    lmx_free(text);
    for (size_t l = 0; found == NULL && l < LMX_ARRAY_SIZE(lists); l++) {
        json_t *arr = l == 0 ? json_object_get(json_object_get(rec, "response"), "output")
                             : json_object_get(rec, "input_items");
        json_t *it;
        size_t i;

        json_array_foreach (arr, i, it) {
            if (strcmp(sval(json_object_get(it, "id"), ""), id) == 0) {
                found = json_deep_copy(it);
                break;
            }
        }
    }
    json_decref(rec);
    return found;
}

/* One input item (i-th): its chat message appended to msgs, itself (with an id) to items. */
static int one_item(struct rs_state *st, const json_t *item, size_t i, json_t *msgs,
                    json_t *items, struct lmx_perr *err)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    json_t *m;

    if (type == NULL || strcmp(type, "message") == 0) {
        m = chat_message(item, err);
        if (m == NULL)
            return LMX_EBADREQ;
        json_array_append_new(msgs, m);
    } else if (strcmp(type, "function_call") == 0) {
        const json_t *cid = json_object_get(item, "call_id");
        const json_t *name = json_object_get(item, "name");
        const json_t *args = json_object_get(item, "arguments");
        json_t *am;

        if (!json_is_string(cid) || !json_is_string(name))
            return bad(err, "input", "input[%zu]: function_call needs 'call_id' and 'name'", i);
        am = assistant_for_calls(msgs);
        if (am == NULL)
            return LMX_ENOMEM;
        json_array_append_new(json_object_get(am, "tool_calls"),
                              json_pack("{s:O, s:s, s:{s:O, s:s}}", "id", cid, "type",
                                        "function", "function", "name", name, "arguments",
                                        sval(args, "{}")));
    } else if (strcmp(type, "function_call_output") == 0) {
        const json_t *cid = json_object_get(item, "call_id");

        if (!json_is_string(cid))
            return bad(err, "input", "input[%zu]: function_call_output needs 'call_id'", i);
        json_array_append_new(msgs, json_pack("{s:s, s:O, s:o}", "role", "tool", "tool_call_id",
                                              cid, "content",
                                              tool_output(json_object_get(item, "output"))));
    } else if (strcmp(type, "reasoning") == 0) {
        return 0; /* the provider's own reasoning state: not portable */
    } else {
        return bad(err, "input", "input item type '%s' is not supported", type);
    }
    json_array_append_new(items, input_item(item, st->hex, i));
    return 0;
}

/* Appends the chat messages of the `input` array to msgs and its items to items. */
static int input_to_messages(struct rs_state *st, const json_t *input, json_t *msgs,
                             json_t *items, struct lmx_perr *err)
{
    size_t i;
    json_t *item;

    json_array_foreach (input, i, item) {
        const char *type = json_string_value(json_object_get(item, "type"));
        json_t *ref = NULL;
        int rc;

        if (!json_is_object(item))
            return bad(err, "input", "input[%zu] is not an object", i);
        if (type != NULL && strcmp(type, "item_reference") == 0) {
            const char *id = sval(json_object_get(item, "id"), "");

            ref = resolve_reference(id);
            if (ref == NULL)
                return bad(err, "input", "Item with id '%s' not found.", id);
            if (strcmp(sval(json_object_get(ref, "type"), ""), "item_reference") == 0) {
                json_decref(ref);
                return bad(err, "input", "Item with id '%s' not found.", id);
            }
        }
        rc = one_item(st, ref != NULL ? ref : item, i, msgs, items, err);
        json_decref(ref);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Request: parameters */

static int map_tools(const json_t *tools, json_t *req, struct lmx_perr *err)
{
    json_t *out, *t;
    size_t i;

    if (tools == NULL || json_is_null(tools))
        return 0;
    if (!json_is_array(tools))
        return bad(err, "tools", "'tools' must be an array");
    if (json_array_size(tools) == 0)
        return 0;
    out = json_array();
    json_array_foreach (tools, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        json_t *fn;

        if (type == NULL || strcmp(type, "function") != 0) {
            json_decref(out);
            return bad(err, "tools",
                       "tool type '%s' is not supported when llmux bridges the Responses API; "
                       "only 'function' tools are",
                       type != NULL ? type : "(none)");
        }
        if (!json_is_string(json_object_get(t, "name"))) {
            json_decref(out);
            return bad(err, "tools", "tools[%zu]: a function tool needs a 'name'", i);
        }
        fn = json_pack("{s:O}", "name", json_object_get(t, "name"));
        if (json_is_string(json_object_get(t, "description")))
            json_object_set(fn, "description", json_object_get(t, "description"));
        if (json_is_object(json_object_get(t, "parameters")))
            json_object_set(fn, "parameters", json_object_get(t, "parameters"));
        else
            json_object_set_new(fn, "parameters",
                                json_pack("{s:s, s:{}}", "type", "object", "properties"));
        if (json_is_boolean(json_object_get(t, "strict")))
            json_object_set(fn, "strict", json_object_get(t, "strict"));
        json_array_append_new(out, json_pack("{s:s, s:o}", "type", "function", "function", fn));
    }
    return lmx_json_put(req, "tools", out);
}

static int map_tool_choice(const json_t *tc, json_t *req, struct lmx_perr *err)
{
    const char *type;

    if (tc == NULL || json_is_null(tc))
        return 0;
    if (json_is_string(tc)) {
        const char *s = json_string_value(tc);

        if (strcmp(s, "auto") != 0 && strcmp(s, "none") != 0 && strcmp(s, "required") != 0)
            return bad(err, "tool_choice", "tool_choice must be 'auto', 'none' or 'required'");
        return lmx_json_put(req, "tool_choice", json_incref((json_t *)tc));
    }
    type = json_string_value(json_object_get(tc, "type"));
    if (type != NULL && strcmp(type, "function") == 0 &&
        json_is_string(json_object_get(tc, "name")))
        return lmx_json_put(req, "tool_choice",
                            json_pack("{s:s, s:{s:O}}", "type", "function", "function", "name",
                                      json_object_get(tc, "name")));
    return bad(err, "tool_choice", "tool_choice type '%s' is not supported",
               type != NULL ? type : "(none)");
}

static int map_text_format(const json_t *text, json_t *req, struct lmx_perr *err)
{
    const json_t *f = json_object_get(text, "format");
    const char *type = json_string_value(json_object_get(f, "type"));
    json_t *js;

    if (f == NULL || type == NULL || strcmp(type, "text") == 0)
        return 0;
    if (strcmp(type, "json_object") == 0)
        return lmx_json_put(req, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (strcmp(type, "json_schema") != 0)
        return bad(err, "text.format", "text.format type '%s' is not supported", type);
    if (!json_is_object(json_object_get(f, "schema")))
        return bad(err, "text.format.schema", "text.format of type json_schema needs 'schema'");
    js = json_pack("{s:s, s:O}", "name",
                   sval(json_object_get(f, "name"), "response"), "schema",
                   json_object_get(f, "schema"));
    if (json_is_boolean(json_object_get(f, "strict")))
        json_object_set(js, "strict", json_object_get(f, "strict"));
    if (json_is_string(json_object_get(f, "description")))
        json_object_set(js, "description", json_object_get(f, "description"));
    return lmx_json_put(req, "response_format",
                        json_pack("{s:s, s:o}", "type", "json_schema", "json_schema", js));
}

/* The stored conversation of a previous response: a new reference, or NULL with *err set. */
static json_t *previous_messages(const char *id, struct lmx_perr *err)
{
    size_t len = 0;
    char *rec = lmx_respstore_get(id, &len);
    json_t *root, *msgs = NULL;

    root = rec != NULL ? json_loadb(rec, len, 0, NULL) : NULL;
    lmx_free(rec);
    if (json_is_array(json_object_get(root, "messages")))
        msgs = json_deep_copy(json_object_get(root, "messages"));
    json_decref(root);
    if (msgs == NULL)
        bad(err, "previous_response_id", "Previous response with id '%s' not found.", id);
    return msgs;
}

/* Request fields a Response object repeats (defaults as OpenAI shows them). */
static json_t *echo_fields(const json_t *in, bool store)
{
    const json_t *r = json_object_get(in, "reasoning");
    const json_t *v;
    json_t *e = json_object();

    if (e == NULL)
        return NULL;
    json_object_set_new(e, "instructions", str_or_null(json_object_get(in, "instructions")));
    v = json_object_get(in, "max_output_tokens");
    json_object_set_new(e, "max_output_tokens",
                        json_is_integer(v) ? json_incref((json_t *)v) : json_null());
    v = json_object_get(in, "parallel_tool_calls");
    json_object_set_new(e, "parallel_tool_calls", json_boolean(!json_is_false(v)));
    json_object_set_new(e, "previous_response_id",
                        str_or_null(json_object_get(in, "previous_response_id")));
    json_object_set_new(e, "reasoning",
                        json_pack("{s:o, s:o}", "effort", str_or_null(json_object_get(r, "effort")),
                                  "summary", str_or_null(json_object_get(r, "summary"))));
    json_object_set_new(e, "store", json_boolean(store));
    v = json_object_get(in, "temperature");
    json_object_set_new(e, "temperature",
                        json_is_number(v) ? json_incref((json_t *)v) : json_real(1.0));
    v = json_object_get(in, "text");
    json_object_set_new(e, "text",
                        json_is_object(json_object_get(v, "format"))
                            ? json_pack("{s:O}", "format", json_object_get(v, "format"))
                            : json_pack("{s:{s:s}}", "format", "type", "text"));
    v = json_object_get(in, "tool_choice");
    json_object_set_new(e, "tool_choice",
                        v != NULL && !json_is_null(v) ? json_incref((json_t *)v)
                                                      : json_string("auto"));
    v = json_object_get(in, "tools");
    json_object_set_new(e, "tools", json_is_array(v) ? json_incref((json_t *)v) : json_array());
    v = json_object_get(in, "top_p");
    json_object_set_new(e, "top_p", json_is_number(v) ? json_incref((json_t *)v) : json_real(1.0));
    json_object_set_new(e, "truncation", json_string("disabled"));
    json_object_set_new(e, "user", str_or_null(json_object_get(in, "user")));
    v = json_object_get(in, "metadata");
    json_object_set_new(e, "metadata",
                        json_is_object(v) ? json_incref((json_t *)v) : json_object());
    return e;
}

static void state_free(struct rs_state *st)
{
    if (st == NULL)
        return;
    json_decref(st->echo);
    json_decref(st->conv);
    json_decref(st->input_items);
    json_decref(st->output);
    json_decref(st->usage);
    lmx_buf_release(&st->acc);
    lmx_free(st);
}

/* Copies the plain parameters that mean the same in both APIs. */
static int map_params(const json_t *in, json_t *req, struct lmx_perr *err)
{
    static const char *const same[] = {"temperature", "top_p", "parallel_tool_calls", "user",
                                       "service_tier", "top_logprobs"};
    const json_t *v;

    for (size_t i = 0; i < LMX_ARRAY_SIZE(same); i++) {
        v = json_object_get(in, same[i]);
        if (v != NULL && !json_is_null(v) && lmx_json_put(req, same[i], json_incref((json_t *)v)) < 0)
            return LMX_ENOMEM;
    }
    v = json_object_get(in, "max_output_tokens");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return bad(err, "max_output_tokens", "max_output_tokens must be a positive integer");
        if (lmx_json_put(req, "max_tokens", json_incref((json_t *)v)) < 0)
            return LMX_ENOMEM;
    }
    v = json_object_get(json_object_get(in, "reasoning"), "effort");
    if (json_is_string(v) && lmx_json_put(req, "reasoning_effort", json_incref((json_t *)v)) < 0)
        return LMX_ENOMEM;
    return 0;
}

static int rs_request(struct lmx_dcall *dc, const json_t *in, json_t **out, struct lmx_perr *err)
{
    struct rs_state *st = NULL;
    const json_t *input = json_object_get(in, "input");
    const json_t *model = json_object_get(in, "model");
    const json_t *instr = json_object_get(in, "instructions");
    const json_t *prev = json_object_get(in, "previous_response_id");
    json_t *req = NULL, *msgs = NULL;
    int rc = LMX_ENOMEM;

    *out = NULL;
    if (!json_is_object(in)) {
        rc = bad(err, NULL, "the request body must be a JSON object");
        goto out;
    }
    if (!json_is_string(model) || json_string_length(model) == 0) {
        rc = bad(err, "model", "Missing required parameter: 'model'.");
        goto out;
    }
    if (input != NULL && !json_is_string(input) && !json_is_array(input)) {
        rc = bad(err, "input", "'input' must be a string or an array of input items");
        goto out;
    }
    if (instr != NULL && !json_is_null(instr) && !json_is_string(instr)) {
        rc = bad(err, "instructions", "'instructions' must be a string");
        goto out;
    }
    if (prev != NULL && !json_is_null(prev) && !json_is_string(prev)) {
        rc = bad(err, "previous_response_id", "'previous_response_id' must be a string");
        goto out;
    }
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        goto out;
    lmx_buf_init(&st->acc, TEXT_MAX);
    make_hex(st->hex);
    snprintf(st->resp_id, sizeof(st->resp_id), "resp_%s", st->hex);
    st->store = !json_is_false(json_object_get(in, "store"));
    st->tc_index = -1;
    st->input_items = json_array();
    st->output = json_array();
    st->echo = echo_fields(in, st->store);
    if (st->input_items == NULL || st->output == NULL || st->echo == NULL)
        goto out;

    if (json_is_string(prev)) {
        st->conv = previous_messages(json_string_value(prev), err);
        if (st->conv == NULL) {
            rc = LMX_EBADREQ;
            goto out;
        }
    } else {
        st->conv = json_array();
        if (st->conv == NULL)
            goto out;
    }
    if (json_is_string(input)) {
        json_t *item = json_pack("{s:s, s:s, s:O}", "type", "message", "role", "user", "content",
                                 input);

        json_t *one = json_pack("[o]", item);

        rc = one != NULL ? input_to_messages(st, one, st->conv, st->input_items, err) : LMX_ENOMEM;
        json_decref(one);
    } else if (json_is_array(input)) {
        rc = input_to_messages(st, input, st->conv, st->input_items, err);
    } else {
        rc = 0;
    }
    if (rc < 0)
        goto out;
    rc = LMX_ENOMEM;
    if (json_array_size(st->conv) == 0) {
        rc = bad(err, "input", "Missing required parameter: 'input'.");
        goto out;
    }

    msgs = json_array();
    if (msgs == NULL)
        goto out;
    if (json_is_string(instr) &&
        json_array_append_new(msgs, json_pack("{s:s, s:O}", "role", "system", "content", instr)) <
            0)
        goto out;
    if (json_array_extend(msgs, st->conv) < 0)
        goto out;
    req = json_pack("{s:O, s:o}", "model", model, "messages", msgs);
    msgs = NULL;
    if (req == NULL)
        goto out;
    rc = map_params(in, req, err);
    if (rc == 0)
        rc = map_tools(json_object_get(in, "tools"), req, err);
    if (rc == 0)
        rc = map_tool_choice(json_object_get(in, "tool_choice"), req, err);
    if (rc == 0)
        rc = map_text_format(json_object_get(in, "text"), req, err);
    if (rc < 0)
        goto out;
    rc = LMX_ENOMEM;
    dc->stream = json_is_true(json_object_get(in, "stream"));
    if (dc->stream && (lmx_json_put(req, "stream", json_true()) < 0 ||
                       lmx_json_put(req, "stream_options",
                                    json_pack("{s:b}", "include_usage", 1)) < 0))
        goto out;
    state_free(dc->state);
    dc->state = st;
    st = NULL;
    *out = req;
    req = NULL;
    rc = 0;
out:
    if (rc == LMX_ENOMEM && err->message[0] == '\0') {
        err->status = 503;
        snprintf(err->type, sizeof(err->type), "internal_server_error");
        snprintf(err->message, sizeof(err->message), "out of memory");
    }
    json_decref(msgs);
    json_decref(req);
    state_free(st);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Response objects */

/* Canonical usage → Responses usage (new reference); zeros when absent. */
static json_t *usage_obj(const json_t *u)
{
    long long in = lmx_json_int(json_object_get(u, "prompt_tokens"));
    long long out = lmx_json_int(json_object_get(u, "completion_tokens"));
    long long total = lmx_json_int(json_object_get(u, "total_tokens"));
    long long cached =
        lmx_json_int(json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens"));
    long long reasoning = lmx_json_int(
        json_object_get(json_object_get(u, "completion_tokens_details"), "reasoning_tokens"));

    if (total == 0)
        total = in + out;
    return json_pack("{s:I, s:{s:I}, s:I, s:{s:I}, s:I}", "input_tokens", (json_int_t)in,
                     "input_tokens_details", "cached_tokens", (json_int_t)cached, "output_tokens",
                     (json_int_t)out, "output_tokens_details", "reasoning_tokens",
                     (json_int_t)reasoning, "total_tokens", (json_int_t)total);
}

/*
 * A Response object (new reference). output is borrowed; usage, incomplete
 * and error are stolen (NULL = JSON null).
 */
static json_t *response_obj(const struct lmx_dcall *dc, const struct rs_state *st,
                            const char *status, const json_t *output, json_t *usage,
                            json_t *incomplete, json_t *error)
{
    json_t *r = json_pack("{s:s, s:s, s:I, s:s, s:b, s:o, s:o, s:s, s:O}", "id", st->resp_id,
                          "object", "response", "created_at", (json_int_t)dc->created, "status",
                          status, "background", 0, "error", error ? error : json_null(),
                          "incomplete_details", incomplete ? incomplete : json_null(), "model",
                          dc->model != NULL ? dc->model : "", "output", output);

    if (r == NULL || json_object_update(r, st->echo) < 0 ||
        json_object_set_new(r, "usage", usage ? usage : json_null()) < 0) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static json_t *message_item(const char *id, const char *status, const char *text, size_t len,
                            bool refusal)
{
    json_t *part = refusal ? json_pack("{s:s, s:s#}", "type", "refusal", "refusal", text, (int)len)
                           : json_pack("{s:s, s:[], s:[], s:s#}", "type", "output_text",
                                       "annotations", "logprobs", "text", text, (int)len);

    return json_pack("{s:s, s:s, s:s, s:s, s:[o]}", "id", id, "type", "message", "status", status,
                     "role", "assistant", "content", part);
}

static json_t *reasoning_item(const char *id, const char *text, size_t len)
{
    return json_pack("{s:s, s:s, s:[{s:s, s:s#}]}", "id", id, "type", "reasoning", "summary",
                     "type", "summary_text", "text", text, (int)len);
}

static json_t *fcall_item(const char *id, const char *status, const char *call_id,
                          const char *name, const char *args, size_t len)
{
    return json_pack("{s:s, s:s, s:s, s:s#, s:s, s:s}", "id", id, "type", "function_call",
                     "status", status, "arguments", args, (int)len, "call_id", call_id, "name",
                     name);
}

static void item_id(struct rs_state *st, const char *prefix, char *out, size_t n)
{
    snprintf(out, n, "%s_%s_%d", prefix, st->hex, st->nitems++);
}

/* The output items of a canonical assistant message (new array), or NULL. */
static json_t *output_of_message(struct rs_state *st, const json_t *msg)
{
    const json_t *reasoning = json_object_get(msg, "reasoning_content");
    const json_t *content = json_object_get(msg, "content");
    const json_t *refusal = json_object_get(msg, "refusal");
    const json_t *calls = json_object_get(msg, "tool_calls");
    json_t *outp = json_array(), *tc;
    char id[96];
    size_t i;

    if (outp == NULL)
        return NULL;
    if (!json_is_string(reasoning))
        reasoning = json_object_get(msg, "reasoning");
    if (json_is_string(reasoning) && json_string_length(reasoning) > 0) {
        item_id(st, "rs", id, sizeof(id));
        json_array_append_new(outp, reasoning_item(id, json_string_value(reasoning),
                                                   json_string_length(reasoning)));
    }
    if (json_is_string(refusal) && json_string_length(refusal) > 0) {
        item_id(st, "msg", id, sizeof(id));
        json_array_append_new(outp, message_item(id, "completed", json_string_value(refusal),
                                                 json_string_length(refusal), true));
    } else if ((json_is_string(content) && json_string_length(content) > 0) ||
               json_array_size(calls) == 0) {
        struct lmx_buf b;

        lmx_buf_init(&b, TEXT_MAX);
        if (json_is_string(content))
            lmx_buf_append(&b, json_string_value(content), json_string_length(content));
        else if (json_is_array(content))
            parts_text(content, &b);
        item_id(st, "msg", id, sizeof(id));
        json_array_append_new(outp, message_item(id, "completed", b.data ? b.data : "", b.len,
                                                 false));
        lmx_buf_release(&b);
    }
    json_array_foreach (calls, i, tc) {
        const json_t *fn = json_object_get(tc, "function");
        const char *args = json_string_value(json_object_get(fn, "arguments"));

        item_id(st, "fc", id, sizeof(id));
        json_array_append_new(
            outp, fcall_item(id, "completed", sval(json_object_get(tc, "id"), ""),
                             sval(json_object_get(fn, "name"), ""),
                             args != NULL ? args : "{}", args != NULL ? strlen(args) : 2));
    }
    return outp;
}

/* The canonical assistant turn of a response's output (new reference). */
static json_t *assistant_turn(const json_t *output)
{
    json_t *msg = json_pack("{s:s, s:n}", "role", "assistant", "content");
    json_t *calls = json_array(), *it;
    struct lmx_buf b;
    bool has_text = false;
    size_t i;

    lmx_buf_init(&b, TEXT_MAX);
    json_array_foreach (output, i, it) {
        const char *type = sval(json_object_get(it, "type"), "");

        if (strcmp(type, "message") == 0) {
            has_text = true;
            parts_text(json_object_get(it, "content"), &b);
        } else if (strcmp(type, "function_call") == 0) {
            json_array_append_new(calls, json_pack("{s:O, s:s, s:{s:O, s:O}}", "id",
                                                   json_object_get(it, "call_id"), "type",
                                                   "function", "function", "name",
                                                   json_object_get(it, "name"), "arguments",
                                                   json_object_get(it, "arguments")));
        }
    }
    if (msg != NULL && has_text)
        json_object_set_new(msg, "content", json_stringn(b.data ? b.data : "", b.len));
    if (msg != NULL && json_array_size(calls) > 0)
        json_object_set(msg, "tool_calls", calls);
    json_decref(calls);
    lmx_buf_release(&b);
    return msg;
}

/* Puts the record of a finished response in the store (unless store:false). */
static void store_record(const struct rs_state *st, const json_t *resp, const json_t *output)
{
    json_t *msgs, *rec;
    char *text;

    if (!st->store)
        return;
    msgs = json_copy(st->conv);
    if (msgs != NULL)
        json_array_append_new(msgs, assistant_turn(output));
    rec = json_pack("{s:O, s:O, s:o}", "response", resp, "input_items", st->input_items,
                    "messages", msgs);
    text = rec != NULL ? json_dumps(rec, JSON_COMPACT) : NULL;
    if (text != NULL)
        lmx_respstore_put(st->resp_id, text, strlen(text));
    lmx_free(text);
    json_decref(rec);
}

/* status and incomplete_details of a finish_reason. */
static const char *finish_status(const char *finish, json_t **incomplete)
{
    *incomplete = NULL;
    if (finish != NULL && strcmp(finish, "length") == 0) {
        *incomplete = json_pack("{s:s}", "reason", "max_output_tokens");
        return "incomplete";
    }
    if (finish != NULL && strcmp(finish, "content_filter") == 0) {
        *incomplete = json_pack("{s:s}", "reason", "content_filter");
        return "incomplete";
    }
    return "completed";
}

static int rs_response(struct lmx_dcall *dc, const json_t *resp, struct lmx_buf *out)
{
    struct rs_state *st = dc->state;
    const json_t *choice = json_array_get(json_object_get(resp, "choices"), 0);
    json_t *output = NULL, *r = NULL, *incomplete;
    const char *status;
    int rc = LMX_ENOMEM;

    if (LMX_NEVER(st == NULL))
        return LMX_EINTERNAL;
    output = output_of_message(st, json_object_get(choice, "message"));
    if (output == NULL)
        goto out;
    status = finish_status(json_string_value(json_object_get(choice, "finish_reason")),
                           &incomplete);
    r = response_obj(dc, st, status, output, usage_obj(json_object_get(resp, "usage")),
                     incomplete, NULL);
    if (r == NULL)
        goto out;
    if (strcmp(status, "completed") == 0)
        json_object_set_new(r, "completed_at", json_integer((json_int_t)lmx_wall_s()));
    rc = lmx_json_append(r, out);
    if (rc == 0)
        store_record(st, r, output);
out:
    json_decref(output);
    json_decref(r);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams */

/* Frames ev (stolen; its "type" names the event) with the next sequence_number. */
static int emit(struct rs_state *st, struct lmx_buf *out, json_t *ev)
{
    const char *type;
    int rc = LMX_ENOMEM;

    if (ev == NULL || json_object_set_new(ev, "sequence_number", json_integer(st->seq)) < 0)
        goto out;
    type = json_string_value(json_object_get(ev, "type"));
    rc = lmx_buf_printf(out, "event: %s\ndata: ", type);
    if (rc == 0)
        rc = lmx_json_append(ev, out);
    if (rc == 0)
        rc = lmx_buf_puts(out, "\n\n");
    if (rc == 0)
        st->seq++;
out:
    json_decref(ev);
    return rc;
}

static int emit_response(struct rs_state *st, struct lmx_buf *out, const char *type,
                         json_t *resp)
{
    if (resp == NULL)
        return LMX_ENOMEM;
    return emit(st, out, json_pack("{s:s, s:o}", "type", type, "response", resp));
}

static int stream_start(struct lmx_dcall *dc, struct rs_state *st, struct lmx_buf *out)
{
    json_t *empty = json_array();
    int rc;

    st->started = true;
    rc = emit_response(st, out, "response.created",
                       response_obj(dc, st, "in_progress", empty, NULL, NULL, NULL));
    if (rc == 0)
        rc = emit_response(st, out, "response.in_progress",
                           response_obj(dc, st, "in_progress", empty, NULL, NULL, NULL));
    json_decref(empty);
    return rc;
}

/* Ends the open item: its done events, and the item kept in st->output. */
static int close_item(struct rs_state *st, struct lmx_buf *out)
{
    size_t oi = json_array_size(st->output);
    const char *text = st->acc.data ? st->acc.data : "";
    size_t len = st->acc.len;
    json_t *item = NULL;
    int rc = 0;

    switch (st->open) {
    case OPEN_NONE:
        return 0;
    case OPEN_REASONING:
        rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:s#}", "type",
                                     "response.reasoning_summary_text.done", "item_id",
                                     st->item_id, "output_index", (json_int_t)oi, "summary_index",
                                     0, "text", text, (int)len));
        if (rc == 0)
            rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:{s:s, s:s#}}", "type",
                                         "response.reasoning_summary_part.done", "item_id",
                                         st->item_id, "output_index", (json_int_t)oi,
                                         "summary_index", 0, "part", "type", "summary_text",
                                         "text", text, (int)len));
        item = reasoning_item(st->item_id, text, len);
        break;
    case OPEN_MESSAGE:
        rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:[], s:s#}", "type",
                                     "response.output_text.done", "item_id", st->item_id,
                                     "output_index", (json_int_t)oi, "content_index", 0,
                                     "logprobs", "text", text, (int)len));
        if (rc == 0)
            rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:{s:s, s:[], s:[], s:s#}}",
                                         "type", "response.content_part.done", "item_id",
                                         st->item_id, "output_index", (json_int_t)oi,
                                         "content_index", 0, "part", "type", "output_text",
                                         "annotations", "logprobs", "text", text, (int)len));
        item = message_item(st->item_id, "completed", text, len, false);
        break;
    case OPEN_FCALL:
        rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:s, s:s#}", "type",
                                     "response.function_call_arguments.done", "item_id",
                                     st->item_id, "output_index", (json_int_t)oi, "name", st->name,
                                     "arguments", text, (int)len));
        item = fcall_item(st->item_id, "completed", st->call_id, st->name, text, len);
        break;
    }
    if (rc == 0 && item != NULL)
        rc = emit(st, out, json_pack("{s:s, s:I, s:O}", "type", "response.output_item.done",
                                     "output_index", (json_int_t)oi, "item", item));
    if (rc == 0 && (item == NULL || json_array_append(st->output, item) < 0))
        rc = LMX_ENOMEM;
    json_decref(item);
    st->open = OPEN_NONE;
    st->tc_index = -1;
    lmx_buf_reset(&st->acc);
    return rc;
}

/* Starts an item of kind `k` (closing the open one): its added events. */
static int open_item(struct rs_state *st, struct lmx_buf *out, enum rs_open k)
{
    json_int_t oi;
    json_t *item = NULL;
    int rc = close_item(st, out);

    if (rc < 0)
        return rc;
    oi = (json_int_t)json_array_size(st->output);
    st->open = k;
    switch (k) {
    case OPEN_REASONING:
        item_id(st, "rs", st->item_id, sizeof(st->item_id));
        item = json_pack("{s:s, s:s, s:[]}", "id", st->item_id, "type", "reasoning", "summary");
        break;
    case OPEN_MESSAGE:
        item_id(st, "msg", st->item_id, sizeof(st->item_id));
        item = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", st->item_id, "type", "message",
                         "status", "in_progress", "role", "assistant", "content");
        break;
    case OPEN_FCALL:
        item_id(st, "fc", st->item_id, sizeof(st->item_id));
        item = fcall_item(st->item_id, "in_progress", st->call_id, st->name, "", 0);
        break;
    case OPEN_NONE:
        return 0;
    }
    rc = emit(st, out, json_pack("{s:s, s:I, s:o}", "type", "response.output_item.added",
                                 "output_index", oi, "item", item));
    if (rc == 0 && k == OPEN_REASONING)
        rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:{s:s, s:s}}", "type",
                                     "response.reasoning_summary_part.added", "item_id",
                                     st->item_id, "output_index", oi, "summary_index", 0, "part",
                                     "type", "summary_text", "text", ""));
    if (rc == 0 && k == OPEN_MESSAGE)
        rc = emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:{s:s, s:[], s:[], s:s}}", "type",
                                     "response.content_part.added", "item_id", st->item_id,
                                     "output_index", oi, "content_index", 0, "part", "type",
                                     "output_text", "annotations", "logprobs", "text", ""));
    return rc;
}

/* A text delta for the open item of kind k (opening it when another is open). */
static int text_delta(struct rs_state *st, struct lmx_buf *out, enum rs_open k, const json_t *d)
{
    json_int_t oi;
    int rc = 0;

    if (st->open != k)
        rc = open_item(st, out, k);
    if (rc < 0)
        return rc;
    rc = lmx_buf_append(&st->acc, json_string_value(d), json_string_length(d));
    if (rc < 0)
        return rc;
    oi = (json_int_t)json_array_size(st->output);
    if (k == OPEN_REASONING)
        return emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:O}", "type",
                                       "response.reasoning_summary_text.delta", "item_id",
                                       st->item_id, "output_index", oi, "summary_index", 0,
                                       "delta", d));
    if (k == OPEN_MESSAGE)
        return emit(st, out, json_pack("{s:s, s:s, s:I, s:i, s:O, s:[]}", "type",
                                       "response.output_text.delta", "item_id", st->item_id,
                                       "output_index", oi, "content_index", 0, "delta", d,
                                       "logprobs"));
    return emit(st, out, json_pack("{s:s, s:s, s:I, s:O}", "type",
                                   "response.function_call_arguments.delta", "item_id",
                                   st->item_id, "output_index", oi, "delta", d));
}

static int tool_call_delta(struct rs_state *st, struct lmx_buf *out, const json_t *tc)
{
    const json_t *fn = json_object_get(tc, "function");
    const json_t *args = json_object_get(fn, "arguments");
    const json_t *idx = json_object_get(tc, "index");
    long index = json_is_integer(idx) ? (long)json_integer_value(idx) : 0;
    int rc = 0;

    if (st->open != OPEN_FCALL || index != st->tc_index) {
        const char *id = json_string_value(json_object_get(tc, "id"));

        rc = close_item(st, out);
        if (rc < 0)
            return rc;
        if (id != NULL)
            snprintf(st->call_id, sizeof(st->call_id), "%s", id);
        else
            snprintf(st->call_id, sizeof(st->call_id), "call_%.24s_%d", st->hex, st->nitems);
        snprintf(st->name, sizeof(st->name), "%s",
                 sval(json_object_get(fn, "name"), ""));
        rc = open_item(st, out, OPEN_FCALL);
        st->tc_index = index;
    }
    if (rc == 0 && json_is_string(args) && json_string_length(args) > 0)
        rc = text_delta(st, out, OPEN_FCALL, args);
    return rc;
}

static int rs_stream_chunk(struct lmx_dcall *dc, const json_t *chunk, struct lmx_buf *out)
{
    struct rs_state *st = dc->state;
    const json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
    const json_t *delta = json_object_get(choice, "delta");
    const json_t *u = json_object_get(chunk, "usage");
    const json_t *v, *tc;
    const char *fr;
    size_t i;
    int rc = 0;

    if (LMX_NEVER(st == NULL))
        return LMX_EINTERNAL;
    if (!st->started)
        rc = stream_start(dc, st, out);
    if (rc == 0 && json_is_object(u)) {
        json_decref(st->usage);
        st->usage = json_incref((json_t *)u);
    }
    v = json_object_get(delta, "reasoning_content");
    if (!json_is_string(v))
        v = json_object_get(delta, "reasoning");
    if (rc == 0 && json_is_string(v) && json_string_length(v) > 0)
        rc = text_delta(st, out, OPEN_REASONING, v);
    v = json_object_get(delta, "content");
    if (rc == 0 && json_is_string(v) && json_string_length(v) > 0)
        rc = text_delta(st, out, OPEN_MESSAGE, v);
    v = json_object_get(delta, "refusal");
    if (rc == 0 && json_is_string(v) && json_string_length(v) > 0)
        rc = text_delta(st, out, OPEN_MESSAGE, v);
    json_array_foreach (json_object_get(delta, "tool_calls"), i, tc) {
        if (rc == 0)
            rc = tool_call_delta(st, out, tc);
    }
    fr = json_string_value(json_object_get(choice, "finish_reason"));
    if (fr != NULL)
        snprintf(st->finish, sizeof(st->finish), "%s", fr);
    return rc;
}

static int rs_stream_end(struct lmx_dcall *dc, struct lmx_buf *out)
{
    struct rs_state *st = dc->state;
    json_t *r, *incomplete;
    const char *status;
    int rc = 0;

    if (LMX_NEVER(st == NULL))
        return LMX_EINTERNAL;
    if (!st->started)
        rc = stream_start(dc, st, out);
    if (rc == 0)
        rc = close_item(st, out);
    if (rc == 0 && json_array_size(st->output) == 0) {
        rc = open_item(st, out, OPEN_MESSAGE); /* an empty answer is still one message */
        if (rc == 0)
            rc = close_item(st, out);
    }
    if (rc < 0)
        return rc;
    status = finish_status(st->finish[0] ? st->finish : NULL, &incomplete);
    r = response_obj(dc, st, status, st->output, usage_obj(st->usage), incomplete, NULL);
    if (r == NULL)
        return LMX_ENOMEM;
    if (strcmp(status, "completed") == 0)
        json_object_set_new(r, "completed_at", json_integer((json_int_t)lmx_wall_s()));
    store_record(st, r, st->output);
    return emit_response(st, out,
                         strcmp(status, "completed") == 0 ? "response.completed"
                                                          : "response.incomplete",
                         r);
}

/* ------------------------------------------------------------------------ */
/* Errors */

static void rs_error_body(int status, const char *type, const char *message, struct lmx_buf *out)
{
    json_t *e = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message",
                          message != NULL ? message : "", "type",
                          type != NULL ? type : "internal_server_error", "param", "code", "");

    if (e != NULL) {
        char code[16];

        snprintf(code, sizeof(code), "%d", status);
        json_object_set_new(json_object_get(e, "error"), "code", json_string(code));
        lmx_json_append(e, out);
    }
    json_decref(e);
}

/*
 * The stream's failure: an "error" event (code, message and param at the top
 * as the API reference shows them, and the same in "error" as the live API
 * sends them, which the openai SDKs turn into an exception), then
 * response.failed once response.created went out.
 */
static void rs_stream_error(struct lmx_dcall *dc, int status, const char *type,
                            const char *message, struct lmx_buf *out)
{
    struct rs_state *st = dc->state;
    struct rs_state tmp;
    json_t *ev;

    LMX_UNUSED(status);
    if (type == NULL)
        type = "internal_server_error";
    if (message == NULL)
        message = "upstream failed";
    if (st == NULL) {
        memset(&tmp, 0, sizeof(tmp));
        st = &tmp;
    }
    ev = json_pack("{s:s, s:s, s:s, s:n, s:{s:s, s:s, s:s, s:n}}", "type", "error", "code", type,
                   "message", message, "param", "error", "type", type, "code", type, "message",
                   message, "param");
    if (emit(st, out, ev) < 0 || st == &tmp || !st->started)
        return;
    if (st->open != OPEN_NONE)
        close_item(st, out); /* what came is kept in the failed response */
    emit_response(st, out, "response.failed",
                  response_obj(dc, st, "failed", st->output, NULL, NULL,
                               json_pack("{s:s, s:s}", "code", type, "message", message)));
}

static void rs_release(struct lmx_dcall *dc)
{
    state_free(dc->state);
    dc->state = NULL;
}

const struct lmx_dialect_ops lmx_dialect_responses = {
    .name = "responses",
    .stream_content_type = "text/event-stream",
    .request = rs_request,
    .response = rs_response,
    .stream_chunk = rs_stream_chunk,
    .stream_end = rs_stream_end,
    .error_body = rs_error_body,
    .stream_error = rs_stream_error,
    .release = rs_release,
};
