/*
 * dialect/anthropic_in.c - the Anthropic Messages inbound dialect
 * (POST /v1/messages): Claude Code, @anthropic-ai/sdk and the like, served
 * from any provider through the canonical (OpenAI chat) format.
 *
 * request: the Messages body becomes a canonical chat request the way
 * LiteLLM's Anthropic adapter does it: `system` a system message (text parts
 * keep their cache_control), tool_result blocks role "tool" messages ahead of
 * the rest of their user turn, tool_use blocks assistant tool_calls, thinking
 * blocks the assistant's thinking_blocks and reasoning_content, images
 * image_url parts, base64 documents "file" parts with a data URL. The shapes
 * are the ones provider/anthropic.c reads back, so Anthropic -> canonical ->
 * Anthropic keeps blocks, cache_control, signatures and the thinking budget.
 * `thinking` goes through as is and also as reasoning_effort (LiteLLM's
 * budget buckets: 1024 low, 2048 medium, 4096 high) for other providers.
 *
 * response / stream_chunk: a chat.completion becomes a message; chunks become
 * Anthropic's typed events (message_start, ping, content_block_start / delta
 * / stop, message_delta, message_stop) with one block open at a time. The
 * usage chunk comes after the finish chunk, so message_delta waits for it.
 *
 * Not here: the routing, the HTTP framing of errors (api/proxy.c), token
 * counting (dialect/count.c). Anthropic-only request fields the canonical
 * form has no place for (container, mcp_servers, service_tier, ...) are
 * dropped; tool_result's is_error has no canonical field and is dropped too.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "dialect/dialect.h"
#include "provider/params.h"

#define AIN_DATA_MAX ((size_t)512 << 20) /* a data: URL built from a base64 source */
#define AIN_TEXT_MAX ((size_t)256 << 20)

enum ain_block { B_NONE, B_TEXT, B_THINK, B_TOOL };

/* Per-call state: what the request said that the answer needs, and the stream's progress. */
struct ain_state {
    json_t *stops; /* the request's stop_sequences (owned), NULL when none */
    /* stream */
    bool started;      /* message_start went out */
    bool finished;     /* a finish_reason arrived */
    bool ended;        /* message_delta and message_stop went out */
    bool sig_done;     /* the open thinking block got its signature */
    int open;          /* enum ain_block */
    int next_index;    /* the next content block index */
    long tool;         /* the canonical tool_calls index of the open tool block */
    long tool_max;     /* the highest tool index a block was opened for, -1 none */
    char tool_id[256]; /* the id of the open tool block */
    char stop_reason[32];
    json_t *stop_seq; /* the stop sequence hit (owned), NULL when none known */
    json_int_t prompt, completion, cache_read, cache_write;
};

static const char *sget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int oom(struct lmx_perr *e)
{
    e->status = 503;
    snprintf(e->type, sizeof(e->type), "internal_server_error");
    e->param[0] = '\0';
    snprintf(e->message, sizeof(e->message), "out of memory translating the anthropic request");
    return LMX_ENOMEM;
}

/* The call's state, made on first use; NULL when out of memory. */
static struct ain_state *state_get(struct lmx_dcall *dc)
{
    struct ain_state *st = dc->state;

    if (st != NULL)
        return st;
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->tool = -1;
    st->tool_max = -1;
    dc->state = st;
    return st;
}

static void ain_release(struct lmx_dcall *dc)
{
    struct ain_state *st = dc->state;

    if (st == NULL)
        return;
    json_decref(st->stops);
    json_decref(st->stop_seq);
    lmx_free(st);
    dc->state = NULL;
}

/* A block's cache_control copied onto the canonical part or message. */
static void copy_cc(const json_t *from, json_t *to, bool *bad)
{
    const json_t *cc = json_object_get(from, "cache_control");

    if (json_is_object(cc))
        lmx_json_put_flag(to, "cache_control", json_deep_copy(cc), bad);
}

/* ------------------------------------------------------------------------ */
/* Request: content blocks */

/*
 * An image or document source as a URL string (new): base64 -> a data: URL,
 * url -> the URL. `where` names the block in errors.
 */
static int source_url(
    const json_t *src, const char *dflt_mime, const char *where, json_t **out, struct lmx_perr *err)
{
    const char *type = sget(src, "type");
    struct lmx_buf b;
    int rc;

    *out = NULL;
    if (lmx_streq(type, "url")) {
        if (sget(src, "url") == NULL)
            return lmx_perr_bad(err, "messages", "%s.source.url: Field required", where);
        *out = json_string(sget(src, "url"));
        return *out != NULL ? 0 : oom(err);
    }
    if (!lmx_streq(type, "base64"))
        return lmx_perr_bad(err, "messages", "%s.source.type: source type '%s' is not supported",
                            where,
                            type != NULL ? type : "(none)");
    if (sget(src, "data") == NULL)
        return lmx_perr_bad(err, "messages", "%s.source.data: Field required", where);
    if (sget(src, "media_type") == NULL && dflt_mime == NULL)
        return lmx_perr_bad(err, "messages", "%s.source.media_type: Field required", where);
    lmx_buf_init(&b, AIN_DATA_MAX);
    rc = lmx_buf_printf(&b, "data:%s;base64,",
                        sget(src, "media_type") != NULL ? sget(src, "media_type") : dflt_mime);
    if (rc == 0)
        rc =
            lmx_buf_append(&b, sget(src, "data"), json_string_length(json_object_get(src, "data")));
    if (rc == 0)
        *out = json_stringn(b.data, b.len);
    lmx_buf_release(&b);
    if (rc == LMX_ETOOBIG)
        return lmx_perr_bad(err, "messages", "%s.source.data: too large", where);
    return *out != NULL ? 0 : oom(err);
}

/* A text block as a canonical text part (new). */
static int text_part(const json_t *blk, const char *where, json_t **out, struct lmx_perr *err)
{
    bool bad = false;

    *out = NULL;
    if (!json_is_string(json_object_get(blk, "text")))
        return lmx_perr_bad(err, "messages", "%s.text: Field required", where);
    *out = json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(blk, "text"));
    if (*out == NULL)
        return oom(err);
    copy_cc(blk, *out, &bad);
    return bad ? oom(err) : 0;
}

static int image_part(const json_t *blk, const char *where, json_t **out, struct lmx_perr *err)
{
    json_t *url = NULL;
    bool bad = false;
    int rc;

    *out = NULL;
    rc = source_url(json_object_get(blk, "source"), NULL, where, &url, err);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:s,s:{s:o}}", "type", "image_url", "image_url", "url", url);
    if (*out == NULL)
        return oom(err);
    copy_cc(blk, *out, &bad);
    return bad ? oom(err) : 0;
}

/*
 * A document: base64 -> a "file" part with a data URL (what provider
 * adapters read as a PDF), url -> an image_url part (LiteLLM's choice), a
 * plain-text source -> a text part.
 */
static int doc_part(const json_t *blk, const char *where, json_t **out, struct lmx_perr *err)
{
    const json_t *src = json_object_get(blk, "source");
    const char *type = sget(src, "type");
    json_t *url = NULL;
    bool bad = false;
    int rc;

    *out = NULL;
    if (lmx_streq(type, "text")) {
        if (sget(src, "data") == NULL)
            return lmx_perr_bad(err, "messages", "%s.source.data: Field required", where);
        *out = json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(src, "data"));
    } else {
        rc = source_url(src, "application/pdf", where, &url, err);
        if (rc < 0)
            return rc;
        if (lmx_streq(type, "base64"))
            *out = json_pack("{s:s,s:{s:o}}", "type", "file", "file", "file_data", url);
        else
            *out = json_pack("{s:s,s:{s:o}}", "type", "image_url", "image_url", "url", url);
    }
    if (*out == NULL)
        return oom(err);
    copy_cc(blk, *out, &bad);
    return bad ? oom(err) : 0;
}

/* tool_result content: a string, or text / image blocks (one text block -> its string). */
static int
tool_result_content(const json_t *c, const char *where, json_t **out, struct lmx_perr *err)
{
    const json_t *blk;
    json_t *parts, *p;
    char w[96];
    size_t i;
    int rc;

    *out = NULL;
    if (!lmx_json_present(c)) {
        *out = json_string("");
        return *out != NULL ? 0 : oom(err);
    }
    if (json_is_string(c)) {
        *out = json_incref((json_t *)c);
        return 0;
    }
    if (!json_is_array(c))
        return lmx_perr_bad(err, "messages", "%s.content: Input should be a valid string or list",
                            where);
    if (json_array_size(c) == 1 && lmx_streq(sget(json_array_get(c, 0), "type"), "text") &&
        json_is_string(json_object_get(json_array_get(c, 0), "text")) &&
        !json_is_object(json_object_get(json_array_get(c, 0), "cache_control"))) {
        *out = json_incref(json_object_get(json_array_get(c, 0), "text"));
        return 0;
    }
    parts = json_array();
    if (parts == NULL)
        return oom(err);
    json_array_foreach(c, i, blk) {
        const char *type = sget(blk, "type");

        snprintf(w, sizeof(w), "%s.content.%zu", where, i);
        p = NULL;
        if (lmx_streq(type, "text"))
            rc = text_part(blk, w, &p, err);
        else if (lmx_streq(type, "image"))
            rc = image_part(blk, w, &p, err);
        else if (lmx_streq(type, "document"))
            rc = doc_part(blk, w, &p, err);
        else
            rc = lmx_perr_bad(err, "messages",
                              "%s.type: block type '%s' is not supported in a tool_result", w,
                              type != NULL ? type : "(none)");
        if (rc == 0 && json_array_append_new(parts, p) < 0)
            rc = oom(err);
        if (rc < 0) {
            json_decref(parts);
            return rc;
        }
    }
    *out = parts;
    return 0;
}

/* A tool_result block as a role "tool" message appended to msgs. */
static int tool_message(const json_t *blk, const char *where, json_t *msgs, struct lmx_perr *err)
{
    const char *id = sget(blk, "tool_use_id");
    json_t *content = NULL, *m;
    bool bad = false;
    int rc;

    if (id == NULL)
        return lmx_perr_bad(err, "messages", "%s.tool_use_id: Field required", where);
    rc = tool_result_content(json_object_get(blk, "content"), where, &content, err);
    if (rc < 0)
        return rc;
    m = json_pack("{s:s,s:s,s:o}", "role", "tool", "tool_call_id", id, "content", content);
    if (m == NULL)
        return oom(err);
    copy_cc(blk, m, &bad);
    lmx_json_push_flag(msgs, m, &bad);
    return bad ? oom(err) : 0;
}

/* A user turn: tool_result blocks become tool messages first, the rest one user message. */
static int user_turn(const json_t *content, size_t mi, json_t *msgs, struct lmx_perr *err)
{
    json_t *parts, *p;
    const json_t *blk;
    char w[64];
    bool bad = false;
    size_t i;
    int rc = 0;

    if (json_is_string(content)) {
        lmx_json_push_flag(msgs, json_pack("{s:s,s:O}", "role", "user", "content", content), &bad);
        return bad ? oom(err) : 0;
    }
    parts = json_array();
    if (parts == NULL)
        return oom(err);
    json_array_foreach(content, i, blk) {
        const char *type = sget(blk, "type");

        snprintf(w, sizeof(w), "messages.%zu.content.%zu", mi, i);
        p = NULL;
        if (!json_is_object(blk) || type == NULL)
            rc = lmx_perr_bad(err, "messages", "%s.type: Field required", w);
        else if (strcmp(type, "text") == 0)
            rc = text_part(blk, w, &p, err);
        else if (strcmp(type, "image") == 0)
            rc = image_part(blk, w, &p, err);
        else if (strcmp(type, "document") == 0)
            rc = doc_part(blk, w, &p, err);
        else if (strcmp(type, "tool_result") == 0)
            rc = tool_message(blk, w, msgs, err);
        else
            rc = lmx_perr_bad(err, "messages",
                              "%s.type: block type '%s' is not supported in a user message", w,
                              type);
        if (rc < 0)
            goto out;
        if (p != NULL && json_array_append_new(parts, p) < 0) {
            rc = oom(err);
            goto out;
        }
    }
    if (json_array_size(parts) > 0 || json_array_size(content) == 0) {
        lmx_json_push_flag(msgs,
                           json_array_size(parts) > 0 ? json_pack("{s:s,s:O}", "role", "user",
                                                                  "content", parts)
                                                      : json_pack("{s:s,s:s}", "role", "user",
                                                                  "content", ""),
                           &bad);
        if (bad)
            rc = oom(err);
    }
out:
    json_decref(parts);
    return rc;
}

/* A tool_use block as a canonical tool call (new). */
static int tool_call(const json_t *blk, const char *where, json_t **out, struct lmx_perr *err)
{
    const char *id = sget(blk, "id"), *name = sget(blk, "name");
    const json_t *input = json_object_get(blk, "input");
    struct lmx_buf args;
    int rc;

    *out = NULL;
    if (id == NULL)
        return lmx_perr_bad(err, "messages", "%s.id: Field required", where);
    if (name == NULL)
        return lmx_perr_bad(err, "messages", "%s.name: Field required", where);
    lmx_buf_init(&args, AIN_TEXT_MAX);
    rc = lmx_json_present(input) ? lmx_json_append(input, &args) : lmx_buf_puts(&args, "{}");
    if (rc == 0)
        *out = json_pack("{s:s,s:s,s:{s:s,s:s%}}", "id", id, "type", "function", "function", "name",
                         name, "arguments", args.data, args.len);
    lmx_buf_release(&args);
    return *out != NULL ? 0 : oom(err);
}

/* A thinking / redacted_thinking block as a canonical thinking block (new). */
static int thinking_block(
    const json_t *blk, const char *where, bool redacted, json_t **out, struct lmx_perr *err)
{
    bool bad = false;

    *out = NULL;
    if (redacted) {
        if (sget(blk, "data") == NULL)
            return lmx_perr_bad(err, "messages", "%s.data: Field required", where);
        *out = json_pack("{s:s,s:O}", "type", "redacted_thinking", "data",
                         json_object_get(blk, "data"));
    } else {
        if (sget(blk, "thinking") == NULL)
            return lmx_perr_bad(err, "messages", "%s.thinking: Field required", where);
        *out = json_pack("{s:s,s:O}", "type", "thinking", "thinking",
                         json_object_get(blk, "thinking"));
        if (*out != NULL && json_is_string(json_object_get(blk, "signature")))
            lmx_json_put_flag(*out, "signature", json_incref(json_object_get(blk, "signature")),
                              &bad);
    }
    if (*out == NULL)
        return oom(err);
    copy_cc(blk, *out, &bad);
    return bad ? oom(err) : 0;
}

/*
 * An assistant turn: text (one string, or parts when one carries
 * cache_control), tool_calls, thinking_blocks + reasoning_content.
 */
static int assistant_turn(const json_t *content, size_t mi, json_t *msgs, struct lmx_perr *err)
{
    json_t *texts = json_array(), *calls = json_array(), *thinking = json_array();
    json_t *m = NULL, *p;
    struct lmx_buf text, reasoning;
    const json_t *blk;
    bool bad = false, cc = false;
    char w[64];
    size_t i;
    int rc = 0;

    lmx_buf_init(&text, AIN_TEXT_MAX);
    lmx_buf_init(&reasoning, AIN_TEXT_MAX);
    if (texts == NULL || calls == NULL || thinking == NULL) {
        rc = oom(err);
        goto out;
    }
    if (json_is_string(content)) {
        lmx_json_push_flag(msgs, json_pack("{s:s,s:O}", "role", "assistant", "content", content),
                           &bad);
        rc = bad ? oom(err) : 0;
        goto out;
    }
    json_array_foreach(content, i, blk) {
        const char *type = sget(blk, "type");

        snprintf(w, sizeof(w), "messages.%zu.content.%zu", mi, i);
        p = NULL;
        if (!json_is_object(blk) || type == NULL) {
            rc = lmx_perr_bad(err, "messages", "%s.type: Field required", w);
        } else if (strcmp(type, "text") == 0) {
            rc = text_part(blk, w, &p, err);
            if (rc == 0) {
                cc = cc || json_object_get(p, "cache_control") != NULL;
                if (lmx_buf_puts(&text, sget(blk, "text")) < 0)
                    rc = oom(err);
                else if (json_array_append_new(texts, p) < 0)
                    rc = oom(err);
            }
        } else if (strcmp(type, "tool_use") == 0) {
            rc = tool_call(blk, w, &p, err);
            if (rc == 0 && json_array_append_new(calls, p) < 0)
                rc = oom(err);
        } else if (strcmp(type, "thinking") == 0 || strcmp(type, "redacted_thinking") == 0) {
            rc = thinking_block(blk, w, type[0] == 'r', &p, err);
            if (rc == 0 && json_array_append_new(thinking, p) < 0)
                rc = oom(err);
            if (rc == 0 && type[0] == 't' && lmx_buf_puts(&reasoning, sget(blk, "thinking")) < 0)
                rc = oom(err);
        } else {
            rc = lmx_perr_bad(err, "messages",
                              "%s.type: block type '%s' is not supported in an assistant "
                              "message",
                              w, type);
        }
        if (rc < 0)
            goto out;
    }
    m = json_pack("{s:s}", "role", "assistant");
    if (m == NULL) {
        rc = oom(err);
        goto out;
    }
    if (cc)
        lmx_json_put_flag(m, "content", json_incref(texts), &bad);
    else if (json_array_size(texts) > 0)
        lmx_json_put_flag(m, "content", json_stringn(text.data, text.len), &bad);
    else
        lmx_json_put_flag(m, "content", json_null(), &bad);
    if (json_array_size(calls) > 0)
        lmx_json_put_flag(m, "tool_calls", json_incref(calls), &bad);
    if (json_array_size(thinking) > 0) {
        lmx_json_put_flag(m, "thinking_blocks", json_incref(thinking), &bad);
        lmx_json_put_flag(m, "reasoning_content",
                          json_stringn(reasoning.data != NULL ? reasoning.data : "",
                                       reasoning.len), &bad);
    }
    lmx_json_push_flag(msgs, m, &bad);
    m = NULL;
    rc = bad ? oom(err) : 0;
out:
    lmx_buf_release(&text);
    lmx_buf_release(&reasoning);
    json_decref(texts);
    json_decref(calls);
    json_decref(thinking);
    json_decref(m);
    return rc;
}

/* `system`: a string or text blocks, as the first message. */
static int system_message(const json_t *sys, json_t *msgs, struct lmx_perr *err)
{
    json_t *parts, *p;
    const json_t *blk;
    char w[32];
    bool bad = false;
    size_t i;
    int rc;

    if (!lmx_json_present(sys))
        return 0;
    if (json_is_string(sys)) {
        if (json_string_length(sys) > 0)
            lmx_json_push_flag(msgs, json_pack("{s:s,s:O}", "role", "system", "content", sys),
                               &bad);
        return bad ? oom(err) : 0;
    }
    if (!json_is_array(sys))
        return lmx_perr_bad(err, "system", "system: Input should be a valid string or list");
    parts = json_array();
    if (parts == NULL)
        return oom(err);
    json_array_foreach(sys, i, blk) {
        snprintf(w, sizeof(w), "system.%zu", i);
        if (!lmx_streq(sget(blk, "type"), "text")) {
            json_decref(parts);
            return lmx_perr_bad(err, "system", "%s.type: system blocks must be of type 'text'", w);
        }
        rc = text_part(blk, w, &p, err);
        if (rc < 0) {
            json_decref(parts);
            return rc == LMX_EBADREQ ? lmx_perr_bad(err, "system", "%s.text: Field required",
                                                    w) : rc;
        }
        lmx_json_push_flag(parts, p, &bad);
    }
    if (json_array_size(parts) > 0)
        lmx_json_push_flag(msgs, json_pack("{s:s,s:O}", "role", "system", "content", parts), &bad);
    json_decref(parts);
    return bad ? oom(err) : 0;
}

static int convert_messages(const json_t *in, json_t *msgs, struct lmx_perr *err)
{
    const json_t *m;
    size_t i;
    int rc;

    json_array_foreach(in, i, m) {
        const char *role = sget(m, "role");
        const json_t *content = json_object_get(m, "content");

        if (!json_is_object(m))
            return lmx_perr_bad(err, "messages", "messages.%zu: Input should be a valid object", i);
        if (!lmx_streq(role, "user") && !lmx_streq(role, "assistant"))
            return lmx_perr_bad(err, "messages",
                                "messages.%zu.role: Input should be 'user' or 'assistant'", i);
        if (!json_is_string(content) && !json_is_array(content))
            return lmx_perr_bad(err, "messages",
                                "messages.%zu.content: Input should be a valid string or list", i);
        rc = role[0] == 'u' ? user_turn(content, i, msgs, err)
                            : assistant_turn(content, i, msgs, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Request: parameters */

/* A hosted (server-side) tool that Anthropic runs itself: kept as is. */
static bool hosted_tool(const char *type)
{
    static const char *const prefixes[] = {
        "bash_",      "text_editor_", "computer_",    "code_execution_",
        "web_fetch_", "memory_",      "tool_search_",
    };

    if (type == NULL)
        return false;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(prefixes); i++)
        if (strncmp(type, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* tools -> function tools; a web_search tool -> web_search_options (LiteLLM). */
static int convert_tools(const json_t *tools, json_t *out, struct lmx_perr *err)
{
    json_t *list;
    const json_t *t;
    bool bad = false;
    size_t i;

    if (!lmx_json_present(tools))
        return 0;
    if (!json_is_array(tools))
        return lmx_perr_bad(err, "tools", "tools: Input should be a valid list");
    list = json_array();
    if (list == NULL)
        return oom(err);
    json_array_foreach(tools, i, t) {
        const char *type = sget(t, "type"), *name = sget(t, "name");
        const json_t *schema = json_object_get(t, "input_schema");
        json_t *fn, *tool;

        if (!json_is_object(t)) {
            json_decref(list);
            return lmx_perr_bad(err, "tools", "tools.%zu: Input should be a valid object", i);
        }
        if ((type != NULL && strncmp(type, "web_search", 10) == 0)) {
            if (json_object_get(out, "web_search_options") == NULL)
                lmx_json_put_flag(out, "web_search_options", json_object(), &bad);
            continue;
        }
        if (hosted_tool(type)) {
            lmx_json_push_flag(list, json_deep_copy(t), &bad);
            continue;
        }
        if (name == NULL) {
            json_decref(list);
            return lmx_perr_bad(err, "tools", "tools.%zu.name: Field required", i);
        }
        if (lmx_json_present(schema) && !json_is_object(schema)) {
            json_decref(list);
            return lmx_perr_bad(err, "tools",
                                "tools.%zu.input_schema: Input should be a valid object",
                                i);
        }
        fn = json_pack("{s:s}", "name", name);
        if (fn != NULL && json_is_string(json_object_get(t, "description")))
            lmx_json_put_flag(fn, "description", json_incref(json_object_get(t, "description")),
                              &bad);
        if (fn != NULL)
            lmx_json_put_flag(fn, "parameters",
                              json_is_object(schema) ? json_deep_copy(schema)
                                                     : json_pack("{s:s,s:{}}", "type", "object",
                                                                 "properties"),
                              &bad);
        tool = json_pack("{s:s,s:o}", "type", "function", "function", fn);
        if (tool != NULL)
            copy_cc(t, tool, &bad);
        lmx_json_push_flag(list, tool, &bad);
    }
    if (json_array_size(list) > 0)
        lmx_json_put_flag(out, "tools", json_incref(list), &bad);
    json_decref(list);
    return bad ? oom(err) : 0;
}

static int convert_tool_choice(const json_t *tc, json_t *out, struct lmx_perr *err)
{
    const char *type = sget(tc, "type");
    json_t *v;
    bool bad = false;

    if (!lmx_json_present(tc))
        return 0;
    if (!json_is_object(tc) || type == NULL)
        return lmx_perr_bad(err, "tool_choice", "tool_choice.type: Field required");
    if (strcmp(type, "auto") == 0)
        v = json_string("auto");
    else if (strcmp(type, "any") == 0)
        v = json_string("required");
    else if (strcmp(type, "none") == 0)
        v = json_string("none");
    else if (strcmp(type, "tool") == 0) {
        if (sget(tc, "name") == NULL)
            return lmx_perr_bad(err, "tool_choice", "tool_choice.name: Field required");
        v = json_pack("{s:s,s:{s:s}}", "type", "function", "function", "name", sget(tc, "name"));
    } else {
        return lmx_perr_bad(err, "tool_choice",
                            "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    }
    lmx_json_put_flag(out, "tool_choice", v, &bad);
    if (json_is_true(json_object_get(tc, "disable_parallel_tool_use")))
        lmx_json_put_flag(out, "parallel_tool_calls", json_false(), &bad);
    return bad ? oom(err) : 0;
}

/* LiteLLM's buckets for a thinking budget (reasoning_effort_from_thinking_budget). */
static const char *effort_of_budget(json_int_t b)
{
    return b >= 4096 ? "high" : b >= 2048 ? "medium" : b >= 1024 ? "low" : "minimal";
}

static int convert_thinking(const json_t *th, json_t *out, struct lmx_perr *err)
{
    const char *type = sget(th, "type");
    const json_t *b = json_object_get(th, "budget_tokens");
    bool bad = false;

    if (!lmx_json_present(th))
        return 0;
    if (!json_is_object(th) || type == NULL)
        return lmx_perr_bad(err, "thinking", "thinking.type: Field required");
    if (strcmp(type, "enabled") == 0) {
        if (!json_is_integer(b))
            return lmx_perr_bad(err, "thinking", "thinking.budget_tokens: Field required");
        lmx_json_put_flag(out, "reasoning_effort",
                          json_string(effort_of_budget(json_integer_value(b))), &bad);
    } else if (strcmp(type, "adaptive") == 0) {
        lmx_json_put_flag(out, "reasoning_effort", json_string("medium"), &bad);
    } else if (strcmp(type, "disabled") != 0) {
        return lmx_perr_bad(err, "thinking",
                            "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
    }
    lmx_json_put_flag(out, "thinking", json_deep_copy(th), &bad);
    return bad ? oom(err) : 0;
}

/* output_format / output_config.format {type:json_schema, schema} -> response_format. */
static int convert_output_format(const json_t *in, json_t *out, struct lmx_perr *err)
{
    const json_t *of = json_object_get(in, "output_format");
    bool bad = false;

    if (!json_is_object(of))
        of = json_object_get(json_object_get(in, "output_config"), "format");
    if (!json_is_object(of) || !lmx_streq(sget(of, "type"), "json_schema") ||
        !json_is_object(json_object_get(of, "schema")))
        return 0;
    lmx_json_put_flag(out, "response_format",
                      json_pack("{s:s,s:{s:s,s:O}}", "type", "json_schema", "json_schema", "name",
                                "structured_output", "schema", json_object_get(of, "schema")),
                      &bad);
    return bad ? oom(err) : 0;
}

static int convert_params(struct ain_state *st, const json_t *in, json_t *out, struct lmx_perr *err)
{
    const json_t *v;
    bool bad = false;
    size_t i;
    int rc;

    v = json_object_get(in, "stop_sequences");
    if (lmx_json_present(v)) {
        const json_t *s;

        if (!json_is_array(v))
            return lmx_perr_bad(err, "stop_sequences",
                                "stop_sequences: Input should be a valid list");
        json_array_foreach(v, i, s) {
            if (!json_is_string(s))
                return lmx_perr_bad(err, "stop_sequences",
                                    "stop_sequences.%zu: Input should be a valid string", i);
        }
        if (json_array_size(v) > 0) {
            lmx_json_put_flag(out, "stop", json_deep_copy(v), &bad);
            st->stops = json_deep_copy(v);
            if (st->stops == NULL)
                bad = true;
        }
    }
    v = json_object_get(in, "temperature");
    if (lmx_json_present(v) && !json_is_number(v))
        return lmx_perr_bad(err, "temperature", "temperature: Input should be a valid number");
    if (lmx_json_present(v))
        lmx_json_put_flag(out, "temperature", json_incref((json_t *)v), &bad);
    v = json_object_get(in, "top_p");
    if (lmx_json_present(v) && !json_is_number(v))
        return lmx_perr_bad(err, "top_p", "top_p: Input should be a valid number");
    if (lmx_json_present(v))
        lmx_json_put_flag(out, "top_p", json_incref((json_t *)v), &bad);
    v = json_object_get(in, "top_k");
    if (lmx_json_present(v) && !json_is_integer(v))
        return lmx_perr_bad(err, "top_k", "top_k: Input should be a valid integer");
    if (lmx_json_present(v))
        lmx_json_put_flag(out, "top_k", json_incref((json_t *)v), &bad);
    v = json_object_get(json_object_get(in, "metadata"), "user_id");
    if (json_is_string(v))
        lmx_json_put_flag(out, "user", json_incref((json_t *)v), &bad);
    if (bad)
        return oom(err);
    rc = convert_tools(json_object_get(in, "tools"), out, err);
    if (rc == 0)
        rc = convert_tool_choice(json_object_get(in, "tool_choice"), out, err);
    if (rc == 0)
        rc = convert_thinking(json_object_get(in, "thinking"), out, err);
    if (rc == 0)
        rc = convert_output_format(in, out, err);
    return rc;
}

static int ain_request(struct lmx_dcall *dc, const json_t *in, json_t **out, struct lmx_perr *err)
{
    struct ain_state *st = state_get(dc);
    const json_t *model, *mt, *msgs_in, *stream;
    json_t *res = NULL, *msgs = NULL;
    bool bad = false;
    int rc;

    *out = NULL;
    if (st == NULL)
        return oom(err);
    if (!json_is_object(in))
        return lmx_perr_bad(err, NULL, "the request body must be a JSON object");
    model = json_object_get(in, "model");
    if (!json_is_string(model) && dc->path_model == NULL)
        return lmx_perr_bad(err, "model",
                            lmx_json_present(model) ? "model: Input should be a valid string"
                                           : "model: Field required");
    msgs_in = json_object_get(in, "messages");
    if (!lmx_json_present(msgs_in))
        return lmx_perr_bad(err, "messages", "messages: Field required");
    if (!json_is_array(msgs_in))
        return lmx_perr_bad(err, "messages", "messages: Input should be a valid list");
    mt = json_object_get(in, "max_tokens");
    if (!lmx_json_present(mt))
        return lmx_perr_bad(err, "max_tokens", "max_tokens: Field required");
    if (!json_is_integer(mt) || json_integer_value(mt) < 1)
        return lmx_perr_bad(err, "max_tokens", "max_tokens: Input should be an integer >= 1");
    stream = json_object_get(in, "stream");
    if (lmx_json_present(stream) && !json_is_boolean(stream))
        return lmx_perr_bad(err, "stream", "stream: Input should be a valid boolean");

    res = json_object();
    msgs = json_array();
    if (res == NULL || msgs == NULL) {
        rc = oom(err);
        goto out;
    }
    rc = system_message(json_object_get(in, "system"), msgs, err);
    if (rc == 0)
        rc = convert_messages(msgs_in, msgs, err);
    if (rc < 0)
        goto out;
    lmx_json_put_flag(res, "model",
                      json_is_string(model) ? json_incref((json_t *)model)
                                            : json_string(dc->path_model),
                      &bad);
    lmx_json_put_flag(res, "messages", msgs, &bad);
    msgs = NULL;
    lmx_json_put_flag(res, "max_tokens", json_incref((json_t *)mt), &bad);
    dc->stream = json_is_true(stream);
    if (dc->stream) {
        lmx_json_put_flag(res, "stream", json_true(), &bad);
        lmx_json_put_flag(res, "stream_options", json_pack("{s:b}", "include_usage", 1), &bad);
    }
    if (bad) {
        rc = oom(err);
        goto out;
    }
    rc = convert_params(st, in, res, err);
    if (rc < 0)
        goto out;
    *out = res;
    res = NULL;
out:
    json_decref(res);
    json_decref(msgs);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers: shared */

/* finish_reason -> stop_reason; stop with a known stop sequence -> stop_sequence. */
static const char *stop_reason_of(const char *finish, bool seq)
{
    if (finish == NULL)
        return "end_turn";
    if (strcmp(finish, "length") == 0)
        return "max_tokens";
    if (strcmp(finish, "tool_calls") == 0 || strcmp(finish, "function_call") == 0)
        return "tool_use";
    if (strcmp(finish, "content_filter") == 0)
        return "refusal";
    return seq ? "stop_sequence" : "end_turn";
}

/*
 * The stop sequence a choice stopped at, when the provider says which
 * (vLLM's choices[].stop_reason, or a stop_sequence member) and the request
 * asked for it. Borrowed from st->stops; NULL when unknown.
 */
static const json_t *stop_sequence_of(const struct ain_state *st, const json_t *choice)
{
    static const char *const keys[] = {"stop_sequence", "stop_reason"};
    const json_t *s;
    size_t i;

    if (st == NULL || st->stops == NULL)
        return NULL;
    for (size_t k = 0; k < LMX_ARRAY_SIZE(keys); k++) {
        const char *v = sget(choice, keys[k]);

        if (v == NULL)
            continue;
        json_array_foreach(st->stops, i, s) {
            if (strcmp(json_string_value(s), v) == 0)
                return s;
        }
    }
    return NULL;
}

static json_int_t int_of(const json_t *o, const char *k)
{
    long long v = lmx_json_int(json_object_get(o, k));

    return v > 0 ? (json_int_t)v : 0;
}

/* Canonical usage -> the four counts Anthropic reports. */
static void usage_read(struct ain_state *st, const json_t *u)
{
    const json_t *cr = json_object_get(u, "cache_read_input_tokens");

    st->prompt = int_of(u, "prompt_tokens");
    st->completion = int_of(u, "completion_tokens");
    st->cache_read = lmx_json_present(cr)
                         ? int_of(u, "cache_read_input_tokens")
                         : int_of(json_object_get(u, "prompt_tokens_details"), "cached_tokens");
    st->cache_write = int_of(u, "cache_creation_input_tokens");
}

/* {input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens} (new). */
static json_t *usage_json(const struct ain_state *st, bool output)
{
    json_int_t in = st->prompt - st->cache_read - st->cache_write;

    return json_pack("{s:I,s:I,s:I,s:I}", "input_tokens", in > 0 ? in : 0,
                     "cache_creation_input_tokens", st->cache_write, "cache_read_input_tokens",
                     st->cache_read, "output_tokens", output ? st->completion : 0);
}

/* The message id: the canonical one when it is already msg_..., else one made from the call. */
static json_t *message_id(const struct lmx_dcall *dc, const char *id)
{
    char b[256];

    if (id != NULL && strncmp(id, "msg_", 4) == 0)
        return json_string(id);
    snprintf(b, sizeof(b), "msg_%s", dc->call_id != NULL ? dc->call_id : id != NULL ? id : "llmux");
    return json_string(b);
}

/* A tool call's arguments text as the tool_use input object (new); {} when not an object. */
static json_t *input_of(const char *args)
{
    json_t *v = args != NULL ? json_loads(args, JSON_DECODE_ANY, NULL) : NULL;

    if (json_is_object(v))
        return v;
    json_decref(v);
    return json_object();
}

/* ------------------------------------------------------------------------ */
/* Answers: one message */

/* The assistant message's blocks: thinking, text, tool_use, in Anthropic's order. */
static int message_content(const struct lmx_dcall *dc, const json_t *msg, json_t *content)
{
    const json_t *tb = json_object_get(msg, "thinking_blocks"),
                 *c = json_object_get(msg, "content");
    const json_t *v;
    const char *rc_text = sget(msg, "reasoning_content");
    bool bad = false;
    size_t i;

    if (json_array_size(tb) > 0) {
        json_array_foreach(tb, i, v) {
            const char *type = sget(v, "type");

            if (lmx_streq(type, "thinking"))
                lmx_json_push_flag(content,
                                   json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking",
                                             sget(v, "thinking") != NULL ? sget(v, "thinking")
                                                                         : "",
                                             "signature",
                                             sget(v, "signature") != NULL ? sget(v, "signature")
                                                                          : ""),
                                   &bad);
            else if (lmx_streq(type, "redacted_thinking") && sget(v, "data") != NULL)
                lmx_json_push_flag(content,
                                   json_pack("{s:s,s:s}", "type", "redacted_thinking", "data",
                                             sget(v, "data")),
                                   &bad);
        }
    } else if (rc_text != NULL && *rc_text != '\0') {
        lmx_json_push_flag(content,
                           json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", rc_text,
                                     "signature", ""),
                           &bad);
    }
    if (json_is_string(c) && json_string_length(c) > 0) {
        lmx_json_push_flag(content, json_pack("{s:s,s:O}", "type", "text", "text", c), &bad);
    } else if (json_is_array(c)) {
        json_array_foreach(c, i, v) {
            if (json_is_string(json_object_get(v, "text")) &&
                json_string_length(json_object_get(v, "text")) > 0)
                lmx_json_push_flag(content,
                                   json_pack("{s:s,s:O}", "type", "text", "text",
                                             json_object_get(v, "text")),
                                   &bad);
        }
    }
    if (sget(msg, "refusal") != NULL && *sget(msg, "refusal") != '\0')
        lmx_json_push_flag(content,
                           json_pack("{s:s,s:s}", "type", "text", "text", sget(msg, "refusal")),
                           &bad);
    json_array_foreach(json_object_get(msg, "tool_calls"), i, v) {
        const json_t *fn = json_object_get(v, "function");
        char id[256];

        if (sget(v, "id") != NULL)
            snprintf(id, sizeof(id), "%s", sget(v, "id"));
        else
            snprintf(id, sizeof(id), "toolu_%s_%zu", dc->call_id != NULL ? dc->call_id : "0", i);
        lmx_json_push_flag(content,
                           json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", id, "name",
                                     sget(fn, "name") != NULL ? sget(fn, "name") : "", "input",
                                     input_of(sget(fn, "arguments"))),
                           &bad);
    }
    return bad ? LMX_ENOMEM : 0;
}

static int ain_response(struct lmx_dcall *dc, const json_t *resp, struct lmx_buf *out)
{
    struct ain_state *st = state_get(dc);
    const json_t *choice = json_array_get(json_object_get(resp, "choices"), 0);
    const json_t *msg = json_object_get(choice, "message"), *seq;
    const char *model = dc->model != NULL ? dc->model : sget(resp, "model");
    json_t *content = json_array(), *res = NULL;
    int rc = LMX_ENOMEM;

    if (st == NULL || content == NULL)
        goto out;
    if (message_content(dc, msg, content) < 0)
        goto out;
    usage_read(st, json_object_get(resp, "usage"));
    seq = stop_sequence_of(st, choice);
    res = json_pack("{s:o,s:s,s:s,s:s,s:O,s:s,s:O?,s:o}", "id", message_id(dc, sget(resp, "id")),
                    "type", "message", "role", "assistant", "model", model != NULL ? model : "",
                    "content", content, "stop_reason",
                    stop_reason_of(sget(choice, "finish_reason"), seq != NULL), "stop_sequence",
                    seq, "usage", usage_json(st, true));
    if (res == NULL)
        goto out;
    if (json_object_get(res, "stop_sequence") == NULL &&
        json_object_set_new(res, "stop_sequence", json_null()) < 0)
        goto out;
    rc = lmx_json_append(res, out);
out:
    json_decref(content);
    json_decref(res);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers: the event stream */

/* "event: NAME\ndata: JSON\n\n"; data is stolen. */
static int event(struct lmx_buf *out, const char *name, json_t *data)
{
    int rc;

    if (data == NULL)
        return LMX_ENOMEM;
    rc = lmx_buf_printf(out, "event: %s\ndata: ", name);
    if (rc == 0)
        rc = lmx_json_append(data, out);
    if (rc == 0)
        rc = lmx_buf_puts(out, "\n\n");
    json_decref(data);
    return rc;
}

static int
message_start(struct lmx_dcall *dc, struct ain_state *st, const json_t *chunk, struct lmx_buf *out)
{
    const char *model = dc->model != NULL ? dc->model : sget(chunk, "model");
    int rc;

    rc = event(out, "message_start",
               json_pack("{s:s,s:{s:o,s:s,s:s,s:s,s:[],s:n,s:n,s:o}}", "type", "message_start",
                         "message", "id", message_id(dc, sget(chunk, "id")), "type", "message",
                         "role", "assistant", "model", model != NULL ? model : "", "content",
                         "stop_reason", "stop_sequence", "usage", usage_json(st, false)));
    if (rc == 0)
        rc = event(out, "ping", json_pack("{s:s}", "type", "ping"));
    if (rc == 0)
        st->started = true;
    return rc;
}

static int block_close(struct ain_state *st, struct lmx_buf *out)
{
    int rc;

    if (st->open == B_NONE)
        return 0;
    rc = event(out, "content_block_stop",
               json_pack("{s:s,s:i}", "type", "content_block_stop", "index", st->next_index - 1));
    st->open = B_NONE;
    return rc;
}

/* Closes the open block and starts `cb` (stolen) as the next one. */
static int block_open(struct ain_state *st, struct lmx_buf *out, json_t *cb, int kind)
{
    int rc = block_close(st, out);

    if (rc < 0 || cb == NULL) {
        json_decref(cb);
        return rc < 0 ? rc : LMX_ENOMEM;
    }
    rc = event(out, "content_block_start",
               json_pack("{s:s,s:i,s:o}", "type", "content_block_start", "index", st->next_index,
                         "content_block", cb));
    st->next_index++;
    st->open = kind;
    st->sig_done = false;
    return rc;
}

/* A content_block_delta of the open block: delta {type: dtype, key: value}. */
static int block_delta(struct ain_state *st,
                       struct lmx_buf *out,
                       const char *dtype,
                       const char *key,
                       const char *value)
{
    return event(out, "content_block_delta",
                 json_pack("{s:s,s:i,s:{s:s,s:s}}", "type", "content_block_delta", "index",
                           st->next_index - 1, "delta", "type", dtype, key, value));
}

static int think_text(struct ain_state *st, struct lmx_buf *out, const char *t)
{
    int rc = 0;

    if (t == NULL || *t == '\0')
        return 0;
    if (st->open != B_THINK || st->sig_done)
        rc = block_open(
            st, out,
            json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", "", "signature", ""),
            B_THINK);
    return rc < 0 ? rc : block_delta(st, out, "thinking_delta", "thinking", t);
}

/* delta.reasoning_content and delta.thinking_blocks (text, signatures, redacted blocks). */
static int on_thinking(struct ain_state *st, const json_t *delta, struct lmx_buf *out)
{
    const char *rtext = sget(delta, "reasoning_content");
    const json_t *v;
    size_t i;
    int rc;

    rc = think_text(st, out, rtext);
    json_array_foreach(json_object_get(delta, "thinking_blocks"), i, v) {
        const char *type = sget(v, "type"), *sig = sget(v, "signature");

        if (rc < 0)
            break;
        if (lmx_streq(type, "redacted_thinking")) {
            rc = block_open(st, out,
                            json_pack("{s:s,s:s}", "type", "redacted_thinking", "data",
                                      sget(v, "data") != NULL ? sget(v, "data") : ""),
                            B_THINK);
            if (rc == 0)
                rc = block_close(st, out);
            continue;
        }
        if (!lmx_streq(type, "thinking"))
            continue;
        if (rtext == NULL) /* the text of this block did not come as reasoning_content */
            rc = think_text(st, out, sget(v, "thinking"));
        if (rc == 0 && sig != NULL && *sig != '\0') {
            if (st->open != B_THINK || st->sig_done)
                rc = block_open(
                    st, out,
                    json_pack("{s:s,s:s,s:s}", "type", "thinking", "thinking", "", "signature", ""),
                    B_THINK);
            if (rc == 0)
                rc = block_delta(st, out, "signature_delta", "signature", sig);
            st->sig_done = true;
        }
    }
    return rc;
}

static int on_text(struct ain_state *st, const char *t, struct lmx_buf *out)
{
    int rc = 0;

    if (t == NULL || *t == '\0')
        return 0;
    if (st->open != B_TEXT)
        rc = block_open(st, out, json_pack("{s:s,s:s}", "type", "text", "text", ""), B_TEXT);
    return rc < 0 ? rc : block_delta(st, out, "text_delta", "text", t);
}

/*
 * Tool call fragments by canonical index: a new index (or a new id) opens a
 * tool_use block; arguments go out as input_json_delta. A fragment for a
 * tool whose block is already closed cannot be sent any more and is dropped.
 */
static int
on_tools(struct lmx_dcall *dc, struct ain_state *st, const json_t *calls, struct lmx_buf *out)
{
    const json_t *tc;
    size_t i;
    int rc = 0;

    json_array_foreach(calls, i, tc) {
        const json_t *fn = json_object_get(tc, "function");
        const char *id = sget(tc, "id"), *args = sget(fn, "arguments");
        long idx = json_is_integer(json_object_get(tc, "index"))
                       ? (long)json_integer_value(json_object_get(tc, "index"))
                       : (long)i;
        bool same = st->open == B_TOOL && idx == st->tool &&
                    (id == NULL || *id == '\0' || strcmp(id, st->tool_id) == 0);

        if (!same) {
            char gen[256];

            if ((id == NULL || *id == '\0') && idx <= st->tool_max)
                continue; /* a late fragment of a closed block */
            if (id == NULL || *id == '\0') {
                snprintf(gen, sizeof(gen), "toolu_%s_%ld", dc->call_id != NULL ? dc->call_id : "0",
                         idx);
                id = gen;
            }
            snprintf(st->tool_id, sizeof(st->tool_id), "%s", id);
            rc = block_open(st, out,
                            json_pack("{s:s,s:s,s:s,s:{}}", "type", "tool_use", "id", id, "name",
                                      sget(fn, "name") != NULL ? sget(fn, "name") : "", "input"),
                            B_TOOL);
            if (rc < 0)
                return rc;
            st->tool = idx;
            if (idx > st->tool_max)
                st->tool_max = idx;
        }
        if (args != NULL && *args != '\0') {
            rc = block_delta(st, out, "input_json_delta", "partial_json", args);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* The open block closed, message_delta with the stop reason and usage, message_stop. */
static int message_end(struct ain_state *st, struct lmx_buf *out)
{
    int rc;

    if (st->ended)
        return 0;
    rc = block_close(st, out);
    if (rc == 0)
        rc = event(out, "message_delta",
                   json_pack("{s:s,s:{s:s,s:O?},s:o}", "type", "message_delta", "delta",
                             "stop_reason",
                             st->stop_reason[0] != '\0' ? st->stop_reason : "end_turn",
                             "stop_sequence", st->stop_seq, "usage", usage_json(st, true)));
    if (rc == 0)
        rc = event(out, "message_stop", json_pack("{s:s}", "type", "message_stop"));
    if (rc == 0)
        st->ended = true;
    return rc;
}

static int ain_stream_chunk(struct lmx_dcall *dc, const json_t *chunk, struct lmx_buf *out)
{
    struct ain_state *st = state_get(dc);
    const json_t *choices = json_object_get(chunk, "choices"), *u = json_object_get(chunk, "usage");
    const json_t *choice = json_array_get(choices, 0), *delta = json_object_get(choice, "delta");
    const char *finish = sget(choice, "finish_reason");
    int rc = 0;

    if (st == NULL)
        return LMX_ENOMEM;
    if (st->ended)
        return 0;
    if (json_is_object(u))
        usage_read(st, u);
    if (!st->started) {
        rc = message_start(dc, st, chunk, out);
        if (rc < 0)
            return rc;
    }
    if (json_is_object(delta)) {
        rc = on_thinking(st, delta, out);
        if (rc == 0)
            rc = on_text(st, sget(delta, "content"), out);
        if (rc == 0)
            rc = on_text(st, sget(delta, "refusal"), out);
        if (rc == 0)
            rc = on_tools(dc, st, json_object_get(delta, "tool_calls"), out);
        if (rc < 0)
            return rc;
    }
    if (finish != NULL) {
        const json_t *seq = stop_sequence_of(st, choice);

        st->finished = true;
        snprintf(st->stop_reason, sizeof(st->stop_reason), "%s",
                 stop_reason_of(finish, seq != NULL));
        json_decref(st->stop_seq);
        st->stop_seq = json_incref((json_t *)seq);
    }
    /* the usage chunk (no choices) follows the finish chunk: now the message can end */
    if (json_is_object(u) && json_array_size(choices) == 0 && st->finished)
        rc = message_end(st, out);
    return rc;
}

static int ain_stream_end(struct lmx_dcall *dc, struct lmx_buf *out)
{
    struct ain_state *st = state_get(dc);
    int rc = 0;

    if (st == NULL)
        return LMX_ENOMEM;
    if (!st->started)
        rc = message_start(dc, st, NULL, out);
    return rc < 0 ? rc : message_end(st, out);
}

/* ------------------------------------------------------------------------ */
/* Errors */

/* Anthropic's error type for an OpenAI-style type and status. */
static const char *error_type(int status, const char *type)
{
    static const char *const own[] = {
        "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
        "request_too_large",     "rate_limit_error",     "api_error",        "overloaded_error",
        "billing_error",         "timeout_error",
    };

    for (size_t i = 0; type != NULL && i < LMX_ARRAY_SIZE(own); i++)
        if (strcmp(type, own[i]) == 0 && strcmp(type, "invalid_request_error") != 0)
            return own[i];
    switch (status) {
    case 400:
        return "invalid_request_error";
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 504:
        return "timeout_error";
    case 529:
        return "overloaded_error";
    default:
        break;
    }
    if (lmx_streq(type, "auth_error"))
        return "authentication_error";
    if (lmx_streq(type, "rate_limit_error"))
        return "rate_limit_error";
    if (lmx_streq(type, "timeout"))
        return "timeout_error";
    return status >= 500 || status < 400 ? "api_error" : "invalid_request_error";
}

/* Drops what was appended after `len`: nothing half-written goes out. */
static void truncate_to(struct lmx_buf *b, size_t len)
{
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

/* {"type":"error","error":{"type":T,"message":M}} appended to out. */
static int error_json(int status, const char *type, const char *message, struct lmx_buf *out)
{
    const char *m = message != NULL ? message : "";
    int rc;

    rc = lmx_buf_puts(out, "{\"type\":\"error\",\"error\":{\"type\":\"");
    if (rc == 0)
        rc = lmx_buf_puts(out, error_type(status, type));
    if (rc == 0)
        rc = lmx_buf_puts(out, "\",\"message\":");
    if (rc == 0)
        rc = lmx_buf_json_str(out, m, strlen(m));
    if (rc == 0)
        rc = lmx_buf_puts(out, "}}");
    return rc;
}

/* On failure out stays as it was (empty: the caller answers in OpenAI's shape). */
static void ain_error_body(int status, const char *type, const char *message, struct lmx_buf *out)
{
    size_t start = out->len;

    if (error_json(status, type, message, out) < 0)
        truncate_to(out, start);
}

static void ain_stream_error(
    struct lmx_dcall *dc, int status, const char *type, const char *message, struct lmx_buf *out)
{
    size_t start = out->len;
    int rc;

    LMX_UNUSED(dc);
    rc = lmx_buf_puts(out, "event: error\ndata: ");
    if (rc == 0)
        rc = error_json(status, type, message, out);
    if (rc == 0)
        rc = lmx_buf_puts(out, "\n\n");
    if (rc < 0)
        truncate_to(out, start);
}

const struct lmx_dialect_ops lmx_dialect_anthropic = {
    .name = "anthropic",
    .stream_content_type = "text/event-stream",
    .request = ain_request,
    .response = ain_response,
    .stream_chunk = ain_stream_chunk,
    .stream_end = ain_stream_end,
    .error_body = ain_error_body,
    .stream_error = ain_stream_error,
    .release = ain_release,
};
