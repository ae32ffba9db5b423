// A stand-in for `next build`: the second half of `npm run vercel-build`.
// Like Next.js in a production build it reads .env.production.local, which
// dbsafe writes for a preview branch, so the app is built against the
// database the migrations were just deployed to. It records which one
// (never the password) in .build/info.json.
const fs = require('node:fs');
const path = require('node:path');

const env = { ...process.env };
const envFile = path.join(__dirname, '..', '.env.production.local');
if (fs.existsSync(envFile)) {
  for (const line of fs.readFileSync(envFile, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
}
const url = env.DATABASE_URL ? new URL(env.DATABASE_URL) : null;
const info = {
  vercel_env: env.VERCEL_ENV ?? null,
  database: url ? `${url.hostname}:${url.port || 5432}${url.pathname}` : null,
  from_env_file: fs.existsSync(envFile),
};
fs.mkdirSync(path.join(__dirname, '..', '.build'), { recursive: true });
fs.writeFileSync(path.join(__dirname, '..', '.build', 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
console.log(`build: the app uses ${info.database ?? 'no database'}`);
