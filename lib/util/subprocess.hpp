// Running PostgreSQL's own programs (pg_dump, pg_restore, psql) without a
// shell: the environment is built by the caller (so a password travels
// there, never on a command line), stderr goes to a log file, and a wait
// polls the call's cancel token and deadline so a cancel stops the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "dbsafe/call.hpp"

namespace dbsafe::util {

struct ProcessSpec {
  std::vector<std::string> argv;       // argv[0]: the program's path
  std::vector<std::string> set_env;    // "NAME=value", added to or replacing this process's
  std::vector<std::string> unset_env;  // names left out of the child's environment
  int stdin_fd = -1;                   // -1: /dev/null
  int stdout_fd = -1;                  // -1: /dev/null
  std::string stderr_path;             // appended to; empty: /dev/null
};

// A started child. Destroying a running one terminates and reaps it.
class Process {
 public:
  // Throws Error(Io) when the program cannot be started.
  static Process start(const ProcessSpec &spec);
  Process(Process &&other) noexcept;
  Process &operator=(Process &&) = delete;
  ~Process();

  // Whether it has exited (reaped without blocking).
  bool poll();
  // Waits for the exit, checking `ctx` every few milliseconds; on a cancel
  // or deadline the child gets SIGTERM (then SIGKILL) and the error is
  // rethrown. Returns the exit code, 128 + N for a signal, 127 when the
  // program could not be executed.
  int wait(const CallContext &ctx);
  void terminate() noexcept;
  pid_t pid() const { return pid_; }
  int exit_code() const { return exit_code_; }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  bool done_ = false;
  int exit_code_ = -1;
};

struct ProcessOutput {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr (its last 4,000 bytes)
};

// Runs `spec` to its end with stdout and stderr collected through temporary
// files (spec's own stdout_fd and stderr_path are ignored).
ProcessOutput run_collecting(ProcessSpec spec, const CallContext &ctx);

// A private temporary file (mode 0600) in TMPDIR or /tmp, removed when the
// object goes away.
class TempFile {
 public:
  explicit TempFile(const std::string &prefix);
  ~TempFile();
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  const std::string &path() const { return path_; }
  // The last `limit` bytes, trailing blanks removed.
  std::string tail(std::size_t limit = 1500) const;

 private:
  std::string path_;
};

}  // namespace dbsafe::util
