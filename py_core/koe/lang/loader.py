"""Loads each language's front end once, on first use, for one engine."""

from __future__ import annotations

import importlib.util
from typing import Awaitable, Callable, Sequence

from ..errors import AssetError
from . import language, load_front_end
from .base import FrontEnd

Installer = Callable[[Sequence[str]], Awaitable[None]]


class FrontEnds:
    """The :class:`~koe.lang.FrontEndLoader` of an engine, and the cache of its front ends.

    ``install`` makes a language's pure-Python packages importable (the browser installs its
    wheels with micropip on first use); natively they are dependencies of the ``koe`` package
    and ``install`` is None. ``runtime`` runs the ONNX graphs a front end needs (the English
    neural G2P).
    """

    def __init__(self, assets, runtime=None, install: Installer | None = None) -> None:
        self.assets = assets
        self.runtime = runtime
        self._install = install
        self._front_ends: dict[str, FrontEnd] = {}
        self._sessions: dict[str, object] = {}

    async def get(self, code: str) -> FrontEnd:
        code = language(code).code
        found = self._front_ends.get(code)
        if found is None:
            found = self._front_ends[code] = await load_front_end(code, self)
        return found

    # --- FrontEndLoader ---------------------------------------------------------------------------

    async def front_end(self, code: str) -> FrontEnd:
        return await self.get(code)

    async def require(self, packages: Sequence[str]) -> None:
        if self._install is not None:
            await self._install(list(packages))
            return
        missing = [p for p in packages if importlib.util.find_spec(p) is None]
        if missing:
            raise AssetError(f"this language needs the Python package(s) {', '.join(missing)}: "
                             "reinstall koe (pip install -e .) or run ./build.sh")

    async def session(self, path: str):
        if self.runtime is None or not self.assets.exists(path):
            return None
        found = self._sessions.get(path)
        if found is None:
            model = self.assets.local_path(path) or await self.assets.read(path)
            name = path.rsplit("/", 1)[-1].split(".")[0]
            found = self._sessions[path] = await self.runtime.load(model, name=name)
        return found
