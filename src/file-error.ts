// The error of a file that cannot be used: its message names the file and the reason on one line, as
// every reader of user-supplied files reports it. Each reader subclasses it for its own name.
export class FileError extends Error {
  override name = 'FileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
