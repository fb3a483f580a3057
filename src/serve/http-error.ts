// Errors that handlers throw: a status code and a one-line reason, shaped into {error, message} by the
// app's error handler (app.ts).
export interface HttpError extends Error {
  statusCode: number;
  headers?: Record<string, string>;
}

export function httpError(statusCode: number, message: string, headers?: Record<string, string>): HttpError {
  return Object.assign(new Error(message), { statusCode, headers });
}
