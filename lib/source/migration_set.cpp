#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <system_error>
#include <unordered_map>

#include "dbsafe/error.hpp"
#include "dbsafe/source.hpp"
#include "source/flyway_name.hpp"
#include "source/lock_file.hpp"
#include "source/read_for_check.hpp"
#include "source/text_checks.hpp"
#include "util/failpoint.hpp"
#include "util/json_writer.hpp"
#include "util/toml.hpp"
#include "util/two_threads.hpp"

namespace fs = std::filesystem;

namespace dbsafe {
inline namespace v1 {

std::string_view layout_name(Layout layout) noexcept {
  switch (layout) {
    case Layout::Auto:
      return "auto";
    case Layout::Prisma:
      return "prisma";
    case Layout::Plain:
      return "plain";
    case Layout::Flyway:
      return "flyway";
    case Layout::Dbmate:
      return "dbmate";
    case Layout::GolangMigrate:
      return "golang-migrate";
  }
  return "auto";
}

std::optional<Layout> layout_from_name(std::string_view name) noexcept {
  for (auto layout : {Layout::Auto, Layout::Prisma, Layout::Plain, Layout::Flyway, Layout::Dbmate,
                      Layout::GolangMigrate}) {
    if (layout_name(layout) == name) return layout;
  }
  return std::nullopt;
}

namespace {

constexpr const char *kSourceComponent = "source";
constexpr int kDiscoveryMaxDepth = 8;

// Compares version strings made of digit runs separated by '.' or '_'
// numerically, part by part ("1.10" > "1.9"); trailing zero parts do not
// count, as in Flyway ("1.0" == "1").
std::vector<std::string> version_parts(std::string_view version) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : version) {
    if (c == '.' || c == '_') {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(current);
  for (auto &p : parts) {
    auto nz = p.find_first_not_of('0');
    p = nz == std::string::npos ? "" : p.substr(nz);
  }
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto pa = version_parts(a), pb = version_parts(b);
  for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    const std::string &x = i < pa.size() ? pa[i] : std::string();
    const std::string &y = i < pb.size() ? pb[i] : std::string();
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    if (int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

std::string errno_text(const std::error_code &ec) {
  return ec.message();
}

// Whether `p` exists as a directory entry (a dangling or looping symlink
// counts: reading it later reports the precise problem). Never throws.
bool entry_exists(const fs::path &p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

// `name` as one printable line: control bytes as \n, \t or \xNN, so an
// error about a hostile name cannot itself break a log line.
std::string printable_name(std::string_view name) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

bool is_hidden(const fs::path &p) {
  auto name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// True when `inner` is `outer` or lies below it (both canonical).
bool is_within(const fs::path &inner, const fs::path &outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end();
}

struct Entry {
  std::string name;  // file name
  fs::path path;     // on disk
  bool is_dir = false;
  bool is_file = false;
  bool is_symlink = false;
};

}  // namespace

// Reads one migration set. A class (friend of MigrationSet) rather than free
// functions so each layout's reader shares the root, options and context.
class MigrationSetReader {
 public:
  // `for_check`: no checksums, and the files of a Prisma or plain set read
  // on two threads once the set is listed.
  MigrationSetReader(const SourceOptions &options, const CallContext &ctx, bool for_check = false)
      : options_(options), ctx_(ctx), checksums_(!for_check), parallel_reads_(for_check) {}

  static std::vector<Migration> take_migrations(MigrationSet &set) {
    return std::move(set.migrations_);
  }
  std::vector<source::PendingRead> take_pending() { return std::move(pending_); }

  MigrationSet read(const fs::path &given) {
    util::failpoint("source.open");
    std::error_code ec;
    auto status = fs::status(given, ec);
    std::string display = display_of(given);
    if (ec || !fs::exists(status)) {
      if (ec && ec != std::errc::no_such_file_or_directory)
        throw Error(ErrorCode::Io, display + ": cannot read: " + errno_text(ec)).with_file(display);
      throw Error(ErrorCode::NotFound,
                  display +
                      ": no such directory; pass the directory that holds the migrations (for "
                      "Prisma, prisma/migrations)")
          .with_file(display);
    }
    if (fs::is_regular_file(status)) return read_single_file(given, display);
    if (!fs::is_directory(status))
      throw Error(ErrorCode::Invalid,
                  display +
                      ": not a directory or a .sql file; pass the directory that holds the "
                      "migrations")
          .with_file(display);

    if (options_.layout != Layout::Auto) return read_dir(given, display, list_dir(given, display));
    // Each directory is listed once: the one given, to tell whether it holds
    // migrations and, if not, as the first step of the search below it; the
    // one found, both by the search and for reading the set.
    auto listed = read_entries(given, display);
    auto entries = to_entries(listed, display);
    if (looks_like_migration_dir(entries)) return read_dir(given, display, std::move(entries));
    auto found = discover(given, std::move(listed), display);
    display = display_of(found.dir);
    ctx_.log(LogLevel::Info, kSourceComponent, "found Prisma migrations in " + display);
    return read_dir(found.dir, display, to_entries(found.entries, display));
  }

 private:
  static std::string display_of(const fs::path &p) {
    std::string s = p.generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s.empty() ? "." : s;
  }

  // A directory's entries as the listing gave them, each with the type the
  // listing reported; `ec` says why the listing stopped early, if it did.
  static std::vector<fs::directory_entry> read_entries(const fs::path &dir, std::error_code &ec) {
    std::vector<fs::directory_entry> listed;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) listed.push_back(*it);
    return listed;
  }
  std::vector<fs::directory_entry> read_entries(const fs::path &dir, const std::string &display) {
    std::error_code ec;
    auto listed = read_entries(dir, ec);
    if (ec)
      throw Error(ErrorCode::Io, display + ": cannot read directory: " + errno_text(ec))
          .with_file(display);
    return listed;
  }
  std::vector<Entry> list_dir(const fs::path &dir, const std::string &display) {
    return to_entries(read_entries(dir, display), display);
  }

  // The visible entries of a listing, symlinks followed, in name order.
  std::vector<Entry> to_entries(const std::vector<fs::directory_entry> &listed,
                                const std::string &display) {
    std::vector<Entry> entries;
    entries.reserve(listed.size());
    for (const auto &entry : listed) {
      Entry e;
      e.path = entry.path();
      e.name = e.path.filename().string();
      if (is_hidden(e.path)) continue;
      // The entry's type comes with the directory listing; only a symlink
      // (or a file system that does not report types) costs a stat.
      std::error_code sec;
      if (entry.is_symlink(sec) || sec) {
        e.is_symlink = !sec;
        sec.clear();
        auto st = fs::status(e.path, sec);  // follows symlinks
        // A looping or dangling link would otherwise drop out of the set
        // unnoticed, and with it a migration someone meant to apply.
        if (e.is_symlink && sec) {
          std::string entry_display = display + "/" + printable_name(e.name);
          throw Error(ErrorCode::Io, entry_display +
                                         ": cannot resolve symbolic link: " + errno_text(sec) +
                                         "; point it at a directory or file inside the "
                                         "migration directory, or remove it")
              .with_file(entry_display);
        }
        e.is_dir = !sec && fs::is_directory(st);
        e.is_file = !sec && fs::is_regular_file(st);
      } else {
        e.is_dir = entry.is_directory(sec);
        e.is_file = !sec && entry.is_regular_file(sec);
      }
      entries.push_back(std::move(e));
    }
    // Prisma and every runner here order by the raw bytes of the name.
    std::sort(entries.begin(), entries.end(),
              [](const Entry &a, const Entry &b) { return a.name < b.name; });
    return entries;
  }

  bool looks_like_migration_dir(const std::vector<Entry> &entries) {
    for (const auto &e : entries) {
      if (e.name == "migration_lock.toml") return true;
      if (e.is_file && e.name.size() > 4 && e.name.ends_with(".sql")) return true;
      if (e.is_dir && entry_exists(e.path / "migration.sql")) return true;
    }
    return false;
  }

  struct Listing {
    fs::path dir;
    std::vector<fs::directory_entry> entries;
  };

  // A project directory: find the one Prisma migration directory below it.
  // `given_entries` is the project directory's listing; the one found comes
  // back with its own, so neither is listed twice. A directory that cannot
  // be listed is passed over; one whose listing fails part-way is searched
  // as far as it was listed.
  Listing discover(const fs::path &given, std::vector<fs::directory_entry> given_entries,
                   const std::string &display) {
    std::vector<Listing> found;
    std::vector<std::pair<fs::path, int>> pending{{given, 0}};
    while (!pending.empty()) {
      auto [dir, depth] = pending.back();
      pending.pop_back();
      std::error_code ec;
      auto listed = dir == given ? std::move(given_entries) : read_entries(dir, ec);
      std::vector<fs::path> subdirs;
      bool is_migrations = false;
      for (const auto &entry : listed) {
        const auto &p = entry.path();
        auto name = p.filename().string();
        if (name == "migration_lock.toml") is_migrations = true;
        if (is_hidden(p) || name == "node_modules" || entry.is_symlink(ec)) continue;
        if (entry.is_directory(ec)) {
          if (!is_migrations && dir.filename() == "migrations" && entry_exists(p / "migration.sql"))
            is_migrations = true;
          subdirs.push_back(p);
        }
      }
      if (is_migrations && dir != given) {
        found.push_back({dir, std::move(listed)});
        continue;
      }
      if (depth < kDiscoveryMaxDepth)
        for (auto &s : subdirs) pending.emplace_back(s, depth + 1);
    }
    if (found.empty())
      throw Error(ErrorCode::NotFound,
                  display +
                      ": no migrations found (no migration_lock.toml, no */migration.sql, no .sql "
                      "files, and no Prisma migrations directory below it); pass the directory "
                      "that holds the migrations")
          .with_file(display);
    if (found.size() > 1) {
      std::sort(found.begin(), found.end(),
                [](const Listing &a, const Listing &b) { return a.dir < b.dir; });
      std::string list;
      for (const auto &f : found) list += (list.empty() ? "" : ", ") + display_of(f.dir);
      throw Error(ErrorCode::Invalid, display + ": holds several Prisma migration directories (" +
                                          list + "); pass the one to use")
          .with_file(display);
    }
    return std::move(found.front());
  }

  // Reads a file of the set after checking where it really lives, its size
  // and its text.
  // `missing_dir`: the file is a Prisma migration's migration.sql, and a
  // missing one is reported as that migration directory's problem (the
  // error is built only then, not for every file read); otherwise a missing
  // file is an I/O error with the system's words.
  std::string read_file(const fs::path &file, const std::string &display, bool allow_empty,
                        const std::string *missing_dir = nullptr) {
    ctx_.checkpoint();
    // O_NOFOLLOW: the usual plain file costs open, fstat, read and close; a
    // symlink is checked to stay inside the set before it is followed.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
      require_inside(file, display, "file");
      fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0 && errno == ENOENT && missing_dir)
      throw Error(ErrorCode::Invalid, *missing_dir +
                                          ": migration directory has no "
                                          "migration.sql; add the migration's SQL "
                                          "or remove the directory")
          .with_file(*missing_dir);
    if (fd < 0)
      throw Error(ErrorCode::Io, display + ": cannot open: " + std::strerror(errno))
          .with_file(display);
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
      throw Error(ErrorCode::Io, display + ": cannot read: " + std::strerror(errno))
          .with_file(display);
    if (!S_ISREG(st.st_mode))
      throw Error(ErrorCode::Invalid, display + ": not a regular file; a migration is a file")
          .with_file(display);
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > options_.max_file_bytes)
      throw Error(ErrorCode::Invalid,
                  display + ": " + std::to_string(size) + " bytes is over the limit of " +
                      std::to_string(options_.max_file_bytes) +
                      " bytes; split the migration, or raise the limit (--max-file-size)")
          .with_file(display);
    // One byte more than fstat said: a regular file's read comes back short
    // only at its end, so the usual file takes one read, and one that grew
    // meanwhile fills the extra byte.
    std::string text(static_cast<std::size_t>(size) + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw Error(ErrorCode::Io, display + ": cannot read: " + std::strerror(errno))
            .with_file(display);
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
      if (got == size) break;  // short read at the end
    }
    if (got != size)
      throw Error(ErrorCode::Io, display + ": the file changed while it was read; try again")
          .with_file(display);
    text.resize(size);
    if (text.empty() && !allow_empty)
      throw Error(ErrorCode::Invalid,
                  display +
                      ": migration file is empty (0 bytes); write the migration's SQL or "
                      "delete the file")
          .with_file(display, 1, 1);
    source::check_migration_text(text, display);
    return text;
  }

  // The set's directory with every symlink resolved (canonical_root_).
  const fs::path &canonical_root() {
    std::lock_guard<std::mutex> lock(canonical_root_mutex_);
    if (!canonical_root_) {
      std::error_code ec;
      auto resolved = fs::canonical(root_dir_, ec);
      if (ec)
        throw Error(ErrorCode::Io, set_display_ + ": cannot resolve: " + errno_text(ec))
            .with_file(set_display_);
      canonical_root_ = std::move(resolved);
    }
    return *canonical_root_;
  }

  // A symlink must resolve to a place inside the migration directory, so a
  // set never reads what it does not contain.
  void require_inside(const fs::path &path, const std::string &display, const char *what) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(path, ec))) return;
    auto target = fs::canonical(path, ec);
    if (ec)
      throw Error(ErrorCode::Io, display + ": cannot resolve symbolic link: " + errno_text(ec))
          .with_file(display);
    if (!is_within(target, canonical_root()))
      throw Error(ErrorCode::Invalid, display +
                                          ": symbolic link leads outside the migration "
                                          "directory (to " +
                                          target.generic_string() + "); copy the " + what +
                                          " into the migration directory instead")
          .with_file(display);
  }

  // A name is printed in listings, logs and reports and stored in the
  // history table: a newline or escape sequence in it could forge lines
  // there or rewrite a terminal, so such names are refused, not cleaned.
  // Checked before the migration's file is read, so that every way of
  // reading a set (deferred or not) reports the same first problem.
  void require_printable_name(const std::string &name, const std::string &rel_path) const {
    if (auto bad = std::find_if(name.begin(), name.end(),
                                [](char c) {
                                  auto u = static_cast<unsigned char>(c);
                                  return u < 0x20 || u == 0x7f;
                                });
        bad != name.end()) {
      std::string where = set_display_ + "/" + printable_name(rel_path);
      throw Error(ErrorCode::Invalid,
                  where + ": the migration name " + printable_name(name) +
                      " contains a control character (byte " +
                      std::to_string(static_cast<unsigned>(static_cast<unsigned char>(*bad))) +
                      " at offset " + std::to_string(bad - name.begin()) +
                      "); rename it using letters, digits, '_' and '-'")
          .with_file(where);
    }
  }

  Migration make_migration(std::string name, std::string version, std::string description,
                           std::string rel_path, std::string text) {
    require_printable_name(name, rel_path);
    Migration m;
    m.name = std::move(name);
    m.version = std::move(version);
    m.description = std::move(description);
    m.path = std::move(rel_path);
    m.bytes = text.size();
    if (checksums_) m.checksum = sha256_hex(text);
    m.sql = std::move(text);
    return m;
  }

  void report_progress(const MigrationSet &set, std::size_t total) {
    if (!ctx_.has_progress()) return;  // a listing of 20,000 files builds no events
    util::JsonWriter w;
    w.begin_object()
        .field("event", "migration_read")
        .field("index", static_cast<std::uint64_t>(set.migrations_.size() - 1))
        .field("total", static_cast<std::uint64_t>(total))
        .field("name", set.migrations_.back().name)
        .end_object();
    ctx_.progress(w.str());
  }

  // `listed`: the directory's entries, from to_entries.
  MigrationSet read_dir(const fs::path &dir, const std::string &display,
                        std::vector<Entry> listed) {
    root_dir_ = dir;
    // Kept in the reader: the reads a check leaves pending refer to them.
    entries_ = std::move(listed);
    const auto &entries = entries_;
    Layout layout = options_.layout;
    if (layout == Layout::Auto) layout = detect(entries, display);
    ctx_.log(LogLevel::Debug, kSourceComponent,
             display + ": reading as " + std::string(layout_name(layout)));

    MigrationSet set;
    set.root_ = display;
    set_display_ = display;
    set.layout_ = layout;
    switch (layout) {
      case Layout::Prisma:
        read_prisma(set, entries, display);
        break;
      case Layout::Flyway:
        read_flyway(set, entries, display);
        break;
      case Layout::GolangMigrate:
        read_golang_migrate(set, entries, display);
        break;
      case Layout::Dbmate:
        read_dbmate(set, entries, display);
        break;
      case Layout::Plain:
      case Layout::Auto:
        read_plain(set, entries, display);
        break;
    }
    return set;
  }

  MigrationSet read_single_file(const fs::path &file, const std::string &display) {
    fs::path parent = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    root_dir_ = parent;
    MigrationSet set;
    set.root_ = display_of(parent);
    set_display_ = set.root_;
    set.layout_ = Layout::Plain;
    auto name = file.filename().string();
    auto text = read_file(file, display, false);
    auto stem = name.ends_with(".sql") ? name.substr(0, name.size() - 4) : name;
    set.migrations_.push_back(make_migration(stem, stem, "", name, std::move(text)));
    report_progress(set, 1);
    return set;
  }

  static bool is_sql_file(const Entry &e) { return e.is_file && e.name.ends_with(".sql"); }

  Layout detect(const std::vector<Entry> &entries, const std::string &display) {
    bool any_sql = false, all_flyway = true, any_updown = false;
    for (const auto &e : entries) {
      if (e.name == "migration_lock.toml") return Layout::Prisma;
      if (e.is_dir && entry_exists(e.path / "migration.sql")) return Layout::Prisma;
      if (!is_sql_file(e)) continue;
      any_sql = true;
      if (!source::is_flyway_file_name(e.name)) all_flyway = false;
      if (e.name.ends_with(".up.sql") || e.name.ends_with(".down.sql")) any_updown = true;
    }
    if (!any_sql)
      throw Error(ErrorCode::NotFound,
                  display +
                      ": no migrations found (no migration_lock.toml, no */migration.sql, "
                      "no .sql files); pass the directory that holds the migrations")
          .with_file(display);
    if (all_flyway) return Layout::Flyway;
    if (any_updown) return Layout::GolangMigrate;
    std::vector<const Entry *> sql_files;
    for (const auto &e : entries)
      if (is_sql_file(e)) sql_files.push_back(&e);
    // Telling dbmate files from plain ones means reading them, so they are
    // read whole here, once, and kept for read_plain/read_dbmate (a failed
    // read keeps its error, raised when that file's turn comes). A
    // directory of thousands of plain files shares the work between two
    // threads.
    std::vector<Prefetched> texts(sql_files.size());
    std::atomic<std::size_t> next{0};
    std::atomic<bool> dbmate{false};
    auto work = [&] {
      for (std::size_t i; !dbmate && (i = next.fetch_add(1)) < sql_files.size();) {
        try {
          texts[i].text = read_file(sql_files[i]->path, display + "/" + sql_files[i]->name, false);
          if (starts_with_dbmate_marker(texts[i].text)) dbmate = true;
        } catch (...) {
          texts[i].error = std::current_exception();
        }
        texts[i].done = true;
      }
    };
    util::run_on_two_threads(parallel_reads_ && sql_files.size() > 64, work);
    prefetched_.reserve(sql_files.size());
    for (std::size_t i = 0; i < sql_files.size(); ++i)
      if (texts[i].done) prefetched_.emplace(sql_files[i], std::move(texts[i]));
    return dbmate ? Layout::Dbmate : Layout::Plain;
  }

  // Whether a line "-- migrate:up" comes before the file's first line of SQL
  // (lines holding only comments or blanks come before it).
  static bool starts_with_dbmate_marker(std::string_view text) {
    for (std::size_t start = 0; start <= text.size();) {
      auto nl = text.find('\n', start);
      auto line =
          text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      if (line.rfind("-- migrate:up", 0) == 0) return true;
      if (line.find_first_not_of(" \t\r") != std::string_view::npos && line.rfind("--", 0) != 0)
        return false;
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    return false;
  }

  // A .sql file of the set: the text detect() already read, or read now.
  std::string read_sql_entry(const Entry &e, const std::string &display) {
    auto it = prefetched_.find(&e);
    if (it == prefetched_.end()) return read_file(e.path, display, false);
    if (it->second.error) std::rethrow_exception(it->second.error);
    return std::move(it->second.text);
  }

  void read_prisma(MigrationSet &set, const std::vector<Entry> &entries,
                   const std::string &display) {
    std::vector<const Entry *> dirs;
    for (const auto &e : entries) {
      if (e.name == "migration_lock.toml" && e.is_file) {
        read_prisma_lock(set, e.path, display + "/" + e.name);
      } else if (e.is_dir) {
        dirs.push_back(&e);
      }
    }
    if (!set.provider_)
      ctx_.log(LogLevel::Warning, kSourceComponent,
               display + ": no migration_lock.toml; assuming provider postgresql");
    // Every name first, as the deferred reads see them all before any file.
    for (const Entry *e : dirs) require_printable_name(e->name, e->name + "/migration.sql");
    const bool deferred = defer_reads();
    if (deferred) set.migrations_.reserve(dirs.size());
    for (const Entry *e : dirs) {
      std::string rel = e->name + "/migration.sql";
      // The paths it reads and names are built when it runs (on a reading
      // thread, for a check), not for every migration while the set is
      // listed: building them there took a sixth of listing a 21-migration
      // set (0.025 of 0.14 ms).
      auto read = [this, e] { return read_prisma_migration(*e); };
      auto underscore = e->name.find('_');
      std::string version = e->name.substr(0, underscore);
      std::string description =
          underscore == std::string::npos ? std::string() : e->name.substr(underscore + 1);
      if (deferred) {
        set.migrations_.push_back(make_migration(e->name, std::move(version),
                                                 std::move(description), std::move(rel), {}));
        pending_.push_back({set.migrations_.size() - 1, std::move(read)});
        continue;
      }
      auto text = read();
      set.migrations_.push_back(make_migration(e->name, std::move(version), std::move(description),
                                               std::move(rel), std::move(text)));
      report_progress(set, dirs.size());
    }
  }

  // A Prisma migration's migration.sql. A missing one is reported as its
  // directory's problem, as the fix is there.
  std::string read_prisma_migration(const Entry &e) {
    std::string dir_display = set_display_ + "/" + e.name;
    if (e.is_symlink) require_inside(e.path, dir_display, "directory");
    return read_file(e.path / "migration.sql", dir_display + "/migration.sql", false, &dir_display);
  }

  // Only `check` defers reads (a deploy reads in order and reports each
  // file's progress): its caller does them, on two threads, once the set is
  // listed (list_for_check).
  bool defer_reads() const { return parallel_reads_ && !ctx_.has_progress(); }

  void read_prisma_lock(MigrationSet &set, const fs::path &path, const std::string &display) {
    auto text = read_file(path, display, true);
    auto provider = source::plain_lock_file_provider(text);
    if (!provider) {
      // Anything but the plain form Prisma writes goes through a TOML parser.
      toml::table parsed;
      try {
        parsed = toml::parse(text, display);
      } catch (const toml::parse_error &err) {
        throw Error(ErrorCode::Parse, display + ": " + std::string(err.description()) +
                                          "; restore the file Prisma wrote")
            .with_file(display, static_cast<std::uint32_t>(err.source().begin.line),
                       static_cast<std::uint32_t>(err.source().begin.column));
      }
      provider = parsed["provider"].value<std::string>();
    }
    if (!provider)
      throw Error(ErrorCode::Invalid,
                  display + ": has no provider; it should say provider = \"postgresql\"")
          .with_file(display);
    if (*provider != "postgresql")
      throw Error(ErrorCode::Invalid, display + ": provider is \"" + *provider +
                                          "\"; dbsafe reads PostgreSQL migrations only")
          .with_file(display);
    set.provider_ = *provider;
  }

  [[noreturn]] void duplicate_version(const std::string &display, const std::string &version,
                                      const std::string &a, const std::string &b) {
    throw Error(ErrorCode::Invalid, display + ": version " + version + " is used by both " + a +
                                        " and " + b + "; give each migration its own version")
        .with_file(display + "/" + b);
  }

  void read_flyway(MigrationSet &set, const std::vector<Entry> &entries,
                   const std::string &display) {
    static const std::regex pattern(R"(([VRU])([0-9][0-9._]*)?__(.+)\.sql)");
    std::vector<Migration> versioned, undo;
    for (const auto &e : entries) {
      if (!is_sql_file(e)) continue;
      std::smatch m;
      std::string file_display = display + "/" + e.name;
      bool ok = std::regex_match(e.name, m, pattern) && (m[1] == "R") == !m[2].matched;
      if (!ok)
        throw Error(ErrorCode::Invalid,
                    file_display +
                        ": not a Flyway migration name (V<version>__<description>.sql "
                        "or R__<description>.sql); rename it")
            .with_file(file_display);
      auto text = read_file(e.path, file_display, false);
      auto stem = e.name.substr(0, e.name.size() - 4);
      auto mig = make_migration(stem, m[2].str(), m[3].str(), e.name, std::move(text));
      if (m[1] == "R") {
        set.repeatables_.push_back(std::move(mig));
      } else if (m[1] == "U") {
        undo.push_back(std::move(mig));
      } else {
        versioned.push_back(std::move(mig));
      }
    }
    std::stable_sort(versioned.begin(), versioned.end(),
                     [](const Migration &a, const Migration &b) {
                       return compare_versions(a.version, b.version) < 0;
                     });
    for (std::size_t i = 1; i < versioned.size(); ++i) {
      if (compare_versions(versioned[i - 1].version, versioned[i].version) == 0)
        duplicate_version(display, versioned[i].version, versioned[i - 1].path, versioned[i].path);
    }
    for (auto &u : undo) {
      auto it = std::find_if(versioned.begin(), versioned.end(), [&](const Migration &v) {
        return compare_versions(v.version, u.version) == 0;
      });
      if (it == versioned.end())
        throw Error(ErrorCode::Invalid,
                    display + "/" + u.path + ": undo migration for version " + u.version +
                        ", which has no V migration; remove it or add the V file")
            .with_file(display + "/" + u.path);
      it->down_path = u.path;
      it->down_sql = std::move(u.sql);
    }
    std::sort(set.repeatables_.begin(), set.repeatables_.end(),
              [](const Migration &a, const Migration &b) { return a.description < b.description; });
    const std::size_t total = versioned.size();
    for (auto &v : versioned) {
      set.migrations_.push_back(std::move(v));
      report_progress(set, total);
    }
  }

  void read_golang_migrate(MigrationSet &set, const std::vector<Entry> &entries,
                           const std::string &display) {
    static const std::regex pattern(R"(([0-9]+)_(.*)\.(up|down)\.sql)");
    std::map<std::string, std::pair<std::string, std::string>> seen;  // version -> (up, down) path
    std::vector<Migration> ups;
    std::map<std::string, std::pair<std::string, std::string>> downs;  // version -> (path, sql)
    for (const auto &e : entries) {
      if (!is_sql_file(e)) continue;
      std::smatch m;
      std::string file_display = display + "/" + e.name;
      if (!std::regex_match(e.name, m, pattern))
        throw Error(ErrorCode::Invalid,
                    file_display +
                        ": not a golang-migrate name (<version>_<name>.up.sql or .down.sql); "
                        "rename it")
            .with_file(file_display);
      auto version = m[1].str();
      auto normalized =
          version_parts(version).empty() ? std::string("0") : version_parts(version)[0];
      auto &slot = m[3] == "up" ? seen[normalized].first : seen[normalized].second;
      if (!slot.empty()) duplicate_version(display, version, slot, e.name);
      slot = e.name;
      auto text = read_file(e.path, file_display, m[3] == "down");
      if (m[3] == "up") {
        ups.push_back(make_migration(e.name.substr(0, e.name.size() - 7), version, m[2].str(),
                                     e.name, std::move(text)));
      } else {
        downs[normalized] = {e.name, std::move(text)};
      }
    }
    std::stable_sort(ups.begin(), ups.end(), [](const Migration &a, const Migration &b) {
      return compare_versions(a.version, b.version) < 0;
    });
    for (auto &u : ups) {
      auto parts = version_parts(u.version);
      auto it = downs.find(parts.empty() ? std::string("0") : parts[0]);
      if (it != downs.end()) {
        u.down_path = it->second.first;
        u.down_sql = std::move(it->second.second);
      }
      set.migrations_.push_back(std::move(u));
      report_progress(set, ups.size());
    }
  }

  void read_dbmate(MigrationSet &set, const std::vector<Entry> &entries,
                   const std::string &display) {
    static const std::regex pattern(R"(([0-9]+)_?(.*)\.sql)");
    std::vector<Migration> found;
    for (const auto &e : entries) {
      if (!is_sql_file(e)) continue;
      std::smatch m;
      std::string file_display = display + "/" + e.name;
      if (!std::regex_match(e.name, m, pattern))
        throw Error(ErrorCode::Invalid, file_display +
                                            ": not a dbmate migration name "
                                            "(<version>_<name>.sql); rename it")
            .with_file(file_display);
      auto text = read_sql_entry(e, file_display);
      auto mig =
          make_migration(e.name.substr(0, e.name.size() - 4), m[1].str(), m[2].str(), e.name, text);
      split_dbmate_sections(mig, text, file_display);
      found.push_back(std::move(mig));
    }
    std::stable_sort(found.begin(), found.end(), [](const Migration &a, const Migration &b) {
      return compare_versions(a.version, b.version) < 0;
    });
    for (std::size_t i = 1; i < found.size(); ++i) {
      if (compare_versions(found[i - 1].version, found[i].version) == 0)
        duplicate_version(display, found[i].version, found[i - 1].path, found[i].path);
    }
    for (auto &m : found) {
      set.migrations_.push_back(std::move(m));
      report_progress(set, found.size());
    }
  }

  // dbmate runs the text between "-- migrate:up" and "-- migrate:down";
  // options such as transaction:false follow the marker on its line.
  static void split_dbmate_sections(Migration &mig, const std::string &text,
                                    const std::string &display) {
    std::size_t up_line = std::string::npos, up_body = 0, down_line = std::string::npos,
                down_body = 0;
    std::string up_options;
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      auto line_end = end == std::string::npos ? text.size() : end;
      std::string_view line(text.data() + pos, line_end - pos);
      auto next = end == std::string::npos ? text.size() : end + 1;
      if (line.rfind("-- migrate:up", 0) == 0 && up_line == std::string::npos) {
        up_line = pos;
        up_body = next;
        up_options = std::string(line.substr(13));
      } else if (line.rfind("-- migrate:down", 0) == 0 && down_line == std::string::npos) {
        down_line = pos;
        down_body = next;
      }
      pos = next;
    }
    if (up_line == std::string::npos)
      throw Error(ErrorCode::Invalid,
                  display +
                      ": no \"-- migrate:up\" line; a dbmate migration starts with "
                      "-- migrate:up (and may end with a -- migrate:down section)")
          .with_file(display);
    if (down_line != std::string::npos && down_line < up_line) {
      auto pos_info = source::position_of(text, down_line);
      throw Error(ErrorCode::Invalid,
                  display +
                      ": \"-- migrate:down\" comes before \"-- migrate:up\"; put the up "
                      "section first")
          .with_file(display, pos_info.line, pos_info.column);
    }
    auto up_end = down_line == std::string::npos ? text.size() : down_line;
    mig.sql = text.substr(up_body, up_end - up_body);
    if (down_line != std::string::npos) mig.down_sql = text.substr(down_body);
    mig.transactional = up_options.find("transaction:false") == std::string::npos;
  }

  void read_plain(MigrationSet &set, const std::vector<Entry> &entries,
                  const std::string &display) {
    std::size_t total = std::count_if(entries.begin(), entries.end(), is_sql_file);
    // Every name first, as the deferred reads see them all before any file.
    for (const auto &e : entries)
      if (is_sql_file(e)) require_printable_name(e.name.substr(0, e.name.size() - 4), e.name);
    const bool deferred = defer_reads();
    if (deferred) set.migrations_.reserve(total);
    for (const auto &e : entries) {
      if (!is_sql_file(e)) continue;
      auto stem = e.name.substr(0, e.name.size() - 4);
      auto read = [this, &e, file_display = display + "/" + e.name] {
        return read_sql_entry(e, file_display);
      };
      // A text detect() already read is taken now: left pending, its
      // reading would be only a hand-over, each one a job for the caller.
      if (deferred && !prefetched_.count(&e)) {
        set.migrations_.push_back(make_migration(stem, stem, "", e.name, {}));
        pending_.push_back({set.migrations_.size() - 1, std::move(read)});
        continue;
      }
      set.migrations_.push_back(make_migration(stem, stem, "", e.name, read()));
      report_progress(set, total);
    }
  }

  const SourceOptions &options_;
  const CallContext &ctx_;
  bool checksums_ = true;
  bool parallel_reads_ = false;
  std::vector<source::PendingRead> pending_;
  std::vector<Entry> entries_;  // of the directory read_dir lists
  // What detect() read of a directory of .sql files: the text or the error.
  // Looked up from both reading threads, written only before they start.
  struct Prefetched {
    std::string text;
    std::exception_ptr error;
    bool done = false;
  };
  std::unordered_map<const Entry *, Prefetched> prefetched_;
  fs::path root_dir_;  // the set's directory, as given or found
  // root_dir_ resolved, worked out at the first symlink (most sets have
  // none, and resolving a path costs a system call per component); the
  // reading threads of a check may both ask.
  std::mutex canonical_root_mutex_;
  std::optional<fs::path> canonical_root_;
  // The set's directory as messages name it (for errors about one migration).
  std::string set_display_;
};

MigrationSet MigrationSet::open(const fs::path &path, const SourceOptions &options,
                                const CallOptions &call) {
  CallContext ctx(call);
  SourceOptions effective = options;
  if (effective.max_file_bytes == 0) effective.max_file_bytes = kDefaultMaxFileBytes;
  MigrationSetReader reader(effective, ctx);
  return reader.read(path);
}

std::string MigrationSet::to_json() const {
  util::JsonWriter w;
  std::uint64_t total_bytes = 0;
  for (const auto &m : migrations_) total_bytes += m.bytes;
  auto write_list = [&](const std::vector<Migration> &list) {
    w.begin_array();
    for (const auto &m : list) {
      w.begin_object()
          .field("name", m.name)
          .field("version", m.version)
          .field("description", m.description)
          .field("path", m.path)
          .field("file", root_ + "/" + m.path)
          .field("bytes", m.bytes)
          .field("checksum", m.checksum)
          .field("transactional", m.transactional)
          .field("down_path", m.down_path)
          .end_object();
    }
    w.end_array();
  };
  w.begin_object()
      .field("schema_version", 1)
      .field("root", root_)
      .field("layout", std::string(layout_name(layout_)))
      .field("provider", provider_)
      .field("count", static_cast<std::uint64_t>(migrations_.size()))
      .field("total_bytes", total_bytes);
  w.key("migrations");
  write_list(migrations_);
  w.key("repeatables");
  write_list(repeatables_);
  w.end_object();
  return w.take();
}

}  // namespace v1

namespace source {

namespace {

// What a listed set's pending reads use, alive as long as they may run.
struct ListingReader {
  SourceOptions options;
  CallContext ctx;
  MigrationSetReader reader;
  ListingReader(const SourceOptions &given, const CallOptions &call)
      : options(given), ctx(call), reader(options, ctx, true) {
    if (options.max_file_bytes == 0) options.max_file_bytes = kDefaultMaxFileBytes;
  }
};

}  // namespace

ListedSet list_for_check(const fs::path &path, const SourceOptions &options,
                         const CallOptions &call) {
  auto state = std::make_shared<ListingReader>(options, call);
  auto set = state->reader.read(path);
  ListedSet listed;
  listed.root = set.root();
  listed.migrations = MigrationSetReader::take_migrations(set);
  listed.unread = state->reader.take_pending();
  listed.reader = std::move(state);
  return listed;
}

}  // namespace source

}  // namespace dbsafe
