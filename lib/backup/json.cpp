// The JSON documents of backup.hpp: the manifest written beside each backup
// (docs/schema/backup-manifest.v1.json) and the reports of create, verify and
// restore (docs/schema/backup-report.v1.json).
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dbsafe/backup.hpp"
#include "util/json_writer.hpp"

namespace dbsafe {
inline namespace v1 {

namespace {

using util::JsonWriter;

void write_manifest(JsonWriter &w, const BackupManifest &m) {
  w.begin_object()
      .field("schema_version", 1)
      .field("kind", "dbsafe-backup")
      .field("file", m.file)
      .field("format", m.format)
      .field("bytes", static_cast<std::uint64_t>(m.bytes))
      .field("sha256", m.sha256)
      .field("database", m.database)
      .field("source", m.source)
      .field("server_version", m.server_version)
      .field("pg_dump_version", m.pg_dump_version)
      .field("created_at", m.created_at)
      .field("tables", static_cast<std::uint64_t>(m.tables))
      .field("table_data", static_cast<std::uint64_t>(m.table_data))
      .field("entries", static_cast<std::uint64_t>(m.entries))
      .field("dbsafe_version", m.dbsafe_version)
      .end_object();
}

void write_create(JsonWriter &w, const BackupCreateReport &r) {
  w.begin_object().field("path", r.path).field("manifest_path", r.manifest_path).key("manifest");
  write_manifest(w, r.manifest);
  w.field("pg_dump", r.pg_dump).field("duration_ms", static_cast<std::int64_t>(r.duration_ms));
  w.end_object();
}

void write_verify(JsonWriter &w, const BackupVerifyReport &r) {
  w.begin_object().field("path", r.path).field("ok", r.ok).key("manifest");
  if (r.manifest)
    write_manifest(w, *r.manifest);
  else
    w.null();
  w.key("checks").begin_array();
  for (const auto &c : r.checks)
    w.begin_object().field("name", c.name).field("ok", c.ok).field("detail", c.detail).end_object();
  w.end_array().key("test_restore");
  if (r.test_restore) {
    const auto &t = *r.test_restore;
    w.begin_object()
        .field("where", t.where)
        .field("tables", static_cast<std::uint64_t>(t.tables))
        .field("rows", static_cast<std::uint64_t>(t.rows))
        .key("table_rows")
        .begin_array();
    for (const auto &tr : t.table_rows)
      w.begin_object()
          .field("name", tr.name)
          .field("rows", static_cast<std::uint64_t>(tr.rows))
          .end_object();
    w.end_array().field("duration_ms", static_cast<std::int64_t>(t.duration_ms)).end_object();
  } else {
    w.null();
  }
  w.field("duration_ms", static_cast<std::int64_t>(r.duration_ms)).end_object();
}

std::string text_of(simdjson::dom::object obj, const char *key, const std::string &file) {
  std::string_view s;
  if (obj[key].get_string().get(s))
    throw Error(ErrorCode::Parse, file + ": \"" + key + "\" is missing or not a string")
        .with_file(file);
  return std::string(s);
}

std::uint64_t number_of(simdjson::dom::object obj, const char *key, const std::string &file) {
  std::uint64_t n;
  if (obj[key].get_uint64().get(n))
    throw Error(ErrorCode::Parse,
                file + ": \"" + key + "\" is missing or not a non-negative integer")
        .with_file(file);
  return n;
}

}  // namespace

std::string BackupManifest::to_json() const {
  JsonWriter w;
  write_manifest(w, *this);
  return w.take();
}

std::string BackupCreateReport::to_json() const {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("operation", "create").key("backup");
  write_create(w, *this);
  w.end_object();
  return w.take();
}

std::string BackupVerifyReport::to_json() const {
  JsonWriter w;
  w.begin_object().field("schema_version", 1).field("operation", "verify").key("verify");
  write_verify(w, *this);
  w.end_object();
  return w.take();
}

std::string BackupRestoreReport::to_json() const {
  JsonWriter w;
  w.begin_object()
      .field("schema_version", 1)
      .field("operation", "restore")
      .key("restore")
      .begin_object()
      .field("path", path)
      .field("database", database)
      .field("target", target)
      .field("target_was_empty", target_was_empty)
      .field("clean", clean)
      .key("safety_backup");
  if (safety_backup)
    write_create(w, *safety_backup);
  else
    w.null();
  w.field("single_transaction", single_transaction)
      .field("tables", static_cast<std::uint64_t>(tables))
      .field("program", program)
      .field("duration_ms", static_cast<std::int64_t>(duration_ms))
      .end_object()
      .key("verify");
  write_verify(w, verify);
  w.end_object();
  return w.take();
}

BackupManifest read_backup_manifest(const std::string &path) {
  namespace fs = std::filesystem;
  const std::string suffix = ".manifest.json";
  std::string manifest_path = path.ends_with(suffix) ? path : path + suffix;
  std::error_code ec;
  if (!fs::exists(manifest_path, ec))
    throw Error(ErrorCode::NotFound,
                path + " has no manifest (" + fs::path(manifest_path).filename().string() +
                    " beside it): it was not made by dbsafe backup create, or its manifest was "
                    "removed; dbsafe verifies, restores and prunes only backups with manifests")
        .with_file(path);
  std::ifstream in(manifest_path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text).get_object().get(obj))
    throw Error(ErrorCode::Parse, manifest_path + ": not a JSON object; the manifest is damaged")
        .with_file(manifest_path);
  std::int64_t version;
  if (obj["schema_version"].get_int64().get(version) || version != 1)
    throw Error(ErrorCode::Parse, manifest_path +
                                      ": schema_version is not 1; a newer dbsafe wrote it, or it "
                                      "is not a dbsafe manifest")
        .with_file(manifest_path);
  BackupManifest m;
  m.file = text_of(obj, "file", manifest_path);
  m.format = text_of(obj, "format", manifest_path);
  m.bytes = number_of(obj, "bytes", manifest_path);
  m.sha256 = text_of(obj, "sha256", manifest_path);
  m.database = text_of(obj, "database", manifest_path);
  m.source = text_of(obj, "source", manifest_path);
  m.server_version = text_of(obj, "server_version", manifest_path);
  m.pg_dump_version = text_of(obj, "pg_dump_version", manifest_path);
  m.created_at = text_of(obj, "created_at", manifest_path);
  m.tables = number_of(obj, "tables", manifest_path);
  m.table_data = number_of(obj, "table_data", manifest_path);
  m.entries = number_of(obj, "entries", manifest_path);
  m.dbsafe_version = text_of(obj, "dbsafe_version", manifest_path);
  if (m.format != "custom" && m.format != "plain-gz")
    throw Error(ErrorCode::Parse,
                manifest_path + ": format \"" + m.format + "\" is not \"custom\" or \"plain-gz\"")
        .with_file(manifest_path);
  // The manifest describes the file it sits beside, and no other: a
  // manifest naming ../elsewhere must not lead prune to delete it.
  std::string expected = fs::path(manifest_path).filename().string();
  expected.resize(expected.size() - suffix.size());
  if (m.file != expected)
    throw Error(ErrorCode::Parse, manifest_path + ": it names the file \"" + m.file + "\", not \"" +
                                      expected + "\" beside it")
        .with_file(manifest_path);
  return m;
}

}  // namespace v1
}  // namespace dbsafe
