"""The local server: the web app, an OpenAI-compatible speech API, and an LLM proxy.

Starlette on uvicorn, running the same pure-Python engine natively on
onnxruntime. Entry points: :func:`create_app` (ASGI app), :func:`serve_main`
(``python -m koe.server``), :func:`add_serve_parser` + :func:`run_serve`
(the ``koe serve`` subcommand).
"""

from .config import ServerConfig, load_config
from .serve import add_serve_parser, run_serve, serve_main


def create_app(*args, **kwargs):
    """See :func:`koe.server.app.create_app` (imported lazily: Starlette is only needed to serve)."""
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)


__all__ = ["ServerConfig", "load_config", "create_app", "add_serve_parser", "run_serve", "serve_main"]
