/*
 * bench/ready.c - readiness polling and cold-start timing for llmux-load.
 *
 * Plain blocking sockets: these helpers run alone, before or between load runs,
 * and poll every millisecond. The cold-start helper spawns the server itself so
 * that the clock starts at fork(), learns the port from the server's
 * "listening on" line (so servers can use port 0) and stops at the first 200.
 */
#include "core/lmx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* "host:port" (IPv4 literal or localhost) into addr; returns 0 or -1. */
static int parse_hostport(const char *s, size_t n, struct sockaddr_in *addr)
{
    char host[64];
    const char *colon = memrchr(s, ':', n);
    long port;
    char *end;

    if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || port <= 0 || port > 65535)
        return -1;
    if (strcmp(host, "localhost") == 0 || host[0] == '\0')
        memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return -1;
    return 0;
}

/* One GET; returns the status code, or -1 when the exchange failed. */
static int http_get_status(const struct sockaddr_in *addr, const char *path)
{
    char req[512], resp[256];
    struct timeval tv = {1, 0};
    size_t got = 0;
    ssize_t r;
    int fd, n, code = -1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
        goto out;
    n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n\r\n",
                 path, inet_ntoa(addr->sin_addr), (unsigned)ntohs(addr->sin_port));
    if (n < 0 || (size_t)n >= sizeof(req) || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        goto out;
    while (got < sizeof(resp) - 1) {
        r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        resp[got] = '\0';
        if (strstr(resp, "\r\n") != NULL)
            break;
    }
    resp[got] = '\0';
    if (got >= 12 && strncmp(resp, "HTTP/1.", 7) == 0)
        code = (int)strtol(resp + 9, NULL, 10);
out:
    close(fd);
    return code;
}

int lmx_ready_wait(const char *url, double timeout_s, double *ms)
{
    struct sockaddr_in addr;
    const char *hp = url, *slash;
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9);

    if (strncmp(hp, "http://", 7) == 0)
        hp += 7;
    slash = strchr(hp, '/');
    if (slash == NULL)
        slash = hp + strlen(hp);
    if (parse_hostport(hp, (size_t)(slash - hp), &addr) < 0) {
        fprintf(stderr, "llmux-load: cannot parse url '%s'\n", url);
        return -1;
    }
    for (;;) {
        if (http_get_status(&addr, *slash ? slash : "/") == 200) {
            *ms = (double)(now_ns() - t0) / 1e6;
            return 0;
        }
        if (now_ns() >= deadline)
            return -1;
        sleep_ms(1);
    }
}

static long read_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Stops the child: SIGTERM, drain its output, SIGKILL after 3 s. */
static void child_stop(pid_t pid, int fd)
{
    char buf[4096];
    uint64_t deadline = now_ns() + 3000000000ull;
    struct pollfd pfd = {fd, POLLIN, 0};
    int status;

    kill(pid, SIGTERM);
    while (now_ns() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        if (poll(&pfd, 1, 5) > 0 && read(fd, buf, sizeof(buf)) <= 0)
            sleep_ms(1);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

/*
 * One cold start: returns 0 and the time from fork() to the first 200 in *ms,
 * the resident set at that moment in *rss_kb; -1 on failure.
 */
static int
cold_start_once(char **argv, const char *ready_path, double timeout_s, double *ms, long *rss_kb)
{
    char text[8192];
    size_t len = 0;
    struct sockaddr_in addr;
    bool have_addr = false;
    uint64_t t0, deadline;
    int fds[2], rc = -1;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "llmux-load: cannot create pipe: %s\n", strerror(errno));
        return -1;
    }
    t0 = now_ns();
    deadline = t0 + (uint64_t)(timeout_s * 1e9);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "llmux-load: cannot fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);

    /* Read its output until the "listening on" line names the address. */
    while (!have_addr && now_ns() < deadline) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        const char *p, *eol;
        ssize_t r;

        if (poll(&pfd, 1, 1) <= 0)
            continue;
        r = read(fds[0], text + len, sizeof(text) - 1 - len);
        if (r <= 0) {
            fprintf(stderr, "llmux-load: '%s' exited before listening\n", argv[0]);
            goto out;
        }
        len += (size_t)r;
        text[len] = '\0';
        p = strstr(text, "listening on ");
        if (p != NULL) {
            p += strlen("listening on ");
            eol = strpbrk(p, " \r\n/");
            if (eol == NULL)
                continue; /* the rest of the line has not arrived yet */
            if (strncmp(p, "http://", 7) == 0) {
                p += 7;
                eol = strpbrk(p, " \r\n/");
                if (eol == NULL)
                    continue;
            }
            if (parse_hostport(p, (size_t)(eol - p), &addr) < 0) {
                fprintf(stderr, "llmux-load: cannot parse the listening line of '%s'\n", argv[0]);
                goto out;
            }
            have_addr = true;
        } else if (len > sizeof(text) / 2) {
            /* keep the tail only: the line may be split between reads */
            memmove(text, text + len - 256, 256);
            len = 256;
        }
    }
    if (!have_addr) {
        fprintf(stderr, "llmux-load: '%s' did not say 'listening on' in time\n", argv[0]);
        goto out;
    }
    for (;;) {
        if (http_get_status(&addr, ready_path) == 200)
            break;
        if (now_ns() >= deadline) {
            fprintf(stderr, "llmux-load: '%s' never answered 200 on %s\n", argv[0], ready_path);
            goto out;
        }
        sleep_ms(1);
    }
    *ms = (double)(now_ns() - t0) / 1e6;
    *rss_kb = read_rss_kb(pid);
    rc = 0;
out:
    child_stop(pid, fds[0]);
    close(fds[0]);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int lmx_cold_start(char **argv, const char *ready_path, int runs, double timeout_s, bool json)
{
    double ms[64], rss[64], med, med_rss;
    long kb;
    int i;

    if (runs < 1)
        runs = 1;
    if (runs > (int)LMX_ARRAY_SIZE(ms))
        runs = (int)LMX_ARRAY_SIZE(ms);
    for (i = 0; i < runs; i++) {
        if (cold_start_once(argv, ready_path, timeout_s, &ms[i], &kb) < 0)
            return -1;
        rss[i] = (double)kb;
    }
    qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_double);
    qsort(rss, (size_t)runs, sizeof(rss[0]), cmp_double);
    med = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
    med_rss = rss[runs / 2];
    if (json)
        printf("{\"mode\":\"cold_start\",\"runs\":%d,\"median_ms\":%.2f,\"min_ms\":%.2f,"
               "\"max_ms\":%.2f,\"rss_at_ready_kb\":%.0f}\n",
               runs, med, ms[0], ms[runs - 1], med_rss);
    fprintf(json ? stderr : stdout,
            "cold start (%s, fork to first 200 on %s): median %.2f ms, min %.2f, max %.2f over "
            "%d runs; rss at ready %.0f kB\n",
            argv[0], ready_path, med, ms[0], ms[runs - 1], runs, med_rss);
    return 0;
}
