/*
 * provider/gigachat.h - Sber GigaChat chat (`gigachat/` deployments), called
 * with an OAuth token that the token step fetches for the Basic credentials.
 * See gigachat.c.
 */
#ifndef LMX_PROVIDER_GIGACHAT_H
#define LMX_PROVIDER_GIGACHAT_H

#include "provider/provider.h"

extern const struct lmx_provider_ops lmx_provider_gigachat_ops;

#endif
