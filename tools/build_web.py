"""Assemble the in-browser runtime and the web app into web/public/.

Run by ``./build.sh`` after tools/build_assets.py (which puts the model, voices and
dictionaries there). Everything the page needs is self-hosted; nothing comes from a CDN:

* ``pyodide/``  the Pyodide core from npm ``pyodide`` (pyodide.mjs, pyodide.asm.mjs,
  pyodide.asm.wasm, python_stdlib.zip) and its pyodide-lock.json without packages (the worker
  unpacks our pure wheels itself: no package index, no micropip);
* ``ort/``      onnxruntime-web's builds: the plain SIMD-threaded one for the CPU (``wasm``
  execution provider) and the asyncify one for WebGPU (``ORT_BUILDS``; the manifest's ``ort``);
* ``py/``       pure-Python wheels unpacked in the page: ``koe`` (built from py_core with
  ``pip wheel --no-deps``) and ``num2words``; and the language wheels of
  tools/build_lang_wheels.py (installed on a language's first use);
* the app itself (web/index.html, web/app/, web/koe.mjs, web/worker.mjs, web/worker/, web/sw.js);
* ``koe-manifest.json``: every shipped file with size, sha256 and cache group, the build hashes
  the service worker names its caches after (a rebuild with changes replaces the caches), and
  the facts the JavaScript must not restate, exported from py_core: the limits and naming rules
  (``rules``, from :mod:`koe.rules`), the model variants in the browser's order of preference
  (``models``, from :mod:`koe.assets`) and the languages with what each needs to download on
  first use (``languages``, from :mod:`koe.lang`; their wheels in ``lang_wheels``).

Cache groups (one service-worker cache each, named after the group's hash): ``app`` (the page,
Pyodide, onnxruntime-web, the base wheels; small files precached at install), ``data`` (model,
voices, dictionaries: cached as they are used) and ``lang`` (a language's wheels and data,
downloaded and cached only when that language is first spoken: an English-only visitor never
fetches them).

npm packages come from ``npm ci`` (integrity-checked against package-lock.json); the
wheels from ``pip download`` are checked against the sha256 pinned below. Writes are
atomic and every step is skipped when its inputs are unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_assets import BuildError, atomic_write, log, sha256_of, stamp_ok, write_stamp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py_core"))
from koe import rules  # noqa: E402  (limits and id/name rules, exported for the page)
from koe.assets import BROWSER_MODEL_ORDER, G2P_MODEL, LEXICONS, MODEL_VARIANTS, VOICE_INDEX  # noqa: E402  (the one table of model variants)
from koe.lang import LANGUAGES  # noqa: E402  (the languages and the packages each front end imports)

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KOE_CACHE", ROOT / ".cache"))
STAMPS = CACHE / "stamps"
WHEELS = CACHE / "web-wheels"
PUBLIC = ROOT / "web" / "public"
WEB = ROOT / "web"
NODE_MODULES = ROOT / "node_modules"

NPM_PINS = {"pyodide": "314.0.7", "onnxruntime-web": "1.30.0"}
#: Wheels fetched from PyPI for the browser (Python 3.14, pure): name -> (version, sha256).
WHEEL_PINS = {
    "num2words": ("0.5.14", "1c8e5b00142fc2966fd8d685001e36c4a9911e070d1b120e1beb721fa1edb33d"),
}
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
#: onnxruntime-web builds, by backend: the CPU runs the plain SIMD-threaded build (faster than the
#: asyncify one and half its size: the table in web/README.md); WebGPU needs the asyncify build,
#: fetched only when WebGPU is used.
ORT_BUILDS = {
    "cpu": {"bundle": "ort.wasm.min.mjs", "glue": "ort-wasm-simd-threaded.mjs", "wasm": "ort-wasm-simd-threaded.wasm"},
    "webgpu": {"bundle": "ort.webgpu.min.mjs", "glue": "ort-wasm-simd-threaded.asyncify.mjs",
               "wasm": "ort-wasm-simd-threaded.asyncify.wasm"},
}
ORT_FILES = sorted({name for build in ORT_BUILDS.values() for name in build.values()})
#: App sources copied from web/ (relative paths; folders are copied whole).
APP_SOURCES = ["index.html", "koe.mjs", "worker.mjs", "worker", "app"]  # sw.js: written with its cache names
#: Folders of web/public that hold large, rarely changing data (their own service-worker cache).
#: The one place a file's cache group is decided: the manifest records it per file, and the
#: worker and the service worker read it from there.
DATA_DIRS = ("model/", "embeddings/", "lexicon/")
#: The data of the non-English front ends (tools/build_lang_data.py): lang/<module>/..., group "lang".
LANG_DATA_DIR = "lang/"
#: tools/build_lang_wheels.py's index of the language wheels (their files go to group "lang").
LANG_WHEELS = "py/lang-wheels.json"
GROUPS = ("app", "data", "lang")
MANIFEST = "koe-manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_copy(src: Path, dest: Path) -> bool:
    """Copy ``src`` to ``dest`` (atomically) unless ``dest`` already has the same content."""
    if dest.is_file() and dest.stat().st_size == src.stat().st_size and sha256_of(dest) == sha256_of(src):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def tree_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- npm ------------------------------------------------------------------------------------------

def npm_install() -> None:
    """``npm ci`` (or ``npm install`` without a lock file) when package.json/lock changed."""
    lock = ROOT / "package-lock.json"
    inputs = {"package": sha256_of(ROOT / "package.json"), "lock": sha256_of(lock) if lock.exists() else None}
    installed = all((NODE_MODULES / name / "package.json").exists() for name in NPM_PINS)
    if installed and stamp_ok("web-npm", inputs):
        log("cached   node_modules")
        return
    if not shutil.which("npm"):
        raise BuildError("npm is required for the web runtime (apt-get install nodejs npm)")
    cmd = ["npm", "ci" if lock.exists() else "install", "--no-audit", "--no-fund", "--ignore-scripts"]
    log(" ".join(cmd) + " ...")
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BuildError("npm failed:\n    " + "\n    ".join(tail))
    for name, version in NPM_PINS.items():
        got = json.loads((NODE_MODULES / name / "package.json").read_text())["version"]
        if got != version:
            raise BuildError(f"node_modules/{name} is {got}, expected {version} (fix package.json)")
    inputs["lock"] = sha256_of(lock) if lock.exists() else None
    write_stamp("web-npm", inputs)
    log(f"         installed in {time.monotonic() - started:.1f} s")


# --- runtime files ----------------------------------------------------------------------------------

def copy_pyodide() -> None:
    """The Pyodide core; its lock file lists no packages: the worker unpacks our own wheels (py/)
    into site-packages itself, so nothing is ever looked up in Pyodide's package index."""
    src = NODE_MODULES / "pyodide"
    out = PUBLIC / "pyodide"
    changed = sum(atomic_copy(src / name, out / name) for name in PYODIDE_FILES)
    lock = json.loads((src / "pyodide-lock.json").read_text())
    lock["packages"] = {}
    changed += atomic_write(out / "pyodide-lock.json", json.dumps(lock, indent=1, sort_keys=True).encode())
    log(f"{'wrote ' if changed else 'cached'}   pyodide/ ({len(PYODIDE_FILES) + 1} files, lock without packages)")


def copy_ort() -> None:
    src = NODE_MODULES / "onnxruntime-web" / "dist"
    changed = sum(atomic_copy(src / name, PUBLIC / "ort" / name) for name in ORT_FILES)
    log(f"{'wrote ' if changed else 'cached'}   ort/ ({', '.join(ORT_FILES)})")


def pip_download(name: str, version: str, sha256: str) -> Path:
    WHEELS.mkdir(parents=True, exist_ok=True)
    for existing in WHEELS.glob(f"{name.replace('-', '_')}-{version}-*.whl"):
        if sha256_of(existing) == sha256:
            return existing
    with tempfile.TemporaryDirectory(dir=WHEELS) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
               "--only-binary=:all:", "--python-version", "3.14", "--progress-bar", "off", "-d", tmp,
               f"{name}=={version}"]
        log(f"download {name}=={version} ...")
        result = subprocess.run(cmd, capture_output=True, text=True)
        got = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or len(got) != 1:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise BuildError(f"could not download {name}=={version}:\n    " + "\n    ".join(tail))
        digest = sha256_of(got[0])
        if digest != sha256:
            raise BuildError(f"{got[0].name} failed verification: sha256 {digest}, expected {sha256}")
        target = WHEELS / got[0].name
        os.replace(got[0], target)
        return target


def build_koe_wheel() -> Path:
    """py_core as a pure wheel (``pip wheel --no-deps``), rebuilt only when its sources change."""
    sources = [p for p in (ROOT / "py_core").rglob("*") if p.is_file() and "__pycache__" not in p.parts
               and not p.name.endswith((".pyc", ".egg-info"))]
    sources = [p for p in sources if ".egg-info" not in str(p)] + [ROOT / "pyproject.toml"]
    inputs = {"sources": tree_digest(sources)}
    previous = list((WHEELS / "koe").glob("koe-*.whl")) if (WHEELS / "koe").exists() else []
    if len(previous) == 1 and stamp_ok("web-koe-wheel", inputs):
        return previous[0]
    (WHEELS / "koe").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WHEELS) as tmp:
        cmd = [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps",
               "-q", "-w", tmp, str(ROOT)]
        log("pip wheel --no-deps (py_core) ...")
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        got = list(Path(tmp).glob("koe-*-py3-none-any.whl"))
        if result.returncode != 0 or len(got) != 1:
            tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise BuildError("building the koe wheel failed:\n    " + "\n    ".join(tail))
        for old in previous:
            old.unlink()
        target = WHEELS / "koe" / got[0].name
        os.replace(got[0], target)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' scratch folder
    write_stamp("web-koe-wheel", inputs)
    return target


def copy_wheels() -> dict[str, str]:
    """Put the browser's wheels under py/; returns {package: file name} for the worker."""
    wheels = {name: pip_download(name, version, sha) for name, (version, sha) in WHEEL_PINS.items()}
    wheels["koe"] = build_koe_wheel()
    out = PUBLIC / "py"
    keep = {w.name for w in wheels.values()}
    if (out / "lang-wheels.json").exists():  # tools/build_lang_wheels.py's, installed when a language is first used
        keep |= {e["file"] for e in json.loads((out / "lang-wheels.json").read_text()).values()}
    changed = sum(atomic_copy(w, out / w.name) for w in wheels.values())
    for stale in out.glob("*.whl"):
        if stale.name not in keep:
            stale.unlink()
    log(f"{'wrote ' if changed else 'cached'}   py/ ({', '.join(sorted(keep))})")
    return {name: w.name for name, w in wheels.items()}


def copy_app() -> None:
    changed = 0
    for name in APP_SOURCES:
        src = WEB / name
        if src.is_dir():
            for path in sorted(src.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    changed += atomic_copy(path, PUBLIC / path.relative_to(WEB))
        else:
            changed += atomic_copy(src, PUBLIC / name)
    log(f"{'wrote ' if changed else 'cached'}   app ({', '.join(APP_SOURCES)})")


# --- manifest ------------------------------------------------------------------------------------

def file_hashes(files: list[Path]) -> dict[str, str]:
    """sha256 per file, memoized by (size, mtime) so a 325 MB model is hashed once."""
    memo_path = STAMPS / "web-hashes.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    out, fresh = {}, {}
    for path in files:
        rel = path.relative_to(PUBLIC).as_posix()
        st = path.stat()
        key = f"{st.st_size}:{st.st_mtime_ns}"
        cached = memo.get(rel)
        digest = cached[1] if cached and cached[0] == key else sha256_of(path)
        fresh[rel] = [key, digest]
        out[rel] = digest
    atomic_write(memo_path, json.dumps(fresh, sort_keys=True).encode())
    return out


#: The model variant each backend runs first (the CPU: the int8 model, about 15% faster than int8w
#: in WebAssembly on the same inputs, paired runs: web/README.md; WebGPU: a float-compute variant,
#: the only kind it runs), then the rest of koe.assets.BROWSER_MODEL_ORDER.
CPU_MODEL_FIRST = "int8"


def backend_models() -> dict[str, list[str]]:
    cpu = [CPU_MODEL_FIRST] + [k for k in BROWSER_MODEL_ORDER if k != CPU_MODEL_FIRST]
    return {"cpu": cpu, "webgpu": [k for k in BROWSER_MODEL_ORDER if MODEL_VARIANTS[k].float]}


def browser_models() -> list[dict]:
    """The Kokoro model variants in the browser's order of preference (the worker loads the first
    one the build has, unless the page asks for another)."""
    return [{"key": key, "path": MODEL_VARIANTS[key].path, "options": dict(MODEL_VARIANTS[key].options),
             "float": MODEL_VARIANTS[key].float} for key in BROWSER_MODEL_ORDER]


def lang_wheels() -> dict[str, dict]:
    """tools/build_lang_wheels.py's index: {package: {file, bytes, sha256, requires}} ({} if not built)."""
    path = PUBLIC / LANG_WHEELS
    return json.loads(path.read_text()) if path.exists() else {}


def group_of(rel: str, lang_files: set[str]) -> str:
    """The one place a file's cache group is decided (see the module docstring)."""
    if rel.startswith(DATA_DIRS):
        return "data"
    if rel.startswith(LANG_DATA_DIR) or rel in lang_files:
        return "lang"
    return "app"


def package_closure(packages, wheels: dict[str, dict]) -> list[str]:
    """``packages`` and everything their ``requires`` name, in install order (requirements first)."""
    out: list[str] = []

    def add(name: str) -> None:
        if name in out:
            return
        for required in wheels.get(name, {}).get("requires", []):
            add(required)
        out.append(name)

    for name in packages:
        add(name)
    return out


def languages_table(entries: dict[str, dict], wheels: dict[str, dict]) -> list[dict]:
    """Each language of koe.lang.LANGUAGES with the files its front end needs beyond the app: the
    wheels it installs on first use (with their requirements) and its data files; ``bytes`` is
    what a first use downloads when none of them is cached. English's dictionaries and G2P graph
    are part of the start-up (group data), listed so that the page can tell what is cached."""
    table = []
    for lang in LANGUAGES.values():
        packages = package_closure(lang.packages, wheels)
        missing = [p for p in packages if p not in wheels]
        if missing:
            raise BuildError(f"{lang.code} needs the wheel(s) {', '.join(missing)}: run tools/build_lang_wheels.py")
        files = [f"py/{wheels[p]['file']}" for p in packages]
        if lang.module == "koe.lang.en":
            files += [LEXICONS[lang.code], G2P_MODEL]
        else:
            folder = LANG_DATA_DIR + lang.module.rsplit(".", 1)[-1] + "/"
            files += sorted(p for p in entries if p.startswith(folder))
        files = [f for f in files if f in entries]
        table.append({"code": lang.code, "name": lang.name, "packages": packages, "files": files,
                      "bytes": sum(entries[f]["bytes"] for f in files)})
    return table


def preset_voices() -> dict[str, dict]:
    """{voice id: {file, language}} of the preset voices (embeddings/index.json): what the page caches
    in the background so that every voice works offline."""
    index = json.loads((PUBLIC / VOICE_INDEX).read_text())
    voices = index["voices"].values() if isinstance(index["voices"], dict) else index["voices"]
    return {v["id"]: {"file": f"embeddings/{v['file']}", "language": v["language"]} for v in voices}


def startup_files(entries: dict[str, dict]) -> dict:
    """What the first synthesis with the default voice reads besides the model: its pack, its
    language's dictionary and G2P graph. The worker fetches them (and creates the graph's session)
    while Pyodide boots."""
    index = json.loads((PUBLIC / VOICE_INDEX).read_text())
    voices = {v["id"]: v for v in (index["voices"].values() if isinstance(index["voices"], dict) else index["voices"])}
    default = index.get("default", "af_heart")
    voice = voices.get(default)
    if voice is None:
        return {"voice": default, "files": []}
    files = [f"embeddings/{voice['file']}"]
    if voice["language"] in LEXICONS:
        files = [LEXICONS[voice["language"]], G2P_MODEL] + files
    return {"voice": default, "files": [f for f in files if f in entries]}


def write_manifest(wheels: dict[str, str]) -> dict:
    files = sorted(p for p in PUBLIC.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and p.name != MANIFEST)
    hashes = file_hashes(files)
    extra_wheels = lang_wheels()
    lang_files = {f"py/{w['file']}" for w in extra_wheels.values()} | {LANG_WHEELS}
    entries = {}
    for path in files:
        rel = path.relative_to(PUBLIC).as_posix()
        entries[rel] = {"bytes": path.stat().st_size, "sha256": hashes[rel], "group": group_of(rel, lang_files)}

    def group_hash(group: str) -> str:
        listing = "".join(f"{k}:{v['sha256']}\n" for k, v in entries.items() if v["group"] == group and k != "sw.js")
        return hashlib.sha256(listing.encode()).hexdigest()[:16]

    group_hashes = {group: group_hash(group) for group in GROUPS}
    # sw.js carries the cache names and which files are not in the app group, so a change
    # anywhere installs a new service worker.
    group_files = {group: sorted(k for k, v in entries.items() if v["group"] == group) for group in GROUPS if group != "app"}
    sw = (WEB / "sw.js").read_text(encoding="utf-8")
    for group, digest in group_hashes.items():
        sw = sw.replace(f"__{group.upper()}_HASH__", digest)
    sw = sw.replace("__GROUP_FILES__", json.dumps(group_files, separators=(",", ":")))
    atomic_write(PUBLIC / "sw.js", sw.encode("utf-8"))
    entries["sw.js"] = {"bytes": (PUBLIC / "sw.js").stat().st_size, "sha256": sha256_of(PUBLIC / "sw.js"), "group": "app"}
    manifest = {
        "version": 1,
        "build": hashlib.sha256("".join(group_hashes.values()).encode()).hexdigest()[:16],
        **{f"{group}_hash": digest for group, digest in group_hashes.items()},
        "wheels": wheels,
        "lang_wheels": {name: {"file": w["file"], "bytes": w["bytes"], "sha256": w["sha256"], "requires": w.get("requires", [])}
                        for name, w in extra_wheels.items()},
        "languages": languages_table(entries, extra_wheels),
        "runtimes": {"pyodide": NPM_PINS["pyodide"], "onnxruntime-web": NPM_PINS["onnxruntime-web"]},
        "rules": rules.exported(),
        "models": browser_models(),
        "backend_models": backend_models(),
        "ort": {backend: {role: f"ort/{name}" for role, name in build.items()} for backend, build in ORT_BUILDS.items()},
        "startup": startup_files(entries),
        "voices": preset_voices(),
        "files": entries,
    }
    atomic_write(PUBLIC / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    sizes = {group: sum(v["bytes"] for v in entries.values() if v["group"] == group) / 1e6 for group in GROUPS}
    log(f"wrote    {MANIFEST} (build {manifest['build']}, {len(entries)} files, "
        + ", ".join(f"{group} {mb:.1f} MB" for group, mb in sizes.items()) + ")")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-only", action="store_true", help="only re-copy the app sources and the manifest")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if not (PUBLIC / "model").is_dir():
            raise BuildError("web/public/model is missing: run tools/build_assets.py first")
        if args.app_only:
            wheels = json.loads((PUBLIC / MANIFEST).read_text())["wheels"]
        else:
            print("[web 1/4] npm packages (pyodide, onnxruntime-web)", flush=True)
            npm_install()
            print("[web 2/4] wheels for the browser", flush=True)
            wheels = copy_wheels()
            print("[web 3/4] runtime files", flush=True)
            copy_pyodide()
            copy_ort()
        print("[web 4/4] app and manifest", flush=True)
        copy_app()
        write_manifest(wheels)
    except BuildError as error:
        print(f"web build failed: {error}", file=sys.stderr)
        return 1
    print(f"web app ready in {PUBLIC.relative_to(ROOT)}/ ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
