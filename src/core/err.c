/*
 * core/err.c - lookups over the error table in err.h.
 */
#include "core/lmx.h"

#include "core/err.h"

struct err_row {
    int status;
    const char *type;
    const char *msg;
};

static const struct err_row rows[] = {
#define XX(name, status, type, msg) {status, type, msg},
    LMX_ERRNO_MAP(XX)
#undef XX
};

static const struct err_row *row_of(int err)
{
    if (err <= LMX__ERR_MIN || err >= LMX__ERR_MAX)
        return NULL;
    return &rows[err - LMX__ERR_MIN - 1];
}

const char *lmx_strerror(int err)
{
    const struct err_row *r = row_of(err);

    return r != NULL ? r->msg : "unknown error";
}

int lmx_err_status(int err)
{
    const struct err_row *r = row_of(err);

    return r != NULL ? r->status : 500;
}

const char *lmx_err_type(int err)
{
    const struct err_row *r = row_of(err);

    return r != NULL ? r->type : "internal_server_error";
}
