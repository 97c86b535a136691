/*
 * provider/sigv4.c - AWS Signature Version 4 (see sigv4.h).
 *
 * Follows AWS's "Create a signed AWS API request" steps: canonical request,
 * string to sign, signing key (HMAC chain over date, region, service,
 * "aws4_request"), signature. Checked against AWS's published SigV4 test
 * suite in tests/unit/provider/sigv4.c. OpenSSL does the hashing.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/err.h"
#include "provider/sigv4.h"

#define MAX_SEGMENTS 256

static const char hexd[] = "0123456789ABCDEF";
static const char hexl[] = "0123456789abcdef";

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int lmx_sigv4_uri_encode(struct lmx_buf *out, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3];
        int err;

        if (unreserved(c) || (keep_slash && c == '/')) {
            err = lmx_buf_append(out, &s[i], 1);
        } else {
            esc[0] = '%';
            esc[1] = hexd[c >> 4];
            esc[2] = hexd[c & 15];
            err = lmx_buf_append(out, esc, 3);
        }
        if (err < 0)
            return err;
    }
    return 0;
}

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexl[p[i] >> 4];
        out[2 * i + 1] = hexl[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int lmx_sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    if (EVP_Digest(p != NULL ? p : "", n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return LMX_EINTERNAL;
    to_hex(md, 32, out);
    return 0;
}

static int hmac(const void *key, size_t keylen, const void *msg, size_t n, unsigned char out[32])
{
    unsigned int len = 0;

    if (HMAC(EVP_sha256(), key, (int)keylen, msg, n, out, &len) == NULL || len != 32)
        return LMX_EINTERNAL;
    return 0;
}

void lmx_sigv4_date(time_t t, char out[17])
{
    struct tm tm;
    char tmp[96];

    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 16);
    out[16] = '\0';
}

static bool valid_date(const char *d)
{
    if (strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Canonical URI */

static int canonical_uri(struct lmx_buf *out, const char *path)
{
    const char *seg[MAX_SEGMENTS];
    size_t seglen[MAX_SEGMENTS];
    size_t nseg = 0, n = path != NULL ? strlen(path) : 0;
    const char *p = path, *end = path + n;
    bool trailing = n > 0 && path[n - 1] == '/';
    int err;

    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *e = slash != NULL ? slash : end;
        size_t len = (size_t)(e - p);

        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* empty or "." segment: dropped */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg > 0)
                nseg--;
        } else {
            if (nseg == MAX_SEGMENTS)
                return LMX_EBADREQ;
            seg[nseg] = p;
            seglen[nseg++] = len;
        }
        p = slash != NULL ? slash + 1 : end;
    }
    if (nseg == 0)
        return lmx_buf_append(out, "/", 1);
    for (size_t i = 0; i < nseg; i++) {
        err = lmx_buf_append(out, "/", 1);
        if (err == 0)
            err = lmx_sigv4_uri_encode(out, seg[i], seglen[i], false);
        if (err < 0)
            return err;
    }
    return trailing ? lmx_buf_append(out, "/", 1) : 0;
}

/* ------------------------------------------------------------------------ */
/* Canonical query */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends s[0..n) percent-decoded, then URI-encoded, then a NUL. */
static int reencode(struct lmx_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int err;

        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        err = lmx_sigv4_uri_encode(out, &c, 1, false);
        if (err < 0)
            return err;
    }
    return lmx_buf_append(out, "", 1);
}

struct qparam {
    size_t key, value; /* offsets of NUL-terminated strings in the scratch buffer */
};

static int qparam_cmp(const char *base, const struct qparam *a, const struct qparam *b)
{
    int c = strcmp(base + a->key, base + b->key);

    return c != 0 ? c : strcmp(base + a->value, base + b->value);
}

static int canonical_query(struct lmx_buf *out, const char *query)
{
    struct qparam qp[LMX_SIGV4_MAX_PARAMS];
    struct lmx_buf tmp;
    size_t nq = 0;
    const char *p = query, *end;
    int err = 0;

    if (query == NULL || *query == '\0')
        return 0;
    end = query + strlen(query);
    lmx_buf_init(&tmp, (size_t)(end - query) * 3 + 2 * LMX_SIGV4_MAX_PARAMS + 16);
    while (p < end && err == 0) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));

        if (e > p) {
            if (nq == LMX_SIGV4_MAX_PARAMS) {
                err = LMX_EBADREQ;
                break;
            }
            qp[nq].key = tmp.len;
            err = reencode(&tmp, p, (size_t)((eq != NULL ? eq : e) - p));
            qp[nq].value = tmp.len;
            if (err == 0)
                err = eq != NULL ? reencode(&tmp, eq + 1, (size_t)(e - eq - 1))
                                 : lmx_buf_append(&tmp, "", 1);
            nq++;
        }
        p = amp != NULL ? amp + 1 : end;
    }
    /* insertion sort: stable and fine for a few dozen parameters */
    for (size_t i = 1; err == 0 && i < nq; i++) {
        struct qparam x = qp[i];
        size_t j = i;

        while (j > 0 && qparam_cmp(tmp.data, &qp[j - 1], &x) > 0) {
            qp[j] = qp[j - 1];
            j--;
        }
        qp[j] = x;
    }
    for (size_t i = 0; err == 0 && i < nq; i++) {
        if (i > 0)
            err = lmx_buf_append(out, "&", 1);
        if (err == 0)
            err = lmx_buf_puts(out, tmp.data + qp[i].key);
        if (err == 0)
            err = lmx_buf_append(out, "=", 1);
        if (err == 0)
            err = lmx_buf_puts(out, tmp.data + qp[i].value);
    }
    lmx_buf_release(&tmp);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Canonical headers */

/* Appends v trimmed, with runs of spaces and tabs collapsed to one space. */
static int put_value(struct lmx_buf *out, const char *v)
{
    bool space = false, any = false;
    int err = 0;

    for (const char *p = v; *p != '\0' && err == 0; p++) {
        if (*p == ' ' || *p == '\t') {
            space = any;
            continue;
        }
        if (space)
            err = lmx_buf_append(out, " ", 1);
        if (err == 0)
            err = lmx_buf_append(out, p, 1);
        space = false;
        any = true;
    }
    return err;
}

static bool valid_name(const char *n)
{
    if (n == NULL || *n == '\0')
        return false;
    for (const char *p = n; *p != '\0'; p++)
        if (*p == ' ' || *p == '\t' || *p == ':' || *p == '\r' || *p == '\n')
            return false;
    return true;
}

static int name_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)(*a >= 'A' && *a <= 'Z' ? *a + 32 : *a);
        unsigned char y = (unsigned char)(*b >= 'A' && *b <= 'Z' ? *b + 32 : *b);

        if (x != y || x == '\0')
            return (int)x - (int)y;
    }
}

static int put_lower(struct lmx_buf *out, const char *s)
{
    int err = 0;

    for (const char *p = s; *p != '\0' && err == 0; p++) {
        char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);

        err = lmx_buf_append(out, &c, 1);
    }
    return err;
}

/* Appends the canonical headers (each line ending "\n") to `canon` and the signed list to
 * `signed_`. */
static int
canonical_headers(const struct lmx_sigv4_req *r, struct lmx_buf *canon, struct lmx_buf *signed_)
{
    size_t order[LMX_SIGV4_MAX_HEADERS];
    size_t n = r->nheaders;
    int err = 0;

    if (n > LMX_SIGV4_MAX_HEADERS || (n > 0 && r->headers == NULL))
        return LMX_EBADREQ;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;

        if (!valid_name(r->headers[i].name) || r->headers[i].value == NULL)
            return LMX_EBADREQ;
        /* stable insertion sort by lower-case name: repeated names keep their order */
        while (j > 0 && name_cmp(r->headers[order[j - 1]].name, r->headers[i].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t i = 0; i < n && err == 0; i++) {
        const struct lmx_sigv4_hdr *h = &r->headers[order[i]];
        bool same = i > 0 && name_cmp(r->headers[order[i - 1]].name, h->name) == 0;

        if (same) {
            /* a repeated header: its values joined with commas on one line */
            canon->len--; /* the previous line's "\n" */
            err = lmx_buf_append(canon, ",", 1);
        } else {
            if (signed_->len > 0)
                err = lmx_buf_append(signed_, ";", 1);
            if (err == 0)
                err = put_lower(signed_, h->name);
            if (err == 0)
                err = put_lower(canon, h->name);
            if (err == 0)
                err = lmx_buf_append(canon, ":", 1);
        }
        if (err == 0)
            err = put_value(canon, h->value);
        if (err == 0)
            err = lmx_buf_append(canon, "\n", 1);
    }
    return err;
}

/* ------------------------------------------------------------------------ */
/* Signing */

int lmx_sigv4_sign(const struct lmx_sigv4_req *r,
                   struct lmx_buf *auth,
                   struct lmx_buf *canonical,
                   struct lmx_buf *sts)
{
    struct lmx_buf creq, signed_hdrs, str, key;
    char hash[65], date[9], sig[65];
    unsigned char k[32], k2[32];
    int err;

    if (r->method == NULL || r->amz_date == NULL || !valid_date(r->amz_date) || r->region == NULL ||
        r->service == NULL || r->access_key == NULL || r->secret_key == NULL ||
        *r->region == '\0' || *r->service == '\0')
        return LMX_EBADREQ;
    memcpy(date, r->amz_date, 8);
    date[8] = '\0';
    lmx_buf_init(&creq, 1u << 20);
    lmx_buf_init(&signed_hdrs, 4096);
    lmx_buf_init(&str, 4096);
    lmx_buf_init(&key, 4096);

    /* 1. the canonical request */
    err = lmx_buf_puts(&creq, r->method);
    if (err == 0)
        err = lmx_buf_append(&creq, "\n", 1);
    if (err == 0)
        err = canonical_uri(&creq, r->path != NULL && *r->path ? r->path : "/");
    if (err == 0)
        err = lmx_buf_append(&creq, "\n", 1);
    if (err == 0)
        err = canonical_query(&creq, r->query);
    if (err == 0)
        err = lmx_buf_append(&creq, "\n", 1);
    if (err == 0)
        err = canonical_headers(r, &creq, &signed_hdrs);
    if (err == 0)
        err = lmx_buf_append(&creq, "\n", 1);
    if (err == 0)
        err = lmx_buf_append(&creq, signed_hdrs.data ? signed_hdrs.data : "", signed_hdrs.len);
    if (err == 0)
        err = lmx_buf_append(&creq, "\n", 1);
    if (err == 0)
        err = lmx_sigv4_sha256_hex(r->payload, r->payload_len, hash);
    if (err == 0)
        err = lmx_buf_append(&creq, hash, 64);
    if (err == 0 && canonical != NULL)
        err = lmx_buf_append(canonical, creq.data, creq.len);

    /* 2. the string to sign */
    if (err == 0)
        err = lmx_sigv4_sha256_hex(creq.data, creq.len, hash);
    if (err == 0)
        err = lmx_buf_printf(&str, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date,
                             date, r->region, r->service, hash);
    if (err == 0 && sts != NULL)
        err = lmx_buf_append(sts, str.data, str.len);

    /* 3. the signing key and the signature */
    if (err == 0)
        err = lmx_buf_printf(&key, "AWS4%s", r->secret_key);
    if (err == 0)
        err = hmac(key.data, key.len, date, 8, k);
    if (err == 0)
        err = hmac(k, 32, r->region, strlen(r->region), k2);
    if (err == 0)
        err = hmac(k2, 32, r->service, strlen(r->service), k);
    if (err == 0)
        err = hmac(k, 32, "aws4_request", 12, k2);
    if (err == 0)
        err = hmac(k2, 32, str.data, str.len, k);
    if (err == 0) {
        to_hex(k, 32, sig);
        err = lmx_buf_printf(auth,
                             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
                             "SignedHeaders=%s, Signature=%s",
                             r->access_key, date, r->region, r->service,
                             signed_hdrs.data ? signed_hdrs.data : "", sig);
    }
    if (key.data != NULL)
        OPENSSL_cleanse(key.data, key.len);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(k2, sizeof(k2));
    lmx_buf_release(&creq);
    lmx_buf_release(&signed_hdrs);
    lmx_buf_release(&str);
    lmx_buf_release(&key);
    return err;
}
