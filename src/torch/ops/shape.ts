// Views, reshaping, joining, slicing and padding.
import { op } from '../dispatch.js';
import type { Tensor } from '../tensor.js';
import { DTYPE_CODE, type DType } from '../dtype.js';

type Shape = readonly number[];

export const reshape = (a: Tensor, shape: Shape): Tensor => op('aten::reshape').tensor(a, [...shape]);
export const view = (a: Tensor, shape: Shape): Tensor => op('aten::view').tensor(a, [...shape]);
export const permute = (a: Tensor, dims: Shape): Tensor => op('aten::permute').tensor(a, [...dims]);
export const transpose = (a: Tensor, dim0: number, dim1: number): Tensor =>
  op('aten::transpose', 'int').tensor(a, dim0, dim1);
export const flatten = (a: Tensor, startDim = 0, endDim = -1): Tensor =>
  op('aten::flatten', 'using_ints').tensor(a, startDim, endDim);
export const squeeze = (a: Tensor, dim?: number): Tensor =>
  dim === undefined ? op('aten::squeeze').tensor(a) : op('aten::squeeze', 'dim').tensor(a, dim);
export const unsqueeze = (a: Tensor, dim: number): Tensor => op('aten::unsqueeze').tensor(a, dim);
export const cat = (tensors: readonly Tensor[], dim = 0): Tensor => op('aten::cat').tensor([...tensors], dim);
export const stack = (tensors: readonly Tensor[], dim = 0): Tensor => op('aten::stack').tensor([...tensors], dim);
/** Elements start..end (exclusive) along dim, with a step; negative bounds count from the end. */
export const slice = (a: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor =>
  op('aten::slice', 'Tensor').tensor(a, dim, start ?? null, end ?? null, step);
export const narrow = (a: Tensor, dim: number, start: number, length: number): Tensor =>
  op('aten::narrow').tensor(a, dim, start, length);
export const indexSelect = (a: Tensor, dim: number, index: Tensor): Tensor =>
  op('aten::index_select').tensor(a, dim, index);
/** Advanced indexing a[i0, i1, ...] with index tensors (null keeps a dimension whole). */
export const index = (a: Tensor, indices: readonly (Tensor | null)[]): Tensor =>
  op('aten::index', 'Tensor').tensor(a, [...indices]);
export const gather = (a: Tensor, dim: number, index: Tensor): Tensor =>
  op('aten::gather').tensor(a, dim, index, false);
export const flip = (a: Tensor, dims: Shape): Tensor => op('aten::flip').tensor(a, [...dims]);
export const expand = (a: Tensor, shape: Shape): Tensor => op('aten::expand').tensor(a, [...shape], false);
export const repeat = (a: Tensor, repeats: Shape): Tensor => op('aten::repeat').tensor(a, [...repeats]);
export const clone = (a: Tensor): Tensor => op('aten::clone').tensor(a, null);
export const contiguous = (a: Tensor): Tensor => op('aten::contiguous').tensor(a, 0);
// c10::MemoryFormat's values.
const MEMORY_FORMAT = { contiguous: 0, 'channels-last': 2 } as const;
export type MemoryFormat = keyof typeof MEMORY_FORMAT;
/** A tensor in the given memory format (itself when already so); channels-last needs 4 dimensions. */
export const contiguousAs = (a: Tensor, format: MemoryFormat): Tensor =>
  op('aten::contiguous').tensor(a, MEMORY_FORMAT[format]);
/** Elements to step over per index of each dimension (a channels-last NCHW tensor has stride 1 along C). */
export const strides = (a: Tensor): number[] => a.shape.map((_, dim) => op('aten::stride', 'int')(a, dim) as number);
export const chunk = (a: Tensor, chunks: number, dim = 0): Tensor[] => op('aten::chunk').tensors(a, chunks, dim);
export const toDtype = (a: Tensor, dtype: DType): Tensor =>
  op('aten::to', 'dtype').tensor(a, DTYPE_CODE[dtype], false, false, null);
/** A copy on another device; nonBlocking overlaps a copy from pinned host memory with GPU work. */
export const toDevice = (a: Tensor, device: string, nonBlocking = false): Tensor =>
  op('aten::to', 'device').tensor(a, device, DTYPE_CODE[a.dtype], nonBlocking, false, null);
/** A copy in page-locked host memory, for fast non-blocking copies to CUDA (needs a CUDA libtorch). */
export const pinMemory = (a: Tensor): Tensor => op('aten::pin_memory').tensor(a, null);

/**
 * Pads the last dimensions as torch.nn.functional.pad: `pad` lists (before, after) pairs starting
 * from the last dimension. Modes: constant (with value), reflect and replicate (4-D input, last two dims).
 */
export function pad(
  a: Tensor,
  padding: Shape,
  mode: 'constant' | 'reflect' | 'replicate' = 'constant',
  value = 0,
): Tensor {
  if (mode === 'constant') return op('aten::constant_pad_nd').tensor(a, [...padding], value);
  if (padding.length !== 4)
    throw new Error(`pad(): ${mode} padding takes 4 values (left, right, top, bottom), got ${padding.length}`);
  return mode === 'reflect'
    ? op('aten::reflection_pad2d').tensor(a, [...padding])
    : op('aten::replication_pad2d').tensor(a, [...padding]);
}
