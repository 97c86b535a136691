/*
 * tests/unit/config/check.c - `llmux check`: exit codes, argument forms and
 * what it prints. cli/check.c is not part of lmx_core, so it is included here.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/check.c"
#include "test.h"

static char cases[1024];
static char output[65536];

/* Runs lmx_check_main with stderr captured into `output`. */
static int run_check(int argc, const char *const *argv)
{
    FILE *cap = tmpfile();
    int saved, rc;
    size_t n;

    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(fileno(cap), STDERR_FILENO);
    rc = lmx_check_main(argc, (char **)argv);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(cap);
    n = fread(output, 1, sizeof(output) - 1, cap);
    output[n] = '\0';
    fclose(cap);
    return rc;
}

static void case_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", cases, name);
}

static void test_ok_file(void)
{
    char path[1100], want[1200], opt[1200];
    const char *out = output, *want_p = want;
    int rc;

    case_path(path, sizeof(path), "ok.yaml");
    rc = run_check(2, (const char *const[]){"check", path, NULL});
    ASSERT_EQ(rc, 0);
    snprintf(want, sizeof(want), "%s: 0 error(s), 0 warning(s)\n", path);
    ASSERT_STR_EQ(out, (const char *)want_p);

    rc = run_check(3, (const char *const[]){"check", "--config", path, NULL});
    ASSERT_EQ(rc, 0);
    snprintf(opt, sizeof(opt), "--config=%s", path);
    rc = run_check(2, (const char *const[]){"check", opt, NULL});
    ASSERT_EQ(rc, 0);
    rc = run_check(3, (const char *const[]){"check", "-c", path, NULL});
    ASSERT_EQ(rc, 0);
}

static void test_errors_file(void)
{
    char path[1100], want[1200];
    int rc;

    case_path(path, sizeof(path), "errors.yaml");
    rc = run_check(3, (const char *const[]){"check", "--config", path, NULL});
    ASSERT_EQ(rc, 1);
    snprintf(want, sizeof(want), "%s:3:5: error: 'model_list[0]' has no model_name\n", path);
    ASSERT_(strncmp(output, want, strlen(want)) == 0, "output starts: %.200s", output);
    snprintf(want, sizeof(want), "\n%s: 11 error(s), ", path);
    ASSERT_(strstr(output, want) != NULL, "no summary in: %s", output);

    case_path(path, sizeof(path), "syntax.yaml");
    rc = run_check(2, (const char *const[]){"check", path, NULL});
    ASSERT_EQ(rc, 1);
    ASSERT(strstr(output, "syntax.yaml:6:17: error: invalid YAML:") != NULL);
    ASSERT(strstr(output, "syntax.yaml: 1 error(s), 0 warning(s)\n") != NULL);
}

static void test_warnings_only(void)
{
    char path[1100];
    int rc;

    case_path(path, sizeof(path), "anchors.yaml");
    rc = run_check(2, (const char *const[]){"check", path, NULL});
    ASSERT_EQ(rc, 0);
    ASSERT(strstr(output, "anchors.yaml:2:1: warning: unknown top-level key 'x-defaults'") != NULL);
    ASSERT(strstr(output, "anchors.yaml: 0 error(s), 2 warning(s)\n") != NULL);
}

static void test_usage_and_unreadable(void)
{
    const char *out = output;
    char path[1100];
    int rc;

    rc = run_check(1, (const char *const[]){"check", NULL});
    ASSERT_EQ(rc, 2);
    ASSERT(strstr(output, "usage: llmux check") != NULL);
    rc = run_check(2, (const char *const[]){"check", "--bogus", NULL});
    ASSERT_EQ(rc, 2);
    ASSERT(strstr(output, "unknown option '--bogus'") != NULL);
    rc = run_check(2, (const char *const[]){"check", "--config", NULL});
    ASSERT_EQ(rc, 2);
    rc = run_check(3, (const char *const[]){"check", "a.yaml", "b.yaml", NULL});
    ASSERT_EQ(rc, 2);

    rc = run_check(2, (const char *const[]){"check", "/nonexistent/x.yaml", NULL});
    ASSERT_EQ(rc, 2);
    ASSERT_STR_EQ(out, "/nonexistent/x.yaml: error: cannot read the config: No such file or "
                       "directory\n");

    rc = run_check(2, (const char *const[]){"check", cases, NULL}); /* a directory */
    ASSERT_EQ(rc, 2);
    ASSERT(strstr(output, "cannot read the config: Is a directory") != NULL);

    case_path(path, sizeof(path), "ok.yaml");
    rc = run_check(2, (const char *const[]){"check", "--help", NULL});
    ASSERT_EQ(rc, 0);
}

int main(void)
{
    const char *src = getenv("LMX_SRC");

    if (src != NULL && *src) {
        snprintf(cases, sizeof(cases), "%s/tests/unit/config/cases", src);
    } else {
        const char *slash = strrchr(__FILE__, '/');

        snprintf(cases, sizeof(cases), "%.*s/cases", slash ? (int)(slash - __FILE__) : 1,
                 slash ? __FILE__ : ".");
    }
    clearenv();
    RUN(test_ok_file);
    RUN(test_errors_file);
    RUN(test_warnings_only);
    RUN(test_usage_and_unreadable);
    TEST_MAIN_END();
}
