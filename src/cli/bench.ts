import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROJECT_ROOT } from '../project-paths.js';
import { runAction, UsageError } from './run-action.js';

// Each benchmark lives in bench/<name>.ts and exports `run(options)`, resolving to the object that is
// printed as one JSON line. It runs in a process of its own (bench/main.ts), so that shipped code never
// imports bench/ and every benchmark starts from a fresh engine. The names are listed here for --help.
const BENCHMARKS: Record<string, string> = {};

export function registerBenchmark(name: string, description: string): void {
  BENCHMARKS[name] = description;
}

registerBenchmark('engine', 'conv net training steps, TypeScript vs PyTorch (issue: tensor engine)');
registerBenchmark('data', 'DICOM decode + resize throughput and RLE codec speed vs pydicom/Pillow');
registerBenchmark('train', 'U-Net and classifier training steps and peak memory vs PyTorch');
registerBenchmark(
  'loader',
  'training loader images/s at 256 with augmentation, cold and cached, 1 and 2 workers vs a PyTorch DataLoader',
);
registerBenchmark('eda', 'reading 12,000 DICOM headers for the EDA vs pydicom (stop_before_pixels)');
registerBenchmark(
  'models',
  'encoder classification networks (resnet34, densenet121, efficientnet-b0): forward and train step vs torchvision',
);
registerBenchmark('predict', 'end-to-end two-stage prediction latency and throughput vs PyTorch');
registerBenchmark(
  'distributed',
  'data-parallel step time (1 process x 2 threads vs 2 ranks x 1 thread) and Gloo all-reduce bandwidth 1-64 MiB vs PyTorch DDP',
);
registerBenchmark('checkpoint', 'reading torch.save files (state dicts, a whole module, legacy format) vs torch.load');
registerBenchmark(
  'serve',
  'pneumo serve under autocannon: uploads/s and upload-to-result p50/p99 at 1 and 4 clients, overload (2xx or 503, memory, event-loop delay)',
);
registerBenchmark(
  'gpu-parity',
  'one forward/backward of unet-resnet34 on CUDA vs PyTorch CUDA, same weights and input (scripts/gpu-check.sh)',
);
registerBenchmark(
  'predict-precision',
  'unet-resnet34 and classifier-densenet121 eval forward at 512, batch 1 and 8, fp32 and bf16 vs PyTorch fp32 and bf16 autocast',
);
registerBenchmark('interop', 'writing DICOM SEG + Secondary Capture + SR per image vs pydicom writing the same');
registerBenchmark(
  'fit',
  'wall time of each stage of `fit --preset cpu` on the demo data (--epochs per stage, default 2), its training step vs PyTorch, and the --print-plan projection for 12,047 films',
);
registerBenchmark(
  'evaluate',
  'evaluate on 200 images with and without the 1000-resample bootstrap (and the metric stage alone): the intervals must add < 10%',
);
registerBenchmark(
  'gate',
  "the learned input gate on the demo's bundle (PNEUMO_DEMO): false-flag rate on its test films, OOD AUC against CT/MR/natural/rotated/inverted/lateral images, Mahalanobis vs kNN",
);

registerBenchmark(
  'recipe',
  "the demo's small plan trained on seeds 1, 2 and 3: every headline figure (AUC, Dice, SIIM, triage recall per size band) as mean and range",
);

/** The flags as commander gives them. */
interface BenchFlags {
  quick?: boolean;
  out?: string;
  precision?: string;
  epochs?: string;
  data?: string;
  demo?: string;
  seeds?: string;
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('Run a benchmark and print one JSON line: ' + Object.keys(BENCHMARKS).join(', '))
    .argument('<name>', 'which benchmark')
    .option('--quick', 'fewer repetitions (for smoke tests)')
    .option('--out <file>', 'also write the JSON to this file')
    .addOption(
      new Option(
        '--precision <p>',
        'train: the TypeScript side in fp32, bf16 or fp16 (fp16 on CUDA; PyTorch stays fp32)',
      ).choices(['fp32', 'bf16', 'fp16']),
    )
    .option('--epochs <n>', 'fit: epochs of each training stage (the preset has 30 and 24)')
    .option('--data <dir>', 'fit: the dataset (default: the demo training set, synthesised)')
    .option(
      '--demo <dir>',
      "predict: also run the int8 export of a demo folder's bundle (DIR/bundle, calibrated on DIR/data) on its " +
        'test films (DIR/test-data) against libtorch fp32: mask Dice, probability change, classifier AUC',
    )
    .option('--seeds <list>', 'recipe: the seeds to train, comma-separated (default 1,2,3)', (v: string) => {
      if (!/^\d+(,\d+)*$/.test(v)) throw new InvalidArgumentError(`expected comma-separated integers, got "${v}"`);
      return v;
    })
    .addHelpText(
      'after',
      '\n' +
        Object.entries(BENCHMARKS)
          .map(([n, d]) => `  ${n.padEnd(8)} ${d}`)
          .join('\n'),
    )
    .action(
      runAction(async (name: string, opts: BenchFlags) => {
        if (!(name in BENCHMARKS))
          throw new UsageError(`unknown benchmark \`${name}\`, supported: ${Object.keys(BENCHMARKS).join(', ')}`);
        const entry = path.join(PROJECT_ROOT, 'dist', 'bench', 'main.js');
        // The flags travel as one JSON argument, with paths made absolute and lists parsed here, so that
        // a benchmark's new flag is declared once above.
        const { demo, seeds, ...rest } = opts;
        const options = {
          ...rest,
          quick: Boolean(opts.quick),
          ...(demo ? { demo: path.resolve(demo) } : {}),
          ...(seeds ? { seeds: seeds.split(',').map(Number) } : {}),
        };
        const run = spawnSync(process.execPath, [entry, name, JSON.stringify(options)], { stdio: 'inherit' });
        if (run.error) throw new Error(`could not start ${entry}: ${run.error.message}`);
        return run.status ?? 1;
      }),
    );
}
