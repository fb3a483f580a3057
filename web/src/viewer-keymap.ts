// The viewer's keys: one table from a key (as KeyboardEvent.key gives it, lower-cased) to the name of
// an action. The page binds the names to what they do; the table alone decides which key does what,
// so it is tested without a browser and two actions can never share a key.
import { MODEL_PRESET, WINDOW_PRESETS } from './window-presets.js';

export type Tool = 'window' | 'pan' | 'brush' | 'eraser' | 'ruler';

export const TOOLS: readonly { tool: Tool; label: string; key: string }[] = [
  { tool: 'window', label: 'Window', key: 'w' },
  { tool: 'pan', label: 'Pan', key: 'p' },
  { tool: 'brush', label: 'Brush', key: 'b' },
  { tool: 'eraser', label: 'Eraser', key: 'e' },
  { tool: 'ruler', label: 'Ruler', key: 'm' },
];

export type ViewerAction =
  | 'agree'
  | 'disagree'
  | 'next'
  | 'toggle-mask'
  | 'toggle-style'
  | 'fit'
  | 'reset'
  | 'revert'
  | 'zoom-in'
  | 'zoom-out'
  | 'brush-smaller'
  | 'brush-larger'
  | 'back'
  | `preset-${string}`
  | `tool-${Tool}`;

const FIXED: Record<string, ViewerAction> = {
  a: 'agree',
  d: 'disagree',
  n: 'next',
  o: 'toggle-mask',
  l: 'toggle-style',
  f: 'fit',
  r: 'reset',
  z: 'revert',
  '+': 'zoom-in',
  '=': 'zoom-in',
  '-': 'zoom-out',
  '[': 'brush-smaller',
  ']': 'brush-larger',
  escape: 'back',
};

function buildKeymap(): ReadonlyMap<string, ViewerAction> {
  const map = new Map<string, ViewerAction>();
  const bind = (key: string, action: ViewerAction) => {
    const taken = map.get(key);
    if (taken) throw new Error(`viewer keymap: key ${key} is bound to both ${taken} and ${action}`);
    map.set(key, action);
  };
  for (const [key, action] of Object.entries(FIXED)) bind(key, action);
  for (const preset of [...WINDOW_PRESETS, MODEL_PRESET]) bind(preset.key, `preset-${preset.id}`);
  for (const { tool, key } of TOOLS) bind(key, `tool-${tool}`);
  return map;
}

export const VIEWER_KEYMAP = buildKeymap();

/** The action of a key press (KeyboardEvent.key), or null for a key the viewer does not use. */
export function viewerActionForKey(key: string): ViewerAction | null {
  return VIEWER_KEYMAP.get(key.toLowerCase()) ?? null;
}

/** The key shown on a button: the first key bound to the action, upper-cased. */
export function keyOf(action: ViewerAction): string {
  for (const [key, bound] of VIEWER_KEYMAP) if (bound === action) return key === 'escape' ? 'Esc' : key.toUpperCase();
  return '';
}
