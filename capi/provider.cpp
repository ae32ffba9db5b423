// The provider calls of the C ABI (c/provider.h): a handle over
// dbsafe::Provider, options as JSON objects, results as JSON documents.
#include <simdjson.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "capi/internal.hpp"
#include "dbsafe/provider.hpp"
#include "provider/json.hpp"

struct dbsafe_provider {
  std::unique_ptr<dbsafe::Provider> impl;
};

namespace {

using dbsafe::Error;
using dbsafe::ErrorCode;
using dbsafe::capi::bad_option;
using dbsafe::capi::fill_buf;
using dbsafe::capi::require_empty_buf;
using dbsafe::capi::require_text;
namespace dom = simdjson::dom;

using dbsafe::capi::option_flag;
using dbsafe::capi::option_text;

// More typed readers of one options key (capi/internal.hpp has the common ones).
std::int64_t count(dom::element v, const std::string &key) {
  std::int64_t n;
  if (v.get_int64().get(n) || n < 0) bad_option(key + " must be a non-negative integer");
  return n;
}

dbsafe::Provider &require_provider(dbsafe_provider *p) {
  if (p == nullptr || !p->impl)
    throw Error(ErrorCode::Invalid, "provider is NULL; open one with dbsafe_provider_open");
  return *p->impl;
}

// The keys retention and branch pruning share.
bool policy_option(dbsafe::RetentionPolicy &p, const std::string &k, dom::element v) {
  if (k == "name_prefix")
    p.name_prefix = option_text(v, k);
  else if (k == "keep_last")
    p.keep_last = static_cast<std::size_t>(count(v, k));
  else if (k == "max_age_seconds")
    p.max_age = std::chrono::seconds(count(v, k));
  else if (k == "protected_names")
    p.protected_names = dbsafe::capi::option_strings(v, k);
  else
    return false;
  return true;
}

}  // namespace

extern "C" {

int dbsafe_provider_open(dbsafe_provider **out, const char *options_json, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  if (out == nullptr) throw Error(ErrorCode::Invalid, "out is NULL");
  *out = nullptr;
  dbsafe::ProviderOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "kind")
      o.kind = option_text(v, k);
    else if (k == "api_key")
      o.api_key = option_text(v, k);
    else if (k == "project_id")
      o.project_id = option_text(v, k);
    else if (k == "api_host")
      o.api_host = option_text(v, k);
    else if (k == "ca_file")
      o.ca_file = option_text(v, k);
    else if (k == "database")
      o.database = option_text(v, k);
    else if (k == "role")
      o.role = option_text(v, k);
    else if (k == "operation_timeout_ms")
      o.operation_timeout = std::chrono::milliseconds(count(v, k));
    else if (k == "poll_interval_ms")
      o.poll_interval = std::chrono::milliseconds(count(v, k));
    else if (k == "database_url")
      o.database_url = option_text(v, k);
    else if (k == "local_method")
      o.local_method = option_text(v, k);
    else if (k == "terminate_blockers")
      o.terminate_blockers = option_flag(v, k);
    else if (k == "pg_bindir")
      o.pg_bindir = option_text(v, k);
    else
      return false;
    return true;
  });
  auto handle = std::make_unique<dbsafe_provider>();
  handle->impl = dbsafe::Provider::open(o);
  *out = handle.release();
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

void dbsafe_provider_free(dbsafe_provider *provider) {
  delete provider;
}

uint64_t dbsafe_provider_requests_made(const dbsafe_provider *provider) {
  return provider && provider->impl ? provider->impl->requests_made() : 0;
}

int dbsafe_provider_list_branches(dbsafe_buf *out_json, dbsafe_provider *provider,
                                  const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_json, "out_json");
  auto &p = require_provider(provider);
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_json, dbsafe::provider::branches_json(p.list_branches(call_options)));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_create_branch(dbsafe_buf *out_branch_json, dbsafe_provider *provider,
                                  const char *options_json, const dbsafe_call_options *call,
                                  dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_branch_json, "out_branch_json");
  auto &p = require_provider(provider);
  dbsafe::CreateBranchOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "name")
      o.name = option_text(v, k);
    else if (k == "parent")
      o.parent = option_text(v, k);
    else if (k == "at_timestamp")
      o.at_timestamp = option_text(v, k);
    else if (k == "at_lsn")
      o.at_lsn = option_text(v, k);
    else if (k == "expires_at")
      o.expires_at = option_text(v, k);
    else if (k == "with_endpoint")
      o.with_endpoint = option_flag(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_branch_json, dbsafe::provider::branch_json(p.create_branch(o, call_options)));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_delete_branch(dbsafe_provider *provider, const char *name_or_id,
                                  const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  auto &p = require_provider(provider);
  auto name = require_text(name_or_id, "name_or_id", "pass the branch's name or id");
  auto call_options = dbsafe::capi::to_call_options(call);
  p.delete_branch(name, call_options);
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_restore_branch(dbsafe_buf *out_result_json, dbsafe_provider *provider,
                                   const char *name_or_id, const char *at_timestamp,
                                   const char *preserve_under_name, const dbsafe_call_options *call,
                                   dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_result_json, "out_result_json");
  auto &p = require_provider(provider);
  auto name = require_text(name_or_id, "name_or_id", "pass the branch's name or id");
  auto at = require_text(at_timestamp, "at_timestamp", "pass the RFC 3339 time to restore to");
  auto call_options = dbsafe::capi::to_call_options(call);
  auto r = p.restore_branch(name, at, preserve_under_name ? preserve_under_name : "", call_options);
  fill_buf(out_result_json, dbsafe::provider::restore_json(r));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_connection_url(dbsafe_buf *out_url, dbsafe_provider *provider,
                                   const char *name_or_id, bool pooled,
                                   const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_url, "out_url");
  auto &p = require_provider(provider);
  auto name = require_text(name_or_id, "name_or_id", "pass the branch's name or id");
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_url, p.connection_url(name, pooled, call_options));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_list_snapshots(dbsafe_buf *out_json, dbsafe_provider *provider,
                                   const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_json, "out_json");
  auto &p = require_provider(provider);
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_json, dbsafe::provider::snapshots_json(p.list_snapshots(call_options)));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_create_snapshot(dbsafe_buf *out_snapshot_json, dbsafe_provider *provider,
                                    const char *options_json, const dbsafe_call_options *call,
                                    dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_snapshot_json, "out_snapshot_json");
  auto &p = require_provider(provider);
  dbsafe::CreateSnapshotOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "name")
      o.name = option_text(v, k);
    else if (k == "branch")
      o.branch = option_text(v, k);
    else if (k == "at_timestamp")
      o.at_timestamp = option_text(v, k);
    else if (k == "at_lsn")
      o.at_lsn = option_text(v, k);
    else if (k == "expires_at")
      o.expires_at = option_text(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_snapshot_json, dbsafe::provider::snapshot_json(p.create_snapshot(o, call_options)));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_delete_snapshot(dbsafe_provider *provider, const char *name_or_id,
                                    const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  auto &p = require_provider(provider);
  auto name = require_text(name_or_id, "name_or_id", "pass the snapshot's name or id");
  auto call_options = dbsafe::capi::to_call_options(call);
  p.delete_snapshot(name, call_options);
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_provider_restore_snapshot(dbsafe_buf *out_result_json, dbsafe_provider *provider,
                                     const char *name_or_id, const char *options_json,
                                     const dbsafe_call_options *call, dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_result_json, "out_result_json");
  auto &p = require_provider(provider);
  auto name = require_text(name_or_id, "name_or_id", "pass the snapshot's name or id");
  dbsafe::RestoreOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "target_branch")
      o.target_branch = option_text(v, k);
    else if (k == "finalize")
      o.finalize = option_flag(v, k);
    else if (k == "preserve_under_name")
      o.preserve_under_name = option_text(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_result_json,
           dbsafe::provider::restore_json(p.restore_snapshot(name, o, call_options)));
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_snapshot_rotate(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                           const char *options_json, const dbsafe_call_options *call,
                           dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_report_json, "out_report_json");
  auto &p = require_provider(provider);
  dbsafe::RotateOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (k == "name")
      o.name = option_text(v, k);
    else if (k == "branch")
      o.branch = option_text(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_report_json, dbsafe::rotate_snapshot(p, o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_snapshot_retention(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                              const char *options_json, const dbsafe_call_options *call,
                              dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_report_json, "out_report_json");
  auto &p = require_provider(provider);
  dbsafe::RetentionPolicy policy;
  std::string just_taken;
  bool dry_run = false;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (policy_option(policy, k, v)) return true;
    if (k == "just_taken")
      just_taken = option_text(v, k);
    else if (k == "dry_run")
      dry_run = option_flag(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(
      out_report_json,
      dbsafe::apply_snapshot_retention(p, policy, just_taken, dry_run, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

int dbsafe_branch_prune(dbsafe_buf *out_report_json, dbsafe_provider *provider,
                        const char *options_json, const dbsafe_call_options *call,
                        dbsafe_error **out_err) {
  DBSAFE_CAPI_BEGIN
  require_empty_buf(out_report_json, "out_report_json");
  auto &p = require_provider(provider);
  dbsafe::BranchPruneOptions o;
  dbsafe::capi::each_option(options_json, {}, [&](const std::string &k, dom::element v) {
    if (policy_option(o.policy, k, v)) return true;
    if (k == "expired")
      o.expired = option_flag(v, k);
    else if (k == "old_restore_branches")
      o.old_restore_branches = option_flag(v, k);
    else if (k == "dry_run")
      o.dry_run = option_flag(v, k);
    else
      return false;
    return true;
  });
  auto call_options = dbsafe::capi::to_call_options(call);
  fill_buf(out_report_json, dbsafe::prune_branches(p, o, call_options).to_json());
  return DBSAFE_OK;
  DBSAFE_CAPI_END(out_err)
}

}  // extern "C"
