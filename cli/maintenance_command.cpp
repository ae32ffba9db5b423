// `dbsafe maintenance …` (docs/maintenance.md): flags in, report out. What
// the window does and records is decided in lib/copy/maintenance.cpp, so
// every surface behaves the same.
#include "cli/maintenance_command.hpp"

#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "cli/interrupt.hpp"
#include "dbsafe/maintenance.hpp"

namespace dbsafe::cli {

namespace {

struct Args {
  std::string action, database_url, actor, format = "text";
  bool terminate_writers = false, quiet = false;
};

void print_text(const MaintenanceReport &r, std::ostream &out) {
  out << "database " << r.database << ": "
      << (r.read_only ? "read-only for new sessions (default_transaction_read_only = on)"
                      : "not read-only")
      << "\n";
  if (r.action == "on")
    out << (r.changed ? "  the window is now open\n" : "  the window was already open\n");
  if (r.action == "off") {
    if (!r.changed)
      out << "  there was no window to close\n";
    else
      out << "  the window is closed; the setting was "
          << (r.restored_setting ? "set back to " + *r.restored_setting
                                 : std::string("reset (there was none before)"))
          << "\n";
  }
  if (r.recorded && r.action != "off")
    out << "  since " << r.since << ", opened by " << r.opened_by << " (role " << r.opened_by_role
        << "); before it: "
        << (r.previous_setting ? *r.previous_setting : std::string("no per-database setting"))
        << "\n";
  if (r.read_only) {
    if (r.writers.empty()) {
      out << "  no session can still write\n";
    } else {
      out << "  " << r.writers.size() << " session" << (r.writers.size() == 1 ? "" : "s")
          << " connected before the window and can still write:\n";
      for (const auto &w : r.writers) {
        out << "    pid " << w.pid << "  user " << w.user << "  application "
            << (w.application_name.empty() ? "-" : w.application_name) << "  from "
            << (w.client_addr.empty() ? "local socket" : w.client_addr) << "  since "
            << (w.backend_start.empty() ? std::string("(hidden)") : w.backend_start) << "  "
            << (w.state.empty() ? "-" : w.state);
        if (w.outcome == "terminated") out << "  TERMINATED";
        if (w.outcome == "gone") out << "  gone (disconnected by itself)";
        if (w.outcome == "not_terminated") out << "  NOT ENDED: " << w.error;
        out << "\n";
      }
      if (r.terminated + r.not_terminated == 0)
        out << "  end them with --terminate-writers, or restart the application\n";
    }
  }
  for (const auto &w : r.warnings) out << "  warning: " << w << "\n";
}

int run(const Args &a, std::ostream &out) {
  auto cancel = std::make_shared<CancelToken>();
  InterruptScope interrupts(cancel);
  CallOptions call;
  call.cancel = cancel;
  call.log = [quiet = a.quiet](LogLevel level, std::string_view, std::string_view message) {
    if (quiet || level < LogLevel::Info) return;
    std::cerr << "dbsafe: " << message << "\n";
  };
  MaintenanceOptions o;
  o.database_url = a.database_url;
  o.action = a.action == "on"    ? MaintenanceAction::On
             : a.action == "off" ? MaintenanceAction::Off
                                 : MaintenanceAction::Status;
  o.terminate_writers = a.terminate_writers;
  o.actor = a.actor;
  try {
    auto r = maintenance(o, call);
    if (a.format == "json")
      out << r.to_json() << "\n";
    else
      print_text(r, out);
    // Writers that could not be ended need a person: the window is not
    // tight until they are gone.
    return r.not_terminated > 0 ? kExitNeedsPerson : kExitOk;
  } catch (const Error &e) {
    std::cerr << "dbsafe: error: " << e.message() << "\n";
    return exit_code_for(e.code());
  }
}

}  // namespace

void add_maintenance_command(CLI::App &app, std::ostream &out, int &exit_code) {
  auto a = std::make_shared<Args>();
  auto *cmd = app.add_subcommand(
      "maintenance",
      "the read-only window: on (ALTER DATABASE … SET default_transaction_read_only = on, "
      "recording the previous setting), off (restore it), status; lists the sessions that "
      "connected before the window and can still write (docs/maintenance.md; exit 0 done, 2 "
      "writers that could not be ended, 3 bad input, 4 unreachable, 5 failed)");
  cmd->add_option("action", a->action, "on, off or status")
      ->required()
      ->check(CLI::IsMember({"on", "off", "status"}));
  cmd->add_option("--database-url", a->database_url,
                  "the database (default: DIRECT_URL, else DATABASE_URL); its owner or a "
                  "superuser can open and close the window");
  cmd->add_flag("--terminate-writers", a->terminate_writers,
                "end the sessions that can still write (pg_terminate_backend); with on or status");
  cmd->add_option("--actor", a->actor,
                  "who opens the window, recorded with it (default: GITHUB_ACTOR, USER)");
  cmd->add_option("--format", a->format, "output: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("-q,--quiet", a->quiet, "no log lines");
  cmd->callback([a, &out, &exit_code] { exit_code = run(*a, out); });
}

}  // namespace dbsafe::cli
