// `pneumo weights list|download|convert`: the pretrained weights pneumo knows by name, the local
// cache they download into, and conversion of any weights file to safetensors.
import { Command } from 'commander';
import { errorLine, EXIT, runAction, UsageError } from './run-action.js';

interface CacheOption {
  cache?: string;
}

function sizeText(params: number): string {
  return params > 0 ? `~${((params * 4) / 1e6).toFixed(0)} MB` : '?';
}

function listCommand(): Command {
  return new Command('list')
    .description('The known weights: name, encoders, size, source, whether cached, licence')
    .option('--cache <dir>', 'the cache folder (default $PNEUMO_CACHE or ~/.cache/pneumo)')
    .option('--json', 'one JSON object per weights, one per line')
    .action(
      runAction(async (opts: CacheOption & { json?: boolean }) => {
        const { weightsCatalog } = await import('../models/weights-catalog.js');
        const { cacheState, defaultCacheDir } = await import('../models/weights-cache.js');
        const cacheDir = opts.cache ?? defaultCacheDir();
        const rows = weightsCatalog().map((entry) => ({ entry, state: cacheState(entry, cacheDir) }));
        if (opts.json) {
          for (const { entry, state } of rows)
            process.stdout.write(
              JSON.stringify({
                ...entry,
                approxBytes: entry.params * 4,
                cached: state.cached,
                file: state.file,
                partialBytes: state.partialBytes,
              }) + '\n',
            );
          return;
        }
        const table = rows.map(({ entry, state }) => [
          entry.name,
          entry.encoders.join(','),
          `${entry.inChannels}ch`,
          sizeText(entry.params),
          entry.sha256 ? `sha256 ${entry.sha256.slice(0, 8)}` : 'no published hash',
          state.cached ? 'cached' : state.partialBytes > 0 ? `partial ${state.partialBytes} B` : '-',
        ]);
        const header = ['name', 'encoders', 'input', 'size', 'check', 'cache'];
        const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
        const line = (cells: string[]) =>
          cells
            .map((c, i) => c.padEnd(widths[i]))
            .join('  ')
            .trimEnd();
        process.stdout.write([line(header), ...table.map(line)].join('\n') + '\n');
        process.stdout.write(`\ncache: ${cacheDir}\nlicences:\n`);
        for (const licence of new Set(rows.map((r) => `  ${r.entry.source}: ${r.entry.licence}`)))
          process.stdout.write(`${licence}\n`);
      }),
    );
}

function downloadCommand(): Command {
  return new Command('download')
    .description('Download weights into the cache: resumed after an interruption, hash-checked, moved into place')
    .argument('<names...>', 'weights names (pneumo weights list)')
    .option('--cache <dir>', 'the cache folder (default $PNEUMO_CACHE or ~/.cache/pneumo)')
    .addHelpText(
      'after',
      '\nPNEUMO_WEIGHTS_MIRROR=URL fetches the same file names from a local mirror. An existing verified file\n' +
        'is not downloaded again; a cut download resumes where it stopped.',
    )
    .action(
      runAction(async (names: string[], opts: CacheOption) => {
        const { findWeights } = await import('../models/weights-catalog.js');
        const { ensureWeights } = await import('../models/weights-cache.js');
        const { progressCallback } = await import('./progress.js');
        let entries;
        try {
          entries = names.map((name) => findWeights(name));
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        let failed = 0;
        for (const entry of entries) {
          const progress = progressCallback(`${entry.name}`, { intervalMs: 2000 });
          try {
            const result = await ensureWeights(entry, {
              cacheDir: opts.cache,
              onProgress: (received, total) => progress.onProgress(received, total ?? Math.max(received, 1)),
            });
            progress.stop();
            process.stdout.write(`${entry.name}: ${result.action} ${result.file} (sha256 ${result.sha256})\n`);
          } catch (err) {
            progress.stop();
            failed++;
            process.stderr.write(`${errorLine(`${entry.name}: ${(err as Error).message}`)}\n`);
          }
        }
        return failed > 0 ? EXIT.failed : EXIT.done;
      }),
    );
}

function convertCommand(): Command {
  return new Command('convert')
    .description('Write the state dict of a weights file (.pth/.pt/.bin/.safetensors) as safetensors')
    .argument('<in>', 'a torch.save file (state dict, a dict holding one, or a whole module) or safetensors')
    .argument('<out>', 'the .safetensors file to write')
    .action(
      runAction(async (input: string, output: string) => {
        if (!output.endsWith('.safetensors'))
          throw new UsageError(`the output must be a .safetensors file, got ${output}`);
        const torch = await import('../torch/index.js');
        const { tensors, format, layout } = torch.loadWeightsFile(input);
        try {
          torch.saveSafetensors(output, tensors, { source: input, format, layout });
        } finally {
          for (const t of tensors.values()) t.dispose();
        }
        process.stdout.write(`${output}: ${tensors.size} tensors from ${input} (${format}, ${layout})\n`);
      }),
    );
}

export function weightsCommand(): Command {
  return new Command('weights')
    .description('Pretrained weights: list the known ones, download them into the cache, convert files to safetensors')
    .addCommand(listCommand())
    .addCommand(downloadCommand())
    .addCommand(convertCommand())
    .addHelpText(
      'after',
      '\nUse them with `pneumo train ... --pretrained NAME` (or `--pretrained imagenet`). docs/pretrained.md.',
    );
}
