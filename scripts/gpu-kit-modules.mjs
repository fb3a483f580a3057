// Prints, one a line, the node_modules package folders (relative to the checkout) that the GPU check
// needs at run time: the packages the compiled commands it runs can import, with their dependencies,
// plus the build's own (node-gyp and node-addon-api). The graph is read from the compiled JavaScript in
// dist/: static imports everywhere; the lazy `import('...')` of a command's action only for the
// commands scripts/gpu-check.sh runs, so the server's, the report's and the DICOM tools' packages stay
// out of the kit. Usage: node scripts/gpu-kit-modules.mjs (after `npm run build`).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = process.cwd();
const dist = path.join(root, 'dist');
// The commands gpu-check.sh runs (src/cli/<name>.js) and the benchmarks it names.
const usedCommands = new Set(['info', 'bench', 'synth', 'train', 'bundle', 'predict']);
const entries = ['src/cli/main.js', 'bench/main.js', 'bench/gpu-parity.js', 'bench/train.js', 'bench/train-step.js'];
const buildPackages = ['node-gyp', 'node-addon-api'];

const importPattern = /(?:\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?|\bexport\s*[\w*{}\s,$]+?\s*from\s*)['"]([^'"]+)['"]/g;
const dynamicPattern = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function isUnusedCommand(file) {
  const rel = path.relative(dist, file);
  const match = /^src\/cli\/([\w-]+)\.js$/.exec(rel);
  return match !== null && match[1] !== 'main' && !usedCommands.has(match[1]) && !isHelper(match[1]);
}
// Shared helpers of the CLI are followed like any module.
function isHelper(name) {
  return ['run-action', 'option-parsers', 'compute-options', 'progress', 'train-progress'].includes(name);
}

const seenFiles = new Set();
const bare = new Set();
function walk(file) {
  if (seenFiles.has(file) || !existsSync(file)) return;
  seenFiles.add(file);
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(importPattern)].map((m) => m[1]);
  if (!isUnusedCommand(file)) specifiers.push(...[...text.matchAll(dynamicPattern)].map((m) => m[1]));
  for (const spec of specifiers) {
    if (spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) walk(path.resolve(path.dirname(file), spec));
    else bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
}
for (const entry of entries) walk(path.join(dist, entry));

// Each package with its dependencies, resolved as node resolves them (nested copies included).
const folders = new Set();
function addPackage(name, fromDir) {
  let manifest;
  try {
    manifest = createRequire(path.join(fromDir, 'noop.js')).resolve(`${name}/package.json`);
  } catch {
    // Packages whose exports hide package.json: find the folder on the node_modules path.
    let dir = fromDir;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name, 'package.json');
      if (existsSync(candidate)) {
        manifest = candidate;
        break;
      }
      const up = path.dirname(dir);
      if (up === dir) return; // a builtin or an optional dependency that is not installed
      dir = up;
    }
  }
  const folder = path.dirname(manifest);
  if (folders.has(folder)) return;
  folders.add(folder);
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) addPackage(dep, folder);
}
const builtins = new Set(createRequire(import.meta.url)('node:module').builtinModules);
for (const name of [...bare, ...buildPackages]) if (!builtins.has(name)) addPackage(name, root);
for (const folder of [...folders].sort()) process.stdout.write(path.relative(root, folder) + '\n');
