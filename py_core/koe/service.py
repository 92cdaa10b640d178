"""The application layer: what the CLI, the server and the browser page do with the engine.

One place for what every interface needs beyond the engine's text -> audio walk:

* the engines, one per backend (the browser has CPU and WebGPU), sharing voices and
  text front ends;
* the custom voices: registered from a :class:`~koe.voice_store.VoiceStore` (CLI,
  server) or from the page's saved recipes (browser), always through
  :class:`~koe.recipe.Recipe`;
* the one voice-creation path: reference audio -> speaker embedding -> search -> a
  recipe named by the one id rule (:mod:`koe.rules`), registered and saved.

The CLI, the server and the browser facade (:mod:`koe.runtimes.browser`) translate their
inputs into calls on a :class:`KoeService` and its results into their outputs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Awaitable, Callable, Collection, Iterable, Mapping, Sequence

from .engine import Koe
from .errors import InvalidRecipeError, KoeError, UnknownVoiceError, VoiceExistsError
from .recipe import Recipe, register
from .rules import check_id, clean_name, new_voice_id, slugify
from .runtime import Runtime
from .voice_search import DEFAULT_BUDGET_S, ProgressCallback, blend_spec, match_voice, starting_mix
from .voice_store import VoiceStore

#: How an interface wants a taken id handled when a new voice is named like an existing one.
REFUSE, REPLACE, SUFFIX = "refuse", "replace", "suffix"


class KoeService:
    """Engines per backend, the voice catalogue with custom voices, and voice creation.

    ``store`` (optional) persists custom voices; ``reserved`` are ids a custom voice may not
    take besides the presets (the server's OpenAI voice names); ``encoder_runtime`` runs the
    speaker encoder (default: the engine's runtime).
    """

    def __init__(self, engine: Koe, *, backend: str = "default", store: VoiceStore | None = None,
                 reserved: Collection[str] = (), encoder_runtime: Runtime | None = None) -> None:
        self.engines: dict[str, Koe] = {backend: engine}
        self.default_backend = backend
        self.store = store
        self.reserved = frozenset(reserved)
        self._encoder_runtime = encoder_runtime
        self._encoder: Any = None

    # --- engines -------------------------------------------------------------------------------

    @property
    def engine(self) -> Koe:
        return self.engines[self.default_backend]

    @property
    def voice_bank(self):
        return self.engine.voice_bank

    def engine_for(self, backend: str | None = None) -> Koe:
        engine = self.engines.get(backend or self.default_backend)
        if engine is None:
            raise KeyError(f"backend {backend!r} is not loaded")
        return engine

    def add_engine(self, backend: str, engine: Koe) -> None:
        self.engines[backend] = engine

    def remove_engine(self, backend: str) -> Koe | None:
        return self.engines.pop(backend, None) if backend != self.default_backend else None

    # --- custom voices -------------------------------------------------------------------------

    def load_stored_voices(self) -> tuple[list[Recipe], dict[str, str]]:
        """Register every recipe of the store; returns those loaded and ``{file: problem}`` for the rest."""
        if self.store is None:
            return [], {}
        loaded = self.store.register_all(self.voice_bank)
        return loaded, dict(self.store.problems)

    def replace_custom_voices(self, recipes: Iterable[Any]) -> tuple[list[Recipe], list[str]]:
        """Make ``recipes`` (untrusted recipe dicts, e.g. the page's saved voices) the custom voices.

        Returns the validated recipes and one message per recipe that was refused.
        """
        bank = self.voice_bank
        for voice_id in list(bank.custom):
            bank.remove_custom(voice_id)
        accepted, problems = [], []
        for raw in recipes:
            label = raw.get("id", "?") if isinstance(raw, Mapping) else "?"
            try:
                recipe = Recipe.from_dict(raw, bank.presets)
                if recipe.id in bank.custom:
                    raise VoiceExistsError(f"A custom voice named {recipe.id!r} already exists.")
                register(bank, recipe)
                accepted.append(recipe)
            except KoeError as error:
                problems.append(f"{label}: {error.message}")
        return accepted, problems

    def taken_ids(self) -> set[str]:
        """Ids a new custom voice cannot take: presets, reserved names, custom voices (bank and store)."""
        taken = set(self.voice_bank.presets) | set(self.voice_bank.custom) | self.reserved
        if self.store is not None:
            taken |= self.store.ids()
        return taken

    def choose_id(self, name: str | None, *, existing: str = REFUSE) -> tuple[str, str]:
        """The ``(id, display name)`` for a new voice called ``name`` (None: ``added_speaker_N``).

        A name whose id is a preset's or reserved is refused (VoiceExistsError); one taken by
        another custom voice is refused, replaced or suffixed (``_2``) as ``existing`` says.
        """
        if name is not None:
            name = clean_name(name)
            base = slugify(name)
            if base:
                if base in self.voice_bank.presets or base in self.reserved:
                    raise VoiceExistsError(f"{base!r} is the name of a built-in voice; choose another name.")
                check_id(base)
                customs = self.taken_ids() - set(self.voice_bank.presets) - self.reserved
                if base in customs and existing == REFUSE:
                    raise VoiceExistsError(f"A custom voice {base!r} already exists; delete it first or choose "
                                           "another name.")
                if base in customs and existing == SUFFIX:
                    return new_voice_id(name, self.taken_ids(), self.voice_bank.presets)
                return base, name
        voice_id, default_name = new_voice_id(None, self.taken_ids(), self.voice_bank.presets)
        return voice_id, name or default_name

    def import_recipe(self, data: Any, *, name: str | None = None) -> Recipe:
        """A shared recipe (dict or JSON), validated, renamed if asked, with a free id (not registered)."""
        bank = self.voice_bank
        recipe = Recipe.from_dict(data, bank.presets) if isinstance(data, Mapping) \
            else Recipe.from_json(data, bank.presets)
        voice_id, display = self.choose_id(name if name is not None else recipe.name, existing=SUFFIX)
        return replace(recipe, id=voice_id, name=display)

    def delete_voice(self, voice_id: str) -> None:
        """Forget a custom voice (and delete its file when there is a store)."""
        bank = self.voice_bank
        if voice_id in bank.presets or voice_id in self.reserved:
            raise VoiceExistsError(f"{voice_id!r} is a built-in voice; only custom voices can be deleted.")
        known = voice_id in bank.custom
        if self.store is not None:
            try:
                self.store.delete(voice_id)
                known = True
            except (UnknownVoiceError, InvalidRecipeError):
                pass
        if not known:
            raise UnknownVoiceError(voice_id)
        bank.remove_custom(voice_id)

    # --- voice creation ------------------------------------------------------------------------

    async def speaker_encoder(self):
        """The speaker encoder (mel front end + d-vector graphs), loaded on first use."""
        from .speaker import SpeakerEncoder

        if self._encoder is None:
            engine = self.engine
            self._encoder = await SpeakerEncoder.aload(engine.assets, self._encoder_runtime or engine.runtime)
        return self._encoder

    async def create_voice(self, samples: Sequence[float], sample_rate: int = 16000, *, name: str | None = None,
                           existing: str = REFUSE, language: str | None = None, source: str = "",
                           budget_s: float = DEFAULT_BUDGET_S, max_steps: int | None = None,
                           progress: ProgressCallback | None = None,
                           cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None,
                           backend: str | None = None, save: bool = True) -> Recipe:
        """Reference audio -> a saved, registered custom voice that sounds like its speaker.

        Unusable audio (:class:`~koe.errors.ReferenceAudioError`), a refused name
        (:class:`~koe.errors.VoiceExistsError`) and a store that cannot be written
        (:class:`~koe.errors.VoiceStoreError`) fail before anything slow. The one-off costs
        of the search (the mix's text front end, the candidate voice packs) are paid before
        its clock starts, so ``budget_s`` goes to measurements. ``cancelled()`` stops the
        search and keeps the best mix so far. With ``save=False`` the recipe is returned
        unsaved and unregistered (:meth:`save_voice` does that later).
        """
        from .speaker import prepare_reference

        reference = prepare_reference(samples, sample_rate)
        voice_id, display = self.choose_id(name, existing=existing)
        if self.store is not None:
            self.store.check_writable()  # before the search, not after it
        engine = self.engine_for(backend)
        bank = engine.voice_bank
        encoder = await self.speaker_encoder()
        embedding = await encoder.aembed(reference.samples)
        pool, start = starting_mix(bank, embedding, language)
        await engine.front_end(bank.resolve(blend_spec(start)).language)
        for preset in pool:
            await bank.pack(preset)
        recipe = await match_voice(engine, encoder, embedding, language=language, budget_s=budget_s,
                                   progress=progress, cancelled=cancelled, max_steps=max_steps)
        recipe = replace(recipe, id=voice_id, name=display, source=str(source)[:200],
                         seconds=reference.speech_seconds)
        return self.save_voice(recipe, replace_existing=existing == REPLACE) if save else recipe

    def save_voice(self, recipe: Recipe, *, replace_existing: bool = False) -> Recipe:
        """Save ``recipe`` in the store (if any) and register it; returns the recipe as saved."""
        if self.store is not None:
            recipe = self.store.save(recipe, overwrite=replace_existing)
        self.voice_bank.remove_custom(recipe.id)
        register(self.voice_bank, recipe)
        return recipe


__all__ = ["KoeService", "REFUSE", "REPLACE", "SUFFIX"]
