/*
 * dialect/completions.c - legacy /v1/completions served by a chat-only
 * provider (Anthropic, Gemini, Bedrock, ...): the prompt becomes one user
 * message, the chat answer becomes a text_completion, as LiteLLM bridges it.
 *
 * OpenAI-compatible deployments never come here: their /completions
 * endpoint gets the request as it came (api/proxy.c switches to this dialect
 * only when the chosen deployment's family has its own wire format). Errors
 * keep the OpenAI envelope (error_body and stream_error are NULL).
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "dialect/dialect.h"

struct cmpl_state {
    bool client_usage; /* the client asked for stream_options.include_usage */
};

/* 400 naming `param`; without a message: "'<param>' is not supported ... over chat". */
static int refuse(struct lmx_perr *err, const char *param, const char *msg)
{
    err->status = 400;
    snprintf(err->type, sizeof(err->type), "invalid_request_error");
    snprintf(err->param, sizeof(err->param), "%s", param);
    if (msg != NULL)
        snprintf(err->message, sizeof(err->message), "%s", msg);
    else
        snprintf(err->message, sizeof(err->message),
                 "'%s' is not supported when /completions is served over chat", param);
    return LMX_EBADREQ;
}

/* The one prompt text: a string, or an array of one string. */
static const char *prompt_text(const json_t *p)
{
    if (json_is_string(p))
        return json_string_value(p);
    if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0)))
        return json_string_value(json_array_get(p, 0));
    return NULL;
}

static int cmpl_request(struct lmx_dcall *dc, const json_t *in, json_t **out, struct lmx_perr *err)
{
    static const char *const unsupported[] = {"suffix", "best_of", "logprobs"};
    struct cmpl_state *st;
    const char *text = prompt_text(json_object_get(in, "prompt"));
    const char *k;
    json_t *v, *chat;

    *out = NULL;
    if (text == NULL)
        return refuse(err, "prompt",
                      "'prompt' must be a string (or an array of one string) when the "
                      "deployment's provider only serves chat");
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported); i++) {
        v = json_object_get(in, unsupported[i]);
        if (v != NULL && !json_is_null(v))
            return refuse(err, unsupported[i], NULL);
    }
    if (json_is_true(json_object_get(in, "echo")))
        return refuse(err, "echo", NULL);
    chat = json_object();
    if (chat == NULL)
        return LMX_ENOMEM;
    json_object_foreach((json_t *)in, k, v) {
        if (strcmp(k, "prompt") != 0 && strcmp(k, "echo") != 0 && strcmp(k, "suffix") != 0 &&
            strcmp(k, "best_of") != 0 && strcmp(k, "logprobs") != 0)
            json_object_set(chat, k, v);
    }
    if (json_object_set_new(chat, "messages",
                            json_pack("[{s:s,s:s}]", "role", "user", "content", text)) < 0)
        goto oom;
    dc->stream = json_is_true(json_object_get(in, "stream"));
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        goto oom;
    st->client_usage =
        json_is_true(json_object_get(json_object_get(in, "stream_options"), "include_usage"));
    dc->state = st;
    *out = chat;
    return 0;
oom:
    json_decref(chat);
    return LMX_ENOMEM;
}

/* One choice of a chat answer or chunk → the text_completion choice. */
static json_t *choice_of(const json_t *ch, const char *member)
{
    const json_t *m = json_object_get(ch, member);
    const char *text = json_string_value(json_object_get(m, "content"));
    json_t *fr = json_object_get(ch, "finish_reason");

    return json_pack("{s:s,s:I,s:n,s:O}", "text", text != NULL ? text : "", "index",
                     (json_int_t)json_integer_value(json_object_get(ch, "index")), "logprobs",
                     "finish_reason", fr != NULL ? fr : json_null());
}

static json_t *completion_of(const struct lmx_dcall *dc, const json_t *chat, const char *member)
{
    const json_t *ch;
    json_t *o, *choices = json_array();
    size_t i;

    if (choices == NULL)
        return NULL;
    json_array_foreach(json_object_get(chat, "choices"), i, ch) {
        if (json_array_append_new(choices, choice_of(ch, member)) < 0) {
            json_decref(choices);
            return NULL;
        }
    }
    o = json_pack("{s:s,s:s,s:I,s:s,s:o}", "id",
                  json_string_value(json_object_get(chat, "id")) != NULL
                      ? json_string_value(json_object_get(chat, "id"))
                      : "",
                  "object", "text_completion", "created",
                  json_is_integer(json_object_get(chat, "created"))
                      ? (json_int_t)json_integer_value(json_object_get(chat, "created"))
                      : (json_int_t)dc->created,
                  "model", dc->model != NULL ? dc->model : "", "choices", choices);
    if (o != NULL && json_is_object(json_object_get(chat, "usage")))
        json_object_set(o, "usage", json_object_get(chat, "usage"));
    return o;
}

static int put_json(struct lmx_buf *out, const char *pre, const json_t *v, const char *post)
{
    char *text = json_dumps(v, JSON_COMPACT);
    int err;

    if (text == NULL)
        return LMX_ENOMEM;
    err = lmx_buf_puts(out, pre);
    if (err == 0)
        err = lmx_buf_puts(out, text);
    if (err == 0)
        err = lmx_buf_puts(out, post);
    lmx_free(text);
    return err;
}

static int cmpl_response(struct lmx_dcall *dc, const json_t *resp, struct lmx_buf *out)
{
    json_t *o = completion_of(dc, resp, "message");
    int err;

    if (o == NULL)
        return LMX_ENOMEM;
    err = put_json(out, "", o, "");
    json_decref(o);
    return err;
}

static int cmpl_chunk(struct lmx_dcall *dc, const json_t *chunk, struct lmx_buf *out)
{
    struct cmpl_state *st = dc->state;
    json_t *o;
    int err;

    if (json_array_size(json_object_get(chunk, "choices")) == 0 &&
        (st == NULL || !st->client_usage))
        return 0; /* the usage chunk the client did not ask for */
    o = completion_of(dc, chunk, "delta");
    if (o == NULL)
        return LMX_ENOMEM;
    err = put_json(out, "data: ", o, "\n\n");
    json_decref(o);
    return err;
}

static int cmpl_end(struct lmx_dcall *dc, struct lmx_buf *out)
{
    LMX_UNUSED(dc);
    return lmx_buf_puts(out, "data: [DONE]\n\n");
}

static void cmpl_release(struct lmx_dcall *dc)
{
    lmx_free(dc->state);
    dc->state = NULL;
}

const struct lmx_dialect_ops lmx_dialect_completions = {
    .name = "completions",
    .stream_content_type = "text/event-stream",
    .request = cmpl_request,
    .response = cmpl_response,
    .stream_chunk = cmpl_chunk,
    .stream_end = cmpl_end,
    .error_body = NULL,
    .stream_error = NULL,
    .release = cmpl_release,
};
