// ESM entry point: a thin re-export of the CommonJS module (index.js).
import dbsafe from './index.js';

export const {
  version,
  versionInfo,
  abiVersion,
  Status,
  LAYOUTS,
  statusName,
  DbsafeError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ParseError,
  DatabaseError,
  HttpError,
  AuthError,
  TimeoutError,
  CancelledError,
  CallbackError,
  VersionError,
  IoError,
  ConnectError,
  migrations,
  migrationsJson,
  migrationsSync,
  migrationsJsonSync,
  check,
  checkSync,
  checkSql,
  stats,
  statsSync,
  checksumMatches,
  cliMain,
} = dbsafe;

export default dbsafe;
