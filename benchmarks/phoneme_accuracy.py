"""Phoneme accuracy of Koe's language front ends against the misaki 0.9.4 oracle.

Kokoro v1.0's non-English voices were trained on misaki 0.9.4's output: espeak-ng plus
misaki's post-processing for es/fr/hi/it/pt-br, misaki's ``JAG2P()`` for ja and
``ZHG2P()`` for zh, instantiated as Kokoro's ``KPipeline`` does. The benchmark phonemizes
the sentences in ``benchmarks/lang_sentences/<code>.txt`` (one a line, blank lines and
``#`` comments ignored; written for Koe, not taken from misaki's or espeak's test data) with both and prints the phoneme error rate.

**What is compared.** The headline ``PER`` compares Koe's phonemes for the raw sentence
(``fe.phonemize(fe.normalize(raw))``) with misaki's phonemes for the *same raw sentence*:
that is what the model heard in training, so number, date and money reading count. The
``g2p PER`` column feeds misaki Koe's *normalized* text instead, which isolates the
grapheme-to-phoneme rules from text normalization (espeak expands digits its own way).

**Phoneme error rate** = character-level Levenshtein distance / reference length, after
both strings are reduced to what the model reads (characters of Kokoro's vocabulary: the
model drops the rest) and stress marks (ˈ ˌ), whitespace and punctuation are removed.
Targets: <= 0.15 for each language, <= 0.10 on average over the seven.

misaki (and espeak-ng, GPL) is a test oracle only: it runs in another interpreter
(``--oracle-python``, default ``$KOE_ORACLE_PYTHON``, else this one if it can import
misaki) as a subprocess that runs this very file with ``--oracle-server`` and speaks JSON
lines over stdin/stdout.

    .venv/bin/python benchmarks/phoneme_accuracy.py [--langs hi,es] [--show-worst 3]
        [--oracle-python /path/to/venv/bin/python]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT / "benchmarks" / "lang_sentences"
ASSETS = Path(os.environ.get("KOE_ASSETS", ROOT / "web" / "public"))
VOCAB = ASSETS / "model" / "vocab.json"

LANGS = ("es", "fr", "hi", "it", "ja", "pt-br", "zh")
PER_TARGET = 0.15   # each language
MEAN_TARGET = 0.10  # mean over the seven languages
STRESS = frozenset("ˈˌ")

#: How misaki is built for each language, as Kokoro's KPipeline builds it.
ESPEAK_VOICES = {"es": "es", "fr": "fr-fr", "hi": "hi", "it": "it", "pt-br": "pt-br"}


# --- the measure ---------------------------------------------------------------------------------

def load_vocab(path: Path = VOCAB) -> frozenset[str] | None:
    """The characters Kokoro's tokenizer knows (None if the assets are not built)."""
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except OSError:
        return None


def comparable(phonemes: str, vocab: frozenset[str] | None = None) -> str:
    """Phonemes as compared: only what the model reads, no stress, whitespace or punctuation."""
    out = []
    for ch in phonemes:
        if vocab is not None and ch not in vocab:
            continue
        if ch in STRESS or ch.isspace() or unicodedata.category(ch).startswith("P"):
            continue
        out.append(ch)
    return "".join(out)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def phoneme_error_rate(hypothesis: str, reference: str, vocab: frozenset[str] | None = None) -> float:
    """Edit distance between the comparable forms / length of the reference's comparable form."""
    hyp, ref = comparable(hypothesis, vocab), comparable(reference, vocab)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(hyp, ref) / len(ref)


def out_of_vocab(phonemes: str, vocab: frozenset[str] | None) -> str:
    """Symbols Koe emitted that the model cannot read (should be none)."""
    if vocab is None:
        return ""
    return "".join(sorted({ch for ch in phonemes if ch not in vocab and not ch.isspace()}))


def read_sentences(code: str, limit: int | None = None) -> list[str] | None:
    """The language's benchmark sentences (None if it has no file yet).

    With ``limit``, that many sentences spread evenly over the file (a sample that still
    covers numbers, questions, loanwords... wherever they are in the file).
    """
    path = SENTENCES / f"{code}.txt"
    if not path.is_file():
        return None
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if limit and len(lines) > limit:
        step = len(lines) / limit
        lines = [lines[int(i * step)] for i in range(limit)]
    return lines


# --- Koe's side ----------------------------------------------------------------------------------

def _core_on_path() -> None:
    core = str(ROOT / "py_core")
    if core not in sys.path:
        sys.path.insert(0, core)


def front_end_missing(code: str) -> str | None:
    """Why Koe has no front end for ``code`` yet (None if its package exists)."""
    _core_on_path()
    from koe.lang import language

    module = language(code).module
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        found = None
    return None if found is not None else f"no front end ({module} does not exist)"


class KoeFrontEnds:
    """Koe's front ends on the built assets, driven synchronously (native runtime)."""

    def __init__(self, assets: Path = ASSETS) -> None:
        _core_on_path()
        from koe.assets import DirectoryAssets
        from koe.lang.loader import FrontEnds
        from koe.runtimes.onnxruntime import OnnxRuntime

        self.fronts = FrontEnds(DirectoryAssets(assets), runtime=OnnxRuntime(threads=1))

    def get(self, code: str):
        from koe.runtime import run_sync

        return run_sync(self.fronts.get(code))

    def phonemize(self, code: str, text: str) -> tuple[str, str]:
        """(normalized text, phonemes) for one raw sentence."""
        from koe.runtime import run_sync

        fe = self.get(code)
        normalized = fe.normalize(text)
        return normalized, run_sync(fe.phonemize(normalized)).phonemes


# --- the oracle (another interpreter) ------------------------------------------------------------

def can_import_misaki(python: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec("misaki") is not None
    try:
        return subprocess.run([python, "-c", "import misaki"], capture_output=True, timeout=120, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def find_oracle_python(explicit: str | None = None) -> str | None:
    """The interpreter that runs misaki: --oracle-python, $KOE_ORACLE_PYTHON, or this one."""
    for candidate in (explicit, os.environ.get("KOE_ORACLE_PYTHON")):
        if candidate:
            return candidate if can_import_misaki(candidate) else None
    return sys.executable if can_import_misaki(sys.executable) else None


class OracleError(RuntimeError):
    pass


class Oracle:
    """misaki 0.9.4 in a subprocess: ``oracle(code, text) -> phonemes``. Use as a context manager."""

    def __init__(self, python: str) -> None:
        self._log = tempfile.TemporaryFile()
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        # Run from a neutral folder: misaki ships a module named ``token`` that would shadow
        # the standard library's if its own folder were the working directory.
        self._proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--oracle-server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            cwd=tempfile.gettempdir(), env=env, text=True, encoding="utf-8", bufsize=1)
        hello = self._receive()
        if not hello.get("ready"):
            raise OracleError(hello.get("error", "the oracle did not start"))

    def _receive(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            self._log.seek(0)
            tail = self._log.read().decode("utf-8", "replace")[-2000:]
            raise OracleError(f"the oracle process ended: {tail.strip()}")
        return json.loads(line)

    def __call__(self, code: str, text: str) -> str:
        self._proc.stdin.write(json.dumps({"lang": code, "text": text}, ensure_ascii=False) + "\n")
        self._proc.stdin.flush()
        answer = self._receive()
        if "error" in answer:
            raise OracleError(f"{code}: {answer['error']}")
        return answer["phonemes"]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._log.close()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _misaki_g2p(code: str):
    """misaki's G2P for a language, built as Kokoro v1.0's KPipeline builds it."""
    if code in ESPEAK_VOICES:
        from misaki.espeak import EspeakG2P

        return EspeakG2P(language=ESPEAK_VOICES[code])
    if code == "ja":
        from misaki.ja import JAG2P

        return JAG2P()
    if code == "zh":
        from misaki.zh import ZHG2P

        return ZHG2P(version=None)  # Kokoro-82M v1.0 (version '1.1' is Kokoro-82M-v1.1-zh)
    raise ValueError(f"no oracle for language {code!r}")


def serve_oracle() -> None:
    """The subprocess side: JSON lines {lang, text} in, {phonemes} or {error} out."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    # Keep the protocol channel clean: anything the libraries print goes to stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj: dict) -> None:
        channel.write(json.dumps(obj, ensure_ascii=False) + "\n")

    try:
        import misaki  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        send({"error": f"cannot import misaki: {exc}"})
        return
    send({"ready": True})
    g2ps: dict[str, object] = {}
    for line in sys.stdin:
        try:
            request = json.loads(line)
            code = request["lang"]
            if code not in g2ps:
                g2ps[code] = _misaki_g2p(code)
            phonemes, _ = g2ps[code](request["text"])
            send({"phonemes": phonemes or ""})
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            send({"error": f"{type(exc).__name__}: {exc}"})


# --- the comparison ------------------------------------------------------------------------------

@dataclass
class SentenceResult:
    text: str
    normalized: str
    koe: str
    oracle: str          # misaki on the raw sentence (headline)
    oracle_normalized: str  # misaki on Koe's normalized text
    per: float
    g2p_per: float


@dataclass
class LanguageResult:
    code: str
    sentences: list[SentenceResult] = field(default_factory=list)
    unavailable: str | None = None  # why it was not measured
    oracle_failed: bool = False     # ...because misaki failed (an environment problem, not Koe's)
    oov: str = ""

    @property
    def mean(self) -> float:
        return sum(s.per for s in self.sentences) / len(self.sentences)

    @property
    def g2p_mean(self) -> float:
        return sum(s.g2p_per for s in self.sentences) / len(self.sentences)

    @property
    def worst(self) -> SentenceResult:
        return max(self.sentences, key=lambda s: s.per)

    @property
    def passed(self) -> bool:
        return self.mean <= PER_TARGET


def compare_language(code: str, koe: KoeFrontEnds, oracle: Oracle, vocab: frozenset[str] | None,
                     limit: int | None = None) -> LanguageResult:
    """Phonemize a language's sentences with Koe and the oracle; never raises for a missing part."""
    result = LanguageResult(code)
    lines = read_sentences(code, limit)
    if not lines:
        result.unavailable = f"no sentences (benchmarks/lang_sentences/{code}.txt)"
        return result
    missing = front_end_missing(code)
    if missing:
        result.unavailable = missing
        return result
    try:
        koe.get(code)
    except Exception as exc:  # noqa: BLE001 - a front end that does not load is reported
        result.unavailable = f"front end does not load: {type(exc).__name__}: {exc}"
        return result
    oov = set()
    for text in lines:
        normalized, ours = koe.phonemize(code, text)
        try:
            reference = oracle(code, text)
            reference_normalized = oracle(code, normalized)
        except OracleError as exc:
            result.unavailable = f"oracle failed: {exc}"
            result.oracle_failed = True
            result.sentences.clear()
            return result
        oov.update(out_of_vocab(ours, vocab))
        result.sentences.append(SentenceResult(
            text, normalized, ours, reference, reference_normalized,
            phoneme_error_rate(ours, reference, vocab), phoneme_error_rate(ours, reference_normalized, vocab)))
    result.oov = "".join(sorted(oov))
    return result


def print_table(results: list[LanguageResult]) -> bool:
    """Prints the per-language table; True when every target is met for all seven languages."""
    print(f"{'language':<9} {'sentences':>9} {'PER mean':>9} {'worst':>7} {'g2p PER':>8}  result")
    measured = []
    for r in results:
        if r.unavailable:
            print(f"{r.code:<9} {'-':>9} {'-':>9} {'-':>7} {'-':>8}  not available: {r.unavailable}")
            continue
        measured.append(r)
        verdict = "pass" if r.passed else f"FAIL (> {PER_TARGET:.2f})"
        if r.oov:
            verdict += f"; emits symbols outside the vocabulary: {r.oov}"
        print(f"{r.code:<9} {len(r.sentences):>9} {r.mean:>9.3f} {r.worst.per:>7.3f} {r.g2p_mean:>8.3f}  {verdict}")
    if not measured:
        print("no language could be measured")
        return False
    mean = sum(r.mean for r in measured) / len(measured)
    complete = len(measured) == len(LANGS)
    ok = complete and mean <= MEAN_TARGET and all(r.passed and not r.oov for r in measured)
    scope = "seven languages" if complete else f"{len(measured)} of {len(LANGS)} languages"
    verdict = "pass" if mean <= MEAN_TARGET else f"FAIL (> {MEAN_TARGET:.2f})"
    print(f"{'mean':<9} {sum(len(r.sentences) for r in measured):>9} {mean:>9.3f} {'':>7} "
          f"{sum(r.g2p_mean for r in measured) / len(measured):>8.3f}  {verdict} over {scope}")
    return ok


def print_worst(results: list[LanguageResult], count: int) -> None:
    for r in results:
        if r.unavailable:
            continue
        print(f"\n== {r.code}: the {min(count, len(r.sentences))} worst sentences")
        for s in sorted(r.sentences, key=lambda s: -s.per)[:count]:
            print(f"PER {s.per:.3f} (g2p {s.g2p_per:.3f})  {s.text}")
            if s.normalized != s.text:
                print(f"  normalized:   {s.normalized}")
            print(f"  koe:          {s.koe}")
            print(f"  misaki:       {s.oracle}")
            if s.oracle_normalized != s.oracle:
                print(f"  misaki(norm): {s.oracle_normalized}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", default=",".join(LANGS), help="comma-separated codes (default: all seven)")
    parser.add_argument("--show-worst", type=int, default=0, metavar="N", help="print each language's N worst sentences")
    parser.add_argument("--limit", type=int, default=None, help="only the first N sentences of each language")
    parser.add_argument("--oracle-python", default=None, help="interpreter with misaki 0.9.4 (default $KOE_ORACLE_PYTHON)")
    parser.add_argument("--oracle-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.oracle_server:
        serve_oracle()
        return 0
    codes = [c.strip().lower() for c in args.langs.split(",") if c.strip()]
    unknown = [c for c in codes if c not in LANGS]
    if unknown:
        parser.error(f"unknown language(s) {', '.join(unknown)}; choose from {', '.join(LANGS)}")
    python = find_oracle_python(args.oracle_python)
    if python is None:
        print("the misaki oracle is not available: pass --oracle-python (or set KOE_ORACLE_PYTHON) to an "
              "interpreter with misaki[zh]==0.9.4, phonemizer-fork, espeakng-loader, pyopenjtalk, fugashi, "
              "unidic-lite, jaconv, mojimoji", file=sys.stderr)
        return 2
    vocab = load_vocab()
    koe = KoeFrontEnds()
    with Oracle(python) as oracle:
        results = [compare_language(code, koe, oracle, vocab, args.limit) for code in codes]
    ok = print_table(results)
    if args.show_worst:
        print_worst(results, args.show_worst)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
