// The read-only window (docs/maintenance.md): a PostgreSQL database made
// read-only for new sessions with ALTER DATABASE … SET
// default_transaction_read_only = on, the sessions that can still write
// listed (and, when asked, ended), and the previous per-database setting
// restored exactly when the window closes. dbsafe's own sessions turn the
// setting off for themselves, so deploys, copies and restores still work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/export.hpp"

namespace dbsafe {
inline namespace v1 {

enum class MaintenanceAction { On, Off, Status };

struct DBSAFE_CXX_API MaintenanceOptions {
  // The database whose window opens or closes. Empty: DIRECT_URL, else
  // DATABASE_URL.
  std::string database_url;
  MaintenanceAction action = MaintenanceAction::Status;
  // With On or Status: end the sessions that can still write
  // (pg_terminate_backend), reporting which ended and which could not be.
  bool terminate_writers = false;
  // Who opens the window, recorded with it. Empty: GITHUB_ACTOR, USER or the
  // account's name.
  std::string actor;
};

// A client session of the database that started before the window opened:
// its default was fixed when it connected, so it can still write.
struct DBSAFE_CXX_API MaintenanceWriter {
  int pid = 0;
  std::string user;
  std::string application_name;
  std::string client_addr;    // empty: a Unix-domain socket
  std::string backend_start;  // RFC 3339; empty: hidden (another role, no pg_read_all_stats)
  std::string state;          // pg_stat_activity.state ("idle", "active", …)
  // With terminate_writers: "terminated", "gone" (it disconnected by itself
  // first), or "not_terminated" with `error` saying why (e.g. lacking
  // permission). Empty otherwise.
  std::string outcome;
  std::string error;
};

struct DBSAFE_CXX_API MaintenanceReport {
  std::string action;      // "on", "off" or "status"
  std::string database;    // the database's name
  std::string target;      // its URL, password redacted
  bool read_only = false;  // the per-database setting is on after the call
  // What the call changed: On/Off made a change, or the window was already
  // in the asked state.
  bool changed = false;
  // The window as dbsafe recorded it (dbsafe.maintenance_window); absent when
  // there is no record for this database.
  bool recorded = false;
  std::string since;           // when it opened, RFC 3339
  std::string opened_by;       // the actor
  std::string opened_by_role;  // the database role that opened it
  // The per-database setting before the window (absent: none, so Off
  // RESETs it).
  std::optional<std::string> previous_setting;
  // Off: the setting it was restored to (absent: RESET).
  std::optional<std::string> restored_setting;
  std::vector<MaintenanceWriter> writers;  // sessions still able to write
  std::uint64_t terminated = 0;
  std::uint64_t not_terminated = 0;
  std::vector<std::string> warnings;
  std::int64_t duration_ms = 0;
  std::string to_json() const;  // docs/schema/maintenance-report.v1.json
};

// Opens, closes or reports the window. Errors: Invalid (no URL), Connect /
// Auth, Database (e.g. SQLSTATE 42501: only the database's owner or a
// superuser may ALTER DATABASE; the message says so), Cancelled / Timeout.
// Thread safety: reentrant; two calls on one database are serialised on the
// server by an advisory lock.
DBSAFE_CXX_API MaintenanceReport maintenance(const MaintenanceOptions &options,
                                             const CallOptions &call = {});

// "on", "off" or "status".
DBSAFE_CXX_API const char *maintenance_action_name(MaintenanceAction action) noexcept;

}  // namespace v1
}  // namespace dbsafe
