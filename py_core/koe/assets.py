"""Where the engine's data files come from.

Natively they are files under ``web/public/`` (the build's output); in the
browser the JS side fetches them (through the service worker's cache). Both
implement :class:`AssetSource`; paths are relative and use ``/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Protocol

from .errors import AssetError

MODEL = "model/kokoro-v1.0.int8.onnx"


@dataclass(frozen=True)
class ModelVariant:
    """One build of the Kokoro graph: where it is, the session options it needs, and its arithmetic.

    ``float`` variants compute in float32 and give the same audio in WASM, WebGPU and
    natively; ``int8`` kernels differ between runtimes. ``int8w`` keeps int8 weights with
    DequantizeLinear in front of float operators, and only with
    ``session.disable_quant_qdq`` does onnxruntime keep them float (else it re-quantizes).
    """

    key: str
    path: str
    options: Mapping[str, str] = field(default_factory=dict)
    float: bool = True


MODEL_VARIANTS: dict[str, ModelVariant] = {v.key: v for v in (
    ModelVariant("int8w", "model/kokoro-v1.0.int8w.onnx", {"session.disable_quant_qdq": "1"}),
    ModelVariant("fp32", "model/kokoro-v1.0.fp32.onnx"),
    ModelVariant("int8", MODEL, float=False),
)}
#: The browser's preference among the variants a build has (native uses ``int8``: fastest on CPU).
BROWSER_MODEL_ORDER = ("int8w", "fp32", "int8")
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
