import { Command } from 'commander';
import { runAction } from './run-action.js';
import { integer } from './option-parsers.js';
import { fileErrorMessage, isFileSystemError } from '../file-error.js';

interface Failure {
  file: string;
  kind: string;
  reason: string;
}

function failureOf(file: string, err: unknown): Failure {
  if (isFileSystemError(err)) return { file, kind: 'unreadable', reason: fileErrorMessage(err, file) };
  const kind = err && typeof err === 'object' && 'kind' in err ? String((err as { kind: unknown }).kind) : 'error';
  return { file, kind, reason: err instanceof Error ? err.message : String(err) };
}

/** A bar on a terminal; elsewhere (logs, CI) a plain line every few seconds. Only for long batches. */
async function progress(total: number): Promise<{ tick(): void; stop(): void }> {
  if (total < 50) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import('cli-progress');
    const bar = new SingleBar(
      { stream: process.stderr, format: 'headers {bar} {value}/{total} {eta}s' },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return { tick: () => bar.increment(), stop: () => bar.stop() };
  }
  let done = 0;
  let last = Date.now();
  return {
    tick() {
      done++;
      if (Date.now() - last > 5000) {
        last = Date.now();
        process.stderr.write(`headers ${done}/${total}\n`);
      }
    },
    stop() {},
  };
}

function infoCommand(): Command {
  return new Command('info')
    .description(
      'Print the metadata of DICOM files (header only; pixels are not decoded, but a file whose pixel data is missing or cut short fails)',
    )
    .argument('<files...>', 'DICOM files')
    .option('--json', 'print one JSON object: {"files": [...], "failures": [...]}')
    .addHelpText('after', '\nExit code 1 if any file failed; the failures are listed at the end on stderr.')
    .action(
      runAction(async (files: string[], opts: { json?: boolean }) => {
        const { readDicomHeader } = await import('../data/dicom/index.js');
        const results: Record<string, unknown>[] = [];
        const failures: Failure[] = [];
        const bar = await progress(files.length);
        for (const file of files) {
          try {
            const meta = await readDicomHeader(file, { checkPixelData: true });
            results.push({ file, ...meta });
            if (!opts.json) {
              process.stdout.write(`${file}\n`);
              for (const [key, value] of Object.entries(meta)) {
                process.stdout.write(
                  `  ${key.padEnd(26)} ${Array.isArray(value) ? value.join(' x ') : String(value ?? '-')}\n`,
                );
              }
            }
          } catch (err) {
            failures.push(failureOf(file, err));
          }
          bar.tick();
        }
        bar.stop();
        if (opts.json) process.stdout.write(JSON.stringify({ files: results, failures }) + '\n');
        if (failures.length > 0) {
          process.stderr.write(`pneumo: ${failures.length} of ${files.length} files failed:\n`);
          for (const f of failures) process.stderr.write(`  [${f.kind}] ${f.reason}\n`);
          return 1;
        }
      }),
    );
}

function renderCommand(): Command {
  return new Command('render')
    .description(
      'Write the displayable 8-bit image of a DICOM (or PNG/JPEG) file as PNG: rescale, window, MONOCHROME1 inverted',
    )
    .argument('<file>', 'input image')
    .requiredOption('--out <png>', 'output PNG file')
    .option('--size <n>', 'resize so that the longer side is N pixels (area average)', integer(1))
    .action(
      runAction(async (file: string, opts: { out: string; size?: number }) => {
        const size = opts.size;
        const { readImageWithMeta, resizeGray, writeGrayPng } = await import('../data/image-io.js');
        let { image } = await readImageWithMeta(file);
        if (size !== undefined) {
          const scale = size / Math.max(image.width, image.height);
          image = resizeGray(
            image,
            Math.max(1, Math.round(image.width * scale)),
            Math.max(1, Math.round(image.height * scale)),
          );
        }
        await writeGrayPng(image, opts.out);
        process.stderr.write(`wrote ${opts.out} (${image.width}x${image.height})\n`);
      }),
    );
}

export function dicomCommand(): Command {
  return new Command('dicom')
    .description('Inspect and render DICOM files')
    .addCommand(infoCommand())
    .addCommand(renderCommand());
}
