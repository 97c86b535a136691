/*
 * provider/oci.c - Oracle Cloud Infrastructure Generative AI (`oci/`): OpenAI
 * chat requests become POST {base}/20231130/actions/chat signed with OCI's
 * HTTP Signature, and the answers (JSON, or SSE whose events are bare JSON
 * objects) become OpenAI objects and chunks. See oci.h for the URL and the
 * settings.
 *
 * Bodies follow LiteLLM's OCIChatConfig: {compartmentId, servingMode,
 * chatRequest}. GENERIC: messages with roles SYSTEM/USER/ASSISTANT/TOOL and
 * content parts TEXT and IMAGE, toolCalls {id,type:FUNCTION,name,arguments},
 * tools {type:FUNCTION,name,description,parameters}, toolChoice {type},
 * responseFormat, reasoningEffort (upper case), numGenerations, logitBias;
 * openai.* models other than gpt-oss take maxCompletionTokens. COHERE: the
 * last user turn is `message`, the rest `chatHistory` (USER, CHATBOT with
 * toolCalls {name,parameters}, TOOL with toolResults), system turns are
 * `preambleOverride`, stop is `stopSequences`, tools carry
 * parameterDefinitions. maxTokens defaults to 4096 (OCI's own default is a
 * few tokens). OpenAI parameters OCI has no equivalent for are refused (400)
 * unless drop_params is on; other keys are not sent.
 *
 * Streams: each event's data is one JSON object (or several, one a line:
 * OCI sometimes separates events by a single newline). GENERIC events carry
 * message.content / message.toolCalls deltas; COHERE events carry `text` and
 * a last event that repeats the whole text (and tool calls) next to
 * finishReason, which is not sent twice. usage, when OCI sends it, is kept
 * for the usage chunk.
 *
 * Signing: "date (request-target) host content-length content-type
 * x-content-sha256", RSA-SHA256 (PKCS#1 v1.5), keyId
 * "{tenancy}/{user}/{fingerprint}". Keys are parsed once per source and kept
 * for the life of the process; a source that fails is read again after
 * KEY_RETRY_S seconds.
 *
 * Not here: embeddings and rerank (/actions/embedText, /actions/rerankText),
 * instance/resource principals and session tokens, the COHEREV2 api format.
 */
#include "core/lmx.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/util.h"
#include "provider/oci.h"
#include "provider/params.h"
#include "provider/provider.h"
#include "upstream/sse.h"

#define OCI_API_VERSION    "20231130"
#define OCI_DEFAULT_BASE   "https://inference.generativeai.{region}.oci.oraclecloud.com"
#define OCI_DEFAULT_REGION "us-ashburn-1"
#define OCI_DEFAULT_MAX    4096
#define OCI_EVENT_MAX      (8u << 20)
#define OCI_KEY_FILE_MAX   (64u << 10)
#define KEY_RETRY_S        30.0

/* A parsed private key, shared by every call that uses it (never freed while the process runs). */
struct oci_key {
    struct oci_key *next;
    char *source; /* the path, or the PEM text */
    bool is_file;
    EVP_PKEY *pkey;
    double failed_at; /* > 0: reading failed then; `error` says why */
    char error[300];
};

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static struct oci_key *key_list;

struct oci_state {
    struct lmx_sse_reader sse;
    bool cohere; /* the COHERE api format */
    char id[96];
    char call_id[64];
    long long created;
    bool include_usage;
    bool started;      /* the role chunk went out */
    bool finished;     /* finishReason seen */
    bool done_marker;  /* a [DONE] line seen */
    bool text_emitted; /* COHERE: text deltas went out */
    int ntools;
    int cur_tool; /* GENERIC: the tool call being streamed, -1 none */
    char cur_id[128];
    char cur_name[128];
    json_t *usage; /* OCI's usage object, when a stream event carried one */
    /* set for the duration of one feed */
    struct lmx_pcall *pc;
    lmx_chunk_cb cb;
    void *ud;
    struct lmx_perr *err;
};

/* ------------------------------------------------------------------------ */
/* Helpers */

static const char *env_str(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : NULL;
}

/* A setting: litellm_params[key] when a non-empty string, else $env. */
static const char *setting(const struct lmx_deployment *d, const char *key, const char *env)
{
    const char *v = lmx_json_str(d->litellm_params, key);

    return v != NULL ? v : env != NULL ? env_str(env) : NULL;
}

/* An OpenAI parameter OCI has no equivalent for: dropped (0) or refused (LMX_EBADPARAM). */
static int unsupported(const struct lmx_pcall *pc, struct lmx_perr *err, const char *k)
{
    return lmx_param_unsupported(pc, err, k, pc->dep->provider);
}

static int oom(struct lmx_perr *err)
{
    return lmx_perr_fail(err, LMX_ENOMEM, 503, "internal_server_error",
                         "oci: out of memory building the request");
}

/* The text of an OpenAI content value: a string, or its text parts joined. New ref or NULL. */
static json_t *text_of(const json_t *content)
{
    struct lmx_buf b;
    json_t *out, *part;
    size_t i;

    if (json_is_string(content))
        return json_incref((json_t *)content);
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

static bool is_cohere_model(const char *model)
{
    return strncasecmp(model, "cohere.", 7) == 0;
}

/* OCI's region names: ^[a-z][a-z0-9-]{0,30}[a-z0-9]$ (as LiteLLM checks them). */
static bool valid_region(const char *r)
{
    size_t n = strlen(r);

    if (n < 2 || n > 32 || !(r[0] >= 'a' && r[0] <= 'z') || r[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return false;
    return true;
}

static int b64(struct lmx_buf *out, const unsigned char *p, size_t n)
{
    size_t need = (n + 2) / 3 * 4;
    int rc = lmx_buf_reserve(out, need + 1);

    if (rc < 0)
        return rc;
    if (EVP_EncodeBlock((unsigned char *)out->data + out->len, p, (int)n) != (int)need)
        return LMX_EINTERNAL;
    out->len += need;
    out->data[out->len] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Signing */

void lmx_oci_date(time_t t, char out[30])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT", days[(unsigned)tm.tm_wday % 7],
             (unsigned)tm.tm_mday % 100, months[(unsigned)tm.tm_mon % 12],
             (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
             (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

int lmx_oci_sign(const struct lmx_oci_sign_req *r, EVP_PKEY *key, struct lmx_buf *sha,
                 struct lmx_buf *auth, struct lmx_buf *signing)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    unsigned char *sig = NULL;
    size_t siglen = 0, sha_start = sha->len;
    struct lmx_buf s;
    EVP_MD_CTX *ctx = NULL;
    char method[16];
    int rc;

    if (r->method == NULL || r->path == NULL || r->host == NULL || r->date == NULL ||
        r->content_type == NULL || r->key_id == NULL || key == NULL ||
        EVP_PKEY_base_id(key) != EVP_PKEY_RSA || strlen(r->method) >= sizeof(method))
        return LMX_EBADREQ;
    for (size_t i = 0; r->method[i] != '\0'; i++)
        method[i] = (char)tolower((unsigned char)r->method[i]);
    method[strlen(r->method)] = '\0';
    if (EVP_Digest(r->body != NULL ? r->body : "", r->body_len, md, &mdlen, EVP_sha256(), NULL) !=
            1 ||
        mdlen != sizeof(md))
        return LMX_EINTERNAL;
    rc = b64(sha, md, sizeof(md));
    if (rc < 0)
        return rc;
    lmx_buf_init(&s, 64u << 10);
    rc = lmx_buf_printf(&s,
                        "date: %s\n(request-target): %s %s\nhost: %s\ncontent-length: %zu\n"
                        "content-type: %s\nx-content-sha256: %s",
                        r->date, method, r->path, r->host, r->body_len, r->content_type,
                        sha->data + sha_start);
    if (rc < 0)
        goto out;
    rc = LMX_EINTERNAL;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = LMX_ENOMEM;
        goto out;
    }
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)s.data, s.len) != 1)
        goto out;
    sig = lmx_malloc(siglen);
    if (sig == NULL) {
        rc = LMX_ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)s.data, s.len) != 1)
        goto out;
    rc = lmx_buf_printf(auth,
                        "Signature version=\"1\",keyId=\"%s\",algorithm=\"rsa-sha256\","
                        "headers=\"" LMX_OCI_SIGNED_HEADERS "\",signature=\"",
                        r->key_id);
    if (rc == 0)
        rc = b64(auth, sig, siglen);
    if (rc == 0)
        rc = lmx_buf_puts(auth, "\"");
    if (rc == 0 && signing != NULL)
        rc = lmx_buf_append(signing, s.data, s.len);
out:
    EVP_MD_CTX_free(ctx);
    lmx_free(sig);
    lmx_buf_release(&s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Keys */

/* A passphrase callback that has none: an encrypted key fails instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    LMX_UNUSED(buf);
    LMX_UNUSED(size);
    LMX_UNUSED(rwflag);
    LMX_UNUSED(u);
    return 0;
}

/* PEM text as LiteLLM takes it: literal "\n" pairs become newlines, CR LF becomes LF. */
static char *pem_normalise(const char *s)
{
    char *out = lmx_malloc(strlen(s) + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') {
            *o++ = '\n';
            s++;
        } else if (!(s[0] == '\r' && s[1] == '\n')) {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

/* Reads the key of k->source into k->pkey, or sets k->error. */
static void key_load(struct oci_key *k)
{
    char *text = NULL;
    BIO *bio = NULL;

    EVP_PKEY_free(k->pkey);
    k->pkey = NULL;
    k->error[0] = '\0';
    if (k->is_file) {
        FILE *f = fopen(k->source, "rb");
        size_t n = 0;

        text = f != NULL ? lmx_malloc(OCI_KEY_FILE_MAX + 1) : NULL;
        if (f == NULL) {
            snprintf(k->error, sizeof(k->error), "cannot open oci_key_file '%.200s'", k->source);
        } else if (text != NULL) {
            n = fread(text, 1, OCI_KEY_FILE_MAX + 1, f);
            if (n > OCI_KEY_FILE_MAX || ferror(f))
                snprintf(k->error, sizeof(k->error), "cannot read oci_key_file '%.200s'",
                         k->source);
            text[LMX_MIN(n, (size_t)OCI_KEY_FILE_MAX)] = '\0';
        }
        if (f != NULL)
            fclose(f);
    } else {
        text = pem_normalise(k->source);
    }
    if (k->error[0] == '\0' && text == NULL)
        snprintf(k->error, sizeof(k->error), "out of memory reading the key");
    if (k->error[0] == '\0') {
        bio = BIO_new_mem_buf(text, (int)strlen(text));
        k->pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
        if (k->pkey == NULL || EVP_PKEY_base_id(k->pkey) != EVP_PKEY_RSA) {
            EVP_PKEY_free(k->pkey);
            k->pkey = NULL;
            ERR_clear_error(); /* leave no OpenSSL error for the thread's TLS code to find */
            snprintf(k->error, sizeof(k->error),
                     "%s is not an unencrypted PEM RSA private key",
                     k->is_file ? "oci_key_file" : "oci_key");
        }
    }
    if (text != NULL)
        OPENSSL_cleanse(text, strlen(text));
    lmx_free(text);
    k->failed_at = k->pkey == NULL ? LMX_MAX(lmx_wall_s(), 1.0) : 0;
}

/* The key for a source (read on first use, or again KEY_RETRY_S after a failure), or NULL. */
static EVP_PKEY *key_get(const char *source, bool is_file, struct lmx_perr *err)
{
    struct oci_key *k;
    EVP_PKEY *ok = NULL;

    pthread_mutex_lock(&key_lock);
    for (k = key_list; k != NULL; k = k->next)
        if (k->is_file == is_file && strcmp(k->source, source) == 0)
            break;
    if (k == NULL) {
        k = lmx_calloc(1, sizeof(*k));
        if (k != NULL && (k->source = lmx_strdup(source)) == NULL) {
            lmx_free(k);
            k = NULL;
        }
        if (k == NULL) {
            pthread_mutex_unlock(&key_lock);
            oom(err);
            return NULL;
        }
        k->is_file = is_file;
        key_load(k);
        k->next = key_list;
        key_list = k;
    } else if (k->failed_at > 0 && lmx_wall_s() - k->failed_at >= KEY_RETRY_S) {
        key_load(k);
    }
    if (k->failed_at > 0)
        lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error", "oci: %s", k->error);
    else
        ok = k->pkey;
    pthread_mutex_unlock(&key_lock);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Requests: GENERIC */

static json_t *text_part(const char *s)
{
    return json_pack("{s:s,s:s}", "type", "TEXT", "text", s != NULL ? s : "");
}

/* OpenAI content -> GENERIC content parts. New ref, or NULL with *rc set. */
static json_t *
generic_content(const struct lmx_pcall *pc, const json_t *content, struct lmx_perr *err, int *rc)
{
    json_t *out = json_array(), *part;
    size_t i;

    *rc = LMX_ENOMEM;
    if (out == NULL)
        return NULL;
    if (json_is_string(content)) {
        if (json_array_append_new(out, text_part(json_string_value(content))) < 0)
            goto fail;
        *rc = 0;
        return out;
    }
    if (!json_is_array(content)) {
        *rc = lmx_perr_bad(err, "messages",
                           "oci: message content must be a string or a list of content parts");
        goto fail;
    }
    json_array_foreach(content, i, part) {
        const char *ty = json_string_value(json_object_get(part, "type"));
        json_t *o;

        if (ty != NULL && strcmp(ty, "text") == 0) {
            o = text_part(json_string_value(json_object_get(part, "text")));
        } else if (ty != NULL && strcmp(ty, "image_url") == 0) {
            json_t *iu = json_object_get(part, "image_url");
            json_t *url = json_is_string(iu) ? iu : json_object_get(iu, "url");
            const char *detail = json_string_value(json_object_get(iu, "detail"));

            if (!json_is_string(url)) {
                *rc = lmx_perr_bad(err, "messages", "oci: an image_url part needs a url");
                goto fail;
            }
            o = json_pack("{s:s,s:{s:O}}", "type", "IMAGE", "imageUrl", "url", url);
            if (o != NULL && detail != NULL) {
                char up[16];
                size_t k;

                for (k = 0; detail[k] != '\0' && k + 1 < sizeof(up); k++)
                    up[k] = (char)toupper((unsigned char)detail[k]);
                up[k] = '\0';
                if (lmx_json_put(json_object_get(o, "imageUrl"), "detail", json_string(up)) < 0) {
                    json_decref(o);
                    o = NULL;
                }
            }
        } else {
            if (pc->drop_params)
                continue;
            *rc = LMX_EBADPARAM;
            lmx_perr_set(err, 400, "invalid_request_error", "messages",
                         "%s does not support content parts of type '%s' (model=%s)",
                         pc->dep->provider, ty != NULL ? ty : "(none)", pc->model);
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

/* An arguments value as a JSON text (a string stays as it is). New string or NULL. */
static char *arguments_text(const json_t *args)
{
    if (json_is_string(args))
        return lmx_strdup(json_string_value(args));
    if (args == NULL || json_is_null(args))
        return lmx_strdup("{}");
    return json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* OpenAI tool_calls of an assistant turn -> GENERIC toolCalls. */
static json_t *generic_tool_calls(const json_t *tcs)
{
    json_t *out = json_array(), *tc;
    size_t i;

    json_array_foreach(tcs, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *name = json_string_value(json_object_get(fn, "name"));
        char *args = arguments_text(json_object_get(fn, "arguments"));
        json_t *o = args != NULL ? json_pack("{s:s,s:s,s:s,s:s}", "id", id != NULL ? id : "",
                                             "type", "FUNCTION", "name", name != NULL ? name : "",
                                             "arguments", args)
                                 : NULL;

        free(args);
        if (out == NULL || o == NULL || json_array_append_new(out, o) < 0) {
            json_decref(o);
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static int
generic_messages(const struct lmx_pcall *pc, const json_t *msgs, json_t *out, struct lmx_perr *err)
{
    json_t *m;
    size_t i;
    int rc = 0;

    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        json_t *tcs = json_object_get(m, "tool_calls");
        json_t *o = NULL, *c;

        if (role == NULL)
            return lmx_perr_bad(err, "messages", "oci: messages[%zu] has no role", i);
        if (strcmp(role, "assistant") == 0 && json_is_array(tcs) && json_array_size(tcs) > 0) {
            c = generic_tool_calls(tcs);
            o = c != NULL ? json_pack("{s:s,s:o}", "role", "ASSISTANT", "toolCalls", c) : NULL;
        } else if (strcmp(role, "tool") == 0) {
            const char *id = json_string_value(json_object_get(m, "tool_call_id"));
            json_t *t = text_of(content);

            c = t != NULL ? json_pack("[o]", text_part(json_string_value(t))) : NULL;
            json_decref(t);
            o = c != NULL ? json_pack("{s:s,s:s,s:o}", "role", "TOOL", "toolCallId",
                                      id != NULL ? id : "", "content", c)
                          : NULL;
        } else if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0 ||
                   strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0) {
            const char *r = strcmp(role, "user") == 0        ? "USER"
                            : strcmp(role, "assistant") == 0 ? "ASSISTANT"
                                                             : "SYSTEM";

            if (content == NULL || json_is_null(content))
                continue; /* an empty assistant turn */
            c = generic_content(pc, content, err, &rc);
            if (c == NULL)
                return rc;
            o = json_pack("{s:s,s:o}", "role", r, "content", c);
        } else {
            return lmx_perr_bad(err, "messages",
                                "%s does not support messages with role '%s' (model=%s)",
                                pc->dep->provider, role, pc->model);
        }
        if (o == NULL || json_array_append_new(out, o) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

/* A function tool's name, description and parameters, or an error unless dropped. */
static int tool_fields(const struct lmx_pcall *pc, const json_t *t, struct lmx_perr *err,
                       const json_t **fn)
{
    const char *ty = json_string_value(json_object_get(t, "type"));

    *fn = json_object_get(t, "function");
    if ((ty == NULL || strcmp(ty, "function") == 0) && json_is_object(*fn) &&
        json_is_string(json_object_get(*fn, "name")))
        return 1;
    if (pc->drop_params)
        return 0;
    lmx_perr_set(err, 400, "invalid_request_error", "tools",
                 "%s supports only function tools with a name (model=%s)", pc->dep->provider,
                 pc->model);
    return LMX_EBADPARAM;
}

static int
generic_tools(const struct lmx_pcall *pc, const json_t *tools, json_t *cr, struct lmx_perr *err)
{
    json_t *out = json_array(), *t;
    size_t i;

    if (out == NULL)
        return LMX_ENOMEM;
    json_array_foreach(tools, i, t) {
        const json_t *fn;
        int k = tool_fields(pc, t, err, &fn);
        const char *desc;
        json_t *params, *o;

        if (k <= 0) {
            if (k == 0)
                continue;
            json_decref(out);
            return k;
        }
        desc = json_string_value(json_object_get(fn, "description"));
        params = json_object_get(fn, "parameters");
        o = json_is_object(params)
                ? json_pack("{s:s,s:O,s:s,s:O}", "type", "FUNCTION", "name",
                            json_object_get(fn, "name"), "description", desc != NULL ? desc : "",
                            "parameters", params)
                : json_pack("{s:s,s:O,s:s,s:{}}", "type", "FUNCTION", "name",
                            json_object_get(fn, "name"), "description", desc != NULL ? desc : "",
                            "parameters");
        if (o == NULL || json_array_append_new(out, o) < 0) {
            json_decref(out);
            return LMX_ENOMEM;
        }
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return 0;
    }
    return lmx_json_put(cr, "tools", out);
}

static int tool_choice_out(const json_t *v, json_t *cr, struct lmx_perr *err)
{
    const char *s = json_string_value(v);
    const char *name = json_string_value(
        json_object_get(json_object_get(v, "function"), "name"));

    if (s != NULL && (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0 ||
                      strcmp(s, "required") == 0)) {
        const char *t = s[0] == 'a' ? "AUTO" : s[0] == 'n' ? "NONE" : "REQUIRED";

        return lmx_json_put(cr, "toolChoice", json_pack("{s:s}", "type", t));
    }
    if (name != NULL)
        return lmx_json_put(cr, "toolChoice", json_pack("{s:s,s:s}", "type", "FUNCTION", "name",
                                                        name));
    return lmx_perr_bad(err, "tool_choice", "oci: tool_choice must be 'auto', 'none', "
                                            "'required' or a function");
}

/* ------------------------------------------------------------------------ */
/* Requests: COHERE */

/* Arguments text -> an object (anything else: {}). New ref. */
static json_t *parameters_of(const json_t *args)
{
    json_t *o = json_is_string(args) ? json_loads(json_string_value(args), 0, NULL)
                                     : json_incref((json_t *)args);

    if (!json_is_object(o)) {
        json_decref(o);
        return json_object();
    }
    return o;
}

static json_t *cohere_call(const json_t *tc)
{
    json_t *fn = json_object_get(tc, "function");
    const char *name = json_string_value(json_object_get(fn, "name"));

    return json_pack("{s:s,s:o}", "name", name != NULL ? name : "", "parameters",
                     parameters_of(json_object_get(fn, "arguments")));
}

/* The call an earlier assistant turn made with this id: {name, parameters}. New ref. */
static json_t *cohere_call_for(const json_t *msgs, const char *id)
{
    json_t *m, *tc;
    size_t i, j;

    json_array_foreach(msgs, i, m) {
        json_array_foreach(json_object_get(m, "tool_calls"), j, tc) {
            if (id != NULL && lmx_streq(json_string_value(json_object_get(tc, "id")), id))
                return cohere_call(tc);
        }
    }
    return json_pack("{s:s,s:{}}", "name", "", "parameters");
}

/* OpenAI messages -> message, chatHistory and preambleOverride of a COHERE chatRequest. */
static int cohere_messages(const struct lmx_pcall *pc, const json_t *msgs, json_t *cr,
                           struct lmx_perr *err)
{
    json_t *hist = json_array(), *m, *last_tool = NULL;
    struct lmx_buf pre;
    size_t i, last_user = (size_t)-1;
    int rc = LMX_ENOMEM;

    lmx_buf_init(&pre, 256u << 20);
    json_array_foreach(msgs, i, m) {
        if (lmx_streq(json_string_value(json_object_get(m, "role")), "user"))
            last_user = i;
    }
    if (hist == NULL)
        goto out;
    if (last_user == (size_t)-1) {
        rc = lmx_perr_bad(err, "messages",
                          "oci: cohere models need at least one user message (model=%s)",
                          pc->model);
        goto out;
    }
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *text = text_of(json_object_get(m, "content")), *o = NULL;
        const char *t = json_string_value(text);
        bool bad = false;

        if (role == NULL) {
            json_decref(text);
            rc = lmx_perr_bad(err, "messages", "oci: messages[%zu] has no role", i);
            goto out;
        }
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            if (t != NULL && t[0] != '\0' &&
                ((pre.len > 0 && lmx_buf_puts(&pre, "\n") < 0) || lmx_buf_puts(&pre, t) < 0))
                bad = true;
        } else if (strcmp(role, "user") == 0) {
            if (i != last_user)
                o = json_pack("{s:s,s:s}", "role", "USER", "message", t != NULL ? t : "");
            else
                bad = lmx_json_put(cr, "message", json_string(t != NULL ? t : "")) < 0;
            last_tool = NULL;
        } else if (strcmp(role, "assistant") == 0) {
            json_t *tcs = json_object_get(m, "tool_calls"), *tc;
            size_t j;

            o = json_pack("{s:s,s:s}", "role", "CHATBOT", "message", t != NULL ? t : "");
            if (o != NULL && json_is_array(tcs) && json_array_size(tcs) > 0) {
                json_t *calls = json_array();

                json_array_foreach(tcs, j, tc) {
                    lmx_json_push_flag(calls, cohere_call(tc), &bad);
                }
                lmx_json_put_flag(o, "toolCalls", calls, &bad);
            }
            last_tool = NULL;
        } else if (strcmp(role, "tool") == 0) {
            const char *id = json_string_value(json_object_get(m, "tool_call_id"));
            json_t *res = json_pack("{s:o,s:[{s:s}]}", "call", cohere_call_for(msgs, id),
                                    "outputs", "output", t != NULL ? t : "");

            if (last_tool != NULL) { /* parallel results share one TOOL entry */
                lmx_json_push_flag(json_object_get(last_tool, "toolResults"), res, &bad);
            } else {
                o = json_pack("{s:s,s:[o]}", "role", "TOOL", "toolResults", res);
                last_tool = o;
                bad = o == NULL;
            }
        } else {
            json_decref(text);
            rc = lmx_perr_bad(err, "messages",
                              "%s does not support messages with role '%s' (model=%s)",
                              pc->dep->provider, role, pc->model);
            goto out;
        }
        json_decref(text);
        if (bad || (o != NULL && json_array_append_new(hist, o) < 0))
            goto out;
    }
    rc = lmx_json_put(cr, "chatHistory", hist);
    hist = NULL;
    if (rc == 0 && pre.len > 0)
        rc = lmx_json_put(cr, "preambleOverride", json_stringn(pre.data, pre.len));
out:
    json_decref(hist);
    lmx_buf_release(&pre);
    return rc;
}

/* A JSON Schema type -> the Python type name OCI's Cohere tools want. */
static const char *python_type(const json_t *schema)
{
    static const char *const map[][2] = {{"string", "str"},  {"number", "float"},
                                         {"boolean", "bool"}, {"integer", "int"},
                                         {"array", "list"},   {"object", "dict"}};
    json_t *ty = json_object_get(schema, "type"), *v;
    const char *s = json_string_value(ty);
    size_t i;

    if (json_is_array(ty)) {
        json_array_foreach(ty, i, v) {
            if (json_is_string(v) && strcmp(json_string_value(v), "null") != 0) {
                s = json_string_value(v);
                break;
            }
        }
    }
    if (s == NULL)
        return "str";
    for (i = 0; i < LMX_ARRAY_SIZE(map); i++)
        if (strcmp(s, map[i][0]) == 0)
            return map[i][1];
    return s;
}

static int
cohere_tools(const struct lmx_pcall *pc, const json_t *tools, json_t *cr, struct lmx_perr *err)
{
    json_t *out = json_array(), *t;
    size_t i;
    bool bad = out == NULL;

    json_array_foreach(tools, i, t) {
        const json_t *fn;
        int k = tool_fields(pc, t, err, &fn);
        json_t *params = json_object_get(fn, "parameters");
        json_t *req = json_object_get(params, "required"), *defs = json_object(), *ps, *r;
        const char *desc = json_string_value(json_object_get(fn, "description")), *pn;
        size_t j;

        if (k <= 0) {
            json_decref(defs);
            if (k == 0)
                continue;
            json_decref(out);
            return k;
        }
        json_object_foreach(json_object_get(params, "properties"), pn, ps) {
            const char *pd = json_string_value(json_object_get(ps, "description"));
            bool required = false;

            json_array_foreach(req, j, r) {
                if (lmx_streq(json_string_value(r), pn))
                    required = true;
            }
            lmx_json_put_flag(defs, pn,
                              json_pack("{s:s,s:s,s:b}", "description", pd != NULL ? pd : "",
                                        "type", python_type(ps), "isRequired", required),
                              &bad);
        }
        lmx_json_push_flag(out,
                           json_pack("{s:O,s:s,s:o}", "name", json_object_get(fn, "name"),
                                     "description", desc != NULL ? desc : "",
                                     "parameterDefinitions", defs),
                           &bad);
    }
    if (bad) {
        json_decref(out);
        return LMX_ENOMEM;
    }
    if (json_array_size(out) == 0) {
        json_decref(out);
        return 0;
    }
    return lmx_json_put(cr, "tools", out);
}

/* ------------------------------------------------------------------------ */
/* Requests: parameters */

static int response_format_out(const struct lmx_pcall *pc, bool cohere, const json_t *v,
                               json_t *cr, struct lmx_perr *err)
{
    const char *ty = json_string_value(json_object_get(v, "type"));
    json_t *js = json_object_get(v, "json_schema");
    json_t *schema = json_object_get(js, "schema");
    json_t *o;

    if (ty == NULL)
        return unsupported(pc, err, "response_format");
    if (strcmp(ty, "text") == 0)
        return lmx_json_put(cr, "responseFormat", json_pack("{s:s}", "type", "TEXT"));
    if (strcmp(ty, "json_object") == 0 || (cohere && strcmp(ty, "json_schema") == 0)) {
        o = json_pack("{s:s}", "type", "JSON_OBJECT");
        if (o != NULL && cohere && json_is_object(schema) &&
            lmx_json_put(o, "schema", json_incref(schema)) < 0)
            return LMX_ENOMEM;
        return lmx_json_put(cr, "responseFormat", o);
    }
    if (strcmp(ty, "json_schema") == 0) {
        const char *name = json_string_value(json_object_get(js, "name"));
        json_t *d = json_object_get(js, "description"), *strict = json_object_get(js, "strict");
        json_t *jo;
        bool bad = false;

        if (!json_is_object(js))
            return lmx_perr_bad(err, "response_format",
                                "oci: response_format json_schema needs a 'json_schema' object");
        jo = json_pack("{s:s}", "name", name != NULL && name[0] != '\0' ? name : "response");
        if (jo == NULL)
            return LMX_ENOMEM;
        if (json_is_string(d))
            lmx_json_put_flag(jo, "description", json_incref(d), &bad);
        if (json_is_object(schema))
            lmx_json_put_flag(jo, "schema", json_incref(schema), &bad);
        if (json_is_boolean(strict))
            lmx_json_put_flag(jo, "isStrict", json_incref(strict), &bad);
        if (bad) {
            json_decref(jo);
            return LMX_ENOMEM;
        }
        return lmx_json_put(cr, "responseFormat",
                            json_pack("{s:s,s:o}", "type", "JSON_SCHEMA", "jsonSchema", jo));
    }
    return unsupported(pc, err, "response_format");
}

/* stop -> a list (a string becomes a list of one). */
static int stop_out(json_t *cr, const char *key, const json_t *v)
{
    if (json_is_string(v))
        return lmx_json_put(cr, key, json_pack("[O]", v));
    if (json_is_array(v) && json_array_size(v) > 0)
        return lmx_json_put(cr, key, json_incref((json_t *)v));
    return 0;
}

/* OpenAI's openai.* models on OCI want maxCompletionTokens, except the open-weight gpt-oss ones. */
static const char *max_tokens_key(const char *model, bool cohere)
{
    if (!cohere && strncasecmp(model, "openai.", 7) == 0 &&
        strncasecmp(model, "openai.gpt-oss", 14) != 0)
        return "maxCompletionTokens";
    return "maxTokens";
}

/* clang-format off */
/* OpenAI parameters OCI cannot express, on either format. */
static const char *const refused[] = {
    "top_logprobs", "modalities", "audio", "prediction", "function_call", "functions",
    "web_search_options", "verbosity", "reasoning", "suffix", "echo", "best_of",
};
/* OpenAI parameters without effect here, and routing or credential keys: never sent. */
static const char *const ignored[] = {
    "user", "store", "service_tier", "parallel_tool_calls", "stream_options", "model",
    "messages", "stream", "prompt_cache_key", "safety_identifier", "tools",
};
/* clang-format on */

static int params_out(struct lmx_pcall *pc, bool cohere, const json_t *params, json_t *cr,
                      struct lmx_perr *err)
{
    const char *maxk = max_tokens_key(pc->model, cohere);
    const char *k;
    json_t *v;
    int rc;

    json_object_foreach((json_t *)params, k, v) {
        rc = 0;
        if (lmx_param_internal(k) || lmx_param_in(k, ignored, LMX_ARRAY_SIZE(ignored)) ||
            strncmp(k, "oci_", 4) == 0 || json_is_null(v))
            continue;
        if (strcmp(k, "temperature") == 0 || strcmp(k, "seed") == 0)
            rc = lmx_json_put(cr, k, json_incref(v));
        else if (strcmp(k, "max_tokens") == 0) {
            if (json_object_get(params, "max_completion_tokens") == NULL)
                rc = lmx_json_put(cr, maxk, json_incref(v));
        } else if (strcmp(k, "max_completion_tokens") == 0)
            rc = lmx_json_put(cr, maxk, json_incref(v));
        else if (strcmp(k, "top_p") == 0)
            rc = lmx_json_put(cr, "topP", json_incref(v));
        else if (strcmp(k, "top_k") == 0)
            rc = lmx_json_put(cr, "topK", json_incref(v));
        else if (strcmp(k, "frequency_penalty") == 0)
            rc = lmx_json_put(cr, "frequencyPenalty", json_incref(v));
        else if (strcmp(k, "presence_penalty") == 0)
            rc = lmx_json_put(cr, "presencePenalty", json_incref(v));
        else if (strcmp(k, "stop") == 0)
            rc = stop_out(cr, cohere ? "stopSequences" : "stop", v);
        else if (strcmp(k, "response_format") == 0)
            rc = response_format_out(pc, cohere, v, cr, err);
        else if (strcmp(k, "n") == 0) {
            if (lmx_json_int(v) > 1)
                rc = cohere ? unsupported(pc, err, k)
                            : lmx_json_put(cr, "numGenerations", json_incref(v));
        } else if (strcmp(k, "logprobs") == 0) {
            if (json_is_true(v))
                rc = unsupported(pc, err, k);
        } else if (strcmp(k, "logit_bias") == 0)
            rc = cohere ? unsupported(pc, err, k) : lmx_json_put(cr, "logitBias", json_incref(v));
        else if (strcmp(k, "tool_choice") == 0) {
            if (!cohere)
                rc = tool_choice_out(v, cr, err);
            else if (!lmx_streq(json_string_value(v), "auto"))
                rc = unsupported(pc, err, k); /* Cohere on OCI always chooses itself */
        } else if (strcmp(k, "reasoning_effort") == 0) {
            const char *s = json_string_value(v);
            char up[16];
            size_t i;

            if (cohere || s == NULL) {
                rc = unsupported(pc, err, k);
            } else {
                for (i = 0; s[i] != '\0' && i + 1 < sizeof(up); i++)
                    up[i] = (char)toupper((unsigned char)s[i]);
                up[i] = '\0';
                rc = lmx_json_put(cr, "reasoningEffort",
                                  json_string(strcmp(up, "DISABLE") == 0 ? "NONE" : up));
            }
        } else if (lmx_param_in(k, refused, LMX_ARRAY_SIZE(refused)))
            rc = unsupported(pc, err, k);
        /* anything else is not an OCI chatRequest field: not sent (as LiteLLM) */
        if (rc < 0)
            return rc;
    }
    if (json_object_get(cr, maxk) == NULL &&
        lmx_json_put(cr, maxk, json_integer(OCI_DEFAULT_MAX)) < 0)
        return LMX_ENOMEM;
    return lmx_json_put(cr, "isStream", json_boolean(pc->stream));
}

static int chat_request(struct lmx_pcall *pc, bool cohere, const json_t *params, json_t **out,
                        struct lmx_perr *err)
{
    json_t *msgs = json_object_get(params, "messages");
    json_t *tools = json_object_get(params, "tools");
    json_t *cr = json_pack("{s:s}", "apiFormat", cohere ? "COHERE" : "GENERIC"), *list;
    int rc;

    if (cr == NULL)
        return LMX_ENOMEM;
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        rc = lmx_perr_bad(err, "messages", "oci: 'messages' must be a non-empty list");
        goto fail;
    }
    if (cohere) {
        rc = cohere_messages(pc, msgs, cr, err);
    } else {
        list = json_array();
        rc = list == NULL ? LMX_ENOMEM : lmx_json_put(cr, "messages", list);
        if (rc == 0)
            rc = generic_messages(pc, msgs, list, err);
    }
    if (rc == 0 && tools != NULL && !json_is_null(tools)) {
        if (!json_is_array(tools))
            rc = lmx_perr_bad(err, "tools", "oci: 'tools' must be a list");
        else
            rc = cohere ? cohere_tools(pc, tools, cr, err) : generic_tools(pc, tools, cr, err);
    }
    if (rc == 0)
        rc = params_out(pc, cohere, params, cr, err);
    if (rc < 0)
        goto fail;
    *out = cr;
    return 0;
fail:
    json_decref(cr);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Requests: URL, credentials, the call */

/* {base}/20231130/actions/chat into out; *host and *path point into out. */
static int url_of(const struct lmx_deployment *d, const char *region, struct lmx_buf *out,
                  char *host, size_t host_cap, const char **path, struct lmx_perr *err)
{
    static const char tail[] = "/" OCI_API_VERSION "/actions/";
    const char *b = d->api_base != NULL && d->api_base[0] != '\0' ? d->api_base : OCI_DEFAULT_BASE;
    const char *t, *h, *he;
    size_t n = strlen(b), start = out->len;
    int rc = 0;

    while (n > 0 && b[n - 1] == '/')
        n--;
    /* an api_base that already names an action: keep what comes before it */
    for (t = b; (t = memmem(t, (size_t)(b + n - t), tail, sizeof(tail) - 1)) != NULL; t++) {
        if (memchr(t + sizeof(tail) - 1, '/', (size_t)(b + n - t) - (sizeof(tail) - 1)) == NULL) {
            n = (size_t)(t - b);
            break;
        }
    }
    while (rc == 0 && n > 0 && (t = memmem(b, n, "{region}", 8)) != NULL) {
        rc = lmx_buf_append(out, b, (size_t)(t - b));
        if (rc == 0)
            rc = lmx_buf_puts(out, region);
        n -= (size_t)(t - b) + 8;
        b = t + 8;
    }
    if (rc == 0)
        rc = lmx_buf_append(out, b, n);
    if (rc == 0)
        rc = lmx_buf_puts(out, "/" OCI_API_VERSION "/actions/chat");
    if (rc < 0)
        return rc;
    h = strstr(out->data + start, "://");
    if (h == NULL || (strncmp(out->data + start, "http://", 7) != 0 &&
                      strncmp(out->data + start, "https://", 8) != 0)) {
        return lmx_perr_fail(err, LMX_ECONFIG, 500, "internal_server_error",
                             "oci: api_base '%.200s' is not an http(s) URL", out->data + start);
    }
    h += 3;
    he = h + strcspn(h, "/?#");
    if (he == h || (size_t)(he - h) >= host_cap)
        return lmx_perr_fail(err, LMX_ECONFIG, 500, "internal_server_error",
                             "oci: api_base '%.200s' has no usable host", out->data + start);
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    *path = he;
    return 0;
}

/* Signs the request in out (body and URL built) and adds every header. */
static int sign_out(struct lmx_pcall *pc, struct lmx_upreq *out, const char *host,
                    const char *path, struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *user = setting(d, "oci_user", "OCI_USER");
    const char *fp = setting(d, "oci_fingerprint", "OCI_FINGERPRINT");
    const char *ten = setting(d, "oci_tenancy", "OCI_TENANCY");
    const char *key = setting(d, "oci_key", "OCI_KEY");
    const char *file = key == NULL ? setting(d, "oci_key_file", "OCI_KEY_FILE") : NULL;
    struct lmx_oci_sign_req r;
    struct lmx_buf sha, auth, kid;
    EVP_PKEY *pkey;
    char date[30];
    int rc;

    if (user == NULL || fp == NULL || ten == NULL || (key == NULL && file == NULL))
        return lmx_perr_fail(err, LMX_EAUTH, 401, "auth_error",
                             "oci: missing credentials for deployment '%s': set oci_user, "
                             "oci_fingerprint, oci_tenancy and oci_key or oci_key_file (or "
                             "OCI_USER, OCI_FINGERPRINT, OCI_TENANCY, OCI_KEY / OCI_KEY_FILE)",
                             d->model != NULL ? d->model : "");
    pkey = key_get(key != NULL ? key : file, key == NULL, err);
    if (pkey == NULL)
        return LMX_EAUTH;
    lmx_oci_date(time(NULL), date);
    lmx_buf_init(&sha, 64);
    lmx_buf_init(&auth, 4096);
    lmx_buf_init(&kid, 1024);
    rc = lmx_buf_printf(&kid, "%s/%s/%s", ten, user, fp);
    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = path;
    r.host = host;
    r.date = date;
    r.content_type = "application/json";
    r.body = out->body.data;
    r.body_len = out->body.len;
    r.key_id = kid.data;
    if (rc == 0)
        rc = lmx_oci_sign(&r, pkey, &sha, &auth, NULL);
    if (rc < 0) {
        lmx_perr_fail(err, rc, 500, "internal_server_error", "oci: cannot sign the request: %s",
                      lmx_strerror(rc));
        goto out;
    }
    rc = lmx_upreq_header(out, "Content-Type", "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Accept", "%s",
                              pc->stream ? "text/event-stream" : "application/json");
    if (rc == 0)
        rc = lmx_upreq_header(out, "Date", "%s", date);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Host", "%s", host);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Content-Length", "%zu", out->body.len);
    if (rc == 0)
        rc = lmx_upreq_header(out, "x-content-sha256", "%s", sha.data);
    if (rc == 0)
        rc = lmx_upreq_header(out, "Authorization", "%s", auth.data);
    if (rc < 0)
        lmx_perr_fail(err, rc, 500, "internal_server_error", "oci: request headers too large");
out:
    lmx_buf_release(&sha);
    lmx_buf_release(&auth);
    lmx_buf_release(&kid);
    return rc;
}

static void state_free(struct oci_state *st)
{
    if (st == NULL)
        return;
    lmx_sse_reader_release(&st->sse);
    json_decref(st->usage);
    lmx_free(st);
}

static int oci_build(struct lmx_pcall *pc, struct lmx_upreq *out, struct lmx_perr *err)
{
    const struct lmx_deployment *d = pc->dep;
    const char *region = setting(d, "oci_region", "OCI_REGION");
    const char *compartment = setting(d, "oci_compartment_id", "OCI_COMPARTMENT_ID");
    const char *mode = setting(d, "oci_serving_mode", NULL);
    const char *endpoint = setting(d, "oci_endpoint_id", NULL);
    const char *path = NULL;
    json_t *params = NULL, *body = NULL, *cr = NULL, *serving;
    struct oci_state *st;
    char host[512];
    int rc;

    if (pc->ep != LMX_EP_CHAT)
        return lmx_perr_fail(err, pc->ep == LMX_EP_COMPLETIONS ? LMX_EBADREQ : LMX_ENOTIMPL,
                             pc->ep == LMX_EP_COMPLETIONS ? 400 : 501,
                             pc->ep == LMX_EP_COMPLETIONS ? "invalid_request_error"
                                                          : "not_implemented",
                             "%s serves only /chat/completions through llmux (model=%s)",
                             d->provider, pc->model);
    if (region == NULL)
        region = OCI_DEFAULT_REGION;
    if (!valid_region(region))
        return lmx_perr_fail(err, LMX_ECONFIG, 400, "invalid_request_error",
                             "oci: invalid region '%.64s' (e.g. 'us-ashburn-1')", region);
    if (compartment == NULL)
        return lmx_perr_bad(err, NULL,
                            "oci: oci_compartment_id is required for OCI chat requests; set it "
                            "in litellm_params or OCI_COMPARTMENT_ID");
    if (mode != NULL && strcmp(mode, "ON_DEMAND") != 0 && strcmp(mode, "DEDICATED") != 0)
        return lmx_perr_bad(err, NULL,
                            "oci: oci_serving_mode must be either 'ON_DEMAND' or 'DEDICATED'");
    st = lmx_calloc(1, sizeof(*st));
    if (st == NULL)
        return oom(err);
    lmx_sse_reader_init(&st->sse, OCI_EVENT_MAX);
    st->cohere = is_cohere_model(pc->model);
    snprintf(st->call_id, sizeof(st->call_id), "%s", pc->call_id != NULL ? pc->call_id : "oci");
    snprintf(st->id, sizeof(st->id), "chatcmpl-%s", st->call_id);
    st->created = (long long)lmx_wall_s();
    st->include_usage = pc->stream && json_is_true(json_object_get(
                                          json_object_get(pc->req, "stream_options"),
                                          "include_usage"));
    st->cur_tool = -1;
    pc->state = st;

    rc = LMX_ENOMEM;
    params = lmx_param_call(pc);
    if (params == NULL)
        goto out;
    rc = chat_request(pc, st->cohere, params, &cr, err);
    if (rc < 0)
        goto out;
    serving = mode != NULL && strcmp(mode, "DEDICATED") == 0
                  ? json_pack("{s:s,s:s}", "servingType", "DEDICATED", "endpointId",
                              endpoint != NULL ? endpoint : pc->model)
                  : json_pack("{s:s,s:s}", "servingType", "ON_DEMAND", "modelId", pc->model);
    body = json_pack("{s:s,s:o,s:o}", "compartmentId", compartment, "servingMode", serving,
                     "chatRequest", cr);
    cr = NULL;
    rc = body == NULL ? LMX_ENOMEM : lmx_json_append(body, &out->body);
    if (rc == 0)
        rc = url_of(d, region, &out->url, host, sizeof(host), &path, err);
    if (rc == 0)
        rc = sign_out(pc, out, host, path, err);
    out->method = "POST";
out:
    if (rc == LMX_ENOMEM && err->status == 0)
        oom(err);
    json_decref(params);
    json_decref(body);
    json_decref(cr);
    if (rc < 0) {
        state_free(st);
        pc->state = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Answers */

/* OCI usage -> OpenAI usage. */
static json_t *usage_of(const json_t *u)
{
    long long p = lmx_json_int(json_object_get(u, "promptTokens"));
    long long c = lmx_json_int(json_object_get(u, "completionTokens"));
    long long t = lmx_json_int(json_object_get(u, "totalTokens"));
    json_t *rt = json_object_get(json_object_get(u, "completionTokensDetails"), "reasoningTokens");
    json_t *ct = json_object_get(json_object_get(u, "promptTokensDetails"), "cachedTokens");
    json_t *o = json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)p, "completion_tokens",
                          (json_int_t)c, "total_tokens", (json_int_t)(t > 0 ? t : p + c));
    bool bad = o == NULL;

    if (!bad && json_is_integer(ct))
        lmx_json_put_flag(o, "prompt_tokens_details", json_pack("{s:O}", "cached_tokens", ct),
                          &bad);
    if (!bad && json_is_integer(rt))
        lmx_json_put_flag(o, "completion_tokens_details",
                          json_pack("{s:O}", "reasoning_tokens", rt), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* OCI's finish reasons (COHERE upper case, GENERIC OpenAI-like) -> OpenAI's. */
static const char *finish_of(const char *r, bool tools)
{
    if (r != NULL && (strcasecmp(r, "MAX_TOKENS") == 0 || strcasecmp(r, "LENGTH") == 0))
        return "length";
    if (tools || (r != NULL && (strcasecmp(r, "TOOL_CALL") == 0 ||
                                strcasecmp(r, "TOOL_CALLS") == 0)))
        return "tool_calls";
    return "stop"; /* COMPLETE, STOP, ERROR_TOXIC, CANCELLED, ... (as LiteLLM) */
}

/* One OpenAI tool call. New ref. */
static json_t *tool_call_json(const char *id, const char *name, const char *args)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s}}", "id", id, "type", "function", "function", "name",
                     name != NULL ? name : "", "arguments", args != NULL ? args : "{}");
}

/* GENERIC toolCalls or COHERE toolCalls ({name, parameters}) -> OpenAI tool_calls. */
static json_t *tool_calls_in(const struct oci_state *st, const json_t *tcs)
{
    json_t *out = json_array(), *tc;
    size_t i;

    json_array_foreach(tcs, i, tc) {
        const char *id = lmx_json_str(tc, "id");
        json_t *params = json_object_get(tc, "parameters");
        char *args = json_is_string(json_object_get(tc, "arguments"))
                         ? lmx_strdup(json_string_value(json_object_get(tc, "arguments")))
                         : arguments_text(params);
        char syn[96];

        snprintf(syn, sizeof(syn), "call_%s_%zu", st->call_id, i);
        if (out == NULL || args == NULL ||
            json_array_append_new(
                out, tool_call_json(id != NULL ? id : syn, lmx_json_str(tc, "name"), args)) < 0) {
            free(args);
            json_decref(out);
            return NULL;
        }
        free(args);
    }
    return out;
}

/* The TEXT parts of a GENERIC content list, joined. */
static int content_text(const json_t *content, struct lmx_buf *b)
{
    json_t *part;
    size_t i;

    if (json_is_string(content))
        return lmx_buf_puts(b, json_string_value(content));
    json_array_foreach(content, i, part) {
        const char *ty = json_string_value(json_object_get(part, "type"));
        const char *t = json_string_value(json_object_get(part, "text"));

        if (t != NULL && (ty == NULL || strcasecmp(ty, "TEXT") == 0) && lmx_buf_puts(b, t) < 0)
            return LMX_ENOMEM;
    }
    return 0;
}

static int parse_chat(struct lmx_pcall *pc, const json_t *cr, json_t **out, struct lmx_perr *err)
{
    struct oci_state *st = pc->state;
    const char *fmt = json_string_value(json_object_get(cr, "apiFormat"));
    bool cohere = fmt != NULL ? strcasecmp(fmt, "COHERE") == 0 : st->cohere;
    json_t *msg = NULL, *tcs, *m = NULL, *o = NULL, *calls = NULL;
    const char *fr, *reasoning = NULL;
    struct lmx_buf text;
    int rc = LMX_ENOMEM;

    lmx_buf_init(&text, 256u << 20);
    if (cohere) {
        if (json_is_string(json_object_get(cr, "text")) &&
            lmx_buf_puts(&text, json_string_value(json_object_get(cr, "text"))) < 0)
            goto out;
        tcs = json_object_get(cr, "toolCalls");
        fr = json_string_value(json_object_get(cr, "finishReason"));
    } else {
        json_t *c0 = json_array_get(json_object_get(cr, "choices"), 0);

        if (!json_is_object(c0)) {
            rc = lmx_perr_fail(err, LMX_EUPSTREAM, 500, "internal_server_error",
                               "oci answered without choices");
            goto out;
        }
        msg = json_object_get(c0, "message");
        if (content_text(json_object_get(msg, "content"), &text) < 0)
            goto out;
        reasoning = lmx_json_str(msg, "reasoningContent");
        tcs = json_object_get(msg, "toolCalls");
        fr = json_string_value(json_object_get(c0, "finishReason"));
    }
    if (json_is_array(tcs) && json_array_size(tcs) > 0) {
        calls = tool_calls_in(st, tcs);
        if (calls == NULL)
            goto out;
    }
    m = json_pack("{s:s}", "role", "assistant");
    if (m == NULL)
        goto out;
    rc = lmx_json_put(m, "content", calls != NULL && text.len == 0
                                        ? json_null()
                                        : json_stringn(text.data ? text.data : "", text.len));
    if (rc == 0 && reasoning != NULL)
        rc = lmx_json_put(m, "reasoning_content", json_string(reasoning));
    if (rc == 0 && calls != NULL) {
        rc = lmx_json_put(m, "tool_calls", calls);
        calls = NULL;
    }
    if (rc < 0)
        goto out;
    o = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:O,s:s}]}", "id", st->id, "object",
                  "chat.completion", "created", (json_int_t)st->created, "model", pc->model,
                  "choices", "index", 0, "message", m, "finish_reason",
                  finish_of(fr, json_object_get(m, "tool_calls") != NULL));
    rc = o == NULL ? LMX_ENOMEM : lmx_json_put(o, "usage", usage_of(json_object_get(cr, "usage")));
    if (rc < 0)
        goto out;
    *out = o;
    o = NULL;
out:
    if (rc == LMX_ENOMEM)
        lmx_perr_fail(err, rc, 503, "internal_server_error", "oci: out of memory");
    json_decref(m);
    json_decref(o);
    json_decref(calls);
    lmx_buf_release(&text);
    return rc;
}

static int
oci_parse(struct lmx_pcall *pc, const char *body, size_t len, json_t **out, struct lmx_perr *err)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *cr = json_object_get(root, "chatResponse");
    int rc;

    *out = NULL;
    if (pc->state == NULL) {
        json_decref(root);
        return LMX_EINTERNAL;
    }
    if (!json_is_object(cr)) {
        const char *msg = json_string_value(json_object_get(root, "message"));

        if (msg != NULL)
            lmx_perr_set(err, 500, "internal_server_error", NULL, "oci error: %s", msg);
        else
            lmx_perr_set(err, 500, "internal_server_error", NULL,
                         "oci returned a body without a chatResponse object: %.*s",
                         (int)LMX_MIN(len, 120), body);
        json_decref(root);
        return LMX_EUPSTREAM;
    }
    rc = parse_chat(pc, cr, out, err);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Streams */

/* A new chunk with one choice; *delta gets its (empty) delta object. */
static json_t *chunk_new(const struct oci_state *st, json_t **delta)
{
    json_t *c = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{},s:n}]}", "id", st->id, "object",
                          "chat.completion.chunk", "created", (json_int_t)st->created, "model",
                          st->pc->model, "choices", "index", 0, "delta", "finish_reason");

    if (c != NULL)
        *delta = json_object_get(json_array_get(json_object_get(c, "choices"), 0), "delta");
    return c;
}

static int emit(struct oci_state *st, json_t *chunk)
{
    int rc;

    if (chunk == NULL)
        return LMX_ENOMEM;
    rc = st->cb(chunk, st->ud);
    json_decref(chunk);
    return rc;
}

/* The first chunk: the assistant role (sent once, before anything else). */
static int start(struct oci_state *st)
{
    json_t *d, *c;

    if (st->started)
        return 0;
    st->started = true;
    c = chunk_new(st, &d);
    if (c != NULL && (lmx_json_put(d, "role", json_string("assistant")) < 0 ||
                      lmx_json_put(d, "content", json_string("")) < 0)) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* A chunk whose delta has one string member. */
static int delta_text(struct oci_state *st, const char *key, const char *s, size_t n)
{
    json_t *d, *c;
    int rc = start(st);

    if (rc < 0 || s == NULL || n == 0)
        return rc;
    c = chunk_new(st, &d);
    if (c != NULL && lmx_json_put(d, key, json_stringn(s, n)) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* A chunk with one tool-call delta: a new call (id set) or more arguments of call idx. */
static int delta_tool(struct oci_state *st, int idx, const char *id, const char *name,
                      const char *args)
{
    json_t *d, *c, *tc;
    int rc = start(st);

    if (rc < 0)
        return rc;
    tc = id != NULL ? json_pack("{s:i,s:s,s:s,s:{s:s,s:s}}", "index", idx, "id", id, "type",
                                "function", "function", "name", name != NULL ? name : "",
                                "arguments", args != NULL ? args : "")
                    : json_pack("{s:i,s:{s:s}}", "index", idx, "function", "arguments",
                                args != NULL ? args : "");
    c = chunk_new(st, &d);
    if (c != NULL && lmx_json_put(d, "tool_calls", json_pack("[o]", tc)) < 0) {
        json_decref(c);
        c = NULL;
    } else if (c == NULL) {
        json_decref(tc);
    }
    return emit(st, c);
}

static int finish(struct oci_state *st, const char *fr)
{
    json_t *d, *c;
    int rc = start(st);

    if (rc < 0)
        return rc;
    st->finished = true;
    c = chunk_new(st, &d);
    if (c != NULL && json_object_set_new(json_array_get(json_object_get(c, "choices"), 0),
                                         "finish_reason",
                                         json_string(finish_of(fr, st->ntools > 0))) < 0) {
        json_decref(c);
        c = NULL;
    }
    return emit(st, c);
}

/* COHERE: {"apiFormat":"COHERE","text":"..."}, the last with finishReason (and the whole text). */
static int cohere_event(struct oci_state *st, const json_t *ev, const char *fr)
{
    const char *text = json_string_value(json_object_get(ev, "text"));
    json_t *tcs = json_object_get(ev, "toolCalls"), *calls, *tc;
    bool had_tools = st->ntools > 0;
    size_t i;
    int rc = 0;

    if (text != NULL && text[0] != '\0' && !(fr != NULL && st->text_emitted)) {
        rc = delta_text(st, "content", text, strlen(text));
        st->text_emitted = true;
    }
    if (rc < 0 || !json_is_array(tcs) || json_array_size(tcs) == 0 || (fr != NULL && had_tools))
        return rc;
    calls = tool_calls_in(st, tcs);
    if (calls == NULL)
        return LMX_ENOMEM;
    json_array_foreach(calls, i, tc) {
        json_t *fn = json_object_get(tc, "function");
        char id[160];

        snprintf(id, sizeof(id), "call_%s_%d", st->call_id, st->ntools);
        rc = delta_tool(st, st->ntools++, id, lmx_json_str(fn, "name"),
                        json_string_value(json_object_get(fn, "arguments")));
        if (rc < 0)
            break;
    }
    json_decref(calls);
    return rc;
}

/* GENERIC: {"index":0,"message":{"role":"ASSISTANT","content":[...],"toolCalls":[...]}}. */
static int generic_event(struct oci_state *st, const json_t *msg)
{
    json_t *tcs = json_object_get(msg, "toolCalls"), *tc;
    const char *reasoning = json_string_value(json_object_get(msg, "reasoningContent"));
    struct lmx_buf text;
    size_t i;
    int rc;

    lmx_buf_init(&text, 256u << 20);
    rc = content_text(json_object_get(msg, "content"), &text);
    if (rc == 0 && reasoning != NULL)
        rc = delta_text(st, "reasoning_content", reasoning, strlen(reasoning));
    if (rc == 0)
        rc = delta_text(st, "content", text.data, text.len);
    lmx_buf_release(&text);
    json_array_foreach(tcs, i, tc) {
        const char *id = lmx_json_str(tc, "id"), *name = lmx_json_str(tc, "name");
        json_t *a = json_object_get(tc, "arguments");
        char *args = json_is_string(a) ? lmx_strdup(json_string_value(a))
                     : a != NULL       ? arguments_text(a)
                                       : lmx_strdup("");
        bool fresh = st->cur_tool < 0 || (id != NULL && strcmp(id, st->cur_id) != 0) ||
                     (id == NULL && name != NULL && strcmp(name, st->cur_name) != 0);

        if (rc < 0 || args == NULL) {
            free(args);
            return rc < 0 ? rc : LMX_ENOMEM;
        }
        if (fresh) {
            char syn[96];

            snprintf(syn, sizeof(syn), "call_%s_%d", st->call_id, st->ntools);
            st->cur_tool = st->ntools++;
            snprintf(st->cur_id, sizeof(st->cur_id), "%.127s", id != NULL ? id : syn);
            snprintf(st->cur_name, sizeof(st->cur_name), "%s", name != NULL ? name : "");
            rc = delta_tool(st, st->cur_tool, st->cur_id, name, args);
        } else if (args[0] != '\0') {
            rc = delta_tool(st, st->cur_tool, NULL, NULL, args);
        }
        free(args);
    }
    return rc;
}

/* One JSON object of the stream. */
static int on_object(struct oci_state *st, const char *p, size_t n)
{
    json_t *ev = json_loadb(p, n, 0, NULL), *msg;
    const char *fr;
    int rc = 0;

    if (!json_is_object(ev)) {
        json_decref(ev);
        lmx_perr_set(st->err, 500, "internal_server_error", NULL,
                     "oci sent a malformed stream event: %.*s", (int)LMX_MIN(n, 120), p);
        return LMX_EUPSTREAM;
    }
    if (json_is_object(json_object_get(ev, "usage"))) {
        json_decref(st->usage);
        st->usage = json_incref(json_object_get(ev, "usage"));
    }
    msg = json_object_get(ev, "message");
    fr = lmx_json_str(ev, "finishReason");
    if (json_is_string(msg) && json_object_get(ev, "text") == NULL) { /* {code, message} */
        lmx_perr_set(st->err, 500, "internal_server_error", NULL, "oci stream failed: %s%s%s",
                     json_string_value(msg), lmx_json_str(ev, "code") != NULL ? " - " : "",
                     lmx_json_str(ev, "code") != NULL ? lmx_json_str(ev, "code") : "");
        rc = LMX_EUPSTREAM;
    } else if (!st->finished) {
        const char *fmt = json_string_value(json_object_get(ev, "apiFormat"));

        if (json_is_object(msg))
            rc = generic_event(st, msg);
        else if (json_is_string(json_object_get(ev, "text")) || lmx_streq(fmt, "COHERE") ||
                 json_is_array(json_object_get(ev, "toolCalls")))
            rc = cohere_event(st, ev, fr);
        if (rc == 0 && fr != NULL)
            rc = finish(st, fr);
    }
    json_decref(ev);
    return rc;
}

static int
on_event(const char *event, size_t event_len, const char *data, size_t data_len, void *ud)
{
    struct oci_state *st = ud;
    const char *p = data, *end = data + data_len;
    int rc = 0;

    LMX_UNUSED(event);
    LMX_UNUSED(event_len);
    /* several objects one a line: events OCI separated by a single newline */
    while (rc == 0 && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl != NULL ? nl : end, *s = p;

        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e - s >= 5 && memcmp(s, "data:", 5) == 0) { /* "data:" repeated on a joined line */
            s += 5;
            while (s < e && *s == ' ')
                s++;
        }
        if (e - s == 6 && memcmp(s, "[DONE]", 6) == 0)
            st->done_marker = true;
        else if (e > s)
            rc = on_object(st, s, (size_t)(e - s));
        p = nl != NULL ? nl + 1 : end;
    }
    return rc;
}

static void feed_bind(struct oci_state *st, struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud,
                 struct lmx_perr *err)
{
    st->pc = pc;
    st->cb = cb;
    st->ud = ud;
    st->err = err;
}

static int oci_stream_feed(struct lmx_pcall *pc, const char *p, size_t n, lmx_chunk_cb cb,
                           void *ud, struct lmx_perr *err)
{
    struct oci_state *st = pc->state;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    feed_bind(st, pc, cb, ud, err);
    rc = lmx_sse_reader_feed(&st->sse, p, n, on_event, st);
    if (rc == LMX_ETOOBIG)
        lmx_perr_set(err, 500, "internal_server_error", NULL,
                     "oci sent a stream event larger than %u bytes", OCI_EVENT_MAX);
    return rc;
}

static int oci_stream_end(struct lmx_pcall *pc, lmx_chunk_cb cb, void *ud, struct lmx_perr *err)
{
    struct oci_state *st = pc->state;
    json_t *c;
    int rc;

    if (st == NULL)
        return LMX_EINTERNAL;
    feed_bind(st, pc, cb, ud, err);
    rc = lmx_sse_reader_finish(&st->sse, on_event, st);
    if (rc < 0)
        return rc;
    if (!st->finished) {
        if (!st->done_marker) {
            lmx_perr_set(err, 500, "internal_server_error", NULL,
                         "oci stream ended before its finishReason");
            return LMX_EUPSTREAM;
        }
        rc = finish(st, NULL);
        if (rc < 0)
            return rc;
    }
    if (!st->include_usage || st->usage == NULL)
        return 0;
    c = json_pack("{s:s,s:s,s:I,s:s,s:[],s:o}", "id", st->id, "object", "chat.completion.chunk",
                  "created", (json_int_t)st->created, "model", pc->model, "choices", "usage",
                  usage_of(st->usage));
    return emit(st, c);
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
oci_map_error(struct lmx_pcall *pc, long status, const char *body, size_t len, struct lmx_perr *out)
{
    json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    const char *msg = lmx_json_str(root, "message"), *code = lmx_json_str(root, "code");
    int st = status > 0 && status < 1000 ? (int)status : 500;

    LMX_UNUSED(pc);
    if (msg == NULL && json_is_object(json_object_get(root, "error")))
        msg = lmx_json_str(json_object_get(root, "error"), "message");
    if (msg != NULL)
        lmx_perr_set(out, st, error_type(st), NULL, "%s%s%s", msg, code != NULL ? " - " : "",
                     code != NULL ? code : "");
    else
        lmx_perr_set(out, st, error_type(st), NULL, "oci returned HTTP %d: %.*s", st,
                     (int)LMX_MIN(len, 300), body != NULL ? body : "");
    json_decref(root);
}

static void oci_release(struct lmx_pcall *pc)
{
    state_free(pc->state);
    pc->state = NULL;
}

const struct lmx_provider_ops lmx_provider_oci_ops = {
    .name = "oci",
    .build = oci_build,
    .parse = oci_parse,
    .stream_feed = oci_stream_feed,
    .stream_end = oci_stream_end,
    .map_error = oci_map_error,
    .release = oci_release,
};
