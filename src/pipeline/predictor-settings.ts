// The predictor settings that a batch command (predict, evaluate) takes from its caller and hands to
// Predictor.load unchanged: one list, so that a setting added to the Predictor reaches every command.
import type { PredictorOptions } from './predictor.js';

const SETTINGS = ['tta', 'threads', 'precision', 'device', 'runtime', 'modelFactory'] as const;

export type PredictorSettings = Pick<PredictorOptions, (typeof SETTINGS)[number]>;

/** The predictor settings among a command's options (and nothing else of them). */
export function predictorSettings(options: PredictorSettings): PredictorSettings {
  const picked: Record<string, unknown> = {};
  for (const key of SETTINGS) if (options[key] !== undefined) picked[key] = options[key];
  return picked as PredictorSettings;
}
