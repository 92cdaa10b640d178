"""Server settings from flags, ``KOE_*`` environment variables and a TOML file.

Precedence, strongest first: command-line flag, environment variable, config
file (``--config`` or ``$KOE_CONFIG``; keys as below, top level or under a
``[server]`` table), default. Each setting is named once in :data:`SETTINGS`
so the three sources cannot drift apart.
"""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

ENV_PREFIX = "KOE_"


class ConfigError(ValueError):
    """A setting with a bad value; the message names the setting and its source."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    #: Engine assets (model/, embeddings/, lexicon/); None = the engine's default (``$KOE_ASSETS`` or web/public).
    assets: str | None = None
    #: The web app's static files; None = the assets folder (the build puts both in web/public).
    web_dir: str | None = None
    #: Where custom voices are kept (used by the custom-voices endpoints).
    voices_dir: str | None = None
    #: onnxruntime intra-op threads per synthesis; 0 = onnxruntime's default (all cores).
    threads: int = 0
    #: Model steps (one synthesis chunk each) running at once, across all requests (see limits.py).
    max_concurrency: int = 1
    #: Requests admitted beyond ``max_concurrency`` (their chunks interleave, shortest first); beyond that 429.
    max_queue: int = 8
    #: Audio one request may make (seconds, estimated from the text before synthesis; 400 beyond it).
    max_audio_seconds: float = 900.0
    #: Origins allowed to call the API from a browser; empty = same-origin only.
    cors_origins: list[str] = field(default_factory=list)
    llm_api_url: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_api_model: str | None = None
    llm_api_headers: dict[str, str] = field(default_factory=dict, repr=False)
    llm_timeout: float = 120.0
    log_level: str = "info"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_api_url)


def _int(low: int, high: int | None = None) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            if isinstance(value, bool):
                raise ValueError
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a whole number, got {value!r}") from None
        if number < low or (high is not None and number > high):
            raise ValueError(f"must be {low}..{high}" if high is not None else f"must be >= {low}")
        return number
    return parse


def _positive_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if not number > 0:
        raise ValueError("must be > 0")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _origins(value: Any) -> list[str]:
    """A list, or a comma-separated string: ``*`` or ``scheme://host[:port]`` each."""
    items = value if isinstance(value, list) else str(value).split(",")
    origins = [str(item).strip().rstrip("/") for item in items if str(item).strip()]
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
            raise ValueError(f"{origin!r} is not an origin like http://localhost:3000 (or *)")
    return origins


def _url(value: Any) -> str:
    url = _text(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL such as https://api.openai.com/v1")
    return url.rstrip("/")


def _headers(value: Any) -> dict[str, str]:
    """A TOML table, a JSON object, or ``Name: value`` lines."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            value = {}
            for line in filter(None, (line.strip() for line in text.splitlines())):
                name, sep, content = line.partition(":")
                if not sep:
                    raise ValueError(f"header line {line!r} lacks ':'")
                value[name.strip()] = content.strip()
    if not isinstance(value, dict):
        raise ValueError("expected a table/object of header names to values")
    headers = {}
    for name, content in value.items():
        if not isinstance(name, str) or not name or any(c in name for c in " \t\r\n:") or not isinstance(content, str):
            raise ValueError(f"bad header {name!r}")
        if "\n" in content or "\r" in content:
            raise ValueError(f"header {name!r} has a line break")
        headers[name] = content
    return headers


def _level(value: Any) -> str:
    level = _text(value).lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        raise ValueError("must be one of critical, error, warning, info, debug")
    return level


#: setting -> (parser, metavar, help). The flag is --setting-with-dashes, the variable KOE_SETTING.
SETTINGS: dict[str, tuple[Callable[[Any], Any], str, str]] = {
    "host": (_text, "ADDR", "address to listen on (default 127.0.0.1: this machine only)"),
    "port": (_int(0, 65535), "N", "port to listen on (default 8000)"),
    "assets": (_text, "DIR", "engine assets folder: model/, embeddings/, lexicon/ (default web/public)"),
    "web_dir": (_text, "DIR", "web app folder served at / (default: the assets folder)"),
    "voices_dir": (_text, "DIR", "folder for custom voices"),
    "threads": (_int(0), "N", "onnxruntime threads per synthesis (default 0 = all cores)"),
    "max_concurrency": (_int(1), "N", "model steps (synthesis chunks) running at once, across all requests "
                                      "(default 1); with N > 1 consider --threads so N x threads = cores"),
    "max_queue": (_int(0), "N", "requests in progress beyond --max-concurrency, their chunks interleaved "
                                "shortest-first; more get 429 at once (default 8)"),
    "max_audio_seconds": (_positive_float, "SECONDS", "audio one speech request may make, estimated from its text "
                                                      "before synthesis starts; longer requests get 400 (default 900)"),
    "cors_origins": (_origins, "ORIGINS", "comma-separated origins allowed cross-origin "
                                          "(default none: same-origin only)"),
    "llm_api_url": (_url, "URL", "upstream OpenAI-compatible base URL for /llm/v1, e.g. https://api.openai.com/v1"),
    "llm_api_key": (_text, "KEY", "API key sent upstream as Authorization: Bearer (prefer $KOE_LLM_API_KEY: "
                                  "command lines are visible to other users)"),
    "llm_api_model": (_text, "NAME", "model used when an LLM request names none"),
    "llm_api_headers": (_headers, "HEADERS", "extra upstream headers: JSON object or 'Name: value' lines"),
    "llm_timeout": (_positive_float, "SECONDS", "seconds to wait for the upstream LLM (default 120)"),
    "log_level": (_level, "LEVEL", "debug, info, warning or error (default info)"),
}
assert set(SETTINGS) == {f.name for f in fields(ServerConfig)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--config`` and one flag per setting; unset flags stay absent from the namespace."""
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help=f"TOML config file (also ${ENV_PREFIX}CONFIG)")
    for name, (_, metavar, help_text) in SETTINGS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, metavar=metavar, default=argparse.SUPPRESS,
                            help=help_text)


def read_config_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    table = dict(data.pop("server", {}) or {})
    merged = {key.replace("-", "_"): value for key, value in {**data, **table}.items()}
    unknown = sorted(set(merged) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return merged


def load_config(flags: Mapping[str, Any] | argparse.Namespace | None = None,
                environ: Mapping[str, str] | None = None) -> ServerConfig:
    """Merge the sources (flag > environment > file > default) into a validated config."""
    flags = dict(vars(flags) if isinstance(flags, argparse.Namespace) else flags or {})
    environ = os.environ if environ is None else environ
    config_path = flags.pop("config", None) or environ.get(ENV_PREFIX + "CONFIG")
    file_values = read_config_file(config_path) if config_path else {}
    values: dict[str, Any] = {}
    for name, (parse, _, _) in SETTINGS.items():
        variable = ENV_PREFIX + name.upper()
        if name in flags:
            raw, source = flags[name], "--" + name.replace("_", "-")
        elif variable in environ:
            raw, source = environ[variable], "$" + variable
        elif name in file_values:
            raw, source = file_values[name], f"{name} in {config_path}"
        else:
            continue
        try:
            values[name] = parse(raw)
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{source}: {error}") from None
    return ServerConfig(**values)
