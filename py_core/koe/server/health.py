"""GET /health: is the model loaded, which version, how long up, how busy.

It never touches the engine's worker threads, so it answers at once even when
every synthesis slot is taken. ``model_steps`` shows the model gate: steps
running now, the most that ever ran at once (``peak``, at most
``max_concurrency``) and how many ran in all. 200 when ready; 503 while loading or after a
failed load, with the reason in an ``error`` envelope next to the status.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import __version__
from .errors import envelope, scrub_paths


async def health(request: Request) -> JSONResponse:
    state = request.app.state.koe
    engine = state.loaded_engine
    status = state.engine_status
    body = {
        "status": status,
        "model_loaded": engine is not None,
        "model": "kokoro-82m",
        "version": __version__,
        "uptime_s": round(state.uptime(), 3),
        "sample_rate": getattr(engine, "sample_rate", None),
        "voices": len(engine.voices()) if engine is not None else 0,
        "requests": {"running": state.capacity.running, "waiting": state.capacity.waiting,
                     "max_concurrency": state.capacity.limit, "max_queue": state.capacity.queue_limit},
        # Model steps (one chunk, or a voice search) running now and the most ever at once: never above the limit.
        "model_steps": {"running": state.capacity.gate.running, "peak": state.capacity.gate.peak,
                        "total": state.capacity.gate.steps},
        "llm_proxy": state.config.llm_configured,
    }
    if status != "ok":
        message = "The model is loading." if status == "loading" else \
            f"The model failed to load: {scrub_paths(state.load_error or 'unknown error')}"
        body.update(envelope(message, type="server_error", code=f"model_{status}"))
    return JSONResponse(body, status_code=200 if status == "ok" else 503, headers={"Cache-Control": "no-store"})


routes = [Route("/health", health, methods=["GET"])]
