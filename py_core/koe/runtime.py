"""The runtime protocol: how the pure-Python core runs an ONNX graph.

The core never imports numpy or onnxruntime. Every heavy numeric step is an ONNX
graph that a *runtime* runs: onnxruntime under CPython
(:mod:`koe.runtimes.onnxruntime`), onnxruntime-web in the browser (a JS bridge).

Tensors cross the boundary as :class:`Tensor`: a flat ``array.array`` plus a
shape. ``array.array`` exposes the buffer protocol, so adapters can wrap it
without copying element by element.

``Session.run`` is a coroutine because onnxruntime-web only offers promises.
Native adapters finish without ever suspending, which lets the synchronous API
drive the very same coroutines with :func:`run_sync` - one code path, two
runtimes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Iterator, Mapping, Protocol, Sequence, TypeVar

T = TypeVar("T")

#: ONNX element type name -> array.array typecode.
TYPECODES = {"float32": "f", "int64": "q", "int32": "i", "float64": "d", "uint8": "B", "int8": "b"}


@dataclass(frozen=True)
class Tensor:
    """A dense tensor: element type name, shape and flat row-major data."""

    dtype: str
    shape: tuple[int, ...]
    data: array

    def __post_init__(self) -> None:
        code = TYPECODES.get(self.dtype)
        if code is None:
            raise ValueError(f"unsupported tensor dtype {self.dtype!r}")
        if self.data.typecode != code:
            raise ValueError(f"{self.dtype} tensor needs array typecode {code!r}, got {self.data.typecode!r}")
        size = 1
        for dim in self.shape:
            size *= dim
        if size != len(self.data):
            raise ValueError(f"shape {self.shape} holds {size} elements, data has {len(self.data)}")


class Session(Protocol):
    """One loaded ONNX graph."""

    input_names: Sequence[str]
    output_names: Sequence[str]

    async def run(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Run the graph on ``feeds`` and return every output by name."""
        ...


class Runtime(Protocol):
    """Creates sessions. ``model`` is a file path (native) or the graph's bytes."""

    name: str

    async def load(self, model: str | bytes, *, name: str = "model", options: Mapping[str, str] | None = None) -> Session:
        ...


class SuspendedError(RuntimeError):
    """A coroutine really awaited something while driven synchronously."""


def run_sync(awaitable: Awaitable[T]) -> T:
    """Drive a coroutine that never suspends (native runtimes) to its result.

    The browser runtime really awaits promises; there the async API is used
    under Pyodide's event loop instead.
    """
    coro = awaitable.__await__()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise SuspendedError("this runtime is asynchronous; use the async API (astream/asynthesize)")


def iterate_sync(agen: AsyncIterator[T]) -> Iterator[T]:
    """Turn an async iterator that never suspends into a plain iterator."""
    try:
        while True:
            try:
                item = run_sync(agen.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            try:
                run_sync(aclose())
            except (SuspendedError, RuntimeError):
                pass
