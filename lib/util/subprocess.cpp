#include "util/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>

#include "dbsafe/error.hpp"

extern char **environ;

namespace dbsafe::util {

namespace {

bool named(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.substr(0, name.size()) == name &&
         entry[name.size()] == '=';
}

std::vector<std::string> child_environment(const ProcessSpec &spec) {
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool drop = false;
    for (const auto &name : spec.unset_env) drop = drop || named(entry, name);
    for (const auto &set : spec.set_env) drop = drop || named(entry, set.substr(0, set.find('=')));
    if (!drop) env.emplace_back(entry);
  }
  for (const auto &set : spec.set_env) env.push_back(set);
  return env;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

std::string read_all(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

Process Process::start(const ProcessSpec &spec) {
  if (spec.argv.empty()) throw Error(ErrorCode::Internal, "no program to start");
  // Everything the child needs is built before fork: only async-signal-safe
  // calls happen between fork and exec.
  std::vector<std::string> env = child_environment(spec);
  std::vector<char *> args, envp;
  for (const auto &a : spec.argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  for (const auto &e : env) envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  const char *log = spec.stderr_path.empty() ? "/dev/null" : spec.stderr_path.c_str();
  pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorCode::Io, "cannot start " + spec.argv[0]);
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(spec.stdin_fd >= 0 ? spec.stdin_fd : null, 0);
    ::dup2(spec.stdout_fd >= 0 ? spec.stdout_fd : null, 1);
    ::dup2(err >= 0 ? err : null, 2);
    // Only 0-2 stay open: a descriptor the caller holds (the other end of
    // a pipe) would otherwise keep the child's input from ever ending.
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return Process(pid);
}

Process::Process(Process &&other) noexcept
    : pid_(other.pid_), done_(other.done_), exit_code_(other.exit_code_) {
  other.pid_ = -1;
  other.done_ = true;
}

Process::~Process() {
  if (pid_ > 0 && !done_) terminate();
}

bool Process::poll() {
  if (done_ || pid_ <= 0) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    done_ = true;
    exit_code_ = decode(status);
  }
  return done_;
}

int Process::wait(const CallContext &ctx) {
  auto pause = std::chrono::milliseconds(2);
  while (!poll()) {
    try {
      ctx.checkpoint();
    } catch (...) {
      terminate();
      throw;
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(50)) pause *= 2;
  }
  return exit_code_;
}

void Process::terminate() noexcept {
  if (done_ || pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  // A few seconds to exit cleanly (pg_dump removes nothing; psql and
  // pg_restore close their connection, so the server rolls back), then KILL.
  for (int i = 0; i < 100 && !poll(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!done_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    done_ = true;
    exit_code_ = decode(status);
  }
}

ProcessOutput run_collecting(ProcessSpec spec, const CallContext &ctx) {
  TempFile out("dbsafe-out"), err("dbsafe-err");
  int fd = ::open(out.path().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::Io, "cannot open the temporary file " + out.path());
  spec.stdout_fd = fd;
  spec.stderr_path = err.path();
  ProcessOutput result;
  try {
    auto process = Process::start(spec);
    ::close(fd);
    fd = -1;
    result.exit_code = process.wait(ctx);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    throw;
  }
  result.out = read_all(out.path());
  result.err = err.tail(4000);
  return result;
}

TempFile::TempFile(const std::string &prefix) {
  const char *tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) throw Error(ErrorCode::Io, "cannot create a temporary file in " + templ);
  ::close(fd);
  path_ = buf.data();
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
}

std::string TempFile::tail(std::size_t limit) const {
  std::string text = read_all(path_);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  if (text.size() > limit) text = "…" + text.substr(text.size() - limit);
  return text;
}

}  // namespace dbsafe::util
