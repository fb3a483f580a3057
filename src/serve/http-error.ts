// Errors that handlers throw: a status code and a one-line reason, shaped into {error, message} by the
// app's error handler (app.ts). `error` names the kind of failure: the HTTP reason phrase of the
// status ("Unauthorized", "Payload Too Large"), the same for pneumo's errors and fastify's own.
import { STATUS_CODES } from 'node:http';
export interface HttpError extends Error {
  statusCode: number;
  headers?: Record<string, string>;
}

export function httpError(statusCode: number, message: string, headers?: Record<string, string>): HttpError {
  return Object.assign(new Error(message), { statusCode, headers });
}

/** The `error` of an answer with this status: its reason phrase, e.g. "Unsupported Media Type". */
export function errorName(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Client Error');
}
