/*
 * cli/check.h - `llmux check`: validate a config.yaml without starting the server.
 */
#ifndef LMX_CLI_CHECK_H
#define LMX_CLI_CHECK_H

/*
 * Runs `llmux check [--config] FILE` (argv[0] is "check"). Prints every
 * diagnostic, "file:line:column: error|warning: reason", on stderr, then the
 * summary "FILE: N error(s), M warning(s)". Returns the process exit code:
 * 0 without errors, 1 with errors, 2 on a usage error or an unreadable file.
 */
int lmx_check_main(int argc, char **argv);

#endif
