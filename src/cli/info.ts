import { Command } from 'commander';
import { runAction } from './run-action.js';

export function infoCommand(): Command {
  return new Command('info')
    .description('Show which libtorch the engine runs on: version, threads, BLAS, CUDA')
    .option('--json', 'print one JSON object')
    .action(
      runAction(async (opts: { json?: boolean }) => {
        const { engineInfo } = await import('../torch/engine-info.js');
        const info = engineInfo();
        if (opts.json) {
          process.stdout.write(JSON.stringify(info) + '\n');
          return;
        }
        for (const [key, value] of Object.entries(info)) process.stdout.write(`${key.padEnd(14)} ${value}\n`);
      }),
    );
}
