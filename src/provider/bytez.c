/*
 * provider/bytez.c - Bytez chat (`bytez/` deployments), as LiteLLM's
 * BytezChatConfig calls it.
 *
 *   POST {base}/{model}   "Authorization: Key {api_key}"
 *
 * {base} is api_base, else https://api.bytez.com/models/v2 (LiteLLM always
 * uses the latter). The body is {"messages", "stream", "params"}: every
 * message's content becomes a list of items (a string -> {"type":"text",
 * "text"}; image_url -> {"type":"image","url"}, input_audio -> {"type":
 * "audio","url"}, video_url -> {"type":"video","url"}); params carries
 * max_new_tokens (max_tokens / max_completion_tokens), temperature, top_p,
 * num_return_sequences (n) and any non-OpenAI parameter as it is. The other
 * OpenAI parameters (stop, seed, tools, logprobs, penalties, ...) are refused
 * with 400 unless drop_params, as LiteLLM does. The answer {"error",
 * "output":{"role","content":[{"type":"text","text"}]}} becomes a
 * chat.completion whose usage is LiteLLM's estimate (space-separated words of
 * the texts, one per media item); the stream is raw text, each piece a chunk.
 *
 * Not here: LiteLLM's model check before the call (GET {base}/list/models);
 * file and document parts are refused with 400, as LiteLLM does.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/bytez.h"
#include "provider/params.h"

#define BZ_BASE "https://api.bytez.com/models/v2"

/* pc->state of a call. */
struct bz_call {
    char id[64];
    json_int_t created;
    bool role_sent;
    char tail[4]; /* an incomplete UTF-8 sequence from the last stream bytes */
    size_t ntail;
};

static int oom(struct lmx_perr *e)
{
    return lmx_perr_fail(e, LMX_ENOMEM, 503, "internal_server_error",
                         "bytez: out of memory building the request");
}

static int dump_to_buf(const char *p, size_t n, void *ud)
{
    return lmx_buf_append(ud, p, n) < 0 ? -1 : 0;
}

static void bz_release(struct lmx_pcall *pc)
{
    lmx_free(pc->state);
    pc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static const char *const mapped[][2] = {
    {"max_tokens", "max_new_tokens"},
    {"max_completion_tokens", "max_new_tokens"},
    {"temperature", "temperature"},
    {"top_p", "top_p"},
    {"n", "num_return_sequences"},
};

/* OpenAI parameters Bytez refuses (LiteLLM's map marks them False). */
static const char *const refused[] = {
    "seed",       "stop",          "logit_bias",     "logprobs",    "frequency_penalty",
    "presence_penalty", "top_logprobs", "modalities", "prediction", "tools",
    "tool_choice", "function_call", "functions",     "parallel_tool_calls", "audio",
    "web_search_options",
};

/* Request fields that are neither parameters nor Bytez params. */
static const char *const skipped[] = {
    "model", "messages", "stream", "stream_options", "user", "metadata",
};

static bool in_list(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

/* One OpenAI content item -> Bytez's; NULL with *why set when it has no Bytez form. */
static json_t *item_of(const json_t *it, const char **why)
{
    const char *type = lmx_json_str(it, "type"), *v = NULL;
    const json_t *o;

    if (json_is_string(it))
        return json_pack("{s:s,s:s}", "type", "text", "text", json_string_value(it));
    if (type == NULL) {
        *why = "a content item has no type";
        return NULL;
    }
    if (strcmp(type, "text") == 0) {
        v = lmx_json_str(it, "text");
        return v != NULL ? json_pack("{s:s,s:s}", "type", "text", "text", v) : NULL;
    }
    o = json_object_get(it, type);
    v = json_is_string(o) ? json_string_value(o) : lmx_json_str(o, "url");
    if (v == NULL)
        v = lmx_json_str(it, "url");
    if (strcmp(type, "image_url") == 0 && v != NULL)
        return json_pack("{s:s,s:s}", "type", "image", "url", v);
    if (strcmp(type, "input_audio") == 0 && v != NULL)
        return json_pack("{s:s,s:s}", "type", "audio", "url", v);
    if (strcmp(type, "video_url") == 0 && v != NULL)
        return json_pack("{s:s,s:s}", "type", "video", "url", v);
    *why = strcmp(type, "image_url") != 0 && strcmp(type, "input_audio") != 0 &&
                   strcmp(type, "video_url") != 0
               ? "only text, image_url, input_audio and video_url items are supported"
               : "a media item has no url";
    return NULL;
}

static json_t *messages_of(const json_t *msgs, const char **why)
{
    json_t *out = json_array();
    const json_t *m, *c, *it;
    size_t i, k;

    json_array_foreach(msgs, i, m) {
        json_t *items = json_array(), *x;

        c = json_object_get(m, "content");
        if (items == NULL)
            goto fail;
        if (json_is_string(c) || json_is_object(c)) {
            x = item_of(c, why);
            if (x == NULL || json_array_append_new(items, x) < 0)
                goto fail_items;
        }
        json_array_foreach(c, k, it) {
            x = item_of(it, why);
            if (x == NULL || json_array_append_new(items, x) < 0)
                goto fail_items;
        }
        if (json_array_append_new(out, json_pack("{s:s,s:o}", "role",
                                                 lmx_json_str(m, "role") != NULL
                                                     ? lmx_json_str(m, "role")
                                                     : "user",
                                                 "content", items)) < 0)
            goto fail;
        continue;
fail_items:
        json_decref(items);
        goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static int bz_body(struct lmx_pcall *pc, json_t **out, struct lmx_perr *err)
{
    const json_t *req = pc->req, *v;
    json_t *body = NULL, *params = json_object(), *msgs;
    const char *k, *name, *why = NULL;
    bool bad = params == NULL;

    *out = NULL;
    json_object_foreach((json_t *)req, k, v) {
        if (json_is_null(v) || in_list(k, skipped, LMX_ARRAY_SIZE(skipped)))
            continue;
        if (in_list(k, refused, LMX_ARRAY_SIZE(refused))) {
            if (pc->drop_params)
                continue;
            json_decref(params);
            lmx_perr_fail(err, LMX_EBADPARAM, 400, "invalid_request_error",
                          "bytez does not support parameters: ['%s'], for model=%s. To drop "
                          "these, set `litellm.drop_params=True` or for proxy:\n\n"
                          "`litellm_settings:\n drop_params: true`\n",
                          k, pc->model != NULL ? pc->model : "");
            snprintf(err->param, sizeof(err->param), "%s", k);
            return LMX_EBADPARAM;
        }
        name = k;
        for (size_t i = 0; i < LMX_ARRAY_SIZE(mapped); i++)
            if (strcmp(k, mapped[i][0]) == 0)
                name = mapped[i][1];
        bad = bad || json_object_set(params, name, (json_t *)v) < 0;
    }
    if (bad) {
        json_decref(params);
        return oom(err);
    }
    if (!json_is_array(json_object_get(req, "messages"))) {
        json_decref(params);
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "bytez: the request has no 'messages' array");
    }
    msgs = messages_of(json_object_get(req, "messages"), &why);
    if (msgs == NULL) {
        json_decref(params);
        return why != NULL ? lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                                           "bytez: %s (model=%s)", why,
                                           pc->model != NULL ? pc->model : "")
                           : oom(err);
    }
    body = json_pack("{s:o,s:b,s:o}", "messages", msgs, "stream", pc->stream, "params", params);
    if (body == NULL)
        return oom(err);
    *out = body;
    return 0;
}

static int bz_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *m = pc->model != NULL ? pc->model : "", *base;
    struct bz_call *bc = pc->state;
    json_t *body = NULL;
    size_t n;
    int rc;

    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, LMX_EBADREQ, 400, "invalid_request_error",
                             "bytez deployments serve /chat/completions only (model=%s)", m);
    if (bc == NULL) {
        char u[37];

        bc = lmx_calloc(1, sizeof(*bc));
        if (bc == NULL)
            return oom(err);
        lmx_uuid4(u);
        snprintf(bc->id, sizeof(bc->id), "chatcmpl-%s", u);
        bc->created = (json_int_t)time(NULL);
        pc->state = bc;
    }
    rc = bz_body(pc, &body, err);
    if (rc < 0)
        return rc;
    base = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : BZ_BASE;
    n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    out->method = "POST";
    rc = lmx_buf_append(&out->url, base, n);
    if (rc == 0)
        rc = lmx_buf_printf(&out->url, "/%s", m);
    if (rc == 0 && d->api_key != NULL && d->api_key[0] != '\0')
        rc = lmx_upreq_header(out, "Authorization", "Key %s", d->api_key);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0 && json_dump_callback(body, dump_to_buf, &out->body, JSON_COMPACT) < 0)
        rc = LMX_ENOMEM;
    if (rc < 0)
        rc = rc == LMX_ENOMEM ? oom(err)
                              : lmx_perr_fail(err, rc, 413, "invalid_request_error",
                                              "the request for provider 'bytez' is too large");
    json_decref(body);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* LiteLLM's token estimate of Bytez messages: text.split(" ") words, 1 per media item. */
static json_int_t tokens_of(const json_t *msgs)
{
    const json_t *m, *it;
    size_t i, k;
    json_int_t total = 0;

    json_array_foreach(msgs, i, m) {
        json_array_foreach(json_object_get(m, "content"), k, it) {
            const char *t = lmx_json_str(it, "text");
            const char *type = lmx_json_str(it, "type");

            if (type != NULL && strcmp(type, "text") == 0) {
                total++;
                for (; t != NULL && *t; t++)
                    total += *t == ' ';
            } else {
                total++;
            }
        }
    }
    return total;
}

static int bz_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out,
                    struct lmx_perr *err)
{
    struct bz_call *bc = pc->state;
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL), *o = NULL, *sent, *outm;
    const json_t *output = json_object_get(root, "output"), *e = json_object_get(root, "error");
    const char *text = lmx_json_str(json_array_get(json_object_get(output, "content"), 0), "text");
    const char *why = NULL;
    json_int_t in, gen;

    if (e != NULL && !json_is_null(e)) {
        char *s = json_is_string(e) ? NULL : json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);

        lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error", "bytez: %s",
                      json_is_string(e) ? json_string_value(e) : s != NULL ? s : "error");
        free(s);
        json_decref(root);
        return LMX_EUPSTREAM;
    }
    if (text == NULL && json_is_string(json_object_get(output, "content")))
        text = json_string_value(json_object_get(output, "content"));
    if (text == NULL) {
        json_decref(root);
        return lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                             "bytez: the answer has no output text: %.200s",
                             body != NULL ? body : "");
    }
    sent = messages_of(json_object_get(pc->req, "messages"), &why);
    in = sent != NULL ? tokens_of(sent) : 0;
    json_decref(sent);
    outm = json_pack("[{s:s,s:[{s:s,s:s}]}]", "role", "assistant", "content", "type", "text",
                     "text", text);
    gen = outm != NULL ? tokens_of(outm) : 0;
    json_decref(outm);
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:{s:I,s:I,s:I}}", "id",
                  bc != NULL ? bc->id : "chatcmpl-bytez", "object", "chat.completion", "created",
                  bc != NULL ? bc->created : (json_int_t)time(NULL), "model",
                  pc->model != NULL ? pc->model : "", "choices", "index", 0, "message", "role",
                  "assistant", "content", text, "finish_reason", "stop", "usage",
                  "prompt_tokens", in, "completion_tokens", gen, "total_tokens", in + gen);
    json_decref(root);
    if (o == NULL)
        return oom(err);
    *out = o;
    return 0;
}

static int emit(struct bz_call *bc, const char *model, const char *text, size_t n, bool finish,
                lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    json_t *delta = json_object(), *c;
    int rc;

    if (delta == NULL || json_object_set_new(delta, "content", json_stringn(text, n)) < 0 ||
        (!bc->role_sent && json_object_set_new(delta, "role", json_string("assistant")) < 0)) {
        json_decref(delta);
        return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error", "bytez: out of memory");
    }
    bc->role_sent = true;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o}]}", "id", bc->id, "object",
                  "chat.completion.chunk", "created", bc->created, "model", model, "choices",
                  "index", 0, "delta", delta, "finish_reason",
                  finish ? json_string("stop") : json_null());
    if (c == NULL)
        return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error", "bytez: out of memory");
    rc = cb(c, ud);
    json_decref(c);
    return rc;
}

/* The length of p[0..n) that ends on a UTF-8 character boundary. */
static size_t utf8_complete(const char *p, size_t n)
{
    size_t i = n, back = 0;

    while (i > 0 && back < 4 && ((unsigned char)p[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i > 0) {
        unsigned char lead = (unsigned char)p[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

        if (need > back + 1)
            return i - 1;
    }
    return n;
}

static int bz_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                          void *ud, struct lmx_perr *err)
{
    struct bz_call *bc = pc->state;
    char *joined;
    size_t total, ok;
    int rc = 0;

    if (bc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "bytez: stream bytes for a call that was not built");
    total = bc->ntail + n;
    joined = lmx_malloc(total + 1);
    if (joined == NULL)
        return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error", "bytez: out of memory");
    memcpy(joined, bc->tail, bc->ntail);
    memcpy(joined + bc->ntail, p, n);
    ok = utf8_complete(joined, total);
    if (total - ok >= sizeof(bc->tail))
        ok = total; /* not UTF-8 at all: let the JSON layer refuse it */
    bc->ntail = total - ok;
    memcpy(bc->tail, joined + ok, bc->ntail);
    if (ok > 0)
        rc = emit(bc, pc->model != NULL ? pc->model : "", joined, ok, false, cb, ud, err);
    lmx_free(joined);
    return rc;
}

static int bz_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct bz_call *bc = pc->state;

    if (bc == NULL)
        return lmx_perr_fail(err, LMX_EINTERNAL, 500, "internal_server_error",
                             "bytez: stream end for a call that was not built");
    if (bc->ntail > 0)
        return lmx_perr_fail(err, LMX_EUPSTREAM, 502, "internal_server_error",
                             "bytez: the stream ends inside a UTF-8 character");
    return emit(bc, pc->model != NULL ? pc->model : "", "", 0, true, cb, ud, err);
}

/* {"error": "..."} -> out. */
static void bz_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len,
                         struct lmx_perr *out)
{
    json_t *root = json_loadb(body != NULL ? body : "", len, 0, NULL);
    const char *msg = lmx_json_str(root, "error");

    (void)pc;
    if (status <= 0)
        status = 500;
    out->status = (int)status;
    snprintf(out->type, sizeof(out->type), "%s",
             status == 401 || status == 403 ? "auth_error"
             : status == 404               ? "not_found_error"
             : status == 429               ? "rate_limit_error"
             : status >= 500               ? "internal_server_error"
                                           : "invalid_request_error");
    out->param[0] = '\0';
    if (msg != NULL)
        snprintf(out->message, sizeof(out->message), "bytez: %s", msg);
    else
        snprintf(out->message, sizeof(out->message), "bytez returned HTTP %ld: %.*s", status,
                 (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

const struct lmx_provider_ops lmx_provider_bytez_ops = {
    .name = "bytez",
    .build = bz_build,
    .parse = bz_parse,
    .stream_feed = bz_stream_feed,
    .stream_end = bz_stream_end,
    .map_error = bz_map_error,
    .release = bz_release,
};
