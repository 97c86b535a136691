/*
 * tests/unit/upstream/sse.c - the SSE reader (any split of real provider
 * streams, line endings, fields, caps) and the SSE writer.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "test.h"
#include "upstream/sse.h"

/* Every event as "<event>\x01<data>\x02", so two runs compare as one string. */
struct collect {
    struct lmx_buf out;
    int nevents;
    int stop_after; /* return LMX_ECLIENT from this event on; 0 = never */
};

static int
collect_cb(const char *event, size_t event_len, const char *data, size_t data_len, void *ud)
{
    struct collect *c = ud;

    if (strlen(event) != event_len || strlen(data) != data_len)
        return LMX_EINTERNAL; /* both must be NUL-terminated at their length */
    c->nevents++;
    if (lmx_buf_append(&c->out, event, event_len) < 0 || lmx_buf_append(&c->out, "\x01", 1) < 0 ||
        lmx_buf_append(&c->out, data, data_len) < 0 || lmx_buf_append(&c->out, "\x02", 1) < 0)
        return LMX_ENOMEM;
    if (c->stop_after > 0 && c->nevents >= c->stop_after)
        return LMX_ECLIENT;
    return 0;
}

static void collect_init(struct collect *c)
{
    lmx_buf_init(&c->out, 1 << 24);
    c->nevents = 0;
    c->stop_after = 0;
}

static char *read_fixture(const char *rel, size_t *len)
{
    const char *dir = getenv("LMX_FIXTURES");
    char path[4096];
    FILE *f;
    char *p = NULL;
    long n;

    if (dir == NULL)
        dir = "../shared/fixtures";
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open fixture '%s'\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        }
        if (p != NULL) {
            p[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return p;
}

/* Feeds p in the pieces given by cuts (sorted offsets), then finishes. */
static int
run_pieces(const char *p, size_t n, const size_t *cuts, size_t ncuts, struct collect *c, size_t max)
{
    struct lmx_sse_reader r;
    size_t at = 0, i;
    int err = 0;

    lmx_sse_reader_init(&r, max);
    for (i = 0; i <= ncuts && err == 0; i++) {
        size_t to = i < ncuts ? cuts[i] : n;

        err = lmx_sse_reader_feed(&r, p + at, to - at, collect_cb, c);
        at = to;
    }
    if (err == 0)
        err = lmx_sse_reader_finish(&r, collect_cb, c);
    lmx_sse_reader_release(&r);
    return err;
}

static int run_whole(const char *p, size_t n, struct collect *c)
{
    return run_pieces(p, n, NULL, 0, c, 1 << 20);
}

static int run_str(const char *s, struct collect *c)
{
    return run_whole(s, strlen(s), c);
}

/* Same events for one feed, every two-piece split, byte by byte, and random pieces. */
static void check_all_splits(const char *rel, int want_events)
{
    struct collect whole, part;
    size_t n = 0, k, *cuts;
    char *p = read_fixture(rel, &n);
    unsigned seed = 12345;
    int round;

    if (p == NULL) {
        fprintf(stderr, "skip %s: the shared fixtures are not here\n", rel);
        return;
    }
    collect_init(&whole);
    ASSERT_EQ(run_whole(p, n, &whole), 0);
    ASSERT_EQ(whole.nevents, want_events);
    ASSERT(memchr(whole.out.data, '\r', whole.out.len) == NULL);
    for (k = 0; k <= n; k++) {
        collect_init(&part);
        ASSERT_EQ(run_pieces(p, n, &k, 1, &part, 1 << 20), 0);
        ASSERT_EQ(part.out.len, whole.out.len);
        ASSERT(memcmp(part.out.data, whole.out.data, whole.out.len) == 0);
        lmx_buf_release(&part.out);
    }
    cuts = malloc(n * sizeof(*cuts));
    ASSERT(cuts != NULL);
    for (k = 0; k < n; k++)
        cuts[k] = k + 1;
    collect_init(&part);
    ASSERT_EQ(run_pieces(p, n, cuts, n ? n - 1 : 0, &part, 1 << 20), 0);
    ASSERT_EQ(part.out.len, whole.out.len);
    ASSERT(memcmp(part.out.data, whole.out.data, whole.out.len) == 0);
    lmx_buf_release(&part.out);
    for (round = 0; round < 200; round++) {
        size_t ncuts = 0, at = 0;

        while (1) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 16) % 97;
            if (at >= n)
                break;
            cuts[ncuts++] = at;
        }
        collect_init(&part);
        ASSERT_EQ(run_pieces(p, n, cuts, ncuts, &part, 1 << 20), 0);
        ASSERT_EQ(part.out.len, whole.out.len);
        ASSERT(memcmp(part.out.data, whole.out.data, whole.out.len) == 0);
        lmx_buf_release(&part.out);
    }
    free(cuts);
    lmx_buf_release(&whole.out);
    free(p);
}

static void test_fixture_openai(void)
{
    check_all_splits("openai/chat-stream-usage.sse", 34);
}

static void test_fixture_anthropic(void)
{
    check_all_splits("anthropic/stream-text.sse", 9);
}

static void test_fixture_gemini(void)
{
    check_all_splits("gemini/streamGenerateContent-sse-function-call.sse", 8);
    check_all_splits("gemini/streamGenerateContent-sse-thinking.sse", 6);
    check_all_splits("gemini/streamGenerateContent-sse-url-context.sse", 3);
}

static void test_fixture_content(void)
{
    struct collect c;
    size_t n = 0;
    char *p;
    const char *last;

    p = read_fixture("openai/chat-stream-usage.sse", &n);
    if (p == NULL)
        return; /* no shared fixtures here */
    collect_init(&c);
    ASSERT_EQ(run_whole(p, n, &c), 0);
    last = c.out.data + c.out.len - strlen("\x01[DONE]\x02");
    ASSERT_MEM_EQ(last, "\x01[DONE]\x02", strlen("\x01[DONE]\x02"));
    ASSERT(lmx_has_prefix(c.out.data, c.out.len, "\x01{\"id\":\"chatcmpl-"));
    lmx_buf_release(&c.out);
    free(p);

    p = read_fixture("anthropic/stream-text.sse", &n);
    if (p == NULL)
        return;
    collect_init(&c);
    ASSERT_EQ(run_whole(p, n, &c), 0);
    ASSERT(lmx_has_prefix(c.out.data, c.out.len, "message_start\x01{\"type\":\"message_start\""));
    ASSERT(strstr(c.out.data, "\x02message_stop\x01{\"type\":\"message_stop\"") != NULL);
    lmx_buf_release(&c.out);
    free(p);
}

/* The OpenAI stream rewritten with CRLF and with CR line endings reads the same. */
static void test_line_endings(void)
{
    struct collect lf, crlf, cr;
    size_t n = 0, i, j;
    char *p = read_fixture("openai/chat-stream-usage.sse", &n);
    char *q1, *q2;

    if (p == NULL)
        return; /* no shared fixtures here */
    q1 = malloc(2 * n + 1);
    q2 = malloc(n + 1);
    ASSERT(q1 != NULL && q2 != NULL);
    for (i = 0, j = 0; i < n; i++) {
        if (p[i] == '\n')
            q1[j++] = '\r';
        q1[j++] = p[i];
        q2[i] = p[i] == '\n' ? '\r' : p[i];
    }
    collect_init(&lf);
    collect_init(&crlf);
    collect_init(&cr);
    ASSERT_EQ(run_whole(p, n, &lf), 0);
    ASSERT_EQ(run_whole(q1, j, &crlf), 0);
    ASSERT_EQ(run_whole(q2, n, &cr), 0);
    ASSERT_EQ(crlf.out.len, lf.out.len);
    ASSERT_EQ(cr.out.len, lf.out.len);
    ASSERT(memcmp(crlf.out.data, lf.out.data, lf.out.len) == 0);
    ASSERT(memcmp(cr.out.data, lf.out.data, lf.out.len) == 0);
    /* CR only, byte by byte: a CR at the end of a feed must not wait for more */
    {
        size_t *cuts = malloc(n * sizeof(*cuts));
        struct collect bb;

        ASSERT(cuts != NULL);
        for (i = 0; i + 1 < n; i++)
            cuts[i] = i + 1;
        collect_init(&bb);
        ASSERT_EQ(run_pieces(q2, n, cuts, n - 1, &bb, 1 << 20), 0);
        ASSERT_EQ(bb.out.len, lf.out.len);
        ASSERT(memcmp(bb.out.data, lf.out.data, lf.out.len) == 0);
        lmx_buf_release(&bb.out);
        free(cuts);
    }
    lmx_buf_release(&lf.out);
    lmx_buf_release(&crlf.out);
    lmx_buf_release(&cr.out);
    free(q1);
    free(q2);
    free(p);
}

static void test_crlf_split(void)
{
    struct lmx_sse_reader r;
    struct collect c;

    collect_init(&c);
    lmx_sse_reader_init(&r, 1024);
    ASSERT_EQ(lmx_sse_reader_feed(&r, "data: a\r", 8, collect_cb, &c), 0);
    ASSERT_EQ(lmx_sse_reader_feed(&r, "\n", 1, collect_cb, &c), 0);
    ASSERT_EQ(c.nevents, 0); /* the LF belongs to the CR: no blank line yet */
    ASSERT_EQ(lmx_sse_reader_feed(&r, "\r", 1, collect_cb, &c), 0);
    ASSERT_EQ(c.nevents, 1); /* a blank line ended by CR dispatches at once */
    ASSERT_EQ(lmx_sse_reader_feed(&r, "\ndata: b\r\r", 10, collect_cb, &c), 0);
    ASSERT_EQ(c.nevents, 2);
    ASSERT_EQ(lmx_sse_reader_finish(&r, collect_cb, &c), 0);
    ASSERT_EQ(c.nevents, 2);
    ASSERT_STR_EQ(c.out.data, "\001a\002\001b\x02");
    lmx_sse_reader_release(&r);
    lmx_buf_release(&c.out);
}

static void test_comments_and_fields(void)
{
    struct collect c;
    struct lmx_sse_reader r;

    collect_init(&c);
    ASSERT_EQ(run_str(": keep-alive\n\n:another\ndata: a\n: inside\ndata:b\ndata:  c\n\n", &c), 0);
    ASSERT_EQ(c.nevents, 1);
    ASSERT_STR_EQ(c.out.data, "\001a\nb\n c\x02");
    lmx_buf_release(&c.out);

    /* "data" alone and "data:" give an empty data line; an event without data is dropped */
    collect_init(&c);
    ASSERT_EQ(run_str("event: x\ndata\n\nevent: y\n\ndata:\n\nfoo: bar\ndata: z\n\n", &c), 0);
    ASSERT_EQ(c.nevents, 3);
    ASSERT_MEM_EQ(c.out.data, "x\x01\x02\x01\x02\x01z\x02", c.out.len);
    lmx_buf_release(&c.out);

    /* two data lines, one empty: "a\n" */
    collect_init(&c);
    ASSERT_EQ(run_str("data: a\ndata:\n\n", &c), 0);
    ASSERT_STR_EQ(c.out.data, "\001a\n\x02");
    lmx_buf_release(&c.out);

    /* id and retry */
    collect_init(&c);
    lmx_sse_reader_init(&r, 1024);
    ASSERT_EQ(r.retry_ms, -1);
    ASSERT_EQ(
        lmx_sse_reader_feed(&r, "id: 42\nretry: 1500\nretry: 1x\ndata: q\n\n", 38, collect_cb, &c),
        0);
    ASSERT_STR_EQ(r.id.data, "42");
    ASSERT_EQ(r.retry_ms, 1500);
    ASSERT_EQ(c.nevents, 1);
    lmx_sse_reader_release(&r);
    lmx_buf_release(&c.out);

    /* a BOM at the start is skipped, even fed byte by byte */
    {
        static const char s[] = "\357\273\277data: x\n\n";
        size_t cuts[] = {1, 2, 3, 4};

        collect_init(&c);
        ASSERT_EQ(run_pieces(s, sizeof(s) - 1, cuts, 4, &c, 1024), 0);
        ASSERT_STR_EQ(c.out.data, "\x01x\x02");
        lmx_buf_release(&c.out);
    }
}

static void test_finish(void)
{
    struct collect c;

    collect_init(&c);
    ASSERT_EQ(run_str("data: a\n\ndata: tail", &c), 0);
    ASSERT_STR_EQ(c.out.data, "\001a\x02\x01tail\x02");
    lmx_buf_release(&c.out);

    collect_init(&c);
    ASSERT_EQ(run_str("event: e\ndata: a\n", &c), 0);
    ASSERT_STR_EQ(c.out.data, "e\001a\002");
    lmx_buf_release(&c.out);

    collect_init(&c);
    ASSERT_EQ(run_str("", &c), 0);
    ASSERT_EQ(c.nevents, 0);
    ASSERT_EQ(run_str(": only a comment", &c), 0);
    ASSERT_EQ(c.nevents, 0);
    lmx_buf_release(&c.out);
}

static void test_cap_and_stop(void)
{
    struct collect c;
    char big[200];
    size_t cut = 50;

    memset(big, 'x', sizeof(big));
    memcpy(big, "data: ", 6);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\n';
    collect_init(&c);
    ASSERT_EQ(run_pieces(big, sizeof(big), NULL, 0, &c, 64), LMX_ETOOBIG);
    ASSERT_EQ(run_pieces(big, sizeof(big), &cut, 1, &c, 64), LMX_ETOOBIG);
    /* a partial line alone passes the cap */
    ASSERT_EQ(run_pieces(big, sizeof(big) - 2, &cut, 1, &c, 64), LMX_ETOOBIG);
    /* many small data lines add up */
    {
        static const char s3[] = "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n";

        ASSERT_EQ(run_pieces(s3, sizeof(s3) - 1, NULL, 0, &c, 25), LMX_ETOOBIG);
    }
    ASSERT_EQ(c.nevents, 0);
    /* exactly at the cap is fine */
    ASSERT_EQ(run_pieces("event: ab\ndata: 0123456789\n\n", 28, NULL, 0, &c, 16), 0);
    ASSERT_EQ(c.nevents, 1);
    lmx_buf_release(&c.out);

    collect_init(&c);
    c.stop_after = 2;
    ASSERT_EQ(run_str("data: 1\n\ndata: 2\n\ndata: 3\n\n", &c), LMX_ECLIENT);
    ASSERT_EQ(c.nevents, 2);
    lmx_buf_release(&c.out);
}

static void test_writer(void)
{
    struct lmx_buf b;
    struct collect c;

    lmx_buf_init(&b, 4096);
    ASSERT_EQ(lmx_sse_write(&b, "message_start", "{\"a\":1}", 7), 0);
    ASSERT_STR_EQ(b.data, "event: message_start\ndata: {\"a\":1}\n\n");
    lmx_buf_reset(&b);
    ASSERT_EQ(lmx_sse_write(&b, NULL, "[DONE]", 6), 0);
    ASSERT_STR_EQ(b.data, "data: [DONE]\n\n");
    lmx_buf_reset(&b);
    ASSERT_EQ(lmx_sse_write(&b, NULL, "", 0), 0);
    ASSERT_STR_EQ(b.data, "data: \n\n");
    lmx_buf_reset(&b);
    ASSERT_EQ(lmx_sse_write(&b, "e", "a\nb\r\nc\rd\n", 9), 0);
    ASSERT_STR_EQ(b.data, "event: e\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
    /* and it reads back */
    collect_init(&c);
    ASSERT_EQ(run_whole(b.data, b.len, &c), 0);
    ASSERT_STR_EQ(c.out.data, "e\001a\nb\nc\nd\n\002");
    lmx_buf_release(&c.out);
    ASSERT_EQ(lmx_sse_write(&b, "bad\nname", "x", 1), LMX_EINTERNAL);
    lmx_buf_release(&b);

    /* failure leaves the buffer as it was */
    lmx_buf_init(&b, 20);
    ASSERT_EQ(lmx_sse_write(&b, NULL, "0123456789", 10), 0);
    ASSERT_EQ(b.len, 18u);
    ASSERT_EQ(lmx_sse_write(&b, NULL, "x", 1), LMX_ETOOBIG);
    ASSERT_EQ(b.len, 18u);
    ASSERT_STR_EQ(b.data, "data: 0123456789\n\n");
    lmx_buf_release(&b);
}

static int
count_cb(const char *event, size_t event_len, const char *data, size_t data_len, void *ud)
{
    LMX_UNUSED(event);
    LMX_UNUSED(event_len);
    LMX_UNUSED(data);
    (*(size_t *)ud) += data_len > 0;
    return 0;
}

/* Not a pass/fail check: prints the reader's cost on a real stream. */
static void test_speed(void)
{
    struct lmx_sse_reader r;
    struct timespec t0, t1;
    size_t n = 0, events = 0, chunk, at;
    char *p = read_fixture("openai/chat-stream-usage.sse", &n);
    int i, iters = 2000;
    double ns;

    if (p == NULL)
        return; /* no shared fixtures here */
    for (chunk = 64; chunk <= 16384; chunk *= 16) {
        lmx_sse_reader_init(&r, 1 << 20);
        events = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (i = 0; i < iters; i++) {
            for (at = 0; at < n; at += chunk)
                lmx_sse_reader_feed(&r, p + at, LMX_MIN(chunk, n - at), count_cb, &events);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        lmx_sse_reader_release(&r);
        ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
        ASSERT_EQ(events, (size_t)iters * 34);
        fprintf(stderr, "  sse reader, %zu-byte feeds: %.0f ns/event, %.2f GB/s\n", chunk,
                ns / (double)events, (double)n * iters / ns);
    }
    free(p);
}

int main(void)
{
    RUN(test_fixture_openai);
    RUN(test_fixture_anthropic);
    RUN(test_fixture_gemini);
    RUN(test_fixture_content);
    RUN(test_line_endings);
    RUN(test_crlf_split);
    RUN(test_comments_and_fields);
    RUN(test_finish);
    RUN(test_cap_and_stop);
    RUN(test_writer);
    RUN(test_speed);
    TEST_MAIN_END();
}
