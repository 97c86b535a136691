/*
 * api/responses.h - the stored-response endpoints of the Responses API:
 * GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items.
 *
 * They read the records dialect/responses.c puts in store/respstore.h.
 * POST /v1/responses itself is the proxy with the "responses" dialect.
 */
#ifndef LMX_API_RESPONSES_H
#define LMX_API_RESPONSES_H

#include "api/api.h"

/*
 * Each checks the master key, then answers at once: the Response object, the
 * deletion receipt {"id","object":"response","deleted":true}, or the list of
 * input items (query: limit 1-100, default 20; order asc|desc, default desc;
 * after <item id>). An unknown id gets 404 with OpenAI's message. `id` is the
 * path segment (NUL-terminated, borrowed).
 */
void lmx__responses_get(struct lmx_api_worker *w, struct lmx_http_req *req, const char *id);
void lmx__responses_delete(struct lmx_api_worker *w, struct lmx_http_req *req, const char *id);
void lmx__responses_input_items(struct lmx_api_worker *w, struct lmx_http_req *req,
                                const char *id);

#endif
