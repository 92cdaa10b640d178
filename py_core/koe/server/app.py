"""The Starlette application: routes, middleware and lifecycle in one place.

Middleware, outermost first: request id + access log, catch-all 500,
the server's model gate as the request's (see limits.py), local-only guard,
CORS (only when origins are configured). Unmatched paths
fall through to the web app, so API routes keep their 405s and the web app
owns everything else.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from .. import __version__
from . import custom_voices_api, health, llm_proxy, models_api, openapi, speech, voices_api
from .config import ServerConfig
from .errors import EXCEPTION_HANDLERS, CatchAllMiddleware
from .limits import GateContextMiddleware
from .observability import RequestContextMiddleware
from .security import LocalOnlyMiddleware
from .state import ServerState
from .static import web_app

log = logging.getLogger("koe.server")


def create_app(config: ServerConfig | None = None, *, engine: Any = None) -> Starlette:
    """The server as an ASGI app. ``engine`` skips loading (tests share one loaded engine)."""
    config = config or ServerConfig()
    state = ServerState(config, engine)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        base = f"http://{'[' + config.host + ']' if ':' in config.host else config.host}:{config.port}"
        log.info("Koe %s listening on %s (web app at /, speech API at %s/v1, LLM proxy %s)", __version__, base, base,
                 "on" if config.llm_configured else "off")
        try:
            yield
        finally:
            await state.close()

    middleware = [
        Middleware(RequestContextMiddleware),
        Middleware(CatchAllMiddleware),
        Middleware(GateContextMiddleware, gate=state.capacity.gate),
        Middleware(LocalOnlyMiddleware, bind_host=config.host, cors_origins=config.cors_origins),
    ]
    if config.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=config.cors_origins, allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["*"], expose_headers=["X-Request-ID", "Retry-After"], max_age=600))

    routes = [*health.routes, *models_api.routes, *voices_api.routes, *custom_voices_api.routes, *speech.routes,
              *llm_proxy.routes, *openapi.routes]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.router.default = web_app(config.web_dir or config.assets or _default_assets())
    app.state.koe = state
    return app


def _default_assets() -> str:
    from ..assets import default_asset_dir

    return default_asset_dir()
