// Shadow databases: where a migration directory is replayed to learn the
// schema it produces. Always removed afterwards, also on error.
#pragma once

#include <memory>
#include <string>

#include "dbsafe/schema.hpp"
#include "schema/model.hpp"

namespace dbsafe::diff {

class ShadowDatabase {
 public:
  // One of, in this order: the server named by shadow_database_url (which
  // must hold no tables); a temporary database on server_url's server when
  // its role may create databases; an embedded throwaway cluster started
  // from this machine's PostgreSQL binaries (as an unprivileged account
  // when running as root).
  static std::unique_ptr<ShadowDatabase> open(const ShadowOptions &options, const CallContext &ctx);
  virtual ~ShadowDatabase() = default;
  // A key=value connection string for the shadow database.
  virtual const std::string &conninfo() const = 0;
  virtual std::string describe() const = 0;
  // Whether the whole server is dbsafe's own (the embedded cluster), so
  // roles may be created on it without touching anyone else's.
  virtual bool owns_server() const { return false; }
};

// Replays `migrations_dir` on a fresh shadow database with the migration
// runner and introspects the result. A migration that fails to replay is
// an input error (Error(Invalid)) naming its file and line.
schema::Model replay_migrations(const std::string &migrations_dir, const ShadowOptions &options,
                                const SchemaFilter &filter, const CallOptions &call);

}  // namespace dbsafe::diff
