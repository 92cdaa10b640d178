"""Build the style basis that custom voices search in: ``embeddings/style_basis.json``.

Run by ``./build.sh`` after tools/build_assets.py (it reads the 54 voice packs). A Kokoro
voice pack is [510, 256]: one style row per utterance length, whose first 128 values
condition the decoder (timbre) and last 128 the prosody predictor. Rows of one voice
differ far less than voices do (measured on the 54 packs, rows 20-200: within-voice
std 0.015 decoder / 0.043 prosody, across-voice std 0.14 / 0.13), so a custom voice is a
preset mix plus **one offset shared by every row**, and the offset lives in a small basis:

* the *voice mean* of a pack is the mean of its rows :data:`ROW_RANGE` (typical sentence
  lengths);
* each half (decoder, prosody) gets its own principal components of the 54 voice means
  (:data:`COMPONENTS`: about 80% of each half's variance), stored as unit vectors with
  the standard deviation of the presets along each (``scales``), so that a coefficient
  is in standard deviations and the Euclidean norm of the coefficients is the
  Mahalanobis distance within the basis;
* ``preset_coords`` are every preset's coordinates (its voice mean minus ``center``,
  projected, in standard deviations) and ``radius`` the largest preset's distance from
  the center: :mod:`koe.style_space` keeps custom voices inside that ball.

The asset is about 60 KB of JSON; pure Python rebuilds a pack from it in the browser.
Idempotent: stamped with the packs' sha256 and this script's, written atomically.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import build_assets  # noqa: E402
from build_assets import log  # noqa: E402

PUBLIC = build_assets.PUBLIC
OUT = PUBLIC / "embeddings" / "style_basis.json"
FORMAT = "koe-style-basis"
VERSION = 1
ROWS, STYLE_DIM, HALF = 510, 256, 128
ROW_RANGE = (20, 200)                      # utterance lengths (tokens) the voice mean averages
COMPONENTS = {"decoder": 16, "prosody": 8}  # principal components kept per half
HALVES = {"decoder": (0, HALF), "prosody": (HALF, STYLE_DIM)}
DECIMALS = 6


def load_packs(index: dict) -> tuple[list[str], np.ndarray]:
    ids, packs = [], []
    for entry in index["voices"]:
        data = (PUBLIC / "embeddings" / entry["file"]).read_bytes()
        if len(data) != ROWS * STYLE_DIM * 4:
            raise build_assets.BuildError(f"{entry['file']}: {len(data)} bytes, expected {ROWS * STYLE_DIM * 4}")
        ids.append(entry["id"])
        packs.append(np.frombuffer(data, dtype="<f4").reshape(ROWS, STYLE_DIM))
    return ids, np.stack(packs).astype(np.float64)


def compute_basis(ids: list[str], packs: np.ndarray, components: dict[str, int] | None = None) -> dict:
    """The basis as a JSON-ready dict (see the module docstring); ``components`` overrides
    :data:`COMPONENTS` (principal components kept per half; benchmarks try richer bases)."""
    components = components or COMPONENTS
    means = packs[:, ROW_RANGE[0]:ROW_RANGE[1]].mean(axis=1)          # [voices, 256]
    center = means.mean(axis=0)
    halves, coords = {}, []
    for name, (lo, hi) in HALVES.items():
        centered = means[:, lo:hi] - center[lo:hi]
        _, singular, vt = np.linalg.svd(centered, full_matrices=False)
        k = min(components[name], len(ids) - 1)    # centered means have rank voices - 1
        scales = singular[:k] / np.sqrt(len(ids) - 1)
        vectors = vt[:k]
        # A sign convention, so that re-builds give the same file: largest entry positive.
        signs = np.sign(vectors[np.arange(k), np.abs(vectors).argmax(axis=1)])
        vectors = vectors * signs[:, None]
        explained = float((singular[:k] ** 2).sum() / (singular ** 2).sum())
        halves[name] = {"offset": lo, "vectors": np.round(vectors, DECIMALS).tolist(),
                        "scales": np.round(scales, DECIMALS).tolist(), "explained_variance": round(explained, 4)}
        coords.append(centered @ vectors.T / scales)
    preset = np.concatenate(coords, axis=1)
    radius = float(np.linalg.norm(preset, axis=1).max())
    return {
        "format": FORMAT, "version": VERSION, "rows": list(ROW_RANGE), "style_dim": STYLE_DIM,
        "center": np.round(center, DECIMALS).tolist(), "halves": halves,
        "radius": round(radius, 4),
        "preset_coords": {vid: np.round(c, 4).tolist() for vid, c in zip(ids, preset)},
    }


def build() -> None:
    index_path = PUBLIC / "embeddings" / "index.json"
    if not index_path.exists():
        raise build_assets.BuildError("run tools/build_assets.py first (no voices yet)")
    index = json.loads(index_path.read_text(encoding="utf-8"))
    inputs = {"voices": hashlib.sha256("".join(sorted(v["sha256"] for v in index["voices"])).encode()).hexdigest(),
              "script": build_assets.sha256_of(Path(__file__))}
    if build_assets.stamp_ok("style-basis", inputs, [OUT]):
        log(f"cached   embeddings/{OUT.name}")
        return
    ids, packs = load_packs(index)
    basis = compute_basis(ids, packs)
    data = json.dumps(basis, separators=(",", ":")).encode()
    build_assets.atomic_write(OUT, data)
    build_assets.write_stamp("style-basis", inputs)
    summary = ", ".join(f"{n} {len(h['scales'])} components ({100 * h['explained_variance']:.0f}% of variance)"
                        for n, h in basis["halves"].items())
    log(f"wrote    embeddings/{OUT.name} ({len(data) / 1e3:.0f} KB): {summary}; radius {basis['radius']:.2f}")


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    started = time.monotonic()
    print("[style basis] principal components of the voice packs", flush=True)
    try:
        build()
    except build_assets.BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"style basis ready ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
