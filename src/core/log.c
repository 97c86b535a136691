/*
 * core/log.c - timestamped log lines on stderr, one write(2) each.
 */
#include "core/lmx.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static _Atomic int cur_level = LMX_LOG_INFO;

void lmx_log_set_level(enum lmx_log_level lvl)
{
    atomic_store_explicit(&cur_level, (int)lvl, memory_order_relaxed);
}

enum lmx_log_level lmx_log_get_level(void)
{
    return (enum lmx_log_level)atomic_load_explicit(&cur_level, memory_order_relaxed);
}

int lmx_log_parse_level(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcasecmp(s, "DEBUG") == 0)
        return LMX_LOG_DEBUG;
    if (strcasecmp(s, "INFO") == 0)
        return LMX_LOG_INFO;
    if (strcasecmp(s, "WARNING") == 0 || strcasecmp(s, "WARN") == 0)
        return LMX_LOG_WARN;
    if (strcasecmp(s, "ERROR") == 0 || strcasecmp(s, "CRITICAL") == 0)
        return LMX_LOG_ERROR;
    return -1;
}

void lmx_log(enum lmx_log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n, m;

    if ((int)lvl < atomic_load_explicit(&cur_level, memory_order_relaxed))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s llmux: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, names[lvl]);
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}
