"use strict";
// A small PostgreSQL statement splitter, used to attribute findings of two
// tools to the statement they concern. It knows comments (nested /* */),
// '...' strings ('' escapes), E'...' strings (backslash escapes), "..."
// identifiers and $tag$...$tag$ bodies. Positions are byte offsets into the
// UTF-8 buffer; lines and columns are 1-based, columns in bytes (as dbsafe's).

function isIdent(b) {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80 || b === 0x24;
}

// Returns { statements: [{begin, end, line, column}], lineStarts }.
// `begin` is the first byte of the statement's first token, `end` one past
// its terminating ';' (or the end of the text for the last statement).
function split(buf) {
  if (typeof buf === "string") buf = Buffer.from(buf, "utf8");
  const n = buf.length;
  const lineStarts = [0];
  for (let i = 0; i < n; i++) if (buf[i] === 0x0a) lineStarts.push(i + 1);

  const statements = [];
  let begin = -1; // first token of the current statement
  let i = 0;
  const startToken = (at) => { if (begin < 0) begin = at; };
  while (i < n) {
    const c = buf[i];
    const d = i + 1 < n ? buf[i + 1] : -1;
    if (c === 0x2d && d === 0x2d) { // -- comment
      while (i < n && buf[i] !== 0x0a) i++;
    } else if (c === 0x2f && d === 0x2a) { // /* nested */
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (buf[i] === 0x2f && buf[i + 1] === 0x2a) { depth++; i += 2; }
        else if (buf[i] === 0x2a && buf[i + 1] === 0x2f) { depth--; i += 2; }
        else i++;
      }
    } else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b) {
      i++;
    } else if (c === 0x3b) { // ;
      if (begin >= 0) {
        statements.push({ begin, end: i + 1 });
        begin = -1;
      }
      i++;
    } else if (c === 0x27) { // '...'
      startToken(i);
      const escapes = i > 0 && (buf[i - 1] === 0x45 || buf[i - 1] === 0x65) && !(i > 1 && isIdent(buf[i - 2]));
      i++;
      while (i < n) {
        if (escapes && buf[i] === 0x5c) { i += 2; continue; }
        if (buf[i] === 0x27) {
          if (buf[i + 1] === 0x27) { i += 2; continue; }
          i++;
          break;
        }
        i++;
      }
    } else if (c === 0x22) { // "identifier"
      startToken(i);
      i++;
      while (i < n) {
        if (buf[i] === 0x22) {
          if (buf[i + 1] === 0x22) { i += 2; continue; }
          i++;
          break;
        }
        i++;
      }
    } else if (c === 0x24 && !(i > 0 && isIdent(buf[i - 1]))) { // $tag$ ... $tag$
      startToken(i);
      let j = i + 1;
      while (j < n && isIdent(buf[j]) && buf[j] !== 0x24 && !(j === i + 1 && buf[j] >= 0x30 && buf[j] <= 0x39)) j++;
      if (j < n && buf[j] === 0x24) {
        const tag = buf.subarray(i, j + 1);
        const close = buf.indexOf(tag, j + 1);
        i = close < 0 ? n : close + tag.length;
      } else {
        i++; // a parameter like $1
      }
    } else {
      startToken(i);
      i++;
    }
  }
  if (begin >= 0) statements.push({ begin, end: n });

  for (const s of statements) {
    const lc = lineCol(lineStarts, s.begin);
    s.line = lc.line;
    s.column = lc.column;
    s.end_line = lineCol(lineStarts, Math.max(s.begin, s.end - 1)).line;
  }
  return { statements, lineStarts };
}

function lineCol(lineStarts, off) {
  let lo = 0, hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= off) lo = mid; else hi = mid - 1;
  }
  return { line: lo + 1, column: off - lineStarts[lo] + 1 };
}

// Byte offset of a 1-based line and 1-based byte column.
function offsetOf(lineStarts, line, column) {
  const l = Math.min(Math.max(line, 1), lineStarts.length);
  return lineStarts[l - 1] + Math.max(column, 1) - 1;
}

// Index of the statement containing byte offset `off`; an offset between
// statements (a comment, blank lines) goes to the next statement, or the
// last one at the end of the file. -1 for a file without statements.
function statementAt(statements, off) {
  if (!statements.length) return -1;
  let lo = 0, hi = statements.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (statements[mid].begin <= off) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (found >= 0 && off < statements[found].end) return found;
  return Math.min(found + 1, statements.length - 1);
}

module.exports = { split, lineCol, offsetOf, statementAt };
