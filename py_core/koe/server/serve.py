"""``koe serve`` / ``python -m koe.server``: configure, check, and run uvicorn.

The CLI calls :func:`add_serve_parser` to get the ``serve`` subcommand and
:func:`run_serve` with the parsed arguments; :func:`serve_main` does both.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from .config import ConfigError, ServerConfig, add_arguments, load_config
from .observability import setup_logging
from .security import is_loopback

log = logging.getLogger("koe.server")

DESCRIPTION = ("Serve the Koe web app, the OpenAI-compatible speech API (/v1/audio/speech) and the LLM proxy "
               "(/llm/v1). Every option can also be set as a KOE_* environment variable (KOE_PORT=9000) or in "
               "a TOML file given with --config.")


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("serve", help="run the local server (web app + speech API)",
                                   description=DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(func=run_serve)
    return parser


def check_assets(config: ServerConfig) -> str | None:
    """A message when the model or data files are missing or damaged, so ``koe serve`` fails at once
    (naming the fix) instead of serving 503s; checked against the build's manifest (:mod:`.integrity`)."""
    from ..assets import default_asset_dir
    from .integrity import FIX, verify_assets

    folder = config.assets or default_asset_dir()
    report = verify_assets(folder)
    if not report.manifest:
        log.info("no %s in %s: the asset files are not verified", "koe-manifest.json", folder)
    if report.ok:
        if report.manifest:
            log.info("assets verified: %d files, %.0f MB in %.2fs", report.checked, report.bytes / 1e6, report.seconds)
        return None
    shown = "; ".join(report.problems[:3]) + (f" (and {len(report.problems) - 3} more)" if len(report.problems) > 3
                                               else "")
    return f"the assets in {folder} are not usable: {shown}. To fix it, {FIX} (or point --assets at a good copy)."


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> Any:
    """uvicorn's settings for this server (``koe serve`` and the tests): our own access log and 400s."""
    import uvicorn

    from .http_protocol import KoeH11Protocol

    settings: dict[str, Any] = dict(log_config=None, access_log=False, lifespan="on", server_header=False,
                                    http=KoeH11Protocol)
    settings.update(options)
    return uvicorn.Config(app, host=host, port=port, **settings)


def run_serve(args: argparse.Namespace | dict | None = None) -> int:
    try:
        config = load_config(args)
    except ConfigError as error:
        print(f"koe serve: {error}", file=sys.stderr)
        return 2
    setup_logging(config.log_level)
    problem = check_assets(config)
    if problem:
        print(f"koe serve: {problem}", file=sys.stderr)
        return 1
    if not is_loopback(config.host):
        log.warning("listening on %s: anyone who can reach this machine can use the speech API%s", config.host,
                    " and the LLM proxy (with its API key)" if config.llm_configured else "")

    import uvicorn

    from .app import create_app

    server = uvicorn.Server(uvicorn_config(create_app(config), config.host, config.port, timeout_graceful_shutdown=5))
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after its graceful shutdown: a normal way to stop
        pass
    return 0 if server.started else 1


def serve_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="koe serve", description=DESCRIPTION)
    add_arguments(parser)
    return run_serve(parser.parse_args(argv))
