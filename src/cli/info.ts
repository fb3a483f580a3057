import { Command } from 'commander';
import { runAction } from './run-action.js';

export function infoCommand(): Command {
  return new Command('info')
    .description(
      'Show which libtorch the engine runs on: version, threads, BLAS, CUDA and its devices, CPU bf16 support',
    )
    .option('--json', 'print one JSON object')
    .action(
      runAction(async (opts: { json?: boolean }) => {
        const { engineInfo } = await import('../torch/engine-info.js');
        const info = engineInfo();
        if (opts.json) {
          process.stdout.write(JSON.stringify(info) + '\n');
          return;
        }
        const { cudaDevices, ...fields } = info;
        for (const [key, value] of Object.entries(fields)) process.stdout.write(`${key.padEnd(14)} ${value}\n`);
        for (const d of cudaDevices)
          process.stdout.write(
            `${`cuda:${d.index}`.padEnd(14)} ${d.name}, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB, compute capability ${d.computeCapability}, ${d.multiprocessors} SMs\n`,
          );
      }),
    );
}
