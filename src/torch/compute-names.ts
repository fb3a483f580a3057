// The spellings of --precision and --device, kept apart from the engine so that parsing a config or
// a command line does not load the native addon.
export type Precision = 'fp32' | 'bf16' | 'fp16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'fp16'];

export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;
export const DEVICE_PATTERN = /^(auto|cpu|cuda(:\d+)?)$/;
