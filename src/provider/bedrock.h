/*
 * provider/bedrock.h - AWS Bedrock through the Converse API (`bedrock/` and
 * `bedrock/converse/` deployments): OpenAI chat requests in, SigV4-signed
 * /model/{id}/converse[-stream] out, the answer and its binary event stream
 * back as OpenAI objects; OpenAI embeddings requests for Amazon Titan text
 * and Cohere embed models through /model/{id}/invoke. http(s) image URLs are
 * fetched (token_prepare / token_done, the proxy's pre-steps) and sent as
 * bytes. See bedrock.c (and sigv4.h, eventstream.h).
 */
#ifndef LMX_PROVIDER_BEDROCK_H
#define LMX_PROVIDER_BEDROCK_H

#include <stdbool.h>
#include <stddef.h>

#include "provider/eventstream.h"
#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_bedrock_ops;

/* ---- AWS helpers shared with the other AWS families (provider/sagemaker.c) ---- */

/*
 * The signing region of a deployment: litellm_params aws_region_name, else
 * the region of an ARN model id (model_id may be NULL), else
 * AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION, else us-west-2. It may
 * point into buf (n bytes). NULL when the region is not a valid name.
 */
const char *
lmx__aws_region(const struct lmx_deployment *d, const char *model_id, char *buf, size_t n);

/* The URL's "host[:port]" and the path after it (may be ""). False when not http(s). */
bool lmx__aws_split_url(const char *url, const char **host, size_t *host_len, const char **path);

/*
 * Signs out (method, out->body) for `service` with the deployment's
 * credentials (aws_access_key_id / aws_secret_access_key / aws_session_token
 * from litellm_params, else AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN) and adds the X-Amz-Date, X-Amz-Security-Token and
 * Authorization headers. `host` and `path` must be exactly what is sent (the
 * caller adds the Host header). Returns 0; or LMX_ECONFIG (no credentials,
 * 500), LMX_ENOTIMPL (STS-only settings, 501) or a buffer error, *err filled.
 */
int lmx__aws_sign(const struct lmx_deployment *d,
                  struct lmx_upreq *out,
                  const char *service,
                  const char *region,
                  const char *host,
                  const char *path,
                  struct lmx_perr *err);

/*
 * The eventstream half of an AWS adapter's stream_feed: decodes p[0..n) into
 * dec, on_message(m, ud) for each message. When decoding fails for a reason
 * of its own (not the callback's failure *cb_err) and err is still empty,
 * err says so naming `who` ("bedrock", "sagemaker"): a message over `max`
 * bytes, no memory, or a malformed message. Returns what the decoder did.
 */
int lmx__aws_es_feed(struct lmx_es_decoder *dec, const char *p, size_t n, lmx_es_cb on_message,
                     void *ud, const int *cb_err, const char *who, unsigned max,
                     struct lmx_perr *err);

/*
 * The eventstream checks of an AWS adapter's stream_end: the decoder's
 * earlier failure, or LMX_EUPSTREAM with err naming `who` when the stream
 * ended inside a message. 0 when the stream may end here.
 */
int lmx__aws_es_end(const struct lmx_es_decoder *dec, const char *who, struct lmx_perr *err);

#endif
