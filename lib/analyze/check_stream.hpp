// `check` one file at a time: the findings of each file reach the caller as
// soon as that file is analysed, in the order the report lists them, so a
// long report can be written out while the run goes on instead of being held
// whole (the CLI's --format json does this; check() collects the same
// batches into a CheckReport).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "util/json_writer.hpp"

namespace dbsafe::analyze {

// Receives the next findings of the report, in order; it may move from them.
using FindingBatch = std::function<void(std::vector<Finding> &batch)>;

// Where a finding's why and fix come from. Every finding of a rule explains
// it in the same two paragraphs, the rule catalogue's: a writer that takes
// them from there (FindingJsonWriter) needs findings without them. Copying
// them (about 1 KB) into each finding and comparing them again in the
// writer cost about 1 % of a check (the corpus: 6,488 findings).
enum class Explanations {
  InFindings,    // each finding carries its rule's why and fix
  FromCatalogue  // why and fix left empty: the reader looks the rule up
};

// check() and check_sql(), delivering the findings to `batch` (several calls,
// each with at least one finding) and returning the summary.
CheckSummary check_streaming(const std::vector<std::string> &paths, const CheckOptions &options,
                             const FindingBatch &batch, const CallOptions &call = {},
                             Explanations explanations = Explanations::InFindings);
CheckSummary check_sql_streaming(std::string_view sql, const std::string &name,
                                 const CheckOptions &options, const FindingBatch &batch,
                                 Explanations explanations = Explanations::InFindings);

// Writes the elements of "findings" as CheckReport::to_json does. It keeps
// the escaped form of the texts that findings repeat, as escaping them
// again was most of the writing: each rule's why and fix, and the statement
// of the previous finding (a statement's findings come one after another).
class FindingJsonWriter {
 public:
  // FromCatalogue: each finding's why and fix are its rule's in the
  // catalogue, whatever the finding holds.
  explicit FindingJsonWriter(Explanations explanations = Explanations::InFindings)
      : explanations_(explanations) {}
  void write(util::JsonWriter &w, const Finding &f);

 private:
  struct Escaped {
    std::string text, json;
  };
  // `text` as a JSON string, from `slot` when it holds that text.
  static std::string_view escaped(Escaped &slot, const std::string &text);
  Explanations explanations_;
  std::unordered_map<std::string, std::pair<Escaped, Escaped>> why_and_fix_;  // by rule
  // FromCatalogue: each rule's why and fix as JSON strings, by rule.
  std::unordered_map<std::string_view, std::pair<std::string, std::string>> catalogue_json_;
  Escaped statement_;
};

// The value of "summary" in CheckReport::to_json.
void write_summary_json(util::JsonWriter &w, const CheckSummary &s);

}  // namespace dbsafe::analyze
