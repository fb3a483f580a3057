// OUT/fit-state.json: which stages of a fit have finished, with what each recorded, so that the same
// command run again continues where the last one stopped. Its one reader and writer. A stage counts as
// done only once its entry is written (atomically); an interrupted training stage restarts from its
// run's last checkpoint (the trainer's), not from here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic-file.js';
import { fileErrorReason } from '../file-error.js';
import { isJsonObject } from '../json-object.js';
import type { FitPlan } from '../report/fit-summary.js';

export const FIT_STATE_FILE = 'fit-state.json';
const FORMAT = 'pneumo.fit-state';
export const FIT_STATE_SCHEMA_VERSION = 1;

export interface FinishedStage {
  finishedAt: string;
  seconds: number;
  /** What the stage hands on to later stages and the report (JSON). */
  result: unknown;
}

export interface FitState {
  format: typeof FORMAT;
  schemaVersion: typeof FIT_STATE_SCHEMA_VERSION;
  /** The dataset folder and the plan the stages ran with: a rerun with others is refused. */
  data: string;
  plan: FitPlan;
  stages: Record<string, FinishedStage>;
}

export class FitStateError extends Error {
  override name = 'FitStateError';
}

export function newFitState(data: string, plan: FitPlan): FitState {
  return { format: FORMAT, schemaVersion: FIT_STATE_SCHEMA_VERSION, data: path.resolve(data), plan, stages: {} };
}

/** The state of OUT, or null when none was written; a file of another kind or version is an error naming the field. */
export function readFitState(out: string): FitState | null {
  const file = path.join(out, FIT_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FitStateError(`${file}: ${fileErrorReason(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FitStateError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const bad = (field: string, expected: string) => new FitStateError(`${file}: ${field} is not ${expected}`);
  if (!isJsonObject(json)) throw bad('the file', 'a JSON object');
  if (json.format !== FORMAT) throw bad('format', `"${FORMAT}"`);
  if (json.schemaVersion !== FIT_STATE_SCHEMA_VERSION)
    throw bad('schemaVersion', `${FIT_STATE_SCHEMA_VERSION} (this pneumo reads that version only)`);
  if (typeof json.data !== 'string') throw bad('data', 'a folder');
  if (!isJsonObject(json.plan)) throw bad('plan', 'an object');
  if (!isJsonObject(json.stages)) throw bad('stages', 'an object');
  for (const [name, stage] of Object.entries(json.stages))
    if (!isJsonObject(stage) || typeof stage.finishedAt !== 'string' || typeof stage.seconds !== 'number')
      throw bad(`stages["${name}"]`, '{finishedAt, seconds, result}');
  return json as unknown as FitState;
}

export function writeFitState(out: string, state: FitState): void {
  writeJsonAtomic(path.join(out, FIT_STATE_FILE), state);
}

/**
 * A state to continue: the one in OUT when it was made from the same data and plan, a new one when
 * there is none; another data folder or plan is an error that names the first setting that differs.
 */
export function continuedState(out: string, data: string, plan: FitPlan): FitState {
  const saved = readFitState(out);
  const fresh = newFitState(data, plan);
  if (!saved) return fresh;
  if (saved.data !== fresh.data)
    throw new FitStateError(
      `${out} holds a fit of ${saved.data}, not ${fresh.data}; choose another --out or pass --restart`,
    );
  const savedPlan = saved.plan as unknown as Record<string, unknown>;
  const differing = Object.keys({ ...savedPlan, ...plan }).find(
    (k) => JSON.stringify(savedPlan[k]) !== JSON.stringify((plan as unknown as Record<string, unknown>)[k]),
  );
  if (differing !== undefined)
    throw new FitStateError(
      `${out} holds a fit made with another plan (${differing}: ${JSON.stringify(savedPlan[differing])} there, ${JSON.stringify((plan as unknown as Record<string, unknown>)[differing])} now); rerun with the same settings to continue it, or pass --restart`,
    );
  return saved;
}
