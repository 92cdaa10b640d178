"""Custom voices: mixes of preset voices that sound like a reference speaker.

No registry ships zero-shot cloning weights for Kokoro (see shared/SOURCES.md), so a
custom voice is a *recipe*: preset voices with weights, which the engine mixes like any
blend. :func:`match_voice` finds the recipe whose speech is closest to a reference
speaker embedding (:mod:`koe.speaker`): it starts from a softmax-weighted top-k of the
presets' stored embeddings, then improves the mix by synthesizing a probe sentence with
candidate mixes and measuring them, within a time budget, with progress reports and a
cancel check. It is async because the browser runtime is. Measured speaker similarity on
a new sentence (benchmarks/voice_match_quality.py: 6 left-out presets and 3 espeak-ng
speakers, 30 s budget): plain average voice 0.43, nearest preset 0.62, top-k start 0.685,
after the search 0.694 - the start mix does most of the work, the search adds a little.

A :class:`Recipe` is a few KB of shareable JSON. :class:`VoiceStore` keeps recipes as
JSON files in a folder (``$KOE_VOICES_DIR``, default ``~/.local/share/koe/voices``) with
atomic writes; the CLI and the server use it, and :func:`load_into` registers its
recipes in a :class:`~koe.voices.VoiceBank`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Collection, Iterable, Mapping, Sequence

from .errors import AssetError, InvalidRecipeError, KoeError, UnknownVoiceError, VoiceExistsError
from .speaker import EMBEDDING_DIM, SAMPLE_RATE, SpeakerEncoder, cosine, prepare_reference
from .voices import VoiceBank, VoiceInfo

RECIPE_FORMAT = "koe-voice"
RECIPE_VERSION = 1
MAX_RECIPE_BYTES = 64 * 1024
MAX_COMPONENTS = 8
MIN_WEIGHT = 0.02              # lighter components are dropped from a finished recipe
DEFAULT_PREFIX = "added_speaker_"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

DEFAULT_BUDGET_S = 60.0
#: What candidate mixes say while the search measures them (about 4 s of speech). A probe
#: twice as long measured no better on the benchmark (mean 0.691 vs 0.694) at twice the cost.
PROBE_TEXT = "Rice is often served in round bowls, and a pot of tea helps to pass the evening."
TOP_K = 5                      # voices in the starting mix
POOL_SIZE = 8                  # voices the search may use
TEMPERATURE = 0.05             # softmax temperature over cosine similarities
LANGUAGE_BONUS = 0.05          # added to the similarity of voices in the reference's language
START_STEP = 0.3               # how far one search move shifts the mix toward a voice
MIN_STEP = 0.05
MIN_GAIN = 0.002               # a move must raise the score this much to be taken


def default_voices_dir() -> str:
    """``$KOE_VOICES_DIR``, else ``$XDG_DATA_HOME/koe/voices`` (``~/.local/share/koe/voices``)."""
    env = os.environ.get("KOE_VOICES_DIR")
    if env:
        return env
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "koe", "voices")


# --- names ------------------------------------------------------------------------------------

def slugify(name: str) -> str:
    """A display name -> a voice id: lowercase ASCII letters, digits and ``_`` (``""`` if none)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:48].rstrip("_")


def clean_name(name: str) -> str:
    """A display name without control characters or runs of spaces, at most 64 characters."""
    if not isinstance(name, str):
        raise InvalidRecipeError("A voice name must be text.", param="name")
    text = "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFC", name)
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())[:64].strip()
    if not text:
        raise InvalidRecipeError("A voice name cannot be empty.", param="name")
    return text


def check_id(voice_id: str, presets: Collection[str] = ()) -> str:
    """``voice_id`` if it is a safe file name and not a preset's id; raises otherwise."""
    if not isinstance(voice_id, str) or not _ID.match(voice_id):
        raise InvalidRecipeError(f"Invalid voice id {voice_id!r}: use 1 to 64 lowercase letters, digits, _ or -.",
                                 param="name")
    if voice_id in presets:
        raise VoiceExistsError(f"{voice_id!r} is a preset voice; choose another name.")
    return voice_id


# --- recipes ------------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tidy_components(components: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """Merge duplicates, drop weights under :data:`MIN_WEIGHT`, keep the heaviest 8, normalize, round."""
    merged: dict[str, float] = {}
    for voice, weight in components:
        merged[voice] = merged.get(voice, 0.0) + float(weight)
    ranked = sorted(((v, w) for v, w in merged.items() if w > 0), key=lambda c: -c[1])
    total = sum(w for _, w in ranked)
    if not ranked or not math.isfinite(total):
        raise InvalidRecipeError("A voice recipe needs at least one voice with a positive weight.")
    kept = [(v, w) for v, w in ranked if w / total >= MIN_WEIGHT][:MAX_COMPONENTS] or ranked[:1]
    total = sum(w for _, w in kept)
    return tuple((v, round(w / total, 4)) for v, w in kept)


@dataclass(frozen=True)
class Recipe:
    """A custom voice: preset voices and weights, plus where it came from.

    ``embedding`` is the reference speaker's embedding (so a recipe can be re-matched
    when the presets change); ``score`` the cosine similarity of the recipe's speech to
    it; ``seconds`` the seconds of reference speech used; ``source`` a short free text
    such as ``"file:alice.wav"`` or ``"microphone"``.
    """

    id: str
    name: str
    components: tuple[tuple[str, float], ...]
    language: str = "en-us"
    gender: str = "unknown"
    embedding: tuple[float, ...] = ()
    score: float | None = None
    created: str = field(default_factory=_now)
    source: str = ""
    seconds: float = 0.0

    @property
    def spec(self) -> str:
        """The blend string the engine accepts, e.g. ``af_heart(0.6)+bf_emma(0.4)``."""
        return "+".join(f"{voice}({weight:g})" for voice, weight in self.components)

    def voice_info(self, language_name: str = "") -> VoiceInfo:
        return VoiceInfo(self.id, self.name, self.language, self.gender, language_name, custom=True,
                         extra=self.to_dict())

    def named(self, name: str, voice_id: str | None = None) -> "Recipe":
        """This recipe under a new display name (and the id derived from it unless given)."""
        name = clean_name(name)
        return replace(self, name=name, id=voice_id if voice_id is not None else slugify(name))

    def to_dict(self) -> dict:
        return {
            "format": RECIPE_FORMAT, "version": RECIPE_VERSION, "id": self.id, "name": self.name,
            "components": [{"voice": v, "weight": w} for v, w in self.components],
            "language": self.language, "gender": self.gender, "score": self.score,
            "embedding": [round(x, 5) for x in self.embedding], "created": self.created,
            "source": self.source, "seconds": round(self.seconds, 2),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any, presets: Collection[str] | None = None) -> "Recipe":
        """Validate untrusted recipe JSON (an import, a file); ``presets`` are the known voice ids."""
        if not isinstance(data, Mapping) or data.get("format", RECIPE_FORMAT) != RECIPE_FORMAT:
            raise InvalidRecipeError("Not a Koe voice recipe.")
        if not isinstance(data.get("version", 1), int) or data.get("version", 1) > RECIPE_VERSION:
            raise InvalidRecipeError("This voice recipe needs a newer Koe.")
        raw = data.get("components")
        if not isinstance(raw, list) or not 1 <= len(raw) <= 4 * MAX_COMPONENTS:
            raise InvalidRecipeError("A voice recipe needs a list of components.")
        pairs = []
        for item in raw:
            voice = item.get("voice") if isinstance(item, Mapping) else None
            weight = item.get("weight") if isinstance(item, Mapping) else None
            if not isinstance(voice, str) or isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                    or not math.isfinite(weight) or weight <= 0:
                raise InvalidRecipeError("Each component needs a voice id and a positive weight.")
            if presets is not None and voice not in presets:
                raise InvalidRecipeError(f"The recipe uses {voice!r}, which is not a preset voice here.")
            pairs.append((voice, float(weight)))
        embedding = data.get("embedding") or []
        if not isinstance(embedding, list) or len(embedding) not in (0, EMBEDDING_DIM) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in embedding):
            raise InvalidRecipeError(f"A recipe's embedding must be {EMBEDDING_DIM} numbers.")
        score = data.get("score")
        name = clean_name(data.get("name") or data.get("id") or "voice")
        voice_id = data.get("id") or slugify(name)
        return cls(
            id=check_id(voice_id, presets or ()), name=name, components=tidy_components(pairs),
            language=_short_text(data.get("language"), "en-us"), gender=_short_text(data.get("gender"), "unknown"),
            embedding=tuple(float(x) for x in embedding),
            score=float(score) if isinstance(score, (int, float)) and math.isfinite(score) else None,
            created=_short_text(data.get("created"), _now()), source=_short_text(data.get("source"), ""),
            seconds=float(data["seconds"]) if isinstance(data.get("seconds"), (int, float)) else 0.0)

    @classmethod
    def from_json(cls, text: str | bytes, presets: Collection[str] | None = None) -> "Recipe":
        if len(text) > MAX_RECIPE_BYTES:
            raise InvalidRecipeError("A voice recipe is a few KB; this file is too large to be one.")
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise InvalidRecipeError("Not a Koe voice recipe (invalid JSON).") from None
        return cls.from_dict(data, presets)


def _short_text(value: Any, default: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:200] if isinstance(value, str) and value else default


def register(bank: VoiceBank, recipe: Recipe) -> None:
    """Make ``recipe`` usable by id in ``bank`` (``engine.voice_bank``)."""
    language_name = next((p.language_name for p in bank.presets.values() if p.language == recipe.language), "")
    bank.add_custom(recipe.voice_info(language_name), recipe.components)


# --- the store ---------------------------------------------------------------------------------

class VoiceStore:
    """Recipes as ``<id>.json`` files in one folder, written atomically.

    ``presets`` (the preset ids) keeps custom ids from shadowing presets and imports from
    naming unknown voices. Safe for concurrent use by threads of one process; a save
    that would replace another voice fails instead (unless ``overwrite``).
    """

    def __init__(self, root: str | os.PathLike | None = None, presets: Collection[str] = ()) -> None:
        self.root = os.fspath(root) if root is not None else default_voices_dir()
        self.presets = frozenset(presets)
        self.problems: dict[str, str] = {}  # file name -> why it was skipped by list()
        self._lock = threading.Lock()

    def _path(self, voice_id: str) -> str:
        return os.path.join(self.root, f"{check_id(voice_id)}.json")

    def list(self) -> list[Recipe]:
        """Every readable recipe, oldest first; unreadable files are skipped (see ``problems``)."""
        recipes, self.problems = [], {}
        try:
            names = sorted(n for n in os.listdir(self.root) if n.endswith(".json") and not n.startswith("."))
        except FileNotFoundError:
            return []
        for file_name in names:
            try:
                with open(os.path.join(self.root, file_name), "rb") as handle:
                    recipe = Recipe.from_json(handle.read(MAX_RECIPE_BYTES + 1), self.presets or None)
                if f"{recipe.id}.json" != file_name:
                    raise InvalidRecipeError(f"its id {recipe.id!r} does not match the file name")
                recipes.append(recipe)
            except (OSError, KoeError) as error:
                self.problems[file_name] = str(error)
        return sorted(recipes, key=lambda r: (r.created, r.id))

    def exists(self, voice_id: str) -> bool:
        return os.path.isfile(self._path(voice_id))

    def get(self, voice_id: str) -> Recipe:
        try:
            with open(self._path(voice_id), "rb") as handle:
                return Recipe.from_json(handle.read(MAX_RECIPE_BYTES + 1), self.presets or None)
        except (FileNotFoundError, InvalidRecipeError):
            raise UnknownVoiceError(voice_id) from None

    def next_default(self) -> tuple[str, str]:
        """The next free ``added_speaker_N`` (id and display name)."""
        taken = set()
        try:
            taken = {n[:-5] for n in os.listdir(self.root) if n.endswith(".json")}
        except FileNotFoundError:
            pass
        number = 1 + max((int(t[len(DEFAULT_PREFIX):]) for t in taken
                          if t.startswith(DEFAULT_PREFIX) and t[len(DEFAULT_PREFIX):].isdigit()), default=0)
        return f"{DEFAULT_PREFIX}{number}", f"{DEFAULT_PREFIX}{number}"

    def save(self, recipe: Recipe, *, overwrite: bool = False) -> Recipe:
        """Write ``recipe``; one without an id gets the next ``added_speaker_N``. Returns what was saved."""
        with self._lock:
            if not recipe.id:
                voice_id, default_name = self.next_default()
                recipe = replace(recipe, id=voice_id, name=recipe.name or default_name)
            check_id(recipe.id, self.presets)
            recipe = Recipe.from_dict(recipe.to_dict(), self.presets or None)  # as a later load will see it
            os.makedirs(self.root, exist_ok=True)
            path = self._path(recipe.id)
            data = json.dumps(recipe.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{recipe.id}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if overwrite:
                    os.replace(tmp, path)
                else:
                    try:
                        os.link(tmp, path)  # atomic, and fails if the id was taken meanwhile
                    except FileExistsError:
                        raise VoiceExistsError(f"A custom voice named {recipe.id!r} already exists.") from None
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return recipe

    def rename(self, voice_id: str, name: str) -> Recipe:
        """Change a voice's display name (its id stays, so texts using it keep working)."""
        return self.save(replace(self.get(voice_id), name=clean_name(name)), overwrite=True)

    def delete(self, voice_id: str) -> None:
        try:
            os.unlink(self._path(voice_id))
        except FileNotFoundError:
            raise UnknownVoiceError(voice_id) from None

    def export_json(self, voice_id: str) -> str:
        """A recipe as shareable JSON (what :meth:`import_json` reads)."""
        return json.dumps(self.get(voice_id).to_dict(), ensure_ascii=False, indent=1)

    def import_json(self, data: str | bytes | Mapping, *, name: str | None = None) -> Recipe:
        """Save a shared recipe; a taken id gets a ``_2``, ``_3``... suffix. Raises InvalidRecipeError."""
        recipe = Recipe.from_dict(data, self.presets or None) if isinstance(data, Mapping) \
            else Recipe.from_json(data, self.presets or None)
        if name is not None:
            recipe = recipe.named(name)
            check_id(recipe.id or "x", self.presets)
        base = recipe.id
        for number in range(2, 1000):
            try:
                return self.save(recipe)
            except VoiceExistsError:
                recipe = replace(recipe, id=f"{base[:60]}_{number}")
        raise VoiceExistsError(f"Too many custom voices named {base!r}.")


def load_into(bank: VoiceBank, voices_dir: str | os.PathLike | None = None) -> list[Recipe]:
    """Register every stored recipe in ``bank`` (skipping ones it cannot use); returns those registered."""
    store = VoiceStore(voices_dir, presets=bank.presets)
    loaded = []
    for recipe in store.list():
        try:
            register(bank, recipe)
            loaded.append(recipe)
        except KoeError:
            continue
    return loaded


# --- matching ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MatchProgress:
    """One step of :func:`match_voice`: ``step`` of (about) ``total`` candidate measurements."""

    step: int
    total: int
    best_score: float
    elapsed_s: float
    budget_s: float
    components: tuple[tuple[str, float], ...]


ProgressCallback = Callable[[MatchProgress], "Awaitable[None] | None"]


def preset_embeddings(bank: VoiceBank) -> dict[str, list[float]]:
    """The stored speaker embedding of each preset (built by tools/build_speaker_assets.py)."""
    found = {vid: info.extra.get("speaker_embedding") for vid, info in bank.presets.items()}
    found = {vid: list(vec) for vid, vec in found.items() if isinstance(vec, list) and len(vec) == EMBEDDING_DIM}
    if not found:
        raise AssetError("the voice index has no speaker embeddings; run tools/build_speaker_assets.py")
    return found


def _language_bonus(voice_language: str, wanted: str | None) -> float:
    if not wanted:
        return 0.0
    wanted = wanted.lower()
    if voice_language == wanted:
        return LANGUAGE_BONUS
    return LANGUAGE_BONUS / 2 if voice_language.split("-")[0] == wanted.split("-")[0] else 0.0


def starting_mix(bank: VoiceBank, reference: Sequence[float], language: str | None = None,
                 top_k: int = TOP_K, temperature: float = TEMPERATURE) -> tuple[list[str], dict[str, float]]:
    """The search pool (best :data:`POOL_SIZE` presets) and the softmax-weighted top-k mix."""
    embeddings = preset_embeddings(bank)
    scored = sorted(((cosine(reference, vec) + _language_bonus(bank.presets[vid].language, language), vid)
                     for vid, vec in embeddings.items()), reverse=True)
    pool = [vid for _, vid in scored[:max(POOL_SIZE, top_k)]]
    top = scored[:top_k]
    weights = [math.exp((s - top[0][0]) / temperature) for s, _ in top]
    total = sum(weights)
    return pool, {vid: w / total for (_, vid), w in zip(top, weights)}


def _spec(weights: Mapping[str, float]) -> str:
    return "+".join(f"{v}({w:.4f})" for v, w in weights.items() if w > 1e-4)


def _moves(weights: dict[str, float], pool: Sequence[str], step: float,
           favourite: str | None = None) -> list[tuple[str, dict[str, float]]]:
    """Neighbouring mixes as (voice, mix): ``step`` of the weight shifted toward each pool voice
    (``favourite``, the last move that helped, first), then each voice dropped."""
    out = []
    for voice in sorted(pool, key=lambda v: v != favourite):
        moved = {v: (1 - step) * w for v, w in weights.items()}
        moved[voice] = moved.get(voice, 0.0) + step
        out.append((voice, moved))
    if len(weights) > 1:
        for voice in sorted(weights, key=weights.get):
            rest = {v: w for v, w in weights.items() if v != voice}
            total = sum(rest.values())
            out.append((voice, {v: w / total for v, w in rest.items()}))
    return out


def _key(weights: Mapping[str, float]) -> tuple:
    return tuple(sorted((v, round(w, 3)) for v, w in weights.items() if round(w, 3) > 0))


async def _call(callback: Callable | None, *args) -> Any:
    if callback is None:
        return None
    result = callback(*args)
    return await result if inspect.isawaitable(result) else result


async def match_voice(engine, encoder: SpeakerEncoder, reference: Sequence[float], *, language: str | None = None,
                      budget_s: float = DEFAULT_BUDGET_S, progress: ProgressCallback | None = None,
                      cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None, probe_text: str = PROBE_TEXT,
                      max_steps: int | None = None) -> Recipe:
    """The preset mix whose speech sounds most like the speaker of ``reference`` (an embedding).

    Starts from the softmax-weighted top-k of similarity to the presets' stored embeddings
    (``language``, e.g. ``"en-gb"``, favours that language's voices), then searches: each
    step synthesizes :data:`PROBE_TEXT` with a neighbouring mix and keeps it if its
    embedding is closer to ``reference``. Stops when the moves get small, after
    ``budget_s`` seconds or ``max_steps`` measurements, or as soon as ``cancelled()`` is
    true, and returns the best mix so far as an unsaved :class:`Recipe` (no id or name:
    :meth:`VoiceStore.save` gives it ``added_speaker_N``). ``progress`` (sync or async) is
    called after every measurement.
    """
    started = time.monotonic()
    bank = engine.voice_bank
    reference = list(reference)
    pool, start = starting_mix(bank, reference, language)
    best, best_score = start, -2.0
    seen: dict[tuple, float] = {}
    steps = 0

    def expected_total() -> int:
        per_step = (time.monotonic() - started) / max(1, steps)
        total = max(steps, int(budget_s / per_step)) if per_step > 0 else steps
        return min(total, max_steps) if max_steps is not None else total

    async def stopped() -> bool:
        if max_steps is not None and steps >= max_steps:
            return True
        if steps and (time.monotonic() - started) * (steps + 1) / steps > budget_s:
            return True  # the next measurement would overrun the budget
        return bool(await _call(cancelled))

    async def measure(weights: dict[str, float]) -> float:
        nonlocal steps
        audio = await engine.asynthesize(probe_text, _spec(weights))
        score = seen[_key(weights)] = cosine(reference, await encoder.aembed(audio, engine.sample_rate))
        steps += 1
        return score

    async def consider(weights: dict[str, float]) -> bool:
        """Measure one mix; True if it became the best."""
        nonlocal best, best_score
        score = await measure(weights)
        better = score > best_score + (MIN_GAIN if best_score > -2.0 else 0.0)
        if better:
            best, best_score = weights, score
        await _call(progress, MatchProgress(steps, expected_total(), best_score, time.monotonic() - started,
                                            budget_s, tidy_components(best.items())))
        return better

    # The softmax mix and the nearest single voice, then a pattern search around the best:
    # shift weight toward one pool voice (or drop a voice), take the first move that helps,
    # halve the shift when none does.
    for weights in (start, {pool[0]: 1.0}):
        if _key(weights) not in seen and not await stopped():
            await consider(weights)
    step, favourite = START_STEP, None
    while step >= MIN_STEP and steps and not await stopped():
        for voice, weights in _moves(best, pool, step, favourite):
            if _key(weights) in seen:
                continue
            if await stopped():
                break
            if await consider(weights):
                favourite = voice
                break
        else:
            step /= 2
    components = tidy_components(best.items())
    lead = bank.resolve(_spec(dict(components)))
    return Recipe(id="", name="", components=components, language=lead.language,
                  gender=_gender(bank, components), embedding=tuple(reference),
                  score=round(best_score, 4) if best_score > -2.0 else None, source="", seconds=0.0)


def _gender(bank: VoiceBank, components: Sequence[tuple[str, float]]) -> str:
    votes: dict[str, float] = {}
    for voice, weight in components:
        gender = bank.presets[voice].gender
        votes[gender] = votes.get(gender, 0.0) + weight
    return max(votes, key=votes.get)


async def clone_voice(engine, encoder: SpeakerEncoder, samples: Sequence[float], sample_rate: int = SAMPLE_RATE, *,
                      name: str | None = None, source: str = "", language: str | None = None,
                      budget_s: float = DEFAULT_BUDGET_S, progress: ProgressCallback | None = None,
                      cancelled: Callable[[], "bool | Awaitable[bool]"] | None = None,
                      max_steps: int | None = None) -> Recipe:
    """Reference samples (16 kHz mono floats) -> an unsaved recipe that sounds like the speaker.

    Raises :class:`~koe.errors.ReferenceAudioError` for unusable audio before any search.
    """
    reference = prepare_reference(samples, sample_rate)
    embedding = await encoder.aembed(reference.samples, SAMPLE_RATE)
    recipe = await match_voice(engine, encoder, embedding, language=language, budget_s=budget_s, progress=progress,
                               cancelled=cancelled, max_steps=max_steps)
    recipe = replace(recipe, source=_short_text(source, ""), seconds=reference.speech_seconds)
    return recipe.named(name) if name else recipe
