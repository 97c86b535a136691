/*
 * provider/oci.h - Oracle Cloud Infrastructure Generative AI (`oci/`): chat on
 * POST {base}/20231130/actions/chat, signed with OCI's HTTP Signature
 * (version 1, rsa-sha256).
 *
 * The base is api_base ("{region}" replaced, a trailing
 * /20231130/actions/<name> dropped), else
 * https://inference.generativeai.{region}.oci.oraclecloud.com. The model
 * selects the body: cohere.* models get the COHERE api format (message,
 * chatHistory, preambleOverride), every other one (meta.*, xai.*, openai.*,
 * google.*, ...) the GENERIC one (messages with typed content parts).
 *
 * Settings come from litellm_params, else from the environment, as LiteLLM
 * reads them: oci_region (OCI_REGION, default us-ashburn-1), oci_user
 * (OCI_USER), oci_fingerprint (OCI_FINGERPRINT), oci_tenancy (OCI_TENANCY),
 * oci_key (OCI_KEY: the PEM text) or oci_key_file (OCI_KEY_FILE: a path),
 * oci_compartment_id (OCI_COMPARTMENT_ID), oci_serving_mode (ON_DEMAND or
 * DEDICATED) and oci_endpoint_id (DEDICATED). A key is read and parsed once
 * per process and kept by its source (path or PEM text).
 */
#ifndef LMX_PROVIDER_OCI_H
#define LMX_PROVIDER_OCI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_oci_ops;

/* The headers OCI's signature covers on a request with a body, in signing order. */
#define LMX_OCI_SIGNED_HEADERS \
    "date (request-target) host content-length content-type x-content-sha256"

/* One request to sign: every value exactly as it is sent. */
struct lmx_oci_sign_req {
    const char *method; /* "POST" */
    const char *path;   /* path and query as sent: "/20231130/actions/chat" */
    const char *host;   /* the Host header: inference.generativeai.{region}.oci.oraclecloud.com */
    const char *date;   /* the Date header (RFC 7231 IMF-fixdate, lmx_oci_date) */
    const char *content_type;
    const void *body;
    size_t body_len;
    const char *key_id; /* "{tenancy}/{user}/{fingerprint}" */
};

/* Formats t (seconds since the epoch) as "Sun, 06 Nov 1994 08:49:37 GMT". */
void lmx_oci_date(time_t t, char out[30]);

/*
 * Signs r with the RSA key: appends base64(SHA-256(body)) to sha (the
 * x-content-sha256 value) and the Authorization value (Signature
 * version="1",keyId=...,algorithm="rsa-sha256",headers="...",signature="...")
 * to auth; the signing string to `signing` when it is not NULL. Returns 0;
 * LMX_EBADREQ when a field is missing or the key is not RSA; LMX_EINTERNAL
 * when OpenSSL fails; or a buffer error.
 */
int lmx_oci_sign(const struct lmx_oci_sign_req *r, EVP_PKEY *key, struct lmx_buf *sha,
                 struct lmx_buf *auth, struct lmx_buf *signing);

#endif
