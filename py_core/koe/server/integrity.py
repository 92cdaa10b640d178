"""Before listening: are the model and data files the ones the build made?

The build records every file of ``web/public`` with its size and sha256 in
``koe-manifest.json`` (tools/build_web.py). ``koe serve`` checks the files the
native server reads (the int8 Kokoro model, the G2P graph, vocabulary, voice
packs, lexicons, the speaker encoder) against that record, so a truncated or
damaged model stops the start with a message that names the fix, instead of a
server that answers 503 with onnxruntime's error. Hashing is fast (about
150 MB at well over 1 GB/s with SHA extensions, so a tenth of a second once the
files are in the page cache), so nothing is cached between starts.

A folder without a manifest (assets assembled by hand, ``--assets``) is not
checked; the engine's own checks still apply when it loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field

from ..assets import MODEL, MODEL_VARIANTS, VOCAB, VOICE_INDEX

MANIFEST = "koe-manifest.json"
FIX = "run ./build.sh to rebuild the assets"
#: Manifest files the native server never reads: the browser's model variants.
_BROWSER_ONLY = frozenset(v.path for v in MODEL_VARIANTS.values() if v.path != MODEL)
#: What the server cannot start without.
REQUIRED = (MODEL, VOCAB, VOICE_INDEX)


@dataclass
class IntegrityReport:
    checked: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    manifest: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def server_files(manifest: dict) -> dict[str, dict]:
    """The manifest entries of the data files the native server reads."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: entry for name, entry in files.items()
            if isinstance(entry, dict) and entry.get("group") == "data" and name not in _BROWSER_ONLY}


def verify_assets(folder: str) -> IntegrityReport:
    """Check sizes and sha256 of the server's files in ``folder`` against its manifest.

    Problems are short sentences with paths relative to ``folder`` (the caller shows the folder once).
    """
    report = IntegrityReport()
    started = time.perf_counter()
    try:
        with open(os.path.join(folder, MANIFEST), "rb") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        report.manifest = False
        report.problems.extend(f"{name} is missing" for name in REQUIRED
                               if not os.path.isfile(os.path.join(folder, *name.split("/"))))
        return report
    except (OSError, ValueError) as error:
        report.problems.append(f"{MANIFEST} cannot be read ({type(error).__name__})")
        return report
    expected = server_files(manifest)
    for name in REQUIRED:
        if name not in expected:
            report.problems.append(f"{MANIFEST} does not list {name}")
    for name, entry in sorted(expected.items()):
        path = os.path.join(folder, *name.split("/"))
        try:
            size = os.path.getsize(path)
        except OSError:
            report.problems.append(f"{name} is missing")
            continue
        if size != entry.get("bytes"):
            report.problems.append(f"{name} is damaged ({size} bytes, the build made {entry.get('bytes')})")
            continue
        try:
            digest = _sha256(path)
        except OSError as error:
            report.problems.append(f"{name} cannot be read ({error.strerror})")
            continue
        if digest != entry.get("sha256"):
            report.problems.append(f"{name} is damaged (its sha256 differs from the build's)")
            continue
        report.checked += 1
        report.bytes += size
    report.seconds = time.perf_counter() - started
    return report
