#!/usr/bin/env node
"use strict";
// Applies the two local fixes that let Prisma 6.19.3's `migrate deploy` and
// `migrate status` run through @prisma/adapter-pg 6.19.3 here (see
// ../shared/peers/README.md), to node_modules/@prisma/adapter-pg/dist/index.{js,mjs}:
//
//   1. PostgreSQL's `name` type (oid 19) is read as text. Unpatched, the adapter
//      throws "Unsupported column type" on the catalog queries of `migrate`
//      (open upstream bug prisma/orm#27403).
//   2. A migration script is sent as one simple-protocol query. Unpatched, the
//      adapter splits it on every `;`, which breaks `$$` function bodies,
//      string literals holding `;`, and a failed migration's partial state.
//
// Idempotent: each edit leaves a marker and is skipped when the marker is there.
// Runs as this package's `postinstall` (npm ci / npm install) and may be run by
// hand: node tests/interop/prisma/patch-adapter-pg.js
// Exits 1 with a message when the files do not look like adapter-pg 6.19.3.

const fs = require("fs");
const path = require("path");

const MARK_NAME = "/* dbsafe local fix 1: name (oid 19) as text */";
const MARK_SCRIPT = "/* dbsafe local fix 2: the script as one simple query */";
const dir = path.join(__dirname, "node_modules", "@prisma", "adapter-pg");

function die(msg) {
  process.stderr.write(`patch-adapter-pg: error: ${msg}\n`);
  process.exit(1);
}

const pkgFile = path.join(dir, "package.json");
if (!fs.existsSync(pkgFile)) die(`${pkgFile} is missing: run npm ci in ${__dirname} first`);
const version = JSON.parse(fs.readFileSync(pkgFile, "utf8")).version;
if (version !== "6.19.3") die(`@prisma/adapter-pg is ${version}; these fixes are for 6.19.3`);

// One edit: `find` must occur exactly once in an unpatched file.
const edits = [
  {
    marker: MARK_NAME,
    find: /^(\s*)case ScalarColumnType\.XML:\n/m,
    replace: (m, indent) => `${indent}case 19: ${MARK_NAME}\n${m}`,
  },
  {
    marker: MARK_SCRIPT,
    find: /const statements = script\.split\(";"\)\.map\(\(stmt\) => stmt\.trim\(\)\)\.filter\(\(stmt\) => stmt\.length > 0\);/,
    replace: () => `const statements = script.trim().length > 0 ? [script] : []; ${MARK_SCRIPT}`,
  },
];

let changed = 0;
for (const name of ["index.js", "index.mjs"]) {
  const file = path.join(dir, "dist", name);
  if (!fs.existsSync(file)) die(`${file} is missing`);
  const original = fs.readFileSync(file, "utf8");
  let text = original;
  for (const e of edits) {
    if (text.includes(e.marker)) continue;
    const hits = text.match(new RegExp(e.find.source, e.find.flags + "g"));
    if (!hits || hits.length !== 1) {
      die(`${file}: expected one match of ${e.find} (found ${hits ? hits.length : 0}); ` +
          "the package is not the adapter-pg 6.19.3 these fixes were written for");
    }
    text = text.replace(e.find, e.replace);
    changed++;
  }
  if (text !== original) fs.writeFileSync(file, text);
}
process.stdout.write(changed ? `patch-adapter-pg: applied ${changed} edit(s) to @prisma/adapter-pg ${version}\n`
                             : `patch-adapter-pg: @prisma/adapter-pg ${version} already patched\n`);
