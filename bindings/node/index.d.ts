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
  DBSAFE_ESTATE: -14;
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

/** How a migration stands against the _prisma_migrations history. */
export type MigrationState =
  | 'applied'
  | 'pending'
  | 'failed'
  | 'modified'
  | 'missing'
  /** Pending, but a later migration is already applied: deploy applies it, status warns. */
  | 'out-of-order';

/** One unit the runner sends (deploy with dryRun only). */
export interface MigrationStep {
  /** 1-based position where the step starts in the migration's file. */
  line: number;
  column: number;
  /** false: runs outside any transaction (CREATE INDEX CONCURRENTLY, VACUUM, ...). */
  transactional: boolean;
  sql: string;
}

/** One migration of a migrate report. */
export interface PlannedMigration {
  name: string;
  state: MigrationState;
  /** Relative to the report's `root`; "" when missing. */
  path: string;
  /** Of the file on disk. */
  checksum: string;
  /** From _prisma_migrations; "" when not recorded. */
  recorded_checksum: string;
  /** ISO 8601, from the history; null when not recorded. */
  started_at: string | null;
  finished_at: string | null;
  /** The failure recorded in the history, if any. */
  logs: string | null;
  /** A multi-step migration stopped part-way by a crash: the next deploy resumes it. */
  resumable: boolean;
  /** deploy with dryRun only: what each step would send. */
  steps?: MigrationStep[];
}

/** A migration a deploy ran. */
export interface AppliedMigration {
  name: string;
  steps: number;
  elapsed_ms: number;
  /** It continued a crashed multi-step migration. */
  resumed: boolean;
}

/** Where and why a deploy stopped. */
export interface MigrationFailure {
  migration: string;
  /** The migration's file: the report's root joined with its path. */
  file: string;
  /** 1-based position of the failing statement in `file`; 0 when unknown. */
  line: number;
  column: number;
  sqlstate: string;
  message: string;
  /** Nothing of the failed migration is left in the database. */
  rolled_back: boolean;
  /** Steps of the migration that committed. */
  steps_done: number;
  /** The command that clears the failure, e.g. `dbsafe migrate resolve --rolled-back <name>`. */
  resolve_command: string;
}

export interface MigrateSummary {
  applied: number;
  pending: number;
  failed: number;
  modified: number;
  missing: number;
  out_of_order: number;
}

/** The migrate report's document (docs/schema/migrate-report.v1.json). */
export interface MigrateReportDocument {
  schema_version: 1;
  command: 'status' | 'deploy' | 'resolve' | 'baseline';
  mode: Runner;
  dry_run: boolean;
  /** The migration directory read. */
  root: string;
  /** The quoted, schema-qualified history table, e.g. "public"."_prisma_migrations". */
  history_table: string;
  history_exists: boolean;
  /** 0 up to date, 1 pending, 2 failed, modified or missing migrations. */
  status_code: 0 | 1 | 2;
  summary: MigrateSummary;
  /** Every migration in disk order, then those recorded but not on disk (after the command). */
  migrations: PlannedMigration[];
  /** What a deploy ran, in order. */
  applied: AppliedMigration[];
  /** resolve and baseline: the migrations they marked. */
  resolved: string[];
  warnings: string[];
  /** A deploy stopped by an error (then the report is the error's `report`). */
  failure?: MigrationFailure;
  elapsed_ms: number;
}

/** What a migrate call resolves with. */
export interface MigrateReport extends MigrateReportDocument {
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/**
 * The progress events of the migrate calls, in the order they happen. The
 * library only appends new kinds; narrow on `event`.
 */
export type MigrateProgressEvent =
  /** Reading the migration set, one per file (as migrations() reports). */
  | { event: 'migration_read'; index: number; total: number; name: string }
  /** Opening the connection failed; retrying within connectRetryMs (a compute waking up). */
  | { event: 'connect-retry'; message: string; attempt: number; delay_ms: number }
  /** Another deploy holds the migration advisory lock; waiting up to advisoryLockTimeoutMs. */
  | { event: 'lock-wait'; holder: string }
  /** `index` counts from 1 to `total`, the number of migrations this deploy runs. */
  | { event: 'migration-start'; migration: string; index: number; total: number; steps: number }
  /** `step` counts from 1 to `steps`; `line` is where the step starts in the file. */
  | { event: 'step-start'; migration: string; step: number; steps: number; line: number }
  /** One statement of the step finished; `statement` counts from 1 within the step. */
  | {
      event: 'statement-finish';
      migration: string;
      step: number;
      statement: number;
      line: number;
      elapsed_ms: number;
    }
  | { event: 'migration-finish'; migration: string; elapsed_ms: number }
  /** A statement hit lock_timeout and is retried (lockRetries) after `delay_ms`. */
  | {
      event: 'lock-timeout-retry';
      migration: string;
      blocking: string;
      attempt: number;
      delay_ms: number;
    };

/** Timeouts one migration may set apart from the run's. */
export interface MigrationTimeouts {
  lockTimeoutMs?: number | null;
  statementTimeoutMs?: number | null;
}

/** The options every migrate call takes; every option is optional. */
export interface MigrateOptions {
  /** Default: DIRECT_URL, else DATABASE_URL, from the environment (as Prisma). */
  databaseUrl?: string | URL | null;
  /**
   * 'safe' (default): each file in its own transaction, statements that
   * cannot run in one (CREATE INDEX CONCURRENTLY) outside it. 'prisma': each
   * file sent as one query, as Prisma does.
   */
  mode?: Runner | null;
  /** The schema of _prisma_migrations; default: the URL's `schema` parameter, else 'public'. */
  schema?: string | null;
  /** Default 'auto'. */
  layout?: Layout | null;
  /** SET lock_timeout per statement; default 5000. */
  lockTimeoutMs?: number | null;
  /** SET statement_timeout per statement; default none. */
  statementTimeoutMs?: number | null;
  /** Times a statement that hit lock_timeout is retried; default 3. */
  lockRetries?: number | null;
  /** The first backoff between those retries. */
  lockRetryBackoffMs?: number | null;
  /** How long to wait for another deploy's migration advisory lock; default 60000. */
  advisoryLockTimeoutMs?: number | null;
  /** How long to keep retrying a connection that fails to open; default 20000. */
  connectRetryMs?: number | null;
  /** Deploy even though an applied migration's file changed since. */
  allowModified?: boolean | null;
  /** Per migration name; wins over the run's values. */
  migrations?: Record<string, MigrationTimeouts> | null;
  /**
   * Timeout of the whole call in milliseconds; 0 or absent: none. On expiry
   * the running statement is cancelled on the server (a TimeoutError).
   */
  timeoutMs?: number | null;
  /** Cancels the call and the running statement on the server: it rejects with a CancelledError. */
  signal?: AbortSignal | null;
  /**
   * Called on the JS thread for each progress event, always before the
   * promise settles. If it throws, the call is cancelled and rejects with
   * what it threw.
   */
  onProgress?: ((event: MigrateProgressEvent) => void) | null;
}

export interface MigrateDeployOptions extends MigrateOptions {
  /** Compute and report the plan and each migration's steps without running them. */
  dryRun?: boolean | null;
}

/** resolve's target: exactly one of the two. */
export type ResolveTarget =
  | { applied: string; rolledBack?: null }
  | { rolledBack: string; applied?: null };

/**
 * Classifies every migration at `dir` against _prisma_migrations, read-only
 * (works through a transaction pooler), off the event loop.
 */
export declare function migrateStatus(
  dir: string | URL,
  options?: MigrateOptions,
): Promise<MigrateReport>;
/**
 * Applies the pending migrations in order under Prisma's advisory lock, off
 * the event loop. An SQL error rejects with a DatabaseError carrying `file`,
 * `line`, `column`, `sqlstate`, `report` and `failure`. Before anything
 * runs, a failed or modified migration rejects with a StateError, a
 * transaction-mode pooler URL with an InvalidArgumentError.
 */
export declare function migrateDeploy(
  dir: string | URL,
  options?: MigrateDeployOptions,
): Promise<MigrateReport>;
/** Prisma's `migrate resolve --applied NAME` / `--rolled-back NAME`. */
export declare function migrateResolve(
  dir: string | URL,
  target: ResolveTarget,
  options?: MigrateOptions,
): Promise<MigrateReport>;
/** Records every migration up to and including `name` as applied without running it. */
export declare function migrateBaseline(
  dir: string | URL,
  name: string,
  options?: MigrateOptions,
): Promise<MigrateReport>;
/** The options of migrate.baselineFromDatabase(). */
export interface MigrateBaselineFromDatabaseOptions extends SchemaFilterOptions, MigrateOptions {
  /** The migration directory written under `dir`; default "<UTC yyyymmddHHMMSS>_baseline". */
  migrationName?: string | null;
}
/**
 * Writes `<dir>/<name>/migration.sql` with the live database's schema (DDL)
 * and records it as applied in _prisma_migrations: an existing database
 * adopts a migration history in one call. `options.databaseUrl` is the
 * database (default: DIRECT_URL, else DATABASE_URL). Refuses when `dir`
 * already holds migrations the database has not applied.
 */
export declare function migrateBaselineFromDatabase(
  dir: string | URL,
  options?: MigrateBaselineFromDatabaseOptions,
): Promise<MigrateReport>;
/** The migration runner, named like Prisma's `migrate` verbs. */
export declare const migrate: Readonly<{
  status: typeof migrateStatus;
  deploy: typeof migrateDeploy;
  resolve: typeof migrateResolve;
  baseline: typeof migrateBaseline;
  baselineFromDatabase: typeof migrateBaselineFromDatabase;
}>;

/** Which schemas a model holds. */
export interface SchemaFilterOptions {
  /** Only these schemas; default: every schema but PostgreSQL's own. */
  schemas?: readonly string[] | null;
  /** Leave these schemas out. */
  excludeSchemas?: readonly string[] | null;
  /** Keep _prisma_migrations and dbsafe's own `dbsafe` schema (left out by default). */
  includeHistory?: boolean | null;
}

/** The options every asynchronous schema call takes besides its own. */
export interface SchemaCallOptions {
  /** Timeout of the whole call in milliseconds; 0 or absent: none (a TimeoutError). */
  timeoutMs?: number | null;
  /** Cancels the call and its running statement: it rejects with a CancelledError. */
  signal?: AbortSignal | null;
  /**
   * Called on the JS thread for each progress event (a migration replay on
   * the shadow database reports the migrate events), always before the
   * promise settles. If it throws, the call is cancelled and rejects with
   * what it threw.
   */
  onProgress?: ((event: MigrateProgressEvent | ProgressEvent) => void) | null;
}

/** How models are built and compared: schema.render(), schema.diff(), drift(), verify(). */
export interface SchemaOptions extends SchemaFilterOptions, SchemaCallOptions {
  /**
   * An empty database to replay migrations on (its schema is emptied first).
   * Default: a temporary database on the checked server when its role may
   * create databases (as Prisma does), else a throwaway cluster started from
   * the PostgreSQL server binaries on this machine.
   */
  shadowDatabaseUrl?: string | URL | null;
  /** The server to create the temporary shadow database on (schema.diff(), schema.render()). */
  serverUrl?: string | URL | null;
  /** The schema the migrations run in; default: the URL's `schema` parameter, else 'public'. */
  schema?: string | null;
  /** How migrations are replayed; default 'safe'. */
  mode?: Runner | null;
  /** Default 'auto'. */
  layout?: Layout | null;
  /**
   * A directory where replayed schemas are kept and reused while the
   * migrations are unchanged (keyed by their checksums, the mode, schema,
   * filter, dbsafe version and the shadow server's major version).
   */
  cacheDir?: string | null;
  /**
   * Objects that were renamed, so the diff renames instead of dropping and
   * adding: 'table public.Old=public.New', 'column public.Table.old=new'.
   */
  renames?: readonly string[] | null;
  /** PostgreSQL major version the emitted SQL is classified for; default 15. */
  pgVersion?: number | null;
}

/** What schema.dump() and schema.render() write. */
export type SchemaFormat = 'sql' | 'json';

export interface SchemaDumpOptions extends SchemaFilterOptions, SchemaCallOptions {
  /** 'sql' (default): DDL in dependency order; 'json': the model (schema-model.v1.json). */
  format?: SchemaFormat | null;
}

export interface SchemaRenderOptions extends SchemaOptions {
  /** 'sql' (default): DDL in dependency order; 'json': the model. */
  format?: SchemaFormat | null;
}

/**
 * Where a model comes from: 'url:postgresql://…' (or a bare postgres URL),
 * 'migrations:DIR' (replayed on a shadow database), 'empty', or a saved JSON
 * model ('file:PATH' or a path ending in .json).
 */
export type SchemaSource = string | URL;

/** One change of a diff, in the order it must run. */
export interface SchemaChange {
  action: 'create' | 'drop' | 'alter' | 'rename' | (string & {});
  /** 'table', 'column', 'index', 'constraint', 'foreign key', 'enum', ... */
  object_type: string;
  /** Qualified name, e.g. "public.User.email". */
  object: string;
  /** What differs, in words. */
  description: string;
  /** The statements, each ending in ';'. */
  sql: string[];
  /** Loses data or objects (a drop). */
  destructive: boolean;
}

export interface DiffSummary {
  changes: number;
  destructive: number;
  /** Findings of the risk check over `sql`, by level. */
  errors: number;
  warnings: number;
  infos: number;
}

/** The diff report (docs/schema/diff-report.v1.json): schema.diff() and drift(). */
export interface DiffReport {
  schema_version: 1;
  kind: 'diff' | 'drift';
  /** The sources, described (passwords redacted). */
  from: string;
  to: string;
  /** Whether there is any change (drift() : the database differs from its migrations). */
  drift: boolean;
  changes: SchemaChange[];
  /** Likely renames, differences dbsafe cannot express. */
  warnings: string[];
  /** Every statement in order, with a header comment; "" when there is no change. */
  sql: string;
  /** The risk check of `sql`, run as one migration file. */
  findings: Finding[];
  summary: DiffSummary;
  elapsed_ms: number;
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** One thing verify() found wrong. */
export interface VerifyProblem {
  /** 'table', 'index', 'foreign key', 'constraint'. */
  object_type: string;
  /** Qualified name. */
  object: string;
  problem: 'missing' | 'invalid' | 'not valid' | 'different' | (string & {});
  /** Expected against found, in words. */
  detail: string;
}

/** The verify report (docs/schema/verify-report.v1.json). */
export interface VerifyReport {
  schema_version: 1;
  /** No problem found. */
  ok: boolean;
  /** How many objects of each kind were checked. */
  checked: { tables: number; indexes: number; foreign_keys: number; constraints: number };
  problems: VerifyProblem[];
  elapsed_ms: number;
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

// The schema model, field for field as docs/schema/schema-model.v1.json
// defines it (optional fields are written only when they hold something);
// tests/node/types.test.js type-checks a real dump against it.

export interface ModelSequenceOptions {
  data_type: "smallint" | "integer" | "bigint";
  start: number;
  increment: number;
  min: number;
  max: number;
  cache: number;
  cycle: boolean;
}

export interface ModelColumn {
  name: string;
  /** format_type with the modifier, e.g. character varying(255), public."Role"[]. */
  type: string;
  /** Qualified and quoted, e.g. pg_catalog."C"; written only when not the type's default. */
  collation?: string;
  not_null?: true;
  /** pg_get_expr; written only when present. */
  default?: string;
  /** GENERATED ALWAYS / BY DEFAULT AS IDENTITY. */
  identity?: "always" | "by default";
  identity_options?: ModelSequenceOptions;
  /** A STORED generated column's expression. */
  generated?: string;
  /** A partition's (or inheriting table's) column that comes from its parent. */
  inherited?: true;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelSchema {
  name: string;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelExtension {
  name: string;
  schema: string;
  /** Compared but never changed by a diff: a difference is a warning. */
  version: string;
}

export interface ModelEnum {
  schema: string;
  name: string;
  /** format_type, as columns spell the type, e.g. public."Role". */
  type_name: string;
  /** In sort order; absent for an enum without labels. */
  labels?: string[];
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelCheck {
  name: string;
  /** pg_get_constraintdef, e.g. CHECK ((VALUE > 0)). */
  definition: string;
}

export interface ModelDomain {
  schema: string;
  name: string;
  /** format_type, as columns spell the type, e.g. public."Role". */
  type_name: string;
  /** format_type of the base type with its modifier, e.g. character varying(64). */
  base_type: string;
  /** Qualified and quoted, e.g. pg_catalog."C"; written only when not the type's default. */
  collation?: string;
  /** pg_get_expr; written only when present. */
  default?: string;
  not_null?: true;
  /** By name. */
  checks?: ModelCheck[];
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelCompositeType {
  schema: string;
  name: string;
  /** format_type, as columns spell the type, e.g. public."Role". */
  type_name: string;
  /** In attribute order; only name, type and collation are read from a server. */
  attributes: ModelColumn[];
  /** Written only when not empty. */
  comment?: string;
}

/** OWNED BY: the owning column. */
export interface ModelOwnedBy {
  /** schema.name, unquoted (neither part is quoted, so a dot inside a name is ambiguous). */
  table: string;
  column: string;
}

export interface ModelSequence {
  schema: string;
  name: string;
  data_type: "smallint" | "integer" | "bigint";
  start: number;
  increment: number;
  min: number;
  max: number;
  cache: number;
  cycle: boolean;
  /** OWNED BY: the owning column. */
  owned_by?: ModelOwnedBy;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelConstraint {
  name: string;
  /** pg_constraint.contype: primary key, unique, foreign key, check, exclusion. */
  type: "p" | "u" | "f" | "c" | "x";
  /** pg_get_constraintdef, ending in NOT VALID when not validated. */
  definition: string;
  /** Present when the constraint is NOT VALID. */
  validated?: false;
  /** A foreign key's referenced table (schema.name). */
  references?: string;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelTable {
  schema: string;
  name: string;
  /** The name as PostgreSQL prints it (regclass text), e.g. public."User". */
  qname: string;
  /** Present on a partitioned table: pg_get_partkeydef, e.g. RANGE (created_at). */
  partition_key?: string;
  /** A partition's parent (schema.name). */
  partition_of?: string;
  /** e.g. FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'), or DEFAULT. */
  partition_bound?: string;
  unlogged?: true;
  /** reloptions, e.g. fillfactor=70. */
  options?: string[];
  /** In attnum order; dropped columns are not listed. */
  columns: ModelColumn[];
  /** The table's own primary key, unique, foreign key, check and exclusion constraints (a partition's inherited ones are its parent's). By name. */
  constraints: ModelConstraint[];
  rls_enabled?: true;
  rls_forced?: true;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelIndex {
  schema: string;
  name: string;
  /** The table or materialized view (schema.name). */
  table: string;
  /** pg_get_indexdef. */
  definition: string;
  /** Present when pg_index.indisvalid is false (a failed CREATE INDEX CONCURRENTLY). */
  valid?: false;
  /** The index is on a partitioned table. */
  on_partitioned?: true;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelView {
  schema: string;
  name: string;
  qname: string;
  materialized?: true;
  /** pg_get_viewdef: the SELECT. */
  definition: string;
  /** reloptions, e.g. check_option=cascaded, security_barrier=true. */
  options?: string[];
  /** Present for a materialized view created WITH NO DATA. */
  populated?: false;
  /** The relations the view reads (pg_depend), schema.name. */
  depends_on?: string[];
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelFunction {
  schema: string;
  name: string;
  /** pg_get_function_identity_arguments; "" for none. */
  identity_arguments: string;
  kind: "function" | "procedure";
  /** pg_get_function_result; "" for a procedure. */
  result: string;
  /** pg_get_functiondef. */
  definition: string;
  /** The signature names a table or view row type: created after the tables. */
  uses_relation_types?: true;
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelTrigger {
  /** schema.name, unquoted (neither part is quoted, so a dot inside a name is ambiguous). */
  table: string;
  name: string;
  /** pg_get_triggerdef. */
  definition: string;
  /** pg_trigger.tgenabled when not O (enabled): D disabled, R replica, A always. */
  enabled?: "D" | "R" | "A";
  /** Written only when not empty. */
  comment?: string;
}

export interface ModelPolicy {
  /** schema.name, unquoted (neither part is quoted, so a dot inside a name is ambiguous). */
  table: string;
  name: string;
  /** false: AS RESTRICTIVE. */
  permissive: boolean;
  command: "ALL" | "SELECT" | "INSERT" | "UPDATE" | "DELETE";
  /** Quoted role names (quote_ident), or PUBLIC. */
  roles?: string[];
  /** pg_get_expr; written only when present. */
  using?: string;
  /** pg_get_expr; written only when present. */
  check?: string;
  /** Written only when not empty. */
  comment?: string;
}

/** The schema model (docs/schema/schema-model.v1.json): what schemaDump() and schemaRender() return as JSON text with format "json"; JSON.parse it. */
export interface SchemaModel {
  schema_version: 1;
  /** The server's server_version_num, e.g. 150018; 0 for a model not read from a server (the `empty` source). */
  server_version_num: number;
  /** Schemas other than PostgreSQL's own (pg_catalog, information_schema, pg_*) and those an extension owns. By name. */
  schemas: ModelSchema[];
  /** Installed extensions except plpgsql. The objects an extension owns are never modelled. By name. */
  extensions: ModelExtension[];
  enums: ModelEnum[];
  domains: ModelDomain[];
  /** Stand-alone composite types (CREATE TYPE ... AS (...)); a table's row type is not listed. */
  composite_types: ModelCompositeType[];
  /** Stand-alone and serial sequences; identity sequences belong to their column (identity_options). A sequence owned by a table left out of the model is left out too. */
  sequences: ModelSequence[];
  /** Ordinary and partitioned tables, partitions included. By schema.name. */
  tables: ModelTable[];
  /** Indexes on tables and materialized views, except those behind a primary key, unique or exclusion constraint (the constraint stands for them) and a partition's indexes attached to a partitioned index. By schema.name. */
  indexes: ModelIndex[];
  /** Views and materialized views. By schema.name. */
  views: ModelView[];
  /** Functions and procedures (not aggregates or window functions: those are in unsupported). By schema.name(identity_arguments). */
  functions: ModelFunction[];
  /** User triggers on tables and views (not internal ones, not a partition's clones). By table, then name. */
  triggers: ModelTrigger[];
  /** Row-level security policies. By table, then name. */
  policies: ModelPolicy[];
  /** Objects present but not modelled, one line each, sorted. A diff never changes them; one present on one side only is a warning. */
  unsupported?: string[];
}

/**
 * Introspects the live database (read-only; a pooler is fine) off the event
 * loop and resolves with its schema as DDL, or as the model's JSON text
 * (a SchemaModel once parsed, which schema.diff() takes back as a saved model).
 */
export declare function schemaDump(
  databaseUrl: string | URL,
  options?: SchemaDumpOptions,
): Promise<string>;
/** Loads a model from `source` and resolves with it as DDL or JSON text. */
export declare function schemaRender(
  source: SchemaSource,
  options?: SchemaRenderOptions,
): Promise<string>;
/** The ordered changes, and their SQL, that turn `from` into `to`. */
export declare function schemaDiff(
  from: SchemaSource,
  to: SchemaSource,
  options?: SchemaOptions,
): Promise<DiffReport>;
/** The schema model: dump a database, render any source, diff two sources. */
export declare const schema: Readonly<{
  dump: typeof schemaDump;
  render: typeof schemaRender;
  diff: typeof schemaDiff;
}>;
/**
 * Drift: the live database against what the migrations at `dir` produce
 * (replayed on a shadow database that is always dropped). `report.drift` is
 * true when they differ; `report.sql` brings the database back to the
 * migrations.
 */
export declare function drift(
  databaseUrl: string | URL,
  dir: string | URL,
  options?: SchemaOptions,
): Promise<DiffReport>;
/**
 * After a deploy: every table, index and constraint the migrations at `dir`
 * define is present and valid (no INVALID index, no NOT VALID constraint the
 * migrations do not leave so).
 */
export declare function verify(
  databaseUrl: string | URL,
  dir: string | URL,
  options?: SchemaOptions,
): Promise<VerifyReport>;

/** The options every backup call takes besides its own. */
export interface BackupCallOptions {
  /** 0 or absent: none (then a TimeoutError). */
  timeoutMs?: number | null;
  /**
   * Cancels the call: pg_dump, pg_restore or psql is stopped (a restore rolls
   * back) and it rejects with a CancelledError. A backup written or a restore
   * committed meanwhile resolves.
   */
  signal?: AbortSignal | null;
  /** Progress events (the backup calls send none today; see onLog). */
  onProgress?: ((event: ProgressEvent) => void) | null;
  /** Called on the JS thread for each log line (never holds a password). */
  onLog?: ((record: LogRecord) => void) | null;
}

export interface BackupCreateOptions extends BackupCallOptions {
  /** The directory the backup goes to (created when missing). */
  dir: string | URL;
  /** A direct connection (a pooler is refused); default DIRECT_URL, else DATABASE_URL. */
  databaseUrl?: string | URL | null;
  /** 'custom' (pg_dump -Fc, the default) or 'plain-gz' (gzipped SQL). */
  format?: 'custom' | 'plain-gz' | null;
  /** The file's base name; default `<database>-YYYYMMDD-HHMMSS` (UTC). Never overwritten. */
  name?: string | null;
  /** 0-9, default 6. */
  compression?: number | null;
  /** Where pg_dump / pg_restore / psql are; default PG_BINDIR, the installations here, PATH. */
  pgBindir?: string | URL | null;
}

export interface BackupVerifyOptions extends BackupCallOptions {
  /** The backup file (or its manifest). */
  file?: string | URL | null;
  /** Without `file`: verify the newest backup in this directory. */
  dir?: string | URL | null;
  /** Also restore into a throwaway database, count tables and rows, drop it. */
  testRestore?: boolean | null;
  /** An empty database for the test restore (emptied again afterwards). */
  shadowDatabaseUrl?: string | URL | null;
  /** A server to create the temporary database on; default a throwaway cluster. */
  serverUrl?: string | URL | null;
  pgBindir?: string | URL | null;
}

export interface BackupRestoreOptions extends BackupCallOptions {
  /** The backup file (or its manifest). */
  file: string | URL;
  /** The target; default DIRECT_URL, else DATABASE_URL. */
  databaseUrl?: string | URL | null;
  /** The target database's name: a restore writes into it. */
  confirm: string;
  /** Restore over a database that holds tables (custom format), after a safety backup of it. */
  clean?: boolean | null;
  /** Where the safety backup goes; default the backup's directory. */
  safetyBackupDir?: string | URL | null;
  /** Skip owners and privileges (custom format). */
  noOwner?: boolean | null;
  pgBindir?: string | URL | null;
}

export interface BackupPruneOptions extends BackupCallOptions {
  dir: string | URL;
  /** Delete backups created more than this many days ago... */
  keepDays: number;
  /** ...but always keep this many of the newest (default 1). */
  keepMin?: number | null;
  /** List what would be deleted; delete nothing. */
  dryRun?: boolean | null;
}

/** `<backup file>.manifest.json` (docs/schema/backup-manifest.v1.json). */
export interface BackupManifest {
  schema_version: 1;
  kind: 'dbsafe-backup';
  file: string;
  format: 'custom' | 'plain-gz';
  bytes: number;
  sha256: string;
  database: string;
  /** The URL it was dumped from, password replaced by ***. */
  source: string;
  server_version: string;
  pg_dump_version: string;
  created_at: string;
  tables: number;
  table_data: number;
  entries: number;
  dbsafe_version: string;
}

export interface BackupCreated {
  path: string;
  manifest_path: string;
  manifest: BackupManifest;
  pg_dump: string;
  duration_ms: number;
}

export interface BackupCheck {
  name: 'manifest' | 'size' | 'sha256' | 'toc' | 'read' | 'gzip' | 'sql' | 'test_restore';
  ok: boolean;
  detail: string;
}

export interface BackupVerified {
  path: string;
  /** Every check passed. */
  ok: boolean;
  manifest: BackupManifest | null;
  checks: BackupCheck[];
  test_restore: {
    where: string;
    tables: number;
    rows: number;
    table_rows: { name: string; rows: number }[];
    duration_ms: number;
  } | null;
  duration_ms: number;
}

export interface BackupRestored {
  path: string;
  database: string;
  target: string;
  target_was_empty: boolean;
  clean: boolean;
  safety_backup: BackupCreated | null;
  single_transaction: boolean;
  tables: number;
  program: string;
  duration_ms: number;
}

/** docs/schema/backup-report.v1.json. */
export type BackupReportDocument =
  | { schema_version: 1; operation: 'create'; backup: BackupCreated }
  | { schema_version: 1; operation: 'verify'; verify: BackupVerified }
  | { schema_version: 1; operation: 'restore'; restore: BackupRestored; verify: BackupVerified };

export type BackupCreateReport = Extract<BackupReportDocument, { operation: 'create' }> & {
  readonly json: string;
};
export type BackupVerifyReport = Extract<BackupReportDocument, { operation: 'verify' }> & {
  readonly json: string;
};
export type BackupRestoreReport = Extract<BackupReportDocument, { operation: 'restore' }> & {
  readonly json: string;
};

/** Backups to files with pg_dump, for teams without Neon (docs/backup.md). */
export declare const backup: {
  create(options: BackupCreateOptions): Promise<BackupCreateReport>;
  /** A damaged backup resolves with `verify.ok === false`. */
  verify(options: BackupVerifyOptions): Promise<BackupVerifyReport>;
  /** A refusal or failure rejects; its error's `report` is the restore report. */
  restore(options: BackupRestoreOptions): Promise<BackupRestoreReport>;
  prune(options: BackupPruneOptions): Promise<PruneReport>;
};

/** maintenance()'s options (docs/maintenance.md). */
export interface MaintenanceOptions extends BackupCallOptions {
  /** 'on' opens the read-only window, 'off' closes it, 'status' reports it. */
  action: 'on' | 'off' | 'status';
  /** The database; default DIRECT_URL, else DATABASE_URL. Its owner or a superuser opens the window. */
  databaseUrl?: string | URL | null;
  /** With 'on' or 'status': end the sessions that connected before the window. */
  terminateWriters?: boolean | null;
  /** Who opens the window, recorded with it; default GITHUB_ACTOR or USER. */
  actor?: string | null;
}

/** A session that connected before the window opened and can still write. */
export interface MaintenanceWriter {
  pid: number;
  user: string;
  application_name: string;
  /** null: a Unix-domain socket. */
  client_addr: string | null;
  /** null: hidden from a role without pg_read_all_stats. */
  backend_start: string | null;
  state: string;
  /** With terminateWriters. */
  outcome?: 'terminated' | 'not_terminated' | 'gone';
  /** Why it was not ended (e.g. lacking permission). */
  error?: string;
}

/** docs/schema/maintenance-report.v1.json. */
export interface MaintenanceReport {
  schema_version: 1;
  kind: 'dbsafe-maintenance';
  action: 'on' | 'off' | 'status';
  database: string;
  /** The URL, password replaced by ***. */
  target: string;
  /** default_transaction_read_only is on for the database after the call. */
  read_only: boolean;
  /** The call opened or closed the window (false: it already was so). */
  changed: boolean;
  /** The window as dbsafe recorded it; null when there is no record. */
  window: {
    since: string;
    opened_by: string;
    opened_by_role: string;
    /** The per-database setting before the window; null: none (off RESETs). */
    previous_setting: string | null;
  } | null;
  /** 'off' only: the value put back; null: RESET. */
  restored_setting?: string | null;
  writers: MaintenanceWriter[];
  terminated: number;
  not_terminated: number;
  warnings: string[];
  duration_ms: number;
  readonly json: string;
}

/**
 * The read-only window: ALTER DATABASE … SET default_transaction_read_only =
 * on, the previous setting recorded and restored exactly by 'off', the
 * sessions that can still write listed (and ended with terminateWriters).
 * Runs off the event loop.
 */
export declare function maintenance(options: MaintenanceOptions): Promise<MaintenanceReport>;

/** deploy()'s options: the target and the call options (docs/deploy.md). */
export interface DeployOptions {
  /**
   * The NAME of a `[targets.NAME]` table of dbsafe.toml. Absent in a Vercel
   * build: the target the `[vercel]` table maps VERCEL_ENV to (outcome
   * 'skipped' when it maps to "skip").
   */
  target?: string | null;
  /** The dbsafe.toml; default: in the current directory or the nearest parent. */
  config?: string | URL | null;
  /** Connect, plan, check and gate only: nothing changes, no audit record. */
  dryRun?: boolean | null;
  /** One approval, by the actor (like `--approve`; DBSAFE_APPROVE=1 too). */
  approve?: boolean | null;
  /** Approvals by name; distinct names count toward the target's `approvals`. */
  approvedBy?: string[] | null;
  /**
   * A command run with /bin/sh -c after the migrations (DATABASE_URL and
   * DIRECT_URL set), like `--seed`; only on a target with allow_seed = true.
   */
  seedCommand?: string | null;
  /** 0 or absent: none (then a TimeoutError). */
  timeoutMs?: number | null;
  /**
   * Cancels the deploy (the running statement is cancelled on the server): it
   * rejects with a CancelledError. A deploy that finished meanwhile resolves.
   */
  signal?: AbortSignal | null;
  /** Called on the JS thread after each step: `{ event: 'deploy-step', ... }`. */
  onProgress?: ((event: DeployProgressEvent) => void) | null;
  /** Called on the JS thread for each log line of the deploy and its provider. */
  onLog?: ((record: LogRecord) => void) | null;
}

/** The progress events of deploy(); narrow on `event`. */
export type DeployProgressEvent =
  | { event: 'deploy-step' | 'restore-step'; step: DeployStepName; status: DeployStepStatus; detail: string }
  | { event: string; [key: string]: unknown };

export type DeployStepName =
  | 'branch'
  | 'connect'
  | 'plan'
  | 'check'
  | 'gate'
  | 'snapshot'
  | 'apply'
  | 'restore'
  | 'verify'
  | 'seed'
  | 'audit'
  | 'notify'
  | 'resolve'
  | 'safety-snapshot';
export type DeployStepStatus = 'ok' | 'skipped' | 'failed' | 'blocked';

/** One step of the pipeline, in the order it ran. */
export interface DeployStep {
  name: DeployStepName;
  status: DeployStepStatus;
  duration_ms: number;
  /** What it did, or why it was skipped or failed. */
  detail: string;
}

/** The deploy report's document (docs/schema/deploy-report.v1.json). */
export interface DeployReportDocument {
  schema_version: 1;
  /** The primary key of its dbsafe.audit row and the id of its audit file line. */
  id: string;
  /** deploy() or restore(). */
  operation: 'deploy' | 'restore';
  target: string;
  dry_run: boolean;
  /**
   * deployed; up-to-date (nothing pending); dry-run; stopped (the gate needs an
   * approval); blocked (block_on or allow_seed); failed; restored; cancelled.
   */
  outcome:
    | 'deployed'
    | 'up-to-date'
    | 'dry-run'
    | 'skipped'
    | 'stopped'
    | 'blocked'
    | 'failed'
    | 'restored'
    | 'cancelled';
  /**
   * The CLI's exit code (docs/cli.md): 0 done, 1 stopped by the gate (or would
   * be, in a dry run), 2 needs a person, 3 configuration, 4 cannot connect,
   * 5 failed part-way, 130 cancelled. A build script should exit with it.
   */
  exit_code: 0 | 1 | 2 | 3 | 4 | 5 | 130;
  /** What happened, in one sentence. */
  message: string;
  started_at: string;
  finished_at: string;
  git_sha: string;
  actor: string;
  /** The URL applied through, its password replaced by ***. */
  database: string;
  server_version_num: number;
  /** VERCEL_ENV when the target came from the [vercel] table; null otherwise. */
  vercel_env: string | null;
  /** branch_per_git_branch: the Neon branch deployed to. */
  branch: { id: string; name: string; expires_at: string | null; created: boolean } | null;
  steps: DeployStep[];
  /** Migrations pending when the deploy planned, in order. */
  pending: string[];
  /** Migrations this deploy applied. */
  applied: string[];
  gate: {
    decision: 'none' | 'approved' | 'needs-approval' | 'blocked';
    highest_level: 'off' | 'info' | 'warning' | 'error';
    approvals_required: number;
    /** Distinct approver names, sorted. */
    approved_by: string[];
    /** When the gate stopped the deploy: the command line that approves it. */
    approve_hint: string | null;
  };
  /** The check report of the pending migrations; null when the check did not run. */
  check: Omit<CheckReport, 'json'> | null;
  /** The snapshot taken before applying; null when none was taken. */
  snapshot: Snapshot | null;
  /** After a failure once the snapshot exists: the command that restores it. */
  restore_command: string | null;
  restored: boolean;
  /** restore(): what it restored, and the snapshot of the data it replaced. */
  restore: {
    from: string;
    safety_snapshot: Snapshot | null;
    /** Audit rows the restore rewound out of dbsafe.audit, written back from the audit file. */
    audit_rows_written_back: number;
  } | null;
  verify: { ran: boolean; drift_changes: number; problems: string[] };
  warnings: string[];
  audit: { file: string | null; row_written: boolean; line_written: boolean };
  notified: boolean;
}

/** What deploy() resolves with. */
export interface DeployReport extends DeployReportDocument {
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/**
 * Runs the safe-deploy pipeline for one `[targets.NAME]` table of dbsafe.toml
 * (connect, plan, check, gate, snapshot, apply, verify, audit, notify) off the
 * event loop. A deploy the gate stopped resolves: `report.exit_code` is 1 and
 * `report.outcome` 'stopped' or 'blocked'. A failure rejects with a
 * DbsafeError whose `report` is the deploy report (with the restore command
 * after a snapshot) once the target was read.
 */
export declare function deploy(options?: DeployOptions): Promise<DeployReport>;

/** restore()'s options (docs/deploy.md, "Restore"). */
export interface RestoreOptions {
  /** The NAME of a `[targets.NAME]` table of dbsafe.toml (required). */
  target: string;
  /** A snapshot's name or id, or a time for a point-in-time restore (neon) (required). */
  from: string | Date;
  /** The target's NAME or 'RESTORE' (required unless dryRun): the restore replaces its data. */
  confirm?: string | null;
  config?: string | URL | null;
  /** Apply the migrations newer than the restored state again, then verify. */
  reapply?: boolean | null;
  /**
   * The read-only window (docs/maintenance.md) on the restored database
   * around plan, apply and verify; closed afterwards, also on failure.
   */
  maintenance?: boolean | null;
  /** Connect and find the snapshot only; nothing changes. */
  dryRun?: boolean | null;
  /** Snapshot the data being replaced first (default true). */
  safetySnapshot?: boolean | null;
  /** On a target with approvals = N > 1: N distinct names, else the restore stops (exit_code 1). */
  approvedBy?: string[] | null;
  timeoutMs?: number | null;
  signal?: AbortSignal | null;
  /** Called on the JS thread after each step: `{ event: 'restore-step', ... }`. */
  onProgress?: ((event: DeployProgressEvent) => void) | null;
  onLog?: ((record: LogRecord) => void) | null;
}

/**
 * The guarded restore of one target: a safety snapshot, the restore, the
 * newer migrations again with `reapply`, verify, the audit trail written back.
 */
export declare function restore(options: RestoreOptions): Promise<DeployReport>;

/** Which provider: Neon (API v2) or a PostgreSQL server you own. */
export type ProviderKind = 'neon' | 'local';

/**
 * openProvider()'s settings; the ones a kind does not use are ignored.
 * Missing Neon settings come from NEON_API_KEY, NEON_PROJECT_ID and
 * NEON_API_HOST; the local database from DATABASE_URL.
 */
export interface ProviderOptions {
  /** Default 'neon'. */
  kind?: ProviderKind | null;
  /**
   * neon: default NEON_API_KEY. Sent only in the Authorization header; never
   * in a message, a log line or a report.
   */
  apiKey?: string | null;
  /** neon: default NEON_PROJECT_ID. */
  projectId?: string | null;
  /** neon: default NEON_API_HOST, else https://console.neon.tech/api/v2. */
  apiHost?: string | URL | null;
  /** neon: extra CA certificates (PEM) trusted besides the system store. */
  caFile?: string | URL | null;
  /** neon: the database of connection URLs; default 'neondb'. */
  database?: string | null;
  /** neon: the role of connection URLs; default 'neondb_owner'. */
  role?: string | null;
  /** neon: how long to wait for an operation (and for 423 "locked" to clear); default 300000. */
  operationTimeoutMs?: number | null;
  /** neon: how often to ask whether an operation finished; default 1000. */
  pollIntervalMs?: number | null;
  /** local: the database snapshots are taken of (its role needs CREATEDB); default DATABASE_URL. */
  databaseUrl?: string | URL | null;
  /**
   * local: 'template' (default; fast, needs the source free of sessions) or
   * 'dump' (pg_dump | pg_restore; works while the application is connected).
   */
  localMethod?: 'template' | 'dump' | null;
  /** local: end the sessions that block a copy or a restore instead of failing with their names. */
  terminateBlockers?: boolean | null;
  /** local: where pg_dump and pg_restore are; default PG_BINDIR, else found on this machine. */
  pgBindir?: string | URL | null;
}

/** One log line of a call. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warning' | 'error';
  /** e.g. 'provider.neon', 'provider.local', 'http'. */
  component: string;
  /** Never holds the API key or a password. */
  message: string;
}

/** The options every Provider method takes besides its own. */
export interface ProviderCallOptions {
  /**
   * Timeout in milliseconds of each library call the method makes (a delete
   * or restore lists first to find its target); 0 or absent: none (a TimeoutError).
   */
  timeoutMs?: number | null;
  /**
   * Cancels the call (and a call still waiting for its turn): it rejects with
   * a CancelledError. A Neon operation already started still finishes on Neon.
   */
  signal?: AbortSignal | null;
  /** Called for each progress event (the provider calls send none today; see onLog). */
  onProgress?: ((event: ProgressEvent) => void) | null;
  /**
   * Called on the JS thread for each log line (what is being created, copied,
   * waited for), always before the promise settles. If it throws, the call is
   * cancelled and rejects with what it threw.
   */
  onLog?: ((record: LogRecord) => void) | null;
}

/** A branch (local: the database itself, or a copy made by createBranch()). */
export interface Branch {
  id: string;
  name: string;
  /** "" for a root branch. */
  parent_id: string;
  /** neon: 'init', 'ready', ...; local: 'ready'. */
  state: string;
  /** The default branch (local: the database itself): never deleted by dbsafe. */
  default: boolean;
  protected: boolean;
  /** RFC 3339, UTC ("" for the local database itself). */
  created_at: string;
  expires_at: string | null;
}

/** A snapshot: Neon's native snapshot, or a local database copy. */
export interface Snapshot {
  id: string;
  name: string;
  /** neon: the branch id; local: the source database's name. */
  source_branch_id: string;
  /** RFC 3339, UTC. */
  created_at: string;
  expires_at: string | null;
  protected: boolean;
  /** 'branch' when a branch holds the backup (an interrupted quota rotation). */
  kind: 'snapshot' | 'branch';
}

/** What listBranches() and listSnapshots() resolve with. */
export type ProviderList<T> = T[] & {
  /** The exact JSON text the library produced, {"schema_version":1,...} (non-enumerable). */
  readonly json: string;
};

/** A branch or snapshot as create*() resolve with it. */
export type Created<T> = T & {
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
};

/** What a restore resolves with. */
export interface RestoreResult {
  schema_version: 1;
  /** The branch that now holds the restored data. */
  branch: Branch;
  /** The name the replaced data is kept under ("" when nothing was kept). */
  replaced_by: string;
  notes: string[];
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** The rotate report (docs/schema/rotate-report.v1.json). */
export interface RotateReport {
  schema_version: 1;
  /** The new backup, ready. */
  snapshot: Snapshot;
  /** The previous snapshot of that name, deleted once the new one was ready; else null. */
  replaced: Snapshot | null;
  /** The temporary branch that held the backup while a full snapshot quota was made room in. */
  bridge_branch: string | null;
  /** What was done, in order. */
  steps: string[];
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** The prune report (docs/schema/prune-report.v1.json). */
export interface PruneReport {
  schema_version: 1;
  /** true: `deleted` lists what would have been deleted; nothing was. */
  dry_run: boolean;
  /** Names, newest first. */
  deleted: string[];
  /** Names with the reason each was kept ('just taken', 'protected', 'default branch', ...). */
  kept: { name: string; reason: string }[];
  /** The exact JSON text the library produced (non-enumerable). */
  readonly json: string;
}

/** A time: RFC 3339 text, or a Date. */
export type Time = string | Date;

export interface CreateBranchOptions extends ProviderCallOptions {
  /** neon: optional (Neon names it); local: required. */
  name?: string | null;
  /** Name or id; default: the default branch. */
  parent?: string | null;
  /** neon: branch from this time in the past. */
  atTimestamp?: Time | null;
  /** neon: branch from this LSN. */
  atLsn?: string | null;
  /** After this, pruneBranches() deletes it (and Neon too). */
  expiresAt?: Time | null;
  /** neon: with a read-write compute to connect to; default true. */
  withEndpoint?: boolean | null;
}

export interface CreateSnapshotOptions extends ProviderCallOptions {
  name: string;
  /** Name or id; default: the default branch (local: the database). */
  branch?: string | null;
  /** neon: the snapshot as of this time in the past. */
  atTimestamp?: Time | null;
  /** neon: the snapshot as of this LSN. */
  atLsn?: string | null;
  expiresAt?: Time | null;
}

/** What a delete or restore destroys, named: a library cannot ask. */
export interface ConfirmOptions extends ProviderCallOptions {
  /**
   * The name or id of what the call destroys (the branch or snapshot
   * deleted, the branch whose data a restore replaces). Without it, or when it
   * names something else, the call changes nothing and rejects with an
   * InvalidArgumentError saying which confirm to pass.
   */
  confirm?: string | null;
}

export interface RestoreBranchOptions extends ConfirmOptions {
  /** The time to rewind the branch to. */
  atTimestamp: Time;
  /** The name the replaced data is kept under; default "<name> (old <timestamp>)". */
  preserveUnderName?: string | null;
}

export interface ConnectionUrlOptions extends ProviderCallOptions {
  /** Through the pooler (neon); default false. */
  pooled?: boolean | null;
}

export interface RestoreSnapshotOptions extends ConfirmOptions {
  /** The branch that gets the data (name or id); default: the snapshot's source branch. */
  targetBranch?: string | null;
  /**
   * neon: the target keeps its name, id and connection URL, and the branch
   * it replaced keeps running as "<name> (old)"; default true. false: the
   * data comes back on a new branch.
   */
  finalize?: boolean | null;
  /** The name the replaced data is kept under. */
  preserveUnderName?: string | null;
}

export interface RotateSnapshotOptions extends ProviderCallOptions {
  /** Default 'pre-deploy-backup'. */
  name?: string | null;
  /** Name or id; default: the default branch. */
  branch?: string | null;
}

/** Which snapshots or branches a policy keeps. */
export interface RetentionPolicyOptions extends ProviderCallOptions {
  /** Only names that start with this. */
  namePrefix?: string | null;
  /** Keep the N newest whatever their age. */
  keepLast?: number | null;
  /** Delete the others older than this; without it, those beyond keepLast. */
  maxAgeSeconds?: number | null;
  /** Never deleted. */
  protectedNames?: readonly string[] | null;
  /** Say what would be deleted; delete nothing. */
  dryRun?: boolean | null;
}

export interface SnapshotRetentionOptions extends RetentionPolicyOptions {
  /** The snapshot just taken (id or name): never deleted. */
  justTaken?: string | null;
}

export interface PruneBranchesOptions extends RetentionPolicyOptions {
  /** Delete branches past their expiry; default true. */
  expired?: boolean | null;
  /**
   * Delete the "(old …)" branches restores leave (with maxAgeSeconds: only
   * the older ones); default true.
   */
  oldRestoreBranches?: boolean | null;
}

/**
 * An open snapshot and branch provider, made by openProvider(). Its calls run
 * off the event loop one at a time, in the order they were made. Rejections
 * are DbsafeErrors (NotFoundError for a name that does not exist,
 * StateError for the default or a protected branch, AuthError for a refused
 * key, InvalidArgumentError for a bad option, naming it).
 */
export declare class Provider {
  private constructor();
  readonly kind: ProviderKind;
  /** Whether close() was called. */
  readonly closed: boolean;
  /** HTTP requests made by the calls that ended (neon; 0 for local). */
  readonly requestsMade: number;
  listBranches(options?: ProviderCallOptions): Promise<ProviderList<Branch>>;
  /** Creates a branch and waits until it is ready. */
  createBranch(options?: CreateBranchOptions): Promise<Created<Branch>>;
  /** Deletes the branch once `options.confirm` names it; resolves with it. */
  deleteBranch(nameOrId: string, options?: ConfirmOptions): Promise<Branch>;
  /** neon: rewinds a branch in place to `options.atTimestamp` once `options.confirm` names it. */
  restoreBranch(nameOrId: string, options: RestoreBranchOptions): Promise<RestoreResult>;
  /** The branch's connection URL (it holds a password). */
  connectionUrl(nameOrId: string, options?: ConnectionUrlOptions): Promise<string>;
  listSnapshots(options?: ProviderCallOptions): Promise<ProviderList<Snapshot>>;
  /** Creates a snapshot and waits until it is ready. */
  createSnapshot(options: CreateSnapshotOptions): Promise<Created<Snapshot>>;
  /** Deletes the snapshot (by id, or the newest of that name) once `options.confirm` names it. */
  deleteSnapshot(nameOrId: string, options?: ConfirmOptions): Promise<Snapshot>;
  /** Puts a snapshot's data back once `options.confirm` names the branch it replaces. */
  restoreSnapshot(nameOrId: string, options?: RestoreSnapshotOptions): Promise<RestoreResult>;
  /** The single rotating backup: the new snapshot is ready before the old one is deleted. */
  rotateSnapshot(options?: RotateSnapshotOptions): Promise<RotateReport>;
  /** Applies a retention policy to snapshots. */
  applySnapshotRetention(options?: SnapshotRetentionOptions): Promise<PruneReport>;
  /** Deletes expired and "(old …)" branches, and applies a policy to a name prefix. */
  pruneBranches(options?: PruneBranchesOptions): Promise<PruneReport>;
  /**
   * Accepts no new call; the calls already made finish, then the handle is
   * freed. Also Symbol.asyncDispose where the runtime has it.
   */
  close(): Promise<void>;
}

/**
 * Opens a snapshot and branch provider. Checks the settings and makes no
 * request; rejects with an InvalidArgumentError naming a missing or bad one.
 */
export declare function openProvider(options?: ProviderOptions): Promise<Provider>;

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
  /**
   * The report a failed call sent as its detail, else null: the migrate report
   * of a failed migrate call, the deploy report of a failed deploy()
   * (narrow on `'steps' in report`), or the restore report of a refused or
   * failed backup.restore() (narrow on `'operation' in report`).
   */
  readonly report: MigrateReportDocument | DeployReportDocument | BackupReportDocument | null;
  /** The migrate report's `failure`: where and why its deploy stopped; else null. */
  readonly failure: MigrationFailure | null;
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
/** DBSAFE_ESTATE: the target's state needs a person first (a failed or modified migration). */
export declare class StateError extends DbsafeError {}

// --- The SQLite copy (docs/copy.md) ---

export interface CopyOptions extends BackupCallOptions {
  /** The SQLite file: 'sqlite:PATH', a plain path or a file: URL. Opened read-only. */
  from: string | URL;
  /** The PostgreSQL database whose schema exists; default DATABASE_URL. */
  to?: string | URL | null;
  /** Only these SQLite tables. */
  tables?: string[] | null;
  /** A TOML (or .json) file renaming tables and columns. */
  mapping?: string | URL | null;
  /** Plan, convert every value, list failures; change nothing. */
  dryRun?: boolean | null;
  /** Empty target tables that hold rows first; needs `confirm`. */
  truncate?: boolean | null;
  /** With truncate: the target database's name. */
  confirm?: string | null;
  /** Everything in one transaction (no resume) instead of one per table. */
  singleTransaction?: boolean | null;
  /** Row counts and digests after the copy; default true. */
  verify?: boolean | null;
}

export interface CopyDifference {
  key: string;
  kind: 'changed' | 'missing' | 'extra';
}

export interface CopyTableReport {
  source: string;
  target: string;
  status: 'copied' | 'resumed' | 'planned' | 'failed' | 'blocked' | 'rolled-back';
  source_rows: number;
  copied_rows: number;
  duration_ms: number;
  rows_per_second: number;
  conversions: string[];
  sequences_reset: string[];
  note: string;
  verification: {
    target_rows: number;
    source_digest: string;
    target_digest: string;
    equal: boolean;
    differences_total: number;
    differences: CopyDifference[];
  } | null;
}

export interface CopyConversionFailure {
  table: string;
  rowid: number;
  key: string;
  column: string;
  value: string;
  reason: string;
}

/** docs/schema/copy-report.v1.json */
export interface CopyReport {
  schema_version: 1;
  kind: 'dbsafe-copy';
  source: string;
  source_identity: string;
  target: string;
  schema: string;
  copy_id: string;
  dry_run: boolean;
  single_transaction: boolean;
  verify: boolean;
  ok: boolean;
  rows_copied: number;
  duration_ms: number;
  tables: CopyTableReport[];
  skipped: string[];
  cycles: string[];
  failures_total: number;
  failures: CopyConversionFailure[];
}

/**
 * Copies a SQLite database into an existing PostgreSQL schema, off the event
 * loop; resolves with the report (`ok` false: values that did not convert or
 * verification differences).
 */
export declare function copy(options: CopyOptions): Promise<CopyReport>;
