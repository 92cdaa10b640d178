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

import threading
from dataclasses import replace
from typing import Any, Awaitable, Callable, Collection, Iterable, Mapping, Sequence

from .engine import Koe
from .errors import InvalidRecipeError, KoeError, UnknownVoiceError, VoiceBusyError, VoiceExistsError
from .recipe import Recipe, register, tidy_components
from .rules import check_id, clean_name, new_voice_id, slugify
from .runtime import Runtime
from .style_search import DEFAULT_BUDGET_S, ProgressCallback, check_budget, search_voice
from .style_space import StyleBasis, StyleVoice
from .voice_search import blend_spec, starting_mix
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
        self._search_encoder: Any = None
        self._basis: StyleBasis | None = None
        self._refining: set[str] = set()
        self._refining_lock = threading.Lock()

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

    async def search_encoder(self):
        """What the voice search scores with (:func:`koe.style_search.search_encoder`), loaded on first use."""
        from .style_search import search_encoder

        if self._search_encoder is None:
            engine = self.engine
            self._search_encoder = await search_encoder(engine.assets, self._encoder_runtime or engine.runtime,
                                                        await self.speaker_encoder())
        return self._search_encoder

    async def style_basis(self) -> StyleBasis:
        if self._basis is None:
            self._basis = await StyleBasis.aload(self.engine.assets)
        return self._basis

    async def _scorer_for(self, embeddings: Mapping[str, Sequence[float]]):
        """The search encoder and the reference in its space, for the reference ``embeddings`` at hand
        (by encoder name): a recipe made before the GE2E encoder only has the d-vector's."""
        scorer = await self.search_encoder()
        parts = getattr(scorer, "parts", None)
        if parts and all(name in embeddings for name in parts):
            return scorer, scorer.combine(embeddings)
        dvector = await self.speaker_encoder()
        return dvector, list(embeddings["dvector"])

    async def create_voice(self, samples: Sequence[float], sample_rate: int = 16000, *, name: str | None = None,
                           existing: str = REFUSE, language: str | None = None, source: str = "",
                           seconds: float | None = None, budget_s: float | None = None, max_steps: int | None = None,
                           progress: ProgressCallback | None = None,
                           cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None,
                           backend: str | None = None, save: bool = True) -> Recipe:
        """Reference audio -> a saved, registered custom voice that sounds like its speaker.

        The voice starts as the softmax-weighted mix of the presets nearest to the speaker
        and is then moved out of the presets' hull by :func:`koe.style_search.search_voice`
        for ``seconds`` (``budget_s`` is the older name; default
        :data:`~koe.style_search.DEFAULT_BUDGET_S`, at most ``MAX_BUDGET_S``) or
        ``max_steps`` candidates. ``progress`` hears a
        :class:`~koe.style_search.SearchProgress` after every candidate (its ``similarity``
        is the best reached); ``cancelled()`` stops the search and keeps the best voice so
        far. Unusable audio (:class:`~koe.errors.ReferenceAudioError`), a refused name
        (:class:`~koe.errors.VoiceExistsError`), a bad time (ValueError) and a store that
        cannot be written (:class:`~koe.errors.VoiceStoreError`) fail before anything slow.
        With ``save=False`` the recipe is returned unsaved and unregistered (:meth:`save_voice`
        does that later).
        """
        from .speaker import prepare_reference

        budget = check_budget(seconds if seconds is not None else budget_s if budget_s is not None
                              else DEFAULT_BUDGET_S)
        reference = prepare_reference(samples, sample_rate)
        voice_id, display = self.choose_id(name, existing=existing)
        if self.store is not None:
            self.store.check_writable()  # before the search, not after it
        engine = self.engine_for(backend)
        bank = engine.voice_bank
        dvector = await self.speaker_encoder()
        scorer = await self.search_encoder()
        embeddings = {"dvector": await dvector.aembed(reference.samples)}
        for part, (encoder, _) in getattr(scorer, "parts", {}).items():
            if part not in embeddings:
                embeddings[part] = await encoder.aembed(reference.samples)
        _, mix = starting_mix(bank, embeddings["dvector"], language,
                              others={k: v for k, v in embeddings.items() if k != "dvector"})
        start = StyleVoice(tidy_components(mix.items()))
        recipe = Recipe(id=voice_id, name=display, components=start.components,
                        language=bank.resolve(blend_spec(dict(start.components))).language,
                        gender=_gender(bank, start.components), embedding=tuple(embeddings["dvector"]),
                        embeddings={k: tuple(round(x, 4) for x in v) for k, v in embeddings.items() if k != "dvector"},
                        source=str(source)[:200], seconds=reference.speech_seconds)
        recipe = await self._search(engine, recipe, start, embeddings, language, budget, max_steps, progress,
                                    cancelled)
        return self.save_voice(recipe, replace_existing=existing == REPLACE) if save else recipe

    async def _search(self, engine: Koe, recipe: Recipe, start: StyleVoice, embeddings: Mapping[str, Sequence[float]],
                      language: str | None, budget: float, max_steps: int | None, progress, cancelled) -> Recipe:
        """``recipe`` with the voice the search found from ``start`` (the one-off costs - the
        text front end, the mix's voice packs, the basis - paid before its clock starts)."""
        bank = engine.voice_bank
        scorer, target = await self._scorer_for(embeddings)
        basis = await self.style_basis()
        await engine.front_end(recipe.language)
        for preset, _ in start.components:
            await bank.pack(preset)
        result = await search_voice(engine, scorer, target, basis=basis, start=start, language=recipe.language,
                                    budget_s=budget, progress=progress, cancelled=cancelled,
                                    max_evaluations=max_steps)
        return replace(recipe.with_voice(result.voice), score=round(result.similarity, 4))

    async def refine_voice(self, voice_id: str, seconds: float | None = None, *, max_steps: int | None = None,
                           progress: ProgressCallback | None = None,
                           cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None,
                           backend: str | None = None, save: bool = True) -> Recipe:
        """Continue the search of an existing custom voice for ``seconds`` and save what it reaches.

        The search starts from the voice as it is (so the result is never worse by the search's
        measure) toward the reference embeddings stored in its recipe. Raises
        UnknownVoiceError for a voice that is not a custom voice here, VoiceBusyError while
        the same voice is being refined, InvalidRecipeError for a recipe with no reference
        embedding; ``cancelled()`` stops it and keeps the best voice so far.
        """
        budget = check_budget(seconds if seconds is not None else DEFAULT_BUDGET_S)
        recipe = self.custom_recipe(voice_id)
        if len(recipe.embedding) == 0:
            raise InvalidRecipeError(f"The voice {voice_id!r} has no reference embedding to improve toward.")
        if self.store is not None:
            self.store.check_writable()
        with self._refining_lock:
            if voice_id in self._refining:
                raise VoiceBusyError(f"The voice {voice_id!r} is already being improved; wait for that to finish.")
            self._refining.add(voice_id)
        try:
            engine = self.engine_for(backend)
            embeddings = {"dvector": recipe.embedding, **recipe.embeddings}
            refined = await self._search(engine, recipe, recipe.voice, embeddings, recipe.language, budget,
                                         max_steps, progress, cancelled)
            if not save:
                return refined
            if (self.store is not None and not self.store.exists(voice_id)) or voice_id not in self.voice_bank.custom:
                raise UnknownVoiceError(voice_id)  # deleted while it was being refined: not brought back
            return self.save_voice(refined, replace_existing=True)
        finally:
            with self._refining_lock:
                self._refining.discard(voice_id)

    def refining(self, voice_id: str) -> bool:
        """Whether ``voice_id`` is being refined now."""
        return voice_id in self._refining

    def custom_recipe(self, voice_id: str) -> Recipe:
        """The recipe of a custom voice (from the store when there is one); UnknownVoiceError if none."""
        bank = self.voice_bank
        if voice_id in bank.presets or voice_id in self.reserved:
            raise UnknownVoiceError(voice_id)
        if self.store is not None:
            try:
                return self.store.get(voice_id)
            except InvalidRecipeError:
                raise UnknownVoiceError(voice_id) from None
        if voice_id not in bank.custom:
            raise UnknownVoiceError(voice_id)
        return Recipe.from_dict(bank.custom[voice_id][0].extra, bank.presets)

    def save_voice(self, recipe: Recipe, *, replace_existing: bool = False) -> Recipe:
        """Save ``recipe`` in the store (if any) and register it; returns the recipe as saved."""
        if self.store is not None:
            recipe = self.store.save(recipe, overwrite=replace_existing)
        self.voice_bank.remove_custom(recipe.id)
        register(self.voice_bank, recipe)
        return recipe


def _gender(bank, components: Sequence[tuple[str, float]]) -> str:
    votes: dict[str, float] = {}
    for voice, weight in components:
        gender = bank.presets[voice].gender
        votes[gender] = votes.get(gender, 0.0) + weight
    return max(votes, key=votes.get)


__all__ = ["KoeService", "REFUSE", "REPLACE", "SUFFIX"]
