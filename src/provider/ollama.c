/*
 * provider/ollama.c - Ollama's native API for `ollama_chat/` (POST /api/chat)
 * and `ollama/` (POST /api/generate) deployments, and embeddings
 * (POST /api/embed). OpenAI requests are translated into Ollama's bodies;
 * the answers (one JSON object, or NDJSON lines in any split) become OpenAI
 * objects and chunks.
 *
 * As LiteLLM does: sampling parameters go under `options` (max_tokens ->
 * num_predict), response_format becomes `format` ("json" or the schema),
 * reasoning_effort becomes `think`, keep_alive passes through at the top,
 * keys that are not OpenAI parameters become options (num_ctx, top_k, ...),
 * tool_choice is dropped (it makes Ollama hang), tool-call arguments are
 * objects on the wire and strings for the client, tool-call ids are made up.
 * `ollama/` renders the chat into one prompt: system messages go to the
 * `system` field; a lone user message is the prompt as is; a longer chat is
 * rendered as "### User:" / "### Assistant:" sections, as LiteLLM's
 * ollama_pt does. /completions goes to /api/generate for both prefixes.
 *
 * Not here: <think> tags inside content (LiteLLM splits them out; here only
 * the `thinking` field is reasoning), image URLs (Ollama takes base64 only:
 * data URIs are unwrapped, other URLs are passed on as they are).
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/ollama.h"
#include "provider/params.h"
#include "provider/provider.h"

#define OL_DEFAULT_BASE "http://localhost:11434"
#define OL_LINE_MAX     (8u << 20) /* one NDJSON line */

enum ol_mode { OL_CHAT, OL_GENERATE, OL_TEXT, OL_EMBED };

struct ol_state {
    enum ol_mode mode; /* OL_TEXT: /completions on /api/generate */
    struct lmx_buf line;
    char id[96];
    long long created;
    bool include_usage;
    bool started;
    bool done;
    int ntools;
    json_t *env;           /* the chunk envelope, reused: only its choice's members change */
    const char *env_model; /* the model it names */
    struct lmx_buf str;    /* a string read by the fast line path */
    /* set for the duration of one feed */
    struct lmx_pcall *pc;
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

/* ------------------------------------------------------------------------ */
/* Helpers (errors, request parameters, JSON output) */

/* An OpenAI parameter Ollama has no equivalent for: dropped (0) or refused (LMX_EBADPARAM). */
static int unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k)
{
    return lmx_param_unsupported(pc, err, k, pc->dep->provider);
}


/* Appends the text of an OpenAI content value (a string, or its text parts) to b. */
static int append_text(struct lmx_buf *b, const json_t *content)
{
    json_t *part;
    size_t i;

    if (json_is_string(content))
        return lmx_buf_append(b, json_string_value(content), json_string_length(content));
    json_array_foreach(content, i, part) {
        const char *t = json_string_value(json_object_get(part, "text"));
        const char *ty = json_string_value(json_object_get(part, "type"));

        if (t != NULL && (ty == NULL || strcmp(ty, "text") == 0) && lmx_buf_puts(b, t) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* An image_url part's data as Ollama wants it: the base64 of a data URI, else the URL. */
static const char *image_data(const json_t *part)
{
    json_t *iu = json_object_get(part, "image_url");
    const char *url =
        json_is_string(iu) ? json_string_value(iu) : json_string_value(json_object_get(iu, "url"));
    const char *comma;

    if (url == NULL)
        return NULL;
    if (strncmp(url, "data:", 5) == 0 && (comma = strstr(url, ";base64,")) != NULL)
        return comma + 8;
    return url;
}

/* Appends the images of a content list to arr (created on first use). */
static int collect_images(const json_t *content, json_t **arr)
{
    json_t *part;
    size_t i;

    json_array_foreach(content, i, part) {
        const char *ty = json_string_value(json_object_get(part, "type"));
        const char *img;

        if (ty == NULL || strcmp(ty, "image_url") != 0 || (img = image_data(part)) == NULL)
            continue;
        if (*arr == NULL && (*arr = json_array()) == NULL)
            return LMX_ENOMEM;
        if (json_array_append_new(*arr, json_string(img)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* A random tool-call id, "call_" and 24 hex digits. */
static void tool_id(char out[32])
{
    unsigned char r[12];
    static const char hex[] = "0123456789abcdef";

    if (lmx_random(r, sizeof(r)) < 0)
        memset(r, 0, sizeof(r));
    memcpy(out, "call_", 5);
    for (size_t i = 0; i < sizeof(r); i++) {
        out[5 + 2 * i] = hex[r[i] >> 4];
        out[6 + 2 * i] = hex[r[i] & 15];
    }
    out[29] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* The base URL without a trailing '/' or an endpoint path some configs carry. */
static int base_url(const struct lmx_deployment *d, struct lmx_buf *out)
{
    static const char *const tails[] = {"/api/chat", "/api/generate", "/api/embed",
                                        "/api/embeddings", "/api"};
    const char *base = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : NULL;
    size_t n;

    if (base == NULL)
        base = getenv("OLLAMA_API_BASE");
    if (base == NULL || base[0] == '\0')
        base = OL_DEFAULT_BASE;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(tails); i++) {
        size_t tl = strlen(tails[i]);

        if (n > tl && memcmp(base + n - tl, tails[i], tl) == 0) {
            n -= tl;
            break;
        }
    }
    return lmx_buf_append(out, base, n) < 0 ? LMX_ENOMEM : 0;
}

/* The name of the tool call `id` among the assistant turns before message `upto`, or NULL. */
static const char *tool_name_of(const json_t *msgs, size_t upto, const char *id)
{
    for (size_t i = upto; id != NULL && i-- > 0;) {
        json_t *tcs = json_object_get(json_array_get(msgs, i), "tool_calls"), *tc;
        size_t j;

        json_array_foreach(tcs, j, tc) {
            const char *tid = json_string_value(json_object_get(tc, "id"));

            if (tid != NULL && strcmp(tid, id) == 0)
                return json_string_value(json_object_get(json_object_get(tc, "function"), "name"));
        }
    }
    return NULL;
}

/* OpenAI tool_calls -> Ollama's ({function:{name, arguments: object}}). */
static json_t *tool_calls_out(const json_t *tcs, struct lmx_perr *err, int *rc)
{
    json_t *out = json_array(), *tc;
    size_t i;

    *rc = LMX_ENOMEM;
    if (out == NULL)
        return NULL;
    json_array_foreach(tcs, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        json_t *a = json_object_get(fn, "arguments"), *args;
        const char *name = json_string_value(json_object_get(fn, "name"));

        if (json_is_string(a) && json_string_length(a) > 0) {
            args = json_loadb(json_string_value(a), json_string_length(a), JSON_DECODE_ANY, NULL);
            if (!json_is_object(args)) {
                json_decref(args);
                json_decref(out);
                *rc = LMX_EBADREQ;
                lmx_perr_set(err, 400, "invalid_request_error", "messages",
                        "ollama: the arguments of tool call '%s' are not a JSON object",
                        name != NULL ? name : "");
                return NULL;
            }
        } else if (json_is_object(a)) {
            args = json_incref(a);
        } else {
            args = json_object();
        }
        if (json_array_append_new(out, json_pack("{s:{s:s,s:o}}", "function", "name",
                                                 name != NULL ? name : "", "arguments", args)) <
            0) {
            json_decref(out);
            return NULL;
        }
    }
    *rc = 0;
    return out;
}

/* OpenAI messages -> /api/chat messages. */
static int
chat_messages(const struct lmx_pcall *pc, const json_t *msgs, json_t *out, struct lmx_perr *err)
{
    struct lmx_buf b;
    json_t *m;
    size_t i;
    int rc = 0;

    lmx_buf_init(&b, 256u << 20);
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        json_t *o, *images = NULL, *tcs = json_object_get(m, "tool_calls");
        json_t *think = json_object_get(m, "reasoning_content");

        if (role == NULL || (strcmp(role, "system") != 0 && strcmp(role, "developer") != 0 &&
                             strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0 &&
                             strcmp(role, "tool") != 0)) {
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                    "%s does not support messages with role '%s' (model=%s)", pc->dep->provider,
                    role != NULL ? role : "(none)", pc->model);
            rc = LMX_EBADREQ;
            break;
        }
        lmx_buf_reset(&b);
        rc = append_text(&b, content);
        if (rc == 0 && json_is_array(content))
            rc = collect_images(content, &images);
        o = json_pack("{s:s,s:s%}", "role", strcmp(role, "developer") == 0 ? "system" : role,
                      "content", b.data != NULL ? b.data : "", b.len);
        if (rc < 0 || o == NULL) {
            json_decref(images);
            json_decref(o);
            rc = LMX_ENOMEM;
            break;
        }
        if (json_is_string(think))
            rc = lmx_json_put(o, "thinking", json_incref(think));
        if (rc == 0 && images != NULL)
            rc = lmx_json_put(o, "images", images);
        else
            json_decref(images);
        if (rc == 0 && strcmp(role, "assistant") == 0 && json_is_array(tcs) &&
            json_array_size(tcs) > 0) {
            json_t *t = tool_calls_out(tcs, err, &rc);

            if (t != NULL)
                rc = lmx_json_put(o, "tool_calls", t);
        }
        if (rc == 0 && strcmp(role, "tool") == 0) {
            const char *name =
                tool_name_of(msgs, i, json_string_value(json_object_get(m, "tool_call_id")));

            if (name != NULL)
                rc = lmx_json_put(o, "tool_name", json_string(name));
        }
        if (rc == 0 && json_array_append_new(out, o) < 0)
            rc = LMX_ENOMEM;
        else if (rc < 0)
            json_decref(o);
        if (rc < 0)
            break;
    }
    lmx_buf_release(&b);
    return rc;
}

/*
 * /api/generate for a chat: system messages -> `system`, images -> `images`,
 * the rest -> `prompt` (one user message as is, else sections).
 */
static int generate_prompt(const json_t *msgs, json_t *body)
{
    struct lmx_buf prompt, sys;
    json_t *m, *images = NULL;
    const char *last = NULL; /* "user" or "assistant": the open section */
    size_t i, nconv = 0;
    int rc = 0;

    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (role != NULL && strcmp(role, "system") != 0 && strcmp(role, "developer") != 0)
            nconv++;
    }
    lmx_buf_init(&prompt, 256u << 20);
    lmx_buf_init(&sys, 256u << 20);
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        json_t *tcs = json_object_get(m, "tool_calls");
        const char *sect;

        if (role == NULL)
            continue;
        if (json_is_array(content))
            rc = collect_images(content, &images);
        if (rc < 0)
            break;
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            if (sys.len > 0)
                rc = lmx_buf_puts(&sys, "\n");
            if (rc == 0)
                rc = append_text(&sys, content);
        } else if (nconv == 1 && strcmp(role, "user") == 0) {
            rc = append_text(&prompt, content);
        } else {
            sect = strcmp(role, "assistant") == 0 ? "assistant" : "user";
            if (last == NULL || strcmp(last, sect) != 0) {
                if (last != NULL)
                    rc = lmx_buf_puts(&prompt, "\n\n");
                if (rc == 0)
                    rc = lmx_buf_puts(&prompt, sect[0] == 'a' ? "### Assistant:\n" : "### User:\n");
                last = sect;
            }
            if (rc == 0)
                rc = append_text(&prompt, content);
            if (rc == 0 && json_is_array(tcs) && json_array_size(tcs) > 0) {
                char *dump = json_dumps(tcs, JSON_COMPACT);

                rc = dump == NULL ? LMX_ENOMEM : lmx_buf_printf(&prompt, "Tool Calls: %s", dump);
                lmx_free(dump);
            }
        }
        if (rc < 0)
            break;
    }
    if (rc == 0 && last != NULL)
        rc = lmx_buf_puts(&prompt, "\n\n");
    if (rc == 0)
        rc = lmx_json_put(body, "prompt", json_stringn(prompt.data != NULL ? prompt.data : "", prompt.len));
    if (rc == 0 && sys.len > 0)
        rc = lmx_json_put(body, "system", json_stringn(sys.data, sys.len));
    if (rc == 0 && images != NULL) {
        rc = lmx_json_put(body, "images", images);
        images = NULL;
    }
    json_decref(images);
    lmx_buf_release(&prompt);
    lmx_buf_release(&sys);
    return rc < 0 ? LMX_ENOMEM : 0;
}

/* /completions' prompt: a string, or a list of one string. */
static int
text_prompt(const struct lmx_pcall *pc, const json_t *p, json_t *body, struct lmx_perr *err)
{
    if (json_is_array(p) && json_array_size(p) == 1)
        p = json_array_get(p, 0);
    if (!json_is_string(p)) {
        lmx_perr_set(err, 400, "invalid_request_error", "prompt",
                "%s takes one text prompt on /completions (model=%s)", pc->dep->provider,
                pc->model);
        return LMX_EBADREQ;
    }
    return lmx_json_put(body, "prompt", json_incref((json_t *)p));
}

/* response_format -> format ("json", or the schema). */
static int
format_out(const struct lmx_pcall *pc, const json_t *v, json_t *body, struct lmx_perr *err)
{
    const char *ty = json_string_value(json_object_get(v, "type"));
    json_t *schema = json_object_get(json_object_get(v, "json_schema"), "schema");

    if (ty != NULL && strcmp(ty, "text") == 0)
        return 0;
    if (ty != NULL && strcmp(ty, "json_object") == 0)
        return lmx_json_put(body, "format", json_string("json"));
    if (ty != NULL && strcmp(ty, "json_schema") == 0 && json_is_object(schema))
        return lmx_json_put(body, "format", json_incref(schema));
    return unsupported(pc, err, "response_format");
}

/* reasoning_effort -> think: the level for gpt-oss models, else a boolean (as LiteLLM). */
static json_t *think_of(const struct lmx_pcall *pc, const json_t *v)
{
    const char *s = json_string_value(v);
    bool on =
        s != NULL && (strcmp(s, "low") == 0 || strcmp(s, "medium") == 0 || strcmp(s, "high") == 0);

    if (strncmp(pc->model, "gpt-oss", 7) == 0 && on)
        return json_string(s);
    return json_boolean(on);
}

/* Ollama body keys that are not options. */
/* clang-format off */
static const char *const top_level[] = {
    "format", "keep_alive", "think", "raw", "template", "context", "suffix", "truncate",
    "dimensions",
};
/* clang-format on */

/* OpenAI parameters Ollama cannot express. */
/* clang-format off */
static const char *const refused[] = {
    "logit_bias", "logprobs", "top_logprobs", "functions", "function_call", "modalities",
    "audio", "prediction", "web_search_options", "verbosity", "reasoning", "echo", "best_of",
};
/* clang-format on */

/* OpenAI parameters without effect here, dropped silently. */
/* clang-format off */
static const char *const ignored[] = {
    "user", "store", "service_tier", "parallel_tool_calls", "stream_options", "prompt_cache_key",
    "safety_identifier", "model", "messages", "stream", "tool_choice", "prompt", "input",
    "encoding_format",
};
/* clang-format on */

/* The sampling parameters and the rest: options, top-level keys, refusals. */
static int params_out(
    struct lmx_pcall *pc, const json_t *params, json_t *body, json_t *opts, struct lmx_perr *err)
{
    struct ol_state *st = pc->state;
    json_t *v;
    const char *k;
    int rc;

    json_object_foreach((json_t *)params, k, v) {
        rc = 0;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)) ||
            strcmp(k, "tools") == 0)
            continue;
        if (strcmp(k, "max_tokens") == 0) {
            if (json_object_get(params, "max_completion_tokens") == NULL)
                rc = lmx_json_put(opts, "num_predict", json_incref(v));
        } else if (strcmp(k, "max_completion_tokens") == 0) {
            rc = lmx_json_put(opts, "num_predict", json_incref(v));
        } else if (strcmp(k, "stop") == 0) {
            if (json_is_string(v))
                rc = lmx_json_put(opts, "stop", json_pack("[O]", v));
            else if (json_is_array(v) && json_array_size(v) > 0)
                rc = lmx_json_put(opts, "stop", json_incref(v));
        } else if (strcmp(k, "response_format") == 0) {
            rc = format_out(pc, v, body, err);
        } else if (strcmp(k, "reasoning_effort") == 0) {
            rc = lmx_json_put(body, "think", think_of(pc, v));
        } else if (strcmp(k, "n") == 0) {
            if (lmx_json_int(v) > 1)
                rc = unsupported(pc, err, k);
        } else if (lmx_param_in(k, refused, LMX_ARRAY_SIZE(refused))) {
            if (!(strcmp(k, "logprobs") == 0 && !json_is_true(v)))
                rc = unsupported(pc, err, k);
        } else if (strcmp(k, "options") == 0 && json_is_object(v)) {
            const char *ok;
            json_t *ov;

            json_object_foreach(v, ok, ov) {
                if (rc == 0 && json_object_get(opts, ok) == NULL)
                    rc = lmx_json_put(opts, ok, json_incref(ov));
            }
        } else if (lmx_param_in(k, top_level, LMX_ARRAY_SIZE(top_level)) ||
                   (strcmp(k, "system") == 0 && st->mode != OL_CHAT)) {
            if (json_object_get(body, k) == NULL)
                rc = lmx_json_put(body, k, json_incref(v));
        } else {
            /* temperature, top_p, seed, frequency_penalty, presence_penalty and any
               provider parameter (num_ctx, top_k, mirostat, ...) are options */
            rc = lmx_json_put(opts, k, json_incref(v));
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
embed_body(struct lmx_pcall *pc, const json_t *params, json_t *body, struct lmx_perr *err)
{
    json_t *input = json_object_get(params, "input"), *v;
    const char *fmt = json_string_value(json_object_get(params, "encoding_format"));
    const char *k;
    size_t i = 0;
    int rc;

    if (json_is_array(input) && json_array_size(input) > 0) {
        json_array_foreach(input, i, v) {
            if (!json_is_string(v))
                break;
        }
    }
    if (!json_is_string(input) &&
        !(json_is_array(input) && json_array_size(input) > 0 && i == json_array_size(input))) {
        lmx_perr_set(err, 400, "invalid_request_error", "input",
                "%s embeddings take a string or a non-empty list of strings (model=%s)",
                pc->dep->provider, pc->model);
        return LMX_EBADREQ;
    }
    if (fmt != NULL && strcmp(fmt, "float") != 0) {
        rc = unsupported(pc, err, "encoding_format");
        if (rc < 0)
            return rc;
    }
    rc = lmx_json_put(body, "model", json_string(pc->model));
    if (rc == 0)
        rc = lmx_json_put(body, "input", json_incref(input));
    json_object_foreach((json_t *)params, k, v) {
        if (rc < 0)
            break;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)))
            continue;
        if (json_object_get(body, k) == NULL)
            rc = lmx_json_put(body, k, json_incref(v)); /* dimensions, truncate, keep_alive, options */
    }
    return rc;
}

static int chat_body(struct lmx_pcall *pc, const json_t *params, json_t *body, struct lmx_perr *err)
{
    struct ol_state *st = pc->state;
    json_t *msgs = json_object_get(params, "messages"), *tools, *opts, *arr;
    int rc;

    if (st->mode != OL_TEXT && (!json_is_array(msgs) || json_array_size(msgs) == 0)) {
        lmx_perr_set(err, 400, "invalid_request_error", "messages",
                "ollama: 'messages' must be a non-empty list");
        return LMX_EBADREQ;
    }
    rc = lmx_json_put(body, "model", json_string(pc->model));
    if (rc < 0)
        return rc;
    if (st->mode == OL_CHAT) {
        arr = json_array();
        if (arr == NULL || lmx_json_put(body, "messages", arr) < 0)
            return LMX_ENOMEM;
        rc = chat_messages(pc, msgs, arr, err);
    } else if (st->mode == OL_GENERATE) {
        rc = generate_prompt(msgs, body);
    } else {
        rc = text_prompt(pc, json_object_get(params, "prompt"), body, err);
    }
    if (rc < 0)
        return rc;
    tools = json_object_get(params, "tools");
    if (json_is_array(tools) && json_array_size(tools) > 0) {
        if (st->mode == OL_CHAT)
            rc = lmx_json_put(body, "tools", json_incref(tools));
        else
            rc = unsupported(pc, err, "tools");
        if (rc < 0)
            return rc;
    }
    rc = lmx_json_put(body, "stream", json_boolean(pc->stream));
    opts = json_object();
    if (rc < 0 || opts == NULL) {
        json_decref(opts);
        return LMX_ENOMEM;
    }
    rc = params_out(pc, params, body, opts, err);
    if (rc == 0 && json_object_size(opts) > 0) {
        rc = lmx_json_put(body, "options", opts);
        opts = NULL;
    }
    json_decref(opts);
    return rc;
}

static void state_free(struct ol_state *st)
{
    if (st == NULL)
        return;
    lmx_buf_release(&st->line);
    json_decref(st->env);
    lmx_buf_release(&st->str);
    lmx_free(st);
}

static const char *path_of(enum ol_mode m)
{
    switch (m) {
    case OL_CHAT:
        return "/api/chat";
    case OL_EMBED:
        return "/api/embed";
    case OL_GENERATE:
    case OL_TEXT:
        break;
    }
    return "/api/generate";
}

static int ol_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct ol_state *st;
    json_t *params = NULL, *body = NULL, *so;
    const char *key = pc->dep->api_key;
    int rc = LMX_ENOMEM;

    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return LMX_ENOMEM;
    lmx_buf_init(&st->line, OL_LINE_MAX);
    lmx_buf_init(&st->str, OL_LINE_MAX);
    st->mode = pc->ep == LMX_EP_EMBEDDINGS                     ? OL_EMBED
               : pc->ep == LMX_EP_COMPLETIONS                  ? OL_TEXT
               : strcmp(pc->dep->provider, "ollama_chat") == 0 ? OL_CHAT
                                                               : OL_GENERATE;
    snprintf(st->id, sizeof(st->id), "%s-%s", st->mode == OL_TEXT ? "cmpl" : "chatcmpl",
             pc->call_id != NULL ? pc->call_id : "ollama");
    st->created = (long long)lmx_wall_s();
    so = json_object_get(pc->req, "stream_options");
    st->include_usage = pc->stream && json_is_true(json_object_get(so, "include_usage"));
    pc->state = st;

    params = lmx_param_call(pc);
    body = json_object();
    if (params == NULL || body == NULL)
        goto out;
    rc =
        st->mode == OL_EMBED ? embed_body(pc, params, body, err) : chat_body(pc, params, body, err);
    if (rc < 0)
        goto out;
    rc = base_url(pc->dep, &out->url);
    if (rc == 0)
        rc = lmx_buf_puts(&out->url, path_of(st->mode));
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0 && key != NULL && key[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Bearer %s", key);
    if (rc == 0)
        rc = lmx_json_append(body, &out->body);
    out->method = "POST";
out:
    json_decref(params);
    json_decref(body);
    if (rc < 0) {
        state_free(st);
        pc->state = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

static json_t *usage_pc(long long p, long long c)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)p, "completion_tokens",
                     (json_int_t)c, "total_tokens", (json_int_t)(p + c));
}

static json_t *usage_of(const json_t *o)
{
    return usage_pc(lmx_json_int(json_object_get(o, "prompt_eval_count")),
                    lmx_json_int(json_object_get(o, "eval_count")));
}

static const char *finish_r(const char *r, bool tools)
{
    if (tools)
        return "tool_calls";
    return r != NULL && strcmp(r, "length") == 0 ? "length" : "stop";
}

static const char *finish_of(const json_t *o, bool tools)
{
    return finish_r(json_string_value(json_object_get(o, "done_reason")), tools);
}

/* Ollama tool calls -> OpenAI's (ids made up unless Ollama sent some; arguments as text). */
static json_t *openai_tool_calls(const json_t *tcs, int first_index, bool with_index)
{
    json_t *out = json_array(), *tc;
    size_t i;

    if (out == NULL)
        return NULL;
    json_array_foreach(tcs, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        json_t *a = json_object_get(fn, "arguments"), *o;
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(fn, "name"));
        char gen[32], *dump = NULL;

        if (id == NULL || id[0] == '\0') {
            tool_id(gen);
            id = gen;
        }
        if (!json_is_string(a) && a != NULL && !json_is_null(a))
            dump = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
        o = json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", id, "type", "function", "function", "name",
                      name != NULL ? name : "", "arguments",
                      dump != NULL        ? dump
                      : json_is_string(a) ? json_string_value(a)
                                          : "{}");
        lmx_free(dump);
        if (o != NULL && with_index &&
            json_object_set_new(o, "index", json_integer(first_index + (int)i)) < 0) {
            json_decref(o);
            o = NULL;
        }
        if (o == NULL || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static int upstream_error(struct lmx_perr *err, const json_t *e)
{
    const char *msg =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));

    lmx_perr_set(err, 500, "internal_server_error", NULL, "%s",
            msg != NULL && msg[0] != '\0' ? msg : "ollama reported an error");
    return LMX_EUPSTREAM;
}

static int parse_embed(struct lmx_pcall *pc, json_t *root, json_t **out, struct lmx_perr *err)
{
    json_t *list = json_object_get(root, "embeddings"), *data, *e, *o;
    long long tokens = lmx_json_int(json_object_get(root, "prompt_eval_count"));
    size_t i;

    if (!json_is_array(list) && json_is_array(json_object_get(root, "embedding")))
        list = json_pack("[O]", json_object_get(root, "embedding")); /* /api/embeddings */
    else
        json_incref(list);
    if (!json_is_array(list)) {
        json_decref(list);
        lmx_perr_set(err, 500, "internal_server_error", NULL, "ollama answered without embeddings");
        return LMX_EUPSTREAM;
    }
    data = json_array();
    json_array_foreach(list, i, e) {
        if (data == NULL ||
            json_array_append_new(data, json_pack("{s:s,s:I,s:O}", "object", "embedding", "index",
                                                  (json_int_t)i, "embedding", e)) < 0) {
            json_decref(data);
            json_decref(list);
            return LMX_ENOMEM;
        }
    }
    json_decref(list);
    o = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data", data, "model", pc->model,
                  "usage", "prompt_tokens", (json_int_t)tokens, "total_tokens", (json_int_t)tokens);
    if (o == NULL)
        return LMX_ENOMEM;
    *out = o;
    return 0;
}

static int parse_text(struct lmx_pcall *pc, json_t *root, json_t **out)
{
    struct ol_state *st = pc->state;
    const char *text = json_string_value(json_object_get(root, "response"));
    json_t *o;

    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:s,s:i,s:n,s:s}],s:o}", "id", st->id, "object",
                  "text_completion", "created", (json_int_t)st->created, "model", pc->model,
                  "choices", "text", text != NULL ? text : "", "index", 0, "logprobs",
                  "finish_reason", finish_of(root, false), "usage", usage_of(root));
    if (o == NULL)
        return LMX_ENOMEM;
    *out = o;
    return 0;
}

static int parse_chat(struct lmx_pcall *pc, json_t *root, json_t **out)
{
    struct ol_state *st = pc->state;
    json_t *msg = json_object_get(root, "message");
    json_t *tcs = json_object_get(msg, "tool_calls"), *m, *o, *think;
    const char *text;
    int rc = 0;

    if (st->mode == OL_GENERATE) {
        msg = root;
        text = json_string_value(json_object_get(root, "response"));
        tcs = NULL;
    } else {
        text = json_string_value(json_object_get(msg, "content"));
    }
    think = json_object_get(msg, "thinking");
    if (!json_is_array(tcs) || json_array_size(tcs) == 0)
        tcs = NULL;
    m = json_pack("{s:s}", "role", "assistant");
    if (m == NULL)
        return LMX_ENOMEM;
    rc = lmx_json_put(m, "content",
             tcs != NULL && (text == NULL || text[0] == '\0')
                 ? json_null()
                 : json_string(text != NULL ? text : ""));
    if (rc == 0 && json_is_string(think) && json_string_length(think) > 0)
        rc = lmx_json_put(m, "reasoning_content", json_incref(think));
    if (rc == 0 && tcs != NULL)
        rc = lmx_json_put(m, "tool_calls", openai_tool_calls(tcs, 0, false));
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s}],s:o}", "id", st->id, "object",
                  "chat.completion", "created", (json_int_t)st->created, "model", pc->model,
                  "choices", "index", 0, "message", m, "finish_reason",
                  finish_of(root, tcs != NULL), "usage", usage_of(root));
    if (rc < 0 || o == NULL) {
        json_decref(o);
        return LMX_ENOMEM;
    }
    *out = o;
    return 0;
}

static int
ol_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    struct ol_state *st = pc->state;
    json_t *root = json_loadb(body, len, 0, NULL);
    int rc;

    *out = NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "ollama returned a body that is not a JSON object: %.*s", (int)LMX_MIN(len, 120),
                body);
        return LMX_EUPSTREAM;
    }
    if (st == NULL) {
        json_decref(root);
        return LMX_EINTERNAL;
    }
    if (json_object_get(root, "error") != NULL)
        rc = upstream_error(err, json_object_get(root, "error"));
    else if (st->mode == OL_EMBED)
        rc = parse_embed(pc, root, out, err);
    else if (st->mode == OL_TEXT)
        rc = parse_text(pc, root, out);
    else
        rc = parse_chat(pc, root, out);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams: NDJSON lines -> OpenAI chunks */

/*
 * A chunk with one choice, in *choice: delta a new empty object (or text ""
 * for /completions), finish_reason null. The envelope is kept for the next
 * chunk (the callback only borrows it): a reference to it is returned, and
 * only the choice's delta, text and finish_reason ever change.
 */
static json_t *chunk_new(struct ol_state *st, json_t **choice)
{
    json_t *ch;

    if (st->env == NULL || st->env_model != st->pc->model) {
        json_decref(st->env);
        if (st->mode == OL_TEXT)
            st->env = json_pack("{s:s,s:s,s:I,s:s,s:[{s:s,s:i,s:n,s:n}]}", "id", st->id,
                                "object", "text_completion", "created", (json_int_t)st->created,
                                "model", st->pc->model, "choices", "text", "", "index", 0,
                                "logprobs", "finish_reason");
        else
            st->env = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:n,s:n}]}", "id", st->id, "object",
                                "chat.completion.chunk", "created", (json_int_t)st->created,
                                "model", st->pc->model, "choices", "index", 0, "delta",
                                "finish_reason");
        st->env_model = st->pc->model;
    }
    ch = json_array_get(json_object_get(st->env, "choices"), 0);
    if (ch == NULL ||
        json_object_set_new(ch, st->mode == OL_TEXT ? "text" : "delta",
                            st->mode == OL_TEXT ? json_string("") : json_object()) < 0 ||
        json_object_set_new(ch, "finish_reason", json_null()) < 0)
        return NULL;
    *choice = ch;
    return json_incref(st->env);
}

static int emit(struct ol_state *st, json_t *chunk)
{
    bool reused = chunk != NULL && chunk == st->env;
    int rc;

    if (chunk == NULL)
        return LMX_ENOMEM;
    rc = st->cb(chunk, st->ud);
    json_decref(chunk);
    if (reused && lmx_chunk_env_held(st->env)) {
        json_decref(st->env); /* the callback kept a reference: the next chunk gets a new one */
        st->env = NULL;
    }
    return rc;
}

static int start(struct ol_state *st)
{
    json_t *ch, *c;

    if (st->started || st->mode == OL_TEXT) {
        st->started = true;
        return 0;
    }
    st->started = true;
    c = chunk_new(st, &ch);
    if (c != NULL && (lmx_json_put(json_object_get(ch, "delta"), "role", json_string("assistant")) < 0 ||
                      lmx_json_put(json_object_get(ch, "delta"), "content", json_string("")) < 0)) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* Content (or reasoning) text of one line. */
static int text_chunk(struct ol_state *st, const char *key, const char *s)
{
    json_t *ch, *c;

    if (s == NULL || s[0] == '\0')
        return 0;
    c = chunk_new(st, &ch);
    if (c != NULL &&
        (st->mode == OL_TEXT ? json_object_set_new(ch, "text", json_string(s))
                             : lmx_json_put(json_object_get(ch, "delta"), key, json_string(s))) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* The done line: finish chunk (finish_reason `finish`), then usage when asked for. */
static int done_line_v(struct ol_state *st, const char *finish, long long prompt, long long eval)
{
    json_t *ch, *c;
    int rc;

    st->done = true;
    c = chunk_new(st, &ch);
    if (c != NULL && json_object_set_new(ch, "finish_reason", json_string(finish)) < 0) {
        json_decref(c);
        c = NULL;
    }
    rc = emit(st, c);
    if (rc < 0 || !st->include_usage)
        return rc;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object",
                  st->mode == OL_TEXT ? "text_completion" : "chat.completion.chunk", "created",
                  (json_int_t)st->created, "model", st->pc->model, "choices", "usage",
                  usage_pc(prompt, eval));
    return emit(st, c);
}

static int done_line(struct ol_state *st, const json_t *o)
{
    return done_line_v(st, finish_of(o, st->ntools > 0),
                       lmx_json_int(json_object_get(o, "prompt_eval_count")),
                       lmx_json_int(json_object_get(o, "eval_count")));
}

/* The value span v as a C string in st->str; NULL when it is not a string. */
static const char *fast_str(struct ol_state *st, struct lmx_jval v, bool *nomem)
{
    if (lmx_jfast_kind(v.v, v.n) != LMX_JK_STRING)
        return NULL;
    if (lmx_jfast_str(v.v, v.n, &st->str) < 0) {
        *nomem = true;
        return NULL;
    }
    return st->str.data;
}

/* A token count as lmx_json_int reads it; false for a real (the full path decides). */
static bool fast_count(struct lmx_jval v, long long *out)
{
    enum lmx_jkind k = lmx_jfast_kind(v.v, v.n);

    *out = k == LMX_JK_INT ? lmx_jfast_int(v.v, v.n) : 0;
    return k != LMX_JK_REAL;
}

/*
 * A line with text (and the done line) read without a parse. Returns false
 * for errors, tool calls, or text lmx_jfast_check declines (on_line then
 * parses it); else true with *rc what the full path gives.
 */
static bool fast_line(struct ol_state *st, const char *p, size_t n, int *rc)
{
    enum { F_ERROR, F_MESSAGE, F_DONE, F_REASON, F_PROMPT, F_EVAL };
    static const char *const top[] = {"error",         "message",           "done",
                                      "done_reason",   "prompt_eval_count", "eval_count"};
    enum { M_THINKING, M_TEXT, M_TOOLS };
    static const char *const chat[] = {"thinking", "content", "tool_calls"};
    static const char *const gen[] = {"thinking", "response", "tool_calls"};
    struct lmx_jval m[LMX_ARRAY_SIZE(top)], g[3];
    long long prompt = 0, eval = 0;
    bool done, nomem = false;
    const char *v;

    if (lmx_jfast_check(p, n) < 0)
        return false;
    lmx_jfast_getv(p, n, top, LMX_ARRAY_SIZE(top), m);
    if (m[F_ERROR].v != NULL)
        return false;
    if (st->mode == OL_CHAT)
        lmx_jfast_getv(m[F_MESSAGE].v, m[F_MESSAGE].n, chat, 3, g);
    else
        lmx_jfast_getv(p, n, gen, 3, g);
    if (st->mode == OL_CHAT && lmx_jfast_kind(g[M_TOOLS].v, g[M_TOOLS].n) == LMX_JK_ARRAY)
        return false;
    done = lmx_jfast_kind(m[F_DONE].v, m[F_DONE].n) == LMX_JK_TRUE;
    if (done && (!fast_count(m[F_PROMPT], &prompt) || !fast_count(m[F_EVAL], &eval)))
        return false;
    *rc = start(st);
    if (*rc == 0 && st->mode != OL_TEXT) {
        v = fast_str(st, g[M_THINKING], &nomem);
        *rc = nomem ? LMX_ENOMEM : text_chunk(st, "reasoning_content", v);
    }
    if (*rc == 0) {
        v = fast_str(st, g[M_TEXT], &nomem);
        *rc = nomem ? LMX_ENOMEM : text_chunk(st, "content", v);
    }
    if (*rc == 0 && done) {
        v = fast_str(st, m[F_REASON], &nomem);
        *rc = nomem ? LMX_ENOMEM : done_line_v(st, finish_r(v, st->ntools > 0), prompt, eval);
    }
    return true;
}

static int on_line(struct ol_state *st, const char *p, size_t n)
{
    json_t *o, *msg, *tcs;
    int rc;

    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    if (n == 0 || st->done)
        return 0;
    if (fast_line(st, p, n, &rc))
        return rc;
    o = json_loadb(p, n, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                "ollama sent a malformed stream line: %.*s", (int)LMX_MIN(n, 120), p);
        return LMX_EUPSTREAM;
    }
    if (json_object_get(o, "error") != NULL) {
        rc = upstream_error(st->err, json_object_get(o, "error"));
        json_decref(o);
        return rc;
    }
    rc = start(st);
    msg = st->mode == OL_CHAT ? json_object_get(o, "message") : o;
    if (rc == 0 && st->mode != OL_TEXT)
        rc = text_chunk(st, "reasoning_content",
                        json_string_value(json_object_get(msg, "thinking")));
    if (rc == 0)
        rc = text_chunk(
            st, "content",
            json_string_value(json_object_get(msg, st->mode == OL_CHAT ? "content" : "response")));
    tcs = json_object_get(msg, "tool_calls");
    if (rc == 0 && st->mode == OL_CHAT && json_is_array(tcs) && json_array_size(tcs) > 0) {
        json_t *ch, *c = chunk_new(st, &ch);

        if (c != NULL && lmx_json_put(json_object_get(ch, "delta"), "tool_calls",
                             openai_tool_calls(tcs, st->ntools, true)) < 0) {
            json_decref(c);
            c = NULL;
        }
        st->ntools += (int)json_array_size(tcs);
        rc = emit(st, c);
    }
    if (rc == 0 && json_is_true(json_object_get(o, "done")))
        rc = done_line(st, o);
    json_decref(o);
    return rc;
}

static int ol_stream_feed(
    struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct ol_state *st = pc->state;
    const char *end = p + n;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        if (nl == NULL) {
            rc = lmx_buf_append(&st->line, p, (size_t)(end - p));
            if (rc == LMX_ETOOBIG)
                lmx_perr_set(err, 500, "internal_server_error", NULL,
                        "ollama sent a stream line longer than %u bytes", OL_LINE_MAX);
            return rc;
        }
        if (st->line.len > 0) {
            rc = lmx_buf_append(&st->line, p, (size_t)(nl - p));
            if (rc == 0)
                rc = on_line(st, st->line.data, st->line.len);
            lmx_buf_reset(&st->line);
        } else {
            rc = on_line(st, p, (size_t)(nl - p));
        }
        if (rc < 0) {
            if (rc == LMX_ETOOBIG)
                lmx_perr_set(err, 500, "internal_server_error", NULL,
                        "ollama sent a stream line longer than %u bytes", OL_LINE_MAX);
            return rc;
        }
        p = nl + 1;
    }
    return 0;
}

static int ol_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct ol_state *st = pc->state;
    int rc = 0;

    if (st == NULL)
        return LMX_EINTERNAL;
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    if (st->line.len > 0) {
        rc = on_line(st, st->line.data, st->line.len);
        lmx_buf_reset(&st->line);
        if (rc < 0)
            return rc;
    }
    if (!st->done) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "ollama stream ended before its done:true line");
        return LMX_EUPSTREAM;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Errors */

static const char *error_type(int status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401)
        return "auth_error";
    return status >= 500 ? "internal_server_error" : "invalid_request_error";
}

static void
ol_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *e = json_object_get(root, "error");
    const char *msg =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    int st = status > 0 && status < 1000 ? (int)status : 500;

    LMX_UNUSED(pc);
    if (msg != NULL && msg[0] != '\0')
        lmx_perr_set(out, st, error_type(st), NULL, "%s", msg);
    else
        lmx_perr_set(out, st, error_type(st), NULL, "ollama returned HTTP %d: %.*s", st,
                (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static void ol_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* The OpenAI-path hooks, used only by health probes: their OpenAI-shaped bodies are valid
 * /api/chat and /api/embed bodies, so both prefixes are probed there. */

static int
ol_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model, struct lmx_buf *out)
{
    LMX_UNUSED(model);
    if (base_url(d, out) < 0)
        return LMX_ENOMEM;
    return lmx_buf_puts(out, ep == LMX_EP_EMBEDDINGS ? "/api/embed" : "/api/chat") < 0 ? LMX_ENOMEM
                                                                                       : 0;
}

static int ol_auth(
    const struct lmx_deployment *d, const char **lines, size_t max, char *store, size_t store_len)
{
    int k;

    if (d->api_key == NULL || d->api_key[0] == '\0' || max == 0)
        return 0;
    k = snprintf(store, store_len, "Authorization: Bearer %s", d->api_key);
    if (k < 0 || (size_t)k >= store_len)
        return LMX_ETOOBIG;
    lines[0] = store;
    return 1;
}

const struct lmx_provider_ops lmx_provider_ollama_ops = {
    .name = "ollama",
    .build_url = ol_url,
    .auth_headers = ol_auth,
    .build = ol_build,
    .parse = ol_parse,
    .stream_feed = ol_stream_feed,
    .stream_end = ol_stream_end,
    .map_error = ol_map_error,
    .release = ol_release,
};
