// Fails on an import that goes up the layers of ../shared/ARCHITECTURE.md, on an import of test/ or
// bench/ from src/, and on any import cycle among the files of src/. Reads the TypeScript sources, so
// it runs before (and without) the build.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const src = path.join(root, 'src');

// Bottom up; a folder may import its own level and the levels below.
const LAYERS = [
  ['.', 'torch', 'data'],
  ['metrics', 'models'],
  ['train', 'evaluate', 'pipeline', 'export'],
  ['interop'],
  ['report', 'serve'],
  ['demo', 'fit'],
  ['cli'],
];
const levelOf = new Map(LAYERS.flatMap((names, level) => names.map((n) => [n, level])));

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return collect(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The top folder of a file under src/ ('.' for the files directly in src/). */
function areaOf(file) {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length === 1 ? '.' : rel[0];
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const typeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0].trimStart());
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    out.push({ target, typeOnly });
  }
  return out;
}

const files = collect(src);
const known = new Set(files);
const problems = [];
const graph = new Map();
for (const file of files) {
  const from = areaOf(file);
  const edges = [];
  for (const { target, typeOnly } of importsOf(file)) {
    const rel = path.relative(root, target);
    if (!target.startsWith(src + path.sep)) {
      problems.push(`${path.relative(root, file)} imports ${rel}: nothing under src/ imports test/ or bench/`);
      continue;
    }
    if (!known.has(target)) continue; // the compiler reports missing files
    const to = areaOf(target);
    if (!levelOf.has(from) || !levelOf.has(to)) {
      problems.push(
        `${path.relative(root, file)}: src/${from === '.' ? '' : from} is not in a layer of check-imports.mjs`,
      );
    } else if (levelOf.get(to) > levelOf.get(from)) {
      problems.push(`${path.relative(root, file)} imports ${rel}: ${to} sits above ${from}`);
    }
    if (!typeOnly) edges.push(target);
  }
  graph.set(file, edges);
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const stack = [];
const info = new Map();
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v)) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1)
      problems.push(
        `import cycle: ${component
          .map((f) => path.relative(root, f))
          .sort()
          .join(' <-> ')}`,
      );
  }
}
for (const file of files) if (!info.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ` + problems.join('\n  '));
  process.exit(1);
}
console.log(`check-imports: ${files.length} files under src/, layers one way, no cycles`);
