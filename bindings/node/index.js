'use strict';
// dbsafe for Node.js: the idiomatic layer over the native addon (src/addon.cpp),
// which itself calls only dbsafe's stable C ABI.

const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');

// The platform package npm installs on linux-x64 with glibc (an
// optionalDependency of the published package): a prebuilt, self-contained
// addon, so machines without libpq or a toolchain (a Vercel build) need no
// build. Elsewhere it is absent and the addon built by `npm install` is used.
const PLATFORM_PACKAGE = 'dbsafe-linux-x64-gnu';

function platformAddon() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  try {
    return require.resolve(`${PLATFORM_PACKAGE}/dbsafe.node`, { paths: [__dirname] });
  } catch {
    return null;
  }
}

function requireAddon(file) {
  try {
    return require(file);
  } catch (cause) {
    throw new Error(
      `dbsafe: loading the native addon ${file} failed: ${cause.message}. ` +
        'Rebuild it with `npm install` in bindings/node.',
      { cause },
    );
  }
}

function loadAddon() {
  const override = process.env.DBSAFE_NODE_ADDON;
  const local = path.join(__dirname, 'build', 'Release', 'dbsafe.node');
  if (override) {
    const file = path.resolve(override);
    if (!fs.existsSync(file)) {
      throw new Error(
        `dbsafe: DBSAFE_NODE_ADDON points to ${file}, which does not exist. ` +
          'Build the dbsafe_node CMake target and set DBSAFE_NODE_ADDON to the produced dbsafe.node, ' +
          'or unset it.',
      );
    }
    return requireAddon(file);
  }
  const prebuilt = platformAddon();
  if (prebuilt) {
    try {
      return require(prebuilt);
    } catch (cause) {
      // A platform package that does not load here (a libc too old for it)
      // gives way to an addon built on this machine, when there is one.
      if (!fs.existsSync(local)) {
        throw new Error(
          `dbsafe: loading the prebuilt addon ${prebuilt} (${PLATFORM_PACKAGE}) failed: ${cause.message}. ` +
            'It needs Linux x64 with glibc 2.34 or newer; elsewhere build the addon from source ' +
            '(npm install in bindings/node of a dbsafe checkout, with CMake and the libraries its README lists).',
          { cause },
        );
      }
    }
  }
  if (!fs.existsSync(local)) {
    throw new Error(
      `dbsafe: the native addon ${local} has not been built and the prebuilt ${PLATFORM_PACKAGE} ` +
        'package is not installed (it exists for Linux x64 with glibc only). Run `npm install` in ' +
        'bindings/node (it builds the addon with CMake), or build the dbsafe_node CMake target and ' +
        'set DBSAFE_NODE_ADDON to the produced dbsafe.node.',
    );
  }
  return requireAddon(local);
}

const addon = loadAddon();

/** The C ABI's status codes (dbsafe_status), by symbolic name. They never change. */
const Status = Object.freeze({
  DBSAFE_OK: 0,
  DBSAFE_ERROR: -1,
  DBSAFE_EINVALID: -2,
  DBSAFE_ENOTFOUND: -3,
  DBSAFE_EPARSE: -4,
  DBSAFE_EDB: -5,
  DBSAFE_EHTTP: -6,
  DBSAFE_EAUTH: -7,
  DBSAFE_ETIMEOUT: -8,
  DBSAFE_ECANCELLED: -9,
  DBSAFE_EUSER: -10,
  DBSAFE_EVERSION: -11,
  DBSAFE_EIO: -12,
  DBSAFE_ECONNECT: -13,
  DBSAFE_ESTATE: -14,
});

const LAYOUTS = Object.freeze(['auto', 'prisma', 'plain', 'flyway', 'dbmate', 'golang-migrate']);

function statusName(status) {
  return addon.statusName(status);
}

/**
 * The error every failed dbsafe call throws or rejects with. `code` is the
 * symbolic name of the C status ('DBSAFE_ENOTFOUND'), `status` its negative
 * number; the other fields are null when the error does not carry them.
 */
class DbsafeError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    const status = typeof fields.status === 'number' ? fields.status : Status.DBSAFE_ERROR;
    this.name = new.target.name;
    this.code = fields.code ?? statusName(status);
    this.status = status;
    this.sqlstate = fields.sqlstate ?? null;
    this.file = fields.file ?? null;
    this.line = fields.line || null;
    this.column = fields.column || null;
    this.httpStatus = fields.httpStatus || null;
    this.detail = fields.detail ?? {};
    // A failed migrate call (a deploy stopped by an SQL error) carries its
    // migrate report as the detail, a failed deploy() its deploy report;
    // `report` is that report, `failure` the migrate report's failure.
    this.report =
      isMigrateReport(this.detail) || isDeployReport(this.detail) || isBackupReport(this.detail)
        ? this.detail
        : null;
    this.failure = this.report?.failure ?? null;
  }
}

const MIGRATE_COMMANDS = Object.freeze(['status', 'deploy', 'resolve', 'baseline']);

// Whether an error's detail is a migrate report (docs/schema/migrate-report.v1.json).
function isMigrateReport(detail) {
  return (
    detail !== null &&
    typeof detail === 'object' &&
    detail.schema_version === 1 &&
    MIGRATE_COMMANDS.includes(detail.command) &&
    Array.isArray(detail.migrations)
  );
}

// Whether an error's detail is a deploy report (docs/schema/deploy-report.v1.json).
function isDeployReport(detail) {
  return (
    detail !== null &&
    typeof detail === 'object' &&
    detail.schema_version === 1 &&
    typeof detail.target === 'string' &&
    typeof detail.exit_code === 'number' &&
    Array.isArray(detail.steps)
  );
}

// Whether an error's detail is a backup restore report
// (docs/schema/backup-report.v1.json): a refused or failed restore carries it.
function isBackupReport(detail) {
  return (
    detail !== null &&
    typeof detail === 'object' &&
    detail.schema_version === 1 &&
    ['create', 'verify', 'restore'].includes(detail.operation)
  );
}

/** DBSAFE_ERROR: an internal error in dbsafe (please report it). */
class InternalError extends DbsafeError {}
/** DBSAFE_EINVALID: an invalid argument or input. */
class InvalidArgumentError extends DbsafeError {}
/** DBSAFE_ENOTFOUND: a path or named object does not exist. */
class NotFoundError extends DbsafeError {}
/** DBSAFE_EPARSE: SQL or configuration could not be parsed. */
class ParseError extends DbsafeError {}
/** DBSAFE_EDB: the database reported an error (see `sqlstate`). */
class DatabaseError extends DbsafeError {}
/** DBSAFE_EHTTP: an HTTP API reported an error (see `httpStatus`). */
class HttpError extends DbsafeError {}
/** DBSAFE_EAUTH: authentication or authorisation failed. */
class AuthError extends DbsafeError {}
/** DBSAFE_ETIMEOUT: the call's timeout expired. */
class TimeoutError extends DbsafeError {}
/** DBSAFE_ECANCELLED: the call was cancelled (AbortSignal). */
class CancelledError extends DbsafeError {}
/** DBSAFE_EUSER: a callback asked the call to stop. */
class CallbackError extends DbsafeError {}
/** DBSAFE_EVERSION: an options struct carried an unknown version. */
class VersionError extends DbsafeError {}
/** DBSAFE_EIO: reading or writing a file failed. */
class IoError extends DbsafeError {}
/** DBSAFE_ECONNECT: the server (database, HTTP API) cannot be reached. */
class ConnectError extends DbsafeError {}
/** DBSAFE_ESTATE: the target's state needs a person first (a failed or modified migration). */
class StateError extends DbsafeError {}

const ERROR_CLASSES = new Map([
  [Status.DBSAFE_ERROR, InternalError],
  [Status.DBSAFE_EINVALID, InvalidArgumentError],
  [Status.DBSAFE_ENOTFOUND, NotFoundError],
  [Status.DBSAFE_EPARSE, ParseError],
  [Status.DBSAFE_EDB, DatabaseError],
  [Status.DBSAFE_EHTTP, HttpError],
  [Status.DBSAFE_EAUTH, AuthError],
  [Status.DBSAFE_ETIMEOUT, TimeoutError],
  [Status.DBSAFE_ECANCELLED, CancelledError],
  [Status.DBSAFE_EUSER, CallbackError],
  [Status.DBSAFE_EVERSION, VersionError],
  [Status.DBSAFE_EIO, IoError],
  [Status.DBSAFE_ECONNECT, ConnectError],
  [Status.DBSAFE_ESTATE, StateError],
]);

function makeError(status, message, fields = {}) {
  const ErrorClass = ERROR_CLASSES.get(status) ?? DbsafeError;
  return new ErrorClass(message, { ...fields, status });
}

// Turns the addon's Error (with dbsafeStatus / dbsafeErrorJson) into a
// DbsafeError whose message is `describe(library message)`; any other error
// (TypeError from argument checks) passes through.
function fromNative(error, describe = (message) => message) {
  if (error === null || typeof error !== 'object' || typeof error.dbsafeStatus !== 'number') {
    return error;
  }
  let parsed = {};
  if (typeof error.dbsafeErrorJson === 'string') {
    try {
      parsed = JSON.parse(error.dbsafeErrorJson);
    } catch {
      parsed = {};
    }
  }
  const status = typeof parsed.code === 'number' ? parsed.code : error.dbsafeStatus;
  const message = typeof parsed.message === 'string' ? parsed.message : error.message;
  return makeError(status, describe(message, status), {
    code: typeof parsed.name === 'string' ? parsed.name : error.dbsafeStatusName,
    sqlstate: parsed.sqlstate,
    file: parsed.file,
    line: parsed.line,
    column: parsed.column,
    httpStatus: parsed.http_status,
    detail: parsed.detail && typeof parsed.detail === 'object' ? parsed.detail : {},
  });
}

function cancelledError(signal) {
  return makeError(Status.DBSAFE_ECANCELLED, 'dbsafe: the operation was cancelled', {
    cause: signal.reason,
  });
}

function invalidArg(message) {
  const error = new TypeError(message);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function toPath(dir) {
  if (dir instanceof URL) return fileURLToPath(dir);
  if (typeof dir !== 'string' || dir.length === 0) {
    throw invalidArg('dbsafe: the migrations path must be a non-empty string or a file: URL');
  }
  return dir;
}

function isAbortSignal(value) {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' &&
    typeof value.removeEventListener === 'function'
  );
}

// Splits the user's options into what the addon takes and what stays in JS.
function readOptions(options, { allowAsync }) {
  if (options === undefined || options === null) return { native: {} };
  if (typeof options !== 'object') throw invalidArg('dbsafe: options must be an object');
  const { layout, maxFileBytes, timeoutMs, signal, onProgress } = options;
  if (layout !== undefined && !LAYOUTS.includes(layout)) {
    const error = new TypeError(
      `dbsafe: options.layout must be one of ${LAYOUTS.map((l) => `'${l}'`).join(', ')}`,
    );
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  for (const [name, value, max] of [
    ['maxFileBytes', maxFileBytes, Number.MAX_SAFE_INTEGER],
    ['timeoutMs', timeoutMs, 0xffffffff],
  ]) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      const error = new RangeError(`dbsafe: options.${name} must be an integer from 0 to ${max}`);
      error.code = 'ERR_OUT_OF_RANGE';
      throw error;
    }
  }
  if (!allowAsync && (signal !== undefined || onProgress !== undefined)) {
    throw invalidArg('dbsafe: signal and onProgress are only supported by the asynchronous calls');
  }
  if (signal !== undefined && signal !== null && !isAbortSignal(signal)) {
    throw invalidArg('dbsafe: options.signal must be an AbortSignal');
  }
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    throw invalidArg('dbsafe: options.onProgress must be a function');
  }
  const native = {};
  if (layout !== undefined) native.layout = layout;
  if (maxFileBytes !== undefined) native.maxFileBytes = maxFileBytes;
  if (timeoutMs !== undefined) native.timeoutMs = timeoutMs;
  return { native, signal: signal ?? undefined, onProgress: onProgress ?? undefined };
}

function parseListing(text) {
  const set = JSON.parse(text);
  Object.defineProperty(set, 'json', { value: text, enumerable: false });
  return set;
}

// The names of the C ABI's log levels (dbsafe_log_level).
const LOG_LEVELS = new Map([
  [10, 'debug'],
  [20, 'info'],
  [30, 'warning'],
  [40, 'error'],
]);

// Runs an asynchronous addon call, `start(cancel, progress, withLog)`, with
// the user's AbortSignal and progress callback; resolves with the text it
// wrote. `describe` is fromNative's. With `completionWins`, a call that
// finished although the signal was aborted meanwhile resolves: it changed the
// database, and a CancelledError would say it had not. With `onLog`, the
// call's log lines reach it as { level, component, message } (the addon
// calls `progress(undefined, level, component, message)` for them).
async function runAsync(start, signal, onProgress, describe, settings = {}) {
  const { completionWins = false, onLog } = settings;
  if (signal?.aborted) throw cancelledError(signal);

  const cancel = signal || onProgress || onLog ? addon.cancelNew() : null;
  const onAbort = () => addon.cancelRequest(cancel);
  let callbackFailed = false;
  let callbackError;
  const deliver = (callback, event) => {
    if (callbackFailed) return;
    try {
      callback(event());
    } catch (error) {
      // The callback's exception ends the call and becomes its rejection.
      callbackFailed = true;
      callbackError = error;
      addon.cancelRequest(cancel);
    }
  };
  const progress =
    onProgress || onLog
      ? (eventJson, level, component, message) => {
          if (eventJson !== undefined) {
            if (onProgress) deliver(onProgress, () => JSON.parse(eventJson));
          } else if (onLog) {
            deliver(onLog, () => ({ level: LOG_LEVELS.get(level) ?? 'debug', component, message }));
          }
        }
      : null;

  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let text;
    try {
      text = await start(cancel, progress, Boolean(onLog));
    } catch (error) {
      if (callbackFailed) throw callbackError;
      const converted = fromNative(error, describe);
      if (converted instanceof CancelledError && signal?.aborted && converted.cause === undefined) {
        converted.cause = signal.reason;
      }
      throw converted;
    }
    if (callbackFailed) throw callbackError;
    // Aborted before the call settled, but it finished first: still cancelled,
    // unless what the call did must be reported (completionWins).
    if (signal?.aborted && !completionWins) throw cancelledError(signal);
    return text;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Reads the migration set at `dir` on the libuv thread pool and resolves with
 * the listing document's exact JSON text.
 */
async function migrationsJson(dir, options) {
  const file = toPath(dir);
  const { native, signal, onProgress } = readOptions(options, { allowAsync: true });
  return runAsync(
    (cancel, progress) => addon.migrationsOpen(file, native, cancel, progress),
    signal,
    onProgress,
  );
}

/** Like migrationsJson, parsed; the exact text is the non-enumerable `json`. */
async function migrations(dir, options) {
  return parseListing(await migrationsJson(dir, options));
}

/** Synchronous migrationsJson: blocks the event loop; no signal or progress. */
function migrationsJsonSync(dir, options) {
  const file = toPath(dir);
  const { native } = readOptions(options, { allowAsync: false });
  try {
    return addon.migrationsOpenSync(file, native);
  } catch (error) {
    throw fromNative(error);
  }
}

/** Synchronous migrations: blocks the event loop; no signal or progress. */
function migrationsSync(dir, options) {
  return parseListing(migrationsJsonSync(dir, options));
}

// The options of check(), by their camelCase name, with the key of the
// options document dbsafe_check takes (include/dbsafe/c/check.h).
const CHECK_OPTIONS = Object.freeze({
  pgVersion: 'pg_version',
  runner: 'runner',
  failOn: 'fail_on',
  rules: 'rules',
  enable: 'enable',
  config: 'config',
  stats: 'stats',
  statsFile: 'stats_file',
  databaseUrl: 'database_url',
  onlyMigrations: 'only_migrations',
  layout: 'layout',
  maxFileBytes: 'max_file_bytes',
  largeTableRows: 'large_table_rows',
  largeTableBytes: 'large_table_bytes',
});
// The options the addon or JS handle, not the options document.
const CALL_OPTIONS = Object.freeze(['timeoutMs', 'signal', 'onProgress']);
const CHECK_OPTION_NAMES = new Map(Object.entries(CHECK_OPTIONS).map(([camel, key]) => [key, camel]));

function invalidOption(message) {
  return makeError(Status.DBSAFE_EINVALID, `dbsafe: ${message}`);
}

function checkLayout(value) {
  if (LAYOUTS.includes(value)) return;
  const got = typeof value === 'string' ? `'${value}'` : `a ${typeof value}`;
  throw invalidOption(
    `options.layout must be one of ${LAYOUTS.map((l) => `'${l}'`).join(', ')} (got ${got})`,
  );
}

// `value` when it can be written into an options document; an
// InvalidArgumentError naming options.<name> when not.
function documentValue(name, value) {
  let written;
  try {
    written = JSON.stringify(value);
  } catch (cause) {
    throw makeError(
      Status.DBSAFE_EINVALID,
      `dbsafe: options.${name} cannot be written as JSON: ${cause.message}`,
      { cause },
    );
  }
  if (written === undefined) {
    throw invalidOption(`options.${name} cannot be written as JSON (got a ${typeof value})`);
  }
  return value;
}

// Checks the options the addon or JS handle (CALL_OPTIONS); null and
// undefined mean "not set".
function readCallOptions({ timeoutMs, signal, onProgress }, { allowAsync }) {
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0xffffffff) {
      const error = new RangeError('dbsafe: options.timeoutMs must be an integer from 0 to 4294967295');
      error.code = 'ERR_OUT_OF_RANGE';
      throw error;
    }
  }
  if (!allowAsync && (signal !== undefined || onProgress !== undefined)) {
    throw invalidArg('dbsafe: signal and onProgress are only supported by the asynchronous calls');
  }
  if (signal !== undefined && signal !== null && !isAbortSignal(signal)) {
    throw invalidArg('dbsafe: options.signal must be an AbortSignal');
  }
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    throw invalidArg('dbsafe: options.onProgress must be a function');
  }
  return {
    timeoutMs: timeoutMs ?? undefined,
    signal: signal ?? undefined,
    onProgress: onProgress ?? undefined,
  };
}

// A database URL (a string or a URL object) as the text the library takes.
// The URL may hold a password: no message here ever includes it.
function toDatabaseUrl(value, what) {
  const text = value instanceof URL ? value.href : value;
  if (typeof text !== 'string' || text.length === 0) {
    throw invalidArg(`dbsafe: ${what} must be a non-empty string or a URL`);
  }
  if (text.includes('\0')) {
    throw invalidArg(`dbsafe: ${what} must not contain a NUL character`);
  }
  return text;
}

function toPaths(paths) {
  const list = Array.isArray(paths) ? paths : [paths];
  if (list.length === 0) {
    const error = new TypeError('dbsafe: paths must name at least one directory or .sql file');
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  return list.map((entry) => {
    if (entry instanceof URL) return fileURLToPath(entry);
    if (typeof entry !== 'string' || entry.length === 0) {
      throw invalidArg('dbsafe: each path must be a non-empty string or a file: URL');
    }
    return entry;
  });
}

// Splits check()'s options into the options document (JSON text, or null for
// the defaults) and what the addon or JS handles: timeoutMs, signal,
// onProgress and, for checkSql, name. Values the library judges (a level, a
// version) are checked by the library; an unknown option, a value that cannot
// be written as JSON, or an unknown layout is an InvalidArgumentError here.
function readCheckOptions(options, { allowAsync, allowCall = true, allowName = false }) {
  if (options === undefined || options === null) return { json: null };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const document = {};
  const rest = {};
  for (const [name, value] of Object.entries(options)) {
    if (Object.hasOwn(CHECK_OPTIONS, name)) {
      if (value === undefined || value === null) continue;
      let converted = value;
      if ((name === 'config' || name === 'statsFile') && value instanceof URL) {
        converted = fileURLToPath(value);
      } else if (name === 'databaseUrl') {
        if (!allowCall) {
          throw invalidArg('dbsafe: checkSql takes no databaseUrl: it checks one text in memory');
        }
        converted = toDatabaseUrl(value, 'options.databaseUrl');
      } else if (name === 'layout') {
        checkLayout(value);
      }
      document[CHECK_OPTIONS[name]] = documentValue(name, converted);
    } else if (CALL_OPTIONS.includes(name)) {
      if (!allowCall) {
        throw invalidArg(`dbsafe: checkSql takes no ${name}: it checks one text in memory`);
      }
      rest[name] = value;
    } else if (name === 'name' && allowName) {
      rest[name] = value;
    } else {
      const known = [
        ...Object.keys(CHECK_OPTIONS).filter((key) => allowCall || key !== 'databaseUrl'),
        ...(allowCall ? CALL_OPTIONS : []),
        ...(allowName ? ['name'] : []),
      ];
      throw invalidOption(`unknown option '${name}'; the options are ${known.join(', ')}`);
    }
  }
  const { name } = rest;
  const call = readCallOptions(rest, { allowAsync });
  if (name !== undefined && name !== null && (typeof name !== 'string' || name.includes('\0'))) {
    throw invalidArg('dbsafe: options.name must be a string without NUL characters');
  }
  return {
    json: Object.keys(document).length > 0 ? JSON.stringify(document) : null,
    ...call,
    name: name ?? undefined,
  };
}

// A library error about the options document names the option as the caller
// wrote it: "options_json: fail_on must be ..." -> "dbsafe: options.failOn must be ...".
// `optionNames` maps the document's keys to the camelCase names.
function optionsErrorDescriber(optionNames) {
  return (message, status) => {
    if (status !== Status.DBSAFE_EINVALID || !message.startsWith('options_json: ')) return message;
    const text = message.slice('options_json: '.length);
    const match = /^([a-z_]+)\b(.*)$/s.exec(text);
    return match && optionNames.has(match[1])
      ? `dbsafe: options.${optionNames.get(match[1])}${match[2]}`
      : `dbsafe: options: ${text}`;
  };
}

const describeCheckError = optionsErrorDescriber(CHECK_OPTION_NAMES);

function parseReport(text) {
  const report = JSON.parse(text);
  Object.defineProperty(report, 'json', { value: text, enumerable: false });
  return report;
}

/**
 * Classifies the risk of every statement of the migration sets at `paths`
 * (directories or .sql files, in order) on the libuv thread pool. Resolves
 * with the check report; its exact JSON text is the non-enumerable `json`.
 * A check that finds problems still resolves (see `summary.failed`).
 */
async function check(paths, options) {
  const files = toPaths(paths);
  const { json, timeoutMs, signal, onProgress } = readCheckOptions(options, { allowAsync: true });
  const text = await runAsync(
    (cancel, progress) => addon.check(files, json, cancel, progress, timeoutMs),
    signal,
    onProgress,
    describeCheckError,
  );
  return parseReport(text);
}

/** Synchronous check(): blocks the event loop; no signal or onProgress. */
function checkSync(paths, options) {
  const files = toPaths(paths);
  const { json, timeoutMs } = readCheckOptions(options, { allowAsync: false });
  let text;
  try {
    text = addon.checkSync(files, json, timeoutMs);
  } catch (error) {
    throw fromNative(error, describeCheckError);
  }
  return parseReport(text);
}

/**
 * Checks one SQL text as a one-file migration called `options.name`
 * (default '<sql>'). Synchronous: a single text is parsed in memory.
 */
function checkSql(sql, options) {
  if (typeof sql !== 'string' && !(sql instanceof Uint8Array)) {
    throw invalidArg('dbsafe: sql must be a string, a Buffer or a Uint8Array');
  }
  const { json, name } = readCheckOptions(options, {
    allowAsync: false,
    allowCall: false,
    allowName: true,
  });
  let text;
  try {
    text = addon.checkSql(sql, name ?? '<sql>', json);
  } catch (error) {
    throw fromNative(error, describeCheckError);
  }
  return parseReport(text);
}

// Splits stats()'s options into what the addon takes and what stays in JS.
function readStatsOptions(options, { allowAsync }) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const known = allowAsync ? ['timeoutMs', 'signal'] : ['timeoutMs'];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      if (name === 'signal') {
        throw invalidArg('dbsafe: signal is only supported by the asynchronous calls');
      }
      throw invalidOption(`unknown option '${name}'; the options are ${known.join(', ')}`);
    }
  }
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0xffffffff) {
      const error = new RangeError('dbsafe: options.timeoutMs must be an integer from 0 to 4294967295');
      error.code = 'ERR_OUT_OF_RANGE';
      throw error;
    }
  }
  if (signal !== undefined && signal !== null && !isAbortSignal(signal)) {
    throw invalidArg('dbsafe: options.signal must be an AbortSignal');
  }
  return { timeoutMs: timeoutMs ?? undefined, signal: signal ?? undefined };
}

function parseStats(text) {
  const stats = JSON.parse(text);
  Object.defineProperty(stats, 'json', { value: text, enumerable: false });
  return stats;
}

/**
 * Reads table sizes, row estimates, emptiness and index usage from the
 * PostgreSQL database at `databaseUrl` with read-only queries, off the event
 * loop. Resolves with the stats document that check()'s `stats` option takes;
 * its exact JSON text is the non-enumerable `json`.
 */
async function stats(databaseUrl, options) {
  const url = toDatabaseUrl(databaseUrl, 'databaseUrl');
  const { timeoutMs, signal } = readStatsOptions(options, { allowAsync: true });
  const text = await runAsync(
    (cancel) => addon.stats(url, cancel, null, timeoutMs),
    signal,
    undefined,
  );
  return parseStats(text);
}

/** Synchronous stats(): blocks the event loop; no signal. */
function statsSync(databaseUrl, options) {
  const url = toDatabaseUrl(databaseUrl, 'databaseUrl');
  const { timeoutMs } = readStatsOptions(options, { allowAsync: false });
  let text;
  try {
    text = addon.statsSync(url, timeoutMs);
  } catch (error) {
    throw fromNative(error);
  }
  return parseStats(text);
}

// The options of the migrate calls, by their camelCase name, with the key of
// the options document dbsafe_migrate_* take (include/dbsafe/c/migrate.h).
const MIGRATE_OPTIONS = Object.freeze({
  databaseUrl: 'database_url',
  mode: 'mode',
  schema: 'schema',
  layout: 'layout',
  lockTimeoutMs: 'lock_timeout_ms',
  statementTimeoutMs: 'statement_timeout_ms',
  lockRetries: 'lock_retries',
  lockRetryBackoffMs: 'lock_retry_backoff_ms',
  advisoryLockTimeoutMs: 'advisory_lock_timeout_ms',
  connectRetryMs: 'connect_retry_ms',
  allowModified: 'allow_modified',
  dryRun: 'dry_run',
  migrations: 'migrations',
});
const MIGRATE_OPTION_NAMES = new Map(
  Object.entries(MIGRATE_OPTIONS).map(([camel, key]) => [key, camel]),
);
// What options.migrations[name] may set apart from the run's values.
const MIGRATION_TIMEOUT_OPTIONS = Object.freeze({
  lockTimeoutMs: 'lock_timeout_ms',
  statementTimeoutMs: 'statement_timeout_ms',
});

const describeMigrateError = optionsErrorDescriber(MIGRATE_OPTION_NAMES);

// options.migrations, {name: {lockTimeoutMs, statementTimeoutMs}}, as the
// document's {name: {lock_timeout_ms, statement_timeout_ms}}. The numbers
// are judged by the library.
function migrationTimeouts(value) {
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(
      'options.migrations must map migration names to { lockTimeoutMs, statementTimeoutMs }',
    );
  }
  const converted = {};
  for (const [migration, timeouts] of Object.entries(value)) {
    if (timeouts === null || typeof timeouts !== 'object' || Array.isArray(timeouts)) {
      throw invalidOption(`options.migrations['${migration}'] must be an object`);
    }
    const entry = {};
    for (const [name, timeout] of Object.entries(timeouts)) {
      if (!Object.hasOwn(MIGRATION_TIMEOUT_OPTIONS, name)) {
        throw invalidOption(
          `unknown option '${name}' in options.migrations['${migration}']; ` +
            `the options are ${Object.keys(MIGRATION_TIMEOUT_OPTIONS).join(', ')}`,
        );
      }
      if (timeout !== undefined && timeout !== null) {
        entry[MIGRATION_TIMEOUT_OPTIONS[name]] = timeout;
      }
    }
    converted[migration] = entry;
  }
  return converted;
}

// Splits a migrate call's options into the options document (JSON text, or
// null for the defaults) and timeoutMs, signal and onProgress. dryRun is
// deploy's alone. An unknown option, a value that cannot be written as JSON
// or an unknown layout is an InvalidArgumentError here; the library judges
// the other values.
function readMigrateOptions(options, command) {
  if (options === undefined || options === null) return { json: null };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const takes = (name) => name !== 'dryRun' || command === 'deploy';
  const document = {};
  const call = {};
  for (const [name, value] of Object.entries(options)) {
    if (CALL_OPTIONS.includes(name)) {
      call[name] = value;
      continue;
    }
    if (!Object.hasOwn(MIGRATE_OPTIONS, name) || !takes(name)) {
      const known = [...Object.keys(MIGRATE_OPTIONS).filter(takes), ...CALL_OPTIONS];
      throw invalidOption(
        `unknown option '${name}' of migrate ${command}; the options are ${known.join(', ')}`,
      );
    }
    if (value === undefined || value === null) continue;
    let converted = value;
    if (name === 'databaseUrl') {
      converted = toDatabaseUrl(value, 'options.databaseUrl');
    } else if (name === 'layout') {
      checkLayout(value);
    } else if (name === 'migrations') {
      converted = migrationTimeouts(value);
    }
    document[MIGRATE_OPTIONS[name]] = documentValue(name, converted);
  }
  return {
    json: Object.keys(document).length > 0 ? JSON.stringify(document) : null,
    ...readCallOptions(call, { allowAsync: true }),
  };
}

// A migration name as resolve and baseline take it.
function toMigrationName(value, what) {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalidArg(`dbsafe: ${what} must be a non-empty string without NUL characters`);
  }
  return value;
}

// Runs one migrate call: `start(file, json, cancel, progress, timeoutMs)`
// starts the addon's call. Resolves with the migrate report (its exact text
// is the non-enumerable `json`); rejects with a DbsafeError whose `report`
// and `failure` are set when the library sent its report along.
async function runMigrate(command, dir, options, start) {
  const file = toPath(dir);
  const { json, timeoutMs, signal, onProgress } = readMigrateOptions(options, command);
  const text = await runAsync(
    (cancel, progress) => start(file, json, cancel, progress, timeoutMs),
    signal,
    onProgress,
    describeMigrateError,
    { completionWins: true },
  );
  return parseReport(text);
}

/**
 * Classifies every migration at `dir` against the database's
 * _prisma_migrations history (applied, pending, failed, modified, missing,
 * out-of-order), read-only, off the event loop. `report.status_code` is 0 up
 * to date, 1 pending, 2 needs a person.
 */
async function migrateStatus(dir, options) {
  return runMigrate('status', dir, options, addon.migrateStatus);
}

/**
 * Applies the pending migrations at `dir` in order under Prisma's advisory
 * lock, off the event loop, and resolves with the migrate report. An SQL
 * error rejects with a DatabaseError carrying file, line, column, sqlstate,
 * the report (`error.report`) and `error.failure`.
 */
async function migrateDeploy(dir, options) {
  return runMigrate('deploy', dir, options, addon.migrateDeploy);
}

/**
 * Prisma's `migrate resolve`: `{ applied: name }` records a migration as
 * applied without running it, `{ rolledBack: name }` marks a failed one as
 * rolled back so the next deploy runs it again.
 */
async function migrateResolve(dir, target, options) {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    throw invalidArg('dbsafe: resolve takes { applied: name } or { rolledBack: name }');
  }
  const { applied, rolledBack, ...unknown } = target;
  const isSet = (name) => name !== undefined && name !== null;
  if (isSet(applied) === isSet(rolledBack) || Object.keys(unknown).length > 0) {
    const error = new TypeError(
      'dbsafe: resolve takes exactly one of { applied: name } and { rolledBack: name }',
    );
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  const action = isSet(applied) ? 'applied' : 'rolled-back';
  const name = isSet(applied)
    ? toMigrationName(applied, 'applied')
    : toMigrationName(rolledBack, 'rolledBack');
  return runMigrate('resolve', dir, options, (file, json, cancel, progress, timeoutMs) =>
    addon.migrateResolve(file, name, action, json, cancel, progress, timeoutMs),
  );
}

/**
 * Records every migration at `dir` up to and including `name` as applied
 * without running it: a database made before the migration history adopts it.
 */
async function migrateBaseline(dir, name, options) {
  const migration = toMigrationName(name, 'the baseline migration name');
  return runMigrate('baseline', dir, options, (file, json, cancel, progress, timeoutMs) =>
    addon.migrateBaseline(file, migration, json, cancel, progress, timeoutMs),
  );
}


// The options of the schema calls (include/dbsafe/c/schema.h), by their
// camelCase name, with the key of the options document.
const SCHEMA_FILTER_OPTIONS = Object.freeze({
  schemas: 'schemas',
  excludeSchemas: 'exclude_schemas',
  includeHistory: 'include_history',
});
const SCHEMA_OPTIONS = Object.freeze({
  ...SCHEMA_FILTER_OPTIONS,
  shadowDatabaseUrl: 'shadow_database_url',
  serverUrl: 'server_url',
  schema: 'schema',
  mode: 'mode',
  layout: 'layout',
  cacheDir: 'cache_dir',
  renames: 'renames',
  pgVersion: 'pg_version',
});
// migrate.baselineFromDatabase: the filter, the directory name and the
// migrate options (its `schema` is _prisma_migrations' schema).
const BASELINE_FROM_DATABASE_OPTIONS = Object.freeze({
  ...SCHEMA_FILTER_OPTIONS,
  migrationName: 'migration_name',
  ...Object.fromEntries(Object.entries(MIGRATE_OPTIONS).filter(([name]) => name !== 'dryRun')),
});
const SCHEMA_FORMATS = Object.freeze(['sql', 'json']);

const describeSchemaError = optionsErrorDescriber(
  new Map(Object.entries(SCHEMA_OPTIONS).map(([camel, key]) => [key, camel])),
);
const describeBaselineError = optionsErrorDescriber(
  new Map(Object.entries(BASELINE_FROM_DATABASE_OPTIONS).map(([camel, key]) => [key, camel])),
);

// A schema source as `dbsafe diff --from/--to` spell it: "url:postgresql://…"
// (or a bare URL, also as a URL object), "migrations:DIR", "empty", or a
// saved model ("file:PATH" or a .json path). The library judges the form.
function toSource(value, what) {
  const text = value instanceof URL ? value.href : value;
  if (typeof text !== 'string' || text.length === 0) {
    throw invalidArg(`dbsafe: ${what} must be a non-empty string or a URL`);
  }
  if (text.includes('\0')) throw invalidArg(`dbsafe: ${what} must not contain a NUL character`);
  return text;
}

// Splits a schema call's options into the options document (JSON text, or
// null for the defaults), the output format (dump and render) and timeoutMs,
// signal and onProgress. `known` maps the camelCase names this call takes to
// the document's keys. An unknown option, a value that cannot be written as
// JSON, an unknown layout or format is an InvalidArgumentError here; the
// library judges the other values.
function readSchemaOptions(options, known, what, { format: takesFormat = false } = {}) {
  if (options === undefined || options === null) return { json: null, format: 'sql' };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const document = {};
  const call = {};
  let format = 'sql';
  for (const [name, value] of Object.entries(options)) {
    if (CALL_OPTIONS.includes(name)) {
      call[name] = value;
      continue;
    }
    if (name === 'format' && takesFormat) {
      if (value === undefined || value === null) continue;
      if (!SCHEMA_FORMATS.includes(value)) {
        const got = typeof value === 'string' ? `'${value}'` : `a ${typeof value}`;
        throw invalidOption(`options.format must be 'sql' or 'json' (got ${got})`);
      }
      format = value;
      continue;
    }
    if (!Object.hasOwn(known, name)) {
      const names = [...Object.keys(known), ...(takesFormat ? ['format'] : []), ...CALL_OPTIONS];
      throw invalidOption(
        `unknown option '${name}' of ${what}; the options are ${names.join(', ')}`,
      );
    }
    if (value === undefined || value === null) continue;
    let converted = value;
    if (name === 'databaseUrl' || name === 'shadowDatabaseUrl' || name === 'serverUrl') {
      converted = toDatabaseUrl(value, `options.${name}`);
    } else if (name === 'layout') {
      checkLayout(value);
    } else if (name === 'migrations') {
      converted = migrationTimeouts(value);
    }
    document[known[name]] = documentValue(name, converted);
  }
  return {
    json: Object.keys(document).length > 0 ? JSON.stringify(document) : null,
    format,
    ...readCallOptions(call, { allowAsync: true }),
  };
}

// Runs one schema call: `start(json, format, cancel, progress, timeoutMs)`
// starts the addon's call; resolves with the text it wrote.
async function runSchema(options, known, what, start, settings) {
  const { format = false, describe = describeSchemaError, completionWins = false } = settings;
  const read = readSchemaOptions(options, known, what, { format });
  const { json, format: chosen, timeoutMs, signal, onProgress } = read;
  return runAsync(
    (cancel, progress) => start(json, chosen, cancel, progress, timeoutMs),
    signal,
    onProgress,
    describe,
    { completionWins },
  );
}

/**
 * Introspects the live database at `databaseUrl` (read-only; a pooler is
 * fine) off the event loop and resolves with its schema: DDL in dependency
 * order (`format: 'sql'`, the default) or the model's JSON text
 * (`format: 'json'`, which schema.diff() takes back as a saved model).
 */
async function schemaDump(databaseUrl, options) {
  const url = toDatabaseUrl(databaseUrl, 'databaseUrl');
  return runSchema(
    options,
    SCHEMA_FILTER_OPTIONS,
    'schema.dump',
    (json, format, cancel, progress, timeoutMs) =>
      addon.schemaDump(url, format, json, cancel, progress, timeoutMs),
    { format: true },
  );
}

/**
 * Loads a model from `source` (see schema.diff()) and resolves with it as
 * DDL (`format: 'sql'`, the default) or JSON text: a migration directory
 * rendered to the schema it produces, for example.
 */
async function schemaRender(source, options) {
  const from = toSource(source, 'source');
  return runSchema(
    options,
    SCHEMA_OPTIONS,
    'schema.render',
    (json, format, cancel, progress, timeoutMs) =>
      addon.schemaRender(from, format, json, cancel, progress, timeoutMs),
    { format: true },
  );
}

/**
 * The ordered changes, and their SQL, that turn the schema `from` into `to`.
 * A source is "url:postgresql://…" (or a bare URL), "migrations:DIR",
 * "empty", or a saved JSON model ("file:PATH" or a .json path). Resolves with
 * the diff report; `report.drift` is true when there are changes.
 */
async function schemaDiff(from, to, options) {
  const source = toSource(from, 'from');
  const target = toSource(to, 'to');
  const text = await runSchema(
    options,
    SCHEMA_OPTIONS,
    'schema.diff',
    (json, _format, cancel, progress, timeoutMs) =>
      addon.schemaDiff(source, target, json, cancel, progress, timeoutMs),
    {},
  );
  return parseReport(text);
}

/**
 * Drift: the live database at `databaseUrl` against what the migrations at
 * `dir` produce (replayed on a shadow database that is always dropped).
 * Resolves with the diff report: `report.drift` is true when they differ,
 * and `report.sql` brings the database back to the migrations.
 */
async function drift(databaseUrl, dir, options) {
  const url = toDatabaseUrl(databaseUrl, 'databaseUrl');
  const file = toPath(dir);
  const text = await runSchema(
    options,
    SCHEMA_OPTIONS,
    'drift',
    (json, _format, cancel, progress, timeoutMs) =>
      addon.drift(url, file, json, cancel, progress, timeoutMs),
    {},
  );
  return parseReport(text);
}

/**
 * After a deploy: every table, index and constraint the migrations at `dir`
 * define is present in the database at `databaseUrl` and valid (no INVALID
 * index, no NOT VALID constraint the migrations do not leave so). Resolves
 * with the verify report; `report.ok` is false when `report.problems` lists any.
 */
async function verify(databaseUrl, dir, options) {
  const url = toDatabaseUrl(databaseUrl, 'databaseUrl');
  const file = toPath(dir);
  const text = await runSchema(
    options,
    SCHEMA_OPTIONS,
    'verify',
    (json, _format, cancel, progress, timeoutMs) =>
      addon.verify(url, file, json, cancel, progress, timeoutMs),
    {},
  );
  return parseReport(text);
}

/**
 * Writes `<dir>/<name>/migration.sql` with the live database's schema (DDL)
 * and records it as applied in _prisma_migrations, so an existing database
 * adopts a migration history in one call. `options.databaseUrl` is the
 * database (default: DIRECT_URL, else DATABASE_URL); `options.migrationName`
 * the directory (default "<UTC yyyymmddHHMMSS>_baseline"). Refuses when
 * `dir` already holds migrations the database has not applied.
 */
async function migrateBaselineFromDatabase(dir, options) {
  const file = toPath(dir);
  const text = await runSchema(
    options,
    BASELINE_FROM_DATABASE_OPTIONS,
    'migrate.baselineFromDatabase',
    (json, _format, cancel, progress, timeoutMs) =>
      addon.migrateBaselineFromDatabase(file, json, cancel, progress, timeoutMs),
    { describe: describeBaselineError, completionWins: true },
  );
  return parseReport(text);
}

/** The migration runner, named like Prisma's `migrate` verbs. */
const migrate = Object.freeze({
  status: migrateStatus,
  deploy: migrateDeploy,
  resolve: migrateResolve,
  baseline: migrateBaseline,
  baselineFromDatabase: migrateBaselineFromDatabase,
});

/** The schema model: dump a database, render any source, diff two sources. */
const schema = Object.freeze({
  dump: schemaDump,
  render: schemaRender,
  diff: schemaDiff,
});

// --- Backups to files (include/dbsafe/c/backup.h, docs/backup.md) ---

// Each backup call's options by their camelCase name, with the key of the
// options document its C call takes.
const BACKUP_OPTIONS = Object.freeze({
  create: Object.freeze({
    databaseUrl: 'database_url',
    dir: 'dir',
    format: 'format',
    name: 'name',
    compression: 'compression',
    pgBindir: 'pg_bindir',
  }),
  verify: Object.freeze({
    file: 'file',
    dir: 'dir',
    testRestore: 'test_restore',
    shadowDatabaseUrl: 'shadow_database_url',
    serverUrl: 'server_url',
    pgBindir: 'pg_bindir',
  }),
  restore: Object.freeze({
    file: 'file',
    databaseUrl: 'database_url',
    confirm: 'confirm',
    clean: 'clean',
    safetyBackupDir: 'safety_backup_dir',
    noOwner: 'no_owner',
    pgBindir: 'pg_bindir',
  }),
  prune: Object.freeze({
    dir: 'dir',
    keepDays: 'keep_days',
    keepMin: 'keep_min',
    dryRun: 'dry_run',
  }),
  // dbsafe.copy() (docs/copy.md): not a backup call either, same plumbing.
  copy: Object.freeze({
    from: 'from',
    to: 'to',
    tables: 'tables',
    mapping: 'mapping',
    dryRun: 'dry_run',
    truncate: 'truncate',
    confirm: 'confirm',
    singleTransaction: 'single_transaction',
    verify: 'verify',
  }),
  // dbsafe.maintenance(): not a backup call, but the same shape (an options
  // document in, a report out), so it shares this plumbing.
  maintenance: Object.freeze({
    databaseUrl: 'database_url',
    action: 'action',
    terminateWriters: 'terminate_writers',
    actor: 'actor',
  }),
});
const BACKUP_CALL_OPTIONS = Object.freeze([...CALL_OPTIONS, 'onLog']);
const BACKUP_PATH_OPTIONS = new Set(['dir', 'file', 'safetyBackupDir', 'pgBindir']);
const BACKUP_URL_OPTIONS = new Set(['databaseUrl', 'shadowDatabaseUrl', 'serverUrl']);

// Splits a backup call's options into its options document (JSON text) and
// the call options. Paths may be URL objects (file:), database URLs URL
// objects; an unknown option is an InvalidArgumentError naming it.
// `convert(name, value)` may return a call's own conversion of a value
// (undefined: the shared ones below).
function readBackupOptions(verb, options, label = `backup.${verb}`, convert = undefined) {
  const known = BACKUP_OPTIONS[verb];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg(
      `dbsafe: ${label} takes an options object: { ${Object.keys(known).join(', ')} }`,
    );
  }
  const document = {};
  const call = {};
  for (const [name, value] of Object.entries(options)) {
    if (BACKUP_CALL_OPTIONS.includes(name)) {
      call[name] = value;
      continue;
    }
    if (!Object.hasOwn(known, name)) {
      const names = [...Object.keys(known), ...BACKUP_CALL_OPTIONS];
      throw invalidOption(
        `unknown option '${name}' of ${label}; the options are ${names.join(', ')}`,
      );
    }
    if (value === undefined || value === null) continue;
    const own = convert?.(name, value);
    if (own !== undefined) {
      document[known[name]] = own;
      continue;
    }
    let converted = value;
    if (BACKUP_PATH_OPTIONS.has(name)) {
      if (value instanceof URL) {
        converted = fileURLToPath(value);
      } else if (typeof value !== 'string' || value.length === 0) {
        throw invalidArg(`dbsafe: options.${name} must be a non-empty string or a file: URL`);
      }
    } else if (BACKUP_URL_OPTIONS.has(name)) {
      converted = toDatabaseUrl(value, `options.${name}`);
    }
    document[known[name]] = documentValue(name, converted);
  }
  const { onLog, ...rest } = call;
  if (onLog !== undefined && onLog !== null && typeof onLog !== 'function') {
    throw invalidArg('dbsafe: options.onLog must be a function');
  }
  return {
    json: JSON.stringify(document),
    ...readCallOptions(rest, { allowAsync: true }),
    onLog: onLog ?? undefined,
    describe: optionsErrorDescriber(
      new Map(Object.entries(known).map(([camel, key]) => [key, camel])),
    ),
  };
}

async function runBackup(verb, options, start, label = undefined, convert = undefined) {
  const { json, timeoutMs, signal, onProgress, onLog, describe } = readBackupOptions(
    verb,
    options,
    label,
    convert,
  );
  const text = await runAsync(
    (cancel, progress, withLog) => start(json, cancel, progress, withLog, timeoutMs),
    signal,
    onProgress,
    describe,
    // A backup written, a restore committed or a table copied is reported
    // even when the signal fired meanwhile: it happened.
    { completionWins: verb !== 'verify', onLog },
  );
  return parseReport(text);
}

// --- The SQLite copy (include/dbsafe/c/copy.h, docs/copy.md) ---

// The copy's own conversions: `from` may be a bare path or a file: URL, the
// tables a list of names (readBackupOptions does the rest).
function copyValue(name, value) {
  if (name === 'from') {
    if (value instanceof URL) return 'sqlite:' + fileURLToPath(value);
    if (typeof value !== 'string' || value.length === 0)
      throw invalidArg('dbsafe: options.from must be "sqlite:PATH" or a file: URL');
    return /^(sqlite|file):/.test(value) ? value : 'sqlite:' + value;
  }
  if (name === 'to') return toDatabaseUrl(value, 'options.to');
  if (name === 'mapping' && value instanceof URL) return fileURLToPath(value);
  if (name === 'tables') {
    if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
      throw invalidArg('dbsafe: options.tables must be an array of table names');
    return [...value];
  }
  return undefined;
}

/**
 * Copies a SQLite database (`from: 'sqlite:PATH'`) into the existing schema
 * of a PostgreSQL database (`to`, default DATABASE_URL), converted by the
 * target's column types, resumable per table, verified by digests
 * (docs/copy.md). Runs off the event loop; takes { timeoutMs, signal,
 * onProgress, onLog } besides its own options; resolves with the report
 * (docs/schema/copy-report.v1.json): `report.ok` is false when a value did
 * not convert or verification found a difference.
 */
async function copy(options) {
  const from = options !== null && typeof options === 'object' ? options.from : undefined;
  if (options !== null && typeof options === 'object' && !Array.isArray(options) && from == null)
    throw invalidArg('dbsafe: options.from is required');
  return runBackup('copy', options, addon.copy, 'copy', copyValue);
}

/**
 * Backups to files with pg_dump, for teams without Neon (docs/backup.md).
 * Every call runs off the event loop, takes { timeoutMs, signal, onLog }
 * besides its own options, and resolves with its report (its exact JSON
 * text is the non-enumerable `json`).
 */
const backup = Object.freeze({
  /**
   * pg_dump of `databaseUrl` (default DIRECT_URL, else DATABASE_URL) into
   * `dir`, with `<file>.manifest.json` beside it. Resolves with the create
   * report (`report.backup.path`, `report.backup.manifest.sha256`).
   */
  create: (options) => runBackup('create', options, addon.backupCreate),
  /**
   * Checks `file` (or the newest backup in `dir`) against its manifest and
   * reads it to its end; `testRestore` also restores it into a throwaway
   * database. A damaged backup resolves with `report.verify.ok === false`.
   */
  verify: (options) => runBackup('verify', options, addon.backupVerify),
  /**
   * Verifies `file`, then restores it into `databaseUrl` in one transaction.
   * `confirm` must be the target database's name; a target holding tables
   * needs `clean` (a safety backup of it is taken first). A refusal or a
   * failure rejects with a DbsafeError whose `report` is the restore report.
   */
  restore: (options) => runBackup('restore', options, addon.backupRestore),
  /**
   * Deletes backups in `dir` created more than `keepDays` days ago, keeping
   * the `keepMin` newest (default 1); only files with dbsafe manifests.
   * Resolves with the prune report (`deleted`, `kept`).
   */
  prune: (options) => runBackup('prune', options, addon.backupPrune),
});

// --- The read-only window (include/dbsafe/c/maintenance.h, docs/maintenance.md) ---

/**
 * Opens (`action: 'on'`), closes (`'off'`) or reports (`'status'`) the
 * read-only window of `databaseUrl` (default DIRECT_URL, else DATABASE_URL).
 * `terminateWriters` ends the sessions that connected before the window.
 * Runs off the event loop; takes { timeoutMs, signal, onLog } too. Resolves
 * with the report (docs/schema/maintenance-report.v1.json), its keys as the
 * JSON has them (`read_only`, `window`, `writers`).
 */
function maintenance(options) {
  if (options !== null && typeof options === 'object' && !Array.isArray(options)) {
    const { action } = options;
    if (action !== 'on' && action !== 'off' && action !== 'status') {
      return Promise.reject(
        invalidOption(`options.action must be 'on', 'off' or 'status', not ${String(action)}`),
      );
    }
  }
  return runBackup('maintenance', options, addon.maintenance, 'maintenance');
}

// --- The safe-deploy pipeline (include/dbsafe/c/deploy.h, docs/deploy.md) ---

// deploy()'s options, by their camelCase name, with the key of the options
// document dbsafe_deploy takes.
const DEPLOY_OPTIONS = Object.freeze({
  target: 'target',
  config: 'config',
  dryRun: 'dry_run',
  approve: 'approve',
  approvedBy: 'approved_by',
  seedCommand: 'seed_command',
});
// The call options deploy() takes: those of every call, and onLog.
const DEPLOY_CALL_OPTIONS = Object.freeze([...CALL_OPTIONS, 'onLog']);

const describeDeployError = optionsErrorDescriber(
  new Map(Object.entries(DEPLOY_OPTIONS).map(([camel, key]) => [key, camel])),
);

// restore()'s options, by their camelCase name, with the key of the options
// document dbsafe_restore takes.
const RESTORE_OPTIONS = Object.freeze({
  target: 'target',
  config: 'config',
  from: 'from',
  confirm: 'confirm',
  reapply: 'reapply',
  dryRun: 'dry_run',
  safetySnapshot: 'safety_snapshot',
  approvedBy: 'approved_by',
  maintenance: 'maintenance',
});

const describeRestoreError = optionsErrorDescriber(
  new Map(Object.entries(RESTORE_OPTIONS).map(([camel, key]) => [key, camel])),
);

// Splits deploy()'s or restore()'s options (`known`: camelCase name ->
// document key) into the options document (JSON text) and the call options
// (timeoutMs, signal, onProgress, onLog). An unknown option, a missing
// required one or a value that cannot be written as JSON is an error naming
// the option; the library judges the others.
function readPipelineOptions(verb, known, required, options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg(
      `dbsafe: ${verb} takes an options object: { ${required.join(', ')}, config, dryRun, ... }`,
    );
  }
  const document = {};
  const call = {};
  for (const [name, value] of Object.entries(options)) {
    if (DEPLOY_CALL_OPTIONS.includes(name)) {
      call[name] = value;
      continue;
    }
    if (!Object.hasOwn(known, name)) {
      const names = [...Object.keys(known), ...DEPLOY_CALL_OPTIONS];
      throw invalidOption(`unknown option '${name}' of ${verb}; the options are ${names.join(', ')}`);
    }
    if (value === undefined || value === null) continue;
    const converted = name === 'config' && value instanceof URL ? fileURLToPath(value) : value;
    const key = known[name];
    document[key] =
      name === 'from' && converted instanceof Date
        ? converted.toISOString()
        : documentValue(name, converted);
  }
  for (const name of required) {
    const value = document[known[name]];
    if (typeof value !== 'string' || value.length === 0) {
      throw invalidOption(
        name === 'target'
          ? 'options.target is required: the NAME of a [targets.NAME] table of dbsafe.toml'
          : `options.${name} is required: a snapshot's name or id, or a time (a Date or an ` +
              'RFC 3339 string) for a point-in-time restore',
      );
    }
  }
  const { onLog, ...rest } = call;
  if (onLog !== undefined && onLog !== null && typeof onLog !== 'function') {
    throw invalidArg('dbsafe: options.onLog must be a function');
  }
  return {
    json: JSON.stringify(document),
    ...readCallOptions(rest, { allowAsync: true }),
    onLog: onLog ?? undefined,
  };
}

/**
 * Runs the safe-deploy pipeline for one `[targets.NAME]` table of dbsafe.toml
 * (connect, plan, check, gate, snapshot, apply, verify, audit, notify) off the
 * event loop and resolves with the deploy report
 * (docs/schema/deploy-report.v1.json; its exact text is the non-enumerable
 * `json`). A deploy the gate stopped still resolves: `report.exit_code` is 1
 * and `report.outcome` 'stopped' (or 'blocked'); a build script should exit
 * with `report.exit_code`. A failure rejects with a DbsafeError whose
 * `report` is the deploy report once the target was read.
 */
async function deploy(options) {
  const { json, timeoutMs, signal, onProgress, onLog } = readPipelineOptions(
    'deploy',
    DEPLOY_OPTIONS,
    [],
    options === undefined ? {} : options,
  );
  const text = await runAsync(
    (cancel, progress, withLog) => addon.deploy(json, cancel, progress, withLog, timeoutMs),
    signal,
    onProgress,
    describeDeployError,
    { completionWins: true, onLog },
  );
  return parseReport(text);
}

/**
 * The guarded restore of one target (`dbsafe restore`): `confirm` must be the
 * target's name (or 'RESTORE'); a safety snapshot of the data being replaced
 * is taken first; then the restore from `from` (a snapshot's name or id, or a
 * Date / RFC 3339 time for a point-in-time restore on Neon), the newer
 * migrations again with `reapply`, verify, the audit trail written back, and
 * the notification. Resolves with the report (deploy-report.v1.json,
 * `operation` 'restore'); a failure rejects with a DbsafeError whose `report`
 * says what state things are in (a half-done restore: code 'ESTATE' and
 * `report.restore_command` puts the replaced data back).
 */
async function restore(options) {
  const { json, timeoutMs, signal, onProgress, onLog } = readPipelineOptions(
    'restore',
    RESTORE_OPTIONS,
    ['target', 'from'],
    options,
  );
  const text = await runAsync(
    (cancel, progress, withLog) => addon.restore(json, cancel, progress, withLog, timeoutMs),
    signal,
    onProgress,
    describeRestoreError,
    { completionWins: true, onLog },
  );
  return parseReport(text);
}

// --- Snapshots and branches: the providers (include/dbsafe/c/provider.h) ---

// openProvider()'s options, by their camelCase name, with the key of the
// options document dbsafe_provider_open takes.
const PROVIDER_OPTIONS = Object.freeze({
  kind: 'kind',
  apiKey: 'api_key',
  projectId: 'project_id',
  apiHost: 'api_host',
  caFile: 'ca_file',
  database: 'database',
  role: 'role',
  operationTimeoutMs: 'operation_timeout_ms',
  pollIntervalMs: 'poll_interval_ms',
  databaseUrl: 'database_url',
  localMethod: 'local_method',
  terminateBlockers: 'terminate_blockers',
  pgBindir: 'pg_bindir',
});
const CREATE_BRANCH_OPTIONS = Object.freeze({
  name: 'name',
  parent: 'parent',
  atTimestamp: 'at_timestamp',
  atLsn: 'at_lsn',
  expiresAt: 'expires_at',
  withEndpoint: 'with_endpoint',
});
const CREATE_SNAPSHOT_OPTIONS = Object.freeze({
  name: 'name',
  branch: 'branch',
  atTimestamp: 'at_timestamp',
  atLsn: 'at_lsn',
  expiresAt: 'expires_at',
});
const RESTORE_SNAPSHOT_OPTIONS = Object.freeze({
  targetBranch: 'target_branch',
  finalize: 'finalize',
  preserveUnderName: 'preserve_under_name',
});
const ROTATE_OPTIONS = Object.freeze({ name: 'name', branch: 'branch' });
const RETENTION_POLICY_OPTIONS = Object.freeze({
  namePrefix: 'name_prefix',
  keepLast: 'keep_last',
  maxAgeSeconds: 'max_age_seconds',
  protectedNames: 'protected_names',
});
const SNAPSHOT_RETENTION_OPTIONS = Object.freeze({
  ...RETENTION_POLICY_OPTIONS,
  justTaken: 'just_taken',
  dryRun: 'dry_run',
});
const BRANCH_PRUNE_OPTIONS = Object.freeze({
  ...RETENTION_POLICY_OPTIONS,
  expired: 'expired',
  oldRestoreBranches: 'old_restore_branches',
  dryRun: 'dry_run',
});
// The call options every provider method takes.
const PROVIDER_CALL_OPTIONS = Object.freeze([...CALL_OPTIONS, 'onLog']);
// Options that take a time: an RFC 3339 string or a Date.
const TIME_OPTIONS = new Set(['atTimestamp', 'expiresAt']);

function providerDescriber(known) {
  return optionsErrorDescriber(new Map(Object.entries(known).map(([camel, key]) => [key, camel])));
}

const describeProviderOpenError = providerDescriber(PROVIDER_OPTIONS);

// A Date as the RFC 3339 text the library takes (whole seconds when it has no
// milliseconds); a string as it is.
function toTime(value, what) {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalidOption(`${what} is an invalid Date`);
    return value.toISOString().replace(/\.000Z$/, 'Z');
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidOption(`${what} must be an RFC 3339 time (a string) or a Date`);
  }
  return value;
}

// A branch's or snapshot's name or id as the methods take it.
function toNameOrId(value, what = 'nameOrId') {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw invalidArg(`dbsafe: ${what} must be a non-empty string without NUL characters`);
  }
  return value;
}

// Splits a provider method's options into the options document (JSON text,
// or null for the defaults), the call options (timeoutMs, signal,
// onProgress, onLog) and the options JS handles itself (`extra`: confirm,
// pooled, ...). `known` maps the camelCase names to the document's keys. An
// unknown option or a value that cannot be written as JSON is an
// InvalidArgumentError naming the option; the library judges the others.
function readProviderOptions(options, known, what, extra = []) {
  const result = { json: null, call: {}, extra: {} };
  if (options === undefined || options === null) return result;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const document = {};
  const call = {};
  for (const [name, value] of Object.entries(options)) {
    if (PROVIDER_CALL_OPTIONS.includes(name)) {
      call[name] = value;
      continue;
    }
    if (extra.includes(name)) {
      if (value !== undefined && value !== null) result.extra[name] = value;
      continue;
    }
    if (!Object.hasOwn(known, name)) {
      const names = [...Object.keys(known), ...extra, ...PROVIDER_CALL_OPTIONS];
      throw invalidOption(
        `unknown option '${name}' of ${what}; the options are ${names.join(', ')}`,
      );
    }
    if (value === undefined || value === null) continue;
    let converted = value;
    if (TIME_OPTIONS.has(name)) converted = toTime(value, `options.${name}`);
    document[known[name]] = documentValue(name, converted);
  }
  const { onLog, ...rest } = call;
  if (onLog !== undefined && onLog !== null && typeof onLog !== 'function') {
    throw invalidArg('dbsafe: options.onLog must be a function');
  }
  result.json = Object.keys(document).length > 0 ? JSON.stringify(document) : null;
  result.call = { ...readCallOptions(rest, { allowAsync: true }), onLog: onLog ?? undefined };
  return result;
}

// openProvider()'s options as the document dbsafe_provider_open takes. No
// message here ever includes a value: apiKey is a secret.
function providerOpenDocument(options) {
  if (options === undefined || options === null) return null;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArg('dbsafe: options must be an object');
  }
  const document = {};
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(PROVIDER_OPTIONS, name)) {
      const names = Object.keys(PROVIDER_OPTIONS).join(', ');
      throw invalidOption(`unknown option '${name}' of openProvider; the options are ${names}`);
    }
    if (value === undefined || value === null) continue;
    let converted = value;
    if (name === 'databaseUrl') {
      converted = toDatabaseUrl(value, 'options.databaseUrl');
    } else if (name === 'apiHost' && value instanceof URL) {
      converted = value.href.replace(/\/$/, '');
    } else if ((name === 'caFile' || name === 'pgBindir') && value instanceof URL) {
      converted = fileURLToPath(value);
    } else if (name === 'apiKey' && (typeof value !== 'string' || value.includes('\0'))) {
      throw invalidOption('options.apiKey must be a string without NUL characters');
    }
    document[PROVIDER_OPTIONS[name]] = documentValue(name, converted);
  }
  return Object.keys(document).length > 0 ? JSON.stringify(document) : null;
}

function parseProviderList(text, key) {
  const list = JSON.parse(text)[key];
  Object.defineProperty(list, 'json', { value: text, enumerable: false });
  return list;
}

// The branch `nameOrId` names in a listing: by id, else by name.
function findBranch(branches, nameOrId) {
  return branches.find((b) => b.id === nameOrId) ?? branches.find((b) => b.name === nameOrId);
}

// The snapshot `nameOrId` names in a listing: by id, else the newest of that
// name (names need not be unique: the rotating backup), as the library finds it.
function findSnapshot(snapshots, nameOrId) {
  const byId = snapshots.find((s) => s.id === nameOrId);
  if (byId) return byId;
  let newest;
  for (const s of snapshots) {
    if (s.name === nameOrId && (!newest || s.created_at > newest.created_at)) newest = s;
  }
  return newest;
}

// "name (id)", or the name alone when the id is the name (the local
// provider's database).
function label(target) {
  return target.id === target.name ? target.name : `${target.name} (${target.id})`;
}

// A destructive call goes ahead only when options.confirm names its target
// (docs/providers.md, "Confirmations"): a library cannot ask, so the caller
// says what it means to destroy, by name or id. Nothing has changed when this
// throws.
function requireConfirmation(confirm, target, kind, action) {
  const hint = `to go ahead pass { confirm: ${JSON.stringify(target.name)} }`;
  if (confirm === undefined) {
    throw invalidOption(`refusing to ${action} without a confirmation; ${hint}`);
  }
  if (typeof confirm !== 'string') {
    throw invalidOption(`options.confirm must be the ${kind}'s name or id (a string); ${hint}`);
  }
  if (confirm !== target.name && confirm !== target.id) {
    throw invalidOption(
      `options.confirm ${JSON.stringify(confirm)} does not name ${kind} ${label(target)}: ` +
        `refusing to ${action}; ${hint}`,
    );
  }
}

const PROVIDER_KEY = Symbol('dbsafe.provider');

// Waits for `previous`, or rejects with a CancelledError when `signal` aborts first.
function waitTurn(previous, signal) {
  if (!signal) return previous;
  if (signal.aborted) return Promise.reject(cancelledError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(cancelledError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    previous.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * An open snapshot and branch provider: Neon, or a PostgreSQL server you own
 * (docs/providers.md). Made by openProvider(). Its calls run off the event
 * loop one at a time, in the order they were made; close() frees it.
 */
class Provider {
  #handle;
  #kind;
  #tail = Promise.resolve();
  #closing = null;
  #requests = 0;

  constructor(key, handle, kind) {
    if (key !== PROVIDER_KEY) {
      throw invalidArg('dbsafe: open a provider with openProvider(options), not new Provider()');
    }
    this.#handle = handle;
    this.#kind = kind;
  }

  /** 'neon' or 'local'. */
  get kind() {
    return this.#kind;
  }

  /** Whether close() was called. */
  get closed() {
    return this.#closing !== null;
  }

  /** HTTP requests made by the calls that ended (neon; 0 for local). */
  get requestsMade() {
    return addon.providerIsOpen(this.#handle)
      ? addon.providerRequestsMade(this.#handle)
      : this.#requests;
  }

  /**
   * No new call is accepted; the calls already made finish, then the handle
   * is freed. Resolves when it is. Any number of times.
   */
  close() {
    if (this.#closing === null) {
      this.#closing = this.#tail.then(() => {
        this.#requests = addon.providerRequestsMade(this.#handle);
        addon.providerClose(this.#handle);
      });
    }
    return this.#closing;
  }

  // Runs `task(run)` once the calls made before it have ended; `run(start,
  // settings)` makes one addon call with the call options. A call made after
  // close() rejects with an InvalidArgumentError.
  #enqueue(call, describe, task) {
    if (this.#closing !== null) {
      return Promise.reject(
        invalidOption('the provider is closed; open another one with openProvider()'),
      );
    }
    const previous = this.#tail;
    let release;
    const done = new Promise((resolve) => {
      release = resolve;
    });
    this.#tail = previous.then(() => done);
    const run = (start, { completionWins = false } = {}) =>
      runAsync(
        (cancel, progress, withLog) =>
          start(this.#handle, cancel, progress, withLog, call.timeoutMs),
        call.signal,
        call.onProgress,
        describe,
        { completionWins, onLog: call.onLog },
      );
    return (async () => {
      try {
        await waitTurn(previous, call.signal);
        return await task(run);
      } finally {
        release();
      }
    })();
  }

  /** Every branch (local: the database itself and the branches made from it). */
  async listBranches(options) {
    const { call } = readProviderOptions(options, {}, 'listBranches');
    return this.#enqueue(call, describeProviderCallError, async (run) =>
      parseProviderList(await run(addon.providerListBranches), 'branches'),
    );
  }

  /** Creates a branch and waits until it is ready. */
  async createBranch(options) {
    const { json, call } = readProviderOptions(options, CREATE_BRANCH_OPTIONS, 'createBranch');
    return this.#enqueue(call, describeCreateBranchError, async (run) =>
      parseReport(
        await run((h, ...rest) => addon.providerCreateBranch(h, json, ...rest), {
          completionWins: true,
        }),
      ),
    );
  }

  /**
   * Deletes the branch `nameOrId` once `options.confirm` names it (name or
   * id). Resolves with the branch deleted. Never the default or a protected
   * branch (StateError).
   */
  async deleteBranch(nameOrId, options) {
    const name = toNameOrId(nameOrId);
    const { call, extra } = readProviderOptions(options, {}, 'deleteBranch', ['confirm']);
    return this.#enqueue(call, describeProviderCallError, async (run) => {
      const branches = parseProviderList(await run(addon.providerListBranches), 'branches');
      const branch = findBranch(branches, name);
      if (!branch) throw notFound(`no branch named ${JSON.stringify(name)}`);
      requireConfirmation(
        extra.confirm,
        branch,
        'branch',
        `delete branch ${label(branch)}`,
      );
      // By id: what was confirmed is what goes.
      await run((h, ...rest) => addon.providerDeleteBranch(h, branch.id, ...rest), {
        completionWins: true,
      });
      return branch;
    });
  }

  /**
   * Neon: rewinds the branch `nameOrId` in place to `options.atTimestamp`
   * once `options.confirm` names it; the data it held stays as a branch
   * (`preserveUnderName`, default "<name> (old <timestamp>)"). The local
   * provider refuses (InvalidArgumentError): take a snapshot instead.
   */
  async restoreBranch(nameOrId, options) {
    const name = toNameOrId(nameOrId);
    const { call, extra } = readProviderOptions(options, {}, 'restoreBranch', [
      'atTimestamp',
      'preserveUnderName',
      'confirm',
    ]);
    if (extra.atTimestamp === undefined) {
      throw invalidOption('restoreBranch needs options.atTimestamp, the time to restore to');
    }
    const at = toTime(extra.atTimestamp, 'options.atTimestamp');
    const preserve = extra.preserveUnderName;
    if (preserve !== undefined && (typeof preserve !== 'string' || preserve.includes('\0'))) {
      throw invalidOption('options.preserveUnderName must be a string without NUL characters');
    }
    return this.#enqueue(call, describeProviderCallError, async (run) => {
      const branches = parseProviderList(await run(addon.providerListBranches), 'branches');
      const branch = findBranch(branches, name);
      if (!branch) throw notFound(`no branch named ${JSON.stringify(name)}`);
      const action = `rewind branch ${label(branch)} to ${at}`;
      requireConfirmation(extra.confirm, branch, 'branch', action);
      return parseReport(
        await run(
          (h, ...rest) => addon.providerRestoreBranch(h, branch.id, at, preserve ?? null, ...rest),
          { completionWins: true },
        ),
      );
    });
  }

  /** The branch's connection URL (it holds a password); `pooled` through the pooler. */
  async connectionUrl(nameOrId, options) {
    const name = toNameOrId(nameOrId);
    const { call, extra } = readProviderOptions(options, {}, 'connectionUrl', ['pooled']);
    if (extra.pooled !== undefined && typeof extra.pooled !== 'boolean') {
      throw invalidOption('options.pooled must be true or false');
    }
    return this.#enqueue(call, describeProviderCallError, (run) =>
      run((h, ...rest) => addon.providerConnectionUrl(h, name, extra.pooled === true, ...rest)),
    );
  }

  /** Every snapshot (local: the copies of the database). */
  async listSnapshots(options) {
    const { call } = readProviderOptions(options, {}, 'listSnapshots');
    return this.#enqueue(call, describeProviderCallError, async (run) =>
      parseProviderList(await run(addon.providerListSnapshots), 'snapshots'),
    );
  }

  /** Creates a snapshot and waits until it is ready. */
  async createSnapshot(options) {
    const { json, call } = readProviderOptions(
      options,
      CREATE_SNAPSHOT_OPTIONS,
      'createSnapshot',
    );
    return this.#enqueue(call, describeCreateSnapshotError, async (run) =>
      parseReport(
        await run((h, ...rest) => addon.providerCreateSnapshot(h, json, ...rest), {
          completionWins: true,
        }),
      ),
    );
  }

  /**
   * Deletes the snapshot `nameOrId` (by id, or the newest of that name) once
   * `options.confirm` names it. Resolves with the snapshot deleted.
   */
  async deleteSnapshot(nameOrId, options) {
    const name = toNameOrId(nameOrId);
    const { call, extra } = readProviderOptions(options, {}, 'deleteSnapshot', ['confirm']);
    return this.#enqueue(call, describeProviderCallError, async (run) => {
      const snapshots = parseProviderList(await run(addon.providerListSnapshots), 'snapshots');
      const snapshot = findSnapshot(snapshots, name);
      if (!snapshot) throw notFound(`no snapshot named ${JSON.stringify(name)}`);
      requireConfirmation(
        extra.confirm,
        snapshot,
        'snapshot',
        `delete snapshot ${label(snapshot)}`,
      );
      // By id: names need not be unique, and the confirmation named this one.
      await run((h, ...rest) => addon.providerDeleteSnapshot(h, snapshot.id, ...rest), {
        completionWins: true,
      });
      return snapshot;
    });
  }

  /**
   * Puts the snapshot `nameOrId` back into `options.targetBranch` (default:
   * the snapshot's source branch) once `options.confirm` names that branch,
   * whose data it replaces. The replaced data stays as a branch
   * (`result.replaced_by`).
   */
  async restoreSnapshot(nameOrId, options) {
    const name = toNameOrId(nameOrId);
    const { json, call, extra } = readProviderOptions(
      options,
      RESTORE_SNAPSHOT_OPTIONS,
      'restoreSnapshot',
      ['confirm'],
    );
    const document = json === null ? {} : JSON.parse(json);
    return this.#enqueue(call, describeRestoreSnapshotError, async (run) => {
      const snapshots = parseProviderList(await run(addon.providerListSnapshots), 'snapshots');
      const snapshot = findSnapshot(snapshots, name);
      const branches = parseProviderList(await run(addon.providerListBranches), 'branches');
      if (!snapshot) {
        // An interrupted quota rotation leaves the backup on a bridge branch.
        let bridge;
        for (const b of branches) {
          const newer = !bridge || b.created_at > bridge.created_at;
          if (b.name.startsWith(`${name}-bridge-`) && newer) bridge = b;
        }
        if (bridge) {
          throw makeError(
            Status.DBSAFE_ESTATE,
            `dbsafe: the backup ${name} is held by branch ${bridge.name} (${bridge.id}): a ` +
              'rotation was interrupted while the snapshot quota was full; connect to it with ' +
              `connectionUrl(${JSON.stringify(bridge.name)}), or call rotateSnapshot({ name: ` +
              `${JSON.stringify(name)} }) to finish the rotation first`,
            { detail: { backup: { kind: 'branch', name: bridge.name, id: bridge.id } } },
          );
        }
        throw notFound(`no snapshot named ${JSON.stringify(name)}`);
      }
      const targetRef = document.target_branch ?? snapshot.source_branch_id;
      let target = targetRef ? findBranch(branches, targetRef) : undefined;
      // A targetBranch that names nothing is a mistake, never a reason to
      // restore somewhere else.
      if (!target && document.target_branch !== undefined) {
        throw notFound(`no branch named ${JSON.stringify(document.target_branch)}`);
      }
      // The snapshot's source branch may be gone: the provider restores into
      // the default branch then, and the confirmation names it.
      target ??= branches.find((b) => b.default);
      if (!target) throw notFound('the provider has no default branch to restore into');
      requireConfirmation(
        extra.confirm,
        target,
        'branch',
        `replace the data of branch ${label(target)} with snapshot ${label(snapshot)}`,
      );
      const restore = JSON.stringify({ ...document, target_branch: target.id });
      return parseReport(
        await run(
          (h, ...rest) => addon.providerRestoreSnapshot(h, snapshot.id, restore, ...rest),
          { completionWins: true },
        ),
      );
    });
  }

  /**
   * The single rotating backup (seed 000): a new snapshot `options.name`
   * (default 'pre-deploy-backup') is ready before the old one is deleted.
   * Resolves with the rotate report.
   */
  async rotateSnapshot(options) {
    const { json, call } = readProviderOptions(options, ROTATE_OPTIONS, 'rotateSnapshot');
    return this.#enqueue(call, describeRotateError, async (run) =>
      parseReport(
        await run((h, ...rest) => addon.snapshotRotate(h, json, ...rest), {
          completionWins: true,
        }),
      ),
    );
  }

  /**
   * Applies a retention policy to the snapshots whose name starts with
   * `options.namePrefix`. Resolves with the prune report (`dryRun`: what it
   * would delete).
   */
  async applySnapshotRetention(options) {
    const { json, call } = readProviderOptions(
      options,
      SNAPSHOT_RETENTION_OPTIONS,
      'applySnapshotRetention',
    );
    return this.#enqueue(call, describeRetentionError, async (run) =>
      parseReport(
        await run((h, ...rest) => addon.snapshotRetention(h, json, ...rest), {
          completionWins: true,
        }),
      ),
    );
  }

  /**
   * Deletes expired branches, the "(old …)" branches restores leave behind,
   * and applies the retention policy to branches whose name starts with
   * `options.namePrefix`. Never the default or a protected branch. Resolves
   * with the prune report.
   */
  async pruneBranches(options) {
    const { json, call } = readProviderOptions(options, BRANCH_PRUNE_OPTIONS, 'pruneBranches');
    return this.#enqueue(call, describePruneError, async (run) =>
      parseReport(
        await run((h, ...rest) => addon.branchPrune(h, json, ...rest), { completionWins: true }),
      ),
    );
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  Provider.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.close();
  };
}

const describeProviderCallError = providerDescriber({});
const describeCreateBranchError = providerDescriber(CREATE_BRANCH_OPTIONS);
const describeCreateSnapshotError = providerDescriber(CREATE_SNAPSHOT_OPTIONS);
const describeRestoreSnapshotError = providerDescriber(RESTORE_SNAPSHOT_OPTIONS);
const describeRotateError = providerDescriber(ROTATE_OPTIONS);
const describeRetentionError = providerDescriber(SNAPSHOT_RETENTION_OPTIONS);
const describePruneError = providerDescriber(BRANCH_PRUNE_OPTIONS);

function notFound(message) {
  return makeError(Status.DBSAFE_ENOTFOUND, `dbsafe: ${message}`);
}

/**
 * Opens a snapshot and branch provider: `kind: 'neon'` (the default; the
 * Neon API v2, the key from `apiKey` or NEON_API_KEY) or `'local'` (the
 * PostgreSQL server of `databaseUrl` or DATABASE_URL). Opening checks the
 * settings and makes no request. Rejects with an InvalidArgumentError naming
 * a missing or bad setting; the API key never appears in a message.
 */
async function openProvider(options) {
  const json = providerOpenDocument(options);
  let handle;
  try {
    handle = addon.providerOpen(json);
  } catch (error) {
    throw fromNative(error, describeProviderOpenError);
  }
  return new Provider(PROVIDER_KEY, handle, options?.kind ?? 'neon');
}

/**
 * Whether `script` matches a checksum stored in Prisma's _prisma_migrations
 * table, compared the way Prisma compares them (CRLF/LF variants too).
 */
function checksumMatches(script, storedChecksum) {
  if (typeof script !== 'string' && !(script instanceof Uint8Array)) {
    throw invalidArg('dbsafe: script must be a string, a Buffer or a Uint8Array');
  }
  if (typeof storedChecksum !== 'string') {
    throw invalidArg('dbsafe: storedChecksum must be a string');
  }
  return addon.checksumMatches(script, storedChecksum);
}

/**
 * Runs the dbsafe command line in this process (argv[0] is the program name)
 * and returns its exit code. It writes straight to file descriptors 1 and 2
 * and blocks the event loop until it is done.
 */
function cliMain(argv) {
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) {
    throw invalidArg('dbsafe: argv must be an array of strings');
  }
  return addon.cliMain(argv);
}

module.exports = {
  version: addon.version(),
  versionInfo: Object.freeze(addon.versionInfo()),
  abiVersion: addon.abiVersion(),
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
  StateError,
  migrations,
  migrationsJson,
  migrationsSync,
  migrationsJsonSync,
  check,
  checkSync,
  checkSql,
  stats,
  statsSync,
  migrate,
  migrateStatus,
  migrateDeploy,
  migrateResolve,
  migrateBaseline,
  migrateBaselineFromDatabase,
  schema,
  schemaDump,
  schemaRender,
  schemaDiff,
  drift,
  verify,
  deploy,
  restore,
  backup,
  maintenance,
  copy,
  openProvider,
  Provider,
  checksumMatches,
  cliMain,
};
