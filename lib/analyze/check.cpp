// dbsafe::check: reads the migration sets, parses every file (both cores),
// runs the analyzer over them in order, and applies dbsafe.toml.
#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "analyze/analyzer.hpp"
#include "analyze/check_stream.hpp"
#include "analyze/rules.hpp"
#include "analyze/sql_parser.hpp"
#include "analyze/tree.hpp"
#include "dbsafe/check.hpp"
#include "source/read_for_check.hpp"
#include "util/json_writer.hpp"
#include "util/toml.hpp"
#include "util/worker_thread.hpp"

namespace fs = std::filesystem;

namespace dbsafe {
inline namespace v1 {

const char *level_name(Level level) noexcept {
  switch (level) {
    case Level::Off:
      return "off";
    case Level::Info:
      return "info";
    case Level::Warning:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "off";
}

std::optional<Level> level_from_name(std::string_view name) noexcept {
  for (auto l : {Level::Off, Level::Info, Level::Warning, Level::Error})
    if (name == level_name(l)) return l;
  return std::nullopt;
}

namespace {

// dbsafe.toml, as far as `check` uses it.
struct Config {
  std::string path;  // empty: none found
  fs::path dir;
  std::optional<int> pg_version;
  std::optional<Runner> runner;
  std::optional<Level> fail_on;
  std::map<std::string, Level, std::less<>> rules;
  std::vector<std::string> enable;
  std::optional<double> large_table_rows;
  std::optional<std::int64_t> large_table_bytes;
  struct Override {
    std::vector<std::string> paths;  // globs, relative to the config's directory
    std::map<std::string, Level, std::less<>> rules;
  };
  std::vector<Override> overrides;
};

Level parse_level(const toml::node &n, const std::string &where, const std::string &config) {
  auto v = n.value<std::string>();
  auto level = v ? level_from_name(*v) : std::nullopt;
  if (!level)
    throw Error(ErrorCode::Invalid,
                config + ": " + where + " must be \"off\", \"info\", \"warning\" or \"error\"")
        .with_file(config, static_cast<std::uint32_t>(n.source().begin.line),
                   static_cast<std::uint32_t>(n.source().begin.column));
  return *level;
}

void check_rule_id(const std::string &id, const toml::node &n, const std::string &config) {
  if (!analyze::find_rule(id))
    throw Error(ErrorCode::Invalid,
                config + ": unknown rule \"" + id + "\"; see docs/rules.md for the rule ids")
        .with_file(config, static_cast<std::uint32_t>(n.source().begin.line),
                   static_cast<std::uint32_t>(n.source().begin.column));
}

Config load_config(const std::string &path) {
  Config c;
  c.path = path;
  c.dir = fs::path(path).parent_path();
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    throw Error(ErrorCode::Parse, path + ": " + std::string(e.description()))
        .with_file(path, static_cast<std::uint32_t>(e.source().begin.line),
                   static_cast<std::uint32_t>(e.source().begin.column));
  }
  if (auto v = t["pg_version"].value<int64_t>()) c.pg_version = static_cast<int>(*v);
  if (auto v = t["runner"].value<std::string>()) {
    if (*v != "safe" && *v != "prisma")
      throw Error(ErrorCode::Invalid, path + ": runner must be \"safe\" or \"prisma\"")
          .with_file(path);
    c.runner = *v == "safe" ? Runner::Safe : Runner::Prisma;
  }
  if (auto *n = t.get("fail_on")) c.fail_on = parse_level(*n, "fail_on", path);
  if (auto *rules = t["rules"].as_table()) {
    for (auto &[k, v] : *rules) {
      check_rule_id(std::string(k.str()), v, path);
      c.rules[std::string(k.str())] = parse_level(v, "rules." + std::string(k.str()), path);
    }
  }
  if (auto *enable = t["enable"].as_array()) {
    for (auto &v : *enable) {
      auto id = v.value<std::string>();
      if (!id)
        throw Error(ErrorCode::Invalid, path + ": enable must list rule ids").with_file(path);
      check_rule_id(*id, v, path);
      c.enable.push_back(*id);
    }
  }
  if (auto *th = t["thresholds"].as_table()) {
    if (auto v = (*th)["large_table_rows"].value<double>()) c.large_table_rows = *v;
    if (auto v = (*th)["large_table_bytes"].value<int64_t>()) c.large_table_bytes = *v;
  }
  if (auto *ovs = t["overrides"].as_array()) {
    for (auto &ov : *ovs) {
      auto *tbl = ov.as_table();
      if (!tbl) continue;
      Config::Override o;
      if (auto *paths = (*tbl)["paths"].as_array())
        for (auto &p : *paths)
          if (auto s = p.value<std::string>()) o.paths.push_back(*s);
      if (auto *rules = (*tbl)["rules"].as_table())
        for (auto &[k, v] : *rules) {
          check_rule_id(std::string(k.str()), v, path);
          o.rules[std::string(k.str())] = parse_level(v, "overrides.rules", path);
        }
      c.overrides.push_back(std::move(o));
    }
  }
  return c;
}

// dbsafe.toml in the directory of `start` or any parent.
std::string find_config(const std::string &start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();
  for (; !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "dbsafe.toml", ec)) return (dir / "dbsafe.toml").string();
    if (dir == dir.root_path()) break;
  }
  return {};
}

struct ParsedFile {
  std::string file;
  std::string migration;
  std::string sql;
  std::function<std::string()> read;  // set while `sql` is still to be read
  std::shared_ptr<void> reader;       // what `read` uses; the last file read frees it
  std::exception_ptr read_error;
  std::unique_ptr<analyze::ParsedSql> parsed;
  bool report = true;
  std::string sorts_before;  // the newest merged migration a new one sorts before
};

// Reads and parses the files a bounded window ahead of the analyzer, which
// must see them in order, so both cores work. A second thread reads every
// file still unread, then parses; the analyzer, when the file it needs is
// not ready, does the next job itself rather than wait: other reads while
// more than a window of files is unread, then its own file's read or parse,
// then other reads, then the next parse. At the start of a small set that
// puts the first file's read and parse on the analyzer while the thread
// reads the rest, so the analysis starts before the other files are read
// (listing and reading a 21-file set took a sixth of its check before the
// first parse began). Each parse tree is freed, by the thread that parsed
// it, as soon as its file is analysed, so memory stays small and is reused
// rather than freshly faulted in.
//
// Each side sleeps only when it must and is woken only when it has a reason
// to go on: a parser that filled the window waits until half of it is free,
// not for each file (waking it per file was one context switch per file,
// a tenth of a run of 20,000 small files).
class ParsePipeline {
 public:
  static constexpr std::size_t kWindow = 64;

  ParsePipeline(std::vector<ParsedFile> &files, const CallContext &ctx)
      : files_(files), ctx_(ctx), state_(files.size(), State::Read) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!files[i].read) continue;
      state_[i] = State::Unread;
      ++unread_;
    }
    while (next_unread_ < files.size() && state_[next_unread_] != State::Unread) ++next_unread_;
    // A single file is read and parsed by the analyzer: a thread would only wait.
    if (files.size() > 1) worker_ = util::WorkerThread([this] { work(); });
  }
  ~ParsePipeline() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    room_.notify_all();
    worker_.join();
  }

  // Returns once file `i` is parsed, doing jobs itself while it is not;
  // rethrows the thread's failure, and file `i`'s read error (the first in
  // order: the files before it were read).
  void wait_for(std::size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!parsed(i)) {
      if (failure_) std::rethrow_exception(failure_);
      if (state_[i] == State::ReadFailed) std::rethrow_exception(files_[i].read_error);
      if (auto job = claim_for_analyzer(i)) {
        lock.unlock();
        run(*job, State::ParsedByAnalyzer);
        lock.lock();
        continue;
      }
      analyzer_waits_for_ = i + 1;
      parsed_cv_.wait(lock, [&] {
        return parsed(i) || state_[i] == State::Read || state_[i] == State::ReadFailed || failure_;
      });
      analyzer_waits_for_ = 0;
    }
  }

  // Whether every file is read; once they are, throws the first read error
  // in order, so nothing of a set that cannot be read whole is reported.
  bool all_read() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (unread_ > 0) return false;
    for (std::size_t i = 0; i < files_.size(); ++i)
      if (state_[i] == State::ReadFailed) std::rethrow_exception(files_[i].read_error);
    return true;
  }

  // File `i` is analysed: its tree may go, and the parser may move on. The
  // thread that parsed a tree frees it: a free from the other thread would
  // wait on its malloc arena while it allocates the next.
  void done_with(std::size_t i) {
    bool mine, wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      consumed_ = i + 1;
      mine = state_[i] == State::ParsedByAnalyzer;
      wake = worker_waits_ && worker_may_go_on();
    }
    if (wake) room_.notify_one();
    if (mine) files_[i].parsed.reset();
  }

 private:
  // A file's way: Unread (its text still to read) -> Reading -> Read (or
  // ReadFailed) -> Parsing -> Parsed by one of the threads.
  enum class State : unsigned char {
    Unread,
    Reading,
    Read,
    ReadFailed,
    Parsing,
    ParsedByThread,
    ParsedByAnalyzer
  };
  struct Job {
    std::size_t file;
    bool read;  // else parse
  };

  bool parsed(std::size_t i) const { return state_[i] >= State::ParsedByThread; }
  // Whether the sleeping worker has a reason to wake: a read to take, the
  // next file to parse read and, after a full window, half of it free, or
  // nothing left at all. Both wakers and the worker's wait ask this.
  bool worker_may_go_on() const {
    if (stop_ || unread_claimable()) return true;
    if (claimed_ >= files_.size()) return unread_ == 0;
    return state_[claimed_] != State::Reading && claimed_ < consumed_ + kWindow / 2;
  }
  bool unread_claimable() const {
    return next_unread_ < files_.size();  // kept at the first Unread file, or the end
  }

  // The jobs, claimed under mutex_. Files are parsed in order; reads are
  // taken in order too, except the analyzer's own file.
  std::optional<Job> claim_read(std::size_t i) {
    state_[i] = State::Reading;
    while (next_unread_ < files_.size() && state_[next_unread_] != State::Unread) ++next_unread_;
    return Job{i, true};
  }
  std::optional<Job> claim_next_read() {
    if (!unread_claimable()) return std::nullopt;
    return claim_read(next_unread_);
  }
  std::optional<Job> claim_next_parse() {
    // A file that could not be read is not parsed: the analyzer reports it.
    while (claimed_ < files_.size() && state_[claimed_] == State::ReadFailed) ++claimed_;
    if (claimed_ >= files_.size() || claimed_ >= consumed_ + kWindow ||
        state_[claimed_] != State::Read)
      return std::nullopt;
    state_[claimed_] = State::Parsing;
    return Job{claimed_++, false};
  }
  std::optional<Job> claim_for_analyzer(std::size_t i) {
    // While many files are unread the analyzer reads too: reading them all
    // alone kept the thread from parsing (a 5,000-file set: 48 ms of reads
    // while the analyzer parsed and analysed alone), and no finding goes
    // out before the last read.
    if (unread_ > kWindow)
      if (auto job = claim_next_read()) return job;
    if (state_[i] == State::Unread) return claim_read(i);
    if (state_[i] == State::Read && claimed_ == i) return claim_next_parse();
    if (auto job = claim_next_read()) return job;
    return claim_next_parse();
  }

  // Does a job claimed by the calling thread, and publishes it.
  void run(const Job &job, State parsed_by) {
    ctx_.checkpoint();
    auto &f = files_[job.file];
    State done = parsed_by;
    if (job.read) {
      try {
        f.sql = f.read();
        done = State::Read;
      } catch (...) {
        f.read_error = std::current_exception();
        done = State::ReadFailed;
      }
      f.read = nullptr;
      f.reader.reset();
    } else {
      f.parsed = analyze::ParsedSql::parse(f.sql);
    }
    bool wake_analyzer, wake_worker;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      state_[job.file] = done;
      if (job.read) --unread_;
      wake_analyzer = analyzer_waits_for_ == job.file + 1;
      // The worker may wait for the read of the next file to parse.
      wake_worker = job.read && worker_waits_ && worker_may_go_on();
    }
    if (wake_analyzer) parsed_cv_.notify_one();
    if (wake_worker) room_.notify_one();
  }

  void work() {
    try {
      for (;;) {
        std::optional<Job> job;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          for (;;) {
            if (stop_) return;
            if ((job = claim_next_read()) || (job = claim_next_parse())) break;
            if (claimed_ >= files_.size() && unread_ == 0) return;  // nothing left
            worker_waits_ = true;
            room_.wait(lock, [&] { return worker_may_go_on(); });
            worker_waits_ = false;
          }
        }
        if (!job->read) free_analysed();
        run(*job, State::ParsedByThread);
      }
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        failure_ = std::current_exception();
      }
      parsed_cv_.notify_one();
    }
  }

  // The trees this thread parsed, of the files the analyzer is done with.
  void free_analysed() {
    std::vector<std::size_t> mine;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (; freed_ < consumed_; ++freed_)
        if (state_[freed_] == State::ParsedByThread) mine.push_back(freed_);
    }
    for (auto i : mine) files_[i].parsed.reset();
  }

  std::vector<ParsedFile> &files_;
  const CallContext &ctx_;
  std::mutex mutex_;
  std::condition_variable parsed_cv_, room_;
  std::vector<State> state_;     // by file
  std::size_t unread_ = 0;       // reads not finished
  std::size_t next_unread_ = 0;  // the first Unread file, or the end
  std::size_t claimed_ = 0;      // files before it are claimed for parsing (or unreadable)
  std::size_t consumed_ = 0;     // files before it are analysed
  std::size_t freed_ = 0;        // files before it had their tree freed, if this thread parsed it
  std::size_t analyzer_waits_for_ = 0;  // > 0: the analyzer sleeps until file (it - 1) is ready
  bool worker_waits_ = false;
  bool stop_ = false;
  std::exception_ptr failure_;
  util::WorkerThread worker_;  // started last, once every member above exists
};

// Puts `batch` in report order: by line, then column, ties in the order found.
void sort_by_position(std::vector<Finding> &batch, std::vector<std::size_t> &order,
                      std::vector<Finding> &scratch) {
  auto before = [&](std::size_t a, std::size_t b) {
    const auto &x = batch[a], &y = batch[b];
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  };
  bool sorted = true;
  for (std::size_t i = 1; i < batch.size() && sorted; ++i) sorted = !before(i, i - 1);
  if (sorted) return;
  // An index is sorted so no Finding moves more than once.
  order.resize(batch.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), before);
  scratch.clear();
  scratch.reserve(batch.size());
  for (auto i : order) scratch.push_back(std::move(batch[i]));
  batch.swap(scratch);
}

CheckSummary run(std::vector<ParsedFile> files, const CheckOptions &given, const Config &config,
                 const CallContext &ctx, const analyze::FindingBatch &deliver,
                 analyze::Explanations explanations) {
  CheckOptions options = given;
  // dbsafe.toml first, then what the caller set explicitly wins.
  if (config.pg_version && given.pg_version == CheckOptions{}.pg_version)
    options.pg_version = *config.pg_version;
  if (config.runner && given.runner == CheckOptions{}.runner) options.runner = *config.runner;
  if (config.fail_on && given.fail_on == CheckOptions{}.fail_on) options.fail_on = *config.fail_on;
  if (config.large_table_rows) options.large_table_rows = *config.large_table_rows;
  if (config.large_table_bytes) options.large_table_bytes = *config.large_table_bytes;
  if (options.stats && options.stats->server_version_num > 0 &&
      given.pg_version == CheckOptions{}.pg_version && !config.pg_version)
    options.pg_version = options.stats->server_version_num / 10000;

  std::set<std::string> enabled(options.enable.begin(), options.enable.end());
  enabled.insert(config.enable.begin(), config.enable.end());
  // Asked for every finding: the usual run sets no levels, and then builds
  // no strings to find that out.
  auto policy = [&](std::string_view rule, const std::string &file, Level computed) {
    const auto *info = analyze::find_rule(rule);
    Level level = computed;
    if (info && info->off_by_default && !enabled.count(std::string(rule))) level = Level::Off;
    if (auto it = config.rules.find(rule); it != config.rules.end()) level = it->second;
    for (const auto &o : config.overrides) {
      auto it = o.rules.find(rule);
      if (it == o.rules.end()) continue;
      std::error_code ec;
      auto rel =
          fs::relative(fs::absolute(file, ec), fs::absolute(config.dir, ec), ec).generic_string();
      for (const auto &glob : o.paths)
        if (fnmatch(glob.c_str(), rel.c_str(), 0) == 0) level = it->second;
    }
    if (!options.rule_levels.empty())
      if (auto it = options.rule_levels.find(std::string(rule)); it != options.rule_levels.end())
        level = it->second;
    return level;
  };

  CheckSummary s;
  s.files = static_cast<std::size_t>(
      std::count_if(files.begin(), files.end(), [](const ParsedFile &f) { return f.report; }));
  s.pg_version = options.pg_version;
  s.runner = options.runner;
  s.fail_on = options.fail_on;
  auto count = [&](const std::vector<Finding> &batch) {
    for (const auto &f : batch) {
      if (f.level == Level::Error) ++s.errors;
      if (f.level == Level::Warning) ++s.warnings;
      if (f.level == Level::Info) ++s.infos;
      ++s.by_rule[f.rule];
      if (f.level >= options.fail_on) s.failed = true;
    }
  };

  // The report lists the files in the order given and each file's findings
  // by position. A finding names the file it was found in, so each file's
  // findings can go out as soon as it is analysed, sorted on their own. The
  // exception is a path given twice (`check dir dir`): the report orders by
  // a file's first place, so then everything waits for the end.
  bool per_file = true;
  {
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < files.size() && per_file; ++i)
      per_file = seen.emplace(files[i].file, i).second;
  }

  analyze::Analyzer analyzer(options, policy);
  std::vector<Finding> batch, all, scratch;
  std::vector<std::size_t> order;
  {
    ParsePipeline pipeline(files, ctx);
    // Until every file is read, the analysed files' findings are held back:
    // a set with an unreadable file reports that error and nothing else.
    bool all_read = false;
    std::vector<std::vector<Finding>> held;
    for (std::size_t i = 0; i < files.size(); ++i) {
      pipeline.wait_for(i);
      ctx.checkpoint();
      const auto &f = files[i];
      analyze::FileInput in{f.file, f.migration, f.sql, f.parsed.get(), f.report, f.sorts_before};
      analyzer.analyze_file(in);
      pipeline.done_with(i);
      analyzer.take_findings(batch);
      if (explanations == analyze::Explanations::InFindings)
        for (auto &finding : batch)
          if (const auto *info = analyze::find_rule(finding.rule)) {
            finding.why = info->why;
            finding.fix = info->fix;
          }
      if (!all_read && (all_read = pipeline.all_read()))
        for (auto &h : held) {
          ctx.checkpoint();  // a request made while delivering stops the rest
          deliver(h);
        }
      if (batch.empty()) continue;
      if (per_file) {
        sort_by_position(batch, order, scratch);
        count(batch);
        if (all_read) {
          deliver(batch);
        } else {
          held.push_back(std::move(batch));
          batch.clear();
        }
      } else {
        for (auto &x : batch) all.push_back(std::move(x));
      }
    }
  }
  s.statements = analyzer.statements();
  if (!per_file && !all.empty()) {
    // By each file's first place, then position; the keys are computed once
    // and an index sorted, so neither paths are compared nor findings moved
    // while sorting.
    std::unordered_map<std::string_view, std::size_t> first;
    for (std::size_t i = 0; i < files.size(); ++i) first.emplace(files[i].file, i);
    struct Key {
      std::size_t file;
      std::uint32_t line, column;
      std::size_t index;
    };
    std::vector<Key> keys;
    keys.reserve(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      auto it = first.find(all[i].file);
      keys.push_back(
          {it == first.end() ? files.size() : it->second, all[i].line, all[i].column, i});
    }
    std::stable_sort(keys.begin(), keys.end(), [](const Key &a, const Key &b) {
      if (a.file != b.file) return a.file < b.file;
      if (a.line != b.line) return a.line < b.line;
      return a.column < b.column;
    });
    std::vector<Finding> ordered;
    ordered.reserve(keys.size());
    for (const auto &k : keys) ordered.push_back(std::move(all[k.index]));
    count(ordered);
    deliver(ordered);
  }
  return s;
}

Config config_for(const CheckOptions &options, const std::string &first_path) {
  if (options.config_path == "-") return {};
  std::string path = options.config_path.empty() ? find_config(first_path) : options.config_path;
  if (path.empty()) return {};
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorCode::NotFound, path + ": no such configuration file").with_file(path);
  return load_config(path);
}

}  // namespace

std::vector<RuleDescription> rules() {
  std::vector<RuleDescription> out;
  for (const auto &r : analyze::rule_catalogue()) {
    RuleDescription d;
    d.id = std::string(r.id);
    for (auto s : r.severity) d.severity.emplace_back(s);
    d.why = std::string(r.why);
    d.fix = std::string(r.fix);
    d.off_by_default = r.off_by_default;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace v1

namespace analyze {

CheckSummary check_streaming(const std::vector<std::string> &paths, const CheckOptions &options,
                             const FindingBatch &batch, const CallOptions &call,
                             Explanations explanations) {
  CallContext ctx(call);
  if (paths.empty())
    throw Error(ErrorCode::Invalid, "no migrations to check; pass a directory or a .sql file");
  auto config = config_for(options, paths.front());
  // The sets are listed here and their files read while the first ones are
  // parsed and analysed (ParsePipeline).
  std::vector<ParsedFile> files;
  for (const auto &p : paths) {
    source::ListedSet set;
    try {
      set = source::list_for_check(p, options.source, call);
    } catch (...) {
      // Reading in order would have stopped at an earlier set's unreadable
      // file first.
      for (auto &f : files)
        if (f.read) f.read();
      throw;
    }
    const std::size_t first = files.size();
    files.reserve(first + set.migrations.size());
    for (auto &m : set.migrations) {
      ParsedFile f;
      f.file = set.root + "/" + m.path;
      f.migration = std::move(m.name);
      f.sql = std::move(m.sql);
      if (options.only_migrations) {
        const auto &only = *options.only_migrations;
        f.report = std::find(only.begin(), only.end(), f.migration) != only.end();
      }
      files.push_back(std::move(f));
    }
    for (auto &r : set.unread) {
      auto &f = files[first + r.migration];
      f.read = std::move(r.read);
      f.reader = set.reader;
    }
  }
  if (options.only_migrations) {
    // A migration added since the base ref must sort after every migration
    // that was already there.
    std::optional<std::size_t> last_merged;
    for (std::size_t i = 0; i < files.size(); ++i)
      if (!files[i].report) last_merged = i;
    if (last_merged)
      for (std::size_t i = 0; i < *last_merged; ++i)
        if (files[i].report) files[i].sorts_before = files[*last_merged].migration;
  }
  return run(std::move(files), options, config, ctx, batch, explanations);
}

CheckSummary check_sql_streaming(std::string_view sql, const std::string &name,
                                 const CheckOptions &options, const FindingBatch &batch,
                                 Explanations explanations) {
  std::vector<ParsedFile> files(1);
  files[0].file = name;
  files[0].migration = name;
  files[0].sql = std::string(sql);
  Config config;
  if (!options.config_path.empty() && options.config_path != "-")
    config = load_config(options.config_path);
  return run(std::move(files), options, config, CallContext{}, batch, explanations);
}

std::string_view FindingJsonWriter::escaped(Escaped &slot, const std::string &text) {
  if (slot.json.empty() || slot.text != text) {
    slot.text = text;
    slot.json.clear();
    util::append_json_string(slot.json, text);
  }
  return slot.json;
}

void FindingJsonWriter::write(util::JsonWriter &w, const Finding &f) {
  std::string_view why_json, fix_json;
  if (explanations_ == Explanations::FromCatalogue) {
    const auto *info = find_rule(f.rule);
    std::string_view rule = info ? info->id : std::string_view();
    auto &[why, fix] = catalogue_json_[rule];
    if (why.empty()) {  // a JSON string is never empty: not written yet
      util::append_json_string(why, info ? info->why : std::string_view());
      util::append_json_string(fix, info ? info->fix : std::string_view());
    }
    why_json = why;
    fix_json = fix;
  } else {
    auto &[why, fix] = why_and_fix_[f.rule];
    why_json = escaped(why, f.why);
    fix_json = escaped(fix, f.fix);
  }
  w.begin_object().field("rule", f.rule).key("severity").begin_array();
  for (const auto &s : f.severity) w.value(s);
  w.end_array()
      .field("level", level_name(f.level))
      .field("file", f.file)
      .field("migration", f.migration)
      .field("line", f.line)
      .field("column", f.column)
      .field("end_line", f.end_line)
      .field("end_column", f.end_column)
      .key("statement")
      .raw(escaped(statement_, f.statement))
      .key("objects")
      .begin_array();
  for (const auto &o : f.objects) w.value(o);
  w.end_array();
  w.key("lock");
  f.lock.empty() ? w.null() : w.value(f.lock);
  w.field("rewrite", f.rewrite)
      .field("scan", f.scan)
      .field("message", f.message)
      .key("why")
      .raw(why_json)
      .key("fix")
      .raw(fix_json)
      .field("fingerprint", f.fingerprint);
  if (f.impact) {
    const auto &i = *f.impact;
    w.key("impact").begin_object().field("table", i.table);
    auto number = [&](const char *k, double v) {
      w.key(k);
      v < 0 ? w.null() : w.raw(std::to_string(static_cast<std::int64_t>(v)));
    };
    number("row_estimate", i.row_estimate);
    number("total_bytes", static_cast<double>(i.total_bytes));
    number("index_count", i.index_count);
    number("idx_scan", static_cast<double>(i.idx_scan));
    w.key("empty");
    i.empty ? w.value(*i.empty) : w.null();
    w.key("estimated_lock_seconds");
    if (i.estimated_lock_seconds < 0) {
      w.null();
    } else {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", i.estimated_lock_seconds);
      w.raw(buf);
    }
    w.key("assumed_bytes_per_second");
    i.assumed_bytes_per_second > 0
        ? w.raw(std::to_string(static_cast<std::int64_t>(i.assumed_bytes_per_second)))
        : w.null();
    w.end_object();
  }
  w.end_object();
}

void write_summary_json(util::JsonWriter &w, const CheckSummary &s) {
  w.begin_object()
      .field("files", static_cast<std::uint64_t>(s.files))
      .field("statements", static_cast<std::uint64_t>(s.statements))
      .field("errors", static_cast<std::uint64_t>(s.errors))
      .field("warnings", static_cast<std::uint64_t>(s.warnings))
      .field("infos", static_cast<std::uint64_t>(s.infos))
      .field("pg_version", s.pg_version)
      .field("runner", s.runner == Runner::Safe ? "safe" : "prisma")
      .field("fail_on", level_name(s.fail_on))
      .field("failed", s.failed)
      .key("by_rule")
      .begin_object();
  for (const auto &[rule, n] : s.by_rule) w.field(rule, static_cast<std::uint64_t>(n));
  w.end_object().end_object();
}

}  // namespace analyze

inline namespace v1 {

namespace {

analyze::FindingBatch collect_into(CheckReport &report) {
  return [&report](std::vector<Finding> &batch) {
    if (report.findings.empty()) {
      report.findings.swap(batch);
      return;
    }
    report.findings.reserve(report.findings.size() + batch.size());
    for (auto &f : batch) report.findings.push_back(std::move(f));
  };
}

}  // namespace

CheckReport check(const std::vector<std::string> &paths, const CheckOptions &options,
                  const CallOptions &call) {
  CheckReport report;
  report.summary = analyze::check_streaming(paths, options, collect_into(report), call);
  return report;
}

CheckReport check_sql(std::string_view sql, const std::string &name, const CheckOptions &options) {
  CheckReport report;
  report.summary = analyze::check_sql_streaming(sql, name, options, collect_into(report));
  return report;
}

// ------------------------------------------------------------------- JSON

std::string CheckReport::to_json() const {
  util::JsonWriter w;
  w.begin_object().field("schema_version", 1).key("findings").begin_array();
  analyze::FindingJsonWriter finding_writer;
  for (const auto &f : findings) finding_writer.write(w, f);
  w.end_array().key("summary");
  analyze::write_summary_json(w, summary);
  w.end_object();
  return w.take();
}

Stats Stats::from_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root))
    throw Error(ErrorCode::Parse,
                std::string("stats file is not JSON: ") + simdjson::error_message(err));
  using analyze::tree::integer;
  if (integer(root, "schema_version") != 1)
    throw Error(ErrorCode::Invalid,
                "stats file has no \"schema_version\": 1; write it with `dbsafe stats`");
  Stats s;
  s.server_version_num = static_cast<int>(integer(root, "server_version_num"));
  simdjson::dom::object tables, indexes;
  if (root["tables"].get_object().get(tables) == simdjson::SUCCESS) {
    for (auto [name, t] : tables) {
      TableStats ts;
      double d;
      std::int64_t i;
      bool b;
      if (t["row_estimate"].get_double().get(d) == simdjson::SUCCESS) ts.row_estimate = d;
      if (t["total_bytes"].get_int64().get(i) == simdjson::SUCCESS) ts.total_bytes = i;
      if (t["index_count"].get_int64().get(i) == simdjson::SUCCESS)
        ts.index_count = static_cast<int>(i);
      if (t["empty"].get_bool().get(b) == simdjson::SUCCESS) ts.empty = b;
      s.tables[std::string(name)] = ts;
    }
  }
  if (root["indexes"].get_object().get(indexes) == simdjson::SUCCESS) {
    for (auto [name, x] : indexes) {
      IndexStats is;
      std::string_view table;
      std::int64_t i;
      if (x["table"].get_string().get(table) == simdjson::SUCCESS) is.table = std::string(table);
      if (x["idx_scan"].get_int64().get(i) == simdjson::SUCCESS) is.idx_scan = i;
      if (x["bytes"].get_int64().get(i) == simdjson::SUCCESS) is.bytes = i;
      s.indexes[std::string(name)] = is;
    }
  }
  return s;
}

std::string Stats::to_json() const {
  util::JsonWriter w;
  w.begin_object()
      .field("schema_version", 1)
      .field("server_version_num", server_version_num)
      .key("tables")
      .begin_object();
  for (const auto &[name, t] : tables) {
    w.key(name).begin_object();
    w.key("row_estimate").raw(std::to_string(static_cast<std::int64_t>(t.row_estimate)));
    w.field("total_bytes", t.total_bytes).field("index_count", t.index_count);
    w.key("empty");
    t.empty ? w.value(*t.empty) : w.null();
    w.end_object();
  }
  w.end_object().key("indexes").begin_object();
  for (const auto &[name, i] : indexes)
    w.key(name)
        .begin_object()
        .field("table", i.table)
        .field("idx_scan", i.idx_scan)
        .field("bytes", i.bytes)
        .end_object();
  w.end_object().end_object();
  return w.take();
}

}  // namespace v1
}  // namespace dbsafe
