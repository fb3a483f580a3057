// Checkpoints that survive being killed at any moment.
// - Last (for --resume): the model weights and the optimizer state go to new files named by epoch
//   (checkpoints/epoch-0003.safetensors, checkpoints/epoch-0003.optimizer.safetensors), each written
//   atomically; then checkpoints/last.json, which holds the rest of the training state (epoch, schedule,
//   best value, history, seed) and names those two files, replaces the previous one by an atomic rename.
//   That rename is the commit: before it the previous last.json still names the previous files, which
//   are only deleted after it. A crash at any point leaves one complete, consistent checkpoint.
// - Best: RUN/best.safetensors, one self-describing file (epoch, monitored metric and value, model
//   config in its metadata), written atomically, plus best.json for people.
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { saveSafetensors, loadSafetensorsWithMetadata } from '../torch/safetensors.js';
import { saveOptimizerState, loadOptimizerState } from '../torch/optim/index.js';
import type { Optimizer } from '../torch/optim/index.js';
import { writeJsonAtomic } from '../atomic-file.js';
import { CheckpointError } from '../torch/checkpoint.js';
import type { EpochRecord } from './history.js';

export const CHECKPOINT_FORMAT = 'pneumo.train.checkpoint/1';

export interface TrainingState {
  format: typeof CHECKPOINT_FORMAT;
  task: string;
  model: string;
  /** Epochs completed (1-based number of the last one); training resumes at this epoch index. */
  epoch: number;
  seed: number;
  /** Schedule state (see src/torch/optim/schedules.ts) or null without a schedule. */
  schedule: Record<string, unknown> | null;
  best: { epoch: number; value: number } | null;
  /** Epochs since the monitored metric last improved (early stopping). */
  epochsWithoutImprovement: number;
  history: EpochRecord[];
  /** File names, relative to the checkpoints folder. */
  weightsFile: string;
  optimizerFile: string;
  savedAt: string;
}

/** A training checkpoint that cannot be read is the same error as any other unreadable checkpoint. */
export { CheckpointError };

export const checkpointsFolder = (run: string) => path.join(run, 'checkpoints');
export const lastCheckpointFile = (run: string) => path.join(checkpointsFolder(run), 'last.json');
export const bestWeightsFile = (run: string) => path.join(run, 'best.safetensors');

/** What a test may inject to simulate a crash between writing the new files and committing them. */
export interface SaveHooks {
  beforeCommit?: () => void;
}

export function saveLastCheckpoint(
  run: string,
  model: torch.nn.Module,
  optimizer: Optimizer,
  state: Omit<TrainingState, 'format' | 'weightsFile' | 'optimizerFile' | 'savedAt'>,
  hooks: SaveHooks = {},
): void {
  const folder = checkpointsFolder(run);
  mkdirSync(folder, { recursive: true });
  const stem = `epoch-${String(state.epoch).padStart(4, '0')}`;
  const weightsFile = `${stem}.safetensors`;
  const optimizerFile = `${stem}.optimizer.safetensors`;
  saveSafetensors(path.join(folder, weightsFile), model.stateDict(), {
    format: CHECKPOINT_FORMAT,
    epoch: String(state.epoch),
  });
  saveOptimizerState(path.join(folder, optimizerFile), optimizer, { epoch: String(state.epoch) });
  const full: TrainingState = {
    format: CHECKPOINT_FORMAT,
    ...state,
    weightsFile,
    optimizerFile,
    savedAt: new Date().toISOString(),
  };
  writeJsonAtomic(lastCheckpointFile(run), full, hooks.beforeCommit);
  // Committed: anything the new last.json does not name is garbage (older epochs, crashed attempts).
  for (const name of readdirSync(folder)) {
    if (name === 'last.json' || name === weightsFile || name === optimizerFile) continue;
    if (/^epoch-\d+\./.test(name) || /^\..*\.tmp$/.test(name)) rmSync(path.join(folder, name), { force: true });
  }
}

/** The committed training state of a run, or null when it has none. */
export function readLastCheckpoint(run: string): TrainingState | null {
  const file = lastCheckpointFile(run);
  if (!existsSync(file)) return null;
  let state: TrainingState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as TrainingState;
  } catch (err) {
    throw new CheckpointError(file, `not a readable checkpoint (${(err as Error).message})`);
  }
  if (state.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(file, `unknown checkpoint format ${String(state.format)}`);
  for (const name of [state.weightsFile, state.optimizerFile]) {
    if (!existsSync(path.join(checkpointsFolder(run), name)))
      throw new CheckpointError(file, `names ${name}, which is missing`);
  }
  return state;
}

/** Loads the weights and optimizer state that a committed state names into the given model and optimizer. */
export function restoreCheckpoint(
  run: string,
  state: TrainingState,
  model: torch.nn.Module,
  optimizer: Optimizer,
): void {
  const folder = checkpointsFolder(run);
  torch.scope(() => {
    const { tensors } = loadSafetensorsWithMetadata(path.join(folder, state.weightsFile));
    model.loadStateDict(tensors);
  });
  loadOptimizerState(path.join(folder, state.optimizerFile), optimizer);
}

export interface BestInfo {
  epoch: number;
  monitor: string;
  value: number;
  /** The model's registry config, so that the weights rebuild without the run folder. */
  modelConfig: unknown;
  threshold: number | null;
  /** Why these weights: the best epoch by the monitor, or the last (keepWeights 'last'). */
  kept?: 'best' | 'last';
}

export function saveBestWeights(run: string, model: torch.nn.Module, info: BestInfo, record: EpochRecord): void {
  saveSafetensors(bestWeightsFile(run), model.stateDict(), {
    format: 'pneumo.weights/1',
    epoch: String(info.epoch),
    monitor: info.monitor,
    value: String(info.value),
    modelConfig: JSON.stringify(info.modelConfig ?? null),
    threshold: info.threshold === null ? '' : String(info.threshold),
    kept: info.kept ?? 'best',
  });
  writeJsonAtomic(path.join(run, 'best.json'), { ...info, record });
}
