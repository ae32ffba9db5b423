/* dbsafe C ABI: the command-line program. */
#ifndef DBSAFE_C_CLI_H
#define DBSAFE_C_CLI_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the `dbsafe` command line (argv[0] is the program name) writing to the
 * process's standard output and error, and returns the exit code of
 * docs/cli.md (0 done, 1 found, 2 needs a person, 3 usage/input, 4
 * unreachable, 5 failed part-way, 130 cancelled). The native binary, the npm
 * `bin` and `python3 -m dbsafe` all call this, so they are one program.
 * Thread safety: one call at a time per process (it owns stdout/stderr). */
DBSAFE_API int dbsafe_cli_main(int argc, const char *const *argv);

#ifdef __cplusplus
}
#endif

#endif /* DBSAFE_C_CLI_H */
