// Type declarations for the ESM entry point (index.mjs): the same API as
// index.d.ts, plus the whole module as the default export.
import * as dbsafe from './index.js';

export * from './index.js';
export default dbsafe;
