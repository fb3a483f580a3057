// Names for libtorch's scalar types; the codes are c10::ScalarType's enum values.
export type DType = 'uint8' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'bool' | 'bfloat16';

export const DTYPE_CODE: Record<DType, number> = {
  uint8: 0,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};

const NAME_OF_CODE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([name, code]) => [code, name as DType]));

export function dtypeFromCode(code: number): DType {
  const name = NAME_OF_CODE.get(code);
  if (!name) throw new Error(`unsupported libtorch scalar type code ${code}`);
  return name;
}

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  uint8: 1,
  bool: 1,
  int32: 4,
  int64: 8,
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
};

/** The typed array that holds a dtype's elements; half types travel as their raw 16-bit patterns. */
export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'int64'
        ? BigInt64Array
        : D extends 'float16' | 'bfloat16'
          ? Uint16Array
          : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array;

export function typedArrayFor(dtype: DType, buffer: ArrayBuffer): AnyTypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer);
  }
}

/** The dtype a typed array holds when no dtype is given. */
export function dtypeOfArray(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  throw new Error(`cannot infer a dtype from ${data.constructor.name}; pass one explicitly`);
}
