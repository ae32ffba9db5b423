#include "cli/check_command.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "analyze/check_stream.hpp"
#include "cli/exit_codes.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/version.hpp"
#include "report/render.hpp"
#include "util/json_writer.hpp"
#include "util/worker_thread.hpp"

namespace fs = std::filesystem;

namespace dbsafe::cli {

namespace {

// The JSON report written out while the analysis runs: a report of tens of
// thousands of findings is never held whole, neither as findings nor as one
// string (the same bytes as CheckReport::to_json). Writing a large report is
// a fifth of the analysing thread's work, so past the first few thousand
// findings the writing moves to a thread of its own and the analysis goes
// on; a small run never starts one.
class StreamedJsonReport {
 public:
  explicit StreamedJsonReport(std::ostream &out) : out_(out) {
    json_.begin_object().field("schema_version", 1).key("findings").begin_array();
  }
  ~StreamedJsonReport() { stop_writer(); }  // an error left the run: the writer ends

  // Called on the analysing thread with each file's findings, in order.
  void add(std::vector<Finding> &batch) {
    if (!writer_.joinable()) {
      write(batch);
      written_ += batch.size();
      if (written_ >= kFindingsBeforeAThread)
        writer_ = util::WorkerThread([this] { write_queued(); });
      return;
    }
    bool wake = false;
    std::vector<std::vector<Finding>> spent;  // freed below, on this thread
    {
      std::unique_lock<std::mutex> lock(mutex_);
      spent.swap(spent_);
      if (queue_.size() >= kQueuedBatches && !failure_) {
        analyser_waits_ = true;
        room_.wait(lock, [&] { return queue_.size() < kQueuedBatches / 2 || failure_; });
        analyser_waits_ = false;
      }
      if (failure_) std::rethrow_exception(failure_);
      queue_.push_back(std::move(batch));
      wake = writer_waits_ && queue_.size() >= kBatchesToWakeTheWriter;
    }
    batch.clear();
    if (wake) ready_.notify_one();
  }

  void finish(const CheckSummary &summary) {
    stop_writer();
    if (failure_) std::rethrow_exception(failure_);
    json_.end_array().key("summary");
    analyze::write_summary_json(json_, summary);
    json_.end_object();
    out_ << json_.str() << "\n";
  }

 private:
  static constexpr std::size_t kFindingsBeforeAThread = 4096;
  // Each side sleeps only when it must and is woken with work for a while:
  // waking the writer for each file's batch was a context switch per file.
  static constexpr std::size_t kQueuedBatches = 256;
  static constexpr std::size_t kBatchesToWakeTheWriter = 32;
  static constexpr std::size_t kChunk = 1 << 16;

  void write(const std::vector<Finding> &batch) {
    for (const auto &f : batch) {
      finding_writer_.write(json_, f);
      if (json_.str().size() >= kChunk) {
        out_.write(json_.str().data(), static_cast<std::streamsize>(json_.str().size()));
        json_.clear_text();
      }
    }
  }

  void write_queued() {
    try {
      for (;;) {
        std::vector<Finding> batch;
        bool wake = false;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          if (queue_.empty() && !done_) {
            writer_waits_ = true;
            ready_.wait(lock, [&] { return queue_.size() >= kBatchesToWakeTheWriter || done_; });
            writer_waits_ = false;
          }
          if (queue_.empty()) return;  // done, and everything written
          batch = std::move(queue_.front());
          queue_.pop_front();
          wake = analyser_waits_ && queue_.size() < kQueuedBatches / 2;
        }
        if (wake) room_.notify_one();
        write(batch);
        // Handed back to be freed by the thread that allocated it: a free
        // here waited on that thread's malloc arena while it allocated, a
        // context switch per file.
        std::lock_guard<std::mutex> lock(mutex_);
        spent_.push_back(std::move(batch));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      room_.notify_all();
    }
  }

  void stop_writer() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    ready_.notify_one();
    writer_.join();
  }

  std::ostream &out_;
  // The analysing thread's until the writer starts, then the writer's.
  util::JsonWriter json_;
  // The findings come without why and fix (check_streaming below).
  analyze::FindingJsonWriter finding_writer_{analyze::Explanations::FromCatalogue};
  std::size_t written_ = 0;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::vector<Finding>> queue_;
  std::vector<std::vector<Finding>> spent_;  // written, to be freed by the analysing thread
  bool done_ = false;
  bool writer_waits_ = false, analyser_waits_ = false;
  std::exception_ptr failure_;
  util::WorkerThread writer_;
};

struct CheckArgs {
  std::vector<std::string> paths;
  std::string format;
  int pg_version = 0;
  std::string runner;
  std::string fail_on;
  std::string stats_file;
  std::string config;
  std::string base;
  std::vector<std::string> rule_levels;  // id=level
  std::vector<std::string> enable;
  std::string layout = "auto";
  std::string database_url;
};

std::string read_all(std::istream &in) {
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command and returns its standard output; throws when it fails.
std::string run_command(const std::string &cmd, const std::string &what) {
  std::string out;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw Error(ErrorCode::Io, "could not run git for " + what);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0)
    throw Error(ErrorCode::Invalid, what +
                                        ": git failed (is this a git checkout, and does the "
                                        "ref exist?)");
  return out;
}

std::string shell_quote(const std::string &s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Migrations whose files were added since `base` (committed, staged,
// modified or untracked), by absolute path.
std::set<std::string> added_since(const std::string &base, const std::vector<std::string> &paths) {
  std::set<std::string> added;
  for (const auto &p : paths) {
    fs::path dir = fs::is_directory(p) ? fs::path(p) : fs::path(p).parent_path();
    if (dir.empty()) dir = ".";
    auto top = run_command("git -C " + shell_quote(dir.string()) + " rev-parse --show-toplevel",
                           "--base " + base);
    while (!top.empty() && (top.back() == '\n' || top.back() == '\r')) top.pop_back();
    std::string listing =
        run_command("git -C " + shell_quote(dir.string()) + " diff --name-only --diff-filter=A " +
                        shell_quote(base) + " -- . && git -C " + shell_quote(dir.string()) +
                        " ls-files --others --exclude-standard --full-name -- .",
                    "--base " + base);
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) added.insert(fs::weakly_canonical(fs::path(top) / line).string());
  }
  return added;
}

}  // namespace

void add_check_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto *cmd = app.add_subcommand(
      "check", "Classify the risk of every statement of a migration set (docs/rules.md)");
  cmd->add_option("paths", args->paths,
                  "Migration directories or .sql files (default ./prisma/migrations); - reads SQL "
                  "from standard input");
  cmd->add_option("--format", args->format, "text, json, markdown, sarif, github or junit")
      ->check(CLI::IsMember({"text", "json", "markdown", "sarif", "github", "junit"}));
  cmd->add_option("--pg-version", args->pg_version, "Target PostgreSQL major version (default 15)")
      ->check(CLI::Range(9, 30));
  cmd->add_option("--runner", args->runner, "The runner that will apply the migrations")
      ->check(CLI::IsMember({"safe", "prisma"}));
  cmd->add_option("--fail-on", args->fail_on, "Lowest level that fails the check (default error)")
      ->check(CLI::IsMember({"info", "warning", "error"}));
  cmd->add_option("--stats", args->stats_file, "Table sizes written by `dbsafe stats`");
  cmd->add_option("--database-url", args->database_url,
                  "Read table sizes from this database (read-only queries; a pooler is fine)");
  cmd->add_option("--config", args->config, "dbsafe.toml to use (default: found by walking up)");
  cmd->add_option("--base", args->base,
                  "Report only migrations added since this git ref (pull-request mode)");
  cmd->add_option("--rule", args->rule_levels, "Set a rule's level: ID=off|info|warning|error")
      ->allow_extra_args(false);
  cmd->add_option("--enable", args->enable, "Enable a rule that is off by default")
      ->allow_extra_args(false);
  cmd->add_option("--layout", args->layout, "Directory layout")
      ->check(CLI::IsMember({"auto", "prisma", "plain", "flyway", "dbmate", "golang-migrate"}));
  cmd->callback([args, &out, &exit_code] {
    CheckOptions options;
    if (args->pg_version) options.pg_version = args->pg_version;
    if (!args->runner.empty())
      options.runner = args->runner == "prisma" ? Runner::Prisma : Runner::Safe;
    if (!args->fail_on.empty()) options.fail_on = *level_from_name(args->fail_on);
    options.config_path = args->config;
    options.enable = args->enable;
    options.source.layout = *layout_from_name(args->layout);
    for (const auto &r : args->rule_levels) {
      auto eq = r.find('=');
      auto level = eq == std::string::npos ? std::nullopt : level_from_name(r.substr(eq + 1));
      if (!level)
        throw Error(ErrorCode::Invalid,
                    "--rule " + r + ": write ID=off, ID=info, ID=warning or ID=error");
      options.rule_levels[r.substr(0, eq)] = *level;
    }
    if (!args->stats_file.empty()) {
      std::ifstream in(args->stats_file, std::ios::binary);
      if (!in)
        throw Error(ErrorCode::NotFound, args->stats_file + ": cannot read the stats file")
            .with_file(args->stats_file);
      try {
        options.stats = Stats::from_json(read_all(in));
      } catch (Error &e) {
        throw Error(e.code(), args->stats_file + ": " + e.message()).with_file(args->stats_file);
      }
    }
    if (!args->database_url.empty()) options.stats = collect_stats(args->database_url);
    if (args->paths.empty()) args->paths.push_back("prisma/migrations");

    std::string format = args->format;
    if (format.empty()) {
      const char *gha = std::getenv("GITHUB_ACTIONS");
      format = gha && std::string(gha) == "true" ? "github" : "text";
    }
    bool from_stdin = args->paths.size() == 1 && args->paths[0] == "-";
    if (!from_stdin && !args->base.empty()) {
      auto added = added_since(args->base, args->paths);
      std::vector<std::string> names;
      for (const auto &p : args->paths) {
        auto set = MigrationSet::open(p, options.source);
        for (const auto &m : set.migrations()) {
          auto file = fs::weakly_canonical(fs::path(set.root()) / m.path).string();
          if (added.count(file)) names.push_back(m.name);
        }
      }
      options.only_migrations = names;
    }
    auto finish = [&exit_code](const CheckSummary &summary) {
      bool syntax_error = summary.by_rule.count("syntax-error") > 0;
      exit_code = syntax_error ? kExitUsage : summary.failed ? kExitFound : kExitOk;
    };

    if (format == "json") {
      StreamedJsonReport report(out);
      auto batch = [&report](std::vector<Finding> &findings) { report.add(findings); };
      constexpr auto kExplanations = analyze::Explanations::FromCatalogue;  // as the report's
      auto summary = from_stdin
                         ? analyze::check_sql_streaming(read_all(std::cin), "<stdin>", options,
                                                        batch, kExplanations)
                         : analyze::check_streaming(args->paths, options, batch, {}, kExplanations);
      report.finish(summary);
      finish(summary);
      return;
    }

    CheckReport report = from_stdin ? check_sql(read_all(std::cin), "<stdin>", options)
                                    : check(args->paths, options);
    report::RenderOptions render;
    render.color = format == "text" && isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    render.tool_version = std::string(dbsafe::version());
    if (format == "markdown")
      out << report::render_markdown(report, render);
    else if (format == "sarif")
      out << report::render_sarif(report, render);
    else if (format == "github")
      out << report::render_github(report, render);
    else if (format == "junit")
      out << report::render_junit(report, render);
    else
      out << report::render_text(report, render);
    finish(report.summary);
  });
}

void add_rules_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto format = std::make_shared<std::string>("text");
  auto *cmd = app.add_subcommand("rules", "List the rule catalogue: ids, classes, why and fix");
  cmd->add_option("--format", *format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->callback([format, &out, &exit_code] {
    auto catalogue = rules();
    auto default_level = [](const RuleDescription &r) -> std::string {
      if (r.off_by_default) return "off";
      const auto &p = r.severity.front();
      if (p == "data-loss" || p == "transaction-safety") return "error";
      if (p == "other") return "info";
      return "warning";
    };
    if (*format == "json") {
      util::JsonWriter w;
      w.begin_object().field("schema_version", 1).key("rules").begin_array();
      for (const auto &r : catalogue) {
        w.begin_object().field("id", r.id).key("severity").begin_array();
        for (const auto &s : r.severity) w.value(s);
        w.end_array()
            .field("default_level", default_level(r))
            .field("why", r.why)
            .field("fix", r.fix)
            .end_object();
      }
      w.end_array().end_object();
      out << w.str() << "\n";
    } else if (*format == "markdown") {
      out << "| id | class | default level | why | safe alternative |\n|---|---|---|---|---|\n";
      for (const auto &r : catalogue) {
        std::string classes;
        for (const auto &s : r.severity) classes += (classes.empty() ? "" : ", ") + s;
        out << "| `" << r.id << "` | " << classes << " | " << default_level(r) << " | " << r.why
            << " | " << r.fix << " |\n";
      }
    } else {
      for (const auto &r : catalogue)
        out << r.id << " (" << r.severity.front() << ", " << default_level(r) << "): " << r.why
            << "\n";
    }
    exit_code = kExitOk;
  });
}

void add_stats_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto url = std::make_shared<std::string>();
  auto *cmd = app.add_subcommand(
      "stats", "Write the table sizes and index usage `check --stats` scales findings by");
  cmd->add_option("--database-url", *url,
                  "Database to read (default: DATABASE_URL); read-only queries only");
  cmd->callback([url, &out, &exit_code] {
    std::string target = *url;
    if (target.empty()) {
      const char *env = std::getenv("DATABASE_URL");
      if (!env || !*env)
        throw Error(ErrorCode::Invalid, "no database: pass --database-url URL or set DATABASE_URL");
      target = env;
    }
    out << collect_stats(target).to_json() << "\n";
    exit_code = kExitOk;
  });
}

}  // namespace dbsafe::cli
