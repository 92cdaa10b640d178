"""The core must run in Pyodide: no compiled or native dependency outside the runtime adapters."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "py_core" / "koe"
#: Adapters that run only natively and may use numpy, onnxruntime, soundfile, starlette...
NATIVE_ONLY = ("runtimes/onnxruntime.py", "adapters", "server", "cli.py", "native.py")
#: The browser adapter: pure Python plus Pyodide's own modules, imported only when called in the browser.
BROWSER_ONLY = {"runtimes/browser.py": {"pyodide", "js"}}
#: Pure-Python (py3-none-any) wheels the build ships to the browser.
PURE_DEPENDENCIES = {"num2words": "num2words", "janome": "Janome", "jieba": "jieba", "pypinyin": "pypinyin",
                     "cn2an": "cn2an", "proces": "proces"}


def core_modules() -> list[Path]:
    def native(path: Path) -> bool:
        relative = path.relative_to(PACKAGE).as_posix()
        return any(relative == n or relative.startswith(n + "/") for n in NATIVE_ONLY)

    return [p for p in PACKAGE.rglob("*.py") if not native(p)]


def imported_top_level(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_stdlib_and_pure_wheels():
    allowed = set(sys.stdlib_module_names) | set(PURE_DEPENDENCIES) | {"koe", "__future__"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_top_level(p) - allowed
                                                  - BROWSER_ONLY.get(p.relative_to(PACKAGE).as_posix(), set()))
                 for p in core_modules()}
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"py_core imports non-stdlib packages: {offenders}"


def test_pure_dependencies_are_py3_none_any_wheels():
    for dist in set(PURE_DEPENDENCIES.values()):
        wheel = metadata.distribution(dist).read_text("WHEEL") or ""
        tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
        assert tags and all(t.endswith("-none-any") for t in tags), f"{dist} is not a pure-Python wheel: {tags}"
        assert "Root-Is-Purelib: true" in wheel


def test_core_imports_with_native_packages_blocked():
    """Import every core module in a fresh interpreter where numpy & co. cannot be imported."""
    modules = sorted("koe." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).replace(".__init__", "")
                     for p in core_modules())
    modules = [m[:-len(".__init__")] if m.endswith(".__init__") else m for m in modules]
    script = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {{'numpy', 'onnxruntime', 'soundfile', 'scipy', 'starlette', 'uvicorn', 'onnx'}}:
            raise ImportError('blocked native package ' + name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, {str(ROOT / 'py_core')!r})
import importlib, json
for name in {json.dumps(modules)}:
    importlib.import_module(name)
print('ok', len({json.dumps(modules)}))
"""
    result = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
