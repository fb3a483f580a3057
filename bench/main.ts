// The entry point `pneumo bench NAME` starts in a process of its own (src/ never imports bench/):
// runs bench/NAME.ts with the command's options (one JSON argument, src/cli/bench.ts) and prints its
// one JSON line, also into the options' `out` file when given.
import { writeFileSync } from 'node:fs';

/** What src/cli/bench.ts passes; each benchmark reads the fields it knows. */
export interface BenchOptions {
  quick: boolean;
  precision?: string;
  epochs?: string;
  data?: string;
  demo?: string;
  seeds?: number[];
}

const [name, json] = process.argv.slice(2);
const { out, ...options } = JSON.parse(json ?? '{"quick":false}') as BenchOptions & { out?: string };

try {
  const mod = (await import(`./${name}.js`)) as { run(o: BenchOptions): Promise<object> };
  const line = JSON.stringify(await mod.run(options));
  process.stdout.write(line + '\n');
  if (out) writeFileSync(out, line + '\n');
} catch (err) {
  process.stderr.write(
    `pneumo bench ${name}: ${(err instanceof Error ? err.message : String(err)).replace(/^pneumo: /, '')}\n`,
  );
  process.exitCode = 1;
}
