// The rule catalogue: ids (stable, from RULES.md), their classes, and the
// why / safe alternative text every finding carries.
#pragma once

#include <string_view>
#include <vector>

namespace dbsafe::analyze {

struct RuleInfo {
  std::string_view id;
  std::vector<std::string_view> severity;  // classes, primary first
  std::string_view why;
  std::string_view fix;
  bool off_by_default = false;
};

const std::vector<RuleInfo> &rule_catalogue();
// nullptr for an unknown id.
const RuleInfo *find_rule(std::string_view id);

}  // namespace dbsafe::analyze
