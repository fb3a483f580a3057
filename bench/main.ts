// The entry point `pneumo bench NAME` starts in a process of its own (src/ never imports bench/):
// runs bench/NAME.ts and prints its one JSON line, also into --out FILE when given.
import { writeFileSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const quick = rest.includes('--quick');
const outAt = rest.indexOf('--out');
const out = outAt >= 0 ? rest[outAt + 1] : undefined;
const precisionAt = rest.indexOf('--precision');
const precision = precisionAt >= 0 ? rest[precisionAt + 1] : undefined;
const seedsAt = rest.indexOf('--seeds');
const seeds = seedsAt >= 0 ? rest[seedsAt + 1].split(',').map(Number) : undefined;

try {
  const mod = (await import(`./${name}.js`)) as {
    run(o: { quick: boolean; precision?: string; seeds?: number[] }): Promise<object>;
  };
  const line = JSON.stringify(
    await mod.run({ quick, ...(precision ? { precision } : {}), ...(seeds ? { seeds } : {}) }),
  );
  process.stdout.write(line + '\n');
  if (out) writeFileSync(out, line + '\n');
} catch (err) {
  process.stderr.write(
    `pneumo bench ${name}: ${(err instanceof Error ? err.message : String(err)).replace(/^pneumo: /, '')}\n`,
  );
  process.exitCode = 1;
}
