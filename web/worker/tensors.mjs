// The one table of tensor element types on the JS side: ONNX dtype -> Pyodide getBuffer() type
// (the zero-copy view of a Python array.array) and the TypedArray onnxruntime-web expects.
// Python's side of the same table is koe.runtime.TYPECODES (dtype -> array typecode).

export const TENSOR_TYPES = {
  float32: { buffer: 'f32', array: Float32Array },
  float64: { buffer: 'f64', array: Float64Array },
  int64: { buffer: 'i64', array: BigInt64Array },
  int32: { buffer: 'i32', array: Int32Array },
  uint8: { buffer: 'u8', array: Uint8Array },
  int8: { buffer: 'i8', array: Int8Array },
};

/** A TypedArray of `dtype` from plain numbers (e.g. model inputs recorded as JSON). */
export function typedArrayOf(dtype, values) {
  const type = TENSOR_TYPES[dtype];
  if (!type) throw new Error(`unsupported tensor type ${dtype}`);
  return type.array === BigInt64Array ? BigInt64Array.from(values, (v) => BigInt(v)) : type.array.from(values);
}
