/*
 * provider/gemini_wire.c - OpenAI chat/embeddings <-> Gemini generateContent,
 * streamGenerateContent (alt=sse) and batchEmbedContents.
 *
 * Pure translation: JSON in, JSON out, plus an incremental SSE decoder. URLs,
 * credentials and the ops table live in gemini.c (AI Studio); Vertex AI can
 * call the same functions. Mappings follow LiteLLM's Gemini adapter where it
 * decides something (parameter names, reasoning budgets, usage arithmetic,
 * tool-call ids carrying thought signatures, blocked prompts answered with
 * finish_reason "content_filter").
 *
 * Not here: images are never downloaded (http(s) URLs go as fileData), and
 * response images/audio/grounding metadata are not translated.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/log.h"
#include "core/util.h"
#include "provider/gemini.h"
#include "provider/params.h"
#include "upstream/sse.h"

#define EVENT_MAX    ((size_t)64 << 20)  /* one stream event */
#define TEXT_MAX     ((size_t)256 << 20) /* text of one candidate */
#define MAX_CHOICES  16                  /* stream choices tracked (candidateCount) */
#define SCHEMA_DEPTH 48                  /* nesting of a tool schema */
#define REF_DEPTH    8                   /* $ref expansions inside each other */

/* What a thought signature is appended to a tool-call id with (LiteLLM's convention). */
#define SIG_SEP "__thought__"
/* The signature Google documents for calls whose real one is unknown (gemini-3 requires one). */
#define DUMMY_SIG "skip_thought_signature_validator"

/* ------------------------------------------------------------------------ */
/* Errors */

static int fail(struct lmx_perr *e,
                int code,
                int status,
                const char *type,
                const char *param,
                const char *fmt,
                ...) LMX_PRINTF(6, 7);

static int fail(struct lmx_perr *e,
                int code,
                int status,
                const char *type,
                const char *param,
                const char *fmt,
                ...)
{
    va_list ap;

    if (e == NULL)
        return code;
    e->status = status;
    snprintf(e->type, sizeof(e->type), "%s", type);
    snprintf(e->param, sizeof(e->param), "%s", param != NULL ? param : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return code;
}

#define BADREQ(e, param, ...) \
    fail((e), LMX_EBADREQ, 400, "invalid_request_error", (param), __VA_ARGS__)

static int oom(struct lmx_perr *e)
{
    return fail(e, LMX_ENOMEM, 503, "internal_server_error", NULL, "out of memory");
}

/* LiteLLM's UnsupportedParamsError, word for word where a client may match on it. */
static int unsupported(const struct lmx_gemini_opts *o, const char *param, struct lmx_perr *e)
{
    return fail(e, LMX_EBADPARAM, 400, "invalid_request_error", param,
                "litellm.UnsupportedParamsError: %s does not support parameters: ['%s'], for "
                "model=%s. To drop these, set `litellm.drop_params=True` or for proxy:\n\n"
                "`litellm_settings:\n drop_params: true`\n",
                o->provider != NULL ? o->provider : "gemini", param,
                o->model != NULL ? o->model : "");
}

const char *lmx_gemini_error_type(const char *rpc)
{
    /* clang-format off */
    static const char *const map[][2] = {
        {"INVALID_ARGUMENT",    "invalid_request_error"},
        {"FAILED_PRECONDITION", "invalid_request_error"},
        {"OUT_OF_RANGE",        "invalid_request_error"},
        {"ALREADY_EXISTS",      "invalid_request_error"},
        {"UNAUTHENTICATED",     "auth_error"},
        {"PERMISSION_DENIED",   "auth_error"},
        {"NOT_FOUND",           "not_found_error"},
        {"RESOURCE_EXHAUSTED",  "rate_limit_error"},
        {"DEADLINE_EXCEEDED",   "timeout"},
        {"UNIMPLEMENTED",       "not_implemented"},
        {"UNAVAILABLE",         "internal_server_error"},
        {"INTERNAL",            "internal_server_error"},
        {"UNKNOWN",             "internal_server_error"},
        {"ABORTED",             "internal_server_error"},
        {"DATA_LOSS",           "internal_server_error"},
        {"CANCELLED",           "internal_server_error"},
    };
    /* clang-format on */

    if (rpc == NULL)
        return NULL;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strcmp(map[i][0], rpc) == 0)
            return map[i][1];
    return NULL;
}

static const char *type_of_status(long status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status == 401 || status == 403)
        return "auth_error";
    if (status == 404)
        return "not_found_error";
    if (status == 408 || status == 504)
        return "timeout";
    if (status >= 500)
        return "internal_server_error";
    return "invalid_request_error";
}

/* The {"code","message","status"} object of an error body (top level or in a one-element array). */
static const json_t *error_obj(const json_t *root)
{
    if (json_is_array(root))
        root = json_array_get(root, 0);
    root = json_object_get(root, "error");
    return json_is_object(root) ? root : NULL;
}

/* Fills e from an error object; `status` 0 takes the object's own code. */
static void fill_error(struct lmx_perr *e, long status, const json_t *eo)
{
    const char *msg = json_string_value(json_object_get(eo, "message"));
    const char *rpc = json_string_value(json_object_get(eo, "status"));
    const json_t *code = json_object_get(eo, "code");
    const char *type;

    if (status <= 0)
        status = json_is_integer(code) && json_integer_value(code) >= 400 &&
                         json_integer_value(code) <= 599
                     ? (long)json_integer_value(code)
                     : 500;
    type = lmx_gemini_error_type(rpc);
    fail(e, 0, (int)status, type != NULL ? type : type_of_status(status), NULL, "%s",
         msg != NULL ? msg : (rpc != NULL ? rpc : "gemini returned an error"));
}

void lmx_gemini_error(long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
    const json_t *eo = error_obj(root);

    if (eo != NULL) {
        fill_error(out, status, eo);
    } else {
        size_t n = body != NULL ? LMX_MIN(len, 200) : 0;

        fail(out, 0, (int)status, type_of_status(status), NULL, "gemini returned HTTP %ld%s%.*s",
             status, n > 0 ? ": " : "", (int)n, body != NULL ? body : "");
    }
    json_decref(root);
}

/* ------------------------------------------------------------------------ */
/* Small JSON helpers */

static bool is_gemini3(const char *model)
{
    return model != NULL && strstr(model, "gemini-3") != NULL;
}

static bool is_gemma(const char *model)
{
    return model != NULL && strstr(model, "gemma") != NULL;
}

/* Appends {"text": s} to parts. */
static int add_text(json_t *parts, const char *s, size_t n)
{
    json_t *p = json_pack("{s:s%}", "text", s, n);

    if (p == NULL || json_array_append_new(parts, p) < 0)
        return LMX_ENOMEM;
    return 0;
}

/* Sets o[k] = v (stolen; NULL means out of memory). */
static int set_new(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : LMX_ENOMEM;
}

/* The integer value of o[k], or 0 (also for a number written as a double). */
static long long int_of(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);

    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    return 0;
}

/* Frees what json_dumps returned, with the allocator jansson was given. */
static void json_free(char *p)
{
    json_malloc_t m;
    json_free_t f;

    json_get_alloc_funcs(&m, &f);
    if (p != NULL)
        f(p);
}

/*
 * json_loadb that tells running out of memory apart from bad input. jansson
 * reports a failed allocation inside the parser as a syntax error, so a text
 * that fails to parse twice yet is a well-formed object by lmx_jscan_check
 * (which allocates nothing) counts as out of memory.
 */
static json_t *load(const char *p, size_t n, size_t flags, bool *nomem)
{
    json_error_t je;
    json_t *v;

    memset(&je, 0, sizeof(je)); /* the code byte is left unset when the text is empty */
    v = json_loadb(p, n, flags, &je);
    *nomem = false;
    if (v != NULL)
        return v;
    if (je.text[0] == '\0' || json_error_code(&je) == json_error_out_of_memory ||
        lmx_jscan_check(p, n) == 0) {
        v = json_loadb(p, n, flags, &je);
        *nomem = v == NULL;
    }
    return v;
}

/* "call_" + 28 hex digits, then SIG_SEP + the thought signature when there is one. */
static json_t *tool_call_id(const char *sig)
{
    char uuid[37], hex[33], id[64];
    size_t k = 0;

    lmx_uuid4(uuid);
    for (size_t i = 0; uuid[i] != '\0' && k < 28; i++)
        if (uuid[i] != '-')
            hex[k++] = uuid[i];
    hex[k] = '\0';
    snprintf(id, sizeof(id), "call_%s", hex);
    if (sig == NULL || *sig == '\0')
        return json_string(id);
    return json_sprintf("%s%s%s", id, SIG_SEP, sig);
}

/* ------------------------------------------------------------------------ */
/* Request: message contents */

/* The kind of the last turn pushed: consecutive turns of one kind share a Content. */
enum turn_kind { T_NONE, T_USER, T_TOOL, T_MODEL };

struct conv {
    const struct lmx_gemini_opts *o;
    json_t *contents; /* array of Content */
    json_t *system;   /* parts of systemInstruction */
    enum turn_kind last;
    struct lmx_perr *err;
};

/* Appends parts (stolen) as a turn, merged into the previous one when it is of the same kind. */
static int push_turn(struct conv *cv, enum turn_kind kind, json_t *parts)
{
    const char *role = kind == T_MODEL ? "model" : "user";
    size_t n = json_array_size(cv->contents);
    json_t *turn;
    int rc;

    if (parts == NULL)
        return LMX_ENOMEM;
    if (json_array_size(parts) == 0) {
        json_decref(parts);
        return 0;
    }
    if (kind == cv->last && n > 0) {
        rc =
            json_array_extend(json_object_get(json_array_get(cv->contents, n - 1), "parts"), parts);
        json_decref(parts);
        return rc < 0 ? LMX_ENOMEM : 0;
    }
    turn = json_pack("{s:s, s:o}", "role", role, "parts", parts);
    if (turn == NULL || json_array_append_new(cv->contents, turn) < 0)
        return LMX_ENOMEM;
    cv->last = kind;
    return 0;
}

/* Text parts of an OpenAI content: the string, or the "text" parts of an array; empty ones left
 * out. */
static int text_parts(const json_t *c, json_t *parts)
{
    size_t i;
    const json_t *el;

    if (json_is_string(c))
        return json_string_length(c) > 0
                   ? add_text(parts, json_string_value(c), json_string_length(c))
                   : 0;
    json_array_foreach(c, i, el) {
        const json_t *t = json_object_get(el, "text");
        const char *type = json_string_value(json_object_get(el, "type"));

        if (type != NULL && strcmp(type, "text") == 0 && json_is_string(t) &&
            json_string_length(t) > 0 &&
            add_text(parts, json_string_value(t), json_string_length(t)) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* A MIME type from a URL's file extension, or NULL. */
static const char *mime_of_url(const char *url)
{
    /* clang-format off */
    static const char *const map[][2] = {
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".webp", "image/webp"}, {".gif", "image/gif"}, {".heic", "image/heic"},
        {".heif", "image/heif"}, {".pdf", "application/pdf"}, {".txt", "text/plain"},
        {".mp3", "audio/mp3"}, {".wav", "audio/wav"}, {".flac", "audio/flac"},
        {".ogg", "audio/ogg"}, {".aac", "audio/aac"}, {".mp4", "video/mp4"},
        {".mov", "video/mov"}, {".mpeg", "video/mpeg"}, {".mpg", "video/mpeg"},
        {".avi", "video/avi"}, {".wmv", "video/wmv"}, {".flv", "video/flv"},
        {".webm", "video/webm"},
    };
    /* clang-format on */
    size_t n = strcspn(url, "?#");

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++) {
        size_t k = strlen(map[i][0]);

        if (n > k && strncasecmp(url + n - k, map[i][0], k) == 0)
            return map[i][1];
    }
    return NULL;
}

/*
 * One media part from a URL: a data: URL becomes inlineData, an http(s),
 * gs:// or Files API URL becomes fileData (never downloaded). `format` (an
 * explicit MIME type) wins over what the URL says.
 */
static int
media_part(struct conv *cv, const char *url, const char *format, const char *what, json_t *parts)
{
    json_t *p;

    if (strncmp(url, "data:", 5) == 0) {
        const char *comma = strchr(url, ','), *semi = strchr(url + 5, ';');
        const char *b64 = strstr(url, ";base64,");
        size_t mlen;

        if (comma == NULL || b64 == NULL || b64 + 7 != comma)
            return BADREQ(cv->err, NULL,
                          "%s: a data URL must be base64 (data:<mime type>;base64,<data>)", what);
        mlen = (size_t)((semi != NULL && semi < comma ? semi : comma) - (url + 5));
        if (format != NULL)
            p = json_pack("{s:{s:s, s:s}}", "inlineData", "mimeType", format, "data", comma + 1);
        else
            p = json_pack("{s:{s:s%, s:s}}", "inlineData", "mimeType", url + 5, mlen, "data",
                          comma + 1);
    } else if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0 ||
               strncmp(url, "gs://", 5) == 0 || strncmp(url, "files/", 6) == 0) {
        const char *mime = format != NULL ? format : mime_of_url(url);

        if (mime != NULL)
            p = json_pack("{s:{s:s, s:s}}", "fileData", "mimeType", mime, "fileUri", url);
        else
            p = json_pack("{s:{s:s}}", "fileData", "fileUri", url);
    } else {
        return BADREQ(cv->err, NULL, "%s: '%.60s' is neither a data: URL nor an http(s) URL", what,
                      url);
    }
    if (p == NULL || json_array_append_new(parts, p) < 0)
        return oom(cv->err);
    return 0;
}

/* The parts of a user message's content. */
static int user_parts(struct conv *cv, const json_t *c, size_t mi, json_t *parts)
{
    char what[64];
    size_t i;
    const json_t *el;
    int rc;

    snprintf(what, sizeof(what), "messages[%zu]", mi);
    if (json_is_string(c) || json_is_null(c) || c == NULL)
        return text_parts(c, parts) < 0 ? oom(cv->err) : 0;
    if (!json_is_array(c))
        return BADREQ(cv->err, "messages", "%s.content must be a string or an array", what);
    json_array_foreach(c, i, el) {
        const char *type = json_string_value(json_object_get(el, "type"));
        const json_t *v;

        snprintf(what, sizeof(what), "messages[%zu].content[%zu]", mi, i);
        if (type == NULL)
            return BADREQ(cv->err, "messages", "%s has no type", what);
        if (strcmp(type, "text") == 0) {
            v = json_object_get(el, "text");
            if (json_is_string(v) && json_string_length(v) > 0 &&
                add_text(parts, json_string_value(v), json_string_length(v)) < 0)
                return oom(cv->err);
        } else if (strcmp(type, "image_url") == 0) {
            const char *url, *format = NULL;

            v = json_object_get(el, "image_url");
            if (json_is_object(v)) {
                format = json_string_value(json_object_get(v, "format"));
                v = json_object_get(v, "url");
            }
            url = json_string_value(v);
            if (url == NULL)
                return BADREQ(cv->err, "messages", "%s has no image_url.url", what);
            rc = media_part(cv, url, format, what, parts);
            if (rc < 0)
                return rc;
        } else if (strcmp(type, "input_audio") == 0) {
            const json_t *a = json_object_get(el, "input_audio");
            const char *data = json_string_value(json_object_get(a, "data"));
            const char *fmt = json_string_value(json_object_get(a, "format"));
            json_t *p;

            if (data == NULL)
                return BADREQ(cv->err, "messages", "%s has no input_audio.data", what);
            if (strncmp(data, "data:", 5) == 0) {
                rc = media_part(cv, data, NULL, what, parts);
                if (rc < 0)
                    return rc;
                continue;
            }
            p = json_pack("{s:{s:s+, s:s}}", "inlineData", "mimeType", "audio/",
                          fmt != NULL ? fmt : "wav", "data", data);
            if (p == NULL || json_array_append_new(parts, p) < 0)
                return oom(cv->err);
        } else if (strcmp(type, "file") == 0) {
            const json_t *f = json_object_get(el, "file");
            const char *data = json_string_value(json_object_get(f, "file_data"));
            const char *fid = json_string_value(json_object_get(f, "file_id"));
            const char *fmt = json_string_value(json_object_get(f, "format"));

            if (data == NULL && fid == NULL)
                return BADREQ(cv->err, "messages", "%s needs file.file_data or file.file_id", what);
            rc = media_part(cv, data != NULL ? data : fid, fmt, what, parts);
            if (rc < 0)
                return rc;
        }
        /* other part types (refusal, ...) carry nothing Gemini can take */
    }
    return 0;
}

static bool has_text_part(const json_t *parts)
{
    size_t i;
    const json_t *p;

    json_array_foreach(parts, i, p) {
        if (json_string_length(json_object_get(p, "text")) > 0)
            return true;
    }
    return false;
}

/* {"functionCall":{name,args}} (+ thoughtSignature) from an OpenAI tool call or function_call. */
static int
call_part(struct conv *cv, const json_t *fn, const char *id, bool first, size_t mi, json_t *parts)
{
    const char *name = json_string_value(json_object_get(fn, "name"));
    const json_t *a = json_object_get(fn, "arguments");
    const char *sig = id != NULL ? strstr(id, SIG_SEP) : NULL;
    json_t *args = NULL, *p;
    bool nomem = false;

    if (name == NULL)
        return BADREQ(cv->err, "messages", "messages[%zu]: a tool call has no function.name", mi);
    if (json_is_object(a)) {
        args = json_deep_copy(a);
    } else if (a == NULL || json_is_null(a) ||
               (json_is_string(a) &&
                strspn(json_string_value(a), " \t\r\n") == json_string_length(a))) {
        args = json_object();
    } else if (json_is_string(a)) {
        args = load(json_string_value(a), json_string_length(a), 0, &nomem);
        if (nomem)
            return oom(cv->err);
        if (args == NULL || !json_is_object(args)) {
            json_decref(args);
            return BADREQ(cv->err, "messages",
                          "messages[%zu]: the arguments of tool call '%s' are not a JSON object",
                          mi, name);
        }
    } else {
        return BADREQ(cv->err, "messages",
                      "messages[%zu]: the arguments of tool call '%s' are not a JSON object", mi,
                      name);
    }
    p = json_pack("{s:{s:s, s:o}}", "functionCall", "name", name, "args", args);
    if (p == NULL)
        return oom(cv->err);
    if (sig != NULL && sig[strlen(SIG_SEP)] != '\0') {
        if (set_new(p, "thoughtSignature", json_string(sig + strlen(SIG_SEP))) < 0)
            goto nomem;
    } else if (first && is_gemini3(cv->o->model)) {
        if (set_new(p, "thoughtSignature", json_string(DUMMY_SIG)) < 0)
            goto nomem;
    }
    if (json_array_append_new(parts, p) < 0)
        return oom(cv->err);
    return 0;
nomem:
    json_decref(p);
    return oom(cv->err);
}

static int assistant_msg(struct conv *cv, const json_t *m, size_t mi)
{
    const json_t *tcs = json_object_get(m, "tool_calls"), *fc = json_object_get(m, "function_call");
    json_t *parts = json_array();
    size_t i;
    const json_t *tc;
    int rc;

    if (parts == NULL)
        return oom(cv->err);
    if (text_parts(json_object_get(m, "content"), parts) < 0) {
        json_decref(parts);
        return oom(cv->err);
    }
    json_array_foreach(tcs, i, tc) {
        rc = call_part(cv, json_object_get(tc, "function"),
                       json_string_value(json_object_get(tc, "id")), i == 0, mi, parts);
        if (rc < 0) {
            json_decref(parts);
            return rc;
        }
    }
    if (json_is_object(fc)) {
        rc = call_part(cv, fc, NULL, json_array_size(tcs) == 0, mi, parts);
        if (rc < 0) {
            json_decref(parts);
            return rc;
        }
    }
    return push_turn(cv, T_MODEL, parts) < 0 ? oom(cv->err) : 0;
}

/* The function name of the tool call `id` in an assistant message before messages[mi]. */
static const char *call_name(const json_t *msgs, size_t mi, const char *id)
{
    for (size_t k = mi; k-- > 0;) {
        const json_t *m = json_array_get(msgs, k), *tc;
        size_t i;

        json_array_foreach(json_object_get(m, "tool_calls"), i, tc) {
            const char *tid = json_string_value(json_object_get(tc, "id"));

            if (tid != NULL && strcmp(tid, id) == 0)
                return json_string_value(json_object_get(json_object_get(tc, "function"), "name"));
        }
    }
    return NULL;
}

/* A tool (or legacy function) result: {"functionResponse":{name, response:object}}. */
static int tool_msg(struct conv *cv, const json_t *msgs, const json_t *m, size_t mi, bool legacy)
{
    const char *id = json_string_value(json_object_get(m, "tool_call_id"));
    const char *name = NULL;
    struct lmx_buf text;
    json_t *resp = NULL, *parts;
    bool nomem = false;
    size_t ws;

    if (!legacy && id != NULL)
        name = call_name(msgs, mi, id);
    if (name == NULL)
        name = json_string_value(json_object_get(m, "name"));
    if (name == NULL)
        return BADREQ(cv->err, "messages",
                      "messages[%zu]: tool result for tool_call_id '%s' has no matching tool call "
                      "in an earlier assistant message",
                      mi, id != NULL ? id : "");
    lmx_buf_init(&text, TEXT_MAX);
    if (lmx_content_text(json_object_get(m, "content"), &text) < 0) {
        lmx_buf_release(&text);
        return oom(cv->err);
    }
    ws = text.data != NULL ? strspn(text.data, " \t\r\n") : 0;
    if (text.len > ws && text.data[ws] == '{') {
        resp = load(text.data, text.len, 0, &nomem);
        if (nomem) {
            lmx_buf_release(&text);
            return oom(cv->err);
        }
        if (resp != NULL && !json_is_object(resp)) {
            json_decref(resp);
            resp = NULL;
        }
    }
    if (resp == NULL)
        resp = json_pack("{s:s%}", "content", text.data != NULL ? text.data : "", text.len);
    lmx_buf_release(&text);
    parts = json_pack("[{s:{s:s, s:o}}]", "functionResponse", "name", name, "response", resp);
    if (parts == NULL)
        return oom(cv->err);
    return push_turn(cv, T_TOOL, parts) < 0 ? oom(cv->err) : 0;
}

static int messages_to_contents(struct conv *cv, const json_t *msgs)
{
    size_t i;
    const json_t *m;
    int rc;

    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return BADREQ(cv->err, "messages", "'messages' must be a non-empty array");
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (role == NULL)
            return BADREQ(cv->err, "messages", "messages[%zu] has no role", i);
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            if (text_parts(json_object_get(m, "content"), cv->system) < 0)
                return oom(cv->err);
        } else if (strcmp(role, "user") == 0) {
            json_t *parts = json_array();

            if (parts == NULL)
                return oom(cv->err);
            rc = user_parts(cv, json_object_get(m, "content"), i, parts);
            if (rc == 0 && json_array_size(parts) > 0 && !has_text_part(parts))
                rc = add_text(parts, " ", 1) < 0 ? oom(cv->err) : 0; /* Gemini wants a text part */
            if (rc < 0) {
                json_decref(parts);
                return rc;
            }
            if (push_turn(cv, T_USER, parts) < 0)
                return oom(cv->err);
        } else if (strcmp(role, "assistant") == 0) {
            rc = assistant_msg(cv, m, i);
            if (rc < 0)
                return rc;
        } else if (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0) {
            rc = tool_msg(cv, msgs, m, i, role[0] == 'f');
            if (rc < 0)
                return rc;
        } else {
            return BADREQ(cv->err, "messages", "messages[%zu] has an unknown role '%.40s'", i,
                          role);
        }
    }
    return 0;
}

/* Gemma has no systemInstruction: the system text opens the first user turn instead. */
static int system_into_first_user(struct conv *cv)
{
    json_t *first = json_array_get(cv->contents, 0);
    const char *role = json_string_value(json_object_get(first, "role"));
    json_t *parts;

    if (first != NULL && role != NULL && strcmp(role, "user") == 0) {
        parts = json_object_get(first, "parts");
        for (size_t i = json_array_size(cv->system); i-- > 0;)
            if (json_array_insert(parts, 0, json_array_get(cv->system, i)) < 0)
                return LMX_ENOMEM;
        return 0;
    }
    first = json_pack("{s:s, s:O}", "role", "user", "parts", cv->system);
    if (first == NULL || json_array_insert_new(cv->contents, 0, first) < 0)
        return LMX_ENOMEM;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Request: tool schemas (JSON Schema -> the OpenAPI subset Gemini takes) */

struct schema_ctx {
    const json_t *defs; /* "$defs" (or "definitions") of the root schema */
    const char *stack[REF_DEPTH];
    size_t nstack;
    bool dropped;    /* a $ref could not be inlined, or an allOf could not be merged */
    bool any_format; /* keep every "format" value (Vertex AI) */
};

/* Keys of Gemini's Schema copied as they are. */
static const char *const schema_keys[] = {
    "format",   "title",    "description",   "nullable",      "enum",      "maxItems",
    "minItems", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern",  "example",  "default",       "minimum",       "maximum",   "propertyOrdering",
};

static json_t *schema_clean(struct schema_ctx *sc, const json_t *s, int depth);

/* The "format" values the Gemini API (AI Studio) accepts; NULL (no format) is fine too. */
static bool format_ok(const char *f)
{
    static const char *const ok[] = {"enum", "date-time", "float", "double", "int32", "int64"};

    if (f == NULL)
        return true;
    for (size_t i = 0; i < LMX_ARRAY_SIZE(ok); i++)
        if (strcmp(f, ok[i]) == 0)
            return true;
    return false;
}

/* Copies the keys of src (a cleaned schema, stolen) into dst where dst does not have them. */
static int schema_merge(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;

    if (src == NULL)
        return LMX_ENOMEM;
    json_object_foreach(src, k, v) {
        if (json_object_get(dst, k) == NULL && json_object_set(dst, k, v) < 0) {
            json_decref(src);
            return LMX_ENOMEM;
        }
    }
    json_decref(src);
    return 0;
}

/* The schema a local "$ref" names, or NULL. */
static const json_t *schema_ref(const struct schema_ctx *sc, const char *ref, const char **name)
{
    static const char *const prefixes[] = {"#/$defs/", "#/definitions/"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(prefixes); i++) {
        size_t n = strlen(prefixes[i]);

        if (strncmp(ref, prefixes[i], n) == 0 && strchr(ref + n, '/') == NULL) {
            *name = ref + n;
            return json_object_get(sc->defs, ref + n);
        }
    }
    return NULL;
}

/* anyOf/oneOf: a {"type":"null"} branch becomes nullable; a single remaining branch is merged. */
static int schema_any_of(struct schema_ctx *sc, json_t *out, const json_t *arr, int depth)
{
    json_t *branches = json_array();
    bool null = false;
    size_t i;
    const json_t *b;

    if (branches == NULL)
        return LMX_ENOMEM;
    json_array_foreach(arr, i, b) {
        const char *t = json_string_value(json_object_get(b, "type"));

        if (t != NULL && strcmp(t, "null") == 0 && json_object_size(b) == 1) {
            null = true;
            continue;
        }
        if (json_array_append_new(branches, schema_clean(sc, b, depth + 1)) < 0) {
            json_decref(branches);
            return LMX_ENOMEM;
        }
    }
    if (null && set_new(out, "nullable", json_true()) < 0) {
        json_decref(branches);
        return LMX_ENOMEM;
    }
    if (json_array_size(branches) == 1) {
        json_t *one = json_incref(json_array_get(branches, 0));

        json_decref(branches);
        return schema_merge(out, one);
    }
    if (json_array_size(branches) == 0) {
        json_decref(branches);
        return 0;
    }
    return set_new(out, "anyOf", branches);
}

/* A new schema object; never NULL unless out of memory. */
static json_t *schema_clean(struct schema_ctx *sc, const json_t *s, int depth)
{
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    json_t *out = json_object(), *v;
    const json_t *t;
    size_t i;

    if (out == NULL)
        return NULL;
    if (!json_is_object(s) || depth > SCHEMA_DEPTH) {
        if (depth > SCHEMA_DEPTH)
            sc->dropped = true;
        return out;
    }
    if (ref != NULL) {
        const char *name = NULL;
        const json_t *target = schema_ref(sc, ref, &name);
        bool cycle = false;

        for (size_t k = 0; k < sc->nstack && name != NULL; k++)
            cycle = cycle || strcmp(sc->stack[k], name) == 0;
        if (target == NULL || cycle || sc->nstack == REF_DEPTH) {
            sc->dropped = true; /* the rest of this schema is kept without the reference */
        } else {
            json_t *in;

            sc->stack[sc->nstack++] = name;
            in = schema_clean(sc, target, depth + 1);
            sc->nstack--;
            if (schema_merge(out, in) < 0)
                goto nomem;
        }
    }
    /* siblings of a $ref (description, ...) win over the referenced schema */
    t = json_object_get(s, "type");
    if (json_is_string(t)) {
        if (json_object_set(out, "type", (json_t *)t) < 0)
            goto nomem;
    } else if (json_is_array(t)) {
        const json_t *x;
        const char *pick = NULL;

        json_array_foreach(t, i, x) {
            const char *ts = json_string_value(x);

            if (ts != NULL && strcmp(ts, "null") == 0) {
                if (set_new(out, "nullable", json_true()) < 0)
                    goto nomem;
            } else if (ts != NULL && pick == NULL) {
                pick = ts;
            }
        }
        if (pick != NULL && set_new(out, "type", json_string(pick)) < 0)
            goto nomem;
    }
    for (i = 0; i < LMX_ARRAY_SIZE(schema_keys); i++) {
        v = json_object_get(s, schema_keys[i]);
        if (v != NULL && json_object_set(out, schema_keys[i], v) < 0)
            goto nomem;
    }
    if (!sc->any_format && !format_ok(json_string_value(json_object_get(out, "format"))))
        json_object_del(out, "format"); /* e.g. "uri", "email": AI Studio answers 400 */
    v = json_object_get(s, "const");
    if (v != NULL && json_object_get(out, "enum") == NULL &&
        set_new(out, "enum", json_pack("[O]", v)) < 0)
        goto nomem;
    v = json_object_get(s, "properties");
    if (json_is_object(v)) {
        json_t *props = json_object();
        const char *k;
        json_t *ps;

        if (props == NULL)
            goto nomem;
        json_object_foreach(v, k, ps) {
            if (set_new(props, k, schema_clean(sc, ps, depth + 1)) < 0) {
                json_decref(props);
                goto nomem;
            }
        }
        if (json_object_set_new(out, "properties", props) < 0)
            goto nomem;
    }
    v = json_object_get(s, "items");
    if (json_is_array(v))
        v = json_array_get(v, 0); /* tuple form: Gemini has one item schema */
    if (json_is_object(v) && set_new(out, "items", schema_clean(sc, v, depth + 1)) < 0)
        goto nomem;
    v = json_object_get(s, "anyOf");
    if (!json_is_array(v))
        v = json_object_get(s, "oneOf");
    if (json_is_array(v) && schema_any_of(sc, out, v, depth) < 0)
        goto nomem;
    v = json_object_get(s, "allOf");
    if (json_is_array(v)) {
        if (json_array_size(v) == 1) {
            if (schema_merge(out, schema_clean(sc, json_array_get(v, 0), depth + 1)) < 0)
                goto nomem;
        } else if (json_array_size(v) > 1) {
            sc->dropped = true;
        }
    }
    return out;
nomem:
    json_decref(out);
    return NULL;
}

/* A cleaned copy of a root schema (its $defs inlined); sets *dropped when something had to go. */
static json_t *schema_root(const json_t *s, bool any_format, bool *dropped)
{
    struct schema_ctx sc = {NULL, {NULL}, 0, false, any_format};
    json_t *out;

    sc.defs = json_object_get(s, "$defs");
    if (!json_is_object(sc.defs))
        sc.defs = json_object_get(s, "definitions");
    out = schema_clean(&sc, s, 0);
    *dropped = sc.dropped;
    return out;
}

/* ------------------------------------------------------------------------ */
/* Request: tools and tool_choice */

const char *const lmx_gemini_builtin_tools[LMX_GEMINI_BUILTIN_TOOLS][2] = {
    {"googleSearch", "google_search"},
    {"googleSearchRetrieval", "google_search_retrieval"},
    {"codeExecution", "code_execution"},
    {"urlContext", "url_context"},
    {"enterpriseWebSearch", "enterprise_web_search"},
    {"googleMaps", "google_maps"},
    {"computerUse", "computer_use"},
};

/* One functionDeclaration from an OpenAI function object. */
static int declaration(struct conv *cv, const json_t *fn, json_t *decls)
{
    const char *name = json_string_value(json_object_get(fn, "name"));
    const json_t *desc = json_object_get(fn, "description");
    const json_t *params = json_object_get(fn, "parameters");
    json_t *d;

    if (name == NULL)
        return BADREQ(cv->err, "tools", "a tool function has no name");
    d = json_pack("{s:s}", "name", name);
    if (d == NULL)
        return oom(cv->err);
    if (json_is_string(desc) && json_object_set(d, "description", (json_t *)desc) < 0)
        goto nomem;
    if (json_is_object(params)) {
        bool dropped = false;
        json_t *p = schema_root(params, cv->o->vertex, &dropped);
        const char *type = json_string_value(json_object_get(p, "type"));

        if (p == NULL)
            goto nomem;
        if (dropped)
            lmx_warn("%s: tool '%s': dropped a $ref or allOf its schema could not inline",
                     cv->o->provider != NULL ? cv->o->provider : "gemini", name);
        /* an object without properties is refused by Gemini: no parameters at all says the same */
        if (type != NULL && strcasecmp(type, "object") == 0 &&
            json_object_size(json_object_get(p, "properties")) == 0) {
            json_decref(p);
        } else if (json_object_set_new(d, "parameters", p) < 0) {
            goto nomem;
        }
    }
    if (json_array_append_new(decls, d) < 0)
        return oom(cv->err);
    return 0;
nomem:
    json_decref(d);
    return oom(cv->err);
}

/* A built-in tool ({"googleSearch": {...}}) as its own Tool object, or 1 when t is none. */
static int builtin_tool(const json_t *t, json_t *tools)
{
    const char *type = json_string_value(json_object_get(t, "type"));

    if (type != NULL &&
        (strcmp(type, "web_search") == 0 || strcmp(type, "web_search_preview") == 0))
        return json_array_append_new(tools, json_pack("{s:{}}", "googleSearch")) < 0 ? LMX_ENOMEM
                                                                                     : 0;
    for (size_t i = 0; i < LMX_GEMINI_BUILTIN_TOOLS; i++) {
        const char *const *names = lmx_gemini_builtin_tools[i];
        const json_t *v = json_object_get(t, names[0]);

        if (v == NULL)
            v = json_object_get(t, names[1]);
        if (v != NULL)
            return json_array_append_new(tools, json_pack("{s:O}", names[0], v)) < 0
                       ? LMX_ENOMEM
                       : 0;
    }
    return 1;
}

static int map_tools(struct conv *cv, const json_t *req, json_t *body)
{
    const json_t *tools = json_object_get(req, "tools"), *fns = json_object_get(req, "functions");
    const json_t *wso = json_object_get(req, "web_search_options");
    json_t *out = json_array(), *decls = json_array();
    size_t i;
    const json_t *t;
    int rc;

    if (out == NULL || decls == NULL)
        goto nomem;
    json_array_foreach(tools, i, t) {
        const json_t *fn = json_object_get(t, "function");

        if (json_is_object(fn)) {
            rc = declaration(cv, fn, decls);
            if (rc < 0)
                goto out;
            continue;
        }
        rc = builtin_tool(t, out);
        if (rc < 0)
            goto nomem;
        if (rc > 0)
            lmx_warn("%s: ignored tools[%zu]: neither a function nor a Gemini built-in tool",
                     cv->o->provider != NULL ? cv->o->provider : "gemini", i);
    }
    json_array_foreach(fns, i, t) {
        rc = declaration(cv, t, decls);
        if (rc < 0)
            goto out;
    }
    if (json_is_object(wso) && json_array_append_new(out, json_pack("{s:{}}", "googleSearch")) < 0)
        goto nomem;
    if (json_array_size(decls) > 0 &&
        json_array_insert_new(out, 0, json_pack("{s:O}", "functionDeclarations", decls)) < 0)
        goto nomem;
    rc = 0;
    if (json_array_size(out) > 0) {
        rc = json_object_set(body, "tools", out) < 0 ? oom(cv->err) : 0;
    }
    goto out;
nomem:
    rc = oom(cv->err);
out:
    json_decref(decls);
    json_decref(out);
    return rc;
}

/* toolConfig from tool_choice (or the legacy function_call); 1 when the value is not one Gemini
 * has. */
static int map_tool_choice(const json_t *tc, json_t *body)
{
    const char *s = json_string_value(tc);
    const char *name = NULL;
    json_t *cfg;

    if (s != NULL) {
        const char *mode = strcmp(s, "auto") == 0       ? "AUTO"
                           : strcmp(s, "none") == 0     ? "NONE"
                           : strcmp(s, "required") == 0 ? "ANY"
                                                        : NULL;

        if (mode == NULL)
            return 1;
        cfg = json_pack("{s:{s:s}}", "functionCallingConfig", "mode", mode);
    } else if (json_is_object(tc)) {
        name = json_string_value(json_object_get(json_object_get(tc, "function"), "name"));
        if (name == NULL)
            name = json_string_value(json_object_get(tc, "name")); /* function_call: {"name"} */
        if (name == NULL)
            return 1;
        cfg = json_pack("{s:{s:s, s:[s]}}", "functionCallingConfig", "mode", "ANY",
                        "allowedFunctionNames", name);
    } else {
        return 1;
    }
    return set_new(body, "toolConfig", cfg);
}

/* ------------------------------------------------------------------------ */
/* Request: generationConfig */

/* Whether reasoning_effort is a value LiteLLM maps. */
static bool effort_known(const char *effort)
{
    static const char *const known[] = {"minimal", "low", "medium", "high", "none", "disable"};

    for (size_t i = 0; i < LMX_ARRAY_SIZE(known); i++)
        if (strcmp(effort, known[i]) == 0)
            return true;
    return false;
}

/*
 * thinkingConfig for a known reasoning_effort: budgets before gemini-3, levels
 * from gemini-3 on. NULL only when out of memory.
 */
static json_t *thinking_of_effort(const char *model, const char *effort)
{
    bool off = strcmp(effort, "none") == 0 || strcmp(effort, "disable") == 0;

    if (is_gemini3(model)) {
        bool flash =
            strstr(model, "gemini-3-flash") != NULL || strstr(model, "gemini-3.1-flash") != NULL;
        bool pro31 = strstr(model, "gemini-3.1-pro") != NULL;
        const char *level = strcmp(effort, "low") == 0      ? "low"
                            : strcmp(effort, "medium") == 0 ? (flash || pro31 ? "medium" : "high")
                            : strcmp(effort, "high") == 0   ? "high"
                            : strcmp(effort, "minimal") == 0 || off ? (flash ? "minimal" : "low")
                                                                    : NULL;

        if (level == NULL)
            return NULL;
        return json_pack("{s:s, s:b}", "thinkingLevel", level, "includeThoughts", !off);
    } else {
        long budget = strcmp(effort, "low") == 0      ? 1024
                      : strcmp(effort, "medium") == 0 ? 2048
                      : strcmp(effort, "high") == 0   ? 4096
                      : off                           ? 0
                                                      : -1;

        if (strcmp(effort, "minimal") == 0)
            budget = strstr(model, "gemini-2.5-flash-lite") != NULL ? 512
                     : strstr(model, "gemini-2.5-pro") != NULL      ? 128
                     : strstr(model, "gemini-2.5-flash") != NULL    ? 1
                                                                    : 128;
        if (budget < 0)
            return NULL;
        return json_pack("{s:I, s:b}", "thinkingBudget", (json_int_t)budget, "includeThoughts",
                         !off);
    }
}

/* thinkingConfig for Anthropic-style `thinking: {type, budget_tokens}`. */
static json_t *thinking_of_param(const char *model, const json_t *th)
{
    const char *type = json_string_value(json_object_get(th, "type"));
    const json_t *b = json_object_get(th, "budget_tokens");
    bool on = type != NULL && strcmp(type, "enabled") == 0;
    json_t *cfg = json_object();

    if (cfg == NULL)
        return NULL;
    if (is_gemini3(model)) {
        on = on && json_is_integer(b) && json_integer_value(b) > 0;
        if (set_new(cfg, "includeThoughts", json_boolean(on)) < 0)
            goto nomem;
        return cfg;
    }
    if (on && !(json_is_integer(b) && json_integer_value(b) == 0) &&
        set_new(cfg, "includeThoughts", json_true()) < 0)
        goto nomem;
    if (json_is_integer(b) && json_object_set(cfg, "thinkingBudget", (json_t *)b) < 0)
        goto nomem;
    return cfg;
nomem:
    json_decref(cfg);
    return NULL;
}

/* response_format -> responseMimeType (+ responseSchema). */
static int map_response_format(struct conv *cv, const json_t *rf, json_t *gc)
{
    const char *type = json_string_value(json_object_get(rf, "type"));
    const json_t *schema = NULL;

    if (type == NULL)
        return BADREQ(cv->err, "response_format", "response_format needs a type");
    if (strcmp(type, "text") == 0)
        return set_new(gc, "responseMimeType", json_string("text/plain")) < 0 ? oom(cv->err) : 0;
    if (strcmp(type, "json_object") == 0) {
        schema = json_object_get(rf, "response_schema"); /* LiteLLM's own extension */
    } else if (strcmp(type, "json_schema") == 0) {
        schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
    } else {
        return BADREQ(cv->err, "response_format", "unknown response_format type '%.40s'", type);
    }
    if (set_new(gc, "responseMimeType", json_string("application/json")) < 0)
        return oom(cv->err);
    if (json_is_object(schema)) {
        bool dropped = false;
        json_t *s = schema_root(schema, cv->o->vertex, &dropped);

        if (dropped)
            lmx_warn("%s: response_format: dropped a $ref or allOf the schema could not inline",
                     cv->o->provider != NULL ? cv->o->provider : "gemini");
        if (set_new(gc, "responseSchema", s) < 0)
            return oom(cv->err);
    }
    return 0;
}

/* A number parameter copied as a Gemini field; 400 when it is not a number. */
static int num_param(struct conv *cv, const json_t *req, const char *k, json_t *gc, const char *gk)
{
    const json_t *v = json_object_get(req, k);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return BADREQ(cv->err, k, "'%s' must be a number", k);
    return json_object_set(gc, gk, (json_t *)v) < 0 ? oom(cv->err) : 0;
}

static int generation_config(struct conv *cv, const json_t *req, json_t *gc)
{
    const struct lmx_gemini_opts *o = cv->o;
    const json_t *v;
    int rc;

    v = json_object_get(req, "max_completion_tokens");
    rc = num_param(cv, req, json_is_null(v) || v == NULL ? "max_tokens" : "max_completion_tokens",
                   gc, "maxOutputTokens");
    if (rc == 0)
        rc = num_param(cv, req, "temperature", gc, "temperature");
    if (rc == 0)
        rc = num_param(cv, req, "top_p", gc, "topP");
    if (rc == 0)
        rc = num_param(cv, req, "top_k", gc, "topK");
    if (rc == 0)
        rc = num_param(cv, req, "n", gc, "candidateCount");
    if (rc == 0)
        rc = num_param(cv, req, "seed", gc, "seed");
    if (rc < 0)
        return rc;
    for (int i = 0; i < 2; i++) {
        const char *k = i == 0 ? "presence_penalty" : "frequency_penalty";

        v = json_object_get(req, k);
        if (v == NULL || json_is_null(v))
            continue;
        if (is_gemini3(o->model)) { /* LiteLLM: gemini-3 models take no penalties */
            if (!o->drop_params)
                return unsupported(o, k, cv->err);
            continue;
        }
        rc = num_param(cv, req, k, gc, i == 0 ? "presencePenalty" : "frequencyPenalty");
        if (rc < 0)
            return rc;
    }
    v = json_object_get(req, "stop");
    if (json_is_string(v)) {
        if (set_new(gc, "stopSequences", json_pack("[O]", v)) < 0)
            return oom(cv->err);
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        if (json_object_set(gc, "stopSequences", (json_t *)v) < 0)
            return oom(cv->err);
    }
    v = json_object_get(req, "response_format");
    if (json_is_object(v)) {
        rc = map_response_format(cv, v, gc);
        if (rc < 0)
            return rc;
    }
    v = json_object_get(req, "logprobs");
    if (json_is_boolean(v) && json_object_set(gc, "responseLogprobs", (json_t *)v) < 0)
        return oom(cv->err);
    if (json_is_true(v)) {
        rc = num_param(cv, req, "top_logprobs", gc, "logprobs");
        if (rc < 0)
            return rc;
    }
    v = json_object_get(req, "modalities");
    if (json_is_array(v)) {
        json_t *mods = json_array();
        const json_t *m;
        size_t i;

        if (mods == NULL)
            return oom(cv->err);
        json_array_foreach(v, i, m) {
            const char *s = json_string_value(m);
            const char *g = s == NULL                 ? "MODALITY_UNSPECIFIED"
                            : strcmp(s, "text") == 0  ? "TEXT"
                            : strcmp(s, "image") == 0 ? "IMAGE"
                            : strcmp(s, "audio") == 0 ? "AUDIO"
                                                      : "MODALITY_UNSPECIFIED";

            if (json_array_append_new(mods, json_string(g)) < 0) {
                json_decref(mods);
                return oom(cv->err);
            }
        }
        if (json_object_set_new(gc, "responseModalities", mods) < 0)
            return oom(cv->err);
    }
    v = json_object_get(req, "reasoning_effort");
    if (json_is_object(v))
        v = json_object_get(v, "effort"); /* {"effort": "high", "summary": ...} (Agents SDK) */
    if (json_is_string(v)) {
        if (!effort_known(json_string_value(v)))
            return BADREQ(cv->err, "reasoning_effort", "invalid reasoning_effort '%.40s'",
                          json_string_value(v));
        if (set_new(gc, "thinkingConfig",
                    thinking_of_effort(o->model != NULL ? o->model : "", json_string_value(v))) < 0)
            return oom(cv->err);
    } else if (json_is_object(json_object_get(req, "thinking"))) {
        json_t *th =
            thinking_of_param(o->model != NULL ? o->model : "", json_object_get(req, "thinking"));

        if (set_new(gc, "thinkingConfig", th) < 0)
            return oom(cv->err);
    }
    /* LiteLLM: gemini-3 runs at temperature 1.0 unless told otherwise */
    if (is_gemini3(o->model) && json_object_get(gc, "temperature") == NULL &&
        set_new(gc, "temperature", json_real(1.0)) < 0)
        return oom(cv->err);
    return 0;
}

/* OpenAI parameters Gemini has no equivalent for (400 unless drop_params). */
static const char *const unsupported_params[] = {"logit_bias", "prediction", "audio"};

int lmx_gemini_chat_request(const struct lmx_gemini_opts *o,
                            const json_t *req,
                            json_t **out,
                            struct lmx_perr *err)
{
    struct conv cv = {o, NULL, NULL, T_NONE, err};
    json_t *body = NULL, *gc = NULL;
    const json_t *v;
    int rc;

    if (!json_is_object(req))
        return BADREQ(err, NULL, "the request body must be a JSON object");
    for (size_t i = 0; i < LMX_ARRAY_SIZE(unsupported_params); i++) {
        v = json_object_get(req, unsupported_params[i]);
        if (v != NULL && !json_is_null(v) && !o->drop_params)
            return unsupported(o, unsupported_params[i], err);
    }
    cv.contents = json_array();
    cv.system = json_array();
    body = json_object();
    gc = json_object();
    if (cv.contents == NULL || cv.system == NULL || body == NULL || gc == NULL)
        goto nomem;
    rc = messages_to_contents(&cv, json_object_get(req, "messages"));
    if (rc < 0)
        goto out;
    if (json_array_size(cv.system) > 0 && is_gemma(o->model) && system_into_first_user(&cv) < 0)
        goto nomem;
    if (json_object_set(body, "contents", cv.contents) < 0)
        goto nomem;
    if (json_array_size(cv.system) > 0 && !is_gemma(o->model) &&
        set_new(body, "systemInstruction", json_pack("{s:O}", "parts", cv.system)) < 0)
        goto nomem;
    rc = map_tools(&cv, req, body);
    if (rc < 0)
        goto out;
    v = json_object_get(req, "tool_choice");
    if (v == NULL || json_is_null(v))
        v = json_object_get(req, "function_call");
    if (v != NULL && !json_is_null(v)) {
        rc = map_tool_choice(v, body);
        if (rc < 0)
            goto nomem;
        if (rc > 0 && !o->drop_params) {
            rc = fail(err, LMX_EBADPARAM, 400, "invalid_request_error", "tool_choice",
                      "litellm.UnsupportedParamsError: %s doesn't support tool_choice=%.60s. "
                      "Supported tool_choice values=['auto', 'required', json object]. To drop "
                      "it from the call, set `litellm.drop_params = True.",
                      o->provider != NULL ? o->provider : "gemini",
                      json_is_string(v) ? json_string_value(v) : "(object)");
            goto out;
        }
    }
    rc = generation_config(&cv, req, gc);
    if (rc < 0)
        goto out;
    if (json_object_size(gc) > 0 && json_object_set(body, "generationConfig", gc) < 0)
        goto nomem;
    v = json_object_get(req, "safety_settings");
    if (v == NULL)
        v = json_object_get(req, "safetySettings");
    if (json_is_array(v) && json_object_set(body, "safetySettings", (json_t *)v) < 0)
        goto nomem;
    v = json_object_get(req, "cached_content");
    if (v == NULL)
        v = json_object_get(req, "cachedContent");
    if (json_is_string(v) && json_object_set(body, "cachedContent", (json_t *)v) < 0)
        goto nomem;
    *out = body;
    body = NULL;
    rc = 0;
    goto out;
nomem:
    rc = oom(err);
out:
    json_decref(body);
    json_decref(gc);
    json_decref(cv.contents);
    json_decref(cv.system);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Responses */

/* The counts of a usageMetadata: int_of of each, and which members are there. */
struct ucounts {
    long long prompt, cand, thoughts, total, cached;
    bool has_thoughts, has_total, has_cached;
};

static void ucounts_of(const json_t *um, struct ucounts *n)
{
    n->prompt = int_of(um, "promptTokenCount");
    n->cand = int_of(um, "candidatesTokenCount");
    n->thoughts = int_of(um, "thoughtsTokenCount");
    n->total = int_of(um, "totalTokenCount");
    n->cached = int_of(um, "cachedContentTokenCount");
    n->has_thoughts = json_object_get(um, "thoughtsTokenCount") != NULL;
    n->has_total = json_object_get(um, "totalTokenCount") != NULL;
    n->has_cached = json_object_get(um, "cachedContentTokenCount") != NULL;
}

/* OpenAI usage from usageMetadata counts, as LiteLLM computes it. */
static json_t *usage_from(const struct ucounts *n)
{
    long long prompt = n->prompt, cand = n->cand, thoughts = n->thoughts, total = n->total;
    long long completion = cand;
    json_t *u;

    /* candidatesTokenCount excludes thoughts unless prompt + candidates already make the total */
    if (thoughts > 0 && prompt + cand != total)
        completion += thoughts;
    if (!n->has_total)
        total = prompt + completion;
    u = json_pack("{s:I, s:I, s:I}", "prompt_tokens", (json_int_t)prompt, "completion_tokens",
                  (json_int_t)completion, "total_tokens", (json_int_t)total);
    if (u == NULL)
        return NULL;
    if (n->has_cached &&
        set_new(u, "prompt_tokens_details",
                json_pack("{s:I}", "cached_tokens", (json_int_t)n->cached)) < 0)
        goto nomem;
    if (n->has_thoughts &&
        set_new(u, "completion_tokens_details",
                json_pack("{s:I}", "reasoning_tokens", (json_int_t)thoughts)) < 0)
        goto nomem;
    return u;
nomem:
    json_decref(u);
    return NULL;
}

static json_t *usage_of(const json_t *um)
{
    struct ucounts n;

    ucounts_of(um, &n);
    return usage_from(&n);
}

/* Gemini finishReason -> OpenAI finish_reason (before the tool_calls rule). */
static const char *finish_of(const char *fr)
{
    static const char *const filtered[] = {"SAFETY",
                                           "RECITATION",
                                           "BLOCKLIST",
                                           "PROHIBITED_CONTENT",
                                           "SPII",
                                           "IMAGE_SAFETY",
                                           "IMAGE_PROHIBITED_CONTENT"};

    if (fr == NULL)
        return NULL;
    if (strcmp(fr, "MAX_TOKENS") == 0)
        return "length";
    for (size_t i = 0; i < LMX_ARRAY_SIZE(filtered); i++)
        if (strcmp(fr, filtered[i]) == 0)
            return "content_filter";
    return "stop";
}

/* What one candidate (or one stream event of it) says. */
struct cand {
    struct lmx_buf text, reasoning;
    bool has_text, has_reasoning;
    json_t *calls; /* array of OpenAI tool calls (with "index" when asked), never NULL */
};

static void cand_init(struct cand *c)
{
    lmx_buf_init(&c->text, TEXT_MAX);
    lmx_buf_init(&c->reasoning, TEXT_MAX);
    c->has_text = c->has_reasoning = false;
    c->calls = NULL;
}

static void cand_release(struct cand *c)
{
    lmx_buf_release(&c->text);
    lmx_buf_release(&c->reasoning);
    json_decref(c->calls);
    c->calls = NULL;
}

/* Reads a candidate's parts. Tool calls get indexes from first_index on when with_index. */
static int cand_read(struct cand *c, const json_t *cand, bool with_index, size_t first_index)
{
    const json_t *parts = json_object_get(json_object_get(cand, "content"), "parts"), *p;
    size_t i;

    c->calls = json_array();
    if (c->calls == NULL)
        return LMX_ENOMEM;
    json_array_foreach(parts, i, p) {
        const json_t *t = json_object_get(p, "text"), *fc = json_object_get(p, "functionCall");

        if (json_is_string(t) && json_string_length(t) > 0) {
            bool thought = json_is_true(json_object_get(p, "thought"));
            struct lmx_buf *b = thought ? &c->reasoning : &c->text;

            if (lmx_buf_append(b, json_string_value(t), json_string_length(t)) < 0)
                return LMX_ENOMEM;
            if (thought)
                c->has_reasoning = true;
            else
                c->has_text = true;
        }
        if (json_is_object(fc) && json_is_string(json_object_get(fc, "name"))) {
            const json_t *args = json_object_get(fc, "args");
            char *a = json_is_object(args) ? json_dumps(args, JSON_COMPACT) : NULL;
            json_t *tc;

            if (json_is_object(args) && a == NULL)
                return LMX_ENOMEM;
            tc = json_pack("{s:o, s:s, s:{s:O, s:s}}", "id",
                           tool_call_id(json_string_value(json_object_get(p, "thoughtSignature"))),
                           "type", "function", "function", "name", json_object_get(fc, "name"),
                           "arguments", a != NULL ? a : "{}");
            json_free(a);
            if (tc == NULL)
                return LMX_ENOMEM;
            if (with_index &&
                set_new(tc, "index",
                        json_integer((json_int_t)(first_index + json_array_size(c->calls)))) < 0) {
                json_decref(tc);
                return LMX_ENOMEM;
            }
            if (json_array_append_new(c->calls, tc) < 0)
                return LMX_ENOMEM;
        }
    }
    return 0;
}

static json_t *str_or_null(const struct lmx_buf *b, bool has)
{
    return has ? json_stringn(b->data, b->len) : json_null();
}

/* One chat.completion choice from a candidate. */
static json_t *choice_of(const json_t *cand, size_t pos)
{
    const json_t *idx = json_object_get(cand, "index");
    const char *fr = finish_of(json_string_value(json_object_get(cand, "finishReason")));
    struct cand c;
    json_t *msg = NULL, *ch = NULL;

    cand_init(&c);
    if (cand_read(&c, cand, false, 0) < 0)
        goto out;
    msg = json_pack("{s:s, s:o}", "role", "assistant", "content", str_or_null(&c.text, c.has_text));
    if (msg == NULL)
        goto out;
    if (json_array_size(c.calls) > 0) {
        if (json_object_set(msg, "tool_calls", c.calls) < 0)
            goto out;
        fr = "tool_calls"; /* LiteLLM: a call present means tool_calls */
    }
    if (c.has_reasoning && set_new(msg, "reasoning_content", str_or_null(&c.reasoning, true)) < 0)
        goto out;
    ch = json_pack("{s:I, s:O, s:s}", "index",
                   (json_int_t)(json_is_integer(idx) ? json_integer_value(idx) : (json_int_t)pos),
                   "message", msg, "finish_reason", fr != NULL ? fr : "stop");
out:
    json_decref(msg);
    cand_release(&c);
    return ch;
}

/* The answer to a blocked prompt or a filtered candidate: no content, finish_reason content_filter.
 */
static json_t *filtered_choice(void)
{
    return json_pack("{s:i, s:{s:s, s:n}, s:s}", "index", 0, "message", "role", "assistant",
                     "content", "finish_reason", "content_filter");
}

static const char *flagged_first(const json_t *cands)
{
    const char *fr = json_string_value(json_object_get(json_array_get(cands, 0), "finishReason"));
    const char *m = finish_of(fr);

    return m != NULL && strcmp(m, "content_filter") == 0 ? fr : NULL;
}

static json_t *response_id(const json_t *root)
{
    const char *rid = json_string_value(json_object_get(root, "responseId"));
    char uuid[37];

    if (rid != NULL && *rid != '\0')
        return json_string(rid);
    lmx_uuid4(uuid);
    return json_sprintf("chatcmpl-%s", uuid);
}

int lmx_gemini_chat_response(
    const char *model, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    bool nomem = false;
    json_t *root = load(body != NULL ? body : "", body != NULL ? len : 0, 0, &nomem);
    const json_t *cands = json_object_get(root, "candidates"), *eo = error_obj(root);
    json_t *resp = NULL, *choices = NULL;
    int rc = 0;

    if (nomem)
        return oom(err);
    if (!json_is_object(root)) {
        rc = fail(err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                  "gemini returned an answer that is not a JSON object: %.*s",
                  (int)LMX_MIN(len, 80), body != NULL ? body : "");
        goto out;
    }
    if (eo != NULL) {
        fill_error(err, 0, eo);
        rc = LMX_EUPSTREAM;
        goto out;
    }
    choices = json_array();
    if (choices == NULL)
        goto nomem;
    if (json_array_size(cands) == 0 || flagged_first(cands) != NULL) {
        bool blocked =
            json_array_size(cands) > 0 ||
            json_is_string(json_object_get(json_object_get(root, "promptFeedback"), "blockReason"));

        if (json_array_append_new(choices, blocked
                                               ? filtered_choice()
                                               : json_pack("{s:i, s:{s:s, s:n}, s:s}", "index", 0,
                                                           "message", "role", "assistant",
                                                           "content", "finish_reason", "stop")) < 0)
            goto nomem;
    } else {
        size_t i;
        const json_t *c;

        json_array_foreach(cands, i, c) {
            if (json_array_append_new(choices, choice_of(c, i)) < 0)
                goto nomem;
        }
    }
    resp = json_pack("{s:o, s:s, s:I, s:s, s:O, s:o}", "id", response_id(root), "object",
                     "chat.completion", "created", (json_int_t)lmx_wall_s(), "model",
                     model != NULL ? model : "", "choices", choices, "usage",
                     usage_of(json_object_get(root, "usageMetadata")));
    if (resp == NULL)
        goto nomem;
    *out = resp;
    goto out;
nomem:
    rc = oom(err);
out:
    json_decref(choices);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams */

struct choice_state {
    size_t ncalls; /* tool calls sent so far (their indexes) */
    bool started;  /* the role went out */
    bool finished; /* the finish_reason went out */
};

struct lmx_gemini_stream {
    struct lmx_sse_reader sse;
    char model[256];
    json_t *id;        /* stable for every chunk: the first responseId */
    struct ucounts un; /* the latest usageMetadata's counts (has_usage: one came) */
    bool has_usage;
    json_t *env;        /* the chunk envelope, reused: only its choices change */
    struct lmx_buf str; /* a string read by the fast event path */
    json_int_t created;
    bool include_usage;
    bool any; /* a chunk went out */
    struct choice_state ch[MAX_CHOICES];
    /* during a feed */
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

int lmx_gemini_stream_new(struct lmx_gemini_stream **out, const char *model, bool include_usage)
{
    struct lmx_gemini_stream *s = lmx_calloc(1, sizeof(*s));

    if (s == NULL)
        return LMX_ENOMEM;
    lmx_sse_reader_init(&s->sse, EVENT_MAX);
    lmx_buf_init(&s->str, EVENT_MAX);
    snprintf(s->model, sizeof(s->model), "%s", model != NULL ? model : "");
    s->created = (json_int_t)lmx_wall_s();
    s->include_usage = include_usage;
    *out = s;
    return 0;
}

void lmx_gemini_stream_free(struct lmx_gemini_stream *s)
{
    if (s == NULL)
        return;
    lmx_sse_reader_release(&s->sse);
    json_decref(s->id);
    json_decref(s->env);
    lmx_buf_release(&s->str);
    lmx_free(s);
}

/* Sends one chunk with `choices` (stolen). */
static int emit(struct lmx_gemini_stream *s, json_t *choices, json_t *usage)
{
    json_t *chunk;
    int rc;

    if (choices == NULL)
        return oom(s->err);
    if (s->id == NULL) {
        char uuid[37];

        lmx_uuid4(uuid);
        s->id = json_sprintf("chatcmpl-%s", uuid);
        if (s->id == NULL) {
            json_decref(choices);
            return oom(s->err);
        }
    }
    if (usage == NULL) {
        /* delta chunks share one envelope (id and model never change once set); the
         * callback only borrows it, and each chunk gets a new choices array */
        if (s->env == NULL)
            s->env = json_pack("{s:O, s:s, s:I, s:s, s:[]}", "id", s->id, "object",
                               "chat.completion.chunk", "created", s->created, "model", s->model,
                               "choices");
        if (s->env == NULL) {
            json_decref(choices);
            return oom(s->err);
        }
        if (json_object_set_new(s->env, "choices", choices) < 0)
            return oom(s->err);
        chunk = json_incref(s->env);
    } else {
        chunk = json_pack("{s:O, s:s, s:I, s:s, s:o}", "id", s->id, "object",
                          "chat.completion.chunk", "created", s->created, "model", s->model,
                          "choices", choices);
        if (chunk == NULL || json_object_set(chunk, "usage", usage) < 0) {
            json_decref(chunk);
            return oom(s->err);
        }
    }
    s->any = true;
    rc = s->cb(chunk, s->ud);
    json_decref(chunk);
    if (usage == NULL && lmx_chunk_env_held(s->env)) {
        json_decref(s->env); /* the callback kept a reference: the next chunk gets a new one */
        s->env = NULL;
    }
    return rc;
}

/* A delta chunk for choice i; `delta` stolen. The role goes with the first one. */
static int emit_delta(struct lmx_gemini_stream *s, size_t i, json_t *delta, const char *finish)
{
    struct choice_state *cs = &s->ch[i];
    json_t *choice;

    if (delta == NULL)
        return oom(s->err);
    if (!cs->started) {
        if (json_object_set_new(delta, "role", json_string("assistant")) < 0) {
            json_decref(delta);
            return oom(s->err);
        }
        cs->started = true;
    }
    choice = json_pack("{s:I, s:o, s:s?}", "index", (json_int_t)i, "delta", delta, "finish_reason",
                       finish);
    if (finish != NULL)
        cs->finished = true;
    return emit(s, json_pack("[o]", choice), NULL);
}

/* Choice i's chunks from what its candidate says (c) and its finishReason (fr, may be NULL). */
static int stream_cand(struct lmx_gemini_stream *s, size_t i, const char *fr, const struct cand *c)
{
    struct choice_state *cs = &s->ch[i];
    json_t *delta = NULL;
    int rc = 0;

    if (c->has_text || c->has_reasoning || json_array_size(c->calls) > 0) {
        delta = json_object();
        if (delta == NULL)
            goto nomem;
        if (c->has_text || !cs->started) {
            if (set_new(delta, "content",
                        c->has_text                      ? json_stringn(c->text.data, c->text.len)
                        : json_array_size(c->calls) > 0 ? json_null()
                                                        : json_string("")) < 0)
                goto nomem;
        }
        if (c->has_reasoning && set_new(delta, "reasoning_content",
                                        json_stringn(c->reasoning.data, c->reasoning.len)) < 0)
            goto nomem;
        if (json_array_size(c->calls) > 0) {
            if (json_object_set(delta, "tool_calls", c->calls) < 0)
                goto nomem;
            cs->ncalls += json_array_size(c->calls);
        }
        rc = emit_delta(s, i, delta, NULL);
        delta = NULL;
        if (rc < 0)
            goto out;
    }
    if (fr != NULL) {
        const char *f = finish_of(fr);

        if (cs->ncalls > 0 && strcmp(f, "stop") == 0)
            f = "tool_calls";
        rc = emit_delta(s, i, json_object(), f);
    }
    goto out;
nomem:
    rc = oom(s->err);
out:
    json_decref(delta);
    return rc;
}

static int stream_candidate(struct lmx_gemini_stream *s, const json_t *cand, size_t pos)
{
    const json_t *idx = json_object_get(cand, "index");
    size_t i = json_is_integer(idx) && json_integer_value(idx) >= 0
                   ? (size_t)json_integer_value(idx)
                   : pos;
    const char *fr = json_string_value(json_object_get(cand, "finishReason"));
    struct cand c;
    int rc;

    if (i >= MAX_CHOICES)
        return 0; /* more candidates than we track: not sent */
    if (s->ch[i].finished)
        return 0;
    cand_init(&c);
    rc = cand_read(&c, cand, true, s->ch[i].ncalls);
    rc = rc < 0 ? oom(s->err) : stream_cand(s, i, fr, &c);
    cand_release(&c);
    return rc;
}

/* One GenerateContentResponse of the stream. */
static int stream_object(struct lmx_gemini_stream *s, const json_t *root)
{
    const json_t *cands = json_object_get(root, "candidates"), *eo = error_obj(root);
    const json_t *um = json_object_get(root, "usageMetadata");
    const char *rid = json_string_value(json_object_get(root, "responseId"));
    size_t i;
    const json_t *c;
    int rc;

    if (eo != NULL) {
        fill_error(s->err, 0, eo);
        return LMX_EUPSTREAM;
    }
    if (s->id == NULL && rid != NULL && *rid != '\0') {
        s->id = json_string(rid);
        if (s->id == NULL)
            return oom(s->err);
    }
    if (json_is_object(um)) {
        ucounts_of(um, &s->un);
        s->has_usage = true;
    }
    if (json_array_size(cands) == 0 &&
        json_is_string(json_object_get(json_object_get(root, "promptFeedback"), "blockReason")) &&
        !s->ch[0].finished)
        return emit_delta(s, 0, json_object(), "content_filter");
    json_array_foreach(cands, i, c) {
        rc = stream_candidate(s, c, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ucounts_of over an unparsed usageMetadata; false when a count is a real (parse it then). */
static bool ucounts_fast(const char *o, size_t on, struct ucounts *n)
{
    static const char *const keys[] = {"promptTokenCount", "candidatesTokenCount",
                                       "thoughtsTokenCount", "totalTokenCount",
                                       "cachedContentTokenCount"};
    long long *dst[] = {&n->prompt, &n->cand, &n->thoughts, &n->total, &n->cached};
    struct lmx_jval v[LMX_ARRAY_SIZE(keys)];

    lmx_jfast_getv(o, on, keys, LMX_ARRAY_SIZE(keys), v);
    for (size_t k = 0; k < LMX_ARRAY_SIZE(keys); k++) {
        enum lmx_jkind kind = lmx_jfast_kind(v[k].v, v[k].n);

        if (kind == LMX_JK_REAL)
            return false;
        *dst[k] = kind == LMX_JK_INT ? lmx_jfast_int(v[k].v, v[k].n) : 0;
    }
    n->has_thoughts = v[2].v != NULL;
    n->has_total = v[3].v != NULL;
    n->has_cached = v[4].v != NULL;
    return true;
}

/* The parts array of an unparsed candidate (NULL, 0 when none). */
static struct lmx_jval fast_parts(struct lmx_jval cand)
{
    struct lmx_jval content, parts;

    lmx_jfast_get(cand.v, cand.n, "content", &content.v, &content.n);
    lmx_jfast_get(content.v, content.n, "parts", &parts.v, &parts.n);
    return parts;
}

/* cand_read over an unparsed candidate without function calls. */
static int cand_read_fast(struct lmx_gemini_stream *s, struct cand *c, struct lmx_jval cand)
{
    static const char *const keys[] = {"text", "thought"};
    struct lmx_jval parts = fast_parts(cand), p, m[2];
    size_t pos = 0;

    while (lmx_jfast_next(parts.v, parts.n, &pos, &p.v, &p.n)) {
        struct lmx_buf *b;
        bool thought;

        lmx_jfast_getv(p.v, p.n, keys, 2, m);
        if (lmx_jfast_kind(m[0].v, m[0].n) != LMX_JK_STRING)
            continue;
        if (lmx_jfast_str(m[0].v, m[0].n, &s->str) < 0)
            return LMX_ENOMEM;
        if (s->str.len == 0)
            continue;
        thought = lmx_jfast_kind(m[1].v, m[1].n) == LMX_JK_TRUE;
        b = thought ? &c->reasoning : &c->text;
        if (lmx_buf_append(b, s->str.data, s->str.len) < 0)
            return LMX_ENOMEM;
        if (thought)
            c->has_reasoning = true;
        else
            c->has_text = true;
    }
    return 0;
}

/*
 * An event whose candidates carry only text (the common case), read without
 * a parse. Returns false for anything else (errors, function calls, no
 * candidates, text lmx_jfast_check declines: on_event parses it then); else
 * true with *rc what stream_object gives.
 */
static bool fast_event(struct lmx_gemini_stream *s, const char *data, size_t dlen, int *rc)
{
    enum { F_CANDS, F_USAGE, F_RID, F_ERROR };
    static const char *const top[] = {"candidates", "usageMetadata", "responseId", "error"};
    static const char *const ckeys[] = {"index", "finishReason"};
    struct lmx_jval m[LMX_ARRAY_SIZE(top)], cand, part, ck[2];
    struct ucounts un;
    bool usage;
    size_t pos = 0, ppos, n = 0;

    if (lmx_jfast_check(data, dlen) < 0)
        return false;
    lmx_jfast_getv(data, dlen, top, LMX_ARRAY_SIZE(top), m);
    if (m[F_ERROR].v != NULL || lmx_jfast_kind(m[F_CANDS].v, m[F_CANDS].n) != LMX_JK_ARRAY)
        return false;
    while (lmx_jfast_next(m[F_CANDS].v, m[F_CANDS].n, &pos, &cand.v, &cand.n)) {
        struct lmx_jval parts = fast_parts(cand), fc;

        if (lmx_jfast_kind(cand.v, cand.n) != LMX_JK_OBJECT)
            return false;
        for (ppos = 0; lmx_jfast_next(parts.v, parts.n, &ppos, &part.v, &part.n);)
            if (lmx_jfast_get(part.v, part.n, "functionCall", &fc.v, &fc.n) != LMX_JK_NONE)
                return false;
        n++;
    }
    if (n == 0)
        return false;
    usage = lmx_jfast_kind(m[F_USAGE].v, m[F_USAGE].n) == LMX_JK_OBJECT;
    if (usage && !ucounts_fast(m[F_USAGE].v, m[F_USAGE].n, &un))
        return false;
    *rc = 0;
    if (s->id == NULL && lmx_jfast_kind(m[F_RID].v, m[F_RID].n) == LMX_JK_STRING) {
        if (lmx_jfast_str(m[F_RID].v, m[F_RID].n, &s->str) < 0) {
            *rc = oom(s->err);
            return true;
        }
        if (s->str.len > 0 && (s->id = json_string(s->str.data)) == NULL) {
            *rc = oom(s->err);
            return true;
        }
    }
    if (usage) {
        s->un = un;
        s->has_usage = true;
    }
    for (pos = 0, n = 0; lmx_jfast_next(m[F_CANDS].v, m[F_CANDS].n, &pos, &cand.v, &cand.n); n++) {
        const char *fr = NULL;
        size_t i = n;
        struct cand c;

        lmx_jfast_getv(cand.v, cand.n, ckeys, 2, ck);
        if (lmx_jfast_kind(ck[0].v, ck[0].n) == LMX_JK_INT && lmx_jfast_int(ck[0].v, ck[0].n) >= 0)
            i = (size_t)lmx_jfast_int(ck[0].v, ck[0].n);
        if (i >= MAX_CHOICES || s->ch[i].finished)
            continue;
        cand_init(&c);
        if (cand_read_fast(s, &c, cand) < 0 ||
            (lmx_jfast_kind(ck[1].v, ck[1].n) == LMX_JK_STRING &&
             lmx_jfast_str(ck[1].v, ck[1].n, &s->str) < 0))
            *rc = oom(s->err);
        else {
            if (lmx_jfast_kind(ck[1].v, ck[1].n) == LMX_JK_STRING)
                fr = s->str.data;
            *rc = stream_cand(s, i, fr, &c);
        }
        cand_release(&c);
        if (*rc < 0)
            break;
    }
    return true;
}

static int on_event(const char *event, size_t elen, const char *data, size_t dlen, void *ud)
{
    struct lmx_gemini_stream *s = ud;
    size_t ws = strspn(data, " \t\r\n");
    json_t *root;
    bool nomem = false;
    int rc = 0;

    LMX_UNUSED(event);
    LMX_UNUSED(elen);
    if (ws == dlen || strcmp(data + ws, "[DONE]") == 0)
        return 0;
    if (fast_event(s, data, dlen, &rc))
        return rc;
    root = load(data, dlen, JSON_DECODE_ANY, &nomem);
    if (nomem)
        return oom(s->err);
    if (json_is_object(root)) {
        rc = stream_object(s, root);
    } else if (json_is_array(root)) { /* a stream sent without alt=sse: one array of objects */
        size_t i;
        const json_t *o;

        json_array_foreach(root, i, o) {
            rc = json_is_object(o) ? stream_object(s, o) : 0;
            if (rc < 0)
                break;
        }
    } else {
        rc =
            fail(s->err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                 "gemini sent a stream event that is not JSON: %.*s", (int)LMX_MIN(dlen, 80), data);
    }
    json_decref(root);
    return rc;
}

static int feed_result(struct lmx_gemini_stream *s, int rc)
{
    if (rc == LMX_ETOOBIG)
        fail(s->err, rc, 500, "internal_server_error", NULL,
             "gemini sent a stream event larger than %zu bytes", EVENT_MAX);
    else if (rc == LMX_ENOMEM && s->err != NULL && s->err->message[0] == '\0')
        oom(s->err);
    s->cb = NULL;
    s->ud = NULL;
    s->err = NULL;
    return rc;
}

int lmx_gemini_stream_feed(struct lmx_gemini_stream *s,
                           const char *p,
                           size_t n,
                           lmx_chunk_cb cb,
                           void *ud,
                           struct lmx_perr *err)
{
    s->cb = cb;
    s->ud = ud;
    s->err = err;
    return feed_result(s, lmx_sse_reader_feed(&s->sse, p, n, on_event, s));
}

int lmx_gemini_stream_end(struct lmx_gemini_stream *s,
                          lmx_chunk_cb cb,
                          void *ud,
                          struct lmx_perr *err)
{
    int rc;

    s->cb = cb;
    s->ud = ud;
    s->err = err;
    rc = lmx_sse_reader_finish(&s->sse, on_event, s);
    for (size_t i = 0; rc == 0 && i < MAX_CHOICES; i++)
        if (s->ch[i].started && !s->ch[i].finished)
            rc = emit_delta(s, i, json_object(), s->ch[i].ncalls > 0 ? "tool_calls" : "stop");
    if (rc == 0 && s->include_usage && s->any) {
        json_t *u = s->has_usage ? usage_from(&s->un)
                                 : json_pack("{s:i, s:i, s:i}", "prompt_tokens", 0,
                                                 "completion_tokens", 0, "total_tokens", 0);

        rc = u != NULL ? emit(s, json_array(), u) : oom(err);
        json_decref(u);
    }
    return feed_result(s, rc);
}

/* ------------------------------------------------------------------------ */
/* Embeddings */

int lmx_gemini_embed_request(const struct lmx_gemini_opts *o,
                             const json_t *req,
                             json_t **out,
                             struct lmx_perr *err)
{
    const json_t *input = json_object_get(req, "input"), *v;
    const json_t *dims = json_object_get(req, "dimensions");
    const char *task = json_string_value(json_object_get(req, "task_type"));
    const char *fmt = json_string_value(json_object_get(req, "encoding_format"));
    const char *model = o->model != NULL ? o->model : "";
    json_t *reqs = NULL, *body;
    json_t *one = NULL;
    size_t i;

    if (task == NULL)
        task = json_string_value(json_object_get(req, "taskType"));
    if (fmt != NULL && strcmp(fmt, "float") != 0 && !o->drop_params)
        return unsupported(o, "encoding_format", err);
    if (json_is_string(input)) {
        one = json_pack("[O]", input);
        if (one == NULL)
            return oom(err);
        input = one;
    }
    if (!json_is_array(input) || json_array_size(input) == 0) {
        json_decref(one);
        return BADREQ(err, "input", "'input' must be a string or a non-empty array of strings");
    }
    reqs = json_array();
    if (reqs == NULL)
        goto nomem;
    json_array_foreach(input, i, v) {
        json_t *r;

        if (!json_is_string(v)) {
            json_decref(reqs);
            json_decref(one);
            return BADREQ(err, "input",
                          "%s embeddings take text: input[%zu] is not a string (token ids are "
                          "not supported)",
                          o->provider != NULL ? o->provider : "gemini", i);
        }
        r = json_pack("{s:s+, s:{s:[{s:O}]}}", "model",
                      strncmp(model, "models/", 7) == 0 ? "" : "models/", model, "content", "parts",
                      "text", v);
        if (r == NULL)
            goto nomem;
        if (json_is_integer(dims) &&
            json_object_set(r, "outputDimensionality", (json_t *)dims) < 0) {
            json_decref(r);
            goto nomem;
        }
        if (task != NULL && set_new(r, "taskType", json_string(task)) < 0) {
            json_decref(r);
            goto nomem;
        }
        if (json_array_append_new(reqs, r) < 0)
            goto nomem;
    }
    body = json_pack("{s:o}", "requests", reqs);
    json_decref(one);
    if (body == NULL)
        return oom(err);
    *out = body;
    return 0;
nomem:
    json_decref(reqs);
    json_decref(one);
    return oom(err);
}

/* About 4 characters a token, at least one per input: for answers without usageMetadata. */
static long long estimate_tokens(const json_t *req)
{
    const json_t *in = json_object_get(req, "input"), *v;
    long long n = 0;
    size_t i;

    if (json_is_string(in))
        return LMX_MAX(1, (long long)(json_string_length(in) + 3) / 4);
    json_array_foreach(in, i, v) {
        n += LMX_MAX(1, (long long)(json_string_length(v) + 3) / 4);
    }
    return n;
}

int lmx_gemini_embed_response(const char *model,
                              const json_t *req,
                              const char *body,
                              size_t len,
                              json_t **out,
                              struct lmx_perr *err)
{
    bool nomem = false;
    json_t *root = load(body != NULL ? body : "", body != NULL ? len : 0, 0, &nomem);
    const json_t *embs = json_object_get(root, "embeddings"), *e;
    const json_t *um = json_object_get(root, "usageMetadata");
    json_t *data = NULL, *resp;
    long long tokens;
    size_t i;
    int rc;

    if (nomem)
        return oom(err);
    if (!json_is_object(root) || !json_is_array(embs)) {
        if (error_obj(root) != NULL) {
            fill_error(err, 0, error_obj(root));
            rc = LMX_EUPSTREAM;
        } else {
            rc = fail(err, LMX_EUPSTREAM, 500, "internal_server_error", NULL,
                      "gemini returned an embeddings answer without 'embeddings': %.*s",
                      (int)LMX_MIN(len, 80), body != NULL ? body : "");
        }
        json_decref(root);
        return rc;
    }
    data = json_array();
    if (data == NULL)
        goto nomem;
    json_array_foreach(embs, i, e) {
        const json_t *vals = json_object_get(e, "values");

        if (json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding", "index",
                                                  (json_int_t)i, "embedding",
                                                  json_is_array(vals) ? json_incref((json_t *)vals)
                                                                      : json_array())) < 0)
            goto nomem;
    }
    tokens = json_is_object(um) ? int_of(um, "promptTokenCount") : estimate_tokens(req);
    resp = json_pack("{s:s, s:O, s:s, s:{s:I, s:I}}", "object", "list", "data", data, "model",
                     model != NULL ? model : "", "usage", "prompt_tokens", (json_int_t)tokens,
                     "total_tokens", (json_int_t)tokens);
    if (resp == NULL)
        goto nomem;
    json_decref(data);
    json_decref(root);
    *out = resp;
    return 0;
nomem:
    json_decref(data);
    json_decref(root);
    return oom(err);
}
