// --precision and --device, shared by train, evaluate, predict, demo and the benchmarks. Spelling is
// checked by commander (a usage error naming the option); whether the machine can honour the choice
// (a CUDA device, fp16 only on CUDA) is checked when the command runs, also as a usage error.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEVICE_PATTERN, PRECISIONS, type DeviceRequest, type Precision } from '../torch/compute-names.js';
import { UsageError } from './run-action.js';

export interface ComputeFlags {
  precision?: Precision;
  device?: DeviceRequest;
}

function deviceRequest(value: string): DeviceRequest {
  if (!DEVICE_PATTERN.test(value)) throw new InvalidArgumentError(`expected auto, cpu, cuda or cuda:N, got "${value}"`);
  return value as DeviceRequest;
}

/**
 * Adds the two options. Without defaults here a config file's settings can stand (train); commands
 * that have none use fp32 and auto.
 */
export function addComputeOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--precision <p>',
        'fp32, or mixed precision: bf16 (CPU or CUDA) or fp16 (CUDA only); batch norm statistics, losses and metrics stay fp32 (default fp32)',
      ).choices([...PRECISIONS]),
    )
    .addOption(
      new Option(
        '--device <d>',
        'auto (the first CUDA device when libtorch has CUDA, else the CPU), cpu, cuda or cuda:N (default auto)',
      ).argParser(deviceRequest),
    );
}

/** The concrete device and precision, or a usage error saying why they cannot be used here. */
export async function resolveCompute(flags: ComputeFlags): Promise<{ precision: Precision; device: string }> {
  const torch = await import('../torch/index.js');
  const precision = flags.precision ?? 'fp32';
  try {
    const device = torch.resolveDevice(flags.device ?? 'auto');
    torch.checkPrecision(precision, device);
    return { precision, device };
  } catch (err) {
    if (err instanceof torch.DeviceError || err instanceof torch.PrecisionError) throw new UsageError(err.message);
    throw err;
  }
}
