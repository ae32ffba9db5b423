// The exit codes every dbsafe command shares (docs/cli.md).
#pragma once

#include "dbsafe/error.hpp"

namespace dbsafe::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFound = 1,          // findings, pending migrations, drift, a gate stop
  kExitNeedsPerson = 2,    // failed / modified / missing migrations, half-done restore
  kExitUsage = 3,          // usage, configuration or input error
  kExitUnreachable = 4,    // cannot reach or authenticate
  kExitFailedPartway = 5,  // the operation failed part-way
  kExitCancelled = 130,
};

inline int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::Ok:
      return kExitOk;
    case ErrorCode::Invalid:
    case ErrorCode::NotFound:
    case ErrorCode::Parse:
    case ErrorCode::Io:
    case ErrorCode::Version:
      return kExitUsage;
    case ErrorCode::Connect:
    case ErrorCode::Auth:
    case ErrorCode::Http:
    case ErrorCode::Timeout:
      return kExitUnreachable;
    case ErrorCode::Cancelled:
    case ErrorCode::Callback:
      return kExitCancelled;
    case ErrorCode::State:
      return kExitNeedsPerson;
    case ErrorCode::Database:
    case ErrorCode::Internal:
      return kExitFailedPartway;
  }
  return kExitFailedPartway;
}

}  // namespace dbsafe::cli
