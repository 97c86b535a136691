/*
 * provider/cohere.c - Cohere's v2 API for `cohere/` and `cohere_chat/`
 * deployments: OpenAI chat requests become POST /v2/chat, OpenAI embeddings
 * requests POST /v2/embed, and the answers (JSON, or SSE with typed events)
 * become OpenAI objects and chunks.
 *
 * Parameters follow LiteLLM's CohereV2ChatConfig: top_p -> p, top_k -> k,
 * stop -> stop_sequences, max_completion_tokens -> max_tokens; OpenAI
 * parameters Cohere has no equivalent for are refused (400) unless
 * drop_params is on; keys that are not OpenAI parameters are passed through
 * as Cohere parameters (documents, citation_options, safety_mode, thinking,
 * ...). Usage comes from `usage.tokens`, as LiteLLM reports it.
 *
 * Not here: the v1 API (`cohere_chat/v1/`), rerank, citations (ignored, as
 * LiteLLM's chat output has no place for them), /completions.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/cohere.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "upstream/sse.h"

#define CO_DEFAULT_BASE "https://api.cohere.com"
#define CO_EVENT_MAX    (8u << 20) /* one SSE event */
#define CO_MAX_TOOLS    128        /* tool calls in one answer whose index we remember */

struct co_state {
    struct lmx_sse_reader sse;
    char id[96];
    long long created;
    bool include_usage;
    bool started;  /* the role chunk went out */
    bool finished; /* message-end seen */
    bool emb_base64;
    int ntools;
    long tool_key[CO_MAX_TOOLS]; /* Cohere's `index` of each tool call started */
    int cur_tool;
    json_t *env;           /* the chunk envelope, reused: only delta and finish_reason change */
    const char *env_model; /* the model it names */
    struct lmx_buf str;    /* a string read by the fast event path */
    /* set for the duration of one feed */
    struct lmx_pcall *pc;
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

/* ------------------------------------------------------------------------ */
/* Helpers (errors, request parameters, JSON output) */

/* An OpenAI parameter Cohere has no equivalent for: dropped (0) or refused (LMX_EBADPARAM). */
static int unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k)
{
    return lmx_param_unsupported(pc, err, k, pc->dep->provider);
}


/* The text of an OpenAI content value: a string, or its text parts joined. New ref or NULL. */
static json_t *text_of(const json_t *content)
{
    struct lmx_buf b;
    json_t *out;
    size_t i;
    json_t *part;

    if (json_is_string(content))
        return json_incref((json_t *)content);
    if (!json_is_array(content))
        return NULL;
    lmx_buf_init(&b, 256u << 20);
    json_array_foreach(content, i, part) {
        const char *t = json_string_value(json_object_get(part, "text"));
        const char *ty = json_string_value(json_object_get(part, "type"));

        if (t != NULL && (ty == NULL || strcmp(ty, "text") == 0) &&
            lmx_buf_append(&b, t, strlen(t)) < 0) {
            lmx_buf_release(&b);
            return NULL;
        }
    }
    out = json_stringn(b.data != NULL ? b.data : "", b.len);
    lmx_buf_release(&b);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Requests */

/* The base URL without a trailing '/' or an endpoint path some configs carry. */
static int base_url(const struct lmx_deployment *d, struct lmx_buf *out)
{
    static const char *const tails[] = {"/v2/chat",  "/v2/embed", "/v1/chat",
                                        "/v1/embed", "/v2",       "/v1"};
    const char *base = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : NULL;
    size_t n;

    if (base == NULL)
        base = getenv("COHERE_API_BASE");
    if (base == NULL || base[0] == '\0')
        base = CO_DEFAULT_BASE;
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

static const char *api_key_of(const struct lmx_deployment *d)
{
    const char *k = d->api_key;

    if (k == NULL || k[0] == '\0')
        k = getenv("COHERE_API_KEY");
    if (k == NULL || k[0] == '\0')
        k = getenv("CO_API_KEY");
    return k != NULL && k[0] != '\0' ? k : NULL;
}

/* A user content value: a string, or text and image parts. New ref, or NULL with *rc set. */
static json_t *
user_content(const struct lmx_pcall *pc, const json_t *content, struct lmx_perr *err, int *rc)
{
    json_t *out, *part;
    size_t i;

    *rc = LMX_ENOMEM;
    if (json_is_string(content))
        return json_incref((json_t *)content);
    if (!json_is_array(content)) {
        *rc = LMX_EBADREQ;
        lmx_perr_set(err, 400, "invalid_request_error", "messages",
                "cohere: a user message needs a string or a list of content parts");
        return NULL;
    }
    out = json_array();
    if (out == NULL)
        return NULL;
    json_array_foreach(content, i, part) {
        const char *ty = json_string_value(json_object_get(part, "type"));
        json_t *o = NULL;

        if (ty != NULL && strcmp(ty, "text") == 0) {
            const char *t = json_string_value(json_object_get(part, "text"));

            o = json_pack("{s:s,s:s}", "type", "text", "text", t != NULL ? t : "");
        } else if (ty != NULL && strcmp(ty, "image_url") == 0) {
            json_t *iu = json_object_get(part, "image_url");
            json_t *url = json_is_string(iu) ? iu : json_object_get(iu, "url");
            json_t *detail = json_object_get(iu, "detail");

            if (!json_is_string(url)) {
                *rc = LMX_EBADREQ;
                lmx_perr_set(err, 400, "invalid_request_error", "messages",
                        "cohere: an image_url part needs a url");
                goto fail;
            }
            o = json_is_string(detail)
                    ? json_pack("{s:s,s:{s:O,s:O}}", "type", "image_url", "image_url", "url", url,
                                "detail", detail)
                    : json_pack("{s:s,s:{s:O}}", "type", "image_url", "image_url", "url", url);
        } else {
            if (pc->drop_params)
                continue;
            *rc = LMX_EBADPARAM;
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                    "%s does not support content parts of type '%s' (model=%s)", pc->dep->provider,
                    ty != NULL ? ty : "(none)", pc->model);
            goto fail;
        }
        if (o == NULL || json_array_append_new(out, o) < 0)
            goto fail;
    }
    *rc = 0;
    return out;
fail:
    json_decref(out);
    return NULL;
}

/* OpenAI tool_calls of an assistant turn -> Cohere's (the same shape, arguments a string). */
static json_t *tool_calls_out(const json_t *tcs)
{
    json_t *out = json_array(), *tc;
    size_t i;

    if (out == NULL)
        return NULL;
    json_array_foreach(tcs, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        json_t *args = json_object_get(fn, "arguments");
        json_t *o;
        char *dump = NULL;

        if (!json_is_string(args) && args != NULL && !json_is_null(args))
            dump = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
        o = json_pack("{s:s,s:s,s:{s:s,s:s}}", "id",
                      json_string_value(json_object_get(tc, "id")) != NULL
                          ? json_string_value(json_object_get(tc, "id"))
                          : "",
                      "type", "function", "function", "name",
                      json_string_value(json_object_get(fn, "name")) != NULL
                          ? json_string_value(json_object_get(fn, "name"))
                          : "",
                      "arguments",
                      dump != NULL           ? dump
                      : json_is_string(args) ? json_string_value(args)
                                             : "{}");
        lmx_free(dump);
        if (o == NULL || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* OpenAI messages -> Cohere v2 messages, appended to `out`. */
static int
messages_out(const struct lmx_pcall *pc, const json_t *msgs, json_t *out, struct lmx_perr *err)
{
    json_t *m;
    size_t i;
    int rc = 0;

    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        lmx_perr_set(err, 400, "invalid_request_error", "messages",
                "cohere: 'messages' must be a non-empty list");
        return LMX_EBADREQ;
    }
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        json_t *o = NULL, *c = NULL;

        if (role == NULL) {
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                    "cohere: messages[%zu] has no role", i);
            return LMX_EBADREQ;
        }
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            c = text_of(content);
            o = json_pack("{s:s,s:o}", "role", "system", "content",
                          c != NULL ? c : json_string(""));
        } else if (strcmp(role, "user") == 0) {
            c = user_content(pc, content, err, &rc);
            if (c == NULL)
                return rc;
            o = json_pack("{s:s,s:o}", "role", "user", "content", c);
        } else if (strcmp(role, "assistant") == 0) {
            json_t *tcs = json_object_get(m, "tool_calls");
            const char *text;

            c = text_of(content);
            text = json_string_value(c);
            o = json_pack("{s:s}", "role", "assistant");
            if (o == NULL) {
                json_decref(c);
                return LMX_ENOMEM;
            }
            if (json_is_array(tcs) && json_array_size(tcs) > 0) {
                /* text before tool calls is Cohere's tool plan */
                if (text != NULL && text[0] != '\0')
                    rc = lmx_json_put(o, "tool_plan", json_incref(c));
                if (rc == 0)
                    rc = lmx_json_put(o, "tool_calls", tool_calls_out(tcs));
            } else if (text != NULL && text[0] != '\0') {
                rc = lmx_json_put(o, "content", json_incref(c));
            } else {
                /* an empty assistant turn: Cohere refuses it, LiteLLM's callers send it */
                json_decref(o);
                json_decref(c);
                continue;
            }
            json_decref(c);
            if (rc < 0) {
                json_decref(o);
                return rc;
            }
        } else if (strcmp(role, "tool") == 0) {
            const char *id = json_string_value(json_object_get(m, "tool_call_id"));

            c = text_of(content);
            o = json_pack("{s:s,s:s,s:o}", "role", "tool", "tool_call_id", id != NULL ? id : "",
                          "content", c != NULL ? c : json_string(""));
        } else {
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                    "%s does not support messages with role '%s' (model=%s)", pc->dep->provider,
                    role, pc->model);
            return LMX_EBADREQ;
        }
        if (o == NULL || json_array_append_new(out, o) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static int
tools_out(const struct lmx_pcall *pc, const json_t *tools, json_t *body, struct lmx_perr *err)
{
    json_t *out, *t;
    size_t i;
    int rc;

    if (!json_is_array(tools)) {
        lmx_perr_set(err, 400, "invalid_request_error", "tools", "cohere: 'tools' must be a list");
        return LMX_EBADREQ;
    }
    if (json_array_size(tools) == 0)
        return 0;
    out = json_array();
    if (out == NULL)
        return LMX_ENOMEM;
    json_array_foreach(tools, i, t) {
        const char *ty = json_string_value(json_object_get(t, "type"));
        json_t *fn = json_object_get(t, "function");
        json_t *f, *v;

        if ((ty != NULL && strcmp(ty, "function") != 0) || !json_is_object(fn) ||
            !json_is_string(json_object_get(fn, "name"))) {
            if (pc->drop_params)
                continue;
            json_decref(out);
            lmx_perr_set(err, 400, "invalid_request_error", "tools",
                    "%s supports only function tools with a name (model=%s)", pc->dep->provider,
                    pc->model);
            return LMX_EBADPARAM;
        }
        f = json_pack("{s:O}", "name", json_object_get(fn, "name"));
        rc = f == NULL ? LMX_ENOMEM : 0;
        v = json_object_get(fn, "description");
        if (rc == 0 && json_is_string(v))
            rc = lmx_json_put(f, "description", json_incref(v));
        v = json_object_get(fn, "parameters");
        if (rc == 0 && json_is_object(v))
            rc = lmx_json_put(f, "parameters", json_incref(v));
        if (rc == 0) {
            /* "o" takes f even when the pack fails */
            if (json_array_append_new(
                    out, json_pack("{s:s,s:o}", "type", "function", "function", f)) < 0)
                rc = LMX_ENOMEM;
        } else {
            json_decref(f);
        }
        if (rc < 0) {
            json_decref(out);
            return rc;
        }
    }
    return lmx_json_put(body, "tools", out);
}

/* stop -> stop_sequences (always a list). */
static int stop_out(json_t *body, const json_t *v)
{
    if (json_is_string(v))
        return lmx_json_put(body, "stop_sequences", json_pack("[O]", v));
    if (json_is_array(v))
        return json_array_size(v) > 0 ? lmx_json_put(body, "stop_sequences", json_incref((json_t *)v)) : 0;
    return 0;
}

static int
response_format_out(const struct lmx_pcall *pc, const json_t *v, json_t *body, struct lmx_perr *err)
{
    const char *ty = json_string_value(json_object_get(v, "type"));
    json_t *schema = json_object_get(json_object_get(v, "json_schema"), "schema");

    if (ty != NULL && strcmp(ty, "text") == 0)
        return 0;
    if (ty != NULL && strcmp(ty, "json_object") == 0)
        return lmx_json_put(body, "response_format", json_pack("{s:s}", "type", "json_object"));
    if (ty != NULL && strcmp(ty, "json_schema") == 0 && json_is_object(schema))
        return lmx_json_put(body, "response_format",
                   json_pack("{s:s,s:O}", "type", "json_object", "json_schema", schema));
    return unsupported(pc, err, "response_format");
}

static int tool_choice_out(const json_t *v, json_t *body)
{
    const char *s = json_string_value(v);

    if (s != NULL && strcmp(s, "required") == 0)
        return lmx_json_put(body, "tool_choice", json_string("REQUIRED"));
    if (s != NULL && strcmp(s, "none") == 0)
        return lmx_json_put(body, "tool_choice", json_string("NONE"));
    if (json_is_object(v)) /* a named function: Cohere can only force "some tool" */
        return lmx_json_put(body, "tool_choice", json_string("REQUIRED"));
    return 0; /* "auto" is Cohere's default */
}

/* OpenAI parameters Cohere cannot express. */
/* clang-format off */
static const char *const refused[] = {
    "logit_bias", "top_logprobs", "functions", "function_call", "modalities", "audio",
    "prediction", "web_search_options", "verbosity", "reasoning", "suffix", "echo", "best_of",
};
/* clang-format on */

/* OpenAI parameters without effect here, dropped silently. */
/* clang-format off */
static const char *const ignored[] = {
    "user", "store", "service_tier", "parallel_tool_calls", "stream_options",
    "prompt_cache_key", "safety_identifier", "model", "messages", "stream",
};
/* clang-format on */

static int chat_body(struct lmx_pcall *pc, const json_t *params, json_t *body, struct lmx_perr *err)
{
    json_t *msgs = json_array(), *v;
    const char *k;
    int rc;

    if (msgs == NULL || lmx_json_put(body, "model", json_string(pc->model)) < 0 ||
        lmx_json_put(body, "messages", msgs) < 0)
        return LMX_ENOMEM;
    rc = messages_out(pc, json_object_get(params, "messages"), msgs, err);
    if (rc < 0)
        return rc;
    v = json_object_get(params, "tools");
    if (v != NULL) {
        rc = tools_out(pc, v, body, err);
        if (rc < 0)
            return rc;
    }
    json_object_foreach((json_t *)params, k, v) {
        rc = 0;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)) ||
            strcmp(k, "tools") == 0)
            continue;
        if (strcmp(k, "temperature") == 0 || strcmp(k, "seed") == 0 ||
            strcmp(k, "frequency_penalty") == 0 || strcmp(k, "presence_penalty") == 0)
            rc = lmx_json_put(body, k, json_incref(v));
        else if (strcmp(k, "max_tokens") == 0) {
            if (json_object_get(params, "max_completion_tokens") == NULL)
                rc = lmx_json_put(body, "max_tokens", json_incref(v));
        } else if (strcmp(k, "max_completion_tokens") == 0)
            rc = lmx_json_put(body, "max_tokens", json_incref(v));
        else if (strcmp(k, "top_p") == 0)
            rc = lmx_json_put(body, "p", json_incref(v));
        else if (strcmp(k, "top_k") == 0)
            rc = lmx_json_put(body, "k", json_incref(v));
        else if (strcmp(k, "stop") == 0)
            rc = stop_out(body, v);
        else if (strcmp(k, "tool_choice") == 0)
            rc = tool_choice_out(v, body);
        else if (strcmp(k, "response_format") == 0)
            rc = response_format_out(pc, v, body, err);
        else if (strcmp(k, "reasoning_effort") == 0) {
            const char *s = json_string_value(v);

            rc = lmx_json_put(body, "thinking",
                     json_pack("{s:s}", "type",
                               s != NULL && strcmp(s, "none") == 0 ? "disabled" : "enabled"));
        } else if (strcmp(k, "n") == 0) {
            if (lmx_json_int(v) > 1)
                rc = unsupported(pc, err, k);
        } else if (strcmp(k, "logprobs") == 0) {
            if (json_is_true(v))
                rc = unsupported(pc, err, k);
        } else if (lmx_param_in(k, refused, LMX_ARRAY_SIZE(refused)))
            rc = unsupported(pc, err, k);
        else if (json_object_get(body, k) == NULL)
            rc = lmx_json_put(body, k, json_incref(v)); /* a Cohere parameter of its own */
        if (rc < 0)
            return rc;
    }
    if (pc->stream)
        rc = lmx_json_put(body, "stream", json_true());
    return rc;
}

static int
embed_body(struct lmx_pcall *pc, const json_t *params, json_t *body, struct lmx_perr *err)
{
    struct co_state *st = pc->state;
    json_t *input = json_object_get(params, "input"), *texts, *v;
    const char *fmt = json_string_value(json_object_get(params, "encoding_format"));
    const char *k;
    size_t i;
    int rc;

    if (json_is_string(input)) {
        texts = json_pack("[O]", input);
    } else if (json_is_array(input) && json_array_size(input) > 0) {
        json_array_foreach(input, i, v) {
            if (!json_is_string(v))
                break;
        }
        if (i < json_array_size(input)) {
            lmx_perr_set(err, 400, "invalid_request_error", "input",
                    "%s embeddings take strings, not token arrays (model=%s)", pc->dep->provider,
                    pc->model);
            return LMX_EBADREQ;
        }
        texts = json_incref(input);
    } else {
        lmx_perr_set(err, 400, "invalid_request_error", "input",
                "cohere: 'input' must be a string or a non-empty list of strings");
        return LMX_EBADREQ;
    }
    if (fmt != NULL && strcmp(fmt, "float") != 0 && strcmp(fmt, "base64") != 0) {
        json_decref(texts);
        lmx_perr_set(err, 400, "invalid_request_error", "encoding_format",
                "cohere: encoding_format must be 'float' or 'base64'");
        return LMX_EBADREQ;
    }
    st->emb_base64 = fmt != NULL && strcmp(fmt, "base64") == 0;
    v = json_object_get(params, "input_type");
    rc = lmx_json_put(body, "model", json_string(pc->model));
    if (rc == 0)
        rc = lmx_json_put(body, "texts", texts);
    else
        json_decref(texts);
    if (rc == 0)
        rc = lmx_json_put(body, "input_type",
                 json_is_string(v) ? json_incref(v) : json_string("search_document"));
    if (rc == 0)
        rc = lmx_json_put(body, "embedding_types", json_pack("[s]", st->emb_base64 ? "base64" : "float"));
    json_object_foreach((json_t *)params, k, v) {
        if (rc < 0)
            break;
        if (lmx_param_internal(k) || strcmp(k, "input") == 0 || strcmp(k, "model") == 0 ||
            strcmp(k, "encoding_format") == 0 || strcmp(k, "input_type") == 0 ||
            strcmp(k, "user") == 0)
            continue;
        if (strcmp(k, "dimensions") == 0)
            rc = lmx_json_put(body, "output_dimension", json_incref(v));
        else if (json_object_get(body, k) == NULL)
            rc = lmx_json_put(body, k, json_incref(v));
    }
    return rc;
}

static void state_free(struct co_state *st)
{
    if (st == NULL)
        return;
    lmx_sse_reader_release(&st->sse);
    json_decref(st->env);
    lmx_buf_release(&st->str);
    lmx_free(st);
}

static int co_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    struct co_state *st;
    json_t *params = NULL, *body = NULL, *so;
    const char *key;
    int rc = LMX_ENOMEM;

    if (pc->ep == LMX_EP_COMPLETIONS) {
        lmx_perr_set(err, 400, "invalid_request_error", NULL,
                "%s does not serve /completions; use /chat/completions (model=%s)",
                pc->dep->provider, pc->model);
        return LMX_EBADREQ;
    }
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return LMX_ENOMEM;
    lmx_sse_reader_init(&st->sse, CO_EVENT_MAX);
    lmx_buf_init(&st->str, CO_EVENT_MAX);
    snprintf(st->id, sizeof(st->id), "chatcmpl-%s", pc->call_id != NULL ? pc->call_id : "cohere");
    st->created = (long long)lmx_wall_s();
    so = json_object_get(pc->req, "stream_options");
    st->include_usage = pc->stream && json_is_true(json_object_get(so, "include_usage"));
    st->cur_tool = -1;
    pc->state = st;

    params = lmx_param_call(pc);
    body = json_object();
    if (params == NULL || body == NULL)
        goto out;
    rc = pc->ep == LMX_EP_EMBEDDINGS ? embed_body(pc, params, body, err)
                                     : chat_body(pc, params, body, err);
    if (rc < 0)
        goto out;
    rc = base_url(pc->dep, &out->url);
    if (rc == 0)
        rc = lmx_buf_puts(&out->url, pc->ep == LMX_EP_EMBEDDINGS ? "/v2/embed" : "/v2/chat");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "%s",
                              pc->stream ? "text/event-stream" : "application/json");
    key = api_key_of(pc->dep);
    if (rc == 0 && key != NULL)
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

static json_t *usage_json(long long prompt, long long completion, long long cached)
{
    json_t *u =
        json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)prompt, "completion_tokens",
                  (json_int_t)completion, "total_tokens", (json_int_t)(prompt + completion));

    if (u != NULL && cached > 0 &&
        json_object_set_new(u, "prompt_tokens_details",
                            json_pack("{s:I}", "cached_tokens", (json_int_t)cached)) < 0) {
        json_decref(u);
        return NULL;
    }
    return u;
}

/* Cohere's usage object -> OpenAI usage (tokens, else billed_units). */
static json_t *usage_of(const json_t *u)
{
    const json_t *t = json_object_get(u, "tokens");

    if (!json_is_object(t))
        t = json_object_get(u, "billed_units");
    return usage_json(lmx_json_int(json_object_get(t, "input_tokens")),
                      lmx_json_int(json_object_get(t, "output_tokens")),
                      lmx_json_int(json_object_get(u, "cached_tokens")));
}

static const char *finish_of(const char *r)
{
    if (r == NULL)
        return "stop";
    if (strcmp(r, "MAX_TOKENS") == 0)
        return "length";
    if (strcmp(r, "TOOL_CALL") == 0)
        return "tool_calls";
    if (strcmp(r, "ERROR_TOXIC") == 0)
        return "content_filter";
    return "stop"; /* COMPLETE, STOP_SEQUENCE, ERROR (as LiteLLM), anything newer */
}

static int parse_chat(struct lmx_pcall *pc, json_t *root, json_t **out, struct lmx_perr *err)
{
    struct co_state *st = pc->state;
    json_t *msg = json_object_get(root, "message"), *content, *tcs, *part, *m, *o;
    struct lmx_buf text, think;
    const char *fr = json_string_value(json_object_get(root, "finish_reason"));
    size_t i;
    int rc = LMX_ENOMEM;

    if (!json_is_object(msg)) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "cohere answered without a 'message' object");
        return LMX_EUPSTREAM;
    }
    lmx_buf_init(&text, 256u << 20);
    lmx_buf_init(&think, 256u << 20);
    content = json_object_get(msg, "content");
    json_array_foreach(content, i, part) {
        const char *ty = json_string_value(json_object_get(part, "type"));
        const char *s;

        if (ty != NULL && strcmp(ty, "thinking") == 0) {
            s = json_string_value(json_object_get(part, "thinking"));
            if (s != NULL && lmx_buf_puts(&think, s) < 0)
                goto out;
        } else {
            s = json_string_value(json_object_get(part, "text"));
            if (s != NULL && lmx_buf_puts(&text, s) < 0)
                goto out;
        }
    }
    if (json_is_string(content) && lmx_buf_puts(&text, json_string_value(content)) < 0)
        goto out;
    tcs = json_object_get(msg, "tool_calls");
    if (!json_is_array(tcs) || json_array_size(tcs) == 0)
        tcs = NULL;
    m = json_pack("{s:s}", "role", "assistant");
    if (m == NULL)
        goto out;
    rc = lmx_json_put(m, "content",
             tcs != NULL && text.len == 0 ? json_null()
                                          : json_stringn(text.data ? text.data : "", text.len));
    if (rc == 0 && think.len > 0)
        rc = lmx_json_put(m, "reasoning_content", json_stringn(think.data, think.len));
    if (rc == 0 && tcs != NULL)
        rc = lmx_json_put(m, "tool_calls", tool_calls_out(tcs));
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s}]}", "id", st->id, "object", "chat.completion",
                  "created", (json_int_t)st->created, "model", pc->model, "choices", "index", 0,
                  "message", m, "finish_reason",
                  tcs != NULL && fr == NULL ? "tool_calls" : finish_of(fr));
    if (rc < 0 || o == NULL) {
        json_decref(o);
        rc = LMX_ENOMEM;
        goto out;
    }
    rc = lmx_json_put(o, "usage", usage_of(json_object_get(root, "usage")));
    if (rc < 0) {
        json_decref(o);
        goto out;
    }
    *out = o;
out:
    lmx_buf_release(&text);
    lmx_buf_release(&think);
    return rc;
}

static int parse_embed(struct lmx_pcall *pc, json_t *root, json_t **out, struct lmx_perr *err)
{
    struct co_state *st = pc->state;
    json_t *emb = json_object_get(root, "embeddings"), *list, *data, *e, *o;
    json_t *bu = json_object_get(json_object_get(root, "meta"), "billed_units");
    long long tokens =
        lmx_json_int(json_object_get(bu, "input_tokens")) + lmx_json_int(json_object_get(bu, "images"));
    size_t i;

    list = json_is_array(emb)
               ? emb
               : json_object_get(emb, st != NULL && st->emb_base64 ? "base64" : "float");
    if (!json_is_array(list) && json_is_object(emb)) {
        const char *k;
        json_t *v;

        json_object_foreach(emb, k, v) {
            if (json_is_array(v)) {
                list = v;
                break;
            }
        }
    }
    if (!json_is_array(list)) {
        lmx_perr_set(err, 500, "internal_server_error", NULL, "cohere answered without embeddings");
        return LMX_EUPSTREAM;
    }
    data = json_array();
    if (data == NULL)
        return LMX_ENOMEM;
    json_array_foreach(list, i, e) {
        if (json_array_append_new(data, json_pack("{s:s,s:I,s:O}", "object", "embedding", "index",
                                                  (json_int_t)i, "embedding", e)) < 0) {
            json_decref(data);
            return LMX_ENOMEM;
        }
    }
    o = json_pack("{s:s,s:o,s:s,s:{s:I,s:I}}", "object", "list", "data", data, "model", pc->model,
                  "usage", "prompt_tokens", (json_int_t)tokens, "total_tokens", (json_int_t)tokens);
    if (o == NULL)
        return LMX_ENOMEM;
    *out = o;
    return 0;
}

static int
co_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    int rc;

    *out = NULL;
    if (!json_is_object(root)) {
        json_decref(root);
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "cohere returned a body that is not a JSON object: %.*s", (int)LMX_MIN(len, 120),
                body);
        return LMX_EUPSTREAM;
    }
    if (pc->state == NULL) {
        json_decref(root);
        return LMX_EINTERNAL;
    }
    rc = pc->ep == LMX_EP_EMBEDDINGS ? parse_embed(pc, root, out, err)
                                     : parse_chat(pc, root, out, err);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams: typed SSE events -> OpenAI chunks */

/*
 * A chunk with one choice, its delta a new empty object (in *delta) and
 * finish_reason null. The envelope is kept for the next chunk (the callback
 * only borrows it): a reference to it is returned, and only delta and
 * finish_reason ever change.
 */
static json_t *chunk_new(struct co_state *st, json_t **delta)
{
    json_t *ch, *d = json_object();

    if (st->env == NULL || st->env_model != st->pc->model) {
        json_decref(st->env);
        st->env = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:n,s:n}]}", "id", st->id, "object",
                            "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                            st->pc->model, "choices", "index", 0, "delta", "finish_reason");
        st->env_model = st->pc->model;
    }
    ch = json_array_get(json_object_get(st->env, "choices"), 0);
    if (st->env == NULL || d == NULL || json_object_set_new(ch, "delta", d) < 0 ||
        json_object_set_new(ch, "finish_reason", json_null()) < 0) {
        if (st->env == NULL)
            json_decref(d);
        return NULL;
    }
    *delta = d;
    return json_incref(st->env);
}

static int emit(struct co_state *st, json_t *chunk)
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

/* The first chunk: the assistant role (sent once, before anything else). */
static int start(struct co_state *st)
{
    json_t *d, *c;

    if (st->started)
        return 0;
    st->started = true;
    c = chunk_new(st, &d);
    if (c != NULL &&
        (lmx_json_put(d, "role", json_string("assistant")) < 0 || lmx_json_put(d, "content", json_string("")) < 0)) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* A chunk whose delta has one string member. */
static int delta_text(struct co_state *st, const char *key, const char *s)
{
    json_t *d, *c;
    int rc = start(st);

    if (rc < 0 || s == NULL || s[0] == '\0')
        return rc;
    c = chunk_new(st, &d);
    if (c != NULL && lmx_json_put(d, key, json_string(s)) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* delta.message.tool_calls of a tool-call event: an object (or a list of one). */
static json_t *event_tool_call(const json_t *ev)
{
    json_t *tc =
        json_object_get(json_object_get(json_object_get(ev, "delta"), "message"), "tool_calls");

    return json_is_array(tc) ? json_array_get(tc, 0) : tc;
}

static int tool_start(struct co_state *st, const json_t *ev)
{
    json_t *tc = event_tool_call(ev), *fn = json_object_get(tc, "function"), *d, *c;
    const char *id = json_string_value(json_object_get(tc, "id"));
    const char *name = json_string_value(json_object_get(fn, "name"));
    const char *args = json_string_value(json_object_get(fn, "arguments"));
    int idx = st->ntools++;
    int rc = start(st);

    if (rc < 0)
        return rc;
    if (idx < CO_MAX_TOOLS)
        st->tool_key[idx] = json_is_integer(json_object_get(ev, "index"))
                                ? (long)json_integer_value(json_object_get(ev, "index"))
                                : -1;
    st->cur_tool = idx;
    c = chunk_new(st, &d);
    if (c != NULL &&
        lmx_json_put(d, "tool_calls",
            json_pack("[{s:i,s:s,s:s,s:{s:s,s:s}}]", "index", idx, "id", id != NULL ? id : "",
                      "type", "function", "function", "name", name != NULL ? name : "", "arguments",
                      args != NULL ? args : "")) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

static int tool_delta(struct co_state *st, const json_t *ev)
{
    json_t *tc = event_tool_call(ev), *d, *c;
    const char *args =
        json_string_value(json_object_get(json_object_get(tc, "function"), "arguments"));
    json_t *ix = json_object_get(ev, "index");
    int idx = st->cur_tool;

    if (json_is_integer(ix)) {
        for (int i = 0; i < LMX_MIN(st->ntools, CO_MAX_TOOLS); i++)
            if (st->tool_key[i] == (long)json_integer_value(ix))
                idx = i;
    }
    if (idx < 0 || args == NULL || args[0] == '\0')
        return 0;
    c = chunk_new(st, &d);
    if (c != NULL &&
        lmx_json_put(d, "tool_calls",
            json_pack("[{s:i,s:{s:s}}]", "index", idx, "function", "arguments", args)) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

static int message_end(struct co_state *st, const json_t *ev)
{
    json_t *delta = json_object_get(ev, "delta"), *d, *c;
    const char *fr = json_string_value(json_object_get(delta, "finish_reason"));
    json_t *e = json_object_get(delta, "error");
    int rc;

    if ((fr != NULL && (strcmp(fr, "ERROR") == 0 || strcmp(fr, "TIMEOUT") == 0)) ||
        (json_is_string(e) && json_string_length(e) > 0)) {
        lmx_perr_set(st->err, 500, "internal_server_error", NULL, "cohere stream failed: %s",
                json_is_string(e) ? json_string_value(e) : fr);
        return LMX_EUPSTREAM;
    }
    rc = start(st);
    if (rc < 0)
        return rc;
    st->finished = true;
    c = chunk_new(st, &d);
    if (c != NULL &&
        json_object_set_new(
            json_array_get(json_object_get(c, "choices"), 0), "finish_reason",
            json_string(st->ntools > 0 && fr == NULL ? "tool_calls" : finish_of(fr))) < 0) {
        json_decref(c);
        c = NULL;
    }
    rc = emit(st, c);
    if (rc < 0 || !st->include_usage)
        return rc;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object", "chat.completion.chunk",
                  "created", (json_int_t)st->created, "model", st->pc->model, "choices", "usage",
                  usage_of(json_object_get(delta, "usage")));
    return emit(st, c);
}

/* The value span v as a C string in st->str; NULL when it is not a string. */
static const char *fast_str(struct co_state *st, struct lmx_jval v, bool *nomem)
{
    if (lmx_jfast_kind(v.v, v.n) != LMX_JK_STRING)
        return NULL;
    if (lmx_jfast_str(v.v, v.n, &st->str) < 0) {
        *nomem = true;
        return NULL;
    }
    return st->str.data;
}

/*
 * message-start, content-start, content-delta and content-end read without a
 * parse. Returns false for other events or text lmx_jfast_check declines
 * (on_event then parses it); else true with *rc what the full path gives.
 */
static bool fast_event(struct co_state *st, const char *data, size_t len, int *rc)
{
    static const char *const top[] = {"type", "delta"};
    static const char *const texts[] = {"thinking", "text"};
    struct lmx_jval m[2], t[2];
    const char *type, *v, *o;
    size_t on;
    bool nomem = false;

    if (lmx_jfast_check(data, len) < 0)
        return false;
    lmx_jfast_getv(data, len, top, 2, m);
    type = fast_str(st, m[0], &nomem);
    if (nomem) {
        *rc = LMX_ENOMEM;
        return true;
    }
    if (type == NULL)
        return false; /* the SSE event name decides */
    *rc = 0;
    if (strcmp(type, "message-start") == 0 || strcmp(type, "content-start") == 0) {
        *rc = start(st);
    } else if (strcmp(type, "content-delta") == 0) {
        lmx_jfast_get(m[1].v, m[1].n, "message", &o, &on);
        lmx_jfast_get(o, on, "content", &o, &on);
        lmx_jfast_getv(o, on, texts, 2, t);
        if (lmx_jfast_kind(t[0].v, t[0].n) == LMX_JK_STRING) {
            v = fast_str(st, t[0], &nomem);
            *rc = nomem ? LMX_ENOMEM : delta_text(st, "reasoning_content", v);
        } else {
            v = fast_str(st, t[1], &nomem);
            *rc = nomem ? LMX_ENOMEM : delta_text(st, "content", v);
        }
    } else if (strcmp(type, "tool-call-start") == 0 || strcmp(type, "tool-call-delta") == 0 ||
               strcmp(type, "message-end") == 0 || strcmp(type, "error") == 0) {
        return false;
    } /* tool-plan-delta, citation-*, content-end, tool-call-end: nothing for the client */
    return true;
}

static int
on_event(const char *event, size_t event_len, const char *data, size_t data_len, void *ud)
{
    struct co_state *st = ud;
    json_t *ev;
    const char *type;
    int rc = 0;

    LMX_UNUSED(event_len);
    if (st->finished)
        return 0;
    if (fast_event(st, data, data_len, &rc))
        return rc;
    ev = json_loadb(data, data_len, 0, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        if (data_len == 6 && memcmp(data, "[DONE]", 6) == 0)
            return 0;
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                "cohere sent a malformed stream event: %.120s", data);
        return LMX_EUPSTREAM;
    }
    type = json_string_value(json_object_get(ev, "type"));
    if (type == NULL)
        type = event;
    if (strcmp(type, "message-start") == 0 || strcmp(type, "content-start") == 0) {
        rc = start(st);
    } else if (strcmp(type, "content-delta") == 0) {
        json_t *c =
            json_object_get(json_object_get(json_object_get(ev, "delta"), "message"), "content");

        if (json_is_string(json_object_get(c, "thinking")))
            rc = delta_text(st, "reasoning_content",
                            json_string_value(json_object_get(c, "thinking")));
        else
            rc = delta_text(st, "content", json_string_value(json_object_get(c, "text")));
    } else if (strcmp(type, "tool-call-start") == 0) {
        rc = tool_start(st, ev);
    } else if (strcmp(type, "tool-call-delta") == 0) {
        rc = tool_delta(st, ev);
    } else if (strcmp(type, "message-end") == 0) {
        rc = message_end(st, ev);
    } else if (strcmp(type, "error") == 0) {
        const char *msg = json_string_value(json_object_get(ev, "message"));

        lmx_perr_set(st->err, 500, "internal_server_error", NULL, "cohere stream failed: %s",
                msg != NULL ? msg : data);
        rc = LMX_EUPSTREAM;
    }
    /* tool-plan-delta, citation-*, content-end, tool-call-end: nothing for the client */
    json_decref(ev);
    return rc;
}

static int co_stream_feed(
    struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct co_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    rc = lmx_sse_reader_feed(&st->sse, p, n, on_event, st);
    if (rc == LMX_ETOOBIG)
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "cohere sent a stream event larger than %u bytes", CO_EVENT_MAX);
    return rc;
}

static int co_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct co_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
    rc = lmx_sse_reader_finish(&st->sse, on_event, st);
    if (rc < 0)
        return rc;
    if (!st->finished) {
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                "cohere stream ended before its message-end event");
        return LMX_EUPSTREAM;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Errors */

/* The OpenAI-style error type for an upstream status (as the proxy's own relay names them). */
static const char *error_type(int status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401)
        return "auth_error";
    return status >= 500 ? "internal_server_error" : "invalid_request_error";
}

static void
co_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *m = json_object_get(root, "message");
    json_t *e = json_object_get(root, "error");
    const char *msg = json_string_value(m);
    int st = status > 0 && status < 1000 ? (int)status : 500;

    LMX_UNUSED(pc);
    if (msg == NULL)
        msg = json_is_string(e) ? json_string_value(e)
                                : json_string_value(json_object_get(e, "message"));
    if (msg != NULL && msg[0] != '\0')
        lmx_perr_set(out, st, error_type(st), NULL, "%s", msg);
    else
        lmx_perr_set(out, st, error_type(st), NULL, "cohere returned HTTP %d: %.*s", st,
                (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static void co_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* The OpenAI-path hooks, used only by health probes (an OpenAI chat body is a valid v2 chat) */

static int
co_url(const struct lmx_deployment *d, enum lmx_endpoint ep, const char *model, struct lmx_buf *out)
{
    LMX_UNUSED(model);
    if (base_url(d, out) < 0)
        return LMX_ENOMEM;
    /* rerank is Cohere's own format: the proxy forwards it as it came */
    return lmx_buf_puts(out, ep == LMX_EP_EMBEDDINGS ? "/v2/embed"
                             : ep == LMX_EP_RERANK   ? "/v2/rerank"
                                                     : "/v2/chat") < 0
               ? LMX_ENOMEM
               : 0;
}

static int co_auth(
    const struct lmx_deployment *d, const char **lines, size_t max, char *store, size_t store_len)
{
    const char *key = api_key_of(d);
    int k;

    if (key == NULL || max == 0)
        return 0;
    k = snprintf(store, store_len, "Authorization: Bearer %s", key);
    if (k < 0 || (size_t)k >= store_len)
        return LMX_ETOOBIG;
    lines[0] = store;
    return 1;
}

const struct lmx_provider_ops lmx_provider_cohere_ops = {
    .name = "cohere",
    .build_url = co_url,
    .auth_headers = co_auth,
    .build = co_build,
    .parse = co_parse,
    .stream_feed = co_stream_feed,
    .stream_end = co_stream_end,
    .map_error = co_map_error,
    .release = co_release,
};
