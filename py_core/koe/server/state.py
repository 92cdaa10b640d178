"""What the running server holds: config, the engine (loaded once), capacity, the LLM client.

The engine loads in a background thread while the server already listens, so
``koe serve`` is up at once; requests that need the engine wait for the load
(``/health`` reports it), and a failed load turns them into 503s that say why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

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

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._engine is None:
            self._loading = asyncio.create_task(self._load())
        if self.config.llm_configured:
            import httpx

            timeout = httpx.Timeout(self.config.llm_timeout, connect=min(10.0, self.config.llm_timeout))
            # No redirects: a redirect could take the request, key included, somewhere the config did not name.
            self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def _load(self) -> None:
        try:
            self._engine = await asyncio.to_thread(load_engine, self.config)
        except Exception as error:  # reported by /health and every request that needs the model
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            self._load_error = message
            log.error("model failed to load: %s", message, exc_info=not hasattr(error, "message"))

    async def close(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        await self.stop_jobs()
        if self.http is not None:
            await self.http.aclose()

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

    def uptime(self) -> float:
        return time.time() - self.started_at
