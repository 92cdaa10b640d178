"""Build the pronunciation data of the Romance front ends into web/public/lang/.

Run by ``./build.sh``. The sources are gruut's language packages on PyPI (MIT licence;
sdists only, pinned here with their sha256): each carries a pronunciation lexicon as an
sqlite database. This script downloads them with ``pip download``, verifies them, caches
them under ``.cache/`` and converts what Koe needs into small gzipped text files:

* ``lang/fr/lexicon.txt.gz``: ``word<TAB>phonemes`` for French, the phonemes rewritten in
  the conventions Kokoro was trained with (espeak-ng's symbols after misaki's
  post-processing: ``ʁ``, nasal vowels with a combining tilde, no length marks...).
* ``lang/it/stress.txt.gz``: ``word<TAB>code`` for Italian, where ``code`` is the stressed
  vowel counted from the end of the word (1 = the last vowel sound) followed by that vowel:
  ``a e i o u``, ``E O`` for open ɛ ɔ, ``I`` for a stressed i that the spelling would
  otherwise read as silent (farmacia, energia). Italian spelling shows none of this.

Outputs are written atomically; a stamp of the inputs (package sha256 and this script's own
sha256) lets re-runs skip the work.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sqlite3
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_assets import (
    PUBLIC,
    BuildError,
    atomic_write,
    fetch,
    log,
    sha256_of,
    stamp_ok,
    unpack,
    write_stamp,
)

SOURCES = {
    "fr": {"name": "gruut-lang-fr", "version": "2.0.2", "file": "gruut_lang_fr-2.0.2.tar.gz",
           "sha256": "d2de9fc2f92ede277cb6dfe72afdba1b902d329b3cc1f1c706e66b31f0d436bd"},
    "it": {"name": "gruut-lang-it", "version": "2.0.1", "file": "gruut_lang_it-2.0.1.tar.gz",
           "sha256": "1ffdbc0d4daf6957aa9ea67184f77212f3b486e867d8c03c054256eed0519f4b"},
}
SCRIPT_SHA = sha256_of(Path(__file__))
WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")


def lexicon_rows(folder: Path, package: str) -> list[tuple[str, str]]:
    """(word, phonemes) of the package's main lexicon, first pronunciation of each word."""
    found = list(folder.glob(f"*/{package}/lexicon.db"))
    if len(found) != 1:
        raise BuildError(f"{package}: expected one lexicon.db, found {len(found)}")
    connection = sqlite3.connect(f"file:{found[0]}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT word, phonemes FROM word_phonemes ORDER BY word, pron_order").fetchall()
    finally:
        connection.close()
    out: dict[str, str] = {}
    for word, phonemes in rows:
        word = unicodedata.normalize("NFC", word.strip().lower())
        if word and word not in out and WORD.match(word) and phonemes:
            out[word] = phonemes
    return sorted(out.items())


def write_gz(path: Path, lines: list[str]) -> int:
    data = gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)
    atomic_write(path, data)
    return len(data)


# --- Italian: stress and open vowels ---------------------------------------------

STRESS_VOWELS = {"it": "aeiouɛɔ"}


def stress_code(phonemes: str, vowels: str) -> str | None:
    """gruut phonemes -> the stressed vowel's position from the end (+ E/e/O/o), None if unmarked."""
    symbols = phonemes.split()
    marks = [i for i, s in enumerate(symbols) if s.startswith("ˈ")]
    if len(marks) != 1:
        return None
    rest = "".join(symbols[marks[0]:]).replace("ˈ", "").replace("ˌ", "")
    rest = unicodedata.normalize("NFD", rest)
    nuclei = [ch for ch in rest if ch in vowels]
    if not nuclei:
        return None
    letter = VOWEL_CODES.get(nuclei[0], nuclei[0])
    if letter == "i" and _hidden_i(symbols, marks[0], vowels):
        letter = "I"
    return f"{len(nuclei)}{letter}"


def _hidden_i(symbols: list[str], mark: int, vowels: str) -> bool:
    """A stressed i after c, g, sc or gl and before a vowel (farmacia, energia), which the spelling
    alone would read as a silent letter (camicia, figlio)."""
    clean = [s.replace("ˈ", "").replace("ˌ", "") for s in symbols]
    at = next((i for i in range(mark, len(clean)) if clean[i][:1] in vowels), None)
    if at is None or at == 0 or at + 1 >= len(clean):
        return False
    return clean[at - 1] in ("t͡ʃ", "d͡ʒ", "ʃ", "ʎ", "ʧ", "ʤ") and clean[at + 1][:1] in vowels


#: The stressed vowel in a stress code: a e i o u, E O for open ɛ ɔ.
VOWEL_CODES = {"ɛ": "E", "ɔ": "O"}


def build_stress(lang: str, folder: Path) -> tuple[list[str], int]:
    lines = []
    for word, phonemes in lexicon_rows(folder, f"gruut_lang_{lang}"):
        code = stress_code(phonemes, STRESS_VOWELS[lang])
        if code is not None and "-" not in word and "'" not in word:
            lines.append(f"{word}\t{code}")
    return lines, len(lines)


# --- French: the whole lexicon, in Kokoro's symbols ------------------------------------------------

#: gruut's French symbols -> espeak-ng's as misaki passes them on (checked against misaki 0.9.4):
#: espeak writes the glide of "nuit" as y; everything else is shared.
FR_SYMBOLS = {"ɥ": "y", "r": "ʁ", "ʀ": "ʁ", "g": "ɡ", "ˈ": "", "ˌ": "", "ː": ""}
FR_INVENTORY = frozenset("abdefijklmnopstuvwyzøŋœɑɔəɛɡɲʁʃʒ\u0303")


def french_phonemes(phonemes: str) -> str | None:
    """gruut's space-separated phonemes -> one string in Kokoro's symbols (None if unusable)."""
    out = []
    for symbol in phonemes.split():
        symbol = unicodedata.normalize("NFD", symbol)
        out.append(FR_SYMBOLS.get(symbol, "".join(FR_SYMBOLS.get(ch, ch) for ch in symbol)))
    text = "".join(out)
    if not text or not set(text) <= FR_INVENTORY:
        return None
    return text


def build_french(folder: Path) -> tuple[list[str], int]:
    lines = []
    for word, phonemes in lexicon_rows(folder, "gruut_lang_fr"):
        converted = french_phonemes(phonemes)
        if converted:
            lines.append(f"{word}\t{converted}")
    return lines, len(lines)


OUTPUTS = {
    "fr": ("lang/fr/lexicon.txt.gz", build_french),
    "it": ("lang/it/stress.txt.gz", lambda folder: build_stress("it", folder)),
}


def build(lang: str) -> None:
    entry = SOURCES[lang]
    relative, convert = OUTPUTS[lang]
    out = PUBLIC / relative
    inputs = {"sha256": entry["sha256"], "script": SCRIPT_SHA}
    if stamp_ok(f"lang-{lang}", inputs, [out]):
        log(f"cached   {relative}")
        return
    archive = fetch(entry, "pypi-sdist")
    folder = unpack(archive, entry["name"])
    lines, count = convert(folder)
    if count < 1000:
        raise BuildError(f"{entry['name']}: only {count} usable entries; the package format changed?")
    size = write_gz(out, lines)
    write_stamp(f"lang-{lang}", inputs)
    log(f"wrote    {relative} ({count} entries, {size / 1e3:.0f} kB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("langs", nargs="*", default=list(OUTPUTS), help="languages to build (default: all)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        for lang in args.langs:
            if lang not in OUTPUTS:
                raise BuildError(f"unknown language {lang!r} (known: {', '.join(OUTPUTS)})")
            build(lang)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"language data ready in {PUBLIC.relative_to(PUBLIC.parent.parent)}/lang/ "
          f"({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
