/*
 * provider/bytez.h - Bytez model API chat (`bytez/` deployments):
 * {"messages","stream","params"} on https://api.bytez.com/models/v2/{model}.
 * See bytez.c.
 */
#ifndef LMX_PROVIDER_BYTEZ_H
#define LMX_PROVIDER_BYTEZ_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_bytez_ops;

#endif
