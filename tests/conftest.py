"""Shared fixtures: the built assets (web/public) and one engine per test session."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(os.environ.get("KOE_ASSETS", ROOT / "web" / "public"))
sys.path.insert(0, str(ROOT / "py_core"))
# Tests never read or write the user's own custom voices.
os.environ["KOE_VOICES_DIR"] = tempfile.mkdtemp(prefix="koe-test-voices-")


def load_tool(name: str):
    """Import a build script from tools/ (not a package) by file path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _require_assets() -> None:
    missing = [p for p in ("model/kokoro-v1.0.int8.onnx", "embeddings/index.json", "lexicon/en-us.json")
               if not (ASSETS / p).exists()]
    if missing:
        pytest.fail(f"assets missing ({', '.join(missing)}): run ./build.sh first", pytrace=False)


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    _require_assets()
    return ASSETS


@pytest.fixture(scope="session")
def engine(assets_dir):
    from koe.engine import Koe
    from koe.runtimes.onnxruntime import OnnxRuntime

    return Koe.load(assets_dir, OnnxRuntime(threads=2))


@pytest.fixture(scope="session")
def us_g2p(engine):
    from koe.runtime import run_sync

    return run_sync(engine.front_end("en-us")).g2p


@pytest.fixture(scope="session")
def gb_g2p(engine):
    from koe.runtime import run_sync

    return run_sync(engine.front_end("en-gb")).g2p
