/*
 * provider/vertex.h - Google Vertex AI (`vertex_ai/`, `vertex_ai_beta/`
 * deployments): Gemini, Claude (rawPredict), partner models behind the
 * OpenAI-compatible endpoint, and text embeddings, called with an OAuth2
 * access token that the token step fetches for a service account (a signed
 * RS256 JWT exchanged at the key's token_uri) or an authorized_user
 * credential (refresh token). See vertex.c.
 */
#ifndef LMX_PROVIDER_VERTEX_H
#define LMX_PROVIDER_VERTEX_H

#include <openssl/evp.h>

#include "core/buf.h"
#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_vertex_ops;

/* The OAuth2 scope Vertex AI tokens are asked for. */
#define LMX_VERTEX_SCOPE "https://www.googleapis.com/auth/cloud-platform"

/*
 * Appends a signed service-account assertion to out:
 * base64url({"alg":"RS256","typ":"JWT","kid":kid}) "." base64url({"iss":iss,
 * "scope":scope,"aud":aud,"iat":iat,"exp":iat+3600}) "." base64url(RS256
 * signature of the first two parts with key). kid may be NULL (no "kid").
 * Returns 0, LMX_EBADREQ when key cannot sign RS256, or a buffer error.
 */
int lmx_vertex_jwt(const char *iss, const char *kid, const char *aud, const char *scope,
                   long long iat, EVP_PKEY *key, struct lmx_buf *out);

#endif
