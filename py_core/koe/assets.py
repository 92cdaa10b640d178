"""Where the engine's data files come from.

Natively they are files under ``web/public/`` (the build's output); in the
browser the JS side fetches them (through the service worker's cache). Both
implement :class:`AssetSource`; paths are relative and use ``/``.
"""

from __future__ import annotations

import os
from typing import Protocol

from .errors import AssetError

MODEL = "model/kokoro-v1.0.int8.onnx"
VOCAB = "model/vocab.json"
G2P_MODEL = "model/g2p_en.onnx"
VOICE_INDEX = "embeddings/index.json"
LEXICONS = {"en-us": "lexicon/en-us.json", "en-gb": "lexicon/en-gb.json"}


class AssetSource(Protocol):
    async def read(self, path: str) -> bytes:
        ...

    def local_path(self, path: str) -> str | None:
        """A filesystem path for ``path`` if there is one (lets native runtimes mmap models)."""
        ...

    def exists(self, path: str) -> bool:
        ...


class DirectoryAssets:
    """Assets in a local folder (by default the repository's ``web/public``)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = os.fspath(root)

    def _resolve(self, path: str) -> str:
        full = os.path.normpath(os.path.join(self.root, *path.split("/")))
        if not full.startswith(os.path.normpath(self.root) + os.sep):
            raise AssetError(f"asset path {path!r} escapes the asset folder")
        return full

    def exists(self, path: str) -> bool:
        return os.path.isfile(self._resolve(path))

    def local_path(self, path: str) -> str | None:
        full = self._resolve(path)
        return full if os.path.isfile(full) else None

    async def read(self, path: str) -> bytes:
        full = self._resolve(path)
        try:
            with open(full, "rb") as handle:
                return handle.read()
        except OSError as error:
            raise AssetError(f"cannot read {path} from {self.root} ({error.strerror}); run ./build.sh first") from None


def default_asset_dir() -> str:
    """``$KOE_ASSETS``, else the repository's ``web/public`` next to ``py_core``."""
    env = os.environ.get("KOE_ASSETS")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "web", "public"))
