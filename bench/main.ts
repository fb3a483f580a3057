// The entry point `pneumo bench NAME` starts in a process of its own (src/ never imports bench/):
// runs bench/NAME.ts and prints its one JSON line, also into --out FILE when given.
import { writeFileSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const quick = rest.includes('--quick');
const outAt = rest.indexOf('--out');
const out = outAt >= 0 ? rest[outAt + 1] : undefined;
const precisionAt = rest.indexOf('--precision');
const precision = precisionAt >= 0 ? rest[precisionAt + 1] : undefined;
const valueOf = (flag: string) => (rest.indexOf(flag) >= 0 ? rest[rest.indexOf(flag) + 1] : undefined);
const epochs = valueOf('--epochs');
const data = valueOf('--data');
const demo = valueOf('--demo');
const seeds = valueOf('--seeds')?.split(',').map(Number);

try {
  const mod = (await import(`./${name}.js`)) as {
    run(o: {
      quick: boolean;
      precision?: string;
      epochs?: string;
      data?: string;
      demo?: string;
      seeds?: number[];
    }): Promise<object>;
  };
  const line = JSON.stringify(
    await mod.run({
      quick,
      ...(precision ? { precision } : {}),
      ...(epochs ? { epochs } : {}),
      ...(data ? { data } : {}),
      ...(demo ? { demo } : {}),
      ...(seeds ? { seeds } : {}),
    }),
  );
  process.stdout.write(line + '\n');
  if (out) writeFileSync(out, line + '\n');
} catch (err) {
  process.stderr.write(
    `pneumo bench ${name}: ${(err instanceof Error ? err.message : String(err)).replace(/^pneumo: /, '')}\n`,
  );
  process.exitCode = 1;
}
