"""One synthesis, run off the event loop and handed over piece by piece.

The engine's native path is synchronous and CPU-bound, so each request gets a
worker thread that pulls chunks from ``engine.synthesize``, encodes them, and
posts the bytes to an asyncio queue the response reads from. Cancelling (the
client went away) makes the thread stop at the next chunk boundary and close
the generator; a chunk already inside onnxruntime cannot be interrupted.

Every chunk is one step through the server's :class:`~.limits.ModelGate`: at
most ``--max-concurrency`` steps run at once, the thread keeps its place until
the step has returned (so a hang-up never lets the limit be exceeded), and the
request with the least text left goes first, so the chunks of several requests
interleave and a sentence does not wait for a paragraph to finish. Other jobs
(a voice search) hold one place for their whole run. When the last job ends,
the C heap's free memory goes back to the system (``malloc_trim``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import ctypes.util
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ContextManager

from ..adapters.audio_out import make_encoder
from ..errors import AudioTooLongError
from ..runtime import run_sync
from .limits import ModelGate, current_gate

log = logging.getLogger("koe.server.speech")

_DONE = object()


@dataclass
class Piece:
    """Encoded bytes ready to send, and the engine chunk they came from (None for the final flush)."""

    data: bytes
    chunk: Any = None


@dataclass
class SynthesisStats:
    characters: int = 0
    chunks: int = 0
    total_chunks: int = 0
    phonemes: int = 0
    audio_samples: int = 0
    sample_rate: int = 24000
    synth_seconds: float = 0.0
    #: Time spent waiting for a place in the model gate (other requests' chunks ran meanwhile).
    gate_wait_seconds: float = 0.0
    encode_seconds: float = 0.0
    bytes_out: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_audio: float | None = None

    @property
    def audio_seconds(self) -> float:
        return self.audio_samples / self.sample_rate

    @property
    def real_time_factor(self) -> float:
        """Synthesis time per second of audio (below 1 = faster than real time)."""
        return self.synth_seconds / self.audio_seconds if self.audio_samples else 0.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None elsewhere): hands freed heap pages back to the system."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_size_t], ctypes.c_int
    return function


_trim = _malloc_trim()


def return_free_memory() -> None:
    """Give the C heap's free pages back (a long synthesis leaves hundreds of MB free but resident)."""
    if _trim is not None:
        _trim(0)


class _Ungated:
    """Steps without a gate: each one at once (a job started outside a server request)."""

    def __enter__(self) -> "_Ungated":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def step(self, remaining: float) -> ContextManager[bool]:
        return contextlib.nullcontext(True)

    def reserve(self, remaining: float) -> None:
        pass


class ThreadJob:
    """Work run in its own thread, cancellable from the event loop; the request id follows it into its logs.

    Subclasses implement ``_run``; ``ServerState.stop_jobs`` cancels and joins running jobs at shutdown.
    Unless ``steps_per_chunk``, the whole of ``_run`` is one step through the server's model gate (found
    in the request's context); it waits for its place even when cancelled, so ``_run`` always runs (and
    can settle whatever waits for it) without ever exceeding the limit.
    """

    thread_name = "koe-job"
    #: Place in the gate's order for a whole-run job: like a request with this many characters left.
    step_cost = 4096.0
    #: True for jobs that take one gate step per chunk themselves (:class:`SynthesisJob`).
    steps_per_chunk = False

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._cancelled = threading.Event()
        self._gate: ModelGate | None = current_gate()
        self._arrived = time.monotonic()
        context = contextvars.copy_context()  # carries the request id into the thread's log lines
        self._thread = threading.Thread(target=context.run, args=(self._main,), daemon=True, name=self.thread_name)

    def start(self):
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancelled.set()
        if self._gate is not None:
            self._gate.wake()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _turns(self, cancellable: bool = True) -> Any:
        """This job's steps through the server's gate (no gate outside a server: every step at once)."""
        if self._gate is None:
            return _Ungated()
        return self._gate.turns(self._cancelled.is_set if cancellable else (lambda: False), self._arrived)

    def _main(self) -> None:
        try:
            if self.steps_per_chunk:
                self._run()
            else:
                with self._turns(cancellable=False) as turns, turns.step(self.step_cost):
                    self._run()
        finally:
            gate = self._gate
            if gate is None or (gate.running == 0 and gate.waiting == 0):
                return_free_memory()

    def _run(self) -> None:
        raise NotImplementedError


class SynthesisJob(ThreadJob):
    """Synthesize ``text`` and encode it as ``fmt`` in a dedicated thread; read with :meth:`next`."""

    thread_name = "koe-synthesis"
    steps_per_chunk = True

    def __init__(self, engine: Any, text: str, voice: str, speed: float, fmt: str, *, streaming: bool = True,
                 lang: str | None = None, max_seconds: float | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.text, self.voice, self.speed, self.fmt, self.streaming = text, voice, speed, fmt, streaming
        self.lang = lang
        self.max_seconds = max_seconds
        self.stats = SynthesisStats(characters=len(text), sample_rate=engine.sample_rate)
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self) -> Piece | None:
        """The next piece; None when the audio is complete. Re-raises the worker's error."""
        item = await self._queue.get()
        if item is _DONE:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def _post(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone (server shutting down)
            self._cancelled.set()

    def _run(self) -> None:
        stats = self.stats
        encoder = None
        chunks = None
        stack = contextlib.ExitStack()  # gives back a reserved gate place however the loop ends
        try:
            encoder = make_encoder(self.fmt, self.engine.sample_rate, streaming=self.streaming)
            plan = run_sync(self.engine.aplan(self.text, self.voice, self.speed, self.lang))
            if self.max_seconds is not None and plan.estimated_seconds > self.max_seconds:
                raise AudioTooLongError(
                    f"This text would make about {plan.estimated_seconds:.0f} s of audio; this server makes at most "
                    f"{self.max_seconds:.0f} s per request (--max-audio-seconds). Send it in parts.")
            chunks = self.engine.synthesize(self.text, plan=plan)
            consumed = 0  # characters of text already spoken: what is left orders this request in the gate
            turns = stack.enter_context(self._turns())
            while not self._cancelled.is_set():
                asked = time.perf_counter()
                with turns.step(max(1, len(self.text) - consumed)) as granted:
                    if not granted:
                        break
                    began = time.perf_counter()
                    stats.gate_wait_seconds += began - asked
                    chunk = next(chunks, None)
                    if chunk is not None:
                        consumed += len(chunk.text or "")
                        if chunk.index + 1 < chunk.total:
                            turns.reserve(max(1, len(self.text) - consumed))
                if chunk is None:
                    break
                encoded = time.perf_counter()
                stats.synth_seconds += encoded - began
                data = encoder.encode(chunk.samples)
                stats.encode_seconds += time.perf_counter() - encoded
                stats.chunks += 1
                stats.total_chunks = chunk.total
                stats.phonemes += len(getattr(chunk, "phonemes", "") or "")
                stats.audio_samples += len(chunk.samples)
                stats.bytes_out += len(data)
                if stats.first_audio is None:
                    stats.first_audio = time.perf_counter()
                self._post(Piece(data, chunk))
                if chunk.index + 1 >= chunk.total:  # the last one: no step just to hear the generator end
                    break
            if not self._cancelled.is_set():
                tail = encoder.finish()
                stats.bytes_out += len(tail)
                self._post(Piece(tail))
            self._post(_DONE)
        except BaseException as error:  # handed to the event loop, which decides what the client sees
            self._post(error)
        finally:
            stack.close()
            if chunks is not None and hasattr(chunks, "close"):
                chunks.close()
            if encoder is not None and hasattr(encoder, "close"):
                encoder.close()
