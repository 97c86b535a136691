/*
 * tools/mock/body.c - llmux-mock: reading request bodies and writing the
 * response bodies (chat, text completion, embeddings, models, errors, stream
 * events).
 *
 * Requests are parsed with jansson (we need the model, the stream flags and
 * the word counts); responses are written straight into lmx_buf with
 * printf-style appends, never through a JSON DOM, so the hot path stays cheap.
 * Everything produced is deterministic except "created" (the wall clock).
 */
#include "core/lmx.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "mock.h"

static const char pattern[] = "mock ";
#define PATTERN_LEN 5

/* ------------------------------------------------------------------------ */
/* Generated text */

void mock_text(char *out, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = pattern[(off + i) % PATTERN_LEN];
}

long mock_text_words(size_t n)
{
    return (long)(n / PATTERN_LEN + (n % PATTERN_LEN != 0));
}

/* Appends n bytes of generated text starting at offset off (no JSON escaping needed). */
static int buf_text(struct lmx_buf *b, size_t off, size_t n)
{
    int err = lmx_buf_reserve(b, n);

    if (err < 0)
        return err;
    mock_text(b->data + b->len, off, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests */

static long count_words(const char *s, size_t n)
{
    long words = 0;
    bool in_word = false;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';

        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

/* Words of a message content: a string, or an array of parts with "text". */
static long content_words(const json_t *content)
{
    long words = 0;
    size_t i;
    json_t *part;

    if (json_is_string(content))
        return count_words(json_string_value(content), json_string_length(content));
    if (!json_is_array(content))
        return 0;
    json_array_foreach(content, i, part) {
        json_t *text = json_object_get(part, "text");

        if (json_is_string(text))
            words += count_words(json_string_value(text), json_string_length(text));
        else if (json_is_string(part))
            words += count_words(json_string_value(part), json_string_length(part));
    }
    return words;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

#define FNV_INIT 14695981039346656037ull

/* Hash and word (or token) count of one input: a string or an array of token ids. */
static void input_measure(const json_t *v, uint64_t *hash, long *words)
{
    uint64_t h = FNV_INIT;
    size_t i;
    json_t *tok;

    if (json_is_string(v)) {
        *hash = fnv1a(h, json_string_value(v), json_string_length(v));
        *words = count_words(json_string_value(v), json_string_length(v));
        return;
    }
    *words = 0;
    json_array_foreach(v, i, tok) {
        json_int_t t = json_integer_value(tok);

        h = fnv1a(h, &t, sizeof(t));
        (*words)++;
    }
    *hash = h;
}

/* Embedding/completion inputs: a string, an array of strings, tokens, or token arrays. */
static int inputs_read(struct mock_in *in, const json_t *input, bool keep_hashes)
{
    size_t n = 1, i;
    long w;
    json_t *v;
    bool single = !json_is_array(input) || json_array_size(input) == 0 ||
                  json_is_integer(json_array_get(input, 0));

    if (!single)
        n = json_array_size(input);
    if (keep_hashes) {
        in->input_hash = lmx_calloc(n, sizeof(*in->input_hash));
        if (in->input_hash == NULL)
            return LMX_ENOMEM;
    }
    in->ninputs = n;
    in->prompt_words = 0;
    if (single) {
        uint64_t h = FNV_INIT;

        if (json_is_string(input) || json_is_array(input))
            input_measure(input, &h, &w);
        else
            w = 0;
        in->prompt_words = w;
        if (keep_hashes)
            in->input_hash[0] = h;
        return 0;
    }
    json_array_foreach(input, i, v) {
        uint64_t h = FNV_INIT;

        w = 0;
        if (json_is_string(v) || json_is_array(v))
            input_measure(v, &h, &w);
        in->prompt_words += w;
        if (keep_hashes)
            in->input_hash[i] = h;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Fast path for chat requests: a single pass over the body that reads only
 * what the answer needs, without building a DOM. It understands plain JSON
 * and gives up (LMX_DECLINED: use jansson) on anything unusual: escapes in
 * keys or in the model, non-ASCII bytes, \u0000 and surrogates, nesting deeper
 * than SCAN_DEPTH, syntax errors (so the 400 for bad JSON still comes from
 * jansson, and whatever this accepts jansson accepts too, same values). */

#define SCAN_DEPTH 64

struct scan {
    const char *p, *end;
};

static void scan_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool scan_lit(struct scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* After the opening quote: finds the closing one. *esc tells whether escapes occur. */
static int scan_str(struct scan *s, const char **start, size_t *len, bool *esc)
{
    const char *p = s->p;

    *start = p;
    *esc = false;
    while (p < s->end) {
        unsigned char c = (unsigned char)*p;

        if (c == '"') {
            *len = (size_t)(p - *start);
            s->p = p + 1;
            return 0;
        }
        if (c < 0x20 || c >= 0x80) /* jansson checks UTF-8 */
            return LMX_DECLINED;
        if (c == '\\') {
            *esc = true;
            if (p + 1 >= s->end)
                return LMX_DECLINED;
            if (p[1] == 'u') {
                unsigned v = 0;

                if (s->end - p < 6)
                    return LMX_DECLINED;
                for (int i = 2; i < 6; i++) {
                    unsigned char h = (unsigned char)p[i];

                    if (h >= '0' && h <= '9')
                        v = v * 16 + (unsigned)(h - '0');
                    else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
                        v = v * 16 + (unsigned)((h | 0x20) - 'a' + 10);
                    else
                        return LMX_DECLINED;
                }
                /* jansson rejects \u0000 and checks surrogate pairs: let it decide */
                if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
                    return LMX_DECLINED;
                p += 6;
                continue;
            }
            if (strchr("\"\\/bfnrt", p[1]) == NULL || p[1] == '\0')
                return LMX_DECLINED;
            p += 2;
            continue;
        }
        p++;
    }
    return LMX_DECLINED;
}

/* Words of a raw (still escaped) JSON string; escapes of whitespace count as whitespace. */
static long raw_words(const char *p, size_t n, bool esc)
{
    long words = 0;
    bool in_word = false;

    if (!esc)
        return count_words(p, n);
    for (size_t i = 0; i < n;) {
        bool space;

        if (p[i] == '\\' && p[i + 1] == 'u') {
            unsigned v = 0;

            for (int k = 2; k < 6; k++) {
                unsigned char h = (unsigned char)p[i + (size_t)k];

                v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
            }
            space = v == ' ' || (v >= 9 && v <= 13);
            i += 6;
        } else if (p[i] == '\\') {
            char e = p[i + 1];

            space = e == 'n' || e == 't' || e == 'r' || e == 'f';
            i += 2;
        } else {
            unsigned char c = (unsigned char)p[i];

            space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
            i++;
        }
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

static int scan_value(struct scan *s, int depth);

static int scan_number(struct scan *s)
{
    const char *p = s->p;

    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end || *p < '0' || *p > '9')
        return LMX_DECLINED;
    if (*p == '0')
        p++;
    else
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    if (p < s->end && *p == '.') {
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return LMX_DECLINED;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        const char *digits;

        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return LMX_DECLINED;
        digits = p;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
        if (p - digits > 2)
            return LMX_DECLINED;
    }
    /* long numbers may overflow jansson's integers or doubles: let it decide */
    if (p - s->p > 15)
        return LMX_DECLINED;
    s->p = p;
    return 0;
}

/*
 * Object members one by one: calls `member` with the raw key (no escapes) and
 * the scanner on the value; `member` must consume the value. Returns 0 or
 * LMX_DECLINED.
 */
typedef int (*scan_member_fn)(struct scan *s, const char *key, size_t klen, int depth, void *arg);

static int scan_object(struct scan *s, int depth, scan_member_fn member, void *arg)
{
    const char *k;
    size_t kl;
    bool esc;

    if (depth > SCAN_DEPTH)
        return LMX_DECLINED;
    s->p++; /* '{' */
    scan_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return LMX_DECLINED;
        s->p++;
        if (scan_str(s, &k, &kl, &esc) < 0 || esc)
            return LMX_DECLINED;
        scan_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return LMX_DECLINED;
        s->p++;
        scan_ws(s);
        if ((member != NULL ? member(s, k, kl, depth, arg) : scan_value(s, depth + 1)) < 0)
            return LMX_DECLINED;
        scan_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            scan_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return LMX_DECLINED;
    }
}

/* Array elements one by one; `elem` (or a plain skip) consumes each. */
typedef int (*scan_elem_fn)(struct scan *s, int depth, void *arg);

static int scan_array(struct scan *s, int depth, scan_elem_fn elem, void *arg)
{
    if (depth > SCAN_DEPTH)
        return LMX_DECLINED;
    s->p++; /* '[' */
    scan_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if ((elem != NULL ? elem(s, depth, arg) : scan_value(s, depth + 1)) < 0)
            return LMX_DECLINED;
        scan_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            scan_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        return LMX_DECLINED;
    }
}

static int scan_value(struct scan *s, int depth)
{
    const char *str;
    size_t n;
    bool esc;

    if (s->p >= s->end)
        return LMX_DECLINED;
    switch (*s->p) {
    case '{':
        return scan_object(s, depth, NULL, NULL);
    case '[':
        return scan_array(s, depth, NULL, NULL);
    case '"':
        s->p++;
        return scan_str(s, &str, &n, &esc);
    case 't':
        return scan_lit(s, "true", 4) ? 0 : LMX_DECLINED;
    case 'f':
        return scan_lit(s, "false", 5) ? 0 : LMX_DECLINED;
    case 'n':
        return scan_lit(s, "null", 4) ? 0 : LMX_DECLINED;
    default:
        return scan_number(s);
    }
}

#define KEY_IS(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)

/* A string value's words, or 0 (and the value skipped) for anything else. */
static int scan_words_if_string(struct scan *s, int depth, long *words)
{
    const char *str;
    size_t n;
    bool esc;

    if (s->p < s->end && *s->p == '"') {
        s->p++;
        if (scan_str(s, &str, &n, &esc) < 0)
            return LMX_DECLINED;
        *words += raw_words(str, n, esc);
        return 0;
    }
    return scan_value(s, depth + 1);
}

static int part_member(struct scan *s, const char *key, size_t klen, int depth, void *arg)
{
    long *text_words = arg;

    if (KEY_IS("text")) {
        *text_words = 0; /* jansson keeps the last duplicate */
        return scan_words_if_string(s, depth, text_words);
    }
    return scan_value(s, depth + 1);
}

static int part_elem(struct scan *s, int depth, void *arg)
{
    long *words = arg, w = 0;

    if (s->p < s->end && *s->p == '{') {
        int err = scan_object(s, depth + 1, part_member, &w);

        *words += w;
        return err;
    }
    return scan_words_if_string(s, depth, words);
}

static int message_member(struct scan *s, const char *key, size_t klen, int depth, void *arg)
{
    long *words = arg;

    if (!KEY_IS("content"))
        return scan_value(s, depth + 1);
    *words = 0;
    if (s->p < s->end && *s->p == '[')
        return scan_array(s, depth + 1, part_elem, words);
    return scan_words_if_string(s, depth, words);
}

static int message_elem(struct scan *s, int depth, void *arg)
{
    long *words = arg, w = 0;
    int err;

    if (s->p >= s->end || *s->p != '{')
        return scan_value(s, depth + 1);
    err = scan_object(s, depth + 1, message_member, &w);
    *words += w;
    return err;
}

static int options_member(struct scan *s, const char *key, size_t klen, int depth, void *arg)
{
    bool *include_usage = arg;

    if (KEY_IS("include_usage")) {
        *include_usage = s->p < s->end && *s->p == 't';
        return scan_value(s, depth + 1);
    }
    return scan_value(s, depth + 1);
}

static int chat_member(struct scan *s, const char *key, size_t klen, int depth, void *arg)
{
    struct mock_in *in = arg;

    if (KEY_IS("model")) {
        const char *str;
        size_t n;
        bool esc;

        in->model = NULL;
        if (s->p >= s->end || *s->p != '"')
            return scan_value(s, depth + 1);
        s->p++;
        if (scan_str(s, &str, &n, &esc) < 0 || esc)
            return LMX_DECLINED;
        in->model = str;
        in->model_len = n;
        return 0;
    }
    if (KEY_IS("stream")) {
        in->stream = s->p < s->end && *s->p == 't';
        return scan_value(s, depth + 1);
    }
    if (KEY_IS("stream_options")) {
        in->include_usage = false;
        if (s->p < s->end && *s->p == '{')
            return scan_object(s, depth + 1, options_member, &in->include_usage);
        return scan_value(s, depth + 1);
    }
    if (KEY_IS("messages")) {
        in->prompt_words = 0;
        if (s->p < s->end && *s->p == '[')
            return scan_array(s, depth + 1, message_elem, &in->prompt_words);
        return scan_value(s, depth + 1);
    }
    return scan_value(s, depth + 1);
}

#undef KEY_IS

/* Fills `in` from a chat body without jansson; LMX_DECLINED when jansson must decide. */
static int chat_scan(struct mock_in *in, const char *body, size_t len)
{
    struct scan s = {body, body + len};

    scan_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return LMX_DECLINED;
    if (scan_object(&s, 0, chat_member, in) < 0)
        return LMX_DECLINED;
    scan_ws(&s);
    return s.p == s.end ? 0 : LMX_DECLINED;
}

int mock_in_parse(struct mock_in *in,
                  enum mock_api api,
                  const char *body,
                  size_t len,
                  const char *fallback_model,
                  size_t fallback_len)
{
    json_error_t jerr;
    json_t *v, *opts;
    int err = LMX_EBADJSON;

    memset(in, 0, sizeof(*in));
    in->dims = MOCK_EMBED_DIMS;
    if (api == MOCK_CHAT && chat_scan(in, body, len) == 0) {
        if (in->model == NULL) {
            in->model = fallback_model != NULL ? fallback_model : "mock";
            in->model_len = fallback_model != NULL ? fallback_len : 4;
        }
        if (in->prompt_words < 1)
            in->prompt_words = 1;
        return 0;
    }
    memset(in, 0, sizeof(*in));
    in->dims = MOCK_EMBED_DIMS;
    in->root = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(in->root))
        goto fail;
    v = json_object_get(in->root, "model");
    if (json_is_string(v)) {
        in->model = json_string_value(v);
        in->model_len = json_string_length(v);
    } else if (fallback_model != NULL) {
        in->model = fallback_model;
        in->model_len = fallback_len;
    } else {
        in->model = "mock";
        in->model_len = 4;
    }
    in->stream = json_is_true(json_object_get(in->root, "stream"));
    opts = json_object_get(in->root, "stream_options");
    in->include_usage = json_is_true(json_object_get(opts, "include_usage"));

    switch (api) {
    case MOCK_CHAT: {
        json_t *msgs = json_object_get(in->root, "messages"), *m;
        size_t i;

        json_array_foreach(msgs, i, m) {
            in->prompt_words += content_words(json_object_get(m, "content"));
        }
        break;
    }
    case MOCK_COMPLETION:
        err = inputs_read(in, json_object_get(in->root, "prompt"), false);
        if (err < 0)
            goto fail;
        break;
    case MOCK_EMBEDDING:
        err = inputs_read(in, json_object_get(in->root, "input"), true);
        if (err < 0)
            goto fail;
        v = json_object_get(in->root, "dimensions");
        if (json_is_integer(v) && json_integer_value(v) > 0 &&
            json_integer_value(v) <= MOCK_MAX_EMBED_DIMS)
            in->dims = (int)json_integer_value(v);
        v = json_object_get(in->root, "encoding_format");
        in->base64 = json_is_string(v) && strcmp(json_string_value(v), "base64") == 0;
        break;
    }
    if (in->prompt_words < 1)
        in->prompt_words = 1;
    return 0;
fail:
    mock_in_release(in);
    return err;
}

void mock_in_release(struct mock_in *in)
{
    json_decref(in->root);
    lmx_free(in->input_hash);
    in->root = NULL;
    in->input_hash = NULL;
}

/* ------------------------------------------------------------------------ */
/* Whole responses */

static int usage_append(struct lmx_buf *out, long prompt, long completion)
{
    return lmx_buf_printf(out,
                          "\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,"
                          "\"total_tokens\":%ld}",
                          prompt, completion, prompt + completion);
}

int mock_body_chat(struct lmx_buf *out, const struct mock_in *in, uint64_t id, size_t text_len)
{
    int err;

    err = lmx_buf_printf(out,
                         "{\"id\":\"chatcmpl-mock-%" PRIu64 "\",\"object\":\"chat.completion\","
                         "\"created\":%lld,\"model\":",
                         id, (long long)time(NULL));
    if (err == 0)
        err = lmx_buf_json_str(out, in->model, in->model_len);
    if (err == 0)
        err = lmx_buf_puts(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                "\"content\":\"");
    if (err == 0)
        err = buf_text(out, 0, text_len);
    if (err == 0)
        err = lmx_buf_puts(out, "\",\"refusal\":null},\"logprobs\":null,"
                                "\"finish_reason\":\"stop\"}],");
    if (err == 0)
        err = usage_append(out, in->prompt_words, mock_text_words(text_len));
    if (err == 0)
        err = lmx_buf_puts(out, ",\"system_fingerprint\":\"fp_mock\"}");
    return err;
}

int mock_body_completion(struct lmx_buf *out,
                         const struct mock_in *in,
                         uint64_t id,
                         size_t text_len)
{
    int err;

    err = lmx_buf_printf(out,
                         "{\"id\":\"cmpl-mock-%" PRIu64 "\",\"object\":\"text_completion\","
                         "\"created\":%lld,\"model\":",
                         id, (long long)time(NULL));
    if (err == 0)
        err = lmx_buf_json_str(out, in->model, in->model_len);
    if (err == 0)
        err = lmx_buf_puts(out, ",\"choices\":[{\"text\":\"");
    if (err == 0)
        err = buf_text(out, 0, text_len);
    if (err == 0)
        err = lmx_buf_puts(out, "\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],");
    if (err == 0)
        err = usage_append(out, in->prompt_words, mock_text_words(text_len));
    if (err == 0)
        err = lmx_buf_puts(out, "}");
    return err;
}

/* A deterministic value in [-1, 1) for dimension d of an input with hash h. */
static float embed_value(uint64_t h, int d)
{
    uint64_t x = h + 0x9e3779b97f4a7c15ull * (uint64_t)(d + 1);

    /* splitmix64 finaliser */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    /* a multiple of 1e-6, so the text form stays short */
    return (float)((double)(int64_t)((x >> 11) % 2000000u) / 1e6 - 1.0);
}

static int base64_append(struct lmx_buf *out, const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int err = lmx_buf_reserve(out, (n + 2) / 3 * 4);
    char *o;

    if (err < 0)
        return err;
    o = out->data + out->len;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = tab[(v >> 18) & 63];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

int mock_body_embeddings(struct lmx_buf *out, const struct mock_in *in)
{
    int err = lmx_buf_puts(out, "{\"object\":\"list\",\"data\":[");

    for (size_t i = 0; err == 0 && i < in->ninputs; i++) {
        err = lmx_buf_printf(
            out, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
        if (err == 0 && in->base64) {
            /* float32 little-endian, base64: what the OpenAI SDKs ask for by default */
            unsigned char *raw = lmx_malloc((size_t)in->dims * 4);

            if (raw == NULL)
                return LMX_ENOMEM;
            for (int d = 0; d < in->dims; d++) {
                float f = embed_value(in->input_hash[i], d);
                uint32_t u;

                memcpy(&u, &f, 4);
                for (int k = 0; k < 4; k++)
                    raw[4 * d + k] = (unsigned char)(u >> (8 * k));
            }
            err = lmx_buf_puts(out, "\"");
            if (err == 0)
                err = base64_append(out, raw, (size_t)in->dims * 4);
            if (err == 0)
                err = lmx_buf_puts(out, "\"}");
            lmx_free(raw);
        } else if (err == 0) {
            err = lmx_buf_puts(out, "[");
            for (int d = 0; err == 0 && d < in->dims; d++)
                err = lmx_buf_printf(out, "%s%.6f", d ? "," : "",
                                     (double)embed_value(in->input_hash[i], d));
            if (err == 0)
                err = lmx_buf_puts(out, "]}");
        }
    }
    if (err == 0)
        err = lmx_buf_puts(out, "],\"model\":");
    if (err == 0)
        err = lmx_buf_json_str(out, in->model, in->model_len);
    if (err == 0)
        err = lmx_buf_printf(out, ",\"usage\":{\"prompt_tokens\":%ld,\"total_tokens\":%ld}}",
                             in->prompt_words, in->prompt_words);
    return err;
}

static const char *const model_ids[] = {"mock-gpt", "mock-embedding", "gpt-4o-mini",
                                        "text-embedding-3-small"};

static int model_append(struct lmx_buf *out, const char *id, size_t len)
{
    int err = lmx_buf_puts(out, "{\"id\":");

    if (err == 0)
        err = lmx_buf_json_str(out, id, len);
    if (err == 0)
        err = lmx_buf_puts(out, ",\"object\":\"model\",\"created\":1700000000,"
                                "\"owned_by\":\"llmux-mock\"}");
    return err;
}

int mock_body_models(struct lmx_buf *out, const char *one, size_t one_len)
{
    int err;

    if (one != NULL)
        return model_append(out, one, one_len);
    err = lmx_buf_puts(out, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; err == 0 && i < LMX_ARRAY_SIZE(model_ids); i++) {
        if (i > 0)
            err = lmx_buf_puts(out, ",");
        if (err == 0)
            err = model_append(out, model_ids[i], strlen(model_ids[i]));
    }
    if (err == 0)
        err = lmx_buf_puts(out, "]}");
    return err;
}

int mock_body_error(struct lmx_buf *out, const char *msg, const char *type, const char *code)
{
    int err = lmx_buf_puts(out, "{\"error\":{\"message\":");

    if (err == 0)
        err = lmx_buf_json_str(out, msg, strlen(msg));
    if (err == 0)
        err = lmx_buf_puts(out, ",\"type\":");
    if (err == 0)
        err = lmx_buf_json_str(out, type, strlen(type));
    if (err == 0)
        err = lmx_buf_puts(out, ",\"param\":null,\"code\":");
    if (err == 0)
        err = code != NULL ? lmx_buf_json_str(out, code, strlen(code)) : lmx_buf_puts(out, "null");
    if (err == 0)
        err = lmx_buf_puts(out, "}}");
    return err;
}

/* ------------------------------------------------------------------------ */
/* Stream events */

/* `data: {"id":...,"object":...,"created":...,"model":...` without the closing brace. */
static int event_head(
    struct lmx_buf *b, enum mock_api api, const struct mock_in *in, uint64_t id, long long created)
{
    int err;

    if (api == MOCK_CHAT)
        err = lmx_buf_printf(b,
                             "data: {\"id\":\"chatcmpl-mock-%" PRIu64
                             "\",\"object\":\"chat.completion.chunk\",\"created\":%lld,"
                             "\"model\":",
                             id, created);
    else
        err = lmx_buf_printf(b,
                             "data: {\"id\":\"cmpl-mock-%" PRIu64
                             "\",\"object\":\"text_completion\",\"created\":%lld,\"model\":",
                             id, created);
    if (err == 0)
        err = lmx_buf_json_str(b, in->model, in->model_len);
    if (err == 0 && api == MOCK_CHAT)
        err = lmx_buf_puts(b, ",\"system_fingerprint\":\"fp_mock\"");
    return err;
}

/* One content chunk of n text bytes from offset off; `role` adds the assistant role. */
static int event_chunk(struct lmx_buf *b,
                       enum mock_api api,
                       const struct lmx_buf *head,
                       bool role,
                       size_t off,
                       size_t n)
{
    int err = lmx_buf_append(b, head->data, head->len);

    if (err == 0 && api == MOCK_CHAT)
        err = lmx_buf_puts(b, role ? ",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
                                     "\"assistant\",\"content\":\""
                                   : ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
    else if (err == 0)
        err = lmx_buf_puts(b, ",\"choices\":[{\"text\":\"");
    if (err == 0)
        err = buf_text(b, off, n);
    if (err == 0 && api == MOCK_CHAT)
        err = lmx_buf_puts(b, "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    else if (err == 0)
        err = lmx_buf_puts(b, "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    return err;
}

int mock_events_build(struct mock_events *e,
                      enum mock_api api,
                      const struct mock_in *in,
                      uint64_t id,
                      int nchunks,
                      int chunk_bytes,
                      bool malformed)
{
    struct lmx_buf head;
    long long created = (long long)time(NULL);
    size_t cb = (size_t)chunk_bytes;
    int err;

    lmx_buf_init(&head, 1u << 20);
    lmx_buf_init(&e->ev, SIZE_MAX / 2);
    e->nchunks = nchunks;
    e->chunk_bytes = chunk_bytes;
    memset(e->var_len, 0, sizeof(e->var_len));
    err = event_head(&head, api, in, id, created);
    if (err < 0)
        goto out;

    e->first_off = e->ev.len;
    err = event_chunk(&e->ev, api, &head, true, 0, cb);
    if (err < 0)
        goto out;
    e->first_len = e->ev.len - e->first_off;
    /* chunk i starts at text offset i*cb, which repeats every 5 chunks at most */
    for (int i = 1; i < nchunks && i <= PATTERN_LEN; i++) {
        size_t v = ((size_t)i * cb) % PATTERN_LEN;

        if (e->var_len[v] != 0)
            continue;
        e->var_off[v] = e->ev.len;
        err = event_chunk(&e->ev, api, &head, false, v, cb);
        if (err < 0)
            goto out;
        e->var_len[v] = e->ev.len - e->var_off[v];
    }

    e->tail_off = e->ev.len;
    if (malformed) {
        /* a data line cut inside a string, then the end of the stream */
        err = lmx_buf_append(&e->ev, head.data, head.len);
        if (err == 0)
            err = lmx_buf_puts(&e->ev,
                               api == MOCK_CHAT
                                   ? ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mo\n\n"
                                   : ",\"choices\":[{\"text\":\"mo\n\n");
    } else {
        err = lmx_buf_append(&e->ev, head.data, head.len);
        if (err == 0)
            err = lmx_buf_puts(&e->ev,
                               api == MOCK_CHAT
                                   ? ",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
                                     "\"finish_reason\":\"stop\"}]}\n\n"
                                   : ",\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,"
                                     "\"finish_reason\":\"stop\"}]}\n\n");
        if (err == 0 && in->include_usage) {
            err = lmx_buf_append(&e->ev, head.data, head.len);
            if (err == 0)
                err = lmx_buf_puts(&e->ev, ",\"choices\":[],");
            if (err == 0)
                err = usage_append(&e->ev, in->prompt_words, mock_text_words((size_t)nchunks * cb));
            if (err == 0)
                err = lmx_buf_puts(&e->ev, "}\n\n");
        }
    }
    if (err == 0)
        err = lmx_buf_puts(&e->ev, "data: [DONE]\n\n");
    if (err < 0)
        goto out;
    e->tail_len = e->ev.len - e->tail_off;
out:
    lmx_buf_release(&head);
    if (err < 0)
        lmx_buf_release(&e->ev);
    return err;
}

void mock_events_chunk(const struct mock_events *e, int i, const char **p, size_t *len)
{
    size_t v;

    if (i == 0) {
        *p = e->ev.data + e->first_off;
        *len = e->first_len;
        return;
    }
    v = ((size_t)i * (size_t)e->chunk_bytes) % PATTERN_LEN;
    *p = e->ev.data + e->var_off[v];
    *len = e->var_len[v];
}
