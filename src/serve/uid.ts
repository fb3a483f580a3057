// DICOM UIDs in the service's paths and uploaded headers follow the one rule of src/interop/uid.ts
// (PS3.5 9.1: digits and dots, no leading zeros, at most 64 characters). A UID names files in the
// store, so nothing else may pass: no path traversal, no separators.
import { UID_MAX_LENGTH, UID_PATTERN } from '../interop/uid.js';

export { isValidUid, UID_MAX_LENGTH } from '../interop/uid.js';

/** The JSON schema of a `:uid` path parameter; fastify answers 400 for anything else. */
export const UID_PARAMS_SCHEMA = {
  type: 'object',
  required: ['uid'],
  properties: { uid: { type: 'string', pattern: UID_PATTERN, maxLength: UID_MAX_LENGTH } },
} as const;
