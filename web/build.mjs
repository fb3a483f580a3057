// Builds the reading room (web/src) into web/dist: one bundled script and one stylesheet with content
// hashes in their names (the service caches those for a year) and an index.html that only links them,
// so the strict CSP (no inline script or style) holds. esbuild strips types; `tsc -p web` checks them.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(here, 'src/main.ts'), style: path.join(here, 'src/style.css') },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: true,
  entryNames: '[name]-[hash]',
  // The in-browser models (onnxruntime-web) load only on the page that runs them.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  outdir: dist,
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const named = (entry) => {
  const found = outputs.find(([file, o]) => o.entryPoint?.endsWith(entry) && !file.endsWith('.map'));
  if (!found) throw new Error(`web build: no output for ${entry}`);
  return path.basename(found[0]);
};
const html = readFileSync(path.join(here, 'index.html'), 'utf8')
  .replace('%SCRIPT%', named('src/main.ts'))
  .replace('%STYLE%', named('src/style.css'));
writeFileSync(path.join(dist, 'index.html'), html);
