// The differ: two schema models in, the ordered changes (with their SQL)
// that turn the first into the second out.
#pragma once

#include <string>
#include <vector>

#include "dbsafe/schema.hpp"
#include "schema/model.hpp"

namespace dbsafe::diff {

struct DiffResult {
  std::vector<SchemaChange> changes;
  std::vector<std::string> warnings;
};

// Renames are never guessed: a table or column that is only on one side is
// dropped or added, with a warning naming the likely rename, unless a hint
// in `renames` says it was renamed.
DiffResult diff_models(const schema::Model &from, const schema::Model &to,
                       const std::vector<RenameHint> &renames = {});

}  // namespace dbsafe::diff
