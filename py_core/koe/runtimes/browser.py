"""The browser runtime: onnxruntime-web, reached through a small JS bridge (Pyodide only).

The web worker (web/worker.mjs) loads Pyodide, installs the ``koe`` wheel and hands a
*bridge* object to :class:`BrowserHost`, a thin JSON facade over
:class:`koe.service.KoeService` (the application layer every interface shares). Everything numeric stays in onnxruntime-web;
everything else (normalization, G2P, chunking, voices) is the same engine code that runs
natively. The bridge is a plain JS object with these methods (all async except noted):

``createSession(name, model, backend, options)``
    ``model`` is an asset path the JS side fetches itself (with byte progress; the model
    never passes through Python) or a ``Uint8Array``; ``options`` a JS object of ORT
    session config entries. Returns ``{id, inputNames, outputNames}``.
``run(id, names, dtypes, shapes, buffers)``
    ``buffers`` are PyProxies of ``array.array`` objects; the JS side takes zero-copy
    ``getBuffer()`` views of them for ``ort.Tensor`` (ORT copies them into its own memory
    once). Returns ``{outputs: [{name, dtype, dims, data}], ms}``.
``fetchBytes(path)``
    An asset's bytes as a ``Uint8Array`` (through the service-worker cache).
``releaseSession(id)`` (sync)
``installPackages(names)``
    Install a language's pure-Python wheels (listed in the manifest) with micropip, on
    first use of that language.

Outputs cross back with one copy (``TypedArray.assign_to`` into a pre-sized array).
``pyodide`` and ``js`` are imported lazily so this module can be imported (and its pure
parts tested) under CPython.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from functools import partial
from typing import Any, Callable, Mapping

from ..errors import AssetError, KoeError
from ..runtime import TYPECODES, Tensor

#: Model assets that the JS side fetches itself (local_path returns their asset path).
FETCHED_BY_JS = (".onnx",)


class BrowserSession:
    """One onnxruntime-web InferenceSession behind :class:`koe.runtime.Session`.

    ``calls``/``seconds`` count runs as seen from Python (bridge included) and ``ort_ms``
    the time inside ``InferenceSession.run`` as measured in JS: their difference is the
    bridge's overhead. ``record`` (a list, or None) collects every run's inputs.
    """

    def __init__(self, bridge: Any, info: Any, backend: str) -> None:
        self._bridge = bridge
        self.id = info.id
        self.backend = backend
        self.input_names = list(info.inputNames)
        self.output_names = list(info.outputNames)
        self.calls = 0
        self.seconds = 0.0
        self.ort_ms = 0.0
        self.record: list[dict] | None = None

    async def run(self, feeds: Mapping[str, Tensor]) -> dict[str, Tensor]:
        from pyodide.ffi import create_proxy, to_js

        if self.record is not None:
            self.record.append({name: {"dtype": t.dtype, "shape": list(t.shape), "data": t.data.tolist()}
                                for name, t in feeds.items()})
        names = list(feeds)
        proxies = [create_proxy(feeds[n].data) for n in names]
        started = time.perf_counter()
        try:
            result = await self._bridge.run(self.id, to_js(names), to_js([feeds[n].dtype for n in names]),
                                            to_js([list(feeds[n].shape) for n in names]), to_js(proxies))
        finally:
            for proxy in proxies:
                proxy.destroy()
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.ort_ms += float(result.ms)
        outputs = {}
        for out in result.outputs:
            dtype = str(out.dtype)
            data = array(TYPECODES[dtype], bytes(0))
            length = int(out.data.length)
            if length:
                data = array(TYPECODES[dtype], [0]) * length
                out.data.assign_to(data)  # the one copy: JS heap -> Python
            outputs[str(out.name)] = Tensor(dtype, tuple(int(d) for d in out.dims), data)
        return outputs

    def release(self) -> None:
        self._bridge.releaseSession(self.id)


class BrowserRuntime:
    """Creates :class:`BrowserSession` objects on one ORT-web execution provider.

    ``backend`` is ``"wasm"`` (CPU) or ``"webgpu"``. Only the Kokoro graph goes to
    WebGPU; the small G2P graph always runs on WASM (its batch-1 GRU steps gain nothing
    on a GPU).
    """

    name = "onnxruntime-web"

    def __init__(self, bridge: Any, backend: str = "wasm") -> None:
        self._bridge = bridge
        self.backend = backend
        self.sessions: list[BrowserSession] = []

    async def load(self, model: str | bytes, *, name: str = "model", options: Mapping[str, str] | None = None) -> BrowserSession:
        from pyodide.ffi import to_js
        from js import Object

        backend = self.backend if name == "kokoro" else "wasm"
        source = model if isinstance(model, str) else to_js(memoryview(model))
        js_options = to_js(dict(options or {}), dict_converter=Object.fromEntries)
        info = await self._bridge.createSession(name, source, backend, js_options)
        session = BrowserSession(self._bridge, info, backend)
        self.sessions.append(session)
        return session


class BrowserAssets:
    """Assets served next to the page, listed in ``koe-manifest.json`` (so ``exists`` needs no request)."""

    def __init__(self, bridge: Any, files: Mapping[str, Any]) -> None:
        self._bridge = bridge
        self.files = dict(files)

    def exists(self, path: str) -> bool:
        return path in self.files

    def local_path(self, path: str) -> str | None:
        # Not a filesystem path: the asset path itself, which the JS bridge fetches (with
        # progress) straight into onnxruntime-web, so big models never cross into Python.
        return path if path.endswith(FETCHED_BY_JS) and path in self.files else None

    async def read(self, path: str) -> bytes:
        if path not in self.files:
            raise AssetError(f"{path} is not part of this build (run ./build.sh)")
        try:
            data = await self._bridge.fetchBytes(path)
        except Exception as error:  # a JsException: offline, HTTP error...
            message = str(getattr(error, "message", "") or error).splitlines()[0]
            raise AssetError(f"Could not load {path}: {message}") from None
        return data.to_bytes()


def error_payload(error: BaseException) -> dict:
    """A KoeError as the JSON the page shows; anything else is a bug and is re-raised."""
    if isinstance(error, KoeError):
        return {"error": error.message, "code": error.code, "param": error.param}
    raise error


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _samples(js_samples: Any) -> array:
    """A JS Float32Array -> ``array('f')`` (one copy)."""
    length = int(js_samples.length)
    data = array("f", [0.0]) * length
    if length:
        js_samples.assign_to(data)
    return data


class BrowserHost:
    """What web/worker.mjs calls: JSON strings in and out, every decision in :class:`KoeService`.

    Errors caused by input come back as ``{"error", "code", "param"}``; anything else is a
    bug and raises (the worker shows its last line).
    """

    def __init__(self, bridge: Any, manifest_json: str) -> None:
        manifest = json.loads(manifest_json)
        self.bridge = bridge
        self.assets = BrowserAssets(bridge, manifest["files"])
        self.service: Any = None
        self.model: str | None = None
        self._cancelled: set[int] = set()
        self.last_record: list[dict] | None = None

    async def _install(self, packages) -> None:
        """Install a language's wheels on first use (the worker's micropip); failures are AssetErrors."""
        from pyodide.ffi import to_js

        try:
            await self.bridge.installPackages(to_js(list(packages)))
        except Exception as error:  # a JsException: offline and not cached, or not part of this build
            message = str(getattr(error, "message", "") or error).splitlines()[0]
            raise AssetError(f"Could not install {', '.join(packages)} for this language: {message}") from None

    # --- loading -------------------------------------------------------------------------------

    async def load(self, backend: str, model: str, options_json: str = "{}") -> str:
        """Load the engine for ``backend`` (``wasm`` or ``webgpu``); the first one loads vocab and voices."""
        from ..engine import Koe
        from ..service import KoeService

        options = json.loads(options_json)
        runtime = BrowserRuntime(self.bridge, backend)
        if self.service is None:
            engine = await Koe.aload(self.assets, runtime, model=model, model_options=options, install=self._install)
            self.service = KoeService(engine, backend=backend, encoder_runtime=BrowserRuntime(self.bridge, "wasm"))
            self.model = model
        elif backend not in self.service.engines:
            session = await runtime.load(self.assets.local_path(model) or await self.assets.read(model),
                                         name="kokoro", options=options)
            self.service.add_engine(backend, self.service.engine.with_session(session, runtime))
        return _json({"backend": backend, "model": self.model})

    async def warm(self) -> str:
        """Load the default voice's text front end and voice pack now (after start-up, before the first request)."""
        engine = self.service.engine
        blend = engine.resolve_voice(None)
        await engine.front_end(blend.language)
        for voice_id, _ in blend.components:
            await engine.voice_bank.pack(voice_id)
        return blend.language

    def unload(self, backend: str) -> None:
        engine = self.service.remove_engine(backend)
        if engine is not None:
            engine.session.release()

    # --- voices --------------------------------------------------------------------------------

    def voices(self) -> str:
        bank = self.service.voice_bank
        return _json({"default": bank.default, "voices": [v.as_dict() for v in bank.list()]})

    def set_custom_voices(self, recipes_json: str) -> str:
        """Make the page's saved recipes (a JSON list of recipe dicts) the custom voices."""
        recipes, problems = self.service.replace_custom_voices(json.loads(recipes_json))
        return _json({"problems": problems, "recipes": [r.to_dict() for r in recipes]})

    def import_recipe(self, recipe_json: str, taken_json: str = "[]") -> str:
        """A shared recipe, validated and given a free id (``taken_json``: ids the page holds besides these)."""
        try:
            recipe = self.service.import_recipe(recipe_json)
            taken = set(json.loads(taken_json or "[]"))
            if recipe.id in taken:
                from ..rules import new_voice_id

                voice_id, _ = new_voice_id(recipe.name, self.service.taken_ids() | taken,
                                           self.service.voice_bank.presets)
                recipe = recipe.named(recipe.name, voice_id)
            return _json({"recipe": recipe.to_dict()})
        except KoeError as error:
            return _json(error_payload(error))

    def rename_recipe(self, recipe_json: str, name: str) -> str:
        """The recipe under a new display name (its id stays, so texts using it keep working)."""
        from ..recipe import Recipe

        try:
            recipe = Recipe.from_json(recipe_json, self.service.voice_bank.presets)
            return _json({"recipe": recipe.named(name, recipe.id).to_dict()})
        except KoeError as error:
            return _json(error_payload(error))

    async def embed(self, js_samples: Any) -> str:
        """The speaker embedding of 16 kHz samples, as natively (SpeakerEncoder.aembed)."""
        try:
            encoder = await self.service.speaker_encoder()
            return _json({"embedding": await encoder.aembed(_samples(js_samples))})
        except KoeError as error:
            return _json(error_payload(error))

    async def _voice_search(self, request_id: int, options: dict, progress: Any, search: Callable[..., Any]) -> str:
        """Run ``search(progress=..., cancelled=..., backend=..., max_steps=...)`` (a KoeService voice
        search, its other arguments bound) so the page can follow it (``progress(json)`` after each
        measurement) and stop it (:meth:`cancel` with ``request_id``: the best voice so far is
        kept); its recipe as JSON, or the error."""
        request_id = int(request_id)
        started = time.perf_counter()

        def report(p) -> None:
            progress(_json({"step": p.step, "total": p.total, "best_score": p.best_score, "elapsed_s": p.elapsed_s,
                            "budget_s": p.budget_s, "components": [list(c) for c in p.components]}))

        async def cancelled() -> bool:
            # A macrotask turn, so that the worker can take a pending "cancel" message: ORT's runs
            # resolve as microtasks, and between them no message would ever be dispatched.
            await asyncio.sleep(0.001)
            return request_id in self._cancelled

        try:
            recipe = await search(progress=report, cancelled=cancelled, backend=options.get("backend") or None,
                                  max_steps=int(options["max_steps"]) if options.get("max_steps") else None)
            stopped = request_id in self._cancelled
        except KoeError as error:
            return _json(error_payload(error))
        finally:
            self._cancelled.discard(request_id)
        return _json({"recipe": recipe.to_dict(), "seconds": time.perf_counter() - started, "cancelled": stopped})

    async def create_voice(self, request_id: int, js_samples: Any, options_json: str, progress: Any) -> str:
        """Reference audio (16 kHz Float32Array) -> a registered recipe (JSON), by KoeService.create_voice."""
        from ..service import SUFFIX

        options = json.loads(options_json)
        search = partial(self.service.create_voice, _samples(js_samples), name=options.get("name") or None,
                         existing=SUFFIX, language=options.get("language") or None,
                         source=str(options.get("source") or ""), budget_s=float(options.get("budget_s") or 60.0))
        return await self._voice_search(request_id, options, progress, search)

    async def refine_voice(self, request_id: int, voice_id: str, options_json: str, progress: Any) -> str:
        """Continue the search of a registered custom voice ("Improve further"), by
        KoeService.refine_voice; the improved recipe replaces it in the engine and is returned
        (JSON) for the page to store. Stop keeps the best voice so far, never a worse one."""
        options = json.loads(options_json)
        search = partial(self.service.refine_voice, str(voice_id), float(options.get("budget_s") or 60.0))
        return await self._voice_search(request_id, options, progress, search)

    # --- synthesis -----------------------------------------------------------------------------

    def check_text(self, text: str, voice: str | None = None, lang: str | None = None) -> str:
        """Before synthesizing: the language the text will be read in, and a warning when the
        text's script is one that language cannot read (``{"language", "mismatch"}``)."""
        from ..lang.scripts import script_mismatch

        try:
            engine = self.service.engine
            language = engine.language_for(engine.resolve_voice(voice or None), lang or None)
        except KoeError as error:
            return _json(error_payload(error))
        return _json({"language": language, "mismatch": script_mismatch(str(text), language)})

    def cancel(self, request_id: int) -> None:
        self._cancelled.add(int(request_id))

    async def stream(self, request_id: int, backend: str, text: str, voice: str | None, speed: float,
                     emit: Any, record: bool = False, wav: bool = True, lang: str | None = None) -> str:
        """Synthesize, calling ``emit("chunk", meta_json, Float32Array)`` per chunk and, if ``wav``,
        ``emit("wav", "", Uint8Array)`` once at the end (16-bit PCM, encoded by :mod:`koe.wav`
        chunk by chunk while the audio plays). Returns a JSON summary (or ``{"error": ...}``)."""
        from js import Float32Array, Uint8Array

        from ..wav import PCM16, pcm16_bytes, wav_header

        request_id = int(request_id)
        voice = voice if isinstance(voice, str) and voice else None  # JS null/undefined -> default voice
        lang = lang if isinstance(lang, str) and lang else None
        engine = self.service.engine_for(backend)
        session = engine.session
        before = (session.calls, session.seconds, session.ort_ms)
        session.record = [] if record else None
        started = time.perf_counter()
        chunks, samples, cancelled, pcm = 0, 0, False, []
        try:
            plan = await engine.aplan(text, voice, speed, lang)
            stream = engine.astream(text, plan=plan)
            try:
                async for chunk in stream:
                    if request_id in self._cancelled:
                        cancelled = True
                        break
                    data = Float32Array.new(len(chunk.samples))
                    data.assign(chunk.samples)  # one copy: Python -> JS (then transferred to the page)
                    meta = {"index": chunk.index, "total": chunk.total, "text": chunk.text, "phonemes": chunk.phonemes,
                            "sample_rate": chunk.sample_rate, "seconds": chunk.timings.get("seconds"),
                            "words": [w.as_dict() for w in chunk.words]}
                    emit("chunk", _json(meta), data)
                    chunks += 1
                    samples += len(chunk.samples)
                    if wav:
                        pcm.append(pcm16_bytes(chunk.samples))
                    if request_id in self._cancelled:
                        cancelled = True
                        break
            finally:
                await stream.aclose()
        except KoeError as error:
            return _json(error_payload(error))
        finally:
            self._cancelled.discard(request_id)
            self.last_record = session.record
            session.record = None
        elapsed = time.perf_counter() - started
        if wav and not cancelled:
            body = b"".join(pcm)
            wav_bytes = wav_header(engine.sample_rate, len(body), PCM16) + body
            out = Uint8Array.new(len(wav_bytes))
            out.assign(wav_bytes)
            emit("wav", "", out)
        return _json({
            "chunks": chunks, "total": len(plan.chunks), "samples": samples, "cancelled": cancelled,
            "sample_rate": engine.sample_rate, "seconds": elapsed, "language": plan.language,
            "mismatch": plan.mismatch,
            "model_calls": session.calls - before[0], "model_seconds": session.seconds - before[1],
            "ort_ms": session.ort_ms - before[2], "skipped": plan.skipped, "backend": backend,
            "inputs": self.last_record if record else None,
        })


__all__ = ["BrowserRuntime", "BrowserSession", "BrowserAssets", "BrowserHost"]
