// Turns any failure of a command into the contract of ARCHITECTURE.md: a one-line reason on stderr
// and exit code 1, never a stack trace dump for an expected problem.
export class UsageError extends Error {
  override name = 'UsageError';
}

export function runAction<A extends unknown[]>(body: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await body(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`pneumo: ${message.split('\n')[0]}\n`);
      if (process.env.PNEUMO_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exitCode = 1;
    }
  };
}
