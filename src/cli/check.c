/*
 * cli/check.c - `llmux check`: load a config.yaml as `llmux --config` would and
 * report every problem, without binding a port or calling a provider.
 */
#include "core/lmx.h"

#include <stdio.h>
#include <string.h>

#include "cli/check.h"
#include "config/config.h"
#include "core/err.h"

static void check_usage(FILE *f)
{
    fputs("usage: llmux check [--config] FILE\n"
          "Loads FILE as llmux --config would and prints every problem found.\n"
          "Exit status: 0 no errors (warnings are fine), 1 errors, 2 usage or unreadable file.\n",
          f);
}

int lmx_check_main(int argc, char **argv)
{
    struct lmx_config *cfg = NULL;
    struct lmx_diag d;
    const char *file = NULL;
    int err, rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--config") == 0 || strcmp(a, "-c") == 0) {
            if (i + 1 >= argc || file != NULL)
                goto usage;
            file = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            if (file != NULL)
                goto usage;
            file = a + 9;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            check_usage(stdout);
            return 0;
        } else if (strcmp(a, "--") == 0 && i + 1 < argc && file == NULL) {
            file = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "llmux check: unknown option '%s'\n", a);
            goto usage;
        } else {
            if (file != NULL)
                goto usage;
            file = a;
        }
    }
    if (file == NULL || *file == '\0')
        goto usage;

    lmx_diag_init(&d);
    err = lmx_config_load(file, &cfg, &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "%s\n", d.lines[i]);
    if (err == LMX_EIO) {
        rc = 2; /* the file could not be read: the line above says why */
    } else if (err == LMX_ENOMEM) {
        fprintf(stderr, "llmux check: out of memory\n");
        rc = 2;
    } else {
        fprintf(stderr, "%s: %zu error(s), %zu warning(s)\n", file, d.errors, d.warnings);
        rc = d.errors > 0 || err < 0 ? 1 : 0;
    }
    lmx_diag_release(&d);
    lmx_config_unref(cfg);
    return rc;
usage:
    check_usage(stderr);
    return 2;
}
