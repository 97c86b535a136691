/*
 * provider/sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256) for one HTTP
 * request, as the AWS services other than S3 expect it.
 *
 * The signer builds the canonical request (method, canonical URI, canonical
 * query, canonical headers, signed headers, payload SHA-256), the string to
 * sign and the Authorization header value. The caller decides which headers
 * are signed (host and x-amz-date at least, x-amz-security-token when the
 * credentials have a session token) and must send exactly those headers with
 * exactly those values.
 *
 * Not here: where credentials come from (provider/bedrock.c), STS.
 */
#ifndef LMX_SIGV4_H
#define LMX_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/lmx.h"

#define LMX_SIGV4_MAX_HEADERS 32
#define LMX_SIGV4_MAX_PARAMS  64

/* A header to sign: name in any case, value as sent (trimmed and space-collapsed when signed). */
struct lmx_sigv4_hdr {
    const char *name;
    const char *value;
};

struct lmx_sigv4_req {
    const char *method; /* "GET", "POST", ... */
    /*
     * The path as it is sent on the wire. For the canonical URI it is
     * normalised (empty and "." segments dropped, ".." resolved) and each
     * segment is URI-encoded once more, as AWS wants for every service but S3:
     * "/model/a%3A0/converse" is signed as "/model/a%253A0/converse".
     */
    const char *path;
    const char *query;                   /* as sent, without '?'; NULL or "" when none */
    const struct lmx_sigv4_hdr *headers; /* every header to sign, host and x-amz-date included */
    size_t nheaders;
    const void *payload; /* the exact body bytes; NULL with payload_len 0 for none */
    size_t payload_len;
    const char *amz_date; /* the x-amz-date value, "YYYYMMDDTHHMMSSZ" */
    const char *region;   /* "us-east-1" */
    const char *service;  /* "bedrock" */
    const char *access_key;
    const char *secret_key;
};

/*
 * Signs r and appends the Authorization header value
 * ("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>") to `auth`. When
 * `canonical` or `sts` is not NULL the canonical request or the string to
 * sign is appended there too (for tests and debugging).
 * Returns 0; LMX_EBADREQ when the request cannot be signed (a field missing,
 * a malformed date, more than LMX_SIGV4_MAX_HEADERS headers or
 * LMX_SIGV4_MAX_PARAMS query parameters, a header name that is empty or has
 * a space or colon); LMX_ENOMEM or LMX_ETOOBIG from the buffers; or
 * LMX_EINTERNAL when OpenSSL fails. On failure the buffers may hold part of
 * the output.
 */
int lmx_sigv4_sign(const struct lmx_sigv4_req *r,
                   struct lmx_buf *auth,
                   struct lmx_buf *canonical,
                   struct lmx_buf *sts);

/* Formats t (seconds since the epoch) as the UTC "YYYYMMDDTHHMMSSZ" of x-amz-date. */
void lmx_sigv4_date(time_t t, char out[17]);

/*
 * Appends n bytes of s URI-encoded the SigV4 way: A-Z a-z 0-9 - . _ ~ stay,
 * '/' stays when keep_slash, every other byte becomes %XX (upper-case hex).
 * Returns 0 or a buffer error.
 */
int lmx_sigv4_uri_encode(struct lmx_buf *out, const char *s, size_t n, bool keep_slash);

/* The lower-case hex SHA-256 of p[0..n) into out (65 bytes with the NUL). Returns 0 or
 * LMX_EINTERNAL. */
int lmx_sigv4_sha256_hex(const void *p, size_t n, char out[65]);

#endif
