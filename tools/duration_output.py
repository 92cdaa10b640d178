"""Expose Kokoro's per-token durations as a second graph output named ``durations``.

The graph predicts how many frames each input token lasts (pads included) and repeats
the token's features that many times before decoding; word timestamps need exactly those
counts. In the export they are computed as::

    Div(ReduceSum(Sigmoid(...)), speed) -> Round -> Clip(min=1) -> Cast(int64) -> ...

``/encoder/Round_output_0`` is float and may hold 0; the decoder uses the clipped int64
copy (every token lasts at least one frame), so that is the tensor exposed: int64, shape
``[1, tokens + 2]``. One Identity node is added and nothing else changes, so the audio is
bit-identical (tests/test_model_durations.py checks it). One duration frame is 600 samples
at 24 kHz: ``len(audio) == 600 * sum(durations)`` at every speed.

Used by tools/build_assets.py (the int8 model) and tools/make_float_model.py (fp32,
int8w); both include this file's sha256 in their stamps.
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

OUTPUT = "durations"
#: Samples of audio per duration frame (24 kHz; measured, see the module docstring).
SAMPLES_PER_FRAME = 600


class GraphLayoutError(ValueError):
    """The graph does not hold the duration chain this module knows."""


def _durations_tensor(graph: onnx.GraphProto) -> str:
    """The int64 frame counts: the Cast after Clip(min=1) after Round after Div(..., speed)."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only(tensor: str, op_type: str) -> onnx.NodeProto:
        found = [n for n in consumers.get(tensor, []) if n.op_type == op_type]
        if len(found) != 1:
            raise GraphLayoutError(f"expected one {op_type} reading {tensor!r}, found {len(found)}")
        return found[0]

    divs = [n for n in consumers.get("speed", []) if n.op_type == "Div"]
    if len(divs) != 1:
        raise GraphLayoutError(f"expected one Div by the 'speed' input, found {len(divs)}")
    rounded = only(divs[0].output[0], "Round")
    clip = only(rounded.output[0], "Clip")
    cast = only(clip.output[0], "Cast")
    to = next((a.i for a in cast.attribute if a.name == "to"), None)
    if to != TensorProto.INT64:
        raise GraphLayoutError(f"the duration Cast converts to type {to}, expected int64")
    return cast.output[0]


def has_durations(model: onnx.ModelProto) -> bool:
    return any(o.name == OUTPUT for o in model.graph.output)


def add_durations_output(model: onnx.ModelProto) -> bool:
    """Add the ``durations`` output in place; False if the model already has it."""
    if has_durations(model):
        return False
    graph = model.graph
    source = _durations_tensor(graph)
    graph.node.append(helper.make_node("Identity", [source], [OUTPUT], name="durations_output"))
    graph.output.append(helper.make_tensor_value_info(OUTPUT, TensorProto.INT64, [1, "sequence_length"]))
    return True
