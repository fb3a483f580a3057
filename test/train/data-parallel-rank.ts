// One process of the data-parallel equivalence test: with WORLD_SIZE=2 one of two ranks, each taking
// batches of B from its share of every epoch's order; with WORLD_SIZE=1 the single process taking
// batches of 2B from the whole order. Prints the final weights (and buffers) as one JSON line.
// `node data-parallel-rank.js OUT_DIR [bn]` with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set; with
// `bn` the model has batch norm and the ranks train with sync batch norm.
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { nn, type Tensor } from '../../src/torch/index.js';
import { ProcessGroup } from '../../src/torch/distributed/index.js';
import { sampleEpoch, shardEpoch } from '../../src/data/sampler.js';
import { resolveTrainConfig } from '../../src/train/config.js';
import { memorySource } from '../../src/train/batch-source.js';
import { trainModel } from '../../src/train/trainer.js';
import { tinyBatches, tinyImages } from './tiny-data.js';

export const PER_RANK_BATCH = 4;
const SIZE = 32;
const rank = Number(process.env.RANK ?? 0);
const worldSize = Number(process.env.WORLD_SIZE ?? 1);
const withBatchNorm = process.argv[3] === 'bn';
torch.setNumThreads(1);

/**
 * Two convs and a linear head. Without batch norm (and without dropout) the gradient of a batch mean is
 * the mean of the shards' gradients; with batch norm, only when its statistics are taken over both
 * ranks (sync batch norm).
 */
class TinyNet extends nn.Module {
  readonly body: nn.Sequential;
  constructor(batchNorm: boolean) {
    super();
    const conv = (from: number, to: number): nn.Layer[] => [
      new nn.Conv2d(from, to, 3, { stride: 2, padding: 1, bias: !batchNorm }),
      ...(batchNorm ? [new nn.BatchNorm2d(to)] : []),
      new nn.ReLU(),
    ];
    this.body = this.registerModule(
      'body',
      new nn.Sequential(
        ...conv(1, 4),
        ...conv(4, 8),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
        new nn.Linear(8, 1),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return torch.scope(() => this.body.forward(x).reshape([x.shape[0]]));
  }
}

const values = (entries: Iterable<[string, Tensor]>) =>
  Object.fromEntries([...entries].map(([name, t]) => [name, [...t.toFloat32Array()]]));

async function main(): Promise<void> {
  const items = tinyImages(24, SIZE, 7);
  const labelled = items.map((i) => ({ imageId: i.id, label: i.label }));
  const batches = (epoch: number) => {
    const order = sampleEpoch(labelled, epoch, 3);
    const mine = worldSize > 1 ? shardEpoch(order, { rank, worldSize }) : order;
    return tinyBatches(
      mine.map((i) => items[i]),
      PER_RANK_BATCH * (worldSize > 1 ? 1 : 2),
      SIZE,
      epoch,
    );
  };
  // An odd number of validation images: the shares differ by one and nothing is padded.
  const validationSet = tinyImages(9, SIZE, 8);
  const validationShare =
    worldSize > 1
      ? shardEpoch(
          validationSet.map((_, i) => i),
          { rank, worldSize, pad: false },
        ).map((i) => validationSet[i])
      : validationSet;
  const group =
    worldSize > 1
      ? await ProcessGroup.init({
          rank,
          worldSize,
          masterAddr: process.env.MASTER_ADDR!,
          masterPort: Number(process.env.MASTER_PORT),
          timeoutMs: 30_000,
        })
      : null;
  // A different start on every rank: the start-up broadcast must make them rank 0's.
  torch.manualSeed(1 + rank);
  const model = new TinyNet(withBatchNorm);
  const initial = values(model.namedParameters());
  const config = resolveTrainConfig(
    'classifier',
    {},
    {
      data: 'memory',
      out: path.join(process.argv[2], `rank-${rank}`),
      size: SIZE,
      augment: null,
      epochs: 2,
      batchSize: PER_RANK_BATCH,
      optimizer: 'sgd',
      momentum: 0.9,
      lr: 0.05,
      weightDecay: 0,
      schedule: 'none',
      clipGradNorm: null,
      syncBatchNorm: withBatchNorm,
    },
  );
  const result = await trainModel({
    config,
    model,
    train: memorySource(batches),
    validation: memorySource(tinyBatches(validationShare, PER_RANK_BATCH * (worldSize > 1 ? 1 : 2), SIZE)),
    // A tiny bucket cap: several buckets, each all-reduced as soon as its gradients are ready.
    ...(group ? { distributed: { group, bucketMiB: 0.0005 } } : {}),
  });
  const weights = values(model.namedParameters());
  const buffers = values(model.namedBuffers());
  process.stdout.write(
    JSON.stringify({
      rank,
      initial,
      weights,
      buffers,
      trainLoss: result.history.map((h) => h.train.loss),
      validation: result.history.map((h) => h.validation),
      threshold: result.threshold,
      steps: batches(0).length,
    }) + '\n',
  );
  model.dispose();
  group?.close();
}

main().catch((err: Error) => {
  process.stderr.write(`rank ${rank}: ${err.stack}\n`);
  process.exitCode = 1;
});
