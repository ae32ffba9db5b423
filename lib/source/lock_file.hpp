// Prisma's migration_lock.toml, read without a TOML parser when it has the
// plain form Prisma writes (a TOML parse was a tenth of listing a small set).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbsafe::source {

// The provider named by `text` when every line is blank, a comment, or the
// one `provider = "…"` line with a plain double-quoted value (no escapes, no
// control characters); nullopt for any other text, which a TOML parser must
// read (it may still be valid TOML, or hold the error to report).
std::optional<std::string> plain_lock_file_provider(std::string_view text);

}  // namespace dbsafe::source
