// Type declarations for the dbsafe Node.js binding (index.js / index.mjs).

/** The library's version, e.g. "0.1.0". */
export declare const version: string;
export declare const versionInfo: Readonly<{ major: number; minor: number; patch: number }>;
/** The C ABI version the addon was built against (checked when it loads). */
export declare const abiVersion: number;

/** The C ABI's status codes (dbsafe_status), by symbolic name. */
export declare const Status: Readonly<{
  DBSAFE_OK: 0;
  DBSAFE_ERROR: -1;
  DBSAFE_EINVALID: -2;
  DBSAFE_ENOTFOUND: -3;
  DBSAFE_EPARSE: -4;
  DBSAFE_EDB: -5;
  DBSAFE_EHTTP: -6;
  DBSAFE_EAUTH: -7;
  DBSAFE_ETIMEOUT: -8;
  DBSAFE_ECANCELLED: -9;
  DBSAFE_EUSER: -10;
  DBSAFE_EVERSION: -11;
  DBSAFE_EIO: -12;
}>;

/** A symbolic error code: 'DBSAFE_ENOTFOUND' etc. ('DBSAFE_UNKNOWN' for a newer library's code). */
export type ErrorCode = Exclude<keyof typeof Status, 'DBSAFE_OK'> | (string & {});

/** The symbolic name of a status number ('DBSAFE_UNKNOWN' when unknown). */
export declare function statusName(status: number): string;

/** Migration directory layouts; 'auto' detects the layout. */
export type Layout = 'auto' | 'prisma' | 'plain' | 'flyway' | 'dbmate' | 'golang-migrate';
export declare const LAYOUTS: readonly Layout[];

/** One migration (or repeatable migration) of a listing. */
export interface Migration {
  /** e.g. "20230518191501_init". */
  name: string;
  /** e.g. "20230518191501"; "" for a repeatable migration. */
  version: string;
  /** e.g. "init"; "" when the layout has no description. */
  description: string;
  /** Relative to the listing's root, e.g. "20230518191501_init/migration.sql". */
  path: string;
  /** `root` joined with `path`. */
  file: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** Lower-case hex SHA-256 of the file's bytes (Prisma's checksum). */
  checksum: string;
  /** Whether the migration runs inside a transaction. */
  transactional: boolean;
  /** Relative path of the down migration, when the layout has one. */
  down_path: string | null;
}

/** The listing document (docs/schema/migration-set.v1.json). */
export interface MigrationSet {
  schema_version: 1;
  /** The directory actually read: the given path joined with any discovered subpath. */
  root: string;
  layout: Exclude<Layout, 'auto'>;
  /** The provider of migration_lock.toml, e.g. "postgresql"; null when there is none. */
  provider: string | null;
  /** Number of entries in `migrations`. */
  count: number;
  /** Sum of the `bytes` of `migrations`. */
  total_bytes: number;
  /** In application order. */
  migrations: Migration[];
  /** Flyway's repeatable (R__) migrations, applied after the versioned ones. */
  repeatables: Migration[];
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** A progress event; listing emits {"event":"migration_read", index, total, name}. */
export type ProgressEvent =
  | { event: 'migration_read'; index: number; total: number; name: string }
  | { event: string; [key: string]: unknown };

export interface MigrationsOptions {
  /** Default 'auto'. */
  layout?: Layout;
  /** Largest migration file accepted, in bytes; 0 or absent: the default, 64 MiB. */
  maxFileBytes?: number;
  /** Timeout of the whole call in milliseconds; 0 or absent: none. */
  timeoutMs?: number;
}

export interface MigrationsAsyncOptions extends MigrationsOptions {
  /** Cancels the call: it rejects with a CancelledError (code 'DBSAFE_ECANCELLED'). */
  signal?: AbortSignal | null;
  /**
   * Called on the JS thread for each progress event, always before the
   * promise settles. If it throws, the call is cancelled and rejects with
   * what it threw.
   */
  onProgress?: ((event: ProgressEvent) => void) | null;
}

/** Reads the migration set at `dir` off the event loop (libuv thread pool). */
export declare function migrations(
  dir: string | URL,
  options?: MigrationsAsyncOptions,
): Promise<MigrationSet>;
/** Like migrations(), resolving with the listing's exact JSON text. */
export declare function migrationsJson(
  dir: string | URL,
  options?: MigrationsAsyncOptions,
): Promise<string>;
/** Synchronous migrations(): blocks the event loop. */
export declare function migrationsSync(dir: string | URL, options?: MigrationsOptions): MigrationSet;
/** Synchronous migrationsJson(): blocks the event loop. */
export declare function migrationsJsonSync(dir: string | URL, options?: MigrationsOptions): string;

/**
 * Whether `script` matches a checksum stored in Prisma's _prisma_migrations
 * table, compared as Prisma does (as is, CRLF->LF, LF->CRLF, old unpadded hex).
 */
export declare function checksumMatches(script: string | Uint8Array, storedChecksum: string): boolean;

/**
 * Runs the dbsafe command line in this process and returns its exit code
 * (0 done, 1 found, 2 needs a person, 3 usage/input, 4 unreachable,
 * 5 failed part-way, 130 cancelled). argv[0] is the program name. Writes
 * straight to file descriptors 1 and 2; blocks the event loop.
 */
export declare function cliMain(argv: readonly string[]): number;

export interface DbsafeErrorFields {
  code?: string;
  status?: number;
  sqlstate?: string | null;
  file?: string | null;
  line?: number | null;
  column?: number | null;
  httpStatus?: number | null;
  detail?: Record<string, unknown>;
  cause?: unknown;
}

/** What every failed dbsafe call throws or rejects with. */
export declare class DbsafeError extends Error {
  constructor(message: string, fields?: DbsafeErrorFields);
  /** The symbolic name of the status, e.g. 'DBSAFE_ENOTFOUND'. */
  readonly code: ErrorCode;
  /** The negative C status, e.g. -3. */
  readonly status: number;
  /** Five-character SQLSTATE for database errors, else null. */
  readonly sqlstate: string | null;
  /** The file the error is about, or null. */
  readonly file: string | null;
  /** 1-based line in `file`, or null. */
  readonly line: number | null;
  /** 1-based column in `file`, or null. */
  readonly column: number | null;
  /** HTTP status for HTTP errors, else null. */
  readonly httpStatus: number | null;
  /** Further detail (an empty object when there is none). */
  readonly detail: Record<string, unknown>;
}

/** DBSAFE_ERROR: an internal error in dbsafe. */
export declare class InternalError extends DbsafeError {}
/** DBSAFE_EINVALID: an invalid argument or input. */
export declare class InvalidArgumentError extends DbsafeError {}
/** DBSAFE_ENOTFOUND: a path or named object does not exist. */
export declare class NotFoundError extends DbsafeError {}
/** DBSAFE_EPARSE: SQL or configuration could not be parsed. */
export declare class ParseError extends DbsafeError {}
/** DBSAFE_EDB: the database reported an error. */
export declare class DatabaseError extends DbsafeError {}
/** DBSAFE_EHTTP: an HTTP API reported an error. */
export declare class HttpError extends DbsafeError {}
/** DBSAFE_EAUTH: authentication or authorisation failed. */
export declare class AuthError extends DbsafeError {}
/** DBSAFE_ETIMEOUT: the call's timeout expired. */
export declare class TimeoutError extends DbsafeError {}
/** DBSAFE_ECANCELLED: the call was cancelled. */
export declare class CancelledError extends DbsafeError {}
/** DBSAFE_EUSER: a callback asked the call to stop. */
export declare class CallbackError extends DbsafeError {}
/** DBSAFE_EVERSION: an options struct carried an unknown version. */
export declare class VersionError extends DbsafeError {}
/** DBSAFE_EIO: reading or writing a file failed. */
export declare class IoError extends DbsafeError {}
