// Bundles src/ (ES modules, entry src/index.js) into dist/idbsync.js: one dependency-free ES
// module, not minified, which the server serves at /client/idbsync.js and the package exports.
//   node scripts/build.js           writes dist/idbsync.js (npm run build)
//   node scripts/build.js --check   fails if dist/idbsync.js differs from a fresh build (npm test)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const client = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = path.join(client, 'dist', 'idbsync.js');
const banner = `// idbsync browser client, bundled from client/src/ (entry src/index.js) by esbuild.
// GENERATED FILE: do not edit. Change the sources under client/src/, then run \`npm run build\`
// in client/ and commit this file too (\`npm test\` fails while it differs from a fresh build).
// Types: idbsync.d.ts (client/src/idbsync.d.ts, served beside this file).`;

const result = await esbuild.build({
  absWorkingDir: client,
  entryPoints: ['src/index.js'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'esnext', // no down-levelling: the code is what the sources say
  minify: false,
  sourcemap: false,
  charset: 'utf8',
  legalComments: 'inline',
  banner: { js: banner },
  write: false,
  logLevel: 'warning',
});
const fresh = result.outputFiles[0].text;

if (process.argv.includes('--check')) {
  const committed = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : null;
  if (committed !== fresh) {
    console.error(`${path.relative(client, out)} ${committed == null ? 'is missing' : 'differs from a fresh build of src/'}: run \`npm run build\` in client/ and commit it`);
    process.exit(1);
  }
  console.log(`${path.relative(client, out)} is what src/ builds to`);
} else {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, fresh);
  console.log(`wrote ${path.relative(client, out)} (${fresh.length} bytes)`);
}
