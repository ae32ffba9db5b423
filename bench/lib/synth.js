"use strict";
// Deterministic generator of realistic Prisma-style migration SQL for the
// synthetic benchmark inputs. The statements reference tables, columns and
// indexes created earlier, so they are valid when applied in order.

const fs = require("fs");
const path = require("path");

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLUMN_TYPES = [
  ["TEXT", "'n/a'"],
  ["TEXT", "'n/a'"],
  ["INTEGER", "0"],
  ["BIGINT", "0"],
  ["BOOLEAN", "false"],
  ["TIMESTAMP(3)", "CURRENT_TIMESTAMP"],
  ["JSONB", "'{}'"],
  ["DOUBLE PRECISION", "0"],
  ["VARCHAR(255)", "''"],
];

class Generator {
  constructor(seed = 42) {
    this.rand = mulberry32(seed);
    this.tables = []; // {name, cols: [{name, type, nullable}], indexes: [names], seq}
    this.enums = []; // {name, labels}
    this.tableSeq = 0;
    this.colSeq = 0;
    this.idxSeq = 0;
    this.enumSeq = 0;
  }

  int(n) { return Math.floor(this.rand() * n); }
  pick(xs) { return xs[this.int(xs.length)]; }
  table() { return this.tables[this.int(this.tables.length)]; }
  q(s) { return `"${s}"`; }

  createTable() {
    const name = `Model${String(++this.tableSeq).padStart(5, "0")}`;
    const cols = [
      { name: "id", type: "TEXT", nullable: false },
      { name: "createdAt", type: "TIMESTAMP(3)", nullable: false, def: "CURRENT_TIMESTAMP" },
      { name: "updatedAt", type: "TIMESTAMP(3)", nullable: false },
    ];
    const extra = 2 + this.int(7);
    for (let i = 0; i < extra; i++) {
      const [type, def] = this.pick(COLUMN_TYPES);
      const nullable = this.rand() < 0.4;
      cols.push({ name: `field${++this.colSeq}`, type, nullable, def: !nullable && this.rand() < 0.5 ? def : undefined });
    }
    if (this.tables.length && this.rand() < 0.6) {
      cols.push({ name: `${this.table().name.toLowerCase()}Id`, type: "TEXT", nullable: this.rand() < 0.5 });
    }
    const t = { name, cols, indexes: [] };
    this.tables.push(t);
    const lines = cols.map((c) =>
      `    ${this.q(c.name)} ${c.type}${c.nullable ? "" : " NOT NULL"}${c.def ? ` DEFAULT ${c.def}` : ""},`);
    return `-- CreateTable\nCREATE TABLE ${this.q(name)} (\n${lines.join("\n")}\n\n    CONSTRAINT ${this.q(name + "_pkey")} PRIMARY KEY ("id")\n);`;
  }

  addColumn() {
    const t = this.table();
    const [type, def] = this.pick(COLUMN_TYPES);
    const kind = this.rand();
    const c = { name: `field${++this.colSeq}`, type, nullable: true };
    let sql = `ALTER TABLE ${this.q(t.name)} ADD COLUMN ${this.q(c.name)} ${type}`;
    if (kind < 0.55) {
      // nullable, no default (the common Prisma case)
    } else if (kind < 0.85) {
      c.nullable = false;
      sql += ` NOT NULL DEFAULT ${def}`;
    } else if (kind < 0.95) {
      sql += ` DEFAULT ${def}`;
    } else {
      c.nullable = false;
      sql += " NOT NULL"; // add-required-column
    }
    t.cols.push(c);
    return `-- AlterTable\n${sql};`;
  }

  createIndex(concurrently = false) {
    const t = this.table();
    const n = 1 + (this.rand() < 0.25 ? 1 : 0);
    const cols = [];
    for (let i = 0; i < n; i++) {
      const c = this.pick(t.cols.filter((x) => x.type !== "JSONB"));
      if (!cols.includes(c.name)) cols.push(c.name);
    }
    const unique = this.rand() < 0.25;
    const name = `${t.name}_${cols.join("_")}_${++this.idxSeq}_${unique ? "key" : "idx"}`;
    t.indexes.push(name);
    return `-- CreateIndex\nCREATE ${unique ? "UNIQUE " : ""}INDEX ${concurrently ? "CONCURRENTLY " : ""}${this.q(name)} ON ${this.q(t.name)}(${cols.map((c) => this.q(c)).join(", ")});`;
  }

  addForeignKey() {
    const t = this.table();
    const ref = this.table();
    const c = { name: `${ref.name.toLowerCase()}Ref${++this.colSeq}`, type: "TEXT", nullable: true };
    t.cols.push(c);
    const onDelete = this.pick(["CASCADE", "SET NULL", "RESTRICT"]);
    return `-- AlterTable\nALTER TABLE ${this.q(t.name)} ADD COLUMN ${this.q(c.name)} TEXT;\n` +
      `-- AddForeignKey\nALTER TABLE ${this.q(t.name)} ADD CONSTRAINT ${this.q(`${t.name}_${c.name}_fkey`)} FOREIGN KEY (${this.q(c.name)}) REFERENCES ${this.q(ref.name)}("id") ON DELETE ${onDelete} ON UPDATE CASCADE;`;
  }

  update() {
    const t = this.table();
    const c = this.pick(t.cols.filter((x) => x.name !== "id"));
    const val = COLUMN_TYPES.find(([ty]) => ty === c.type)?.[1] ?? "NULL";
    return `UPDATE ${this.q(t.name)} SET ${this.q(c.name)} = ${val} WHERE ${this.q(c.name)} IS NULL;`;
  }

  alterColumn() {
    const t = this.table();
    const c = this.pick(t.cols.filter((x) => x.name !== "id"));
    const r = this.rand();
    if (c.nullable && r < 0.5) {
      c.nullable = false;
      return `-- AlterTable\nALTER TABLE ${this.q(t.name)} ALTER COLUMN ${this.q(c.name)} SET NOT NULL;`;
    }
    if (!c.nullable && r < 0.7) {
      c.nullable = true;
      return `-- AlterTable\nALTER TABLE ${this.q(t.name)} ALTER COLUMN ${this.q(c.name)} DROP NOT NULL;`;
    }
    const def = COLUMN_TYPES.find(([ty]) => ty === c.type)?.[1] ?? "NULL";
    return `-- AlterTable\nALTER TABLE ${this.q(t.name)} ALTER COLUMN ${this.q(c.name)} SET DEFAULT ${def};`;
  }

  dropColumn() {
    const t = this.table();
    const candidates = t.cols.filter((x) => x.name.startsWith("field"));
    if (!candidates.length) return this.addColumn();
    const c = this.pick(candidates);
    t.cols = t.cols.filter((x) => x !== c);
    // Drop indexes mentioning the column with it (PostgreSQL does that too).
    t.indexes = t.indexes.filter((i) => !i.includes(`_${c.name}_`));
    return `/*\n  Warnings:\n\n  - You are about to drop the column \`${c.name}\` on the \`${t.name}\` table. All the data in the column will be lost.\n\n*/\n-- AlterTable\nALTER TABLE ${this.q(t.name)} DROP COLUMN ${this.q(c.name)};`;
  }

  dropIndex() {
    const t = this.tables.find((x) => x.indexes.length && this.rand() < 0.3) || this.tables.find((x) => x.indexes.length);
    if (!t) return this.createIndex();
    const name = t.indexes.splice(this.int(t.indexes.length), 1)[0];
    return `-- DropIndex\nDROP INDEX ${this.q(name)};`;
  }

  enumStmt() {
    if (!this.enums.length || this.rand() < 0.4) {
      const e = { name: `Status${++this.enumSeq}`, labels: ["ACTIVE", "INACTIVE", "PENDING"] };
      this.enums.push(e);
      return `-- CreateEnum\nCREATE TYPE ${this.q(e.name)} AS ENUM ('ACTIVE', 'INACTIVE', 'PENDING');`;
    }
    const e = this.pick(this.enums);
    const label = `LABEL_${e.labels.length}`;
    e.labels.push(label);
    return `-- AlterEnum\nALTER TYPE ${this.q(e.name)} ADD VALUE '${label}';`;
  }

  insert() {
    const t = this.table();
    const cols = t.cols.filter((c) => !c.nullable && !c.def);
    const vals = cols.map((c) => (c.name === "id" ? `'seed-${this.int(1e9)}'`
      : COLUMN_TYPES.find(([ty]) => ty === c.type)?.[1] ?? "NULL"));
    return `INSERT INTO ${this.q(t.name)} (${cols.map((c) => this.q(c.name)).join(", ")}) VALUES (${vals.join(", ")});`;
  }

  renameColumn() {
    const t = this.table();
    const candidates = t.cols.filter((x) => x.name.startsWith("field"));
    if (!candidates.length) return this.addColumn();
    const c = this.pick(candidates);
    const old = c.name;
    c.name = `field${++this.colSeq}`;
    t.indexes = t.indexes.filter((i) => !i.includes(`_${old}_`));
    return `-- AlterTable\nALTER TABLE ${this.q(t.name)} RENAME COLUMN ${this.q(old)} TO ${this.q(c.name)};`;
  }

  // One statement (two for a foreign key: the column, then the constraint).
  // Returns [sql, statementCount].
  next() {
    if (this.tables.length < 3) return [this.createTable(), 1];
    const r = this.rand() * 100;
    if (r < 15) return [this.createTable(), 1];
    if (r < 38) return [this.addColumn(), 1];
    if (r < 56) return [this.createIndex(), 1];
    if (r < 64) return [this.addForeignKey(), 2];
    if (r < 74) return [this.update(), 1];
    if (r < 80) return [this.alterColumn(), 1];
    if (r < 83) return [this.dropColumn(), 1];
    if (r < 86) return [this.dropIndex(), 1];
    if (r < 91) return [this.enumStmt(), 1];
    if (r < 97) return [this.insert(), 1];
    return [this.renameColumn(), 1];
  }
}

// One file of exactly `count` statements.
function writeBigFile(file, count, seed = 1) {
  const g = new Generator(seed);
  const parts = [];
  let n = 0;
  while (n < count) {
    let [sql, k] = g.next();
    if (n + k > count) [sql, k] = [g.createTable(), 1];
    parts.push(sql);
    n += k;
  }
  fs.writeFileSync(file, parts.join("\n\n") + "\n");
  return { files: 1, statements: n, bytes: fs.statSync(file).size };
}

// `files` plain migrations 00001.sql ... named so that they sort in order;
// 1-4 statements each, and about 2% a lone CREATE INDEX CONCURRENTLY (a
// non-transactional file, as Prisma projects write them).
function writeManyFiles(dir, files, seed = 2) {
  const g = new Generator(seed);
  const width = Math.max(5, String(files).length);
  let statements = 0;
  let bytes = 0;
  for (let i = 1; i <= files; i++) {
    const parts = [];
    if (i > 1 && g.rand() < 0.02) {
      parts.push(g.createIndex(true));
      statements += 1;
    } else {
      const k = i === 1 ? 5 : 1 + g.int(4);
      for (let j = 0; j < k; j++) {
        const [sql, n] = i === 1 ? [g.createTable(), 1] : g.next();
        parts.push(sql);
        statements += n;
      }
    }
    const text = parts.join("\n\n") + "\n";
    fs.writeFileSync(path.join(dir, `${String(i).padStart(width, "0")}.sql`), text);
    bytes += Buffer.byteLength(text);
  }
  return { files, statements, bytes };
}

module.exports = { Generator, writeBigFile, writeManyFiles };
