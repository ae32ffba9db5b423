"use strict";
// Shared helpers for the bench/ scripts: where things are, making sure the
// pinned squawk-cli is installed, and listing the corpus.

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const BENCH_DIR = path.resolve(__dirname, "..");
const REPO_ROOT = path.resolve(BENCH_DIR, "..");
// Relative to the repository root, like every other script of the project.
const CORPUS_REL = process.env.DBSAFE_CORPUS || "../shared/corpus";
const PROJECTS = ["documenso", "hoppscotch", "inbox-zero", "langfuse", "trigger.dev"];
const SQUAWK_VERSION = "2.66.0";
const RESULTS_DIR = path.join(BENCH_DIR, "results");

function die(msg) {
  process.stderr.write(`${path.basename(process.argv[1])}: error: ${msg}\n`);
  process.exit(3);
}

function say(msg) {
  process.stderr.write(`${path.basename(process.argv[1])}: ${msg}\n`);
}

// Absolute path of the corpus; everything is run with cwd = REPO_ROOT so the
// relative form works in printed commands.
function corpusAbs() {
  const abs = path.resolve(REPO_ROOT, CORPUS_REL);
  if (!fs.existsSync(abs)) die(`corpus not found at ${CORPUS_REL} (from ${REPO_ROOT}); set DBSAFE_CORPUS`);
  return abs;
}

// Every migration.sql below dir, sorted byte-wise like Prisma does.
function listMigrationFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name === "migration.sql") out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

function dbsafeBin() {
  const bin = process.env.DBSAFE_BIN
    ? path.resolve(process.env.DBSAFE_BIN)
    : path.join(REPO_ROOT, "build", "dbsafe");
  if (!fs.existsSync(bin)) {
    die(`${bin} not found; build it with: cmake --build build --target dbsafe_cli -j2`);
  }
  return bin;
}

// The native squawk binary that the npm package's JS launcher spawns. Timing
// the binary directly keeps Node's start-up (~40 ms) out of squawk's figures.
function squawkBin({ install = true } = {}) {
  const resolve = () => {
    try {
      const pkgJson = require.resolve("squawk-cli/package.json", { paths: [BENCH_DIR] });
      const version = JSON.parse(fs.readFileSync(pkgJson, "utf8")).version;
      if (version !== SQUAWK_VERSION) return null;
      delete require.cache[require.resolve("squawk-cli/js/index.js", { paths: [BENCH_DIR] })];
      const idx = require(require.resolve("squawk-cli/js/index.js", { paths: [BENCH_DIR] }));
      const bin = idx.getBinaryPath();
      return fs.existsSync(bin) ? bin : null;
    } catch {
      return null;
    }
  };
  let bin = resolve();
  if (!bin && install) {
    say(`squawk-cli ${SQUAWK_VERSION} is not installed in bench/; running npm ci`);
    const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: BENCH_DIR, stdio: ["ignore", 2, 2] });
    if (r.status !== 0) die("npm ci in bench/ failed");
    bin = resolve();
  }
  if (!bin) die(`squawk-cli ${SQUAWK_VERSION} is not usable in bench/node_modules`);
  const v = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (!String(v.stdout).includes(SQUAWK_VERSION)) die(`unexpected squawk version: ${v.stdout}`);
  return bin;
}

// bench/lib/runtime.c, compiled on first use into bench/node_modules/.cache
// (rebuilt when the source is newer): the launcher that times one run.
function runtimeBin() {
  const src = path.join(BENCH_DIR, "lib", "runtime.c");
  const bin = path.join(BENCH_DIR, "node_modules", ".cache", "dbsafe-bench-runtime");
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const r = spawnSync("cc", ["-O2", "-o", bin, src], { stdio: ["ignore", 2, 2] });
  if (r.status !== 0) die(`cannot compile ${src} with cc (apt-get install gcc)`);
  return bin;
}

function gitInfo() {
  const run = (args) => {
    const r = spawnSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const dirty = run(["status", "--porcelain", "--", "lib", "cli", "include", "capi"]);
  return { commit: run(["rev-parse", "HEAD"]), source_tree_modified: dirty === null ? null : dirty.length > 0 };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function writeJson(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(obj, null, 2) + "\n");
}

module.exports = {
  BENCH_DIR, REPO_ROOT, CORPUS_REL, PROJECTS, SQUAWK_VERSION, RESULTS_DIR,
  die, say, corpusAbs, listMigrationFiles, dbsafeBin, squawkBin, runtimeBin, gitInfo, median, writeJson,
};
