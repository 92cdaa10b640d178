"""Text front ends, one package per language: ``normalize`` then ``phonemize``.

Each language lives in its own package (``koe.lang.en``, ``koe.lang.es``...) that exposes
``async def load(loader) -> FrontEnd`` (see :mod:`koe.lang.base`). The engine picks the
front end from the voice's language (or an explicit ``lang``) and loads it on first use,
through a :class:`FrontEndLoader` that knows where data files come from and, in the
browser, installs the language's pure-Python wheels only when that language is first
spoken: an English-only visitor downloads nothing more.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol, Sequence

from ..errors import KoeError
from .base import FrontEnd


@dataclass(frozen=True)
class Language:
    """A language Koe speaks: the voices' language code, its name, and what its front end needs."""

    code: str                       # as in the voice index: en-us, en-gb, es, fr, hi, it, ja, pt-br, zh
    name: str
    module: str                     # the package whose ``load(loader)`` builds the front end
    packages: tuple[str, ...] = ()  # pure-Python wheels it imports (installed on first use in the browser)
    voice_prefix: str = ""          # first letter of its preset voice ids
    scripts: tuple[str, ...] = ("Latin",)  # writing systems its front end reads (koe.lang.scripts)


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("en-us", "American English", "koe.lang.en", voice_prefix="a"),
    Language("en-gb", "British English", "koe.lang.en", voice_prefix="b"),
    Language("es", "Spanish", "koe.lang.es", voice_prefix="e"),
    Language("fr", "French", "koe.lang.fr", voice_prefix="f"),
    Language("hi", "Hindi", "koe.lang.hi", voice_prefix="h", scripts=("Devanagari", "Latin")),
    Language("it", "Italian", "koe.lang.it", voice_prefix="i"),
    Language("ja", "Japanese", "koe.lang.ja", packages=("janome",), voice_prefix="j",
             scripts=("Han", "Hiragana", "Katakana", "Latin")),
    Language("pt-br", "Brazilian Portuguese", "koe.lang.pt", voice_prefix="p"),
    Language("zh", "Mandarin Chinese", "koe.lang.zh", packages=("jieba", "pypinyin", "cn2an", "proces"), voice_prefix="z",
             scripts=("Han", "Latin")),
)}


class UnknownLanguageError(KoeError):
    code = "unknown_language"
    param = "lang"


def language(code: str) -> Language:
    """The :class:`Language` for a code (case-insensitive, ``_`` or ``-``); raises UnknownLanguageError."""
    found = LANGUAGES.get(str(code).strip().lower().replace("_", "-"))
    if found is None:
        raise UnknownLanguageError(f"Unknown language {code!r}; Koe speaks {', '.join(LANGUAGES)}.")
    return found


class FrontEndLoader(Protocol):
    """What a language's ``load`` may use."""

    assets: "object"  # a koe.assets.AssetSource: data files such as lexicons

    async def require(self, packages: Sequence[str]) -> None:
        """Make the given pure-Python packages importable (the browser installs them on first use)."""
        ...

    async def front_end(self, language: str) -> FrontEnd:
        """Another language's front end (Japanese and Mandarin text speak Latin words in English)."""
        ...

    async def session(self, path: str) -> "object | None":
        """An ONNX graph from the assets as a runtime session, or None if the build lacks it."""
        ...


async def load_front_end(code: str, loader: FrontEndLoader) -> FrontEnd:
    """Install what the language needs, import its package and build its front end."""
    lang = language(code)
    if lang.packages:
        await loader.require(lang.packages)
    module = importlib.import_module(lang.module)
    return await module.load(loader, lang.code)
