"""Telling the user when the text's script does not match the voice's language."""

from __future__ import annotations

import pytest

from koe.errors import EmptyTextError
from koe.lang.scripts import script_counts, script_mismatch
from koe.runtime import run_sync


def test_scripts_are_counted_by_letter():
    counts = script_counts("Hello, 世界! カタカナ ひらがな नमस्ते Привет 123")
    assert counts["Latin"] == 5 and counts["Han"] == 2 and counts["Katakana"] == 4 and counts["Hiragana"] == 4
    assert counts["Devanagari"] > 0 and counts["Cyrillic"] == 6 and "Other" not in counts


@pytest.mark.parametrize("text, language, suggested", [
    ("駅の近くに新しいお店ができました。", "es", "ja"),
    ("我们今天去北京。", "en-us", "zh"),
    ("नमस्ते दुनिया", "fr", "hi"),
    ("Привет, мир", "ja", None),
])
def test_a_mismatch_names_the_text_s_language(text, language, suggested):
    found = script_mismatch(text, language)
    assert found is not None and found["suggested"] == suggested and found["message"]


@pytest.mark.parametrize("text, language", [
    ("Hola, ¿qué tal?", "es"), ("我们今天去北京。", "ja"), ("iPhoneを買いました。", "ja"), ("OK 好的", "zh"),
    ("Namaste नमस्ते", "hi"), ("12345 !!!", "es"), ("", "en-us"), ("Hello 世界", "en-us"),
])
def test_readable_text_is_not_flagged(text, language):
    assert script_mismatch(text, language) is None


def test_the_engine_explains_why_nothing_could_be_spoken(engine):
    with pytest.raises(EmptyTextError) as caught:
        run_sync(engine.aplan("Привет, мир", "af_heart"))
    assert "Cyrillic" in caught.value.message
    plan = run_sync(engine.aplan("Hello 世界 and more words here", "af_heart"))
    assert plan.mismatch is None and plan.estimated_seconds > 0.5
