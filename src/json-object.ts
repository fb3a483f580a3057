// What the manifest readers (bundle.json, run.json, a model's input section) check a parsed JSON
// value against before reading its fields.
export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
