/*
 * dialect/gemini_in.c - the Gemini generateContent dialect: clients of
 * `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`
 * (Google's SDKs) served from any provider through the canonical chat shape.
 *
 * request: a GenerateContentRequest becomes a chat request. `contents` turns
 * into messages (model turns are assistant messages, functionCall parts their
 * tool_calls, functionResponse parts tool messages matched to the earlier
 * call by id, else by name and order), `systemInstruction` a system message,
 * function declarations (Gemini's OpenAPI schema made JSON Schema) tools,
 * `toolConfig` tool_choice and `generationConfig` the sampling parameters. It
 * is the reverse of provider/gemini_wire.c, so a Gemini deployment gets back
 * what the client sent: thought signatures ride in tool-call ids
 * ("<id>__thought__<sig>"), thinkingBudget becomes `thinking`, thinkingLevel
 * `reasoning_effort`. Field names are read in both proto JSON spellings
 * (camelCase and snake_case), and a repeated field given as one object counts
 * as a list of one, as Google's own parser does.
 *
 * response / stream_chunk: a chat.completion becomes a
 * GenerateContentResponse; chunks become `data: {...}\r\n\r\n` events (the
 * alt=sse framing). Tool-call arguments are held back until the call is
 * complete, since Gemini sends every functionCall whole; finishReason and
 * usageMetadata ride in the last event. Thought parts are sent only when the
 * request asked for them (thinkingConfig.includeThoughts), as Gemini does.
 *
 * Not here: safetySettings and cachedContent (no canonical equivalent:
 * dropped), response images/audio, grounding metadata, the JSON-array stream
 * Google sends without ?alt=sse.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jscan.h"
#include "core/log.h"
#include "dialect/dialect.h"
#include "provider/gemini.h"
#include "provider/params.h"

#define TEXT_MAX     ((size_t)256 << 20) /* text joined from the parts of one turn */
#define ARGS_MAX     ((size_t)64 << 20)  /* streamed arguments of one tool call */
#define MAX_CHOICES  16                  /* stream choices tracked (candidateCount) */
#define MAX_CALLS    128                 /* streamed tool calls per choice */
#define SCHEMA_DEPTH 48                  /* nesting of a tool schema */

/* What provider/gemini_wire.c appends a thought signature to a tool-call id
 * with. */
#define SIG_SEP "__thought__"

/* ------------------------------------------------------------------------ */
/* Errors and small helpers */

static int oom(struct lmx_perr *e)
{
    if (e != NULL) {
        e->status = 503;
        snprintf(e->type, sizeof(e->type), "%s", "internal_server_error");
        e->param[0] = '\0';
        snprintf(e->message, sizeof(e->message), "%s", "out of memory");
    }
    return LMX_ENOMEM;
}

/* o[camel], else o[snake]: proto JSON takes both spellings of a field. */
static const json_t *field(const json_t *o, const char *camel, const char *snake)
{
    const json_t *v = json_object_get(o, camel);

    return v != NULL || snake == NULL ? v : json_object_get(o, snake);
}

/* A repeated field: an array, or one object standing for a list of one. */
static size_t list_size(const json_t *v)
{
    if (json_is_array(v))
        return json_array_size(v);
    return json_is_object(v) ? 1 : 0;
}

static const json_t *list_get(const json_t *v, size_t i)
{
    if (json_is_array(v))
        return json_array_get(v, i);
    return i == 0 ? v : NULL;
}

/* Sets o[k] = v (stolen); NULL v means out of memory. */
static int set_new(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : LMX_ENOMEM;
}

static int append_new(json_t *a, json_t *v)
{
    return v != NULL && json_array_append_new(a, v) == 0 ? 0 : LMX_ENOMEM;
}

struct dump_ctx {
    struct lmx_buf *b;
    int rc;
};

static int dump_cb(const char *p, size_t n, void *ud)
{
    struct dump_ctx *d = ud;

    d->rc = lmx_buf_append(d->b, p, n);
    return d->rc < 0 ? -1 : 0;
}

/* Appends v as compact JSON (keys in insertion order). Returns 0 or a buffer
 * error. */
static int put_json(struct lmx_buf *b, const json_t *v)
{
    struct dump_ctx d = {b, 0};

    if (json_dump_callback(v, dump_cb, &d, JSON_COMPACT | JSON_ENCODE_ANY) < 0)
        return d.rc < 0 ? d.rc : LMX_ENOMEM;
    return 0;
}

/* v as a compact JSON text in a new string, or NULL when out of memory. */
static json_t *json_text(const json_t *v)
{
    struct lmx_buf b;
    json_t *s = NULL;

    lmx_buf_init(&b, TEXT_MAX);
    if (put_json(&b, v) == 0)
        s = json_stringn(b.data != NULL ? b.data : "", b.len);
    lmx_buf_release(&b);
    return s;
}

/* Drops what an unfinished write left at the end of b. */
static void buf_truncate(struct lmx_buf *b, size_t len)
{
    if (b->data != NULL && len <= b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* ------------------------------------------------------------------------ */
/* Request: schemas (Gemini's OpenAPI subset -> JSON Schema) */

/* Schema keys with no JSON Schema meaning, left out. */
static bool schema_skip(const char *k)
{
    return strcmp(k, "nullable") == 0 || strcmp(k, "propertyOrdering") == 0 ||
           strcmp(k, "property_ordering") == 0 || strcmp(k, "example") == 0;
}

/* The snake_case keys of Schema written the JSON Schema way. */
static const char *schema_key(const char *k)
{
    /* clang-format off */
    static const char *const map[][2] = {
        {"any_of", "anyOf"},         {"max_items", "maxItems"},   {"min_items", "minItems"},
        {"min_length", "minLength"}, {"max_length", "maxLength"}, {"min_properties", "minProperties"},
        {"max_properties", "maxProperties"},
    };
    /* clang-format on */

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strcmp(k, map[i][0]) == 0)
            return map[i][1];
    return k;
}

/*
 * A new JSON Schema from a Gemini Schema: types in lower case ("OBJECT" ->
 * "object"), nullable as a "null" type, propertyOrdering and example left
 * out; anything else copied. NULL only when out of memory.
 */
static json_t *schema_of(const json_t *s, int depth)
{
    const char *k;
    json_t *v, *out;
    const char *type = NULL;
    char lower[32];

    if (!json_is_object(s) || depth > SCHEMA_DEPTH)
        return json_is_object(s) ? json_object() : json_deep_copy(s);
    out = json_object();
    if (out == NULL)
        return NULL;
    json_object_foreach((json_t *)s, k, v) {
        const char *key = schema_key(k);
        json_t *nv = NULL;

        if (schema_skip(k))
            continue;
        if (strcmp(key, "type") == 0 && json_is_string(v)) {
            size_t n = json_string_length(v);

            if (n >= sizeof(lower) || strcasecmp(json_string_value(v), "TYPE_UNSPECIFIED") == 0)
                continue;
            for (size_t i = 0; i <= n; i++)
                lower[i] = (char)(json_string_value(v)[i] >= 'A' && json_string_value(v)[i] <= 'Z'
                                      ? json_string_value(v)[i] - 'A' + 'a'
                                      : json_string_value(v)[i]);
            type = lower;
            nv = json_string(lower);
        } else if (strcmp(key, "properties") == 0 && json_is_object(v)) {
            const char *pk;
            json_t *pv;

            nv = json_object();
            json_object_foreach(v, pk, pv) {
                if (nv == NULL || set_new(nv, pk, schema_of(pv, depth + 1)) < 0) {
                    json_decref(nv);
                    nv = NULL;
                    break;
                }
            }
        } else if (strcmp(key, "items") == 0) {
            nv = schema_of(v, depth + 1);
        } else if (strcmp(key, "anyOf") == 0 && json_is_array(v)) {
            size_t i;
            json_t *b;

            nv = json_array();
            json_array_foreach(v, i, b) {
                if (nv == NULL || append_new(nv, schema_of(b, depth + 1)) < 0) {
                    json_decref(nv);
                    nv = NULL;
                    break;
                }
            }
        } else {
            nv = json_deep_copy(v);
        }
        if (set_new(out, key, nv) < 0)
            goto nomem;
    }
    if (type != NULL && json_is_true(field(s, "nullable", NULL)) &&
        set_new(out, "type", json_pack("[s,s]", type, "null")) < 0)
        goto nomem;
    return out;
nomem:
    json_decref(out);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Request: contents -> messages */

struct conv {
    struct lmx_dcall *dc;
    struct lmx_perr *err;
    json_t *msgs;  /* the canonical messages */
    json_t *calls; /* every call so far: {"cid": client id|null, "id", "name",
                      "used"} */
    size_t ncalls; /* calls given an id here: "call_<n>" */
};

/* "data:<mime>;base64,<data>" */
static json_t *data_url(const char *mime, const char *data)
{
    return json_sprintf("data:%s;base64,%s", mime, data);
}

/* The OpenAI input_audio format of an audio MIME type ("audio/mpeg" -> "mp3").
 */
static const char *audio_format(const char *mime)
{
    const char *sub = mime + strlen("audio/");

    if (strcmp(sub, "mpeg") == 0 || strcmp(sub, "mp3") == 0)
        return "mp3";
    if (strcmp(sub, "x-wav") == 0 || strcmp(sub, "wave") == 0 || strcmp(sub, "wav") == 0)
        return "wav";
    return sub;
}

/* An inlineData or fileData part -> a canonical content part appended to
 * cparts. */
static int media_part(
    struct conv *cv, const json_t *inl, const json_t *file, size_t ci, size_t pi, json_t *cparts)
{
    const char *mime, *data, *uri;
    json_t *p;

    if (inl != NULL) {
        mime = json_string_value(field(inl, "mimeType", "mime_type"));
        data = json_string_value(json_object_get(inl, "data"));
        if (mime == NULL || data == NULL)
            return lmx_perr_bad(cv->err, "contents",
                                "contents[%zu].parts[%zu].inlineData needs mimeType and data",
                                ci, pi);
        if (strncmp(mime, "image/", 6) == 0)
            p = json_pack("{s:s, s:{s:o}}", "type", "image_url", "image_url", "url",
                          data_url(mime, data));
        else if (strncmp(mime, "audio/", 6) == 0)
            p = json_pack("{s:s, s:{s:s, s:s}}", "type", "input_audio", "input_audio", "data", data,
                          "format", audio_format(mime));
        else
            p = json_pack("{s:s, s:{s:o}}", "type", "file", "file", "file_data",
                          data_url(mime, data));
    } else {
        mime = json_string_value(field(file, "mimeType", "mime_type"));
        uri = json_string_value(field(file, "fileUri", "file_uri"));
        if (uri == NULL)
            return lmx_perr_bad(cv->err, "contents",
                                "contents[%zu].parts[%zu].fileData needs fileUri", ci, pi);
        if (mime == NULL || strncmp(mime, "image/", 6) == 0)
            p = json_pack("{s:s, s:{s:s}}", "type", "image_url", "image_url", "url", uri);
        else
            p = json_pack("{s:s, s:{s:s, s:s}}", "type", "file", "file", "file_id", uri, "format",
                          mime);
    }
    return append_new(cparts, p) < 0 ? oom(cv->err) : 0;
}

/* A functionCall part -> an OpenAI tool call appended to tcs, remembered in
 * cv->calls. */
static int
call_part(struct conv *cv, const json_t *part, const json_t *fc, size_t ci, size_t pi, json_t *tcs)
{
    const char *name = json_string_value(json_object_get(fc, "name"));
    const char *cid = json_string_value(json_object_get(fc, "id"));
    const char *sig = json_string_value(field(part, "thoughtSignature", "thought_signature"));
    const json_t *args = json_object_get(fc, "args");
    json_t *id = NULL, *text = NULL, *tc, *rec;
    char gen[32];

    if (name == NULL || *name == '\0')
        return lmx_perr_bad(cv->err, "contents",
                            "contents[%zu].parts[%zu].functionCall needs a name", ci, pi);
    if (args != NULL && !json_is_null(args) && !json_is_object(args))
        return lmx_perr_bad(cv->err, "contents",
                            "contents[%zu].parts[%zu].functionCall.args must be an object", ci, pi);
    if (cid == NULL || *cid == '\0') {
        snprintf(gen, sizeof(gen), "call_%zu", cv->ncalls++);
        cid = NULL;
    }
    id = sig != NULL && *sig != '\0' ? json_sprintf("%s%s%s", cid != NULL ? cid : gen, SIG_SEP, sig)
                                     : json_string(cid != NULL ? cid : gen);
    if (json_is_object(args))
        text = json_text(args);
    else
        text = json_string("{}");
    if (id == NULL || text == NULL)
        goto nomem;
    tc = json_pack("{s:O, s:s, s:{s:s, s:O}}", "id", id, "type", "function", "function", "name",
                   name, "arguments", text);
    if (append_new(tcs, tc) < 0)
        goto nomem;
    rec = json_pack("{s:s?, s:O, s:s, s:b}", "cid", cid, "id", id, "name", name, "used", 0);
    if (append_new(cv->calls, rec) < 0)
        goto nomem;
    json_decref(id);
    json_decref(text);
    return 0;
nomem:
    json_decref(id);
    json_decref(text);
    return oom(cv->err);
}

/* The earlier call a functionResponse answers: by id, else the first unanswered
 * one by name. */
static json_t *match_call(struct conv *cv, const char *id, const char *name)
{
    size_t i;
    json_t *c;

    if (id != NULL) {
        json_array_foreach(cv->calls, i, c) {
            const char *cid = json_string_value(json_object_get(c, "cid"));

            if (json_is_false(json_object_get(c, "used")) &&
                ((cid != NULL && strcmp(cid, id) == 0) ||
                 strcmp(json_string_value(json_object_get(c, "id")), id) == 0))
                return c;
        }
    }
    json_array_foreach(cv->calls, i, c) {
        if (json_is_false(json_object_get(c, "used")) && name != NULL &&
            strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    return NULL;
}

/* A functionResponse part -> a tool message appended to cv->msgs. */
static int response_part(struct conv *cv, const json_t *fr, size_t ci, size_t pi)
{
    const char *name = json_string_value(json_object_get(fr, "name"));
    const char *id = json_string_value(json_object_get(fr, "id"));
    const json_t *resp = json_object_get(fr, "response");
    const json_t *only = json_object_get(resp, "content");
    json_t *call = match_call(cv, id, name);
    json_t *content, *m;

    if (name == NULL && id == NULL)
        return lmx_perr_bad(cv->err, "contents",
                            "contents[%zu].parts[%zu].functionResponse needs a name",
                            ci, pi);
    if (call == NULL)
        return lmx_perr_bad(cv->err, "contents",
                            "contents[%zu].parts[%zu].functionResponse '%s' answers no earlier "
                            "functionCall",
                            ci, pi, name != NULL ? name : id);
    if (json_object_set_new(call, "used", json_true()) < 0)
        return oom(cv->err);
    /* {"content": "text"} is how provider/gemini_wire.c wraps a text result:
     * unwrap it */
    if (json_is_object(resp) && json_object_size(resp) == 1 && json_is_string(only))
        content = json_incref((json_t *)only);
    else if (resp == NULL || json_is_null(resp))
        content = json_string("{}");
    else
        content = json_text(resp);
    if (content == NULL)
        return oom(cv->err);
    m = json_pack("{s:s, s:O, s:o}", "role", "tool", "tool_call_id", json_object_get(call, "id"),
                  "content", content);
    return append_new(cv->msgs, m) < 0 ? oom(cv->err) : 0;
}

/* A content list made plain: one text part becomes a string. Stolen; new ref or
 * NULL. */
static json_t *plain_content(json_t *cparts)
{
    json_t *first = json_array_get(cparts, 0);
    const char *type = json_string_value(json_object_get(first, "type"));
    json_t *s;

    if (json_array_size(cparts) != 1 || type == NULL || strcmp(type, "text") != 0)
        return cparts;
    s = json_incref(json_object_get(first, "text"));
    json_decref(cparts);
    return s;
}

static const char valid_roles[] = "Please use a valid role: user, model.";

/* One Content of `contents` -> messages. */
static int content_msgs(struct conv *cv, const json_t *c, size_t ci)
{
    const char *role = json_string_value(json_object_get(c, "role"));
    const json_t *parts = json_object_get(c, "parts");
    bool model;
    struct lmx_buf text;
    json_t *cparts = NULL, *tcs = NULL, *m = NULL;
    bool has_text = false;
    int rc = 0;

    if (!json_is_object(c))
        return lmx_perr_bad(cv->err, "contents", "contents[%zu] must be an object", ci);
    if (json_object_get(c, "role") != NULL && !json_is_null(json_object_get(c, "role")) &&
        role == NULL)
        return lmx_perr_bad(cv->err, "contents", "contents[%zu].role must be a string", ci);
    if (role == NULL || *role == '\0')
        role = "user";
    model = strcmp(role, "model") == 0;
    if (!model && strcmp(role, "user") != 0 && strcmp(role, "function") != 0 &&
        strcmp(role, "tool") != 0)
        return lmx_perr_bad(cv->err, "contents", "contents[%zu].role '%.40s': %s", ci, role,
                            valid_roles);
    if (list_size(parts) == 0)
        return lmx_perr_bad(cv->err, "contents", "contents[%zu].parts must not be empty", ci);
    lmx_buf_init(&text, TEXT_MAX);
    cparts = json_array();
    tcs = json_array();
    if (cparts == NULL || tcs == NULL)
        goto nomem;
    for (size_t pi = 0; pi < list_size(parts); pi++) {
        const json_t *p = list_get(parts, pi);
        const json_t *t = json_object_get(p, "text");
        const json_t *inl = field(p, "inlineData", "inline_data");
        const json_t *file = field(p, "fileData", "file_data");
        const json_t *fc = field(p, "functionCall", "function_call");
        const json_t *fr = field(p, "functionResponse", "function_response");

        if (!json_is_object(p)) {
            rc = lmx_perr_bad(cv->err, "contents", "contents[%zu].parts[%zu] must be an object",
                              ci, pi);
            goto out;
        }
        if (t != NULL && !json_is_string(t)) {
            rc = lmx_perr_bad(cv->err, "contents",
                              "contents[%zu].parts[%zu].text must be a string", ci, pi);
            goto out;
        }
        if (json_is_true(json_object_get(p, "thought")))
            continue; /* earlier thoughts: Gemini does not read them back either */
        if (json_is_object(fc)) {
            if (!model) {
                rc =
                    lmx_perr_bad(cv->err, "contents",
                                 "contents[%zu].parts[%zu]: a functionCall belongs in a model "
                                 "turn",
                                 ci, pi);
                goto out;
            }
            rc = call_part(cv, p, fc, ci, pi, tcs);
        } else if (json_is_object(fr)) {
            if (model) {
                rc = lmx_perr_bad(cv->err, "contents",
                                  "contents[%zu].parts[%zu]: a functionResponse belongs in a "
                                  "user turn",
                                  ci, pi);
                goto out;
            }
            rc = response_part(cv, fr, ci, pi);
        } else if (json_is_string(t)) {
            if (model) {
                has_text = true;
                rc = lmx_buf_append(&text, json_string_value(t), json_string_length(t)) < 0
                         ? oom(cv->err)
                         : 0;
            } else if (json_string_length(t) > 0) {
                rc = append_new(cparts, json_pack("{s:s, s:O}", "type", "text", "text", t)) < 0
                         ? oom(cv->err)
                         : 0;
            }
        } else if (!model && (json_is_object(inl) || json_is_object(file))) {
            rc = media_part(cv, json_is_object(inl) ? inl : NULL, file, ci, pi, cparts);
        }
        /* executableCode, codeExecutionResult, media in model turns: nothing
         * canonical */
        if (rc < 0)
            goto out;
    }
    if (model && (has_text || json_array_size(tcs) > 0)) {
        m = json_pack("{s:s, s:o}", "role", "assistant", "content",
                      has_text ? json_stringn(text.data != NULL ? text.data : "", text.len)
                               : json_null());
        if (m == NULL || (json_array_size(tcs) > 0 && json_object_set(m, "tool_calls", tcs) < 0))
            goto nomem;
    } else if (!model && json_array_size(cparts) > 0) {
        m = json_pack("{s:s, s:o}", "role", "user", "content", plain_content(json_incref(cparts)));
        if (m == NULL)
            goto nomem;
    }
    if (m != NULL) {
        rc = append_new(cv->msgs, m) < 0 ? oom(cv->err) : 0;
        m = NULL;
    }
    goto out;
nomem:
    rc = oom(cv->err);
out:
    json_decref(m);
    json_decref(cparts);
    json_decref(tcs);
    lmx_buf_release(&text);
    return rc;
}

/* systemInstruction (a Content, or a plain string) -> a system message first.
 */
static int system_msg(struct conv *cv, const json_t *si)
{
    const json_t *parts = json_is_object(si) ? json_object_get(si, "parts") : NULL;
    json_t *cparts, *m;

    if (json_is_string(si))
        return json_string_length(si) == 0 ||
                       append_new(cv->msgs,
                                  json_pack("{s:s, s:O}", "role", "system", "content", si)) == 0
                   ? 0
                   : oom(cv->err);
    if (si != NULL && !json_is_null(si) && !json_is_object(si))
        return lmx_perr_bad(cv->err, "systemInstruction",
                            "systemInstruction must be a Content object");
    cparts = json_array();
    if (cparts == NULL)
        return oom(cv->err);
    for (size_t i = 0; i < list_size(parts); i++) {
        const json_t *t = json_object_get(list_get(parts, i), "text");

        if (t != NULL && !json_is_string(t)) {
            json_decref(cparts);
            return lmx_perr_bad(cv->err, "systemInstruction",
                                "systemInstruction.parts[%zu].text must be a string", i);
        }
        if (json_string_length(t) > 0 &&
            append_new(cparts, json_pack("{s:s, s:O}", "type", "text", "text", t)) < 0) {
            json_decref(cparts);
            return oom(cv->err);
        }
    }
    if (json_array_size(cparts) == 0) {
        json_decref(cparts);
        return 0;
    }
    m = json_pack("{s:s, s:o}", "role", "system", "content", plain_content(cparts));
    return append_new(cv->msgs, m) < 0 ? oom(cv->err) : 0;
}

/* ------------------------------------------------------------------------ */
/* Request: tools, toolConfig, generationConfig */

/* One functionDeclaration -> an OpenAI function tool appended to tools. */
static int declaration(struct conv *cv, const json_t *d, size_t ti, size_t di, json_t *tools)
{
    const char *name = json_string_value(json_object_get(d, "name"));
    const json_t *desc = json_object_get(d, "description");
    const json_t *js = field(d, "parametersJsonSchema", "parameters_json_schema");
    const json_t *gs = json_object_get(d, "parameters");
    json_t *fn, *params = NULL;

    if (name == NULL || *name == '\0')
        return lmx_perr_bad(cv->err, "tools", "tools[%zu].functionDeclarations[%zu] needs a name",
                            ti, di);
    fn = json_pack("{s:s}", "name", name);
    if (fn == NULL)
        return oom(cv->err);
    if (json_is_string(desc) && json_object_set(fn, "description", (json_t *)desc) < 0)
        goto nomem;
    if (json_is_object(js))
        params = json_deep_copy(js);
    else if (json_is_object(gs))
        params = schema_of(gs, 0);
    if ((json_is_object(js) || json_is_object(gs)) && set_new(fn, "parameters", params) < 0)
        goto nomem;
    if (append_new(tools, json_pack("{s:s, s:o}", "type", "function", "function", fn)) < 0)
        return oom(cv->err);
    return 0;
nomem:
    json_decref(fn);
    return oom(cv->err);
}

static int map_tools(struct conv *cv, const json_t *in, json_t *out)
{
    const json_t *tl = json_object_get(in, "tools");
    json_t *tools = json_array();
    int rc = 0;

    if (tools == NULL)
        return oom(cv->err);
    for (size_t ti = 0; ti < list_size(tl); ti++) {
        const json_t *t = list_get(tl, ti);
        const json_t *decls = field(t, "functionDeclarations", "function_declarations");

        if (!json_is_object(t)) {
            rc = lmx_perr_bad(cv->err, "tools", "tools[%zu] must be an object", ti);
            goto out;
        }
        for (size_t di = 0; di < list_size(decls); di++) {
            rc = declaration(cv, list_get(decls, di), ti, di, tools);
            if (rc < 0)
                goto out;
        }
        /* Gemini's built-in tools, passed on as provider/gemini_wire.c reads them back */
        for (size_t b = 0; b < LMX_GEMINI_BUILTIN_TOOLS; b++) {
            const char *const *names = lmx_gemini_builtin_tools[b];
            const json_t *v = field(t, names[0], names[1]);

            if (v != NULL && append_new(tools, json_pack("{s:O}", names[0], v)) < 0) {
                rc = oom(cv->err);
                goto out;
            }
        }
    }
    if (json_array_size(tools) > 0 && json_object_set(out, "tools", tools) < 0)
        rc = oom(cv->err);
out:
    json_decref(tools);
    return rc;
}

/* toolConfig.functionCallingConfig -> tool_choice. */
static int map_tool_config(struct conv *cv, const json_t *in, json_t *out)
{
    const json_t *fcc = field(field(in, "toolConfig", "tool_config"), "functionCallingConfig",
                              "function_calling_config");
    const json_t *modev = json_object_get(fcc, "mode");
    const json_t *names = field(fcc, "allowedFunctionNames", "allowed_function_names");
    const char *mode = json_string_value(modev);
    json_t *tc;

    if (modev == NULL || json_is_null(modev))
        return 0;
    if (mode == NULL)
        return lmx_perr_bad(cv->err, "toolConfig",
                            "toolConfig.functionCallingConfig.mode must be a string");
    if (strcasecmp(mode, "MODE_UNSPECIFIED") == 0)
        return 0;
    if (strcasecmp(mode, "AUTO") == 0 || strcasecmp(mode, "VALIDATED") == 0) {
        tc = json_string("auto");
    } else if (strcasecmp(mode, "NONE") == 0) {
        tc = json_string("none");
    } else if (strcasecmp(mode, "ANY") == 0) {
        if (json_array_size(names) == 1 && json_is_string(json_array_get(names, 0)))
            tc = json_pack("{s:s, s:{s:O}}", "type", "function", "function", "name",
                           json_array_get(names, 0));
        else
            tc = json_string("required");
    } else {
        return lmx_perr_bad(cv->err, "toolConfig",
                            "invalid toolConfig.functionCallingConfig.mode '%.40s' (AUTO, "
                            "ANY, NONE or VALIDATED)",
                            mode);
    }
    return set_new(out, "tool_choice", tc) < 0 ? oom(cv->err) : 0;
}

/* A generationConfig number copied as a canonical parameter; 400 naming it when
 * not a number. */
static int num_param(struct conv *cv,
                     const json_t *gc,
                     const char *camel,
                     const char *snake,
                     json_t *out,
                     const char *key)
{
    const json_t *v = field(gc, camel, snake);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_number(v))
        return lmx_perr_bad(cv->err, "generationConfig", "generationConfig.%s must be a number",
                            camel);
    return json_object_set(out, key, (json_t *)v) < 0 ? oom(cv->err) : 0;
}

/* responseMimeType "application/json" (+ responseJsonSchema / responseSchema)
 * -> response_format. */
static int map_response_format(struct conv *cv, const json_t *gc, json_t *out)
{
    const char *mime = json_string_value(field(gc, "responseMimeType", "response_mime_type"));
    const json_t *js = field(gc, "responseJsonSchema", "response_json_schema");
    const json_t *gs = field(gc, "responseSchema", "response_schema");
    json_t *schema, *rf;

    if (mime == NULL || strcasecmp(mime, "application/json") != 0)
        return 0; /* text/plain is the default; text/x.enum has no canonical form */
    if (!json_is_object(js) && !json_is_object(gs))
        return set_new(out, "response_format", json_pack("{s:s}", "type", "json_object")) < 0
                   ? oom(cv->err)
                   : 0;
    schema = json_is_object(js) ? json_deep_copy(js) : schema_of(gs, 0);
    rf = json_pack("{s:s, s:{s:s, s:o}}", "type", "json_schema", "json_schema", "name", "response",
                   "schema", schema);
    return set_new(out, "response_format", rf) < 0 ? oom(cv->err) : 0;
}

/*
 * thinkingConfig: thinkingLevel -> reasoning_effort; thinkingBudget 0 ->
 * reasoning_effort "none", above 0 -> thinking {enabled, budget_tokens}
 * (-1, dynamic, is every provider's default). includeThoughts only decides
 * whether thought parts go back to the client.
 */
static int map_thinking(struct conv *cv, const json_t *tcfg, json_t *out, bool *include)
{
    const json_t *level = field(tcfg, "thinkingLevel", "thinking_level");
    const json_t *budget = field(tcfg, "thinkingBudget", "thinking_budget");
    char effort[16];
    size_t n;

    *include = json_is_true(field(tcfg, "includeThoughts", "include_thoughts"));
    if (json_is_string(level) &&
        strcasecmp(json_string_value(level), "THINKING_LEVEL_UNSPECIFIED") != 0) {
        n = json_string_length(level);
        if (n >= sizeof(effort))
            return lmx_perr_bad(cv->err, "generationConfig",
                                "invalid generationConfig.thinkingConfig.thinkingLevel");
        for (size_t i = 0; i <= n; i++) {
            char ch = json_string_value(level)[i];

            effort[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        return set_new(out, "reasoning_effort", json_string(effort)) < 0 ? oom(cv->err) : 0;
    }
    if (budget == NULL || json_is_null(budget))
        return 0;
    if (!json_is_integer(budget))
        return lmx_perr_bad(cv->err, "generationConfig",
                            "generationConfig.thinkingConfig.thinkingBudget must be an integer");
    if (json_integer_value(budget) == 0)
        return set_new(out, "reasoning_effort", json_string("none")) < 0 ? oom(cv->err) : 0;
    if (json_integer_value(budget) > 0)
        return set_new(out, "thinking",
                       json_pack("{s:s, s:O}", "type", "enabled", "budget_tokens", budget)) < 0
                   ? oom(cv->err)
                   : 0;
    return 0;
}

static int generation_config(struct conv *cv, const json_t *gc, json_t *out, bool *include)
{
    /* clang-format off */
    static const char *const nums[][3] = {
        {"temperature",      NULL,                "temperature"},
        {"topP",             "top_p",             "top_p"},
        {"topK",             "top_k",             "top_k"},
        {"maxOutputTokens",  "max_output_tokens", "max_tokens"},
        {"candidateCount",   "candidate_count",   "n"},
        {"seed",             NULL,                "seed"},
        {"presencePenalty",  "presence_penalty",  "presence_penalty"},
        {"frequencyPenalty", "frequency_penalty", "frequency_penalty"},
    };
    /* clang-format on */
    const json_t *stop = field(gc, "stopSequences", "stop_sequences");
    const json_t *lp = field(gc, "responseLogprobs", "response_logprobs");
    const json_t *tcfg = field(gc, "thinkingConfig", "thinking_config");
    int rc;

    *include = false;
    if (gc == NULL || json_is_null(gc))
        return 0;
    if (!json_is_object(gc))
        return lmx_perr_bad(cv->err, "generationConfig", "generationConfig must be an object");
    for (size_t i = 0; i < LMX_ARRAY_SIZE(nums); i++) {
        rc = num_param(cv, gc, nums[i][0], nums[i][1], out, nums[i][2]);
        if (rc < 0)
            return rc;
    }
    if (stop != NULL && !json_is_null(stop)) {
        size_t i;
        const json_t *s;

        if (!json_is_array(stop))
            return lmx_perr_bad(cv->err, "generationConfig",
                                "generationConfig.stopSequences must be an array of strings");
        json_array_foreach(stop, i, s) {
            if (!json_is_string(s))
                return lmx_perr_bad(cv->err, "generationConfig",
                                    "generationConfig.stopSequences[%zu] must be a string", i);
        }
        if (json_array_size(stop) > 0 && json_object_set(out, "stop", (json_t *)stop) < 0)
            return oom(cv->err);
    }
    if (json_is_true(lp)) {
        if (json_object_set_new(out, "logprobs", json_true()) < 0)
            return oom(cv->err);
        rc = num_param(cv, gc, "logprobs", NULL, out, "top_logprobs");
        if (rc < 0)
            return rc;
    }
    rc = map_response_format(cv, gc, out);
    if (rc == 0 && json_is_object(tcfg))
        rc = map_thinking(cv, tcfg, out, include);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Per-call state */

struct gcall {
    char *id;   /* canonical tool-call id */
    char *name; /* function name */
    struct lmx_buf args;
    bool sent;
};

struct gchoice {
    struct gcall *calls;
    size_t ncalls;
    const char *finish; /* Gemini finishReason once the canonical one arrived */
    bool seen;
};

struct gstate {
    bool include_thoughts; /* the request asked for thought parts */
    bool final_sent;       /* the event with finishReason and usageMetadata went out */
    size_t sent;           /* events sent (JSON-array framing: a ',' before all but the first) */
    char *response_id;     /* the first chunk's id */
    json_t *usage;         /* the latest canonical usage */
    size_t gen_ids;        /* ids made up for calls that came without one */
    struct gchoice ch[MAX_CHOICES];
};

static struct gstate *state_of(struct lmx_dcall *dc)
{
    if (dc->state == NULL)
        dc->state = lmx_calloc(1, sizeof(struct gstate));
    return dc->state;
}

static void gemini_release(struct lmx_dcall *dc)
{
    struct gstate *st = dc->state;

    if (st == NULL)
        return;
    for (size_t i = 0; i < MAX_CHOICES; i++) {
        for (size_t k = 0; k < st->ch[i].ncalls; k++) {
            lmx_free(st->ch[i].calls[k].id);
            lmx_free(st->ch[i].calls[k].name);
            lmx_buf_release(&st->ch[i].calls[k].args);
        }
        lmx_free(st->ch[i].calls);
    }
    lmx_free(st->response_id);
    json_decref(st->usage);
    lmx_free(st);
    dc->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Request */

static int
gemini_request(struct lmx_dcall *dc, const json_t *in, json_t **out, struct lmx_perr *err)
{
    struct conv cv = {dc, err, NULL, NULL, 0};
    const json_t *contents = json_object_get(in, "contents");
    const char *model = dc->path_model;
    json_t *req = NULL;
    bool include = false;
    int rc;

    *out = NULL;
    if (!json_is_object(in))
        return lmx_perr_bad(err, NULL, "the request body must be a JSON object");
    if (model == NULL || *model == '\0')
        model = json_string_value(json_object_get(in, "model"));
    if (model != NULL && strncmp(model, "models/", 7) == 0)
        model += 7;
    if (model == NULL || *model == '\0')
        return lmx_perr_bad(err, "model", "the request names no model");
    if (contents == NULL || json_is_null(contents))
        return lmx_perr_bad(err, "contents",
                            "GenerateContentRequest.contents: contents is not specified");
    if (!json_is_array(contents) && !json_is_object(contents))
        return lmx_perr_bad(err, "contents",
                            "GenerateContentRequest.contents must be an array of Content");
    if (list_size(contents) == 0)
        return lmx_perr_bad(err, "contents",
                            "GenerateContentRequest.contents: contents is not specified");
    cv.msgs = json_array();
    cv.calls = json_array();
    req = json_pack("{s:s}", "model", model);
    if (cv.msgs == NULL || cv.calls == NULL || req == NULL)
        goto nomem;
    rc = system_msg(&cv, field(in, "systemInstruction", "system_instruction"));
    for (size_t i = 0; rc == 0 && i < list_size(contents); i++)
        rc = content_msgs(&cv, list_get(contents, i), i);
    if (rc < 0)
        goto out;
    if (json_array_size(cv.msgs) == 0) {
        rc = lmx_perr_bad(err, "contents",
                          "GenerateContentRequest.contents: no part carries content");
        goto out;
    }
    if (json_object_set(req, "messages", cv.msgs) < 0)
        goto nomem;
    rc = map_tools(&cv, in, req);
    if (rc == 0)
        rc = map_tool_config(&cv, in, req);
    if (rc == 0)
        rc = generation_config(&cv, field(in, "generationConfig", "generation_config"), req,
                               &include);
    if (rc < 0)
        goto out;
    if (set_new(req, "stream", json_boolean(dc->path_stream)) < 0)
        goto nomem;
    if (dc->path_stream &&
        set_new(req, "stream_options", json_pack("{s:b}", "include_usage", 1)) < 0)
        goto nomem;
    if (state_of(dc) == NULL)
        goto nomem;
    ((struct gstate *)dc->state)->include_thoughts = include;
    dc->stream = dc->path_stream;
    *out = req;
    req = NULL;
    rc = 0;
    goto out;
nomem:
    rc = oom(err);
out:
    json_decref(req);
    json_decref(cv.msgs);
    json_decref(cv.calls);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* Canonical finish_reason -> Gemini finishReason. */
static const char *finish_of(const char *fr)
{
    if (fr == NULL || strcmp(fr, "stop") == 0 || strcmp(fr, "tool_calls") == 0 ||
        strcmp(fr, "function_call") == 0)
        return "STOP";
    if (strcmp(fr, "length") == 0)
        return "MAX_TOKENS";
    if (strcmp(fr, "content_filter") == 0)
        return "SAFETY";
    return "OTHER";
}

/* usageMetadata from a canonical usage object; NULL when there is none (or out
 * of memory). */
static json_t *usage_metadata(const json_t *u)
{
    json_int_t prompt, completion, total, reasoning, cached;
    json_t *um;

    if (!json_is_object(u))
        return NULL;
    prompt = json_integer_value(json_object_get(u, "prompt_tokens"));
    completion = json_integer_value(json_object_get(u, "completion_tokens"));
    total = json_is_integer(json_object_get(u, "total_tokens"))
                ? json_integer_value(json_object_get(u, "total_tokens"))
                : prompt + completion;
    reasoning = json_integer_value(
        json_object_get(json_object_get(u, "completion_tokens_details"), "reasoning_tokens"));
    cached = json_integer_value(
        json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens"));
    /* Gemini counts thoughts apart from candidates; the canonical completion
     * includes them */
    um = json_pack("{s:I, s:I, s:I}", "promptTokenCount", prompt, "candidatesTokenCount",
                   completion > reasoning ? completion - reasoning : 0, "totalTokenCount", total);
    if (um == NULL)
        return NULL;
    if (cached > 0 && set_new(um, "cachedContentTokenCount", json_integer(cached)) < 0)
        goto nomem;
    if (reasoning > 0 && set_new(um, "thoughtsTokenCount", json_integer(reasoning)) < 0)
        goto nomem;
    return um;
nomem:
    json_decref(um);
    return NULL;
}

/*
 * {"functionCall":{"id","name","args"}} (+ "thoughtSignature" split off the
 * id) from a canonical call; arguments that are not a JSON object become {}.
 */
static json_t *function_call_part(const char *id, const char *name, const char *args, size_t alen)
{
    const char *sep = id != NULL ? strstr(id, SIG_SEP) : NULL;
    json_t *a = NULL, *p;
    size_t ws = args != NULL ? strspn(args, " \t\r\n") : 0;

    if (args != NULL && ws < alen) {
        a = json_loadb(args, alen, 0, NULL);
        /* jansson reports running out of memory as a syntax error: a well-formed object that
           failed to load is out of memory, not bad arguments */
        if (a == NULL && lmx_jscan_check(args, alen) == 0)
            return NULL;
        if (!json_is_object(a)) {
            lmx_warn("gemini dialect: the arguments of tool call '%s' are not a JSON "
                     "object",
                     name != NULL ? name : "");
            json_decref(a);
            a = NULL;
        }
    }
    if (a == NULL)
        a = json_object();
    p = json_pack("{s:{s:s%, s:s, s:o}}", "functionCall", "id", id != NULL ? id : "",
                  sep != NULL ? (size_t)(sep - id) : (id != NULL ? strlen(id) : 0), "name",
                  name != NULL ? name : "", "args", a);
    if (p != NULL && (id == NULL || *id == '\0'))
        json_object_del(json_object_get(p, "functionCall"), "id");
    if (p != NULL && sep != NULL && sep[strlen(SIG_SEP)] != '\0' &&
        set_new(p, "thoughtSignature", json_string(sep + strlen(SIG_SEP))) < 0) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* The parts of one answer message: thoughts (when asked), text, calls. Never
 * empty. */
static json_t *message_parts(const json_t *msg, bool thoughts)
{
    const json_t *rc = json_object_get(msg, "reasoning_content");
    const json_t *tcs = json_object_get(msg, "tool_calls"),
                 *fc = json_object_get(msg, "function_call");
    json_t *parts = json_array();
    struct lmx_buf text;
    size_t i;
    const json_t *tc;

    if (parts == NULL)
        return NULL;
    lmx_buf_init(&text, TEXT_MAX);
    if (thoughts && json_string_length(rc) > 0 &&
        append_new(parts, json_pack("{s:O, s:b}", "text", rc, "thought", 1)) < 0)
        goto nomem;
    if (lmx_content_text(json_object_get(msg, "content"), &text) < 0)
        goto nomem;
    if (text.len > 0 && append_new(parts, json_pack("{s:s%}", "text", text.data, text.len)) < 0)
        goto nomem;
    json_array_foreach(tcs, i, tc) {
        const json_t *fn = json_object_get(tc, "function");
        const char *a = json_string_value(json_object_get(fn, "arguments"));

        if (append_new(parts, function_call_part(json_string_value(json_object_get(tc, "id")),
                                                 json_string_value(json_object_get(fn, "name")), a,
                                                 a != NULL ? strlen(a) : 0)) < 0)
            goto nomem;
    }
    if (json_is_object(fc)) {
        const char *a = json_string_value(json_object_get(fc, "arguments"));

        if (append_new(parts,
                       function_call_part(NULL, json_string_value(json_object_get(fc, "name")), a,
                                          a != NULL ? strlen(a) : 0)) < 0)
            goto nomem;
    }
    if (json_array_size(parts) == 0 && append_new(parts, json_pack("{s:s}", "text", "")) < 0)
        goto nomem;
    lmx_buf_release(&text);
    return parts;
nomem:
    lmx_buf_release(&text);
    json_decref(parts);
    return NULL;
}

/* The model name an answer reports: the client's, else the canonical one. */
static const char *model_version(const struct lmx_dcall *dc, const json_t *canon)
{
    const char *m =
        dc->model != NULL ? dc->model : json_string_value(json_object_get(canon, "model"));

    return m != NULL ? m : "";
}

/* Sets "modelVersion" and "responseId" on a response object. */
static int set_tail(json_t *r, const char *model, const char *id)
{
    if (set_new(r, "modelVersion", json_string(model)) < 0)
        return LMX_ENOMEM;
    if (id != NULL && set_new(r, "responseId", json_string(id)) < 0)
        return LMX_ENOMEM;
    return 0;
}

static int gemini_response(struct lmx_dcall *dc, const json_t *resp, struct lmx_buf *out)
{
    const struct gstate *st = dc->state;
    const json_t *choices = json_object_get(resp, "choices"), *ch;
    json_t *r = NULL, *cands = json_array(), *um;
    size_t i, mark = out->len;
    int rc = LMX_ENOMEM;

    if (cands == NULL)
        return LMX_ENOMEM;
    json_array_foreach(choices, i, ch) {
        const json_t *idx = json_object_get(ch, "index");
        json_t *parts =
            message_parts(json_object_get(ch, "message"), st != NULL && st->include_thoughts);

        if (parts == NULL)
            goto out;
        if (append_new(cands,
                       json_pack("{s:{s:o, s:s}, s:s, s:I}", "content", "parts", parts, "role",
                                 "model", "finishReason",
                                 finish_of(json_string_value(json_object_get(ch, "finish_reason"))),
                                 "index",
                                 json_is_integer(idx) ? json_integer_value(idx) : (json_int_t)i)) <
            0)
            goto out;
    }
    r = json_pack("{s:O}", "candidates", cands);
    if (r == NULL)
        goto out;
    um = usage_metadata(json_object_get(resp, "usage"));
    if (um != NULL && json_object_set_new(r, "usageMetadata", um) < 0)
        goto out;
    if (set_tail(r, model_version(dc, resp), json_string_value(json_object_get(resp, "id"))) < 0)
        goto out;
    rc = put_json(out, r);
    if (rc < 0)
        buf_truncate(out, mark);
out:
    json_decref(cands);
    json_decref(r);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams */

/*
 * Appends one event: `data: {...}\r\n\r\n` with alt=sse, else an element of
 * the JSON array Google streams without it ("[{...}", ",\r\n{...}", the "]"
 * in stream_end). On failure out is as it was.
 */
static int put_event(struct lmx_dcall *dc, struct lmx_buf *out, const json_t *ev)
{
    struct gstate *st = dc->state;
    size_t mark = out->len;
    bool first = st == NULL || st->sent == 0;
    int rc = lmx_buf_puts(out, !dc->path_array ? "data: " : first ? "[" : ",\r\n");

    if (rc == 0)
        rc = put_json(out, ev);
    if (rc == 0 && !dc->path_array)
        rc = lmx_buf_puts(out, "\r\n\r\n");
    if (rc < 0)
        buf_truncate(out, mark);
    else if (st != NULL)
        st->sent++;
    return rc;
}

/*
 * Appends the functionCall parts of the calls of gc before index `upto` not
 * sent yet; a call that never got an id gets "call_<n>", so it can be answered.
 */
static int flush_calls(struct gstate *st, struct gchoice *gc, size_t upto, json_t *parts)
{
    for (size_t k = 0; k < gc->ncalls && k < upto; k++) {
        struct gcall *c = &gc->calls[k];
        char gen[32];

        if (c->sent)
            continue;
        if (c->id == NULL) {
            snprintf(gen, sizeof(gen), "call_%zu", st->gen_ids++);
            c->id = lmx_strdup(gen);
            if (c->id == NULL)
                return LMX_ENOMEM;
        }
        if (append_new(parts, function_call_part(c->id, c->name, c->args.data, c->args.len)) < 0)
            return LMX_ENOMEM;
        c->sent = true;
    }
    return 0;
}

/* One streamed tool-call delta: accumulated; a new call completes the ones
 * before it. */
static int call_delta(struct gstate *st, struct gchoice *gc, const json_t *tc, json_t *parts)
{
    const json_t *idx = json_object_get(tc, "index");
    const json_t *fn = json_object_get(tc, "function");
    const char *id = json_string_value(json_object_get(tc, "id"));
    const char *name = json_string_value(json_object_get(fn, "name"));
    const json_t *args = json_object_get(fn, "arguments");
    size_t k = json_is_integer(idx) && json_integer_value(idx) >= 0
                   ? (size_t)json_integer_value(idx)
                   : (id != NULL || gc->ncalls == 0 ? gc->ncalls : gc->ncalls - 1);
    struct gcall *c;

    if (k >= MAX_CALLS)
        return 0;
    if (k >= gc->ncalls) {
        struct gcall *calls = lmx_realloc(gc->calls, (k + 1) * sizeof(*calls));

        if (calls == NULL)
            return LMX_ENOMEM;
        gc->calls = calls;
        for (size_t j = gc->ncalls; j <= k; j++) {
            memset(&calls[j], 0, sizeof(calls[j]));
            lmx_buf_init(&calls[j].args, ARGS_MAX);
        }
        gc->ncalls = k + 1;
        if (flush_calls(st, gc, k, parts) < 0) /* calls stream one after the other */
            return LMX_ENOMEM;
    }
    c = &gc->calls[k];
    if (c->sent)
        return 0;
    if (c->id == NULL && id != NULL && *id != '\0') {
        c->id = lmx_strdup(id);
        if (c->id == NULL)
            return LMX_ENOMEM;
    }
    if (c->name == NULL && name != NULL) {
        c->name = lmx_strdup(name);
        if (c->name == NULL)
            return LMX_ENOMEM;
    }
    if (json_is_string(args))
        return lmx_buf_append(&c->args, json_string_value(args), json_string_length(args));
    if (json_is_object(args)) /* a provider that sends the arguments as an object */
        return put_json(&c->args, args);
    return 0;
}

/* The last event: finishReason of every choice and usageMetadata. */
static int final_event(struct lmx_dcall *dc, struct gstate *st, struct lmx_buf *out)
{
    json_t *ev = NULL, *cands = json_array(), *um;
    bool any = false;
    int rc = LMX_ENOMEM;

    if (cands == NULL)
        return LMX_ENOMEM;
    for (size_t i = 0; i < MAX_CHOICES; i++)
        any = any || st->ch[i].seen;
    for (size_t i = 0; i < MAX_CHOICES; i++) {
        struct gchoice *gc = &st->ch[i];
        json_t *parts;

        if (!gc->seen && (any || i > 0))
            continue; /* with no choice seen, choice 0 still gets its finishReason */
        parts = json_array();
        if (parts == NULL || flush_calls(st, gc, gc->ncalls, parts) < 0 ||
            (json_array_size(parts) == 0 &&
             append_new(parts, json_pack("{s:s}", "text", "")) < 0)) {
            json_decref(parts);
            goto out;
        }
        if (append_new(cands,
                       json_pack("{s:{s:o, s:s}, s:s, s:I}", "content", "parts", parts, "role",
                                 "model", "finishReason", gc->finish != NULL ? gc->finish : "STOP",
                                 "index", (json_int_t)i)) < 0)
            goto out;
    }
    ev = json_pack("{s:O}", "candidates", cands);
    if (ev == NULL)
        goto out;
    um = usage_metadata(st->usage);
    if (um != NULL && json_object_set_new(ev, "usageMetadata", um) < 0)
        goto out;
    if (set_tail(ev, model_version(dc, NULL), st->response_id) < 0)
        goto out;
    rc = put_event(dc, out, ev);
    if (rc == 0)
        st->final_sent = true;
out:
    json_decref(cands);
    json_decref(ev);
    return rc;
}

/* One choice of a chunk -> the parts it completes (text now, calls once whole).
 */
static int chunk_choice(struct gstate *st, struct gchoice *gc, const json_t *ch, json_t *parts)
{
    const json_t *delta = json_object_get(ch, "delta");
    const json_t *rc = json_object_get(delta, "reasoning_content");
    const json_t *text = json_object_get(delta, "content");
    const char *fr = json_string_value(json_object_get(ch, "finish_reason"));
    const json_t *tcs = json_object_get(delta, "tool_calls"), *tc;
    size_t i;

    gc->seen = true;
    if (st->include_thoughts && json_string_length(rc) > 0 &&
        append_new(parts, json_pack("{s:O, s:b}", "text", rc, "thought", 1)) < 0)
        return LMX_ENOMEM;
    if (json_string_length(text) > 0 && append_new(parts, json_pack("{s:O}", "text", text)) < 0)
        return LMX_ENOMEM;
    json_array_foreach(tcs, i, tc) {
        int err = call_delta(st, gc, tc, parts);

        if (err < 0)
            return err;
    }
    if (fr != NULL) {
        gc->finish = finish_of(fr);
        if (flush_calls(st, gc, gc->ncalls, parts) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static int gemini_stream_chunk(struct lmx_dcall *dc, const json_t *chunk, struct lmx_buf *out)
{
    struct gstate *st = state_of(dc);
    const json_t *choices = json_object_get(chunk, "choices"), *ch;
    const json_t *usage = json_object_get(chunk, "usage");
    const char *id = json_string_value(json_object_get(chunk, "id"));
    json_t *cands = NULL, *ev = NULL;
    size_t i;
    int rc = LMX_ENOMEM;

    if (st == NULL)
        return LMX_ENOMEM;
    if (st->final_sent)
        return 0;
    if (st->response_id == NULL && id != NULL && *id != '\0') {
        st->response_id = lmx_strdup(id);
        if (st->response_id == NULL)
            return LMX_ENOMEM;
    }
    if (json_is_object(usage)) {
        json_decref(st->usage);
        st->usage = json_incref((json_t *)usage);
    }
    cands = json_array();
    if (cands == NULL)
        return LMX_ENOMEM;
    json_array_foreach(choices, i, ch) {
        const json_t *idx = json_object_get(ch, "index");
        size_t k = json_is_integer(idx) && json_integer_value(idx) >= 0
                       ? (size_t)json_integer_value(idx)
                       : i;
        json_t *parts;

        if (k >= MAX_CHOICES)
            continue; /* more choices than tracked: not sent */
        parts = json_array();
        if (parts == NULL)
            goto out;
        rc = chunk_choice(st, &st->ch[k], ch, parts);
        if (rc < 0) {
            json_decref(parts);
            goto out;
        }
        rc = LMX_ENOMEM;
        if (json_array_size(parts) == 0) {
            json_decref(parts);
            continue;
        }
        if (append_new(cands, json_pack("{s:{s:o, s:s}, s:I}", "content", "parts", parts, "role",
                                        "model", "index", (json_int_t)k)) < 0)
            goto out;
    }
    if (json_array_size(cands) > 0) {
        ev = json_pack("{s:O}", "candidates", cands);
        if (ev == NULL || set_tail(ev, model_version(dc, chunk), st->response_id) < 0)
            goto out;
        rc = put_event(dc, out, ev);
        if (rc < 0)
            goto out;
    }
    rc = 0;
    if (json_array_size(choices) == 0 && json_is_object(usage))
        rc = final_event(dc, st, out); /* the usage chunk closes the canonical stream */
out:
    json_decref(cands);
    json_decref(ev);
    return rc;
}

static int gemini_stream_end(struct lmx_dcall *dc, struct lmx_buf *out)
{
    struct gstate *st = state_of(dc);

    int rc;

    if (st == NULL)
        return LMX_ENOMEM;
    rc = st->final_sent ? 0 : final_event(dc, st, out);
    if (rc == 0 && dc->path_array)
        rc = lmx_buf_puts(out, st->sent == 0 ? "[]" : "]");
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Errors */

/* The google.rpc status name for an HTTP status (and the OpenAI error type when
 * it is unusual). */
static const char *rpc_status(int status, const char *type)
{
    /* clang-format off */
    static const struct { int status; const char *rpc; } map[] = {
        {400, "INVALID_ARGUMENT"},   {401, "UNAUTHENTICATED"},  {403, "PERMISSION_DENIED"},
        {404, "NOT_FOUND"},          {408, "DEADLINE_EXCEEDED"}, {409, "ABORTED"},
        {429, "RESOURCE_EXHAUSTED"}, {499, "CANCELLED"},         {500, "INTERNAL"},
        {501, "UNIMPLEMENTED"},      {503, "UNAVAILABLE"},       {504, "DEADLINE_EXCEEDED"},
        {529, "UNAVAILABLE"}, /* Anthropic's "overloaded" */
    };
    /* clang-format on */

    for (size_t i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (map[i].status == status)
            return map[i].rpc;
    if (type != NULL && strcmp(type, "rate_limit_error") == 0)
        return "RESOURCE_EXHAUSTED";
    if (type != NULL && strcmp(type, "auth_error") == 0)
        return status == 403 ? "PERMISSION_DENIED" : "UNAUTHENTICATED";
    if (type != NULL && strcmp(type, "not_found_error") == 0)
        return "NOT_FOUND";
    if (type != NULL && strcmp(type, "timeout") == 0)
        return "DEADLINE_EXCEEDED";
    if (status >= 400 && status < 500)
        return "INVALID_ARGUMENT";
    return "INTERNAL";
}

/* {"error":{"code","message","status"}}: a new object, or NULL when out of
 * memory. */
static json_t *error_obj(int status, const char *type, const char *message)
{
    return json_pack("{s:{s:i, s:s, s:s}}", "error", "code", status, "message",
                     message != NULL ? message : "", "status", rpc_status(status, type));
}

static void
gemini_error_body(int status, const char *type, const char *message, struct lmx_buf *out)
{
    json_t *e = error_obj(status, type, message);
    size_t mark = out->len;

    if (e != NULL && put_json(out, e) < 0)
        buf_truncate(out, mark);
    json_decref(e);
}

static void gemini_stream_error(
    struct lmx_dcall *dc, int status, const char *type, const char *message, struct lmx_buf *out)
{
    json_t *e = error_obj(status, type, message);

    if (e != NULL && put_event(dc, out, e) == 0 && dc->path_array)
        lmx_buf_puts(out, "]"); /* the array is closed: the stream ends here */
    json_decref(e);
}

const struct lmx_dialect_ops lmx_dialect_gemini = {
    .name = "gemini",
    .stream_content_type = "text/event-stream",
    .request = gemini_request,
    .response = gemini_response,
    .stream_chunk = gemini_stream_chunk,
    .stream_end = gemini_stream_end,
    .error_body = gemini_error_body,
    .stream_error = gemini_stream_error,
    .release = gemini_release,
};
