// Shared by the libFuzzer targets: a loopback HTTP server that answers with
// bytes the fuzzer chose, a scratch directory on tmpfs, and splitting one
// input into several parts.
//
// The HTTP and Neon targets go through the real client (Boost.Beast's parser,
// the retry loop, keep-alive) instead of a parsing function pulled out for
// the occasion, so what is fuzzed is exactly what a hostile or broken server
// would reach.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dbsafe::fuzz {

// Splits `data` on `separator`; an input without one is a single part.
inline std::vector<std::string_view> split(std::string_view data, std::string_view separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = data.find(separator);
    if (at == std::string_view::npos) {
      parts.push_back(data);
      return parts;
    }
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + separator.size());
  }
}

// A directory emptied before each input. /dev/shm when it exists: the
// migration-set target writes a few files per input, and a disk-backed /tmp
// would make the fuzzer I/O-bound.
class ScratchDir {
 public:
  ScratchDir() {
    std::filesystem::path base = std::filesystem::exists("/dev/shm")
                                     ? std::filesystem::path("/dev/shm")
                                     : std::filesystem::temp_directory_path();
    path_ = base / ("dbsafe-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;

  // Empties the directory (symlinks are removed, never followed).
  void reset() const {
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(path_, ec))
      std::filesystem::remove_all(entry.path(), ec);
  }
  const std::filesystem::path &path() const { return path_; }

  void write(const std::filesystem::path &relative, std::string_view bytes) const {
    auto file = path_ / relative;
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<long>(bytes.size()));
  }

 private:
  std::filesystem::path path_;
};

// A plain-HTTP server on 127.0.0.1 with a thread of its own. Two modes:
// - scripted answers: each request gets the next answer of the script
//   (status, body) as a well-formed keep-alive response; when the script is
//   exhausted it answers 404 with an empty JSON object;
// - raw: each request gets `raw` byte for byte, then the connection closes,
//   so a malformed or truncated answer ends instead of waiting for a timeout.
class LoopbackServer {
 public:
  struct Answer {
    int status = 200;
    std::string body;
  };

  LoopbackServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) std::abort();
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) std::abort();
    if (::listen(listen_fd_, 16) != 0) std::abort();
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    for (auto &c : conns_) ::close(c.fd);
    ::close(listen_fd_);
  }
  LoopbackServer(const LoopbackServer &) = delete;
  LoopbackServer &operator=(const LoopbackServer &) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void script(std::vector<Answer> answers) {
    std::lock_guard<std::mutex> lock(mutex_);
    raw_mode_ = false;
    answers_.assign(answers.begin(), answers.end());
    requests_ = 0;
  }
  void raw(std::string bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    raw_mode_ = true;
    raw_ = std::move(bytes);
    requests_ = 0;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  struct Conn {
    int fd;
    std::string in;
    bool closing = false;
  };

  void serve() {
    while (!stop_) {
      std::vector<pollfd> fds;
      fds.push_back({listen_fd_, POLLIN, 0});
      for (auto &c : conns_) fds.push_back({c.fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) conns_.push_back({fd, {}});
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Conn &c = conns_[i - 1];
        char buf[16384];
        ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n <= 0) {
          c.closing = true;
          continue;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        while (!c.closing && take_request(c)) respond(c);
      }
      std::erase_if(conns_, [](const Conn &c) {
        if (c.closing) ::close(c.fd);
        return c.closing;
      });
    }
  }

  // Removes one complete request (headers and Content-Length body) from the
  // connection's buffer; false while it is incomplete.
  static bool take_request(Conn &c) {
    auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::size_t body = 0;
    std::string head = c.in.substr(0, end);
    for (char &ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
      body = std::strtoul(head.c_str() + at + 17, nullptr, 10);
    if (c.in.size() < end + 4 + body) return false;
    c.in.erase(0, end + 4 + body);
    return true;
  }

  void respond(Conn &c) {
    std::string out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++requests_;
      if (raw_mode_) {
        out = raw_;
        c.closing = true;
      } else {
        Answer a{404, "{}"};
        if (!answers_.empty()) {
          a = std::move(answers_.front());
          answers_.pop_front();
        }
        // Retry-After: 0 so the client's retries of 423/429/503 answers do
        // not sleep through its backoff; each retry takes the next answer.
        out = "HTTP/1.1 " + std::to_string(a.status) +
              " X\r\nContent-Type: application/json\r\nRetry-After: 0\r\nContent-Length: " +
              std::to_string(a.body.size()) + "\r\n\r\n" + a.body;
      }
    }
    std::size_t sent = 0;
    while (sent < out.size()) {
      ssize_t n = ::send(c.fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        c.closing = true;
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
    if (c.closing) ::shutdown(c.fd, SHUT_WR);
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<Conn> conns_;
  std::mutex mutex_;
  bool raw_mode_ = false;
  std::string raw_;
  std::deque<Answer> answers_;
  int requests_ = 0;
};

}  // namespace dbsafe::fuzz
