/*
 * tests/unit/provider/token.c - the bearer-token cache: keys, expiry and the
 * refresh margin, replacement, forgetting, token endpoint answers (and how a
 * refusal is worded), the token request, and many threads hitting it at once.
 */
#include "core/lmx.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "../../../src/provider/token.c"
#include "test.h"

static void key_of(const char *a, const char *b, char out[LMX_TOKEN_KEY_LEN + 1])
{
    const char *parts[2] = {a, b};

    lmx_token_key(parts, 2, out);
}

static void test_key(void)
{
    char k1[65], k2[65], k3[65], k4[65];
    const char *empty[1] = {""};

    key_of("ab", "c", k1);
    key_of("a", "bc", k2);
    key_of("ab", "c", k3);
    ASSERT_EQ(strlen(k1), 64);
    ASSERT(strcmp(k1, k2) != 0); /* parts are separated */
    ASSERT(strcmp(k1, k3) == 0);       /* stable */
    /* SHA-256 of a single NUL byte */
    lmx_token_key(empty, 1, k4);
    ASSERT(strcmp(k4, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d") == 0);
}

static void test_get_put_margin(void)
{
    char k[65], out[64];
    double now = 1000000.0;

    lmx_token_clear();
    key_of("sa@p.iam", "kid", k);
    ASSERT(!lmx_token_get(k, now, out, sizeof(out)));
    ASSERT_EQ(lmx_token_put(k, "ya29.one", now + 3600), 0);
    ASSERT(lmx_token_get(k, now, out, sizeof(out)));
    ASSERT(strcmp(out, "ya29.one") == 0);
    /* still handed out 5 min + 1 s before expiry, not at 5 min */
    ASSERT(lmx_token_get(k, now + 3600 - 301, out, sizeof(out)));
    ASSERT(!lmx_token_get(k, now + 3600 - 300, out, sizeof(out)));
    ASSERT(!lmx_token_get(k, now + 4000, out, sizeof(out)));
    /* a refresh replaces it */
    ASSERT_EQ(lmx_token_put(k, "ya29.two", now + 7200), 0);
    ASSERT(lmx_token_get(k, now + 3500, out, sizeof(out)));
    ASSERT(strcmp(out, "ya29.two") == 0);
    /* too small a buffer: not filled */
    ASSERT(!lmx_token_get(k, now, out, 4));
    /* bad tokens and keys */
    ASSERT_EQ(lmx_token_put(k, "", now + 10), LMX_EBADREQ);
    ASSERT_EQ(lmx_token_put("short", "t", now + 10), LMX_EBADREQ);
    lmx_token_forget(k);
    ASSERT(!lmx_token_get(k, now, out, sizeof(out)));
    lmx_token_forget(k); /* no-op */
}

static void test_many_keys(void)
{
    char k[65], out[64], first[65];
    double now = 5000.0;

    lmx_token_clear();
    key_of("first", "", first);
    ASSERT_EQ(lmx_token_put(first, "t-first", now + 10), 0); /* expires first: evicted */
    for (int i = 0; i < TOKEN_ROWS; i++) {
        char name[32];

        snprintf(name, sizeof(name), "cred-%d", i);
        key_of(name, "", k);
        ASSERT_EQ(lmx_token_put(k, name, now + 3600 + i), 0);
    }
    ASSERT(!lmx_token_get(first, now, out, sizeof(out)));
    key_of("cred-7", "", k);
    ASSERT(lmx_token_get(k, now, out, sizeof(out)));
    ASSERT(strcmp(out, "cred-7") == 0);
    lmx_token_clear();
    ASSERT(!lmx_token_get(k, now, out, sizeof(out)));
}

static void test_accept(void)
{
    char k[65], out[128];
    const char *why;
    const char *google = "{\"access_token\":\"ya29.abc\",\"expires_in\":3599,\"token_type\":"
                         "\"Bearer\"}";
    const char *ibm = "{\"access_token\":\"eyJibm\",\"refresh_token\":\"not_supported\","
                      "\"token_type\":\"Bearer\",\"expiration\":1003600}";
    const char *none = "{\"token_type\":\"Bearer\"}";

    lmx_token_clear();
    key_of("accept", "", k);
    ASSERT_EQ(lmx_token_accept(k, google, strlen(google), 1000000, out, sizeof(out), &why), 0);
    ASSERT(strcmp(out, "ya29.abc") == 0);
    ASSERT(lmx_token_get(k, 1000000 + 3599 - 301, out, sizeof(out)));
    ASSERT(!lmx_token_get(k, 1000000 + 3599 - 299, out, sizeof(out)));
    /* IBM IAM: expiration in epoch seconds */
    ASSERT_EQ(lmx_token_accept(k, ibm, strlen(ibm), 1000000, out, sizeof(out), &why), 0);
    ASSERT(strcmp(out, "eyJibm") == 0);
    ASSERT(lmx_token_get(k, 1003600 - 301, out, sizeof(out)));
    ASSERT(!lmx_token_get(k, 1003600 - 299, out, sizeof(out)));
    /* no token, not JSON */
    ASSERT_EQ(lmx_token_accept(k, none, strlen(none), 0, out, sizeof(out), &why), LMX_EUPSTREAM);
    ASSERT(why != NULL && strstr(why, "no access_token") != NULL);
    ASSERT_EQ(lmx_token_accept(k, "<html>", 6, 0, out, sizeof(out), &why), LMX_EUPSTREAM);
    ASSERT(why != NULL && strstr(why, "not JSON") != NULL);
    /* no expiry given: one hour */
    ASSERT_EQ(lmx_token_accept(k, "{\"access_token\":\"x\"}", 20, 50, out, sizeof(out), &why), 0);
    ASSERT(lmx_token_get(k, 50 + 3600 - 301, out, sizeof(out)));
    lmx_token_clear();
}

static void test_answer(void)
{
    static const char *const reasons[] = {"errorMessage", "errors.0.message", "error.message",
                                          NULL};
    static const struct lmx_token_words w = {reasons, "x: refused the key", "x: IAM answered",
                                             " for 'k'", "x: ", " (key 'k')"};
    const char *ibm = "{\"errors\":[{\"code\":\"BXNIM0415E\",\"message\":\"bad key\"}]}";
    const char *gcp = "{\"error\":{\"message\":\"slow down\"}}";
    const char *ok = "{\"access_token\":\"t1\"}";
    const char *odd = "{\"errors\":{\"0\":{\"message\":\"not an array\"}}}";
    struct lmx_perr e;
    char k[65], *tok = NULL;

    lmx_token_clear();
    key_of("answer", "", k);
    memset(&e, 0, sizeof(e));
    ASSERT_EQ(lmx_token_answer(k, 400, ibm, strlen(ibm), &w, &tok, &e), LMX_EAUTH);
    ASSERT_EQ(e.status, 401);
    ASSERT_STR_EQ(e.type, "auth_error");
    ASSERT_STR_EQ(e.message, "x: refused the key (status 400): bad key");
    ASSERT_EQ(lmx_token_answer(k, 429, gcp, strlen(gcp), &w, &tok, &e), LMX_EUPSTREAM);
    ASSERT_EQ(e.status, 429);
    ASSERT_STR_EQ(e.type, "rate_limit_error");
    ASSERT_STR_EQ(e.message, "x: IAM answered status 429 for 'k': slow down");
    ASSERT_EQ(lmx_token_answer(k, 502, odd, strlen(odd), &w, &tok, &e), LMX_EUPSTREAM);
    ASSERT_EQ(e.status, 503);
    ASSERT_STR_EQ(e.message, "x: IAM answered status 502 for 'k': no reason given");
    ASSERT_EQ(lmx_token_answer(k, 200, "<html>", 6, &w, &tok, &e), LMX_EUPSTREAM);
    ASSERT_EQ(e.status, 503);
    ASSERT_STR_EQ(e.message, "x: the token endpoint's answer is not JSON (key 'k')");
    ASSERT(tok == NULL);
    ASSERT_EQ(lmx_token_answer(k, 200, ok, strlen(ok), &w, &tok, &e), 0);
    ASSERT_STR_EQ(tok, "t1");
    /* lmx_token_take hands out the cached one, replacing what the call held */
    lmx_free(tok);
    tok = lmx_strdup("old");
    ASSERT_EQ(lmx_token_take(k, &tok), 1);
    ASSERT_STR_EQ(tok, "t1");
    lmx_token_forget(k);
    ASSERT_EQ(lmx_token_take(k, &tok), 0);
    ASSERT_STR_EQ(tok, "t1");
    lmx_free(tok);
    lmx_token_clear();
}

static void test_request(void)
{
    struct lmx_upreq r;

    lmx_upreq_init(&r);
    ASSERT_EQ(lmx_token_request(&r, "http://127.0.0.1:1/token"), 0);
    ASSERT_EQ(lmx_token_form_escape(&r.body, "a b&c=d/é~._-"), 0);
    ASSERT_STR_EQ(r.method, "POST");
    ASSERT_MEM_EQ(r.url.data, "http://127.0.0.1:1/token", r.url.len);
    ASSERT_MEM_EQ(r.body.data, "a%20b%26c%3Dd%2F%C3%A9~._-", r.body.len);
    ASSERT_EQ(r.nheaders, 2);
    lmx_upreq_release(&r);
}

static void *hammer(void *arg)
{
    char k[65], out[64], tok[32];
    long id = (long)(intptr_t)arg;

    for (int i = 0; i < 2000; i++) {
        snprintf(tok, sizeof(tok), "t%ld-%d", id, i % 7);
        key_of(i % 2 ? "shared" : tok, "", k);
        if (lmx_token_put(k, tok, 1e9) != 0)
            return (void *)1;
        if (lmx_token_get(k, 0, out, sizeof(out)) && out[0] != 't')
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    void *rv;
    int bad = 0;

    lmx_token_clear();
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], &rv);
        bad += rv != NULL;
    }
    ASSERT_EQ(bad, 0);
    lmx_token_clear();
}

int main(void)
{
    RUN(test_key);
    RUN(test_get_put_margin);
    RUN(test_many_keys);
    RUN(test_accept);
    RUN(test_answer);
    RUN(test_request);
    RUN(test_threads);
    TEST_MAIN_END();
}
