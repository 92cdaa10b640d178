"""Custom voices saved as ``<id>.json`` recipe files in one folder, shared by the CLI and the server.

The folder is ``--voices-dir``, else ``$KOE_VOICES_DIR``, else ``~/.local/share/koe/voices``.
Writes are atomic; a file that cannot be read as a recipe is skipped and reported, never fatal.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import replace
from typing import Collection, Mapping

from .errors import InvalidRecipeError, KoeError, UnknownVoiceError, VoiceExistsError, VoiceStoreError
from .recipe import MAX_RECIPE_BYTES, Recipe, register
from .rules import check_id, clean_name, new_voice_id
from .voices import VoiceBank


def default_voices_dir() -> str:
    """``$KOE_VOICES_DIR``, else ``$XDG_DATA_HOME/koe/voices`` (``~/.local/share/koe/voices``)."""
    env = os.environ.get("KOE_VOICES_DIR")
    if env:
        return env
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "koe", "voices")



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

    def check_writable(self) -> None:
        """Raise VoiceStoreError unless a recipe can be saved here now (before a search, not after)."""
        try:
            os.makedirs(self.root, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=self.root, prefix=".write-check.", suffix=".tmp")
            os.close(fd)
            os.unlink(probe)
        except OSError as error:
            raise _unwritable(error) from None

    def ids(self) -> set[str]:
        """The ids of the recipe files in the folder (readable or not)."""
        try:
            return {n[:-5] for n in os.listdir(self.root) if n.endswith(".json") and not n.startswith(".")}
        except FileNotFoundError:
            return set()

    def save(self, recipe: Recipe, *, overwrite: bool = False) -> Recipe:
        """Write ``recipe``; one without an id gets the next ``added_speaker_N``. Returns what was saved."""
        with self._lock:
            if not recipe.id:
                voice_id, default_name = new_voice_id(None, self.ids(), self.presets)
                recipe = replace(recipe, id=voice_id, name=recipe.name or default_name)
            check_id(recipe.id, self.presets)
            recipe = Recipe.from_dict(recipe.to_dict(), self.presets or None)  # as a later load will see it
            path = self._path(recipe.id)
            data = json.dumps(recipe.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
            try:
                os.makedirs(self.root, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{recipe.id}.", suffix=".tmp")
            except OSError as error:
                raise _unwritable(error) from None
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
            except OSError as error:  # a full disk, a folder made read-only meanwhile
                raise _unwritable(error) from None
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
        except (FileNotFoundError, NotADirectoryError):
            raise UnknownVoiceError(voice_id) from None
        except OSError as error:
            raise _unwritable(error) from None

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


    def register_all(self, bank: VoiceBank) -> list[Recipe]:
        """Register every stored recipe in ``bank``; ones it cannot use are added to ``problems``."""
        loaded = []
        for recipe in self.list():
            try:
                register(bank, recipe)
                loaded.append(recipe)
            except KoeError as error:
                self.problems[f"{recipe.id}.json"] = str(error)
        return loaded


def _unwritable(error: OSError) -> VoiceStoreError:
    why = {13: "permission denied", 30: "read-only file system", 28: "no space left", 20: "a file is in the way",
           17: "a file is in the way"}.get(error.errno or 0, error.strerror or "it cannot be written")
    return VoiceStoreError(f"Custom voices cannot be saved: the voices folder is not writable ({why}). "
                           "Fix its permissions or choose another folder (--voices-dir, $KOE_VOICES_DIR).")
