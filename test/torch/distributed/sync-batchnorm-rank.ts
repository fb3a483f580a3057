// One rank of the sync batch norm test: `node sync-batchnorm-rank.js` with RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT set. Every rank builds the same whole batch (seeded), normalises its own
// half with a synchronised BatchNorm2d and, for reference, the whole batch with a plain one, and
// prints one JSON line: the largest differences of outputs, input gradients, parameter gradients
// (summed over the ranks) and running statistics, and the differentiable all-reduce's known values.
import * as torch from '../../../src/torch/index.js';
import { nn, type Tensor } from '../../../src/torch/index.js';
import { ProcessGroup, convertSyncBatchNorm } from '../../../src/torch/distributed/index.js';

const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
torch.setNumThreads(1);

const PER_RANK = 3;
const SHAPE = [PER_RANK * worldSize, 5, 6, 7];

function maxAbs(a: Tensor, b: Tensor): number {
  return torch.scope(() => torch.max(a.sub(b).abs()).item());
}

async function main(): Promise<Record<string, unknown>> {
  const group = await ProcessGroup.init({
    rank,
    worldSize,
    masterAddr: process.env.MASTER_ADDR!,
    masterPort: Number(process.env.MASTER_PORT),
    timeoutMs: 30_000,
  });
  const out: Record<string, unknown> = { rank };
  torch.scope(() => {
    // The differentiable all-reduce on known values: y = sum_r (r + 1) x, loss_r = sum(y * (r + 1)),
    // so rank r's d(sum of losses)/dx = (r + 1) * sum_r (r + 1).
    const x = torch.tensor([1, 2], [2]).requiresGrad_();
    const y = group.allReduceWithGrad(x.mul(rank + 1));
    out.allReduced = y.toArray();
    y.mul(rank + 1)
      .sum()
      .backward();
    out.allReducedGrad = x.grad!.toArray();

    torch.manualSeed(7);
    // Channel means far from zero, where a careless variance formula would lose digits.
    const whole = torch
      .randn(SHAPE)
      .mul(2)
      .add(torch.randn([1, SHAPE[1], 1, 1]).mul(5));
    const upstream = torch.randn(SHAPE);
    const affine = { weight: torch.randn([SHAPE[1]]), bias: torch.randn([SHAPE[1]]) };
    const make = () => {
      const bn = new nn.BatchNorm2d(SHAPE[1], { momentum: 0.3 });
      bn.param('weight').copy_(affine.weight);
      bn.param('bias').copy_(affine.bias);
      return bn;
    };
    const plain = make();
    const synced = make();
    out.converted = convertSyncBatchNorm(synced, group);
    const diffs = { output: 0, inputGrad: 0, weightGrad: 0, biasGrad: 0, runningMean: 0, runningVar: 0 };
    // Two steps: the second starts from running statistics the first updated.
    for (let step = 0; step < 2; step++) {
      const input = whole.add(step).detach().requiresGrad_();
      const reference = plain.forward(input);
      reference.mul(upstream).sum().backward();
      const mine = torch.narrow(input.detach(), 0, rank * PER_RANK, PER_RANK).requiresGrad_();
      const output = synced.forward(mine);
      output
        .mul(torch.narrow(upstream, 0, rank * PER_RANK, PER_RANK))
        .sum()
        .backward();
      const share = (t: Tensor) => torch.narrow(t, 0, rank * PER_RANK, PER_RANK);
      diffs.output = Math.max(diffs.output, maxAbs(output, share(reference)));
      diffs.inputGrad = Math.max(diffs.inputGrad, maxAbs(mine.grad!, share(input.grad!)));
      for (const name of ['weight', 'bias'] as const) {
        const g = synced.param(name).grad!.clone();
        group.allReduce(g, 'sum');
        const key = name === 'weight' ? 'weightGrad' : 'biasGrad';
        diffs[key] = Math.max(diffs[key], maxAbs(g, plain.param(name).grad!));
      }
      diffs.runningMean = Math.max(
        diffs.runningMean,
        maxAbs(synced.buffer('running_mean'), plain.buffer('running_mean')),
      );
      diffs.runningVar = Math.max(diffs.runningVar, maxAbs(synced.buffer('running_var'), plain.buffer('running_var')));
      plain.zeroGrad();
      synced.zeroGrad();
    }
    out.diffs = diffs;

    // Evaluation uses the running statistics and exchanges nothing (the ranks need not be in step).
    synced.eval();
    plain.eval();
    if (rank === 0) out.evalOutput = maxAbs(synced.forward(whole), plain.forward(whole));
    out.movedRunningVar = maxAbs(plain.buffer('running_var'), torch.ones([SHAPE[1]]));
    plain.dispose();
    synced.dispose();
  });
  group.barrier();
  group.close();
  return out;
}

main()
  .then((out) => process.stdout.write(JSON.stringify(out) + '\n'))
  .catch((err: Error) => {
    process.stderr.write(`rank ${rank}: ${err.stack}\n`);
    process.exitCode = 1;
  });
