// Turns any failure of a command into the contract of ARCHITECTURE.md: exit code 1 (2 for a usage
// error) with the reason on stderr, prefixed once with `pneumo:`, never a stack trace dump for an
// expected problem. A message is printed whole: advice such as the missing-addon "Possible solutions"
// lines is part of it. A file-system error that reaches here unwrapped is told as the path and the
// reason, not as Node's `ENOENT: no such file or directory, open '...'`.
import { fileErrorMessage } from '../file-error.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes of every command (README, "Exit codes"). */
export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

/** The message as the user reads it: `pneumo: ` once, however deep the error was wrapped. */
export function errorLine(err: unknown): string {
  const message = fileErrorMessage(err).trimEnd();
  return `pneumo: ${message.replace(/^(pneumo: )+/, '')}`;
}

export function runAction<A extends unknown[]>(body: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await body(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      process.stderr.write(errorLine(err) + '\n');
      if (process.env.PNEUMO_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.failed;
    }
  };
}
