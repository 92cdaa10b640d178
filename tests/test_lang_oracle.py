"""Each language front end against the misaki 0.9.4 oracle, on a small sample of sentences.

The full measure is ``benchmarks/phoneme_accuracy.py``; this test reuses its functions on 5
sentences per language and asserts the per-language target (PER <= 0.15). misaki (with
espeak-ng, GPL) is a test oracle only, in its own interpreter: set ``KOE_ORACLE_PYTHON`` to
it (or install misaki in the test interpreter). Without it the test is skipped; a language
whose front end or sentence file does not exist yet is skipped on its own.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ASSETS, ROOT

SAMPLE = 5


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("phoneme_accuracy", ROOT / "benchmarks" / "phoneme_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def oracle():
    python = bench.find_oracle_python()
    if python is None:
        pytest.skip("the misaki oracle is not available: set KOE_ORACLE_PYTHON to an interpreter with misaki 0.9.4")
    try:
        with bench.Oracle(python) as found:
            yield found
    except bench.OracleError as exc:
        pytest.skip(f"the misaki oracle does not start: {exc}")


@pytest.fixture(scope="module")
def front_ends(assets_dir):
    return bench.KoeFrontEnds(assets_dir)


@pytest.mark.parametrize("code", bench.LANGS)
def test_phonemes_match_the_oracle(code, oracle, front_ends):
    if bench.read_sentences(code) is None:
        pytest.skip(f"no benchmarks/lang_sentences/{code}.txt yet")
    missing = bench.front_end_missing(code)
    if missing:
        pytest.skip(f"{code}: {missing}")
    result = bench.compare_language(code, front_ends, oracle, bench.load_vocab(ASSETS / "model" / "vocab.json"), SAMPLE)
    if result.oracle_failed:
        pytest.skip(result.unavailable)
    assert result.unavailable is None, result.unavailable
    assert not result.oov, f"{code} emits symbols outside Kokoro's vocabulary: {result.oov}"
    worst = result.worst
    assert result.mean <= bench.PER_TARGET, (
        f"{code}: PER {result.mean:.3f} > {bench.PER_TARGET} on {len(result.sentences)} sentences; worst "
        f"({worst.per:.3f}): {worst.text!r}\n koe:    {worst.koe}\n misaki: {worst.oracle}")
