#include "runner/steps.hpp"

#include "analyze/analyzer.hpp"
#include "analyze/sql_parser.hpp"
#include "analyze/tree.hpp"

namespace dbsafe::runner {

namespace tree = analyze::tree;

namespace {

// The index a concurrent CREATE/DROP INDEX names.
void note_index(const analyze::Statement &s, Step &step) {
  if (s.type == "IndexStmt") {
    step.creates_index = true;
    step.index_name = std::string(tree::str(s.body, "idxname"));
    analyze::Node rel;
    if (tree::get(s.body, "relation", rel))
      step.index_schema = std::string(tree::str(rel, "schemaname"));
  } else if (s.type == "DropStmt") {
    step.drops_index = tree::str(s.body, "removeType") == "OBJECT_INDEX";
    auto objects = tree::items(s.body, "objects");
    if (step.drops_index && objects.size() == 1) {
      auto names = tree::strings(tree::unwrap(objects[0]).second, "items");
      if (names.size() == 1) step.index_name = names[0];
      if (names.size() == 2) {
        step.index_schema = names[0];
        step.index_name = names[1];
      }
    }
  }
}

}  // namespace

Program plan_program(std::string_view sql, Runner mode, int pg_version) {
  Program program;
  auto parsed = analyze::ParsedSql::parse(sql);
  const auto &stmts = parsed->statements;
  program.statements = stmts.size();
  if (!parsed->errors.empty()) {
    // Syntax this parser does not know (a newer server's?): let the server
    // judge the file whole. Safe mode still wraps it; Prisma mode sends it
    // exactly as Prisma would.
    Step step;
    step.kind = mode == Runner::Safe ? StepKind::Wrapped : StepKind::SelfManaged;
    step.end = sql.size();
    step.rerunnable = step.kind == StepKind::Wrapped;
    program.steps.push_back(step);
    program.atomic = step.kind == StepKind::Wrapped;
    return program;
  }
  if (stmts.empty()) {
    program.atomic = true;  // comments only: recorded, nothing to send
    return program;
  }
  bool explicit_control = false;
  std::size_t non_transactional = 0;
  for (const auto &s : stmts) {
    if (s.type == "TransactionStmt") explicit_control = true;
    if (analyze::is_non_transactional(s, pg_version)) ++non_transactional;
  }

  if (mode == Runner::Prisma) {
    // One simple query, like Prisma. Without transaction control or
    // statements that refuse a transaction, wrapping it in BEGIN/COMMIT is
    // what the implicit transaction of one simple query does anyway.
    Step step;
    step.end = sql.size();
    step.line = stmts.front().line;
    step.column = stmts.front().column;
    for (const auto &s : stmts) step.statement_begins.push_back(s.begin);
    if (!explicit_control && non_transactional == 0) {
      step.kind = StepKind::Wrapped;
      step.rerunnable = true;
    } else if (stmts.size() == 1) {
      step.kind = StepKind::NonTransactional;
      note_index(stmts.front(), step);
      step.rerunnable = step.creates_index || step.drops_index ||
                        stmts.front().type == "VacuumStmt" || stmts.front().type == "ReindexStmt";
    } else {
      step.kind = StepKind::SelfManaged;
    }
    program.steps.push_back(step);
    program.atomic = step.kind == StepKind::Wrapped;
    return program;
  }

  // Safe mode: runs of transactional statements, each statement that
  // refuses a transaction on its own, in file order.
  for (std::size_t i = 0; i < stmts.size(); ++i) {
    const auto &s = stmts[i];
    bool non_txn = analyze::is_non_transactional(s, pg_version);
    bool extend = !non_txn && !program.steps.empty() &&
                  program.steps.back().kind != StepKind::NonTransactional;
    if (!extend) {
      Step step;
      step.begin = program.steps.empty() ? 0 : s.begin;
      step.line = s.line;
      step.column = s.column;
      if (non_txn) {
        step.kind = StepKind::NonTransactional;
        note_index(s, step);
        step.rerunnable = step.creates_index || step.drops_index || s.type == "VacuumStmt" ||
                          s.type == "ReindexStmt";
      } else {
        step.kind = explicit_control ? StepKind::SelfManaged : StepKind::Wrapped;
        step.rerunnable = step.kind == StepKind::Wrapped;
      }
      if (!program.steps.empty()) program.steps.back().end = s.begin;
      program.steps.push_back(step);
    }
    program.steps.back().statement_begins.push_back(s.begin);
  }
  program.steps.back().end = sql.size();
  program.atomic = program.steps.size() == 1 && program.steps[0].kind == StepKind::Wrapped;
  return program;
}

}  // namespace dbsafe::runner

namespace dbsafe {
inline namespace v1 {

std::vector<MigrationStep> plan_steps(std::string_view sql, Runner mode, int pg_version) {
  std::vector<MigrationStep> out;
  for (const auto &s : runner::plan_program(sql, mode, pg_version).steps) {
    MigrationStep step;
    step.line = s.line;
    step.column = s.column;
    step.sql = std::string(sql.substr(s.begin, s.end - s.begin));
    step.transactional = s.kind != runner::StepKind::NonTransactional;
    out.push_back(std::move(step));
  }
  return out;
}

}  // namespace v1
}  // namespace dbsafe
