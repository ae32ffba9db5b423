// runtime OUT CMD [ARG...]: runs CMD once and writes to OUT one line
// "<wall seconds> <user seconds> <system seconds> <peak RSS KiB>", then exits
// with CMD's exit status. The clock runs from just before the spawn to the
// child's exit (CLOCK_MONOTONIC, nanoseconds), and the CPU times and peak
// RSS come from wait4's rusage (microseconds), so a run of a few
// milliseconds is measured as finely as a long one: GNU time's %e has 10 ms
// resolution, and timing /usr/bin/time from Node adds several milliseconds
// of its own spawn jitter to every figure. stdin, stdout and stderr are the
// child's; the benchmark scripts compile this with `cc -O2` on first use.
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double seconds(struct timeval tv) {
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: runtime OUT CMD [ARG...]\n");
    return 125;
  }
  struct timespec start, end;
  pid_t pid;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int err = posix_spawnp(&pid, argv[2], NULL, NULL, &argv[2], environ);
  if (err != 0) {
    fprintf(stderr, "runtime: cannot run %s\n", argv[2]);
    return 127;
  }
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) != pid) return 126;
  clock_gettime(CLOCK_MONOTONIC, &end);
  double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  FILE *out = fopen(argv[1], "w");
  if (out == NULL) return 126;
  fprintf(out, "%.6f %.6f %.6f %ld\n", wall, seconds(usage.ru_utime), seconds(usage.ru_stime),
          usage.ru_maxrss);
  if (fclose(out) != 0) return 126;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
