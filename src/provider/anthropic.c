/*
 * provider/anthropic.c - the Anthropic Messages API (`anthropic/` deployments).
 *
 * build: an OpenAI chat/completions body becomes POST {base}/v1/messages.
 * System messages are hoisted into `system`, same-role turns are merged,
 * tool calls become tool_use blocks and tool messages tool_result blocks in
 * one user turn, images become image/document blocks. Parameter choices
 * follow LiteLLM's AnthropicConfig: max_tokens defaults to 4096 (to the
 * thinking budget + 4096 when thinking is on), reasoning_effort low / medium
 * / high is a thinking budget of 1024 / 2048 / 4096, response_format is a
 * forced tool named "json_tool_call" whose input comes back as the content.
 *
 * parse / stream_feed: a message becomes a chat.completion; the typed SSE
 * stream (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) becomes chat.completion.chunk objects. Usage:
 * prompt_tokens = input + cache read + cache creation tokens, with
 * cache_read_input_tokens / cache_creation_input_tokens kept as LiteLLM does.
 *
 * Not here: the client's anthropic-beta header (struct lmx_pcall carries no
 * client headers), /completions, embeddings (Anthropic has none).
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "provider/anthropic.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "upstream/sse.h"

#define ANTH_BASE        "https://api.anthropic.com"
#define ANTH_VERSION     "2023-06-01"
#define ANTH_MAX_TOKENS  4096 /* LiteLLM's DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS */
#define ANTH_THINK_EXTRA 4096 /* LiteLLM's DEFAULT_MAX_TOKENS, added to a thinking budget */
#define ANTH_JSON_TOOL   "json_tool_call" /* LiteLLM's RESPONSE_FORMAT_TOOL_NAME */
#define ANTH_EVENT_MAX   ((size_t)16 << 20)
#define ANTH_MAX_BLOCKS  4096
#define ANTH_TEXT_MAX    ((size_t)256 << 20)

/* ------------------------------------------------------------------------ */
/* Per-call state */

enum anth_kind { K_OTHER, K_TEXT, K_TOOL, K_JSON, K_THINK };

/* One content block of a stream, by its Anthropic index. */
struct anth_block {
    unsigned char kind; /* enum anth_kind */
    bool args_seen;     /* a non-empty input_json_delta arrived */
    int tool;           /* index in the OpenAI tool_calls */
    json_t *input;      /* content_block_start's input (owned), used when no delta comes */
};

struct anth_state {
    bool json_mode;     /* response_format became the json_tool_call tool */
    bool include_usage; /* stream_options.include_usage */
    bool sse_init;
    bool started;    /* a chunk went out (it carried the role) */
    bool finished;   /* the finish chunk went out */
    bool usage_sent; /* the usage chunk went out */
    bool stopped;    /* message_stop seen */
    bool failed;     /* the reader stopped on an error */
    struct lmx_sse_reader sse;
    char id[128];
    char model[256];
    json_int_t created;
    json_int_t in, out, cache_read, cache_write;
    int ntools;
    struct anth_block *blocks;
    size_t nblocks;
    json_t *env;       /* the chunk envelope, reused: only delta and finish_reason change */
    json_t *env_choice; /* its choices[0] (borrowed) */
    struct lmx_buf str; /* a string read by the fast event path */
    /* the feed in progress */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
    int cb_rc; /* the callback's negative return, passed up unchanged */
};

static const char *sget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int dump_to_buf(const char *p, size_t n, void *data)
{
    return lmx_buf_append(data, p, n) < 0 ? -1 : 0;
}

/* v as compact JSON text in b (emptied first); "{}" for NULL. Returns 0 or -1. */
static int dump_json(const json_t *v, struct lmx_buf *b)
{
    lmx_buf_reset(b);
    if (v == NULL)
        return lmx_buf_puts(b, "{}") < 0 ? -1 : 0;
    if (json_dump_callback(v, dump_to_buf, b, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
        return -1;
    return lmx_buf_append(b, "", 0) < 0 ? -1 : 0; /* data is never NULL after this */
}

static int fail(struct lmx_perr *e,
                int code,
                int status,
                const char *type,
                const char *param,
                const char *fmt,
                ...) LMX_PRINTF(6, 7);

/* Fills *e and returns `code`. */
static int fail(struct lmx_perr *e,
                int code,
                int status,
                const char *type,
                const char *param,
                const char *fmt,
                ...)
{
    va_list ap;

    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return code;
}

static int oom(struct lmx_perr *e)
{
    return fail(e, LMX_ENOMEM, 503, "internal_server_error", NULL,
                "out of memory translating the request for provider 'anthropic'");
}

static bool wants_json_mode(const json_t *req)
{
    const char *t = sget(json_object_get(req, "response_format"), "type");

    return t != NULL && strcmp(t, "text") != 0;
}

/* The call's state, made on first use; NULL when out of memory. */
static struct anth_state *state_get(struct lmx_pcall *pc)
{
    struct anth_state *st = pc->state;

    if (st != NULL)
        return st;
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->json_mode = wants_json_mode(pc->req);
    st->include_usage =
        json_is_true(json_object_get(json_object_get(pc->req, "stream_options"), "include_usage"));
    snprintf(st->id, sizeof(st->id), "chatcmpl-%s",
             pc->call_id != NULL ? pc->call_id : "anthropic");
    snprintf(st->model, sizeof(st->model), "%s", pc->model != NULL ? pc->model : "");
    st->created = (json_int_t)time(NULL);
    lmx_buf_init(&st->str, ANTH_EVENT_MAX);
    pc->state = st;
    return st;
}

static void anth_release(struct lmx_pcall *pc)
{
    struct anth_state *st = pc->state;

    if (st == NULL)
        return;
    if (st->sse_init)
        lmx_sse_reader_release(&st->sse);
    for (size_t i = 0; i < st->nblocks; i++)
        json_decref(st->blocks[i].input);
    lmx_free(st->blocks);
    json_decref(st->env);
    lmx_buf_release(&st->str);
    lmx_free(st);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Request: messages */

/*
 * The content array of the turn `role` at the end of `msgs`: the last turn
 * when it has that role (same-role turns merge), else a new one. Borrowed;
 * NULL when out of memory.
 */
static json_t *turn(json_t *msgs, const char *role)
{
    size_t n = json_array_size(msgs);
    json_t *last = n > 0 ? json_array_get(msgs, n - 1) : NULL;
    json_t *m, *content;

    if (last != NULL && lmx_streq(sget(last, "role"), role))
        return json_object_get(last, "content");
    content = json_array();
    m = json_pack("{s:s,s:o}", "role", role, "content", content);
    if (m == NULL || json_array_append_new(msgs, m) < 0)
        return NULL;
    return content;
}

/* A message-level cache_control goes on the last block the message added (index >= from). */
static int message_cache_control(const json_t *m, json_t *blocks, size_t from)
{
    const json_t *cc = json_object_get(m, "cache_control");
    size_t n = json_array_size(blocks);

    if (!json_is_object(cc) || n <= from)
        return 0;
    return json_object_set_new(json_array_get(blocks, n - 1), "cache_control", json_deep_copy(cc));
}

/* A part's own cache_control copied onto its translated block. */
static int part_cache_control(const json_t *part, json_t *block)
{
    const json_t *cc = json_object_get(part, "cache_control");

    if (!json_is_object(cc))
        return 0;
    return json_object_set_new(block, "cache_control", json_deep_copy(cc));
}

/*
 * An image_url (or file_data) URL as a block: a base64 data: URL gives a
 * base64 source (an application/pdf one a document block), an http(s) URL a
 * url source (a document when its path ends in .pdf). Returns 0 and *out (new), or LMX_EBADREQ / LMX_ENOMEM with err.
 */
static int url_block(const char *url, const char *param, json_t **out, struct lmx_perr *err)
{
    *out = NULL;
    if (strncmp(url, "data:", 5) == 0) {
        const char *mime = url + 5, *comma = strchr(mime, ',');
        const char *semi = comma != NULL ? memchr(mime, ';', (size_t)(comma - mime)) : NULL;
        size_t mlen;

        if (comma == NULL || semi == NULL || (size_t)(comma - semi) != 7 ||
            memcmp(semi, ";base64", 7) != 0 || semi == mime)
            return lmx_perr_bad(err, param,
                                "anthropic needs base64 data URLs (data:<media "
                                "type>;base64,<data>) for inline images and documents");
        mlen = (size_t)(semi - mime);
        *out =
            json_pack("{s:s,s:{s:s,s:s%,s:s}}", "type",
                      mlen == 15 && memcmp(mime, "application/pdf", 15) == 0 ? "document" : "image",
                      "source", "type", "base64", "media_type", mime, mlen, "data", comma + 1);
    } else if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0) {
        /* a URL whose path ends in .pdf is a document, as LiteLLM reads it */
        size_t plen = strcspn(url, "?#");
        bool pdf = plen > 4 && strncasecmp(url + plen - 4, ".pdf", 4) == 0;

        *out = json_pack("{s:s,s:{s:s,s:s}}", "type", pdf ? "document" : "image", "source", "type",
                         "url", "url", url);
    } else {
        return lmx_perr_bad(err, param,
                            "anthropic needs an http(s) or base64 data: URL for images");
    }
    return *out != NULL ? 0 : oom(err);
}

/*
 * One OpenAI content part appended to `blocks` as an Anthropic block.
 * Anthropic-native parts (other types) pass through unchanged.
 */
static int convert_part(const json_t *part, json_t *blocks, size_t mi, struct lmx_perr *err)
{
    const char *type = sget(part, "type");
    json_t *b = NULL;
    int rc;

    if (!json_is_object(part) || type == NULL)
        return lmx_perr_bad(err, "messages", "messages[%zu].content has a part without a type", mi);
    if (strcmp(type, "text") == 0) {
        const char *text = sget(part, "text");

        if (text == NULL)
            return lmx_perr_bad(err, "messages",
                                "messages[%zu].content has a text part without text",
                                mi);
        b = json_pack("{s:s,s:s}", "type", "text", "text", text);
        if (b == NULL)
            return oom(err);
    } else if (strcmp(type, "image_url") == 0) {
        const json_t *iu = json_object_get(part, "image_url");
        const char *url = json_is_string(iu) ? json_string_value(iu) : sget(iu, "url");

        if (url == NULL)
            return lmx_perr_bad(err, "messages",
                                "messages[%zu].content has an image_url part without "
                                "a url",
                                mi);
        rc = url_block(url, "messages", &b, err);
        if (rc < 0)
            return rc;
    } else if (strcmp(type, "file") == 0) {
        const json_t *f = json_object_get(part, "file");
        const char *data = sget(f, "file_data");

        if (data == NULL)
            return lmx_perr_bad(err, "messages",
                                "anthropic needs file parts inline (file.file_data as a base64 "
                                "data URL); file_id is not supported");
        rc = url_block(data, "messages", &b, err);
        if (rc < 0)
            return rc;
    } else if (strcmp(type, "input_audio") == 0) {
        return lmx_perr_bad(err, "messages", "anthropic does not support audio input");
    } else {
        b = json_deep_copy(part); /* already an Anthropic block (tool_result, document, ...) */
        if (b == NULL)
            return oom(err);
        return json_array_append_new(blocks, b) < 0 ? oom(err) : 0;
    }
    if (part_cache_control(part, b) < 0 || json_array_append_new(blocks, b) < 0)
        return oom(err);
    return 0;
}

static int add_user(json_t *msgs, const json_t *m, size_t mi, struct lmx_perr *err)
{
    const json_t *content = json_object_get(m, "content");
    json_t *blocks = turn(msgs, "user");
    size_t from, i;
    const json_t *part;
    int rc;

    if (blocks == NULL)
        return oom(err);
    from = json_array_size(blocks);
    if (json_is_string(content)) {
        if (json_array_append_new(blocks, json_pack("{s:s,s:O}", "type", "text", "text", content)) <
            0)
            return oom(err);
    } else if (json_is_array(content)) {
        json_array_foreach(content, i, part) {
            rc = convert_part(part, blocks, mi, err);
            if (rc < 0)
                return rc;
        }
    } else {
        return lmx_perr_bad(err, "messages", "messages[%zu].content must be a string or an array",
                            mi);
    }
    return message_cache_control(m, blocks, from) < 0 ? oom(err) : 0;
}

/* A tool call's arguments (a JSON text, "" meaning {}) as the tool_use input. */
static int tool_input(const json_t *args, size_t mi, size_t ti, json_t **out, struct lmx_perr *err)
{
    const char *s = json_string_value(args);
    size_t n;

    if (json_is_object(args)) {
        *out = json_deep_copy(args);
        return *out != NULL ? 0 : oom(err);
    }
    n = s != NULL ? strlen(s) : 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n == 0) {
        *out = json_object();
        return *out != NULL ? 0 : oom(err);
    }
    *out = json_loadb(s, n, JSON_DECODE_ANY, NULL);
    if (*out == NULL)
        return lmx_perr_bad(err, "messages",
                            "messages[%zu].tool_calls[%zu].function.arguments is not valid "
                            "JSON",
                            mi, ti);
    return 0;
}

static int add_assistant(json_t *msgs, const json_t *m, size_t mi, struct lmx_perr *err)
{
    const json_t *content = json_object_get(m, "content");
    const json_t *tcs = json_object_get(m, "tool_calls");
    const json_t *thinking = json_object_get(m, "thinking_blocks");
    json_t *blocks = turn(msgs, "assistant");
    const json_t *v;
    size_t from, i;
    bool bad = false;
    int rc;

    if (blocks == NULL)
        return oom(err);
    from = json_array_size(blocks);
    /* signed thinking blocks go back first, as Anthropic gave them */
    json_array_foreach(thinking, i, v) {
        if (json_is_object(v))
            lmx_json_push_flag(blocks, json_deep_copy(v), &bad);
    }
    if (json_is_string(content) && json_string_length(content) > 0) {
        lmx_json_push_flag(blocks, json_pack("{s:s,s:O}", "type", "text", "text", content), &bad);
    } else if (json_is_array(content)) {
        json_array_foreach(content, i, v) {
            const char *type = sget(v, "type");

            if (type != NULL && strcmp(type, "text") == 0) {
                const char *text = sget(v, "text");

                if (text != NULL && *text != '\0') {
                    json_t *b = json_pack("{s:s,s:s}", "type", "text", "text", text);

                    if (b == NULL || part_cache_control(v, b) < 0)
                        bad = true;
                    lmx_json_push_flag(blocks, b, &bad);
                }
            } else if (type != NULL && strcmp(type, "refusal") != 0) {
                lmx_json_push_flag(blocks, json_deep_copy(v), &bad); /* thinking, tool_use, ... */
            }
        }
    }
    json_array_foreach(tcs, i, v) {
        const json_t *fn = json_object_get(v, "function");
        const char *id = sget(v, "id"), *name = sget(fn, "name");
        json_t *input = NULL;

        if (id == NULL || name == NULL)
            return lmx_perr_bad(err, "messages",
                                "messages[%zu].tool_calls[%zu] needs an id and a "
                                "function name",
                                mi, i);
        rc = tool_input(json_object_get(fn, "arguments"), mi, i, &input, err);
        if (rc < 0)
            return rc;
        lmx_json_push_flag(blocks,
                           json_pack("{s:s,s:s,s:s,s:o}", "type", "tool_use", "id", id, "name",
                                     name, "input",
                                     input),
                           &bad);
    }
    if (bad || message_cache_control(m, blocks, from) < 0)
        return oom(err);
    if (json_array_size(blocks) == 0) /* an empty assistant turn: Anthropic refuses it */
        json_array_remove(msgs, json_array_size(msgs) - 1);
    return 0;
}

static int add_tool(json_t *msgs, const json_t *m, size_t mi, struct lmx_perr *err)
{
    const char *id = sget(m, "tool_call_id");
    const json_t *content = json_object_get(m, "content");
    json_t *blocks, *res, *inner;
    size_t from, i;
    const json_t *part;
    int rc;

    if (id == NULL)
        return lmx_perr_bad(err, "messages", "messages[%zu] (role tool) has no tool_call_id", mi);
    if (json_is_array(content)) {
        inner = json_array();
        if (inner == NULL)
            return oom(err);
        json_array_foreach(content, i, part) {
            rc = convert_part(part, inner, mi, err);
            if (rc < 0) {
                json_decref(inner);
                return rc;
            }
        }
    } else if (json_is_string(content)) {
        inner = json_incref((json_t *)content);
    } else {
        inner = json_string("");
    }
    res = json_pack("{s:s,s:s,s:o}", "type", "tool_result", "tool_use_id", id, "content", inner);
    blocks = turn(msgs, "user");
    if (res == NULL || blocks == NULL) {
        json_decref(res);
        return oom(err);
    }
    from = json_array_size(blocks);
    if (json_array_append_new(blocks, res) < 0 || message_cache_control(m, blocks, from) < 0)
        return oom(err);
    return 0;
}

/* A system (or developer) message's text as blocks of `sys`; *cc is set when one has cache_control.
 */
static int add_system(json_t *sys, const json_t *m, size_t mi, bool *cc, struct lmx_perr *err)
{
    const json_t *content = json_object_get(m, "content");
    size_t from = json_array_size(sys), i;
    const json_t *part;
    bool bad = false;

    if (json_is_string(content)) {
        if (json_string_length(content) > 0)
            lmx_json_push_flag(sys, json_pack("{s:s,s:O}", "type", "text", "text", content), &bad);
    } else if (json_is_array(content)) {
        json_array_foreach(content, i, part) {
            const char *text = sget(part, "text");
            json_t *b;

            if (text == NULL)
                return lmx_perr_bad(err, "messages",
                                    "messages[%zu] (role system) may only hold text parts", mi);
            if (*text == '\0')
                continue;
            b = json_pack("{s:s,s:s}", "type", "text", "text", text);
            if (b == NULL || part_cache_control(part, b) < 0)
                bad = true;
            if (json_object_get(part, "cache_control") != NULL)
                *cc = true;
            lmx_json_push_flag(sys, b, &bad);
        }
    } else if (lmx_json_present(content)) {
        return lmx_perr_bad(err, "messages", "messages[%zu].content must be a string or an array",
                            mi);
    }
    if (json_is_object(json_object_get(m, "cache_control")) && json_array_size(sys) > from)
        *cc = true;
    if (bad || message_cache_control(m, sys, from) < 0)
        return oom(err);
    return 0;
}

/*
 * The OpenAI messages as Anthropic messages (*out, new) and the system prompt
 * (*system, new or NULL): a string, or blocks when there are several or one
 * carries cache_control.
 */
static int convert_messages(const json_t *in, json_t **out, json_t **system, struct lmx_perr *err)
{
    json_t *msgs = json_array(), *sys = json_array();
    bool cc = false;
    const json_t *m;
    size_t i;
    int rc = 0;

    *out = *system = NULL;
    if (msgs == NULL || sys == NULL) {
        rc = oom(err);
        goto out;
    }
    if (!json_is_array(in) || json_array_size(in) == 0) {
        rc = lmx_perr_bad(err, "messages", "'messages' must be a non-empty array");
        goto out;
    }
    json_array_foreach(in, i, m) {
        const char *role = sget(m, "role");

        if (role == NULL)
            rc = lmx_perr_bad(err, "messages", "messages[%zu] has no role", i);
        else if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
            rc = add_system(sys, m, i, &cc, err);
        else if (strcmp(role, "user") == 0)
            rc = add_user(msgs, m, i, err);
        else if (strcmp(role, "assistant") == 0)
            rc = add_assistant(msgs, m, i, err);
        else if (strcmp(role, "tool") == 0)
            rc = add_tool(msgs, m, i, err);
        else
            rc = lmx_perr_bad(err, "messages",
                              "messages[%zu] has role '%s', which anthropic does not "
                              "support",
                              i, role);
        if (rc < 0)
            goto out;
    }
    if (json_array_size(sys) == 1 && !cc)
        *system = json_incref(json_object_get(json_array_get(sys, 0), "text"));
    else if (json_array_size(sys) > 0)
        *system = json_incref(sys);
    *out = msgs;
    msgs = NULL;
out:
    json_decref(msgs);
    json_decref(sys);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Request: parameters */

/* OpenAI parameters Anthropic has no equivalent for (LiteLLM refuses them too). */
static const char *const unsupported_params[] = {
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "top_logprobs",
    "seed",
    "audio",
    "modalities",
    "prediction",
    "service_tier",
    "functions",
    "function_call",
};

static int refuse(const struct lmx_pcall *pc, const char *p, struct lmx_perr *err)
{
    return fail(err, LMX_EBADPARAM, 400, "invalid_request_error", p,
                "anthropic does not support parameter '%s' (model=%s). To drop it, set "
                "drop_params: true in the request, the deployment's litellm_params or "
                "litellm_settings",
                p, pc->model != NULL ? pc->model : "");
}

static int check_unsupported(const struct lmx_pcall *pc, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v;

    if (pc->drop_params)
        return 0;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported_params); i++)
        if (lmx_json_present(json_object_get(req, unsupported_params[i])))
            return refuse(pc, unsupported_params[i], err);
    if (json_is_true(json_object_get(req, "logprobs")))
        return refuse(pc, "logprobs", err);
    v = json_object_get(req, "n");
    if (lmx_json_present(v) && !(json_is_integer(v) && json_integer_value(v) == 1))
        return refuse(pc, "n", err);
    return 0;
}

/* LiteLLM leaves out user ids that look like an e-mail address or a phone number. */
static bool user_id_ok(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = 0;

    if (*s == '\0' || (at != NULL && at != s && strchr(at + 1, '.') != NULL))
        return false;
    for (const char *p = *s == '+' ? s + 1 : s; *p != '\0'; p++, n++)
        if (!((*p >= '0' && *p <= '9') || *p == ' ' || *p == '(' || *p == ')' || *p == '-'))
            return true;
    return n < 7;
}

/* reasoning_effort as a thinking budget: 0 = no thinking, -1 = unknown value. */
static json_int_t effort_budget(const char *e)
{
    if (strcmp(e, "none") == 0)
        return 0;
    if (strcmp(e, "minimal") == 0 || strcmp(e, "low") == 0)
        return 1024; /* Anthropic's smallest budget */
    if (strcmp(e, "medium") == 0)
        return 2048;
    if (strcmp(e, "high") == 0)
        return 4096;
    return -1;
}

/* `thinking` passed through, else reasoning_effort mapped; *on and *budget describe it. */
static int
build_thinking(const json_t *req, json_t *body, bool *on, json_int_t *budget, struct lmx_perr *err)
{
    const json_t *th = json_object_get(req, "thinking");
    const json_t *re = json_object_get(req, "reasoning_effort");
    json_t *t = NULL;

    *on = false;
    *budget = 0;
    if (json_is_object(th)) {
        t = json_deep_copy(th);
    } else if (lmx_json_present(th)) {
        return lmx_perr_bad(err, "thinking", "'thinking' must be an object");
    } else if (json_is_string(re)) {
        json_int_t b = effort_budget(json_string_value(re));

        if (b < 0)
            return lmx_perr_bad(err, "reasoning_effort",
                                "anthropic: unmapped reasoning_effort '%s' (use low, medium or "
                                "high)",
                                json_string_value(re));
        if (b == 0)
            return 0;
        t = json_pack("{s:s,s:I}", "type", "enabled", "budget_tokens", b);
    } else if (lmx_json_present(re)) {
        return lmx_perr_bad(err, "reasoning_effort", "'reasoning_effort' must be a string");
    } else {
        return 0;
    }
    if (t == NULL)
        return oom(err);
    *on = lmx_streq(sget(t, "type"), "enabled");
    if (json_is_integer(json_object_get(t, "budget_tokens")))
        *budget = json_integer_value(json_object_get(t, "budget_tokens"));
    return json_object_set_new(body, "thinking", t) < 0 ? oom(err) : 0;
}

static int convert_tool(const json_t *t, size_t ti, json_t **out, struct lmx_perr *err)
{
    const char *type = sget(t, "type");
    const json_t *fn = json_object_get(t, "function");
    const json_t *schema = json_object_get(fn, "parameters"), *cc, *desc;
    const char *name = sget(fn, "name");
    json_t *o;
    bool bad = false;

    *out = NULL;
    if (!json_is_object(t))
        return lmx_perr_bad(err, "tools", "tools[%zu] is not an object", ti);
    if (json_object_get(t, "input_schema") != NULL ||
        (type != NULL && strcmp(type, "function") != 0)) {
        *out = json_deep_copy(t); /* already Anthropic's shape, or a hosted tool */
        return *out != NULL ? 0 : oom(err);
    }
    if (name == NULL)
        return lmx_perr_bad(err, "tools", "tools[%zu].function.name is missing", ti);
    o = json_object();
    lmx_json_put_flag(o, "name", json_string(name), &bad);
    desc = json_object_get(fn, "description");
    if (json_is_string(desc))
        lmx_json_put_flag(o, "description", json_incref((json_t *)desc), &bad);
    if (json_is_object(schema))
        lmx_json_put_flag(o, "input_schema", json_deep_copy(schema), &bad);
    else
        lmx_json_put_flag(o, "input_schema", json_pack("{s:s,s:{}}", "type", "object",
                                                       "properties"), &bad);
    cc = json_object_get(t, "cache_control");
    if (!json_is_object(cc))
        cc = json_object_get(fn, "cache_control");
    if (json_is_object(cc))
        lmx_json_put_flag(o, "cache_control", json_deep_copy(cc), &bad);
    if (bad) {
        json_decref(o);
        return oom(err);
    }
    *out = o;
    return 0;
}

/* tool_choice (and parallel_tool_calls) as Anthropic's tool_choice; *out NULL when none. */
static int map_tool_choice(const json_t *tc, const json_t *ptc, json_t **out, struct lmx_perr *err)
{
    const char *s = json_string_value(tc);
    json_t *o = NULL;
    bool none = false;

    *out = NULL;
    if (s != NULL) {
        if (strcmp(s, "auto") == 0) {
            o = json_pack("{s:s}", "type", "auto");
        } else if (strcmp(s, "required") == 0 || strcmp(s, "any") == 0) {
            o = json_pack("{s:s}", "type", "any");
        } else if (strcmp(s, "none") == 0) {
            o = json_pack("{s:s}", "type", "none");
            none = true;
        } else {
            return lmx_perr_bad(err, "tool_choice", "unknown tool_choice '%s'", s);
        }
    } else if (json_is_object(tc)) {
        const char *name = sget(json_object_get(tc, "function"), "name");

        if (name != NULL)
            o = json_pack("{s:s,s:s}", "type", "tool", "name", name);
        else if (sget(tc, "type") != NULL && !lmx_streq(sget(tc, "type"), "function"))
            o = json_deep_copy(tc); /* Anthropic's own {type:any|auto|tool|none} */
        else
            return lmx_perr_bad(err, "tool_choice", "tool_choice.function.name is missing");
    } else if (lmx_json_present(tc)) {
        return lmx_perr_bad(err, "tool_choice", "tool_choice must be a string or an object");
    }
    if (lmx_json_present(tc) && o == NULL)
        return oom(err);
    if (json_is_boolean(ptc) && !none) {
        if (o == NULL)
            o = json_pack("{s:s}", "type", "auto");
        if (o == NULL || json_object_set_new(o, "disable_parallel_tool_use",
                                             json_boolean(!json_is_true(ptc))) < 0) {
            json_decref(o);
            return oom(err);
        }
    }
    *out = o;
    return 0;
}

/* web_search_options as Anthropic's hosted web search tool (LiteLLM's mapping). */
static json_t *web_search_tool(const json_t *wso)
{
    static const char *const loc_keys[] = {"city", "region", "country", "timezone"};
    const json_t *approx = json_object_get(json_object_get(wso, "user_location"), "approximate");
    const char *size = sget(wso, "search_context_size");
    json_t *t = json_pack("{s:s,s:s}", "type", "web_search_20250305", "name", "web_search");
    bool bad = t == NULL;

    if (!bad && json_is_object(approx)) {
        json_t *loc = json_pack("{s:s}", "type", "approximate");

        for (size_t i = 0; loc != NULL && i < LMX_ARRAY_SIZE(loc_keys); i++) {
            const json_t *v = json_object_get(approx, loc_keys[i]);

            if (json_is_string(v))
                lmx_json_put_flag(loc, loc_keys[i], json_incref((json_t *)v), &bad);
        }
        lmx_json_put_flag(t, "user_location", loc, &bad);
    }
    if (!bad && size != NULL) {
        int uses = lmx_streq(size, "low")      ? 1
                   : lmx_streq(size, "medium") ? 5
                   : lmx_streq(size, "high")   ? 10
                                           : 0;

        if (uses > 0)
            lmx_json_put_flag(t, "max_uses", json_integer(uses), &bad);
    }
    if (bad) {
        json_decref(t);
        return NULL;
    }
    return t;
}

/* response_format as LiteLLM's json_tool_call tool. */
static json_t *json_mode_tool(const json_t *rf)
{
    const json_t *schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
    json_t *in = json_pack("{s:s}", "type", "object");

    if (!json_is_object(schema))
        schema = json_object_get(rf, "response_schema");
    if (in == NULL)
        return NULL;
    if (json_is_object(schema)) {
        if (json_object_update(in, (json_t *)schema) < 0) {
            json_decref(in);
            return NULL;
        }
    } else if (json_object_set_new(in, "additionalProperties", json_true()) < 0 ||
               json_object_set_new(in, "properties", json_object()) < 0) {
        json_decref(in);
        return NULL;
    }
    return json_pack("{s:s,s:o}", "name", ANTH_JSON_TOOL, "input_schema", in);
}

static int
build_tools(const struct lmx_pcall *pc, json_t *body, bool thinking_on, struct lmx_perr *err)
{
    const json_t *req = pc->req, *tools = json_object_get(req, "tools"), *t;
    const json_t *rf = json_object_get(req, "response_format");
    json_t *out = json_array(), *choice = NULL;
    size_t i;
    bool bad = false;
    int rc;

    if (out == NULL)
        return oom(err);
    if (lmx_json_present(tools) && !json_is_array(tools)) {
        rc = lmx_perr_bad(err, "tools", "'tools' must be an array");
        goto out;
    }
    json_array_foreach(tools, i, t) {
        json_t *o;

        rc = convert_tool(t, i, &o, err);
        if (rc < 0)
            goto out;
        lmx_json_push_flag(out, o, &bad);
    }
    if (json_is_object(json_object_get(req, "web_search_options")))
        lmx_json_push_flag(out, web_search_tool(json_object_get(req, "web_search_options")), &bad);
    rc = map_tool_choice(json_object_get(req, "tool_choice"),
                         json_object_get(req, "parallel_tool_calls"), &choice, err);
    if (rc < 0)
        goto out;
    if (wants_json_mode(req)) {
        lmx_json_push_flag(out, json_mode_tool(rf), &bad);
        if (!thinking_on) { /* forced tool use and thinking do not mix */
            json_decref(choice);
            choice = json_pack("{s:s,s:s}", "type", "tool", "name", ANTH_JSON_TOOL);
            if (choice == NULL)
                bad = true;
        }
    }
    if (json_array_size(out) > 0) {
        lmx_json_put_flag(body, "tools", out, &bad);
        out = NULL;
    }
    if (choice != NULL) {
        lmx_json_put_flag(body, "tool_choice", choice, &bad);
        choice = NULL;
    }
    rc = bad ? oom(err) : 0;
out:
    json_decref(out);
    json_decref(choice);
    return rc;
}

static int build_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v;
    json_t *body = json_object(), *msgs = NULL, *system = NULL, *stops = NULL;
    json_int_t budget;
    bool bad = false, thinking_on;
    size_t i;
    int rc;

    *out = NULL;
    if (body == NULL)
        return oom(err);
    rc = check_unsupported(pc, err);
    if (rc < 0)
        goto out;
    rc = convert_messages(json_object_get(req, "messages"), &msgs, &system, err);
    if (rc < 0)
        goto out;
    lmx_json_put_flag(body, "model", json_string(pc->model != NULL ? pc->model : ""), &bad);
    lmx_json_put_flag(body, "messages", msgs, &bad);
    msgs = NULL;
    if (system != NULL) {
        lmx_json_put_flag(body, "system", system, &bad);
        system = NULL;
    }
    rc = build_thinking(req, body, &thinking_on, &budget, err);
    if (rc < 0)
        goto out;

    v = json_object_get(req, "max_completion_tokens");
    if (!lmx_json_present(v))
        v = json_object_get(req, "max_tokens");
    if (lmx_json_present(v) && !json_is_integer(v)) {
        rc = lmx_perr_bad(err, "max_tokens", "'max_tokens' must be an integer");
        goto out;
    }
    if (lmx_json_present(v))
        lmx_json_put_flag(body, "max_tokens", json_incref((json_t *)v), &bad);
    else
        lmx_json_put_flag(body, "max_tokens",
                          json_integer(thinking_on && budget > 0 ? budget + ANTH_THINK_EXTRA
                                                                 : ANTH_MAX_TOKENS),
                          &bad);
    if (pc->stream)
        lmx_json_put_flag(body, "stream", json_true(), &bad);

    /* stop -> stop_sequences; whitespace-only ones are refused upstream (dropped with drop_params)
     */
    v = json_object_get(req, "stop");
    stops = json_array();
    if (json_is_string(v)) {
        lmx_json_push_flag(stops, json_incref((json_t *)v), &bad);
    } else if (json_is_array(v)) {
        const json_t *s;

        json_array_foreach(v, i, s) {
            const char *t = json_string_value(s);

            if (t == NULL)
                continue;
            if (pc->drop_params && strspn(t, " \t\r\n") == strlen(t))
                continue;
            lmx_json_push_flag(stops, json_incref((json_t *)s), &bad);
        }
    }
    if (json_is_string(v) && pc->drop_params &&
        strspn(json_string_value(v), " \t\r\n") == json_string_length(v))
        json_array_clear(stops);
    if (json_array_size(stops) > 0) {
        lmx_json_put_flag(body, "stop_sequences", stops, &bad);
        stops = NULL;
    }

    v = json_object_get(req, "temperature");
    if (lmx_json_present(v) && !thinking_on) /* Anthropic refuses a temperature with thinking */
        lmx_json_put_flag(body, "temperature", json_incref((json_t *)v), &bad);
    v = json_object_get(req, "top_p");
    if (lmx_json_present(v))
        lmx_json_put_flag(body, "top_p", json_incref((json_t *)v), &bad);
    v = json_object_get(req, "top_k");
    if (lmx_json_present(v))
        lmx_json_put_flag(body, "top_k", json_incref((json_t *)v), &bad);
    v = json_object_get(req, "user");
    if (json_is_string(v) && user_id_ok(json_string_value(v)))
        lmx_json_put_flag(body, "metadata", json_pack("{s:O}", "user_id", v), &bad);
    if (bad) {
        rc = oom(err);
        goto out;
    }
    rc = build_tools(pc, body, thinking_on, err);
    if (rc < 0)
        goto out;
    *out = body;
    body = NULL;
out:
    json_decref(body);
    json_decref(msgs);
    json_decref(system);
    json_decref(stops);
    return rc;
}

static int build_url(const struct lmx_deployment *d, struct lmx_buf *url)
{
    const char *base = d != NULL ? d->api_base : NULL;
    size_t n;
    int rc;

    if (base == NULL || *base == '\0')
        base = getenv("ANTHROPIC_API_BASE");
    if (base == NULL || *base == '\0')
        base = getenv("ANTHROPIC_BASE_URL");
    if (base == NULL || *base == '\0')
        base = ANTH_BASE;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    rc = lmx_buf_append(url, base, n);
    if (rc == 0 && !(n >= 12 && memcmp(base + n - 12, "/v1/messages", 12) == 0))
        rc = lmx_buf_puts(url, "/v1/messages");
    return rc;
}

static int anth_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    const char *key = pc->dep != NULL ? pc->dep->api_key : NULL;
    json_t *body = NULL;
    int rc;

    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_bad(err, NULL,
                            "anthropic deployments serve chat completions only (model=%s)",
                            pc->model != NULL ? pc->model : "");
    if (state_get(pc) == NULL)
        return oom(err);
    rc = build_body(pc, &body, err);
    if (rc < 0)
        goto out;
    out->method = "POST";
    rc = build_url(pc->dep, &out->url);
    if (key == NULL || *key == '\0')
        key = getenv("ANTHROPIC_API_KEY");
    if (rc == 0 && key != NULL && *key != '\0')
        rc = lmx_upreq_header(out, "x-api-key", "%s", key);
    if (rc == 0)
        rc = lmx_upreq_header(out, "anthropic-version", "%s", ANTH_VERSION);
    if (rc == 0)
        rc = lmx_upreq_header(out, "content-type", "%s", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "accept", "%s",
                              pc->stream ? "text/event-stream" : "application/json");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : fail(err, rc, 400, "invalid_request_error", NULL,
                                     "the request for provider 'anthropic' is too large");
out:
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

static const char *map_stop(const char *r)
{
    if (r == NULL)
        return "stop";
    if (strcmp(r, "max_tokens") == 0 || strcmp(r, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(r, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(r, "refusal") == 0)
        return "content_filter";
    return "stop"; /* end_turn, stop_sequence, pause_turn */
}

/* Anthropic's error types: the status they come with and the type we answer. */
/* clang-format off */
static const struct { const char *anth; int status; const char *type; } error_types[] = {
    {"invalid_request_error", 400, "invalid_request_error"},
    {"authentication_error",  401, "auth_error"},
    {"billing_error",         402, "billing_error"},
    {"permission_error",      403, "permission_error"},
    {"not_found_error",       404, "not_found_error"},
    {"request_too_large",     413, "request_too_large"},
    {"rate_limit_error",      429, "rate_limit_error"},
    {"api_error",             500, "internal_server_error"},
    {"timeout_error",         504, "timeout"},
    {"overloaded_error",      529, "overloaded_error"},
};
/* clang-format on */

static const char *type_for_status(long status)
{
    return status == 401   ? "auth_error"
           : status == 429 ? "rate_limit_error"
           : status >= 500 ? "internal_server_error"
                           : "invalid_request_error";
}

/*
 * An {"type":"error","error":{"type","message"}} object into *out. status 0
 * takes the status Anthropic uses for the error type (500 when unknown).
 */
static void error_from(const json_t *root, long status, struct lmx_perr *out)
{
    const json_t *e = json_object_get(root, "error");
    const char *type = sget(e, "type"), *msg = sget(e, "message");
    const char *our = NULL;
    int st = 0;

    for (size_t i = 0; type != NULL && i < LMX_ARRAY_SIZE(error_types); i++)
        if (strcmp(type, error_types[i].anth) == 0) {
            our = error_types[i].type;
            st = error_types[i].status;
            break;
        }
    if (status <= 0)
        status = st > 0 ? st : 500;
    if (our == NULL)
        our = type != NULL ? type : type_for_status(status);
    out->status = (int)status;
    snprintf(out->type, sizeof(out->type), "%s", our);
    out->param[0] = '\0';
    snprintf(out->message, sizeof(out->message), "%s",
             msg != NULL ? msg : "anthropic returned an error without a message");
}

static void anth_map_error(
    struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;

    LMX_UNUSED(pc);
    if (json_is_object(json_object_get(root, "error"))) {
        error_from(root, status, out);
    } else {
        out->status = (int)status;
        snprintf(out->type, sizeof(out->type), "%s", type_for_status(status));
        out->param[0] = '\0';
        snprintf(out->message, sizeof(out->message), "anthropic returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    }
    json_decref(root);
}

static json_int_t int_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

/* OpenAI usage from Anthropic's token counts (new reference, NULL when out of memory). */
static json_t *
usage_json(json_int_t in, json_int_t out, json_int_t cache_read, json_int_t cache_write)
{
    json_int_t prompt = in + cache_read + cache_write;

    return json_pack("{s:I,s:I,s:I,s:{s:I},s:I,s:I}", "prompt_tokens", prompt, "completion_tokens",
                     out, "total_tokens", prompt + out, "prompt_tokens_details", "cached_tokens",
                     cache_read, "cache_creation_input_tokens", cache_write,
                     "cache_read_input_tokens", cache_read);
}

/* The JSON-mode content: the tool input (its "values" member when it has one), as text. */
static json_t *json_mode_content(const json_t *input)
{
    const json_t *values = json_object_get(input, "values");
    struct lmx_buf b;
    json_t *v = NULL;

    lmx_buf_init(&b, ANTH_TEXT_MAX);
    if (dump_json(values != NULL ? values : input, &b) == 0)
        v = json_stringn(b.data, b.len);
    lmx_buf_release(&b);
    return v;
}

static int
anth_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    struct anth_state *st = state_get(pc);
    json_t *root = NULL, *msg = NULL, *calls = NULL, *thinking = NULL, *res = NULL;
    const json_t *content, *b, *json_input = NULL;
    struct lmx_buf text, reasoning, args;
    const char *finish, *model;
    size_t i;
    bool bad = false;
    int rc = LMX_EUPSTREAM;

    *out = NULL;
    lmx_buf_init(&text, ANTH_TEXT_MAX);
    lmx_buf_init(&reasoning, ANTH_TEXT_MAX);
    lmx_buf_init(&args, ANTH_TEXT_MAX);
    if (st == NULL) {
        rc = oom(err);
        goto out;
    }
    root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(root)) {
        fail(err, rc, 500, "internal_server_error", NULL,
             "anthropic returned a body that is not a JSON object: %.*s", (int)LMX_MIN(len, 80),
             body);
        goto out;
    }
    if (json_is_object(json_object_get(root, "error"))) {
        error_from(root, 0, err);
        goto out;
    }
    content = json_object_get(root, "content");
    if (!json_is_array(content)) {
        fail(err, rc, 500, "internal_server_error", NULL,
             "anthropic returned a message without content: %.*s", (int)LMX_MIN(len, 80), body);
        goto out;
    }
    calls = json_array();
    thinking = json_array();
    msg = json_pack("{s:s}", "role", "assistant");
    if (calls == NULL || thinking == NULL || msg == NULL)
        bad = true;
    json_array_foreach(content, i, b) {
        const char *type = sget(b, "type");

        if (type == NULL)
            continue;
        if (strcmp(type, "text") == 0 && sget(b, "text") != NULL) {
            if (lmx_buf_puts(&text, sget(b, "text")) < 0)
                bad = true;
        } else if (strcmp(type, "tool_use") == 0) {
            const json_t *input = json_object_get(b, "input");

            if (!lmx_json_present(input))
                input = NULL;
            if (st->json_mode && lmx_streq(sget(b, "name"), ANTH_JSON_TOOL))
                json_input = input;
            if (dump_json(input, &args) < 0)
                bad = true;
            lmx_json_push_flag(calls,
                               json_pack("{s:s?,s:s,s:{s:s?,s:s%}}", "id", sget(b, "id"), "type",
                                         "function", "function", "name", sget(b, "name"),
                                         "arguments", args.data != NULL ? args.data : "{}",
                                         args.data != NULL ? args.len : 2),
                               &bad);
        } else if (strcmp(type, "thinking") == 0 || strcmp(type, "redacted_thinking") == 0) {
            lmx_json_push_flag(thinking, json_deep_copy(b), &bad);
            if (sget(b, "thinking") != NULL && lmx_buf_puts(&reasoning, sget(b, "thinking")) < 0)
                bad = true;
        }
    }
    finish = map_stop(sget(root, "stop_reason"));
    if (st->json_mode && json_array_size(calls) == 1 &&
        lmx_streq(sget(json_object_get(json_array_get(calls, 0), "function"), "name"),
                  ANTH_JSON_TOOL)) {
        /* LiteLLM's JSON mode: the forced tool's input is the answer */
        json_t *c = json_input != NULL ? json_mode_content(json_input) : json_string("{}");

        lmx_json_put_flag(msg, "content", c, &bad);
        json_array_clear(calls);
        finish = "stop";
    } else if (text.len > 0) {
        lmx_json_put_flag(msg, "content", json_stringn(text.data, text.len), &bad);
    } else {
        lmx_json_put_flag(msg, "content", json_null(), &bad);
    }
    if (json_array_size(calls) > 0)
        lmx_json_put_flag(msg, "tool_calls", json_incref(calls), &bad);
    if (json_array_size(thinking) > 0) {
        lmx_json_put_flag(msg, "reasoning_content",
                          json_stringn(reasoning.data ? reasoning.data : "", reasoning.len), &bad);
        lmx_json_put_flag(msg, "thinking_blocks", json_incref(thinking), &bad);
    }
    model = sget(root, "model");
    {
        const json_t *u = json_object_get(root, "usage");

        res = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:O,s:s}],s:o}", "id",
                        sget(root, "id") != NULL ? sget(root, "id") : st->id, "object",
                        "chat.completion", "created", st->created, "model",
                        model != NULL ? model : st->model, "choices", "index", 0, "message", msg,
                        "finish_reason", finish, "usage",
                        usage_json(int_of(u, "input_tokens"), int_of(u, "output_tokens"),
                                   int_of(u, "cache_read_input_tokens"),
                                   int_of(u, "cache_creation_input_tokens")));
    }
    if (res == NULL || bad) {
        rc = oom(err);
        goto out;
    }
    *out = res;
    res = NULL;
    rc = 0;
out:
    lmx_buf_release(&text);
    lmx_buf_release(&reasoning);
    lmx_buf_release(&args);
    json_decref(res);
    json_decref(msg);
    json_decref(calls);
    json_decref(thinking);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams */

/* Drops the chunk envelope (id or model changed): the next chunk makes a new one. */
static void env_reset(struct anth_state *st)
{
    json_decref(st->env);
    st->env = NULL;
    st->env_choice = NULL;
}

/* A delta object: the role goes in the first chunk of the stream. */
static json_t *delta_new(const struct anth_state *st)
{
    return st->started ? json_object() : json_pack("{s:s}", "role", "assistant");
}

/*
 * Sends one chunk: a choice with `delta` (stolen) and `finish` (NULL: null),
 * or, with delta NULL, the usage chunk (choices []). Returns 0 or a negative
 * code (the callback's, kept in cb_rc).
 */
static int emit(struct anth_state *st, json_t *delta, const char *finish)
{
    json_t *c;
    int rc;

    if (delta != NULL) {
        /* one envelope per stream (id and model are fixed once message_start is read); the
         * callback only borrows it, and each chunk gets a new delta object */
        if (st->env == NULL) {
            st->env = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:n,s:n}]}", "id", st->id, "object",
                                "chat.completion.chunk", "created", st->created, "model",
                                st->model, "choices", "index", 0, "delta", "finish_reason");
            st->env_choice = json_array_get(json_object_get(st->env, "choices"), 0);
        }
        if (st->env == NULL) {
            json_decref(delta);
            return LMX_ENOMEM;
        }
        if (json_object_set_new(st->env_choice, "delta", delta) < 0 ||
            json_object_set_new(st->env_choice, "finish_reason",
                                finish != NULL ? json_string(finish) : json_null()) < 0)
            return LMX_ENOMEM;
        c = json_incref(st->env);
    } else {
        c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object", "chat.completion.chunk",
                      "created", st->created, "model", st->model, "choices", "usage",
                      usage_json(st->in, st->out, st->cache_read, st->cache_write));
    }
    if (c == NULL)
        return LMX_ENOMEM;
    rc = st->cb(c, st->ud);
    json_decref(c);
    if (st->env != NULL && lmx_chunk_env_held(st->env))
        env_reset(st); /* the callback kept a reference: the next chunk gets a new envelope */
    if (rc < 0) {
        st->cb_rc = rc;
        return rc;
    }
    if (delta != NULL)
        st->started = true;
    return 0;
}

/* A delta with one member `k` = v (stolen), sent. */
static int emit_one(struct anth_state *st, const char *k, json_t *v)
{
    json_t *d = delta_new(st);

    if (d == NULL || v == NULL || json_object_set_new(d, k, v) < 0) {
        json_decref(d);
        return LMX_ENOMEM;
    }
    return emit(st, d, NULL);
}

static int emit_text(struct anth_state *st, const char *text)
{
    if (text == NULL || *text == '\0')
        return 0;
    return emit_one(st, "content", json_string(text));
}

/* A tool call fragment: the first one (id set) carries id, type and name. */
static int
emit_tool(struct anth_state *st, int index, const char *id, const char *name, const char *args)
{
    json_t *call =
        id != NULL
            ? json_pack("{s:i,s:s,s:s,s:{s:s,s:s}}", "index", index, "id", id, "type", "function",
                        "function", "name", name != NULL ? name : "", "arguments", args)
            : json_pack("{s:i,s:{s:s}}", "index", index, "function", "arguments", args);

    return emit_one(st, "tool_calls", call != NULL ? json_pack("[o]", call) : NULL);
}

static void update_usage(struct anth_state *st, const json_t *u)
{
    if (!json_is_object(u))
        return;
    if (json_is_integer(json_object_get(u, "input_tokens")))
        st->in = int_of(u, "input_tokens");
    if (json_is_integer(json_object_get(u, "output_tokens")))
        st->out = int_of(u, "output_tokens");
    if (json_is_integer(json_object_get(u, "cache_read_input_tokens")))
        st->cache_read = int_of(u, "cache_read_input_tokens");
    if (json_is_integer(json_object_get(u, "cache_creation_input_tokens")))
        st->cache_write = int_of(u, "cache_creation_input_tokens");
}

/* The block at Anthropic index `idx`, made on first use; NULL for a bad index or no memory. */
static struct anth_block *block_at_idx(struct anth_state *st, json_int_t idx, bool create)
{
    if (idx < 0 || idx >= ANTH_MAX_BLOCKS)
        return NULL;
    if ((size_t)idx >= st->nblocks) {
        size_t n = (size_t)idx + 1;
        struct anth_block *b;

        if (!create)
            return NULL;
        b = lmx_realloc(st->blocks, n * sizeof(*b));
        if (b == NULL)
            return NULL;
        memset(b + st->nblocks, 0, (n - st->nblocks) * sizeof(*b));
        st->blocks = b;
        st->nblocks = n;
    }
    return &st->blocks[idx];
}

static struct anth_block *block_at(struct anth_state *st, const json_t *ev, bool create)
{
    const json_t *iv = json_object_get(ev, "index");

    return block_at_idx(st, json_is_integer(iv) ? json_integer_value(iv) : -1, create);
}

static int bad_event(struct anth_state *st, const char *what)
{
    return fail(st->err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                "anthropic sent a malformed stream event: %s", what);
}

static int on_block_start(struct anth_state *st, const json_t *ev)
{
    const json_t *cb = json_object_get(ev, "content_block");
    const char *type = sget(cb, "type"), *name = sget(cb, "name");
    struct anth_block *b = block_at(st, ev, true);

    if (b == NULL)
        return bad_event(st, "content_block_start with a bad index");
    json_decref(b->input);
    memset(b, 0, sizeof(*b));
    if (type == NULL)
        return 0;
    if (strcmp(type, "text") == 0) {
        b->kind = K_TEXT;
        return emit_text(st, sget(cb, "text"));
    }
    if (strcmp(type, "tool_use") == 0) {
        const json_t *input = json_object_get(cb, "input");

        b->input =
            json_is_object(input) && json_object_size(input) > 0 ? json_deep_copy(input) : NULL;
        if (st->json_mode && lmx_streq(name, ANTH_JSON_TOOL)) {
            b->kind = K_JSON;
            return 0;
        }
        b->kind = K_TOOL;
        b->tool = st->ntools++;
        return emit_tool(st, b->tool, sget(cb, "id") != NULL ? sget(cb, "id") : "", name, "");
    }
    if (strcmp(type, "thinking") == 0) {
        const char *t = sget(cb, "thinking");

        b->kind = K_THINK;
        if (t == NULL || *t == '\0')
            return 0;
        return emit_one(st, "reasoning_content", json_string(t));
    }
    if (strcmp(type, "redacted_thinking") == 0) {
        json_t *d = delta_new(st);

        if (d == NULL || json_object_set_new(d, "thinking_blocks",
                                             json_pack("[{s:s,s:s?}]", "type", "redacted_thinking",
                                                       "data", sget(cb, "data"))) < 0) {
            json_decref(d);
            return LMX_ENOMEM;
        }
        return emit(st, d, NULL);
    }
    return 0; /* server tool blocks and the like: not part of the OpenAI answer */
}

static int on_block_delta(struct anth_state *st, const json_t *ev)
{
    const json_t *delta = json_object_get(ev, "delta");
    const char *type = sget(delta, "type");
    struct anth_block *b = block_at(st, ev, false);

    if (type == NULL)
        return bad_event(st, "content_block_delta without a delta type");
    if (strcmp(type, "text_delta") == 0)
        return emit_text(st, sget(delta, "text"));
    if (strcmp(type, "input_json_delta") == 0) {
        const char *part = sget(delta, "partial_json");

        if (b == NULL || part == NULL || *part == '\0')
            return 0;
        b->args_seen = true;
        if (b->kind == K_JSON)
            return emit_text(st, part);
        if (b->kind == K_TOOL)
            return emit_tool(st, b->tool, NULL, NULL, part);
        return 0;
    }
    if (strcmp(type, "thinking_delta") == 0) {
        const char *t = sget(delta, "thinking");
        json_t *d;

        if (t == NULL || *t == '\0')
            return 0;
        d = delta_new(st);
        if (d == NULL || json_object_set_new(d, "reasoning_content", json_string(t)) < 0 ||
            json_object_set_new(d, "thinking_blocks",
                                json_pack("[{s:s,s:s}]", "type", "thinking", "thinking", t)) < 0) {
            json_decref(d);
            return LMX_ENOMEM;
        }
        return emit(st, d, NULL);
    }
    if (strcmp(type, "signature_delta") == 0) {
        const char *sig = sget(delta, "signature");
        json_t *d;

        if (sig == NULL)
            return 0;
        d = delta_new(st);
        if (d == NULL || json_object_set_new(d, "thinking_blocks",
                                             json_pack("[{s:s,s:s,s:s}]", "type", "thinking",
                                                       "thinking", "", "signature", sig)) < 0) {
            json_decref(d);
            return LMX_ENOMEM;
        }
        return emit(st, d, NULL);
    }
    return 0; /* citations_delta and future kinds */
}

static int on_block_stop(struct anth_state *st, struct anth_block *b)
{
    struct lmx_buf args;
    int rc;

    if (b == NULL || b->args_seen || (b->kind != K_TOOL && b->kind != K_JSON))
        return 0;
    /* no input_json_delta: the start's input (usually {}) is the whole argument text */
    b->args_seen = true;
    lmx_buf_init(&args, ANTH_EVENT_MAX);
    if (dump_json(b->input, &args) < 0)
        rc = LMX_ENOMEM;
    else if (b->kind == K_JSON)
        rc = emit_text(st, args.data);
    else
        rc = emit_tool(st, b->tool, NULL, NULL, args.data);
    lmx_buf_release(&args);
    return rc;
}

static int finish_chunk(struct anth_state *st, const char *finish)
{
    json_t *d;
    int rc;

    if (st->finished)
        return 0;
    d = delta_new(st);
    if (d == NULL)
        return LMX_ENOMEM;
    rc = emit(st, d, finish);
    if (rc == 0)
        st->finished = true;
    return rc;
}

static int usage_chunk(struct anth_state *st)
{
    int rc;

    if (!st->include_usage || st->usage_sent)
        return 0;
    rc = emit(st, NULL, NULL);
    if (rc == 0)
        st->usage_sent = true;
    return rc;
}

/* message_delta, its usage read: the finish chunk when it has a stop_reason. */
static int on_stop_reason(struct anth_state *st, const char *reason)
{
    const char *finish = map_stop(reason);

    if (reason == NULL)
        return 0;
    if (st->json_mode && st->ntools == 0 && strcmp(finish, "tool_calls") == 0)
        finish = "stop"; /* the only tool was json_tool_call: its input was the content */
    return finish_chunk(st, finish);
}

static int on_message_delta(struct anth_state *st, const json_t *ev)
{
    update_usage(st, json_object_get(ev, "usage"));
    return on_stop_reason(st, sget(json_object_get(ev, "delta"), "stop_reason"));
}

static int on_error_event(struct anth_state *st, const json_t *ev)
{
    error_from(ev, 0, st->err);
    return LMX_EUPSTREAM;
}

/* update_usage over an unparsed usage object (o NULL: none). */
static void update_usage_fast(struct anth_state *st, const char *o, size_t on)
{
    static const char *const keys[] = {"input_tokens", "output_tokens", "cache_read_input_tokens",
                                       "cache_creation_input_tokens"};
    json_int_t *dst[] = {&st->in, &st->out, &st->cache_read, &st->cache_write};
    struct lmx_jval v[LMX_ARRAY_SIZE(keys)];

    lmx_jfast_getv(o, on, keys, LMX_ARRAY_SIZE(keys), v);
    for (size_t i = 0; i < LMX_ARRAY_SIZE(keys); i++) {
        if (lmx_jfast_kind(v[i].v, v[i].n) == LMX_JK_INT) {
            long long x = lmx_jfast_int(v[i].v, v[i].n);

            *dst[i] = x > 0 ? x : 0;
        }
    }
}

/*
 * The value span v as a C string in st->str, or NULL when it is not a string
 * (sget's answer). *nomem is set when the copy cannot be made.
 */
static const char *fast_strv(struct anth_state *st, struct lmx_jval v, bool *nomem)
{
    if (lmx_jfast_kind(v.v, v.n) != LMX_JK_STRING)
        return NULL;
    if (lmx_jfast_str(v.v, v.n, &st->str) < 0) {
        *nomem = true;
        return NULL;
    }
    return st->str.data;
}

/* Member k of object o as fast_strv reads it. */
static const char *fast_str(struct anth_state *st, const char *o, size_t on, const char *k,
                            bool *nomem)
{
    const char *v;
    size_t vn;

    if (lmx_jfast_get(o, on, k, &v, &vn) != LMX_JK_STRING)
        return NULL;
    if (lmx_jfast_str(v, vn, &st->str) < 0) {
        *nomem = true;
        return NULL;
    }
    return st->str.data;
}

/*
 * The common events, read without a parse: message_start, a text block's
 * content_block_start, text_delta, content_block_stop, message_delta,
 * message_stop, ping. Returns false for any other event or text that
 * lmx_jfast_check declines (on_event then parses it); else true with *rc
 * what the full path gives.
 */
static bool fast_event(struct anth_state *st, const char *data, size_t len, int *rc)
{
    enum { F_TYPE, F_INDEX, F_DELTA, F_BLOCK, F_MESSAGE, F_USAGE };
    static const char *const keys[] = {"type",          "index",   "delta",
                                       "content_block", "message", "usage"};
    struct lmx_jval m[LMX_ARRAY_SIZE(keys)];
    const char *type, *v, *o;
    size_t vn, on;
    json_int_t index;
    bool nomem = false;

    if (lmx_jfast_check(data, len) < 0)
        return false;
    lmx_jfast_getv(data, len, keys, LMX_ARRAY_SIZE(keys), m);
    index = lmx_jfast_kind(m[F_INDEX].v, m[F_INDEX].n) == LMX_JK_INT
                ? lmx_jfast_int(m[F_INDEX].v, m[F_INDEX].n)
                : -1;
    type = fast_strv(st, m[F_TYPE], &nomem);
    if (type == NULL && !nomem)
        return false; /* the SSE event name decides: rare */
    *rc = 0;
    if (nomem) {
        *rc = LMX_ENOMEM;
        return true;
    }
    if (strcmp(type, "error") == 0)
        return false;
    if (st->stopped)
        return true; /* nothing follows message_stop */
    if (strcmp(type, "content_block_delta") == 0) {
        o = m[F_DELTA].v;
        on = m[F_DELTA].n;
        type = fast_str(st, o, on, "type", &nomem);
        if (type == NULL || strcmp(type, "text_delta") != 0)
            return !nomem ? false : (*rc = LMX_ENOMEM, true);
        v = fast_str(st, o, on, "text", &nomem);
        *rc = nomem ? LMX_ENOMEM : emit_text(st, v);
    } else if (strcmp(type, "content_block_start") == 0) {
        struct anth_block *b;

        o = m[F_BLOCK].v;
        on = m[F_BLOCK].n;
        type = fast_str(st, o, on, "type", &nomem);
        if (type == NULL || strcmp(type, "text") != 0)
            return !nomem ? false : (*rc = LMX_ENOMEM, true);
        b = block_at_idx(st, index, true);
        if (b == NULL) {
            *rc = bad_event(st, "content_block_start with a bad index");
            return true;
        }
        json_decref(b->input);
        memset(b, 0, sizeof(*b));
        b->kind = K_TEXT;
        v = fast_str(st, o, on, "text", &nomem);
        *rc = nomem ? LMX_ENOMEM : emit_text(st, v);
    } else if (strcmp(type, "content_block_stop") == 0) {
        *rc = on_block_stop(st, block_at_idx(st, index, false));
    } else if (strcmp(type, "message_start") == 0) {
        o = m[F_MESSAGE].v;
        on = m[F_MESSAGE].n;
        if ((v = fast_str(st, o, on, "id", &nomem)) != NULL)
            snprintf(st->id, sizeof(st->id), "%s", v);
        if ((v = fast_str(st, o, on, "model", &nomem)) != NULL)
            snprintf(st->model, sizeof(st->model), "%s", v);
        if (nomem) {
            *rc = LMX_ENOMEM;
            return true;
        }
        env_reset(st);
        if (lmx_jfast_get(o, on, "usage", &v, &vn) == LMX_JK_OBJECT)
            update_usage_fast(st, v, vn);
    } else if (strcmp(type, "message_delta") == 0) {
        if (lmx_jfast_kind(m[F_USAGE].v, m[F_USAGE].n) == LMX_JK_OBJECT)
            update_usage_fast(st, m[F_USAGE].v, m[F_USAGE].n);
        v = fast_str(st, m[F_DELTA].v, m[F_DELTA].n, "stop_reason", &nomem);
        *rc = nomem ? LMX_ENOMEM : on_stop_reason(st, v);
    } else if (strcmp(type, "message_stop") == 0) {
        st->stopped = true;
        *rc = finish_chunk(st, "stop");
        if (*rc == 0)
            *rc = usage_chunk(st);
    } /* ping and unknown events: nothing to send */
    return true;
}

/* One SSE event of the stream (lmx_sse_event_cb). */
static int on_event(const char *event, size_t event_len, const char *data, size_t len, void *ud)
{
    struct anth_state *st = ud;
    json_t *ev;
    const char *type;
    int rc = 0;

    LMX_UNUSED(event_len);
    if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
        return 0;
    if (fast_event(st, data, len, &rc))
        return rc;
    ev = json_loadb(data, len, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return fail(st->err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                    "anthropic sent a malformed stream event: %.120s", data);
    }
    type = sget(ev, "type");
    if (type == NULL)
        type = event;
    if (st->stopped && strcmp(type, "error") != 0) {
        json_decref(ev); /* nothing follows message_stop */
        return 0;
    }
    if (strcmp(type, "message_start") == 0) {
        const json_t *m = json_object_get(ev, "message");

        if (sget(m, "id") != NULL)
            snprintf(st->id, sizeof(st->id), "%s", sget(m, "id"));
        if (sget(m, "model") != NULL)
            snprintf(st->model, sizeof(st->model), "%s", sget(m, "model"));
        env_reset(st);
        update_usage(st, json_object_get(m, "usage"));
    } else if (strcmp(type, "content_block_start") == 0) {
        rc = on_block_start(st, ev);
    } else if (strcmp(type, "content_block_delta") == 0) {
        rc = on_block_delta(st, ev);
    } else if (strcmp(type, "content_block_stop") == 0) {
        rc = on_block_stop(st, block_at(st, ev, false));
    } else if (strcmp(type, "message_delta") == 0) {
        rc = on_message_delta(st, ev);
    } else if (strcmp(type, "message_stop") == 0) {
        st->stopped = true;
        rc = finish_chunk(st, "stop");
        if (rc == 0)
            rc = usage_chunk(st);
    } else if (strcmp(type, "error") == 0) {
        rc = on_error_event(st, ev);
    } /* ping and unknown events: nothing to send */
    json_decref(ev);
    return rc;
}

/* After the reader stopped with rc: err filled unless the callback failed or memory ran out. */
static int feed_failed(struct anth_state *st, int rc)
{
    st->failed = true;
    if (rc == st->cb_rc || rc == LMX_ENOMEM)
        return rc;
    if (st->err->message[0] == '\0') {
        if (rc == LMX_ETOOBIG)
            return fail(st->err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                        "anthropic sent a stream event larger than %zu bytes", ANTH_EVENT_MAX);
        return fail(st->err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                    "cannot read the stream of provider 'anthropic': %s", lmx_strerror(rc));
    }
    return rc;
}

static int anth_stream_feed(
    struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct anth_state *st = state_get(pc);
    int rc;

    if (st == NULL)
        return LMX_ENOMEM;
    if (st->failed)
        return fail(err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                    "the stream of provider 'anthropic' already failed");
    if (!st->sse_init) {
        lmx_sse_reader_init(&st->sse, ANTH_EVENT_MAX);
        st->sse_init = true;
    }
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_rc = 0;
    rc = lmx_sse_reader_feed(&st->sse, p, n, on_event, st);
    return rc < 0 ? feed_failed(st, rc) : 0;
}

static int anth_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct anth_state *st = state_get(pc);
    int rc = 0;

    if (st == NULL)
        return LMX_ENOMEM;
    if (st->failed)
        return fail(err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                    "the stream of provider 'anthropic' already failed");
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    st->cb_rc = 0;
    if (st->sse_init) {
        rc = lmx_sse_reader_finish(&st->sse, on_event, st);
        if (rc < 0)
            return feed_failed(st, rc);
    }
    if (!st->stopped && !st->finished)
        return fail(err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                    "the stream of provider 'anthropic' ended before message_stop");
    return usage_chunk(st); /* no-op when message_stop sent it */
}

const struct lmx_provider_ops lmx_provider_anthropic_ops = {
    .name = "anthropic",
    .build = anth_build,
    .parse = anth_parse,
    .stream_feed = anth_stream_feed,
    .stream_end = anth_stream_end,
    .map_error = anth_map_error,
    .release = anth_release,
};
