"""Helpers for the server tests: real uvicorn servers on loopback ports, in threads.

Each test module starts its servers once (module-scoped fixtures) and shares
the session's loaded engine (``engine`` from conftest.py), so no test pays for
loading the model twice.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, Iterator

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:``port`` in a background thread."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from koe.server.serve import uvicorn_config

        self.server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    def start(self, timeout: float = 30.0) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextlib.contextmanager
def koe_server(engine: Any = None, *, ready: bool = True, **settings: Any) -> Iterator[ServerThread]:
    """A Koe server with the given :class:`ServerConfig` settings; waits for /health unless ``ready=False``."""
    from koe.server.app import create_app
    from koe.server.config import ServerConfig

    port = free_port()
    config = ServerConfig(host="127.0.0.1", port=port, **settings)
    server = ServerThread(create_app(config, engine=engine), port).start()
    try:
        if ready:
            deadline = time.monotonic() + 60
            while httpx.get(server.url + "/health", timeout=5).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("server never became healthy")
                time.sleep(0.1)
        yield server
    finally:
        server.stop()


def assert_envelope(response: httpx.Response, status: int, code: str | None = None, param: str | None = None) -> dict:
    """The OpenAI error envelope with ``status``; no stack trace; a request id header."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.headers.get("x-request-id")
    if code is not None:
        assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error
    return error


def damaged_assets(tmp_path: Any, assets_dir: Any, *, truncate: bool = True) -> Any:
    """A copy of the assets folder (symbolic links) whose model is truncated, or has one byte changed."""
    import os
    import shutil

    from koe.assets import MODEL

    root = tmp_path / "assets"
    (root / "model").mkdir(parents=True)
    for entry in assets_dir.iterdir():
        if entry.name != "model":
            os.symlink(entry, root / entry.name)
    for entry in (assets_dir / "model").iterdir():
        if entry.name != MODEL.rsplit("/", 1)[1]:
            os.symlink(entry, root / "model" / entry.name)
    model = root / MODEL
    if truncate:
        with open(assets_dir / MODEL, "rb") as source:
            model.write_bytes(source.read(1 << 20))
    else:
        shutil.copyfile(assets_dir / MODEL, model)
        with open(model, "r+b") as handle:
            handle.seek(5_000_000)
            byte = handle.read(1)
            handle.seek(5_000_000)
            handle.write(bytes([byte[0] ^ 0xFF]))
    return root
