/*
 * core/err.h - llmux error codes.
 *
 * 0 is success; failures are negative codes from one table. Each row gives the
 * HTTP status and the OpenAI-style error.type a client sees for it. Codes from
 * libuv, curl and the others are translated where they are called.
 */
#ifndef LMX_ERR_H
#define LMX_ERR_H

/* clang-format off */
/*  name        http  error.type               default message */
#define LMX_ERRNO_MAP(XX)                                                              \
    XX(BADREQ,      400, "invalid_request_error", "malformed request")                \
    XX(BADJSON,     400, "invalid_request_error", "request body is not valid JSON")   \
    XX(BADMODEL,    400, "invalid_request_error", "invalid model name")               \
    XX(BADPARAM,    400, "invalid_request_error", "unsupported parameter")            \
    XX(AUTH,        401, "auth_error",            "invalid api key")                  \
    XX(NOTFOUND,    404, "not_found_error",       "not found")                        \
    XX(METHOD,      405, "invalid_request_error", "method not allowed")               \
    XX(TIMEOUT,     408, "timeout",               "request timed out")                \
    XX(TOOBIG,      413, "invalid_request_error", "request too large")                \
    XX(HDRTOOBIG,   431, "invalid_request_error", "request headers too large")        \
    XX(RATELIMIT,   429, "rate_limit_error",      "rate limit exceeded")              \
    XX(NODEPLOY,    429, "rate_limit_error",      "no deployments available")         \
    XX(INTERNAL,    500, "internal_server_error", "internal error")                   \
    XX(NOTIMPL,     501, "not_implemented",       "not implemented")                  \
    XX(UPSTREAM,    500, "internal_server_error", "upstream connection failed")       \
    XX(CONNECT,     500, "internal_server_error", "cannot connect to upstream")       \
    XX(NOMEM,       503, "internal_server_error", "out of memory")                    \
    XX(SHUTDOWN,    503, "internal_server_error", "server is shutting down")          \
    XX(GWTIMEOUT,   504, "timeout",               "upstream timed out")               \
    XX(CLIENT,      499, "internal_server_error", "client closed the connection")     \
    XX(IO,          500, "internal_server_error", "i/o error")                        \
    XX(CONFIG,      500, "internal_server_error", "invalid configuration")
/* clang-format on */

enum lmx_err {
    LMX_OK = 0,
    LMX__ERR_MIN = -1000,
#define XX(name, status, type, msg) LMX_E##name,
    LMX_ERRNO_MAP(XX)
#undef XX
    LMX__ERR_MAX,
    /* control flow, never reaches a client */
    LMX_AGAIN = -1,
    LMX_DECLINED = -2,
};

/* Returns a static string; an unknown code gives "unknown error". */
const char *lmx_strerror(int err);
/* HTTP status for a code; 500 for an unknown one. */
int lmx_err_status(int err);
/* OpenAI-style error.type for a code; "internal_server_error" for an unknown one. */
const char *lmx_err_type(int err);

#endif
