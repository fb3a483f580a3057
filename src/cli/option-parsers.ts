// Parsers of numeric command-line options. A bad value throws commander's InvalidArgumentError, which
// commander reports as a usage error naming the option (`option '--batch <n>' argument '0' is
// invalid. expected an integer >= 1, got "0"`).
import { InvalidArgumentError } from 'commander';

/** A parser of one number that `accept`s it; `expected` says what it wanted in the error. */
function numeric(accept: (n: number) => boolean, expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !accept(n)) throw new InvalidArgumentError(`expected ${expected}, got "${value}"`);
    return n;
  };
}

/** An integer >= min. */
export const integer = (min: number): ((value: string) => number) =>
  numeric((n) => Number.isInteger(n) && n >= min, `an integer >= ${min}`);

/** A TCP port: 0 (any free port) to 65535. */
export const port = numeric((n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port, an integer from 0 to 65535');

/** An http:// or https:// URL. */
export function httpUrl(value: string): string {
  let parsed: URL | null = null;
  try {
    parsed = new URL(value);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got "${value}"`);
  return value;
}

/** A finite number >= min. */
export const number = (min: number): ((value: string) => number) =>
  numeric((n) => Number.isFinite(n) && n >= min, `a number >= ${min}`);

/** A number in [0, 1]: a probability or a fraction. */
export const unitInterval = numeric((n) => n >= 0 && n <= 1, 'a number in [0, 1]');

/** `low,high` with 0 <= low <= high <= 1, or one number for a fixed value. */
export function unitRange(value: string): [number, number] {
  const parts = value.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  const [low, high] = numbers.length === 1 ? [numbers[0], numbers[0]] : numbers;
  if (parts.length > 2 || parts.some((p) => p === '') || !(low >= 0 && low <= high && high <= 1))
    throw new InvalidArgumentError(`expected low,high with 0 <= low <= high <= 1 (or one number), got "${value}"`);
  return [low, high];
}

/** The `--threads` option of every command that computes: it overrides PNEUMO_THREADS for this run. */
export const THREADS_OPTION = {
  flags: '--threads <n>',
  description: 'engine compute threads (default: PNEUMO_THREADS, else every core)',
  parse: integer(1),
} as const;
