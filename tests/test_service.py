"""The application layer the CLI, the server and the browser share: voice ids, imports, the catalogue."""

from __future__ import annotations

import pytest

from koe.errors import InvalidRecipeError, UnknownVoiceError, VoiceExistsError
from koe.recipe import Recipe
from koe.service import REFUSE, REPLACE, SUFFIX, KoeService
from koe.voice_store import VoiceStore


def recipe(voice_id: str, name: str = "") -> Recipe:
    return Recipe(id=voice_id, name=name or voice_id, components=(("af_heart", 0.7), ("bf_emma", 0.3)))


@pytest.fixture
def service(engine, tmp_path):
    service = KoeService(engine, store=VoiceStore(tmp_path / "voices", presets=engine.voice_bank.presets),
                         reserved={"nova"})
    yield service
    engine.voice_bank.custom.clear()


def test_one_rule_names_new_voices(service):
    assert service.choose_id("Grandma Rosé") == ("grandma_rose", "Grandma Rosé")
    assert service.choose_id(None) == ("added_speaker_1", "added_speaker_1")
    assert service.choose_id("日本語") == ("added_speaker_1", "日本語")  # nothing to slug: numbered, name kept
    for taken in ("af_heart", "Nova"):  # a preset, a reserved name
        with pytest.raises(VoiceExistsError):
            service.choose_id(taken)
    service.save_voice(recipe("grandma_rose"))
    with pytest.raises(VoiceExistsError):
        service.choose_id("Grandma Rose", existing=REFUSE)
    assert service.choose_id("Grandma Rose", existing=REPLACE)[0] == "grandma_rose"
    assert service.choose_id("Grandma Rose", existing=SUFFIX)[0] == "grandma_rose_2"
    assert service.choose_id(None)[0] == "added_speaker_1"
    service.save_voice(recipe("added_speaker_1"))
    assert service.choose_id(None)[0] == "added_speaker_2"


def test_imports_are_validated_and_get_free_ids(service):
    service.save_voice(recipe("warm"))
    imported = service.import_recipe(recipe("warm", "Warm").to_json())
    assert (imported.id, imported.name) == ("warm_2", "Warm")
    assert "warm_2" not in service.voice_bank.custom  # not registered until saved
    renamed = service.import_recipe(recipe("warm").to_dict(), name="Cool")
    assert renamed.id == "cool"
    with pytest.raises(InvalidRecipeError):
        service.import_recipe('{"components": [{"voice": "zz_nobody", "weight": 1}], "id": "x"}')


def test_the_page_s_saved_voices_replace_the_custom_voices(service):
    old_form = {"id": "mix", "name": "Mix", "components": [["af_heart", 2], ["bf_emma", 1]]}
    accepted, problems = service.replace_custom_voices([old_form, {"id": "bad", "components": []}, "junk"])
    assert [r.id for r in accepted] == ["mix"] and len(problems) == 2
    assert service.voice_bank.resolve("mix").components == (("af_heart", 0.6667), ("bf_emma", 0.3333))
    accepted, _ = service.replace_custom_voices([])
    assert accepted == [] and "mix" not in service.voice_bank.custom


def test_delete_forgets_custom_voices_and_refuses_presets(service):
    service.save_voice(recipe("gone"))
    service.delete_voice("gone")
    assert "gone" not in service.voice_bank.custom and service.store.ids() == set()
    with pytest.raises(UnknownVoiceError):
        service.delete_voice("gone")
    with pytest.raises(VoiceExistsError):
        service.delete_voice("af_heart")


def test_an_unwritable_folder_is_reported_before_any_search(service, tmp_path):
    from koe.errors import VoiceStoreError

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    service.store = VoiceStore(blocked, presets=service.voice_bank.presets)
    with pytest.raises(VoiceStoreError) as caught:
        service.store.check_writable()
    assert "not writable" in caught.value.message and str(tmp_path) not in caught.value.message
    with pytest.raises(VoiceStoreError):
        service.save_voice(recipe("x"))
    with pytest.raises(UnknownVoiceError):
        service.delete_voice("nobody")


def test_hostile_recipe_files_are_refused_not_fatal(service):
    import os

    folder = service.store.root
    service.store.check_writable()
    with open(os.path.join(folder, "deep.json"), "w") as handle:
        handle.write("[" * 30000 + "]" * 30000)
    with open(os.path.join(folder, "huge.json"), "w") as handle:
        handle.write('{"id": "huge", "components": [{"voice": "af_heart", "weight": 1' + "0" * 400 + "}]}")
    service.save_voice(recipe("fine"))
    loaded, problems = service.load_stored_voices()
    assert [r.id for r in loaded] == ["fine"] and set(problems) == {"deep.json", "huge.json"}
    assert all("voice recipe" in message for message in problems.values())
