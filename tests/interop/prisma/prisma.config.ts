// Prisma 6.19.3 configuration for running `migrate deploy` / `migrate status`
// offline beside dbsafe (see ../shared/peers/README.md and ./prisma).
// The JS schema engine with @prisma/adapter-pg replaces the native schema
// engine, which would be downloaded at first use. The migrations directory is
// taken from DBSAFE_PRISMA_MIGRATIONS (the wrapper `./prisma` sets it).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

const migrations = process.env.DBSAFE_PRISMA_MIGRATIONS;
if (!migrations) {
  throw new Error("DBSAFE_PRISMA_MIGRATIONS is not set: run Prisma through tests/interop/prisma/prisma");
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(__dirname, "schema.prisma"),
  migrations: { path: path.resolve(migrations) },
  async adapter() {
    // DBSAFE_PRISMA_POOL_IDLE_MS shortens the pool's idle timeout (pg's default
    // is 10 s), one of the two things that keep the process alive ~10 s after
    // its work (fast-exit.js deals with the other). Note: in this setup the
    // URL's `schema` parameter is ignored (so is the adapter's `schema`
    // option): Prisma's history and the migrations land in `public`.
    const idle = process.env.DBSAFE_PRISMA_POOL_IDLE_MS;
    return new PrismaPg({
      connectionString: process.env.DATABASE_URL,
      ...(idle ? { idleTimeoutMillis: Number(idle) } : {}),
    });
  },
});
