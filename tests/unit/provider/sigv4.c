/*
 * tests/unit/provider/sigv4.c - AWS Signature Version 4 against AWS's
 * published test suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE, date
 * 20150830T123600Z, region us-east-1, service "service"). Each case checks
 * the canonical request, the string to sign and the Authorization value.
 * Plus the Bedrock path: a model id encoded once in the URL is encoded once
 * more in the canonical URI.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "provider/sigv4.h"
#include "test.h"

#define AKID   "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define DATE   "20150830T123600Z"
#define EMPTY  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SCOPE  "AWS4-HMAC-SHA256\n" DATE "\n20150830/us-east-1/service/aws4_request\n"
#define CRED   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define TOKEN                                                                                      \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP" \
    "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT" \
    "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlz" \
    "m8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define HD "host:example.amazonaws.com\nx-amz-date:" DATE "\n"

struct vcase {
    const char *name;
    const char *method, *path, *query;
    struct lmx_sigv4_hdr extra[4]; /* besides host and x-amz-date */
    const char *body;
    const char *token;
    const char *creq, *sts_hash, *auth_tail;
};

/* clang-format off */
static const struct vcase cases[] = {
    {"get-header-key-duplicate", "GET", "/", NULL,
     {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "", NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:" DATE "\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
     "SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-multiline", "GET", "/", NULL,
     {{"My-Header1", "value1"}, {"My-Header1", "value2"}, {"My-Header1", "value3"}}, "", NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\nx-amz-date:" DATE "\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "b7b6cbfd8a0430b78891e986784da2630c8a135a8595cec25b26ea94f926ee55",
     "SignedHeaders=host;my-header1;x-amz-date, Signature=ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790"},
    {"get-header-value-order", "GET", "/", NULL,
     {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}}, "", NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:" DATE "\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
     "SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-header-value-trim", "GET", "/", NULL,
     {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "", NULL,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:" DATE "\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY,
     "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
     "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", NULL, {{0}}, "", NULL,
     "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
     "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8", "GET", "/\xe1\x88\xb4", NULL, {{0}}, "", NULL,
     "GET\n/%E1%88%B4\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
     "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-vanilla", "GET", "/", NULL, {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", {{0}}, "", NULL,
     "GET\n/\nParam1=value1\n" HD "\nhost;x-amz-date\n" EMPTY,
     "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
     "SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query", "GET", "/", "", {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1", {{0}}, "", NULL,
     "GET\n/\nParam1=Value1&Param1=value2\n" HD "\nhost;x-amz-date\n" EMPTY,
     "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
     "SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
    {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {{0}}, "", NULL,
     "GET\n/\nParam1=value1&Param2=value2\n" HD "\nhost;x-amz-date\n" EMPTY,
     "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
     "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1", {{0}}, "", NULL,
     "GET\n/\nParam1=value1&Param1=value2\n" HD "\nhost;x-amz-date\n" EMPTY,
     "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
     "SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-query-unreserved", "GET", "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {{0}}, "", NULL,
     "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" HD "\nhost;x-amz-date\n" EMPTY,
     "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
     "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar", {{0}}, "", NULL,
     "GET\n/\n%E1%88%B4=bar\n" HD "\nhost;x-amz-date\n" EMPTY,
     "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
     "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-vanilla-utf8-query (sent encoded)", "GET", "/", "%E1%88%B4=bar", {{0}}, "", NULL,
     "GET\n/\n%E1%88%B4=bar\n" HD "\nhost;x-amz-date\n" EMPTY,
     "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
     "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"normalize-path/get-relative", "GET", "/example/..", NULL, {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-relative-relative", "GET", "/example1/example2/../..", NULL, {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash", "GET", "//", NULL, {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash-dot-slash", "GET", "/./", NULL, {{0}}, "", NULL,
     "GET\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"normalize-path/get-slash-pointless-dot", "GET", "/./example", NULL, {{0}}, "", NULL,
     "GET\n/example\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
     "SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"normalize-path/get-slashes", "GET", "//example//", NULL, {{0}}, "", NULL,
     "GET\n/example/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
     "SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
    {"normalize-path/get-space", "GET", "/example space/", NULL, {{0}}, "", NULL,
     "GET\n/example%20space/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
     "SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"post-header-key-case", "POST", "/", NULL, {{0}}, "", NULL,
     "POST\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-header-key-sort", "POST", "/", NULL, {{"My-Header1", "value1"}}, "", NULL,
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:" DATE "\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
     "SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case", "POST", "/", NULL, {{"My-Header1", "VALUE1"}}, "", NULL,
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:" DATE "\n\nhost;my-header1;x-amz-date\n" EMPTY,
     "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
     "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"post-sts-token/post-sts-header-before", "POST", "/", NULL, {{0}}, "", TOKEN,
     "POST\n/\n\n" HD "x-amz-security-token:" TOKEN "\n\nhost;x-amz-date;x-amz-security-token\n" EMPTY,
     "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
     "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
    {"post-vanilla", "POST", "/", NULL, {{0}}, "", NULL,
     "POST\n/\n\n" HD "\nhost;x-amz-date\n" EMPTY,
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-vanilla-empty-query-value", "POST", "/", "Param1=value1", {{0}}, "", NULL,
     "POST\n/\nParam1=value1\n" HD "\nhost;x-amz-date\n" EMPTY,
     "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
     "SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-x-www-form-urlencoded", "POST", "/", NULL,
     {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1", NULL,
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n" HD "\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
     "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters", "POST", "/", NULL,
     {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1", NULL,
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n" HD "\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
     "SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
};
/* clang-format on */

static int
sign_case(const struct vcase *c, struct lmx_buf *auth, struct lmx_buf *creq, struct lmx_buf *sts)
{
    struct lmx_sigv4_hdr h[8];
    struct lmx_sigv4_req r;
    size_t n = 0;

    h[n++] = (struct lmx_sigv4_hdr){"Host", "example.amazonaws.com"};
    h[n++] = (struct lmx_sigv4_hdr){"X-Amz-Date", DATE};
    for (size_t i = 0; i < LMX_ARRAY_SIZE(c->extra) && c->extra[i].name != NULL; i++)
        h[n++] = c->extra[i];
    if (c->token != NULL)
        h[n++] = (struct lmx_sigv4_hdr){"X-Amz-Security-Token", c->token};
    memset(&r, 0, sizeof(r));
    r.method = c->method;
    r.path = c->path;
    r.query = c->query;
    r.headers = h;
    r.nheaders = n;
    r.payload = c->body;
    r.payload_len = strlen(c->body);
    r.amz_date = DATE;
    r.region = "us-east-1";
    r.service = "service";
    r.access_key = AKID;
    r.secret_key = SECRET;
    return lmx_sigv4_sign(&r, auth, creq, sts);
}

static void test_suite(void)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(cases); i++) {
        const struct vcase *c = &cases[i];
        struct lmx_buf auth, creq, sts;
        char want[512];
        int err;

        lmx_buf_init(&auth, 4096);
        lmx_buf_init(&creq, 1 << 16);
        lmx_buf_init(&sts, 4096);
        err = sign_case(c, &auth, &creq, &sts);
        ASSERT_(err == 0, "%s: sign returned %d", c->name, err);
        ASSERT_(strcmp(creq.data, c->creq) == 0, "%s: canonical request\n%s\n--- want\n%s", c->name,
                creq.data, c->creq);
        snprintf(want, sizeof(want), SCOPE "%s", c->sts_hash);
        ASSERT_(strcmp(sts.data, want) == 0, "%s: string to sign\n%s\n--- want\n%s", c->name,
                sts.data, want);
        snprintf(want, sizeof(want), CRED "%s", c->auth_tail);
        ASSERT_(strcmp(auth.data, want) == 0, "%s: authorization\n%s\n--- want\n%s", c->name,
                auth.data, want);
        lmx_buf_release(&auth);
        lmx_buf_release(&creq);
        lmx_buf_release(&sts);
    }
}

/* The derived signing key from AWS's worked example (service iam) gives its published signature. */
static void test_iam_example(void)
{
    struct lmx_sigv4_hdr h[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Host", "iam.amazonaws.com"},
        {"X-Amz-Date", DATE},
    };
    struct lmx_sigv4_req r = {
        .method = "GET",
        .path = "/",
        .query = "Action=ListUsers&Version=2010-05-08",
        .headers = h,
        .nheaders = 3,
        .amz_date = DATE,
        .region = "us-east-1",
        .service = "iam",
        .access_key = AKID,
        .secret_key = SECRET,
    };
    struct lmx_buf auth, sts;

    lmx_buf_init(&auth, 4096);
    lmx_buf_init(&sts, 4096);
    ASSERT_EQ(lmx_sigv4_sign(&r, &auth, NULL, &sts), 0);
    ASSERT_STR_EQ(sts.data, "AWS4-HMAC-SHA256\n" DATE "\n20150830/us-east-1/iam/aws4_request\n"
                            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    ASSERT(strstr(auth.data,
                  "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7") !=
           NULL);
    lmx_buf_release(&auth);
    lmx_buf_release(&sts);
}

/* Bedrock: the model id is encoded once in the URL and once more in the canonical URI. */
static void test_double_encoded_path(void)
{
    struct lmx_sigv4_hdr h[] = {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                                {"x-amz-date", DATE}};
    struct lmx_sigv4_req r = {
        .method = "POST",
        .path = "/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse",
        .headers = h,
        .nheaders = 2,
        .payload = "{}",
        .payload_len = 2,
        .amz_date = DATE,
        .region = "us-east-1",
        .service = "bedrock",
        .access_key = AKID,
        .secret_key = SECRET,
    };
    struct lmx_buf auth, creq, enc;
    char hash[65];

    lmx_buf_init(&auth, 4096);
    lmx_buf_init(&creq, 4096);
    lmx_buf_init(&enc, 4096);
    ASSERT_EQ(lmx_sigv4_sha256_hex("{}", 2, hash), 0);
    ASSERT_EQ(lmx_sigv4_sign(&r, &auth, &creq, NULL), 0);
    ASSERT(strncmp(creq.data,
                   "POST\n/model/us.anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse\n\n"
                   "host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:" DATE
                   "\n\nhost;x-amz-date\n",
                   strlen("POST\n/model/us.anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse"
                          "\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:" DATE
                          "\n\nhost;x-amz-date\n")) == 0);
    ASSERT(strstr(creq.data, hash) != NULL);
    ASSERT(strstr(auth.data, "/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=host;"
                             "x-amz-date, Signature=") != NULL);

    /* an ARN: '/' and ':' inside the id are encoded, then encoded again */
    {
        const char *arn = "arn:aws:bedrock:us-east-1:1:inference-profile/x";

        ASSERT_EQ(lmx_sigv4_uri_encode(&enc, arn, strlen(arn), false), 0);
    }
    ASSERT_STR_EQ(enc.data, "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx");
    lmx_buf_release(&auth);
    lmx_buf_release(&creq);
    lmx_buf_release(&enc);
}

static void test_refusals(void)
{
    struct lmx_sigv4_hdr bad_name[] = {{"bad name", "v"}};
    struct lmx_sigv4_req r = {
        .method = "GET",
        .path = "/",
        .amz_date = "2015-08-30",
        .region = "us-east-1",
        .service = "s",
        .access_key = AKID,
        .secret_key = SECRET,
    };
    struct lmx_buf auth;
    char d[17];

    lmx_buf_init(&auth, 4096);
    ASSERT_EQ(lmx_sigv4_sign(&r, &auth, NULL, NULL), LMX_EBADREQ);
    r.amz_date = DATE;
    r.headers = bad_name;
    r.nheaders = 1;
    ASSERT_EQ(lmx_sigv4_sign(&r, &auth, NULL, NULL), LMX_EBADREQ);
    r.nheaders = LMX_SIGV4_MAX_HEADERS + 1;
    ASSERT_EQ(lmx_sigv4_sign(&r, &auth, NULL, NULL), LMX_EBADREQ);
    lmx_sigv4_date(1440938160, d);
    ASSERT(strcmp(d, DATE) == 0);
    lmx_buf_release(&auth);
}

int main(void)
{
    RUN(test_suite);
    RUN(test_iam_example);
    RUN(test_double_encoded_path);
    RUN(test_refusals);
    TEST_MAIN_END();
}
