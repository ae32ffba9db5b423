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
  DBSAFE_ECONNECT: -13;
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

/** A progress event; reading a migration set emits {"event":"migration_read", index, total, name}. */
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

/** The level of a finding; fail_on and rules also take 'off'. */
export type Level = 'info' | 'warning' | 'error';
/** A rule's level in `rules`: 'off' disables the rule. */
export type RuleLevel = 'off' | Level;
/** How the migrations will be applied: dbsafe's own runner or Prisma's. */
export type Runner = 'safe' | 'prisma';

/** Live facts about the table a finding touches (from `stats`/`statsFile`). */
export interface Impact {
  /** e.g. "public.users". */
  table: string;
  /** pg_class.reltuples; null when unknown. */
  row_estimate: number | null;
  /** Table plus indexes plus TOAST, in bytes; null when unknown. */
  total_bytes: number | null;
  index_count: number | null;
  /** Scans of the index a statement drops; null when unknown or not an index drop. */
  idx_scan: number | null;
  /** Whether the table has no rows; null when unknown. */
  empty: boolean | null;
  /** How long the lock is held while the table is rewritten or scanned; null when unknown. */
  estimated_lock_seconds: number | null;
  /** The rewrite/scan rate that estimate assumes. */
  assumed_bytes_per_second: number | null;
}

/** One risky statement (docs/rules.md has the rules). */
export interface Finding {
  /** The rule's id, e.g. "drop-column". */
  rule: string;
  /** Risk classes, primary first, e.g. ["data-loss", "backward-incompatible"]. */
  severity: string[];
  level: Level;
  /** The path as given joined with the file's path in the migration set. */
  file: string;
  /** The migration's name. */
  migration: string;
  /** 1-based position of the statement in `file`. */
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  /** The statement's SQL text. */
  statement: string;
  /** Qualified names it touches, e.g. ["public.users.email"]. */
  objects: string[];
  /** The strongest lock it takes, e.g. "ACCESS EXCLUSIVE"; null when none. */
  lock: string | null;
  /** Whether it rewrites the table. */
  rewrite: boolean;
  /** Whether it scans the table under its lock. */
  scan: boolean;
  /** What the statement does. */
  message: string;
  /** Why it is risky. */
  why: string;
  /** The safe alternative. */
  fix: string;
  /** 32 hex digits, stable across pushes: rule, file and statement. */
  fingerprint: string;
  /** Present only when table statistics were given and cover the table. */
  impact?: Impact;
}

export interface CheckSummary {
  /** Files checked (excluding files given only as context by onlyMigrations). */
  files: number;
  statements: number;
  errors: number;
  warnings: number;
  infos: number;
  pg_version: number;
  runner: Runner;
  fail_on: RuleLevel;
  /** Whether a finding is at or above `fail_on`. */
  failed: boolean;
  /** Number of findings per rule id. */
  by_rule: Record<string, number>;
}

/** The check report (docs/schema/check-report.v1.json). */
export interface CheckReport {
  schema_version: 1;
  /** In file order, then by line and column. */
  findings: Finding[];
  summary: CheckSummary;
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** One table of a stats document. */
export interface TableStats {
  /** pg_class.reltuples; -1 when the table was never vacuumed or analyzed. */
  row_estimate?: number;
  /** Table plus indexes plus TOAST, in bytes. */
  total_bytes?: number;
  index_count?: number;
  /** Whether the table has no rows (asked with EXISTS); null when it could not be read. */
  empty?: boolean | null;
}

/** One index of a stats document. */
export interface IndexStats {
  /** The index's table, e.g. "public.users". */
  table?: string;
  /** Scans since the statistics were last reset (pg_stat_user_indexes.idx_scan). */
  idx_scan?: number;
  bytes?: number;
}

/** Table statistics as `dbsafe stats` writes them (docs/schema/stats.v1.json). */
export interface StatsDocument {
  schema_version: 1;
  /** e.g. 150018; sets the target version when pgVersion is not given. */
  server_version_num?: number;
  /** By "schema.table". */
  tables?: Record<string, TableStats>;
  /** By "schema.index". */
  indexes?: Record<string, IndexStats>;
}

/** The stats document stats() resolves with: every field is present. */
export interface CollectedStats extends StatsDocument {
  server_version_num: number;
  tables: Record<string, Required<TableStats>>;
  indexes: Record<string, Required<IndexStats>>;
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/**
 * What a check judges by; every option is optional. dbsafe.toml (found by
 * walking up from the first path, or `config`) is applied first; options
 * given here win.
 */
export interface CheckSqlOptions {
  /** Target PostgreSQL major version; default 15. */
  pgVersion?: number | null;
  /** Default 'safe'. */
  runner?: Runner | null;
  /** Lowest level that makes `summary.failed` true; default 'error'. */
  failOn?: RuleLevel | null;
  /** Per-rule levels, e.g. { 'drop-column': 'warning' }; win over dbsafe.toml. */
  rules?: Record<string, RuleLevel> | null;
  /** Rules that are off by default to turn on. */
  enable?: readonly string[] | null;
  /** The dbsafe.toml to use; '-' for none. */
  config?: string | URL | null;
  /** Table statistics (a stats document). */
  stats?: StatsDocument | null;
  /** A stats document's path. */
  statsFile?: string | URL | null;
  /** Report only these migrations (by name); the others are context. */
  onlyMigrations?: readonly string[] | null;
  /** Default 'auto'. */
  layout?: Layout | null;
  /** Largest migration file accepted, in bytes; default 64 MiB. */
  maxFileBytes?: number | null;
  /** Tables with at least this many rows are large; default 100000. */
  largeTableRows?: number | null;
  /** Tables with at least this many bytes are large; default 1 GiB. */
  largeTableBytes?: number | null;
  /** checkSql only: the file and migration name of the text; default '<sql>'. */
  name?: string | null;
}

export interface CheckOptions extends Omit<CheckSqlOptions, 'name'> {
  /**
   * Read the table statistics from this PostgreSQL database first
   * (read-only queries, as stats() does), so findings carry `impact`.
   */
  databaseUrl?: string | URL | null;
  /** Timeout of the whole call in milliseconds; 0 or absent: none. */
  timeoutMs?: number | null;
}

export interface CheckAsyncOptions extends CheckOptions {
  /** Cancels the call: it rejects with a CancelledError (code 'DBSAFE_ECANCELLED'). */
  signal?: AbortSignal | null;
  /**
   * Called on the JS thread for each progress event (one 'migration_read'
   * per file read), always before the promise settles. If it throws, the
   * call is cancelled and rejects with what it threw.
   */
  onProgress?: ((event: ProgressEvent) => void) | null;
}

/**
 * Classifies the risk of every statement of the migration sets at `paths`
 * (directories or .sql files, in order) off the event loop. Resolves even
 * when findings fail the check (see `summary.failed`); SQL syntax errors are
 * findings (rule "syntax-error"). Rejects with a DbsafeError for unreadable
 * input or a bad option (InvalidArgumentError, 'DBSAFE_EINVALID').
 */
export declare function check(
  paths: string | URL | readonly (string | URL)[],
  options?: CheckAsyncOptions,
): Promise<CheckReport>;
/** Synchronous check(): blocks the event loop. */
export declare function checkSync(
  paths: string | URL | readonly (string | URL)[],
  options?: CheckOptions,
): CheckReport;
/** Checks one SQL text as a one-file migration called `options.name`. Synchronous. */
export declare function checkSql(sql: string | Uint8Array, options?: CheckSqlOptions): CheckReport;

export interface StatsOptions {
  /** Timeout of the whole call in milliseconds; 0 or absent: none. */
  timeoutMs?: number | null;
}

export interface StatsAsyncOptions extends StatsOptions {
  /** Cancels the call: it rejects with a CancelledError (code 'DBSAFE_ECANCELLED'). */
  signal?: AbortSignal | null;
}

/**
 * Reads table sizes, row estimates, emptiness (EXISTS, never COUNT) and
 * index usage from the PostgreSQL database at `databaseUrl` with read-only
 * queries, off the event loop. Resolves with the stats document check()'s
 * `stats` option takes. Rejects with a ConnectError ('DBSAFE_ECONNECT') when
 * the server cannot be reached, an AuthError when it refuses the login;
 * messages never include the URL's password.
 */
export declare function stats(
  databaseUrl: string | URL,
  options?: StatsAsyncOptions,
): Promise<CollectedStats>;
/** Synchronous stats(): blocks the event loop. */
export declare function statsSync(databaseUrl: string | URL, options?: StatsOptions): CollectedStats;

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
/** DBSAFE_ECONNECT: the server (database, HTTP API) cannot be reached. */
export declare class ConnectError extends DbsafeError {}
