/*
 * core/log.h - process log lines on stderr.
 *
 * One line per message: "<UTC time> <LEVEL> <message>". Thread-safe (one write(2)
 * per line). The level comes from --detailed_debug / LITELLM_LOG.
 */
#ifndef LMX_LOG_H
#define LMX_LOG_H

#include "core/lmx.h"

enum lmx_log_level { LMX_LOG_DEBUG, LMX_LOG_INFO, LMX_LOG_WARN, LMX_LOG_ERROR };

void lmx_log_set_level(enum lmx_log_level lvl);
enum lmx_log_level lmx_log_get_level(void);
/* Parses "DEBUG", "INFO", "WARNING", "ERROR" (any case); returns -1 for anything else. */
int lmx_log_parse_level(const char *s);

void lmx_log(enum lmx_log_level lvl, const char *fmt, ...) LMX_PRINTF(2, 3);

#define lmx_debug(...)                                                                             \
    do {                                                                                           \
        if (lmx_log_get_level() <= LMX_LOG_DEBUG)                                                  \
            lmx_log(LMX_LOG_DEBUG, __VA_ARGS__);                                                   \
    } while (0)
#define lmx_info(...) lmx_log(LMX_LOG_INFO, __VA_ARGS__)
#define lmx_warn(...) lmx_log(LMX_LOG_WARN, __VA_ARGS__)
#define lmx_error(...) lmx_log(LMX_LOG_ERROR, __VA_ARGS__)

#endif
