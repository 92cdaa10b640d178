"""The assembled web app (tools/build_web.py output) and the page's pure JS helpers (under node)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "web" / "public"
MANIFEST = PUBLIC / "koe-manifest.json"

needs_build = pytest.mark.skipif(not MANIFEST.exists(), reason="web/public is not built (run ./build.sh)")


@pytest.fixture(scope="module")
def manifest():
    return json.loads(MANIFEST.read_text())


@needs_build
def test_manifest_lists_every_shipped_file(manifest):
    on_disk = {p.relative_to(PUBLIC).as_posix(): p.stat().st_size for p in PUBLIC.rglob("*")
               if p.is_file() and not p.name.startswith(".") and p.name != MANIFEST.name}
    listed = {path: entry["bytes"] for path, entry in manifest["files"].items()}
    assert listed == on_disk, "koe-manifest.json is stale: run tools/build_web.py (after every asset step)"
    for path in ("index.html", "koe.mjs", "worker.mjs", "sw.js", "app/app.mjs", "pyodide/pyodide.asm.wasm",
                 "pyodide/python_stdlib.zip", "ort/ort.webgpu.min.mjs", "ort/ort-wasm-simd-threaded.asyncify.wasm",
                 "ort/ort.wasm.min.mjs", "ort/ort-wasm-simd-threaded.wasm", "worker/cpu-worker.mjs",
                 "model/vocab.json", "embeddings/index.json"):
        assert path in manifest["files"], path
    assert {e["group"] for p, e in manifest["files"].items() if p.startswith("model/")} == {"data"}


@needs_build
def test_service_worker_names_its_caches_after_the_build(manifest):
    sw = (PUBLIC / "sw.js").read_text()
    assert "__APP_HASH__" not in sw and "__DATA_HASH__" not in sw and "__LANG_HASH__" not in sw and "__GROUP_FILES__" not in sw
    for group in ("app", "data", "lang"):
        assert f"koe-{group}-{manifest[group + '_hash']}" in sw


@needs_build
def test_language_files_are_a_lazy_group_an_english_visitor_never_fetches(manifest):
    """Issue 8: a language's wheels and data are their own cache group, downloaded on its first use
    only; the service worker precaches small *app* files, and the start-up reads none of them."""
    files = manifest["files"]
    wheels = manifest["lang_wheels"]
    assert {"janome", "jieba", "pypinyin", "cn2an", "proces"} <= set(wheels)
    for name, wheel in wheels.items():
        entry = files[f"py/{wheel['file']}"]
        assert entry["group"] == "lang" and entry["sha256"] == wheel["sha256"], name
    for path, entry in files.items():
        if path.startswith("lang/"):
            assert entry["group"] == "lang", path
    languages = {lang["code"]: lang for lang in manifest["languages"]}
    from koe.lang import LANGUAGES

    assert set(languages) == set(LANGUAGES)
    assert "py/" + wheels["janome"]["file"] in languages["ja"]["files"]
    assert set(languages["zh"]["packages"]) == {"jieba", "pypinyin", "cn2an", "proces"}
    assert languages["fr"]["files"] == ["lang/fr/lexicon.txt.gz"] and languages["es"]["bytes"] == 0
    for lang in languages.values():
        assert lang["bytes"] == sum(files[f]["bytes"] for f in lang["files"])
    # What an English-only visit loads: the app group (small files precached), the model, the
    # start-up files (default voice), the CPU runtime. None of it is a language file.
    startup = set(manifest["startup"]["files"]) | {manifest["models"][0]["path"]} | set(manifest["ort"]["cpu"].values())
    assert all(files[p]["group"] != "lang" for p in startup)
    sw = (PUBLIC / "sw.js").read_text()
    assert "f.group === 'app' && f.bytes <= PRECACHE_LIMIT" in sw


@needs_build
def test_pyodide_lock_lists_no_packages(manifest):
    """The worker unpacks the build's own wheels; Pyodide's package index is never used."""
    lock = json.loads((PUBLIC / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["packages"] == {}
    assert set(manifest["wheels"]) == {"koe", "num2words"}
    for name, file in manifest["wheels"].items():
        assert file.endswith("-py3-none-any.whl") and manifest["files"][f"py/{file}"]["group"] == "app", name


@needs_build
def test_koe_wheel_is_pure_and_has_the_browser_runtime(manifest):
    wheel = PUBLIC / "py" / manifest["wheels"]["koe"]
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "koe/runtimes/browser.py" in names and "koe/engine.py" in names
        assert zf.read("koe/runtimes/browser.py") == (ROOT / "py_core/koe/runtimes/browser.py").read_bytes(), \
            "the shipped koe wheel is stale: run tools/build_web.py"


NODE_CHECKS = r"""
import { SentenceBuffer } from './web/app/llm.mjs';
import { logMel, melSimilarity } from './web/app/audio-compare.mjs';
const out = {};
const b = new SentenceBuffer();
out.sentences = [];
for (const piece of ['Sure', '. Here is', ' the first sentence', ' of my answer. And', ' here is the second one.'])
  out.sentences.push(...b.push(piece));
out.sentences.push(...b.flush());
const sr = 24000, tone = (f, n) => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(2 * Math.PI * f * i / sr));
const a = tone(440, sr), stretched = tone(440, Math.round(sr * 1.01)), other = tone(3000, sr);
out.same = melSimilarity(logMel(a), logMel(stretched));
out.different = melSimilarity(logMel(a), logMel(other));
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_page_helpers_under_node():
    result = subprocess.run(["node", "--input-type=module", "-e", NODE_CHECKS], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["sentences"] == ["Sure. Here is the first sentence of my answer.", "And here is the second one."]
    assert out["same"] > 0.95 and out["different"] < out["same"] - 0.2
