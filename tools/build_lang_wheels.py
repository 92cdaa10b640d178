"""Fetch, verify and repack the pure-Python wheels of the Japanese and Mandarin front ends.

Run by ``./build.sh`` before tools/build_web.py (which lists them in the manifest). The page
installs them with micropip the first time a voice of that language speaks; natively they are
ordinary dependencies of the koe package (pyproject.toml). Outputs:

* ``web/public/py/<wheel>`` for each package below;
* ``web/public/py/lang-wheels.json``: ``{package: {"file", "bytes", "sha256", "requires"}}``, keyed
  by import name (the names ``koe.lang.LANGUAGES`` lists); ``requires`` names the packages that must
  be installed with it (micropip installs with ``deps=False``).

Sources, pinned with their sha256 below: the wheels of Janome, pypinyin, cn2an and proces from
PyPI (``pip download --only-binary :all: --python-version 3.14 --platform any``: the wheels
Pyodide's Python 3.14 would get), and jieba's sdist (it publishes no wheel), built here with
``pip wheel``. Two wheels are repacked for the browser, marked by the local version ``+koe``:

* **janome**: its connection-cost matrix and entry indexes ship as Python literal modules
  (10 MB of source) that Pyodide would compile on every page load: about 15 s and 1 GB in
  Pyodide. They become int16/int32 arrays in ``.bin`` files read by small modules with the
  same ``DATA`` (checked equal to the originals here); the tokenizer then loads in about
  0.6 s in Pyodide. Nothing else changes.
* **jieba**: without what Koe never imports and Pyodide could not run: the PaddlePaddle
  model ``lac_small/``, keyword extraction ``analyse/`` (a 6 MB IDF table), part-of-speech
  tagging ``posseg/`` and the Jython pickles ``finalseg/*.p`` (19 MB -> 2 MB); its HMM
  emission table, a 1.3 MB literal module (2 s to compile in Pyodide), becomes JSON.

Downloads are cached under ``.cache/downloads``, built wheels under ``.cache/lang-wheels``;
every step is stamped with its inputs (including this script's sha256) and skipped when they
are unchanged; writes into web/public are atomic.
"""

from __future__ import annotations

import argparse
import array
import base64
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_assets import (  # noqa: E402
    CACHE,
    PUBLIC,
    BuildError,
    atomic_write,
    fetch,
    log,
    sha256_of,
    stamp_ok,
    write_stamp,
)
from build_web import atomic_copy  # noqa: E402

OUT = PUBLIC / "py"
INDEX = OUT / "lang-wheels.json"
BUILT = CACHE / "lang-wheels"
SCRIPT_SHA = sha256_of(Path(__file__))
LOCAL_VERSION = "koe"

#: import name -> the pinned file on PyPI.
WHEELS = {
    "janome": {"name": "Janome", "version": "0.5.0", "file": "Janome-0.5.0-py2.py3-none-any.whl",
               "sha256": "d098670394a77881ce2f6b7d696c0ea5ff74c0c8cf74a8a882159ec82c0e6dc7"},
    "pypinyin": {"name": "pypinyin", "version": "0.55.0", "file": "pypinyin-0.55.0-py2.py3-none-any.whl",
                 "sha256": "d53b1e8ad2cdb815fb2cb604ed3123372f5a28c6f447571244aca36fc62a286f"},
    "cn2an": {"name": "cn2an", "version": "0.5.24", "file": "cn2an-0.5.24-py3-none-any.whl",
              "sha256": "3d57d862a56133070ba6a737b8095bfc94716b41b7684e7a98d2d5b049495db7"},
    "proces": {"name": "proces", "version": "0.1.7", "file": "proces-0.1.7-py3-none-any.whl",
               "sha256": "308325bbc96877263f06e57e5e9c760c4b42cc722887ad60be6b18fc37d68762"},
}
SDISTS = {
    "jieba": {"name": "jieba", "version": "0.42.1", "file": "jieba-0.42.1.tar.gz",
              "sha256": "055ca12f62674fafed09427f176506079bc135638a14e23e25be909131928db2"},
}
REQUIRES = {"cn2an": ["proces"]}
#: Folders dropped from jieba's wheel, and files (the finalseg pickles only Jython reads).
JIEBA_DROP_FOLDERS = ("jieba/lac_small/", "jieba/analyse/", "jieba/posseg/")
JIEBA_DROP_FILES = frozenset({"jieba/finalseg/prob_emit.p", "jieba/finalseg/prob_start.p", "jieba/finalseg/prob_trans.p"})


# --- downloads -------------------------------------------------------------------------------------

def build_sdist_wheel(sdist: Path, entry: dict) -> Path:
    """``pip wheel --no-deps`` of a verified sdist (reproducible: SOURCE_DATE_EPOCH is fixed)."""
    inputs = {"sdist": entry["sha256"], "script": SCRIPT_SHA}
    folder = BUILT / "sdist" / entry["name"]
    found = sorted(folder.glob("*.whl")) if folder.exists() else []
    if len(found) == 1 and stamp_ok(f"lang-wheel-build-{entry['name']}", inputs):
        return found[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    log(f"pip wheel {entry['file']} ...")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1577836800")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps", "-q",
                             "-w", str(folder), str(sdist)], capture_output=True, text=True, env=env)
    found = sorted(folder.glob("*-py3-none-any.whl"))
    if result.returncode != 0 or len(found) != 1:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BuildError(f"building a wheel from {entry['file']} failed:\n    " + "\n    ".join(tail))
    write_stamp(f"lang-wheel-build-{entry['name']}", inputs)
    return found[0]


# --- repacking -------------------------------------------------------------------------------------

def _record_line(name: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def repack(source: Path, dest_dir: Path, change) -> Path:
    """A copy of wheel ``source`` with version ``<v>+koe``: ``change(files)`` edits {path: bytes} in place.

    The .dist-info folder is renamed, METADATA gets the new version and RECORD is rewritten.
    """
    with zipfile.ZipFile(source) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    old_info = next(name.split("/")[0] for name in files if name.endswith(".dist-info/METADATA"))
    dist, version = old_info[:-len(".dist-info")].rsplit("-", 1)
    new_version = f"{version}+{LOCAL_VERSION}"
    new_info = f"{dist}-{new_version}.dist-info"
    del files[f"{old_info}/RECORD"]
    change(files)
    files = {(new_info + name[len(old_info):] if name.startswith(old_info + "/") else name): data
             for name, data in files.items()}
    metadata = files[f"{new_info}/METADATA"].decode("utf-8")
    files[f"{new_info}/METADATA"] = metadata.replace(f"\nVersion: {version}\n", f"\nVersion: {new_version}\n", 1).encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    writer.writerows(_record_line(name, files[name]) for name in sorted(files))
    writer.writerow([f"{new_info}/RECORD", "", ""])
    files[f"{new_info}/RECORD"] = record.getvalue().encode("utf-8")
    dest = dest_dir / f"{dist}-{new_version}-{source.name[len(f'{dist}-{version}-'):]}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest_dir, suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(files):  # fixed order and timestamps: the same input gives the same bytes
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name], compresslevel=9)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _literal_module(source: bytes, name: str):
    namespace: dict = {}
    exec(compile(source, name, "exec"), namespace)  # janome's own generated data module
    return namespace["DATA"]


_ARRAY_LOADER = '''"""{doc}.

Repacked by Koe's build from janome's literal module so that Pyodide need not compile it.
"""
import array as _array
import os as _os
import sys as _sys

_values = _array.array("{code}")
with open(_os.path.join(_os.path.dirname(__file__), "{bin_name}"), "rb") as _f:
    _values.frombytes(_f.read())
if _sys.byteorder != "little":
    _values.byteswap()
{assign}
'''


def _little_endian(values: array.array) -> bytes:
    if sys.byteorder != "little":
        values = array.array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _load_array_module(module_source: str, files: dict[str, bytes]):
    """Run a generated loader against the in-memory .bin files (the check that the data survived)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            Path(tmp, name).write_bytes(data)
        namespace = {"__file__": str(Path(tmp, "module.py"))}
        exec(compile(module_source, "module.py", "exec"), namespace)
        return namespace["DATA"]


def janome_fast_data(files: dict[str, bytes]) -> None:
    """Replace janome's connection and index literal modules by arrays in .bin files (verified equal)."""
    base = "janome/sysdic/"
    for part in ("connections1", "connections2"):
        rows = _literal_module(files[base + part + ".py"], part)
        width = len(rows[0])
        if any(len(row) != width for row in rows):
            raise BuildError(f"janome {part}: rows of unequal length")
        packed = _little_endian(array.array("h", [v for row in rows for v in row]))
        module = _ARRAY_LOADER.format(
            doc=f"Connection costs: {len(rows)} rows of {width}, int16 little-endian in {part}.bin",
            code="h", bin_name=f"{part}.bin",
            assign=f"DATA = [_values[_i * {width}:(_i + 1) * {width}] for _i in range({len(rows)})]")
        if [list(r) for r in _load_array_module(module, {f"{part}.bin": packed})] != [list(r) for r in rows]:
            raise BuildError(f"janome {part}: the repacked data differs from the original")
        files[base + part + ".py"] = module.encode("utf-8")
        files[base + part + ".bin"] = packed
    for name in sorted(n for n in files if n.startswith(base + "entries_") and n.endswith("_idx.py")):
        stem = name[len(base):-3]
        data = _literal_module(files[name], stem)
        packed = _little_endian(array.array("i", data["positions"]))
        module = _ARRAY_LOADER.format(
            doc=f"Entry positions of {stem[:-4]}.py, int32 little-endian in {stem}.bin", code="i",
            bin_name=f"{stem}.bin", assign=f'DATA = {{"offset": {int(data["offset"])}, "positions": _values}}')
        loaded = _load_array_module(module, {f"{stem}.bin": packed})
        if loaded["offset"] != data["offset"] or list(loaded["positions"]) != list(data["positions"]):
            raise BuildError(f"janome {stem}: the repacked data differs from the original")
        files[name] = module.encode("utf-8")
        files[base + stem + ".bin"] = packed


_JSON_LOADER = '''"""{doc}.

Repacked by Koe's build from jieba's literal module so that Pyodide need not compile it.
"""
import json as _json
import os as _os

with open(_os.path.join(_os.path.dirname(__file__), "{json_name}"), encoding="utf-8") as _f:
    P = _json.load(_f)
'''


def jieba_for_browser(files: dict[str, bytes]) -> None:
    """Drop what Koe never imports; the HMM emission table (a 1.3 MB literal) as JSON (verified equal)."""
    for name in [n for n in files if n.startswith(JIEBA_DROP_FOLDERS) or n in JIEBA_DROP_FILES]:
        del files[name]
    source = "jieba/finalseg/prob_emit.py"
    namespace: dict = {}
    exec(compile(files[source], source, "exec"), namespace)
    table = namespace["P"]
    packed = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if json.loads(packed) != table:
        raise BuildError("jieba prob_emit: the JSON copy differs from the original")
    files["jieba/finalseg/prob_emit.json"] = packed
    files[source] = _JSON_LOADER.format(doc="HMM emission probabilities of jieba's word finder",
                                        json_name="prob_emit.json").encode("utf-8")
    needed = ("jieba/__init__.py", "jieba/dict.txt", "jieba/finalseg/prob_emit.py", "jieba/finalseg/prob_start.py",
              "jieba/finalseg/prob_trans.py")
    if any(name not in files for name in needed):
        raise BuildError(f"jieba's wheel lacks one of {', '.join(needed)}")


def repacked(name: str, source: Path, change, source_sha: str) -> Path:
    inputs = {"source": source_sha, "script": SCRIPT_SHA}
    folder = BUILT / "repacked" / name
    found = sorted(folder.glob("*.whl")) if folder.exists() else []
    if len(found) == 1 and stamp_ok(f"lang-wheel-repack-{name}", inputs):
        return found[0]
    shutil.rmtree(folder, ignore_errors=True)
    log(f"repack   {source.name} ...")
    started = time.monotonic()
    wheel = repack(source, folder, change)
    write_stamp(f"lang-wheel-repack-{name}", inputs)
    log(f"         {wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")
    return wheel


# --- assembling ------------------------------------------------------------------------------------

def build() -> dict:
    wheels: dict[str, Path] = {}
    for package, entry in WHEELS.items():
        wheels[package] = fetch(entry, "pypi-any")
    jieba_sdist = fetch(SDISTS["jieba"], "pypi-sdist")
    jieba_wheel = build_sdist_wheel(jieba_sdist, SDISTS["jieba"])
    wheels["jieba"] = repacked("jieba", jieba_wheel, jieba_for_browser, SDISTS["jieba"]["sha256"])
    wheels["janome"] = repacked("janome", wheels["janome"], janome_fast_data, WHEELS["janome"]["sha256"])
    index = {}
    changed = 0
    for package in sorted(wheels):
        wheel = wheels[package]
        changed += atomic_copy(wheel, OUT / wheel.name)
        index[package] = {"file": wheel.name, "bytes": wheel.stat().st_size, "sha256": sha256_of(wheel),
                          "requires": REQUIRES.get(package, [])}
    keep = {entry["file"] for entry in index.values()}
    previous = json.loads(INDEX.read_text()) if INDEX.exists() else {}
    for entry in previous.values():  # wheels an earlier build listed and this one does not
        if entry.get("file") not in keep:
            (OUT / entry["file"]).unlink(missing_ok=True)
    changed += atomic_write(INDEX, (json.dumps(index, indent=1, sort_keys=True) + "\n").encode())
    total = sum(e["bytes"] for e in index.values())
    log(f"{'wrote ' if changed else 'cached'}   py/ language wheels ({', '.join(sorted(keep))}; {total / 1e6:.1f} MB)")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    started = time.monotonic()
    try:
        build()
    except BuildError as error:
        print(f"language wheels failed: {error}", file=sys.stderr)
        return 1
    print(f"language wheels ready in {OUT.relative_to(PUBLIC.parent.parent)}/ ({time.monotonic() - started:.1f} s)",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
