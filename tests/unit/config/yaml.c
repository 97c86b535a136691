/*
 * tests/unit/config/yaml.c - YAML as PyYAML's safe_load reads it: scalar
 * resolution, tags, anchors, merge keys, duplicate keys, syntax errors.
 * Values are checked through lmx_config's `root` (the whole file as JSON).
 */
#include "core/lmx.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config/config.h"
#include "core/err.h"
#include "test.h"

static struct lmx_diag diag;

static struct lmx_config *load(const char *text)
{
    struct lmx_config *cfg = NULL;

    lmx_diag_release(&diag);
    lmx_diag_init(&diag);
    if (lmx_config_load_string("t.yaml", text, strlen(text), &cfg, &diag) < 0)
        return NULL;
    return cfg;
}

static bool has_line(const char *needle)
{
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.lines[i], needle) != NULL)
            return true;
    return false;
}

static void dump_diag(void)
{
    for (size_t i = 0; i < diag.n; i++)
        fprintf(stderr, "  | %s\n", diag.lines[i]);
}

struct scalar_case {
    const char *yaml;     /* the value as written after "k: " */
    const char *expected; /* JSON of the value PyYAML constructs */
};

/* clang-format off */
static const struct scalar_case scalar_cases[] = {
    /* booleans: PyYAML's 18 spellings only */
    {"yes", "true"}, {"Yes", "true"}, {"YES", "true"}, {"true", "true"}, {"True", "true"},
    {"TRUE", "true"}, {"on", "true"}, {"On", "true"}, {"ON", "true"},
    {"no", "false"}, {"No", "false"}, {"NO", "false"}, {"false", "false"}, {"False", "false"},
    {"FALSE", "false"}, {"off", "false"}, {"Off", "false"}, {"OFF", "false"},
    {"yEs", "\"yEs\""}, {"y", "\"y\""}, {"n", "\"n\""}, {"tRUE", "\"tRUE\""},
    /* null */
    {"~", "null"}, {"null", "null"}, {"Null", "null"}, {"NULL", "null"}, {"", "null"},
    {"nULL", "\"nULL\""},
    /* ints */
    {"12", "12"}, {"-12", "-12"}, {"+12", "12"}, {"0", "0"}, {"-0", "0"}, {"1_000", "1000"},
    {"0x1F", "31"}, {"0x_1f", "31"}, {"-0x10", "-16"}, {"0b101", "5"}, {"017", "15"},
    {"0_17", "15"}, {"1:30", "90"}, {"-1:00:01", "-3601"},
    {"0o17", "\"0o17\""}, {"08", "\"08\""}, {"0x", "\"0x\""}, {"1:60", "\"1:60\""},
    {"99999999999999999999", "1e20"}, {"9223372036854775807", "9223372036854775807"},
    /* floats: a dot is needed, and a sign in the exponent */
    {"1.5", "1.5"}, {"-1.5", "-1.5"}, {"1.", "1.0"}, {".5", "0.5"}, {"1_000.5", "1000.5"},
    {"1.0e-7", "1e-7"}, {"1.0e+7", "1e7"}, {"1.5E-3", "0.0015"}, {".5e-1", "0.05"},
    {"1:30.5", "90.5"},
    {"1e-7", "\"1e-7\""}, {"3e-7", "\"3e-7\""}, {"1.0e7", "\"1.0e7\""}, {"-.5", "\"-.5\""},
    {".", "\".\""}, {".inf", "\".inf\""}, {"-.Inf", "\"-.Inf\""}, {".nan", "\".nan\""},
    /* strings that look like something else */
    {"2024-05-01", "\"2024-05-01\""}, {"2023-06-01-preview", "\"2023-06-01-preview\""},
    {"gpt-4o", "\"gpt-4o\""}, {"sk-1234", "\"sk-1234\""}, {"1.2.3", "\"1.2.3\""},
    {"os.environ", "\"os.environ\""},
    /* quoting and explicit tags */
    {"\"yes\"", "\"yes\""}, {"'12'", "\"12\""}, {"\"\"", "\"\""}, {"'~'", "\"~\""},
    {"!!str 12", "\"12\""}, {"!!int \"12\"", "12"}, {"!!float \"1\"", "1.0"},
    {"!!bool \"yes\"", "true"}, {"!!bool 'OFF'", "false"}, {"!!null \"\"", "null"},
    {"! 12", "12"}, {"!!timestamp 2024-01-01", "\"2024-01-01\""},
    {"|\n    12\n", "\"12\\n\""}, {">-\n    a\n    b\n", "\"a b\""},
    {"\"tab\\there\"", "\"tab\\there\""},
};
/* clang-format on */

static void test_scalars(void)
{
    for (size_t i = 0; i < LMX_ARRAY_SIZE(scalar_cases); i++) {
        const struct scalar_case *c = &scalar_cases[i];
        char text[256];
        struct lmx_config *cfg;
        json_t *want, *got;
        char *got_s;
        bool same;

        snprintf(text, sizeof(text), "x_test:\n  k: %s\n", c->yaml);
        cfg = load(text);
        if (cfg == NULL)
            dump_diag();
        ASSERT_(cfg != NULL, "case '%s' does not load", c->yaml);
        want = json_loads(c->expected, JSON_DECODE_ANY, NULL);
        ASSERT(want != NULL);
        got = json_object_get(json_object_get(cfg->root, "x_test"), "k");
        ASSERT_(got != NULL, "case '%s': no value", c->yaml);
        same = json_equal(want, got);
        got_s = json_dumps(got, JSON_ENCODE_ANY);
        json_decref(want);
        lmx_config_unref(cfg);
        ASSERT_(same, "case '%s': expected %s, got %s", c->yaml, c->expected, got_s);
        free(got_s);
    }
}

/* Keys resolve too, but they become JSON keys as written. */
static void test_keys(void)
{
    struct lmx_config *cfg = load("x_test:\n  yes: 1\n  12: 2\n  ~: 3\n  \"q\": 4\n");
    json_t *o;

    ASSERT(cfg != NULL);
    o = json_object_get(cfg->root, "x_test");
    ASSERT_EQ(json_integer_value(json_object_get(o, "yes")), 1);
    ASSERT_EQ(json_integer_value(json_object_get(o, "12")), 2);
    ASSERT_EQ(json_integer_value(json_object_get(o, "~")), 3);
    ASSERT_EQ(json_integer_value(json_object_get(o, "q")), 4);
    lmx_config_unref(cfg);
}

static void test_anchors_and_merge(void)
{
    const char *text = "x_base: &base\n"
                       "  a: 1\n"
                       "  b: 2\n"
                       "x_other: &other\n"
                       "  b: 20\n"
                       "  c: 30\n"
                       "x_merged:\n"
                       "  <<: [*base, *other]\n"
                       "  c: 300\n"
                       "  d: 4\n"
                       "x_single:\n"
                       "  d: 5\n"
                       "  <<: *other\n"
                       "x_alias: *base\n"
                       "x_list: [*base, &s scalar, *s]\n"
                       "x_quoted:\n"
                       "  \"<<\": 1\n";
    struct lmx_config *cfg = load(text);
    json_t *want;

    if (cfg == NULL)
        dump_diag();
    ASSERT(cfg != NULL);
    want = json_loads("{\"a\":1,\"b\":2,\"c\":300,\"d\":4}", 0, NULL);
    ASSERT(json_equal(want, json_object_get(cfg->root, "x_merged")));
    json_decref(want);
    want = json_loads("{\"b\":20,\"c\":30,\"d\":5}", 0, NULL);
    ASSERT(json_equal(want, json_object_get(cfg->root, "x_single")));
    json_decref(want);
    want = json_loads("{\"a\":1,\"b\":2}", 0, NULL);
    ASSERT(json_equal(want, json_object_get(cfg->root, "x_alias")));
    json_decref(want);
    want = json_loads("[{\"a\":1,\"b\":2},\"scalar\",\"scalar\"]", 0, NULL);
    ASSERT(json_equal(want, json_object_get(cfg->root, "x_list")));
    json_decref(want);
    want = json_loads("{\"<<\":1}", 0, NULL);
    ASSERT(json_equal(want, json_object_get(cfg->root, "x_quoted")));
    json_decref(want);
    lmx_config_unref(cfg);
}

static void test_duplicate_key_warns(void)
{
    struct lmx_config *cfg = load("x_test:\n  a: 1\n  a: 2\n");

    ASSERT(cfg != NULL);
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(cfg->root, "x_test"), "a")), 2);
    ASSERT(has_line("t.yaml:3:3: warning: duplicate key 'a' (first at line 2); the last one wins"));
    lmx_config_unref(cfg);
}

static void test_syntax_error_position(void)
{
    struct lmx_config *cfg =
        load("model_list:\n  - model_name: a\n    litellm_params: {model: x\n");

    ASSERT(cfg == NULL);
    ASSERT_EQ(diag.errors, 1);
    if (!has_line("t.yaml:4:1: error: invalid YAML: did not find expected ',' or '}' (while "
                  "parsing a flow mapping at line 3, column 21)"))
        dump_diag();
    ASSERT(has_line("t.yaml:4:1: error: invalid YAML: did not find expected ',' or '}' (while "
                    "parsing a flow mapping at line 3, column 21)"));

    cfg = load("a: b: c\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:5: error: invalid YAML: mapping values are not allowed in this "
                    "context"));

    cfg = load("a:\n\tb: 1\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:1: error: invalid YAML: found character that cannot start any "
                    "token"));
}

static void test_refused_documents(void)
{
    struct lmx_config *cfg;

    cfg = load("x_test: !foo bar\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:9: error: invalid YAML: could not determine a constructor for the "
                    "tag '!foo'"));

    cfg = load("x_test: *nowhere\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:9: error: invalid YAML: found undefined alias '*nowhere'"));

    cfg = load("x_test: &a\n  - *a\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:5: error: invalid YAML: alias '*a' refers to a node that contains "
                    "it (recursion)"));

    cfg = load("a: 1\n---\nb: 2\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:1: error: invalid YAML: expected a single document in the stream"));

    cfg = load("x_test: !!int abc\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:9: error: invalid YAML: 'abc' is not a !!int value"));

    cfg = load("x_test:\n  ? [a, b]\n  : 1\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:5: error: invalid YAML: a mapping key must be a scalar"));

    cfg = load("x_test:\n  <<: 5\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:2:7: error: invalid YAML: a merge key '<<' needs a mapping"));
}

/* Shared aliases must not blow up: a billion-laughs document is refused quickly. */
static void test_alias_bomb(void)
{
    char text[2048];
    size_t n = 0;
    struct lmx_config *cfg;

    n += (size_t)snprintf(text + n, sizeof(text) - n, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                              "*a%d]\n",
                              i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                              i - 1);
    cfg = load(text);
    ASSERT(cfg == NULL);
    ASSERT(has_line("alias bomb"));
}

static void test_empty_and_top_level(void)
{
    struct lmx_config *cfg;

    cfg = load("");
    ASSERT(cfg != NULL);
    ASSERT_EQ(diag.errors, 0);
    ASSERT(has_line("t.yaml: warning: the file is empty"));
    ASSERT(json_is_object(cfg->root));
    lmx_config_unref(cfg);

    cfg = load("# only a comment\n");
    ASSERT(cfg != NULL);
    lmx_config_unref(cfg);

    cfg = load("- a\n- b\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:1: error: the top level must be a mapping"));

    cfg = load("just text\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:1: error: the top level must be a mapping (model_list:, "
                    "litellm_settings:...), got 'just text'"));
}

static void test_utf8_and_bom(void)
{
    const char *text = "\xef\xbb\xbfx_test:\n  name: \"caf\xc3\xa9 \\u00e9\"\n";
    struct lmx_config *cfg = load(text);

    ASSERT(cfg != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(cfg->root, "x_test"), "name")),
                  "caf\xc3\xa9 \xc3\xa9");
    lmx_config_unref(cfg);

    cfg = load("x_test: \"\xff\"\n");
    ASSERT(cfg == NULL);
    ASSERT(has_line("t.yaml:1:10: error: invalid YAML: invalid leading UTF-8 octet"));
}

int main(void)
{
    clearenv();
    lmx_diag_init(&diag);
    RUN(test_scalars);
    RUN(test_keys);
    RUN(test_anchors_and_merge);
    RUN(test_duplicate_key_warns);
    RUN(test_syntax_error_position);
    RUN(test_refused_documents);
    RUN(test_alias_bomb);
    RUN(test_empty_and_top_level);
    RUN(test_utf8_and_bom);
    lmx_diag_release(&diag);
    TEST_MAIN_END();
}
