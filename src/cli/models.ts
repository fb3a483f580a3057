import { Command } from 'commander';
import { integer } from './option-parsers.js';
import { runAction, UsageError } from './run-action.js';

interface ModelsOptions {
  size: number;
  json?: boolean;
}

interface ModelRow {
  name: string;
  task: string;
  encoder: string;
  params: number;
  gflops: number;
}

export function modelsCommand(): Command {
  return new Command('models')
    .description('List the model registry: task, encoder, parameters and forward GFLOPs per image')
    .argument('[names...]', 'only these models (default: all)')
    .option(
      '--size <pixels>',
      'square input side for the FLOPs count (padded to a multiple of 32 for U-Nets)',
      integer(1),
      256,
    )
    .option('--json', 'print one JSON object per model, one per line')
    .addHelpText(
      'after',
      '\nParameters and FLOPs are for a 1-channel input with the default config. GFLOPs = 2 x multiply-accumulates\n' +
        'of conv and linear layers for one image. Pretrained ImageNet weights: docs/pretrained.md.',
    )
    .action(
      runAction(async (names: string[], opts: ModelsOptions) => {
        const { MODELS, createModel, modelFlops } = await import('../models/registry.js');
        const unknown = names.filter((n) => !Object.hasOwn(MODELS, n));
        if (unknown.length > 0)
          throw new UsageError(`Wrong model name \`${unknown[0]}\`, supported: [${Object.keys(MODELS).join(', ')}]`);
        const chosen = names.length > 0 ? names : Object.keys(MODELS);
        const rows: ModelRow[] = [];
        const progress = await startProgress(chosen.length);
        for (const name of chosen) {
          const entry = MODELS[name];
          // Counting FLOPs walks the built model; building is the slow part (random initialisation).
          const model = createModel(name);
          try {
            rows.push({
              name,
              task: entry.task,
              encoder: entry.encoder,
              params: model.parameterCount(),
              gflops: modelFlops(model, opts.size) / 1e9,
            });
          } finally {
            model.dispose();
          }
          progress.tick(name);
        }
        progress.stop();
        if (opts.json) {
          for (const row of rows)
            process.stdout.write(
              JSON.stringify({ ...row, size: opts.size, gflops: Number(row.gflops.toFixed(3)) }) + '\n',
            );
          return;
        }
        const header = ['model', 'task', 'encoder', 'params', `GFLOPs@${opts.size}`];
        const table = rows.map((r) => [
          r.name,
          r.task,
          r.encoder,
          `${(r.params / 1e6).toFixed(2)}M`,
          r.gflops.toFixed(2),
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
        for (const row of [header, ...table]) {
          process.stdout.write(
            row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ') + '\n',
          );
        }
      }),
    );
}

/** A bar on a terminal, otherwise a plain line at most every 2 seconds, both on stderr. */
async function startProgress(total: number): Promise<{ tick(name: string): void; stop(): void }> {
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = (await import('cli-progress')).default;
    const bar = new SingleBar(
      { format: 'building models {bar} {value}/{total} {model}', stream: process.stderr },
      Presets.shades_classic,
    );
    bar.start(total, 0, { model: '' });
    return { tick: (model) => bar.increment({ model }), stop: () => bar.stop() };
  }
  let done = 0;
  let last = Date.now();
  return {
    tick: (model) => {
      done++;
      if (Date.now() - last >= 2000) {
        process.stderr.write(`models: ${done}/${total} built (${model})\n`);
        last = Date.now();
      }
    },
    stop: () => {},
  };
}
