// DICOM UIDs as the service accepts them, in paths and in uploaded headers: digits and dots, at most
// 64 characters (PS3.5 9.1). A UID names files in the store, so nothing else may pass: no path
// traversal, no separators.
export const UID_MAX_LENGTH = 64;
export const UID_PATTERN = '^[0-9]+(\\.[0-9]+)*$';
const UID_REGEX = new RegExp(UID_PATTERN);

export function isValidUid(value: string): boolean {
  return value.length > 0 && value.length <= UID_MAX_LENGTH && UID_REGEX.test(value);
}

/** The JSON schema of a `:uid` path parameter; fastify answers 400 for anything else. */
export const UID_PARAMS_SCHEMA = {
  type: 'object',
  required: ['uid'],
  properties: { uid: { type: 'string', pattern: UID_PATTERN, maxLength: UID_MAX_LENGTH } },
} as const;
