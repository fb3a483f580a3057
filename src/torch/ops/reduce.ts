// Reductions over all elements or over dimensions.
import { op, type BoundOp } from '../dispatch.js';
import type { Tensor } from '../tensor.js';

const dims = (dim: number | readonly number[]): number[] => (typeof dim === 'number' ? [dim] : [...dim]);

export function sum(a: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return dim === undefined ? op('aten::sum').tensor(a) : op('aten::sum', 'dim_IntList').tensor(a, dims(dim), keepdim);
}

export function mean(a: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return dim === undefined ? op('aten::mean').tensor(a) : op('aten::mean', 'dim').tensor(a, dims(dim), keepdim);
}

/** Variance (unbiased by default, as torch.var). */
export function variance(a: Tensor, dim?: number | readonly number[], unbiased = true, keepdim = false): Tensor {
  return op('aten::var', 'correction').tensor(a, dim === undefined ? null : dims(dim), unbiased ? 1 : 0, keepdim);
}

/** Variance and mean in one pass (torch.var_mean), differentiable. */
export function varMean(
  a: Tensor,
  dim: number | readonly number[],
  unbiased = true,
  keepdim = false,
): { variance: Tensor; mean: Tensor } {
  const [v, m] = op('aten::var_mean', 'correction').tensors(a, dims(dim), unbiased ? 1 : 0, keepdim);
  return { variance: v, mean: m };
}

// max and min: over all elements one tensor, along a dim the values and their indices.
function extremum(
  all: BoundOp,
  alongDim: BoundOp,
  a: Tensor,
  dim: number | undefined,
  keepdim: boolean,
): Tensor | { values: Tensor; indices: Tensor } {
  if (dim === undefined) return all.tensor(a);
  const [values, indices] = alongDim.tensors(a, dim, keepdim);
  return { values, indices };
}

/** The largest element, or with a dim the values and their indices along it. */
export function max(a: Tensor): Tensor;
export function max(a: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
export function max(a: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
  return extremum(op('aten::max'), op('aten::max', 'dim'), a, dim, keepdim);
}

export function min(a: Tensor): Tensor;
export function min(a: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
export function min(a: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
  return extremum(op('aten::min'), op('aten::min', 'dim'), a, dim, keepdim);
}

export function argmax(a: Tensor, dim?: number, keepdim = false): Tensor {
  return op('aten::argmax').tensor(a, dim ?? null, keepdim);
}

export function argmin(a: Tensor, dim?: number, keepdim = false): Tensor {
  return op('aten::argmin').tensor(a, dim ?? null, keepdim);
}

/** The p-norm over all elements or the given dims (2 by default). */
export function norm(a: Tensor, p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
  return op('aten::linalg_vector_norm').tensor(a, p, dim === undefined ? null : dims(dim), keepdim);
}

export function cumsum(a: Tensor, dim: number): Tensor {
  return op('aten::cumsum').tensor(a, dim);
}

export function sort(a: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } {
  const [values, indices] = op('aten::sort').tensors(a, dim, descending);
  return { values, indices };
}

export function topk(a: Tensor, k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
  const [values, indices] = op('aten::topk').tensors(a, k, dim, largest, true);
  return { values, indices };
}
