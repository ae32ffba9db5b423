"use strict";
// Preloaded (node --require) by ./prisma when DBSAFE_PRISMA_FAST_EXIT=1.
//
// Prisma 6.19.3's WebAssembly schema engine arms a ~10 s timer (a timeout
// around its work) that is not cleared when the work finishes, so the CLI
// process stays alive ~10 s after `migrate deploy` has printed its result.
// This unrefs such timers: a timer armed from WebAssembly with a delay of 5 s
// or more no longer keeps the process alive by itself. It still fires while
// the process is alive for other reasons (e.g. waiting on the database for
// the migration lock), so Prisma's own timeouts keep working. The pg pool's
// idle timeout, the other reason for lingering, is set in prisma.config.ts
// (DBSAFE_PRISMA_POOL_IDLE_MS). Used by the tests only, to save ~10 s per run;
// bench/deploy-corpus times Prisma both with and without it.
const original = global.setTimeout;
global.setTimeout = function setTimeout(fn, delay, ...args) {
  const timer = original.call(this, fn, delay, ...args);
  if (Number(delay) >= 5000 && timer && typeof timer.unref === "function") {
    const stack = new Error().stack || "";
    if (stack.includes("wasm://") || stack.includes("wasm-function")) timer.unref();
  }
  return timer;
};
