// One process of the data-parallel equivalence test: with WORLD_SIZE=2 one of two ranks, each taking
// batches of B from its share of every epoch's order; with WORLD_SIZE=1 the single process taking
// batches of 2B from the whole order. Prints the final weights as one JSON line.
// `node data-parallel-rank.js OUT_DIR` with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set.
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
torch.setNumThreads(1);

/** No batch norm and no dropout: the gradient of a batch mean is the mean of the shards' gradients. */
class PlainNet extends nn.Module {
  readonly body = this.registerModule(
    'body',
    new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.Conv2d(4, 8, 3, { stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(8, 1),
    ),
  );
  forward(x: Tensor): Tensor {
    return torch.scope(() => this.body.forward(x).reshape([x.shape[0]]));
  }
}

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
  const model = new PlainNet();
  const initial = Object.fromEntries([...model.namedParameters()].map(([name, p]) => [name, [...p.toFloat32Array()]]));
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
    },
  );
  const result = await trainModel({
    config,
    model,
    train: memorySource(batches),
    validation: memorySource(tinyBatches(tinyImages(8, SIZE, 8), 8, SIZE)),
    // A tiny bucket cap: several buckets, each all-reduced as soon as its gradients are ready.
    ...(group ? { distributed: { group, bucketMiB: 0.0005 } } : {}),
  });
  const weights = Object.fromEntries([...model.namedParameters()].map(([name, p]) => [name, [...p.toFloat32Array()]]));
  process.stdout.write(
    JSON.stringify({
      rank,
      initial,
      weights,
      trainLoss: result.history.map((h) => h.train.loss),
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
