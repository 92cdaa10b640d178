"""Koe on CPython in one call: the engine on onnxruntime, with the saved custom voices.

This is the native entry point of the Python API (the core itself knows no runtime)::

    from koe.native import load
    engine = load()                      # web/public assets, onnxruntime, custom voices
    for chunk in engine.synthesize("Hello there.", voice="af_heart"):
        ...
"""

from __future__ import annotations

import os

from .engine import Koe
from .runtimes.onnxruntime import OnnxRuntime


def load(assets: str | os.PathLike | None = None, *, threads: int = 0, voices_dir: str | os.PathLike | None = None,
         custom_voices: bool = True) -> Koe:
    """The engine on onnxruntime (``threads`` intra-op threads, 0 = all cores) with the custom
    voices saved in ``voices_dir`` (default ``$KOE_VOICES_DIR`` or ``~/.local/share/koe/voices``)."""
    engine = Koe.load(assets, OnnxRuntime(threads=threads))
    if custom_voices:
        from .voice_store import VoiceStore

        VoiceStore(voices_dir, presets=engine.voice_bank.presets).register_all(engine.voice_bank)
    return engine
