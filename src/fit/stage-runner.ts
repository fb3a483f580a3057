// A job as a list of plain stages: each has a name (its done-marker in the state), a title for the
// progress, and a run that returns what later stages and the report need. The runner skips the
// stages the state marks done, records each one as it finishes, and logs a line per stage.
import { appendFileSync } from 'node:fs';
import type { TrainReporter } from '../train/trainer.js';
import type { FitState } from './fit-state.js';

/** How a job shows its progress; the CLI gives bars and lines, tests give nothing. */
export interface StageReporter {
  stage(index: number, total: number, title: string): void;
  note(line: string): void;
  progress(label: string, total: number, startedAt: number): { update(done: number): void; stop(): void };
  /** A training run's reporter: `label` names the stage and fold on its bar. */
  training(epochs: number, label: string): TrainReporter;
}

export const SILENT_REPORTER: StageReporter = {
  stage: () => {},
  note: () => {},
  progress: () => ({ update: () => {}, stop: () => {} }),
  training: () => ({}),
};

export interface Stage {
  /** Unique in the job; the key of its entry in the state. */
  name: string;
  title: string;
  /** Does the work and returns its result (JSON, kept in the state). */
  run(): Promise<unknown>;
  /** A one-line account of the result for the log. */
  summary?(result: unknown): string;
}

export interface StageRunOptions {
  state: FitState;
  /** Called after each finished stage with the state that records it. */
  save(state: FitState): void;
  reporter: StageReporter;
  /** A line per stage is appended here (started, done, skipped). */
  logFile?: string;
  /** Wall seconds per stage name, filled in as stages run (done-earlier stages keep their recorded time). */
  seconds: Record<string, number>;
}

export async function runStages(stages: readonly Stage[], options: StageRunOptions): Promise<void> {
  const { state, reporter } = options;
  const log = (line: string) => {
    if (options.logFile) appendFileSync(options.logFile, `${new Date().toISOString()} ${line}\n`);
  };
  const names = new Set<string>();
  for (const s of stages) {
    if (names.has(s.name)) throw new Error(`stage ${s.name} is listed twice`);
    names.add(s.name);
  }
  for (const [i, stage] of stages.entries()) {
    const done = state.stages[stage.name];
    if (done) {
      reporter.stage(i + 1, stages.length, `${stage.title} (done earlier, ${done.finishedAt})`);
      options.seconds[stage.name] = done.seconds;
      log(`${stage.name}: done earlier`);
      continue;
    }
    reporter.stage(i + 1, stages.length, stage.title);
    log(`${stage.name}: started`);
    const started = performance.now();
    const result = await stage.run();
    const seconds = (performance.now() - started) / 1000;
    options.seconds[stage.name] = seconds;
    state.stages[stage.name] = { finishedAt: new Date().toISOString(), seconds, result: result ?? null };
    options.save(state);
    log(`${stage.name}: done in ${seconds.toFixed(1)} s${stage.summary ? `; ${stage.summary(result)}` : ''}`);
  }
}

/** A finished stage's result, as the stage recorded it. */
export function stageResult<T>(state: FitState, name: string): T {
  const done = state.stages[name];
  if (!done) throw new Error(`stage ${name} has not run`);
  return done.result as T;
}
