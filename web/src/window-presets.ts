// The viewer's window presets, in one list: each has an id (the button's action), a label, a key and
// the rule that chooses its window. The buttons and the keymap are made from this list, so a new
// preset is one entry here.
import { fullWindow, percentileWindow, type ModalityRange, type Window } from './window-level.js';

/** What a preset may look at: the stored values with their rescale, their range, and the file's own window. */
export interface PresetInputs {
  values: ArrayLike<number>;
  slope: number;
  intercept: number;
  range: ModalityRange;
  fileWindow: Window | null;
}

export interface WindowPreset {
  id: string;
  label: string;
  key: string;
  choose(inputs: PresetInputs): Window;
}

export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: 'dicom', label: 'DICOM', key: '1', choose: (i) => i.fileWindow ?? fullWindow(i.range) },
  { id: 'full', label: 'Full', key: '2', choose: (i) => fullWindow(i.range) },
  { id: 'auto', label: 'Auto', key: '3', choose: (i) => percentileWindow(i.values, i.slope, i.intercept) },
];

/**
 * The preset that shows what the model saw: not a window but the model-input contract's display
 * transform, fetched from the service (GET /api/instances/:uid/model-display).
 */
export const MODEL_PRESET = { id: 'model', label: 'Model input', key: '4' } as const;

/** The preset the viewer opens with and returns to on Reset. */
export const DEFAULT_PRESET = 'dicom';

export function presetById(id: string): WindowPreset {
  const preset = WINDOW_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`no window preset ${id}; presets: ${WINDOW_PRESETS.map((p) => p.id).join(', ')}`);
  return preset;
}
