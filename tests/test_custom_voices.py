"""Custom voices: recipes, the VoiceStore, matching, reference files and the CLI.

The round trip uses the real model and encoder: a reference synthesized with a preset
becomes a recipe (a short search), is saved, listed, spoken, exported, imported, deleted.
"""

from __future__ import annotations

import json
import os
import time
from array import array

import numpy as np
import pytest

from koe import cli
from koe.adapters.audio_in import load_reference
from koe.errors import InvalidRecipeError, ReferenceAudioError, UnknownVoiceError, VoiceExistsError
from koe.recipe import Recipe
from koe.rules import MAX_REFERENCE_BYTES, check_id, clean_name, slugify
from koe.runtime import run_sync
from koe.service import KoeService
from koe.speaker import SpeakerEncoder, cosine, prepare_reference
from koe.voice_search import match_voice, starting_mix
from koe.voice_store import VoiceStore
from koe.voices import VoiceBank
from koe.wav import encode_wav

REFERENCE_TEXT = "Four hours of steady work faced us. The swan dive was far short of perfect."


@pytest.fixture(scope="module")
def encoder(engine):
    if not SpeakerEncoder.available(engine.assets):
        pytest.fail("speaker encoder missing: run tools/build_speaker_assets.py", pytrace=False)
    return SpeakerEncoder.load(engine.assets, engine.runtime)


@pytest.fixture(scope="module")
def reference_wav(engine, tmp_path_factory):
    """A 24 kHz WAV of bm_george (about 5 s of speech)."""
    path = tmp_path_factory.mktemp("ref") / "george.wav"
    path.write_bytes(encode_wav(engine.synthesize_all(REFERENCE_TEXT, "bm_george"), engine.sample_rate))
    return path


@pytest.fixture
def store(tmp_path, engine):
    return VoiceStore(tmp_path / "voices", presets=engine.voice_bank.presets)


def a_recipe(**changes) -> Recipe:
    fields = dict(id="", name="", components=(("af_heart", 0.6), ("bf_emma", 0.4)), language="en-us",
                  gender="female", embedding=tuple([0.0625] * 256), score=0.8, source="test", seconds=5.0)
    fields.update(changes)
    return Recipe(**fields)


# --- names and recipes ---------------------------------------------------------------------------

def test_names_become_safe_ids():
    assert slugify("Grandma Rosé's voice!") == "grandma_rose_s_voice"
    assert slugify("../../etc/passwd") == "etc_passwd"
    assert slugify("日本語") == ""
    assert clean_name("  My\tvoice\x00 \n") == "My voice"
    for bad in ("../x", "a/b", "", ".hidden", "A", "x" * 65, "con.json"):
        with pytest.raises(InvalidRecipeError):
            check_id(bad)
    with pytest.raises(VoiceExistsError):
        check_id("af_heart", {"af_heart"})


def test_recipe_json_round_trip_and_validation():
    recipe = a_recipe(id="my_voice", name="My voice")
    again = Recipe.from_json(recipe.to_json(), {"af_heart", "bf_emma"})
    assert again == recipe
    assert len(recipe.to_json()) < 4096
    assert recipe.spec == "af_heart(0.6)+bf_emma(0.4)"
    bad = [
        {"components": [{"voice": "zz_nobody", "weight": 1}], "id": "x"},
        {"components": [{"voice": "af_heart", "weight": -1}], "id": "x"},
        {"components": [{"voice": "af_heart", "weight": float("nan")}], "id": "x"},
        {"components": [], "id": "x"},
        {"components": [{"voice": "af_heart", "weight": 1}], "id": "../evil"},
        {"components": [{"voice": "af_heart", "weight": 1}], "id": "x", "embedding": [1, 2]},
        {"format": "something-else", "components": [{"voice": "af_heart", "weight": 1}]},
        ["not", "an", "object"],
    ]
    for data in bad:
        with pytest.raises(InvalidRecipeError):
            Recipe.from_dict(data, {"af_heart", "bf_emma"})
    with pytest.raises(InvalidRecipeError):
        Recipe.from_json("{not json", None)
    with pytest.raises(InvalidRecipeError):
        Recipe.from_json(" " * 70000, None)


# --- the store -------------------------------------------------------------------------------------

def test_store_names_saves_lists_and_deletes(store):
    first = store.save(a_recipe())
    second = store.save(a_recipe())
    assert (first.id, first.name, second.id) == ("added_speaker_1", "added_speaker_1", "added_speaker_2")
    named = store.save(a_recipe().named("Alice (studio)"))
    assert named.id == "alice_studio" and named.name == "Alice (studio)"
    with pytest.raises(VoiceExistsError):
        store.save(a_recipe().named("Alice studio"))
    with pytest.raises(VoiceExistsError):
        store.save(a_recipe(id="af_heart", name="x"))
    assert [r.id for r in store.list()] == ["added_speaker_1", "added_speaker_2", "alice_studio"]
    assert store.rename("alice_studio", "Alice").name == "Alice"
    assert store.get("alice_studio").name == "Alice"
    store.delete("added_speaker_1")
    with pytest.raises(UnknownVoiceError):
        store.get("added_speaker_1")
    with pytest.raises(UnknownVoiceError):
        store.delete("added_speaker_1")
    assert store.save(a_recipe()).id == "added_speaker_3"
    assert not [n for n in os.listdir(store.root) if n.startswith(".")]  # no temporary files left


def test_store_skips_broken_files_and_imports_safely(store):
    kept = store.save(a_recipe().named("Keeper"))
    with open(os.path.join(store.root, "broken.json"), "w") as handle:
        handle.write("{oops")
    assert [r.id for r in store.list()] == ["keeper"]
    assert "broken.json" in store.problems
    shared = store.export_json("keeper")
    imported = store.import_json(shared)
    assert imported.id == "keeper_2" and imported.components == kept.components
    assert store.import_json(shared.encode(), name="From Bob").id == "from_bob"
    for bad in ('{"components": [{"voice": "zz_nobody", "weight": 1}], "id": "x"}', "not json", b"\x00" * 100):
        with pytest.raises(InvalidRecipeError):
            store.import_json(bad)
    assert sorted(r.id for r in store.list()) == ["from_bob", "keeper", "keeper_2"]


def test_register_all_puts_stored_recipes_in_a_bank(store, assets_dir):
    store.save(a_recipe().named("Mixed"))
    bank = VoiceBank(json.loads((assets_dir / "embeddings" / "index.json").read_text()), None)
    loaded = store.register_all(bank)
    assert [r.id for r in loaded] == ["mixed"]
    info = next(v for v in bank.list() if v.id == "mixed")
    assert info.custom and info.name == "Mixed"
    assert bank.resolve("mixed").components == (("af_heart", 0.6), ("bf_emma", 0.4))
    assert VoiceStore(store.root + "-missing", presets=bank.presets).register_all(bank) == []


# --- matching and the round trip --------------------------------------------------------------------

def test_starting_mix_prefers_the_nearest_voices(engine):
    reference = engine.voice_bank.presets["bm_lewis"].extra["speaker_embedding"]
    pool, mix = starting_mix(engine.voice_bank, reference, "en-gb")
    assert pool[0] == "bm_lewis" and max(mix, key=mix.get) == "bm_lewis"
    assert abs(sum(mix.values()) - 1.0) < 1e-9 and len(mix) == 5


def test_recipe_round_trip(engine, encoder, store, reference_wav):
    samples = load_reference(str(reference_wav))
    events = []
    service = KoeService(engine, store=store)
    saved = run_sync(service.create_voice(samples, source="file:george.wav", language="en-gb", max_steps=3,
                                          progress=events.append))
    try:
        assert [e.step for e in events] == [1, 2, 3] and all(e.total >= e.step for e in events)
        assert events[-1].best_score == max(e.best_score for e in events) == pytest.approx(saved.score, abs=1e-4)
        assert saved.score > 0.6 and saved.seconds > 3.0 and saved.language == "en-gb"
        assert "bm_george" in dict(saved.components)
        assert saved.id == "added_speaker_1" and saved.source == "file:george.wav"
        assert [r.id for r in store.list()] == ["added_speaker_1"]
        assert "added_speaker_1" in engine.voice_bank.custom
        audio = engine.synthesize_all("Hello from a custom voice.", "added_speaker_1")
        assert len(audio) > engine.sample_rate
        reference = encoder.embed(prepare_reference(samples).samples)
        assert cosine(reference, encoder.embed(audio, engine.sample_rate)) > 0.5
        shared = store.export_json("added_speaker_1")
        assert len(shared) < 8192
        store.delete("added_speaker_1")
        assert store.list() == []
        assert store.import_json(shared) == saved
    finally:
        engine.voice_bank.remove_custom("added_speaker_1")


def test_matching_can_be_cancelled_and_keeps_to_its_budget(engine, encoder):
    reference = engine.voice_bank.presets["af_sky"].extra["speaker_embedding"]
    calls = []
    recipe = run_sync(match_voice(engine, encoder, reference, cancelled=lambda: calls.append(1) or len(calls) > 1))
    assert recipe.score is not None and recipe.components  # one measurement, then cancelled
    started = time.monotonic()
    run_sync(match_voice(engine, encoder, reference, budget_s=0.5))
    assert time.monotonic() - started < 15  # a single measurement, however slow the machine


# --- bad reference files -------------------------------------------------------------------------

@pytest.fixture
def bad_files(tmp_path, engine):
    one_second = engine.synthesize_all("Hello.", "af_heart")[:engine.sample_rate]
    files = {
        "too_short": ("short.wav", encode_wav(one_second, engine.sample_rate)),
        "silent": ("silence.wav", encode_wav(array("f", bytes(4 * 24000 * 5)), engine.sample_rate)),
        "not_audio": ("notes.wav", b"These are my notes, not audio at all.\n" * 50),
    }
    paths = {}
    for code, (name, data) in files.items():
        paths[code] = tmp_path / name
        paths[code].write_bytes(data)
    huge = tmp_path / "huge.wav"
    with open(huge, "wb") as handle:  # sparse: 200 MB without writing them
        handle.truncate(200 * 1024 * 1024)
    paths["too_large"] = huge
    return paths


def test_bad_reference_files_give_clear_errors_and_leave_voices_intact(engine, encoder, store, bad_files):
    kept = store.save(a_recipe().named("Existing"))
    for code, path in bad_files.items():
        started = time.monotonic()
        with pytest.raises(ReferenceAudioError) as caught:
            run_sync(KoeService(engine, store=store).create_voice(load_reference(str(path)), max_steps=1))
        assert caught.value.code == code, f"{path.name}: {caught.value}"
        assert caught.value.message
        if code == "too_large":
            assert time.monotonic() - started < 1.0
            with pytest.raises(ReferenceAudioError):
                load_reference(b"\x00" * (MAX_REFERENCE_BYTES + 1))
    assert store.list() == [kept]


def test_clipped_reference_file_is_refused(reference_wav, tmp_path):
    import soundfile as sf

    data, rate = sf.read(str(reference_wav), dtype="float32")
    path = tmp_path / "loud.flac"
    sf.write(str(path), np.clip(data * 30, -1, 1), rate)
    with pytest.raises(ReferenceAudioError) as caught:
        prepare_reference(load_reference(str(path)))
    assert caught.value.code == "clipped"


# --- the CLI -------------------------------------------------------------------------------------

def test_cli_clone_say_and_voices(reference_wav, tmp_path, capsys, assets_dir):
    voices = str(tmp_path / "voices")
    common = ["--assets", str(assets_dir), "--threads", "2", "--voices-dir", voices]
    assert cli.main(common + ["clone", str(reference_wav), "--name", "George Too", "--budget", "1"]) == 0
    out = capsys.readouterr().out
    assert "george_too" in out
    assert cli.main(common + ["clone", str(reference_wav), "--name", "George Too"]) == 1  # taken
    assert "exists" in capsys.readouterr().err
    wav = tmp_path / "hi.wav"
    assert cli.main(common + ["say", "Hi there.", "--voice", "george_too", "-o", str(wav)]) == 0
    assert wav.stat().st_size > 10000
    capsys.readouterr()
    assert cli.main(common + ["voices"]) == 0
    listing = capsys.readouterr().out
    assert any(line.startswith("george_too") and line.rstrip().endswith("custom") for line in listing.splitlines())
    assert cli.main(common + ["clone", str(tmp_path / "missing.wav")]) == 2
    assert "Cannot read" in capsys.readouterr().err


# --- version-2 recipes: a mix plus a style offset -----------------------------------------------------

def _basis(engine):
    from koe.style_space import StyleBasis

    return run_sync(StyleBasis.aload(engine.assets))


def test_v2_recipe_round_trip_and_v1_compatibility(engine):
    from koe.recipe import RECIPE_VERSION
    from koe.style_space import StyleVoice

    v1 = {"format": "koe-voice", "version": 1, "id": "mix", "name": "Mix",
          "components": [{"voice": "af_heart", "weight": 0.6}, {"voice": "bf_emma", "weight": 0.4}],
          "language": "en-us", "gender": "female", "score": 0.8, "embedding": [0.0625] * 256,
          "created": "2026-01-01T00:00:00Z", "source": "test", "seconds": 5.0}
    old = Recipe.from_dict(v1, engine.voice_bank.presets)
    assert old.to_dict() == v1 and old.version == 1 and not old.voice.has_offset  # written exactly as before
    voice = StyleVoice.from_coefficients(_basis(engine), old.components, [0.4] * 4 + [0.0] * 20)
    new = old.with_voice(voice)
    new = Recipe.from_dict({**new.to_dict(), "embeddings": {"ge2e": [0.0625] * 256}}, engine.voice_bank.presets)
    data = new.to_dict()
    assert RECIPE_VERSION == 2 and data["version"] == 2 and len(data["style"]["offset"]) == 256
    again = Recipe.from_json(json.dumps(data), engine.voice_bank.presets)
    assert again.voice == new.voice == voice and again.embeddings == {"ge2e": tuple([0.0625] * 256)}
    assert len(json.dumps(data)) < 8192  # still a few KB
    for broken in ({"style": {"offset": [0.1] * 255}}, {"style": {"offset": [9.0] * 256}},
                   {"version": 1, "style": {"offset": [0.1] * 256}}, {"version": 3},
                   {"embeddings": {"ge2e": [1.0] * 3}}, {"embeddings": [1, 2]}):
        with pytest.raises(InvalidRecipeError):
            Recipe.from_dict({**data, **broken}, engine.voice_bank.presets)


def test_a_v2_voice_speaks_through_the_engine_and_the_store(engine, store):
    from koe.style_search import speak_text
    from koe.style_space import StyleVoice

    voice = StyleVoice.from_coefficients(_basis(engine), (("am_adam", 0.7), ("am_michael", 0.3)),
                                         [0.8, -0.5, 0.4] + [0.0] * 21)
    recipe = a_recipe(components=voice.components).with_voice(voice).named("Beyond")
    service = KoeService(engine, store=store)
    saved = service.save_voice(recipe)
    try:
        assert store.get("beyond").voice == voice
        blend = engine.voice_bank.resolve("beyond")
        assert blend.offset == voice.offset and not blend.is_single
        spoken = engine.synthesize_all("A custom voice beyond the presets.", "beyond")
        direct = run_sync(speak_text(engine, voice, "A custom voice beyond the presets.", "en-us"))
        assert np.array_equal(np.asarray(spoken), np.asarray(direct))
        plain = engine.synthesize_all("A custom voice beyond the presets.", "am_adam(0.7)+am_michael(0.3)")
        assert len(plain) != len(spoken) or not np.array_equal(np.asarray(plain), np.asarray(spoken))
        half = engine.voice_bank.resolve("beyond(1)+af_heart(1)")
        assert np.allclose(half.offset, [x / 2 for x in voice.offset])
        assert engine.voice_bank.resolve("am_adam(0.7)+am_michael(0.3)").offset == ()  # plain blends unchanged
        fresh = VoiceBank({"voices": [dict(v.extra) for v in engine.voice_bank.presets.values()]},
                          engine.voice_bank._read)
        assert [r.id for r in store.register_all(fresh)] == ["beyond"] and fresh.offsets["beyond"] == voice.offset
    finally:
        service.delete_voice(saved.id)
    assert "beyond" not in engine.voice_bank.offsets


def test_refine_continues_a_voice_and_refuses_unknown_and_concurrent_refines(engine, store):
    from koe.errors import VoiceBusyError

    service = KoeService(engine, store=store)
    reference = engine.voice_bank.presets["bf_emma"].extra["speaker_embedding"]
    saved = service.save_voice(a_recipe(embedding=tuple(reference), score=None).named("To Refine"))
    busy = []

    async def progress(p):
        if not busy:  # while this refine runs, a second one of the same voice is refused
            with pytest.raises(VoiceBusyError):
                await service.refine_voice(saved.id, 1.0)
            busy.append(p.evaluations)

    try:
        events = []
        refined = run_sync(service.refine_voice(saved.id, 60.0, max_steps=3,
                                                progress=lambda p: (events.append(p), progress(p))[1]))
        assert busy == [1] and [e.evaluations for e in events] == [1, 2, 3]
        assert refined.score == pytest.approx(max(e.similarity for e in events), abs=1e-4)
        assert store.get(saved.id).score == refined.score and store.get(saved.id).voice == refined.voice
        assert not service.refining(saved.id)
        with pytest.raises(UnknownVoiceError):
            run_sync(service.refine_voice("no_such_voice", 1.0))
        with pytest.raises(UnknownVoiceError):
            run_sync(service.refine_voice("af_heart", 1.0))
        with pytest.raises(ValueError):
            run_sync(service.refine_voice(saved.id, 601))
    finally:
        service.delete_voice(saved.id)
    with pytest.raises(UnknownVoiceError):
        run_sync(service.refine_voice(saved.id, 1.0))


def test_cli_refine(reference_wav, tmp_path, capsys, assets_dir):
    voices = str(tmp_path / "voices")
    common = ["--assets", str(assets_dir), "--threads", "2", "--voices-dir", voices]
    assert cli.main(common + ["clone", str(reference_wav), "--name", "Refined", "--seconds", "1"]) == 0
    assert "closest voice Koe can make" in capsys.readouterr().out
    assert cli.main(common + ["refine", "refined", "--seconds", "1"]) == 0
    assert "refined custom voice 'refined'" in capsys.readouterr().out
    assert cli.main(common + ["refine", "nobody", "--seconds", "1"]) == 2
    assert "nobody" in capsys.readouterr().err
    assert cli.main(common + ["refine", "refined", "--seconds", "601"]) == 1
    assert "600" in capsys.readouterr().err
