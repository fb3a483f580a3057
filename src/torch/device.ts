// Which device a command computes on. `auto` is the first CUDA device when the linked libtorch has
// CUDA and a device is present, else the CPU, as the issue of devices asks and as PyTorch scripts
// usually choose.
import { native, type CudaDeviceList } from './native.js';
import { DEVICE_PATTERN, type DeviceRequest } from './compute-names.js';

export type { DeviceRequest };

export class DeviceError extends Error {
  override name = 'DeviceError';
}

/** Checks the spelling of a --device value; the error says what is accepted. */
export function parseDeviceRequest(value: string): DeviceRequest {
  if (!DEVICE_PATTERN.test(value)) throw new DeviceError(`expected auto, cpu, cuda or cuda:N, got "${value}"`);
  return value as DeviceRequest;
}

/** CUDA devices this libtorch can use (0 for a CPU-only build, whatever the machine has). */
export function cudaDeviceCount(): number {
  const info = native.info();
  return info.cudaAvailable ? info.cudaDevices : 0;
}

/** The concrete device ('cpu' or 'cuda:N') for a request; an unusable CUDA request is an error. */
export function resolveDevice(request: DeviceRequest = 'auto'): string {
  if (request === 'cpu') return 'cpu';
  const count = cudaDeviceCount();
  if (request === 'auto') return count > 0 ? 'cuda:0' : 'cpu';
  const index = request === 'cuda' ? 0 : Number(request.slice('cuda:'.length));
  if (count === 0)
    throw new DeviceError(
      `--device ${request}: this libtorch has no usable CUDA (build against a CUDA libtorch with LIBTORCH=..., see README)`,
    );
  if (index >= count)
    throw new DeviceError(`--device ${request}: there are ${count} CUDA device(s), cuda:0..cuda:${count - 1}`);
  return `cuda:${index}`;
}

export const isCuda = (device: string): boolean => device.startsWith('cuda');

/** The devices the CUDA driver reports (name, memory, compute capability), whether or not libtorch can use them. */
export function cudaDevices(): CudaDeviceList {
  return native.cudaDevices();
}
