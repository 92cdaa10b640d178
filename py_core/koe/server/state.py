"""What the running server holds: config, the engine (loaded once), capacity, the LLM client,
the custom-voice store and the speaker encoder.

The engine loads in a background thread while the server already listens, so
``koe serve`` is up at once; requests that need the engine wait for the load
(``/health`` reports it), and a failed load turns them into 503s that say why.
The custom voices saved in ``--voices-dir`` are registered in the engine's
voice bank before any request sees the engine, so their ids work as ``voice``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from ..errors import KoeError
from ..runtime import run_sync
from .config import ServerConfig
from .errors import APIError
from .limits import Capacity

log = logging.getLogger("koe.server")

#: How long a request waits for a model that is still loading before 503.
LOAD_WAIT_SECONDS = 60.0


def load_engine(config: ServerConfig) -> Any:
    """Load the Kokoro engine once, on onnxruntime (the native runtime)."""
    from ..engine import Koe
    from ..runtimes.onnxruntime import OnnxRuntime

    started = time.perf_counter()
    engine = Koe.load(config.assets, runtime=OnnxRuntime(threads=config.threads))
    log.info("model loaded in %.2fs: %d voices, %d Hz", time.perf_counter() - started, len(engine.voices()),
             engine.sample_rate)
    return engine


def voices_dir(config: ServerConfig) -> str:
    from ..voice_store import default_voices_dir

    return config.voices_dir or default_voices_dir()


def make_service(engine: Any, root: str) -> Any:
    """The application layer over ``engine`` with the custom voices saved in ``root`` registered.

    A file that cannot be used is logged and skipped, never fatal.
    """
    from ..service import KoeService
    from ..voice_store import VoiceStore
    from .openai_voices import OPENAI_VOICES

    service = KoeService(engine, store=VoiceStore(root, presets=engine.voice_bank.presets), reserved=OPENAI_VOICES)
    try:
        loaded, problems = service.load_stored_voices()
    except OSError as error:
        log.warning("cannot read custom voices in %s: %s", root, error)
        return service
    for file_name, problem in problems.items():
        log.warning("custom voice file %s skipped: %s", os.path.join(root, file_name), problem)
    if loaded or problems:
        log.info("%d custom voice(s) loaded from %s", len(loaded), root)
    return service


class ServerState:
    def __init__(self, config: ServerConfig, engine: Any = None) -> None:
        self.config = config
        self.started_at = time.time()
        self.capacity = Capacity(config.max_concurrency, config.max_queue)
        self.http: Any = None  # httpx.AsyncClient for the LLM proxy, made at startup
        self._engine = engine
        self._load_error: str | None = None
        self._loading: asyncio.Task | None = None
        self._jobs: set[Any] = set()
        self.voices_dir = voices_dir(config)
        self._service: Any = None
        self._encoder_lock = asyncio.Lock()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._engine is None:
            self._loading = asyncio.create_task(self._load())
        else:  # an engine loaded by the caller (tests share one): add this server's custom voices to it
            self._service = await asyncio.to_thread(make_service, self._engine, self.voices_dir)
        if self.config.llm_configured:
            import httpx

            timeout = httpx.Timeout(self.config.llm_timeout, connect=min(10.0, self.config.llm_timeout))
            # No redirects: a redirect could take the request, key included, somewhere the config did not name.
            self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def _load(self) -> None:
        try:
            engine = await asyncio.to_thread(load_engine, self.config)
            self._service = await asyncio.to_thread(make_service, engine, self.voices_dir)
            self._engine = engine
        except Exception as error:  # reported by /health and every request that needs the model
            if isinstance(error, KoeError):
                self._load_error = error.message
                log.error("model failed to load: %s", error.message)
            else:  # a runtime's own words (ONNX errors, paths) stay in the log
                self._load_error = "the model files could not be loaded; run ./build.sh to rebuild them"
                log.error("model failed to load", exc_info=True)

    async def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        await self.stop_jobs()
        if self.http is not None:
            await self.http.aclose()
        if self._service is not None and self._service.store is not None:
            # A shared engine (tests) outlives this server: take back the custom voices of its folder.
            for voice_id in self._service.store.ids():
                self._engine.voice_bank.remove_custom(voice_id)

    # --- synthesis threads --------------------------------------------------------------------

    def track(self, job: Any) -> Any:
        """Remember a started synthesis so shutdown can stop it (finished ones are forgotten here)."""
        self._jobs = {j for j in self._jobs if j.running}
        self._jobs.add(job)
        return job

    async def stop_jobs(self, timeout: float = 30.0) -> None:
        """Cancel every synthesis and wait for its thread: exiting while onnxruntime runs aborts the process."""
        jobs = [j for j in self._jobs if j.running]
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + timeout

        def join_all() -> None:
            for job in jobs:
                job.join(max(0.0, deadline - time.monotonic()))

        if jobs:
            log.info("waiting for %d synthesis thread(s) to stop", len(jobs))
            await asyncio.to_thread(join_all)

    # --- engine ------------------------------------------------------------------------------

    @property
    def engine_status(self) -> str:
        if self._engine is not None:
            return "ok"
        return "error" if self._load_error else "loading"

    @property
    def load_error(self) -> str | None:
        return self._load_error

    @property
    def loaded_engine(self) -> Any:
        return self._engine

    async def engine(self) -> Any:
        """The engine, waiting for it to load if need be; 503 if it cannot be had."""
        if self._engine is None and self._loading is not None and not self._loading.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._loading), LOAD_WAIT_SECONDS)
            except asyncio.TimeoutError:
                raise APIError(503, "The model is still loading; retry shortly.", code="model_loading",
                               headers={"Retry-After": "5"}) from None
        if self._engine is None:
            raise APIError(503, f"The model is not available: {self._load_error or 'not loaded'}",
                           code="model_unavailable")
        return self._engine

    async def service(self) -> Any:
        """The application layer (engine, custom voices, voice creation), waiting for the engine like :meth:`engine`."""
        await self.engine()
        return self._service

    async def speaker_encoder(self) -> Any:
        """The speaker encoder (custom voices), loaded on first use; 503 if its model files are missing."""
        service = await self.service()
        async with self._encoder_lock:
            from ..speaker import SpeakerEncoder

            if not SpeakerEncoder.available(service.engine.assets):
                raise APIError(503, "Custom voices are not available: the speaker encoder "
                                    "(model/speaker/) is missing from the server's assets.",
                               code="speaker_encoder_missing")
            return await asyncio.to_thread(run_sync, service.speaker_encoder())

    def uptime(self) -> float:
        return time.time() - self.started_at
