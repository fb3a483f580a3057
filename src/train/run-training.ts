// A whole training run from a config: index the dataset, split it, choose the images of each part,
// open the loaders, build the model (with pretrained encoder weights when given), train, and report
// what went wrong with the data on the way. The CLI and the demo call this. As one rank of a
// data-parallel job (`rank`), it joins the process group first and trains on its share of every epoch.
import path from 'node:path';
import * as torch from '../torch/index.js';
import { indexDataset, type DatasetIndex, type DatasetItem } from '../data/dataset.js';
import { positivesOnly, stratifiedSplit } from '../data/split.js';
import { BatchLoader, formatFailure, type ItemFailure } from '../data/loader.js';
import { hardExampleWeights, parsePositiveFraction, type SamplingOptions } from '../data/sampler.js';
import type { AugmentConfig } from '../data/transforms/compose.js';
import { readIdList } from '../data/id-list.js';
import { smallMaskWeights } from '../data/mask-size-weights.js';
import { createModel, getModelEntry } from '../models/registry.js';
import { loadPretrained } from '../models/pretrained.js';
import { resolvePretrained } from '../models/weights-cache.js';
import type { TrainConfig } from './config.js';
import { loaderSource } from './batch-source.js';
import { trainModel, type TrainReporter, type TrainResult } from './trainer.js';
import type { TrainableModel } from './trainable-model.js';
import { ProcessGroup, type RankEnv } from '../torch/distributed/index.js';

export interface RunTrainingOptions {
  config: TrainConfig;
  resume?: boolean;
  reporter?: TrainReporter;
  /** One rank of a data-parallel job (from torchrun's variables). */
  rank?: RankEnv;
  /** Rendezvous and collective timeout of a data-parallel job. */
  distributedTimeoutMs?: number;
  /**
   * The validation images, when a caller chose them (a fold of a cross-validation) instead of the
   * config's fraction and seed; `record` says how, in run.json's provenance (`heldOut`).
   */
  holdout?: { imageIds: ReadonlySet<string>; record: Record<string, unknown> };
}

export interface RunTrainingResult extends TrainResult {
  run: string;
  trainImages: number;
  validationImages: number;
  /** Distinct images the loader could not read (skipped, each named once with its reason). */
  failures: ItemFailure[];
}

/** One failure per image: a file that cannot be read fails again in every epoch and in validation. */
export function distinctFailures(failures: readonly ItemFailure[]): ItemFailure[] {
  const byImage = new Map<string, ItemFailure>();
  for (const f of failures) if (!byImage.has(f.path)) byImage.set(f.path, f);
  return [...byImage.values()];
}

function describeIndex(index: DatasetIndex): string[] {
  const notes: string[] = [];
  if (index.rleReading !== 'relative') notes.push(`${index.labelsFile}: run starts read as ${index.rleReading}`);
  if (index.imagesWithoutLabels.length > 0)
    notes.push(`${index.imagesWithoutLabels.length} DICOM files have no label row (not used)`);
  if (index.labelsWithoutImages.length > 0)
    notes.push(`${index.labelsWithoutImages.length} labelled images have no DICOM file (not used)`);
  if (index.malformedRows.length > 0)
    notes.push(
      `${index.malformedRows.length} malformed label rows; ${index.imagesWithMalformedLabels.length} images left out (first: ${index.malformedRows[0].message})`,
    );
  if (index.duplicateRowCount > 0)
    notes.push(`${index.duplicateRowCount} duplicate label rows (harmless: masks are OR-ed)`);
  return notes;
}

/** The items each part trains and validates on: the segmenter sees positives only unless a positive fraction is set. */
export function chooseItems(
  config: TrainConfig,
  train: DatasetItem[],
  validation: DatasetItem[],
): { train: DatasetItem[]; validation: DatasetItem[] } {
  if (config.task === 'segmenter' && config.positiveFraction === null)
    return { train: positivesOnly(train), validation: positivesOnly(validation) };
  return { train, validation };
}

export async function runTraining(options: RunTrainingOptions): Promise<RunTrainingResult> {
  const { config, reporter } = options;
  const say = (text: string) => reporter?.message?.(text);
  if (config.threads !== null) torch.setNumThreads(config.threads);

  const index = await indexDataset(config.data, { labels: config.labels ?? undefined, rle: config.rle });
  for (const note of describeIndex(index)) say(`data: ${note}`);
  if (index.items.length === 0) throw new Error(`${config.data}: no labelled image to train on`);
  const held = options.holdout?.imageIds;
  const split = held
    ? {
        train: index.items.filter((i) => !held.has(i.imageId)),
        validation: index.items.filter((i) => held.has(i.imageId)),
      }
    : stratifiedSplit(index.items, { validationFraction: config.valFraction, seed: config.seed });
  const items = chooseItems(config, split.train, split.validation);
  if (items.train.length === 0)
    throw new Error(`${config.data}: the training part has no ${config.task === 'segmenter' ? 'positive ' : ''}image`);
  if (items.validation.length === 0)
    throw new Error(`${config.data}: the validation part is empty; raise --val-fraction or add images`);
  const count = (list: DatasetItem[]) => `${list.length} images (${list.filter((i) => i.label === 1).length} positive)`;
  say(
    `data: ${index.items.length} labelled images; training on ${count(items.train)}, validating on ${count(items.validation)}`,
  );

  const sampling: SamplingOptions = {};
  if (config.positiveFraction !== null)
    sampling.positiveFraction = parsePositiveFraction(config.positiveFraction, config.epochs);
  if (config.oversample !== null) {
    const list = await readIdList(config.oversample);
    const { weights, unmatched } = hardExampleWeights(items.train, list.ids, config.oversampleFactor);
    sampling.weights = weights;
    say(
      `oversampling ${list.ids.length - unmatched.length} hard examples x${config.oversampleFactor}${unmatched.length ? ` (${unmatched.length} listed ids are not in the training part)` : ''}`,
    );
  }
  if (config.smallMaskSampling !== null) {
    const { weights, small } = smallMaskWeights(items.train, config.smallMaskSampling);
    // With a hard-example list too, an image on it with a small mask gets both factors.
    if (sampling.weights) for (let i = 0; i < weights.length; i++) weights[i] *= sampling.weights[i];
    sampling.weights = weights;
    say(
      `oversampling ${small} training images whose mask covers under ${(config.smallMaskSampling.belowFraction * 100).toFixed(2)}% of the film x${config.smallMaskSampling.factor}`,
    );
  }

  const rank = options.rank;
  const group = rank
    ? await ProcessGroup.init({
        rank: rank.rank,
        worldSize: rank.worldSize,
        masterAddr: rank.masterAddr,
        masterPort: rank.masterPort,
        ...(options.distributedTimeoutMs ? { timeoutMs: options.distributedTimeoutMs } : {}),
        ...(rank.interface ? { interface: rank.interface } : {}),
      })
    : null;
  if (rank) say(`rank ${rank.rank} of ${rank.worldSize} joined the group at ${rank.masterAddr}:${rank.masterPort}`);
  try {
    return await trainWithLoaders(options, items, index, sampling, group);
  } finally {
    group?.close();
  }
}

async function trainWithLoaders(
  options: RunTrainingOptions,
  items: { train: DatasetItem[]; validation: DatasetItem[] },
  index: DatasetIndex,
  sampling: SamplingOptions,
  group: ProcessGroup | null,
): Promise<RunTrainingResult> {
  const { config, reporter } = options;
  const say = (text: string) => reporter?.message?.(text);
  const shard = group ? { rank: group.rank, worldSize: group.worldSize } : undefined;
  const shareSize = Math.ceil(items.train.length / (shard?.worldSize ?? 1));
  const cacheDir = config.cacheDir ?? path.join(config.out, 'cache');
  const common = {
    size: config.size,
    batchSize: config.batchSize,
    seed: config.seed,
    cacheDir,
    ...(config.workers !== null ? { workers: config.workers } : {}),
  };
  const trainLoader = await BatchLoader.open(items.train, {
    ...common,
    augment: config.augment as AugmentConfig | null,
    sampling,
    ...(shard ? { shard } : {}),
    dropLast: shareSize > config.batchSize,
  });
  let validationLoader: BatchLoader | null = null;
  let model: TrainableModel | null = null;
  try {
    // Named weights (`imagenet`, `xrv-densenet121-res224-all`) are fetched into the cache first, so
    // that an offline machine fails here, with where to put the file, before any training.
    let pretrainedFile: string | null = null;
    let pretrainedWeights: Record<string, string> | null = null;
    if (config.pretrained !== null && !options.resume) {
      let lastTenth = -1;
      const resolved = await resolvePretrained(config.pretrained, getModelEntry(config.model).encoder, {
        onProgress: (received, total) => {
          const tenth = total ? Math.floor((10 * received) / total) : -1;
          if (tenth > lastTenth) say(`downloading ${config.pretrained}: ${(lastTenth = tenth) * 10}%`);
        },
      });
      pretrainedFile = resolved.file;
      if (resolved.entry) {
        say(`pretrained ${resolved.entry.name}: ${resolved.action} ${resolved.file}`);
        const { name, url } = resolved.entry;
        pretrainedWeights = { name, url, file: resolved.file, sha256: resolved.sha256 ?? '' };
      }
    }
    // Each rank validates its share (every image once); the trainer gathers the per-image results.
    validationLoader = await BatchLoader.open(items.validation, {
      ...common,
      augment: null,
      sampling: 'sequential',
      ...(shard ? { shard: { ...shard, pad: false } } : {}),
    });
    torch.manualSeed(config.seed);
    const built = createModel(config.model, config.modelOptions);
    model = built as TrainableModel;
    if (pretrainedFile !== null) {
      const report = await loadPretrained(built, pretrainedFile);
      say(
        `pretrained: ${report.loaded} tensors${report.beyondEncoder ? ` (and ${report.beyondEncoder} beyond the encoder)` : ''} from ${pretrainedFile} (${report.format ?? 'safetensors'} ${report.layout ?? 'state-dict'}${report.prefix ? `, prefix ${report.prefix} taken off` : ''}, first conv ${report.firstConv}${report.dropped.length ? `, ${report.dropped.length} tensors left out` : ''})`,
      );
    }
    const result = await trainModel({
      config,
      model,
      train: loaderSource(trainLoader, config.maxBatchesPerEpoch),
      validation: loaderSource(validationLoader, config.maxBatchesPerEpoch),
      resume: options.resume,
      reporter,
      ...(group ? { distributed: { group } } : {}),
      provenance: {
        dataset: {
          folder: path.resolve(config.data),
          labelsFile: index.labelsFile,
          images: index.items.length,
          positives: index.positives,
          trainImages: items.train.length,
          validationImages: items.validation.length,
          // Both lists: the bundle made from this run lets evaluation refuse a "validation" split
          // that holds training images.
          trainIds: items.train.map((i) => i.imageId),
          validationIds: items.validation.map((i) => i.imageId),
        },
        pretrained: config.pretrained,
        ...(options.holdout ? { heldOut: options.holdout.record } : {}),
        ...(pretrainedWeights ? { pretrainedWeights } : {}),
      },
    });
    const failures = distinctFailures([...trainLoader.stats.failures, ...validationLoader.stats.failures]);
    for (const f of failures.slice(0, 5)) say(`skipped ${formatFailure(f)}`);
    if (failures.length > 5) say(`... and ${failures.length - 5} more skipped images`);
    return {
      ...result,
      run: config.out,
      trainImages: items.train.length,
      validationImages: items.validation.length,
      failures,
    };
  } finally {
    model?.dispose();
    await trainLoader.close();
    await validationLoader?.close();
  }
}
