"""The native runtime: onnxruntime under CPython.

This adapter is the one place (with the server and CLI) allowed to import numpy
and onnxruntime. It implements :class:`koe.runtime.Runtime`; its coroutines
never suspend, so the synchronous engine API can drive them.
"""

from __future__ import annotations

import time
from array import array
from typing import Mapping

import numpy as np
import onnxruntime as ort

from ..runtime import TYPECODES, Tensor


def to_numpy(tensor: Tensor) -> np.ndarray:
    """Zero-copy view of a :class:`Tensor` as a numpy array."""
    return np.frombuffer(tensor.data, dtype=np.dtype(tensor.dtype)).reshape(tensor.shape)  # names match numpy's


def from_numpy(value: np.ndarray) -> Tensor:
    dtype = str(value.dtype)
    if dtype == "bool":
        value, dtype = value.astype(np.uint8), "uint8"
    data = array(TYPECODES[dtype])
    data.frombytes(memoryview(np.ascontiguousarray(value)).cast("B"))  # one copy, no intermediate bytes
    return Tensor(dtype, tuple(int(d) for d in value.shape), data)


def session_options(threads: int = 0, entries: Mapping[str, str] | None = None) -> ort.SessionOptions:
    """onnxruntime's options for Koe's graphs.

    The memory pattern is off: the Kokoro graph's shapes change with every chunk (its length in
    tokens, then in audio frames), and with the pattern on onnxruntime plans one block per shape
    in its arena, which fragments and keeps growing (a 10,000-word text reached 1.08 GB, against
    ~0.65 GB without it). Without the pattern each run also takes ~2% less time, output unchanged
    (benchmarks/native_vs_kokoro_onnx.py). The arena itself stays: without it every large tensor is
    a fresh mmap, and page faults double the run time.
    """
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.enable_mem_pattern = False
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    for key, value in (entries or {}).items():
        opts.add_session_config_entry(key, value)
    return opts


class OrtSession:
    """An onnxruntime InferenceSession behind the :class:`koe.runtime.Session` protocol.

    ``calls`` and ``seconds`` count every run, which the benchmark uses to
    measure the engine's own overhead.
    """

    def __init__(self, session: ort.InferenceSession) -> None:
        self._session = session
        self.input_names = [i.name for i in session.get_inputs()]
        self.output_names = [o.name for o in session.get_outputs()]
        self.calls = 0
        self.seconds = 0.0

    async def run(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        arrays = {name: to_numpy(t) for name, t in feeds.items()}
        start = time.perf_counter()
        outputs = self._session.run(None, arrays)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return {name: from_numpy(value) for name, value in zip(self.output_names, outputs)}


class OnnxRuntime:
    """Creates :class:`OrtSession` objects; ``threads`` sets intra-op threads (0 = ORT's default)."""

    name = "onnxruntime"

    def __init__(self, threads: int = 0, providers: list[str] | None = None) -> None:
        self.threads = threads
        self.providers = providers or ["CPUExecutionProvider"]
        self.sessions: list[OrtSession] = []

    async def load(self, model: str | bytes, *, name: str = "model", options: Mapping[str, str] | None = None) -> OrtSession:
        opts = session_options(self.threads, options)
        session = OrtSession(ort.InferenceSession(model, sess_options=opts, providers=self.providers))
        self.sessions.append(session)
        return session
