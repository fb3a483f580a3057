// Views, reshaping, joining, slicing and padding.
import { op } from '../dispatch.js';
import type { Tensor } from '../tensor.js';
import { DTYPE_CODE, type DType } from '../dtype.js';

type Shape = readonly number[];

const reshapeOp = op('aten::reshape');
const viewOp = op('aten::view');
const permuteOp = op('aten::permute');
const transposeOp = op('aten::transpose', 'int');
const flattenOp = op('aten::flatten', 'using_ints');
const squeezeAll = op('aten::squeeze');
const squeezeDim = op('aten::squeeze', 'dim');
const unsqueezeOp = op('aten::unsqueeze');
const catOp = op('aten::cat');
const stackOp = op('aten::stack');
const sliceOp = op('aten::slice', 'Tensor');
const narrowOp = op('aten::narrow');
const indexSelectOp = op('aten::index_select');
const indexOp = op('aten::index', 'Tensor');
const gatherOp = op('aten::gather');
const flipOp = op('aten::flip');
const constantPad = op('aten::constant_pad_nd');
const reflectionPad2d = op('aten::reflection_pad2d');
const replicationPad2d = op('aten::replication_pad2d');
const expandOp = op('aten::expand');
const repeatOp = op('aten::repeat');
const cloneOp = op('aten::clone');
const contiguousOp = op('aten::contiguous');
const toDtypeOp = op('aten::to', 'dtype');
const toDeviceOp = op('aten::to', 'device');
const chunkOp = op('aten::chunk');
const pinMemoryOp = op('aten::pin_memory');
const strideOp = op('aten::stride', 'int');

export const reshape = (a: Tensor, shape: Shape): Tensor => reshapeOp.tensor(a, [...shape]);
export const view = (a: Tensor, shape: Shape): Tensor => viewOp.tensor(a, [...shape]);
export const permute = (a: Tensor, dims: Shape): Tensor => permuteOp.tensor(a, [...dims]);
export const transpose = (a: Tensor, dim0: number, dim1: number): Tensor => transposeOp.tensor(a, dim0, dim1);
export const flatten = (a: Tensor, startDim = 0, endDim = -1): Tensor => flattenOp.tensor(a, startDim, endDim);
export const squeeze = (a: Tensor, dim?: number): Tensor =>
  dim === undefined ? squeezeAll.tensor(a) : squeezeDim.tensor(a, dim);
export const unsqueeze = (a: Tensor, dim: number): Tensor => unsqueezeOp.tensor(a, dim);
export const cat = (tensors: readonly Tensor[], dim = 0): Tensor => catOp.tensor([...tensors], dim);
export const stack = (tensors: readonly Tensor[], dim = 0): Tensor => stackOp.tensor([...tensors], dim);
/** Elements start..end (exclusive) along dim, with a step; negative bounds count from the end. */
export const slice = (a: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor =>
  sliceOp.tensor(a, dim, start ?? null, end ?? null, step);
export const narrow = (a: Tensor, dim: number, start: number, length: number): Tensor =>
  narrowOp.tensor(a, dim, start, length);
export const indexSelect = (a: Tensor, dim: number, index: Tensor): Tensor => indexSelectOp.tensor(a, dim, index);
/** Advanced indexing a[i0, i1, ...] with index tensors (null keeps a dimension whole). */
export const index = (a: Tensor, indices: readonly (Tensor | null)[]): Tensor => indexOp.tensor(a, [...indices]);
export const gather = (a: Tensor, dim: number, index: Tensor): Tensor => gatherOp.tensor(a, dim, index, false);
export const flip = (a: Tensor, dims: Shape): Tensor => flipOp.tensor(a, [...dims]);
export const expand = (a: Tensor, shape: Shape): Tensor => expandOp.tensor(a, [...shape], false);
export const repeat = (a: Tensor, repeats: Shape): Tensor => repeatOp.tensor(a, [...repeats]);
export const clone = (a: Tensor): Tensor => cloneOp.tensor(a, null);
export const contiguous = (a: Tensor): Tensor => contiguousOp.tensor(a, 0);
// c10::MemoryFormat's values.
const MEMORY_FORMAT = { contiguous: 0, 'channels-last': 2 } as const;
export type MemoryFormat = keyof typeof MEMORY_FORMAT;
/** A tensor in the given memory format (itself when already so); channels-last needs 4 dimensions. */
export const contiguousAs = (a: Tensor, format: MemoryFormat): Tensor => contiguousOp.tensor(a, MEMORY_FORMAT[format]);
/** Elements to step over per index of each dimension (a channels-last NCHW tensor has stride 1 along C). */
export const strides = (a: Tensor): number[] => a.shape.map((_, dim) => strideOp(a, dim) as number);
export const chunk = (a: Tensor, chunks: number, dim = 0): Tensor[] => chunkOp.tensors(a, chunks, dim);
export const toDtype = (a: Tensor, dtype: DType): Tensor => toDtypeOp.tensor(a, DTYPE_CODE[dtype], false, false, null);
/** A copy on another device; nonBlocking overlaps a copy from pinned host memory with GPU work. */
export const toDevice = (a: Tensor, device: string, nonBlocking = false): Tensor =>
  toDeviceOp.tensor(a, device, DTYPE_CODE[a.dtype], nonBlocking, false, null);
/** A copy in page-locked host memory, for fast non-blocking copies to CUDA (needs a CUDA libtorch). */
export const pinMemory = (a: Tensor): Tensor => pinMemoryOp.tensor(a, null);

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
  if (mode === 'constant') return constantPad.tensor(a, [...padding], value);
  if (padding.length !== 4)
    throw new Error(`pad(): ${mode} padding takes 4 values (left, right, top, bottom), got ${padding.length}`);
  return mode === 'reflect' ? reflectionPad2d.tensor(a, [...padding]) : replicationPad2d.tensor(a, [...padding]);
}
