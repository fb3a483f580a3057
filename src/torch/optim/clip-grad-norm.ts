// Gradient clipping by the global norm over all gradients, as torch.nn.utils.clip_grad_norm_.
import type { Tensor } from '../tensor.js';
import { scope } from '../scope.js';
import { noGrad } from '../grad-mode.js';
import { abs, add, clamp, max, mul, mul_, norm, reciprocal, stack } from '../ops/index.js';

export class NonFiniteGradientError extends Error {
  override name = 'NonFiniteGradientError';
}

export interface ClipGradNormOptions {
  /** The p of the p-norm; Infinity for the largest absolute value. Default 2. */
  normType?: number;
  /** Throw instead of scaling when the total norm is NaN or infinite. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales every gradient in place so that their joint norm is at most maxNorm, and returns the joint
 * norm before clipping. Parameters without a gradient are skipped.
 */
export function clipGradNorm(parameters: Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const normType = options.normType ?? 2;
  return noGrad(() =>
    scope(() => {
      const grads = [...parameters].map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return 0;
      const device = grads[0].device;
      const norms = grads.map((g) => {
        const n = normType === Infinity ? max(abs(g)) : norm(g, normType);
        return n.device === device ? n : n.to(device);
      });
      const total =
        normType === Infinity ? (norms.length === 1 ? norms[0] : max(stack(norms))) : norm(stack(norms), normType);
      const totalValue = total.item();
      if (options.errorIfNonfinite && !Number.isFinite(totalValue))
        throw new NonFiniteGradientError(
          `the total norm of order ${normType} of the gradients is non-finite (${totalValue}), so it cannot be clipped`,
        );
      // Written as PyTorch evaluates `max_norm / (total_norm + 1e-6)`: a reciprocal times the scalar.
      const coefficient = clamp(mul(reciprocal(add(total, 1e-6)), maxNorm), null, 1);
      for (const g of grads) mul_(g, g.device === device ? coefficient : coefficient.to(g.device));
      return totalValue;
    }),
  );
}
