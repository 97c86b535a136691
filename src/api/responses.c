/*
 * api/responses.c - GET/DELETE /v1/responses/{id} and
 * GET /v1/responses/{id}/input_items, answered from the response store.
 *
 * A record is {"response","input_items","messages"} (dialect/responses.c);
 * these endpoints show the first two. A store read may touch SQLite on a
 * memory miss (one primary-key lookup, see store/respstore.c).
 */
#include "core/lmx.h"

#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/responses.h"
#include "core/alloc.h"
#include "core/err.h"
#include "store/respstore.h"

/* Checks the key; returns false when the request was already answered. */
static bool allowed(struct lmx_api_worker *w, struct lmx_http_req *req)
{
    struct lmx_config *cfg = lmx_api_cfg_get(w);
    bool ok = lmx__auth_check(req, cfg) == 0;

    lmx_api_cfg_put(w, cfg);
    return ok;
}

static void not_found(struct lmx_http_req *req, const char *id)
{
    lmx__send_error(req, NULL, 404, "invalid_request_error", NULL,
                    "Response with id '%s' not found.", id);
}

/* The parsed record of id, or NULL (the 404 already sent). */
static json_t *load(struct lmx_http_req *req, const char *id)
{
    size_t len = 0;
    char *text = lmx_respstore_get(id, &len);
    json_t *rec = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;

    lmx_free(text);
    if (!json_is_object(rec)) {
        json_decref(rec);
        not_found(req, id);
        return NULL;
    }
    return rec;
}

/* The "id" of an item (new reference), JSON null when there is none. */
static json_t *id_of(const json_t *item)
{
    json_t *id = json_object_get(item, "id");

    return json_is_string(id) ? json_incref(id) : json_null();
}

void lmx__responses_get(struct lmx_api_worker *w, struct lmx_http_req *req, const char *id)
{
    json_t *rec;

    if (!allowed(w, req))
        return;
    rec = load(req, id);
    if (rec == NULL)
        return;
    lmx__send_json(req, NULL, 200, json_incref(json_object_get(rec, "response")));
    json_decref(rec);
}

void lmx__responses_delete(struct lmx_api_worker *w, struct lmx_http_req *req, const char *id)
{
    if (!allowed(w, req))
        return;
    if (lmx_respstore_delete(id) < 0) {
        not_found(req, id);
        return;
    }
    lmx__send_json(req, NULL, 200,
                   json_pack("{s:s, s:s, s:b}", "id", id, "object", "response", "deleted", 1));
}

void lmx__responses_input_items(struct lmx_api_worker *w, struct lmx_http_req *req,
                                const char *id)
{
    const char *limit_s, *order, *after;
    json_t *rec, *items, *data;
    long limit = 20;
    bool desc = true, has_more = false;
    size_t n, start = 0;

    if (!allowed(w, req))
        return;
    limit_s = lmx_http_req_query(req, "limit");
    order = lmx_http_req_query(req, "order");
    after = lmx_http_req_query(req, "after");
    if (limit_s != NULL) {
        char *end;

        limit = strtol(limit_s, &end, 10);
        if (*limit_s == '\0' || *end != '\0' || limit < 1 || limit > 100) {
            lmx__send_error(req, NULL, 400, "invalid_request_error", "limit",
                            "limit must be an integer between 1 and 100");
            return;
        }
    }
    if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        lmx__send_error(req, NULL, 400, "invalid_request_error", "order",
                        "order must be 'asc' or 'desc'");
        return;
    }
    desc = order == NULL || strcmp(order, "desc") == 0;
    rec = load(req, id);
    if (rec == NULL)
        return;
    items = json_object_get(rec, "input_items");
    n = json_array_size(items);
    if (after != NULL && after[0] != '\0') {
        for (size_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(items, desc ? n - 1 - i : i);
            const char *iid = json_string_value(json_object_get(it, "id"));

            if (iid != NULL && strcmp(iid, after) == 0) {
                start = i + 1;
                break;
            }
        }
    }
    data = json_array();
    for (size_t i = start; data != NULL && i < n; i++) {
        if (json_array_size(data) == (size_t)limit) {
            has_more = true;
            break;
        }
        json_array_append(data, json_array_get(items, desc ? n - 1 - i : i));
    }
    lmx__send_json(req, NULL, 200,
                   json_pack("{s:s, s:o, s:o, s:o, s:b}", "object", "list", "data", data,
                             "first_id", id_of(json_array_get(data, 0)), "last_id",
                             id_of(json_array_get(data, json_array_size(data) - 1)), "has_more",
                             has_more));
    json_decref(rec);
}
