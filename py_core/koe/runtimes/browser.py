"""The browser runtime: onnxruntime-web, reached through a small JS bridge (Pyodide only).

The web worker (web/worker.mjs) loads Pyodide, installs the ``koe`` wheel and hands a
*bridge* object to :class:`BrowserHost`. Everything numeric stays in onnxruntime-web;
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

Outputs cross back with one copy (``TypedArray.assign_to`` into a pre-sized array).
``pyodide`` and ``js`` are imported lazily so this module can be imported (and its pure
parts tested) under CPython.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from typing import Any, Mapping

from ..errors import KoeError
from ..runtime import TYPECODES, Tensor

#: array typecode -> PyProxy.getBuffer() type (see Pyodide's PyBuffer docs).
BUFFER_TYPES = {"f": "f32", "d": "f64", "q": "i64", "i": "i32", "B": "u8", "b": "i8"}
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
        from ..errors import AssetError

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


class BrowserHost:
    """What web/worker.mjs drives: engines per backend, streaming, cancellation, custom voices."""

    def __init__(self, bridge: Any, manifest_json: str) -> None:
        manifest = json.loads(manifest_json)
        self.bridge = bridge
        self.assets = BrowserAssets(bridge, manifest["files"])
        self.engines: dict[str, Any] = {}
        self.model: str | None = None
        self.model_options: dict[str, str] = {}
        self._cancelled: set[int] = set()
        self.last_record: list[dict] | None = None

    # --- loading -------------------------------------------------------------------------------

    async def load(self, backend: str, model: str, options_json: str = "{}") -> str:
        """Load the engine for ``backend`` (``wasm`` or ``webgpu``); the first one loads vocab, voices and G2P."""
        from ..engine import Koe

        if backend in self.engines:
            return json.dumps({"backend": backend, "model": self.model})
        options = json.loads(options_json)
        if not self.engines:
            engine = await Koe.aload(self.assets, BrowserRuntime(self.bridge, backend), model=model, model_options=options)
            self.model, self.model_options = model, options
        else:
            base = next(iter(self.engines.values()))
            runtime = BrowserRuntime(self.bridge, backend)
            session = await runtime.load(self.assets.local_path(model) or await self.assets.read(model),
                                         name="kokoro", options=options)
            engine = Koe(session=session, vocab=base.vocab, voices=base.voice_bank, assets=self.assets,
                         runtime=runtime, g2p_session=base.g2p_session)
            engine._g2p = base._g2p  # share the loaded dictionaries
        self.engines[backend] = engine
        return json.dumps({"backend": backend, "model": model})

    async def warm(self) -> str:
        """Load the default voice's dictionary and voice pack now (after start-up, before the first request)."""
        engine = next(iter(self.engines.values()))
        blend = engine.resolve_voice(None)
        await engine.g2p_for(blend.language)
        for voice_id, _ in blend.components:
            await engine.voice_bank.pack(voice_id)
        return blend.language

    def unload(self, backend: str) -> None:
        engine = self.engines.pop(backend, None)
        if engine is not None:
            engine.session.release()

    def _engine(self, backend: str):
        engine = self.engines.get(backend)
        if engine is None:
            raise RuntimeError(f"backend {backend!r} is not loaded")
        return engine

    # --- catalogue -----------------------------------------------------------------------------

    def voices(self) -> str:
        engine = next(iter(self.engines.values()))
        return json.dumps({"default": engine.voice_bank.default, "voices": [v.as_dict() for v in engine.voices()]})

    def set_custom_voices(self, recipes_json: str) -> str:
        """Replace the custom voices by ``[{id, name, components: [[preset, weight], ...]}]``."""
        from ..voices import VoiceInfo

        engine = next(iter(self.engines.values()))
        bank = engine.voice_bank
        problems = []
        for voice_id in list(bank.custom):
            bank.remove_custom(voice_id)
        for recipe in json.loads(recipes_json):
            try:
                components = [(str(v), float(w)) for v, w in recipe["components"]]
                lead = max(components, key=lambda c: c[1])[0]
                preset = bank.presets.get(lead)
                info = VoiceInfo(str(recipe["id"]), str(recipe.get("name") or recipe["id"]),
                                 preset.language if preset else "unknown", "custom",
                                 preset.language_name if preset else "", custom=True)
                bank.add_custom(info, components)
            except KoeError as error:
                problems.append(f"{recipe.get('id')}: {error.message}")
            except (KeyError, TypeError, ValueError):
                problems.append(f"{recipe.get('id', '?')}: not a valid voice recipe")
        return json.dumps({"problems": problems})

    # --- custom voices from reference audio -------------------------------------------------------

    async def _speaker(self):
        """The speaker encoder (mel front end + d-vector graphs on WASM), loaded on first use."""
        from ..speaker import SpeakerEncoder

        if getattr(self, "_encoder", None) is None:
            self._encoder = await SpeakerEncoder.aload(self.assets, BrowserRuntime(self.bridge, "wasm"))
        return self._encoder

    @staticmethod
    def _samples(js_samples: Any) -> array:
        """A JS Float32Array (16 kHz mono) -> ``array('f')`` (one copy)."""
        length = int(js_samples.length)
        data = array("f", [0.0]) * length
        if length:
            js_samples.assign_to(data)
        return data

    def _new_id(self, bank, name: str | None) -> tuple[str, str]:
        """(id, name) for a new voice: ``added_speaker_N`` by default, else the name's slug (made unique)."""
        from ..custom_voices import DEFAULT_PREFIX, clean_name, slugify

        taken = set(bank.presets) | set(bank.custom)
        if name:
            name = clean_name(name)
            base = slugify(name) or "voice"
            if base in bank.presets:
                base = f"{base}_custom"
            voice_id, n = base, 2
            while voice_id in taken:
                voice_id, n = f"{base}_{n}", n + 1
            return voice_id, name
        numbers = [int(v[len(DEFAULT_PREFIX):]) for v in taken
                   if v.startswith(DEFAULT_PREFIX) and v[len(DEFAULT_PREFIX):].isdigit()]
        n = max(numbers, default=0) + 1
        return f"{DEFAULT_PREFIX}{n}", f"{DEFAULT_PREFIX}{n}"

    async def embed(self, js_samples: Any) -> str:
        """The speaker embedding (JSON list) of 16 kHz samples: SpeakerEncoder.aembed, as natively."""
        try:
            encoder = await self._speaker()
            return json.dumps({"embedding": await encoder.aembed(self._samples(js_samples))})
        except KoeError as error:
            return json.dumps(error_payload(error))

    async def create_voice(self, request_id: int, js_samples: Any, options_json: str, progress: Any) -> str:
        """Reference audio (16 kHz Float32Array) -> a recipe (JSON), registered in the voice bank.

        The same pipeline as natively (:func:`koe.custom_voices.clone_voice`'s steps):
        :func:`koe.speaker.prepare_reference` (errors come back as ``{"error", "code"}``), the
        speaker encoder, then :func:`koe.custom_voices.match_voice` within ``budget_s``;
        ``progress(json)`` is called after each measurement, and :meth:`cancel` with ``request_id`` stops the search (the best mix so far is kept).
        """
        from dataclasses import replace

        from ..custom_voices import _spec, match_voice, register, starting_mix
        from ..speaker import prepare_reference

        request_id = int(request_id)
        options = json.loads(options_json)
        engine = self._engine(options.get("backend") or "wasm")  # the search synthesizes on the active backend
        bank = engine.voice_bank
        started = time.perf_counter()
        try:
            samples = self._samples(js_samples)
            reference = prepare_reference(samples)  # unusable audio fails here, before anything loads
            voice_id, name = self._new_id(bank, options.get("name") or None)
            encoder = await self._speaker()

            def report(p) -> None:
                progress(json.dumps({"step": p.step, "total": p.total, "best_score": p.best_score,
                                     "elapsed_s": p.elapsed_s, "budget_s": p.budget_s,
                                     "components": [list(c) for c in p.components]}))

            async def cancelled() -> bool:
                # A macrotask turn, so that the worker can take a pending "cancel" message: ORT's runs
                # resolve as microtasks, and between them no message would ever be dispatched.
                await asyncio.sleep(0.001)
                return request_id in self._cancelled

            max_steps = options.get("max_steps")
            language = options.get("language") or None
            embedding = await encoder.aembed(reference.samples)
            # clone_voice's steps, with one addition: the search's one-off costs (the dictionary of
            # the mix's language, the candidate voice packs) are paid before its clock starts, so
            # the time budget goes to measurements (in Pyodide a dictionary takes seconds to load).
            pool, start = starting_mix(bank, embedding, language)
            await engine.g2p_for(bank.resolve(_spec(start)).language)
            for voice_id_ in pool:
                await bank.pack(voice_id_)
            recipe = await match_voice(engine, encoder, embedding, language=language,
                                       budget_s=float(options.get("budget_s") or 20.0), progress=report,
                                       cancelled=cancelled,
                                       max_steps=int(max_steps) if max_steps else None)
            recipe = replace(recipe, source=str(options.get("source") or "")[:200],
                             seconds=reference.speech_seconds).named(name, voice_id)
            register(bank, recipe)
            stopped = request_id in self._cancelled
        except KoeError as error:
            return json.dumps(error_payload(error))
        finally:
            self._cancelled.discard(request_id)
        return json.dumps({"recipe": recipe.to_dict(), "seconds": time.perf_counter() - started,
                           "cancelled": stopped})

    # --- synthesis -----------------------------------------------------------------------------

    def cancel(self, request_id: int) -> None:
        self._cancelled.add(int(request_id))

    async def stream(self, request_id: int, backend: str, text: str, voice: str | None, speed: float,
                     emit: Any, record: bool = False, wav: bool = True) -> str:
        """Synthesize, calling ``emit("chunk", meta_json, Float32Array)`` per chunk and, if ``wav``,
        ``emit("wav", "", Uint8Array)`` once at the end (16-bit PCM, encoded by :mod:`koe.wav`
        chunk by chunk while the audio plays). Returns a JSON summary (or ``{"error": ...}``)."""
        from js import Float32Array, Uint8Array

        from ..wav import PCM16, pcm16_bytes, wav_header

        request_id = int(request_id)
        voice = voice if isinstance(voice, str) and voice else None  # JS null/undefined -> default voice
        engine = self._engine(backend)
        session = engine.session
        before = (session.calls, session.seconds, session.ort_ms)
        session.record = [] if record else None
        started = time.perf_counter()
        chunks, samples, cancelled, pcm = 0, 0, False, []
        try:
            plan = await engine.aplan(text, voice, speed)
            stream = engine.astream(text, voice, speed, plan=plan)
            try:
                async for chunk in stream:
                    if request_id in self._cancelled:
                        cancelled = True
                        break
                    data = Float32Array.new(len(chunk.samples))
                    data.assign(chunk.samples)  # one copy: Python -> JS (then transferred to the page)
                    meta = {"index": chunk.index, "total": chunk.total, "text": chunk.text, "phonemes": chunk.phonemes,
                            "sample_rate": chunk.sample_rate, "seconds": chunk.timings.get("seconds")}
                    emit("chunk", json.dumps(meta), data)
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
            return json.dumps(error_payload(error))
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
        return json.dumps({
            "chunks": chunks, "total": len(plan.chunks), "samples": samples, "cancelled": cancelled,
            "sample_rate": engine.sample_rate, "seconds": elapsed,
            "model_calls": session.calls - before[0], "model_seconds": session.seconds - before[1],
            "ort_ms": session.ort_ms - before[2], "skipped": plan.skipped, "backend": backend,
            "inputs": self.last_record if record else None,
        })


__all__ = ["BrowserRuntime", "BrowserSession", "BrowserAssets", "BrowserHost", "BUFFER_TYPES"]
