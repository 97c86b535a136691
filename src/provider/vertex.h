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

/*
 * For the /vertex_ai/ pass-through route (api/passthrough.c). It runs the
 * token step through lmx_provider_vertex_ops (token_prepare, then token_done
 * when that asked for a request) with a struct lmx_pcall whose only field set
 * is dep (a zeroed deployment when the credentials come from the
 * environment), then builds its URL and Authorization header from these, and
 * frees the call's state with ops->release.
 */

/* The bearer token the token step left in pc (borrowed, valid until release), or NULL. */
const char *lmx_vertex_token(const struct lmx_pcall *pc);

/*
 * The project of pc's deployment: vertex_project, else the project_id (or
 * quota_project_id) of the credential the token step read, else
 * VERTEXAI_PROJECT; NULL when none is known.
 */
const char *lmx_vertex_project(const struct lmx_pcall *pc);

/*
 * The deployment's location: vertex_location, else VERTEXAI_LOCATION /
 * VERTEX_LOCATION, else us-central1 (borrowed).
 */
const char *lmx_vertex_location(const struct lmx_deployment *d);

/*
 * Appends the scheme and host for location `loc` (escaped): d's api_base
 * with every "{location}" replaced (trailing '/' dropped), else
 * https://{loc}-aiplatform.googleapis.com (https://aiplatform.googleapis.com
 * for "global"). Returns 0 or a buffer error.
 */
int lmx_vertex_base(const struct lmx_deployment *d, const char *loc, struct lmx_buf *out);

#endif
