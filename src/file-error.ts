// A failed file operation in words a user reads: the path and the reason ("x.csv: no such file"),
// never Node's "ENOENT: no such file or directory, open 'x.csv'". Node's own message is kept for a
// code not listed here.
import { existsSync } from 'node:fs';
import path from 'node:path';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'on a read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links (a loop?)',
};

/** A Node file-system error: it has a `code` such as ENOENT and usually the `path` it concerns. */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === 'string' &&
    typeof (err as NodeJS.ErrnoException).syscall === 'string'
  );
}

/** The reason alone, in words ("no such file or folder"), for messages that name the path themselves. */
export function fileErrorReason(err: unknown): string {
  if (!isFileSystemError(err)) return err instanceof Error ? err.message : String(err);
  return REASONS[err.code!] ?? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}

/**
 * `PATH: reason` for a file-system error; `file` names the path when the error has none (a read on an
 * open handle). Any other error gives its message unchanged.
 */
export function fileErrorMessage(err: unknown, file?: string): string {
  if (!isFileSystemError(err)) return err instanceof Error ? err.message : String(err);
  const where = err.path ?? file;
  const reason = fileErrorReason(err);
  if (!where) return reason;
  // A file that cannot be made because its folder is missing is the common case when writing.
  if (err.code === 'ENOENT' && !existsSync(path.dirname(where)))
    return `${where}: the folder ${path.dirname(where)} does not exist`;
  return `${where}: ${reason}`;
}

/**
 * The error of a file that cannot be used: its message names the file and the reason on one line, as
 * every reader of user-supplied files reports it. Each reader subclasses it for its own name.
 */
export class FileError extends Error {
  override name = 'FileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
