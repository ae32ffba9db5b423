// A scratch directory removed at scope exit, plus file helpers for tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace dbsafe::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("dbsafe-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::filesystem::path &path() const { return path_; }
  std::string str() const { return path_.generic_string(); }

  // Writes `bytes` to `relative`, creating parent directories.
  std::filesystem::path write(const std::string &relative, std::string_view bytes) const {
    auto file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<long>(bytes.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::string source_dir() {
  return DBSAFE_SOURCE_DIR;
}
inline std::string fixture(const std::string &name) {
  return source_dir() + "/tests/fixtures/" + name;
}
// ../shared/corpus beside the repository, or $DBSAFE_CORPUS_DIR.
inline std::string corpus_dir() {
  if (const char *env = std::getenv("DBSAFE_CORPUS_DIR")) return env;
  return source_dir() + "/../shared/corpus";
}

inline std::string read_file(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace dbsafe::testing
