// One rank of the collectives test, run as its own process: `node collectives-rank.js SCENARIO`, with
// RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and TIMEOUT_MS in the environment. Prints one JSON line
// with what it saw (values, or the error's name and message).
import * as torch from '../../../src/torch/index.js';
import { ProcessGroup } from '../../../src/torch/distributed/index.js';

const scenario = process.argv[2];
const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
torch.setNumThreads(1);

async function main(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const group = await ProcessGroup.init({
    rank,
    worldSize,
    masterAddr: process.env.MASTER_ADDR!,
    masterPort: Number(process.env.MASTER_PORT),
    timeoutMs: Number(process.env.TIMEOUT_MS),
  });
  const out: Record<string, unknown> = { rank };
  if (scenario === 'collectives') {
    const t = torch.tensor([rank + 1, 10 * (rank + 1), -rank], [3]);
    group.allReduce(t, 'sum');
    out.sum = t.toArray();
    const m = torch.tensor([rank, -rank], [2]);
    group.allReduce(m, 'max');
    out.max = m.toArray();
    const a = torch.tensor([2 * rank, 4], [2]);
    group.allReduce(a, 'avg');
    out.avg = a.toArray();
    const several = [torch.tensor([rank], [1]), torch.tensor([1, rank, 2], [3])];
    group.allReduce(several, 'sum');
    out.several = several.map((s) => s.toArray());
    out.gathered = group.allGather(torch.tensor([rank, rank * rank], [2])).map((g) => g.toArray());
    const b = torch.tensor([rank + 7], [1]);
    group.broadcast(b, worldSize - 1);
    out.broadcast = b.toArray();
    const mixed = [torch.tensor([rank, rank], [2]), torch.tensor(BigInt64Array.from([BigInt(rank + 5)]), [1], 'int64')];
    group.broadcastCoalesced(mixed, 0);
    out.coalesced = mixed.map((s) => s.toArray());
    out.numbers = group.allReduceNumbers([rank, 0.5], 'sum');
    out.lists = group.allGatherNumbers(rank === 0 ? [0.1, 2, -3] : [rank]);
    out.unevenLists = group.allGatherNumbers(rank === 0 ? [] : [1e-300, 7]);
    out.emptyLists = group.allGatherNumbers([]);
    group.barrier();
  } else if (scenario === 'peer-exits') {
    // Rank 1 leaves after the barrier; rank 0's next all-reduce must fail, not wait forever.
    group.barrier();
    if (rank === 1) process.exit(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    group.allReduce(torch.tensor([1], [1]));
  } else if (scenario === 'peer-stalls') {
    // Rank 1 stays connected but never joins the all-reduce: rank 0 times out.
    group.barrier();
    if (rank === 1) {
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.TIMEOUT_MS) + 2000));
      return out;
    }
    group.allReduce(torch.tensor([1], [1]));
  }
  out.seconds = (performance.now() - started) / 1000;
  group.close();
  return out;
}

const started = performance.now();
main().then(
  (out) => process.stdout.write(JSON.stringify(out) + '\n'),
  (err: Error) => {
    process.stdout.write(
      JSON.stringify({ rank, error: err.name, message: err.message, seconds: (performance.now() - started) / 1000 }) +
        '\n',
    );
    process.exitCode = 1;
  },
);
