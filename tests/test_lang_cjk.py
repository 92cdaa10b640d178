"""Japanese and Mandarin front ends: numbers and counters, kana rules, tone sandhi, erhua, mixed scripts."""

from __future__ import annotations

import json

import pytest
from koe.lang.ja.kana import kana_to_phonemes, long_vowels
from koe.lang.ja.normalize import normalize_text as normalize_ja
from koe.lang.zh import ChineseFrontEnd
from koe.lang.zh.normalize import normalize_text as normalize_zh
from koe.lang.zh.pinyin import syllable_to_phonemes
from koe.lang.zh.sandhi import Syllable, third_tone
from koe.runtime import run_sync


@pytest.fixture(scope="module")
def front_ends(assets_dir):
    from koe.assets import DirectoryAssets
    from koe.lang.loader import FrontEnds
    from koe.runtimes.onnxruntime import OnnxRuntime

    return FrontEnds(DirectoryAssets(assets_dir), runtime=OnnxRuntime(threads=1))


@pytest.fixture(scope="module")
def ja(front_ends):
    return run_sync(front_ends.get("ja"))


@pytest.fixture(scope="module")
def zh(front_ends):
    return run_sync(front_ends.get("zh"))


@pytest.fixture(scope="module")
def vocab(assets_dir) -> set[str]:
    return set(json.loads((assets_dir / "model" / "vocab.json").read_text(encoding="utf-8")))


def phonemize(front_end, text: str):
    return run_sync(front_end.phonemize(front_end.normalize(text)))


def words(front_end, text: str) -> dict[str, str]:
    return {t.text: t.phonemes for t in phonemize(front_end, text).tokens if t.kind == "word"}


# --- Japanese ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, normalized", [
    ("15:30に", "十五時三十分に"),
    ("¥500です", "五百円です"),
    ("５００円", "五百円"),
    ("50%", "五十パーセント"),
    ("2024年4月1日", "二千二十四年四月一日"),
    ("1,000人", "千人"),
    ("3.14", "三点一四"),
    ("2024/04/01", "二千二十四年四月一日"),
    ("5km", "五キロメートル"),
    ("10000", "一万"),
    ("-5", "マイナス五"),
])
def test_japanese_normalizer_writes_numbers_as_kanji_numerals(raw, normalized):
    assert normalize_ja(raw) == normalized


@pytest.mark.parametrize("text, phonemes", [
    ("3匹", "sambʲikʲi"), ("1匹", "iʔpʲikʲi"), ("6匹", "ɾoʔpʲikʲi"),
    ("1本", "iʔpoɴ"), ("3本", "samboɴ"), ("10本", "ʥɨʔpoɴ"), ("何本", "namboɴ"),
    ("600", "ɾoʔpʲakɯ"), ("300", "sambʲakɯ"), ("8000円", "haʔseɴeɴ"),
    ("3分", "sampɯɴ"), ("4分", "jompɯɴ"), ("5分", "ɡoɸɯɴ"),
    ("3階", "saŋɡai"), ("1個", "iʔko"), ("8歳", "haʔsai"), ("20歳", "hataʨi"),
    ("4時", "joʥi"), ("9時", "kɯʥi"), ("2024年", "ɲiseɲɲiʥɨːjoneɴ"),
    ("20日", "haʦɨka"), ("一人", "çitoɾʲi"), ("二人", "ɸɯtaɾʲi"), ("4人", "joɲiɴ"),
    ("¥500", "ɡoçakɯeɴ"), ("50%", "ɡoʥɨʔpaːsento"),
])
def test_japanese_numbers_are_read_with_their_counters(ja, text, phonemes):
    assert phonemize(ja, text).phonemes == phonemes


def test_japanese_dates_and_times(ja):
    assert phonemize(ja, "4月1日").phonemes == "ɕiɡaʦɨ ʦɨitaʨi"   # the 1st of a month: ついたち
    assert phonemize(ja, "1日に2回").phonemes == "iʨiɲiʨi ɲi ɲikai"  # one day: いちにち
    assert phonemize(ja, "15:30").phonemes == "ʥɨːɡoʥi saɲʥɨʔpɯɴ"


@pytest.mark.parametrize("text, phonemes", [
    ("東京", "toːkʲoː"), ("先生", "seɴseː"), ("新しい", "ataɾaɕiː"), ("コーヒー", "koːçiː"),  # long vowels
    ("散歩", "sampo"), ("本気", "hoŋkʲi"), ("案内", "annai"), ("本", "hoɴ"),                # moraic nasal
    ("切符", "kʲiʔpɯ"), ("ちょっと", "ʨoʔto"),                                               # geminates
    ("今日", "kʲoː"), ("牛乳", "ɡʲɨːɲɨː"), ("ジョギング", "ʥoɡʲiŋɡɯ"),                       # palatalization
    ("寿司", "sɨɕi"), ("ファイル", "ɸaiɾɯ"),
])
def test_japanese_kana_rules(ja, text, phonemes):
    assert phonemize(ja, text).phonemes == phonemes


def test_japanese_particles_read_as_pronounced(ja):
    assert phonemize(ja, "私は駅へ行く").phonemes == "βataɕi βa ekʲi e ikɯ"


def test_kana_conversion_rules():
    assert kana_to_phonemes("きゃきゅきょ") == "kʲakʲɨkʲo"
    assert kana_to_phonemes("さんま") == "samma" and kana_to_phonemes("さんか") == "saŋka"
    assert kana_to_phonemes("ほん") == "hoɴ" and kana_to_phonemes("こんにちは") == "koɲɲiʨiha"
    assert kana_to_phonemes("ティー") == "tʲiː"
    assert long_vowels("センセイ") == "センセー" and long_vowels("アタラシイ", long_ii=True) == "アタラシー"
    assert long_vowels("オチイレ") == "オチイレ"  # i + i across a compound stays two vowels


def test_japanese_punctuation_is_mapped_with_misaki_spacing(ja):
    result = phonemize(ja, "「はい」、そう。本当？うん！")
    assert [t.text for t in result.tokens if t.kind == "punct"] == ["“", "”", ",", ".", "?", "!"]
    assert result.phonemes == "“hai”, soː. hontoː? ɯɴ!"


def test_japanese_spans_point_into_the_text(ja):
    text = ja.normalize("駅の近くに新しいお店ができました。猫が3匹います。")
    for token in run_sync(ja.phonemize(text)).tokens:
        start, end = token.span
        assert text[start:end] == token.text if token.kind == "word" else len(text[start:end]) == 1


def test_latin_words_in_japanese_are_spoken_in_english(ja, front_ends):
    result = phonemize(ja, "新しいiPhoneとWiFi、OKです。")
    spoken = {t.text: t.phonemes for t in result.tokens}
    assert result.skipped == []
    english = run_sync(run_sync(front_ends.get("en-us")).phonemize("iPhone")).phonemes
    assert spoken["iPhone"] == english and spoken["WiFi"] and spoken["OK"]


def test_a_script_japanese_cannot_read_is_skipped_and_named(ja):
    result = phonemize(ja, "Привет、元気ですか。สวัสดี")
    assert result.skipped == ["Привет", "สวัสดี"]
    assert result.phonemes == ", ɡeŋkʲi desɨ ka."


@pytest.mark.parametrize("text", ["", "   ", "★☆♪", "。。、", "＃＠"])
def test_japanese_empty_and_symbol_only_input(ja, text):
    result = phonemize(ja, text)
    assert result.skipped == [] and all(t.kind == "punct" for t in result.tokens)


def test_a_long_japanese_text_phonemizes_completely(ja, vocab, assets_dir):
    from conftest import ROOT

    sentences = (ROOT / "benchmarks" / "lang_sentences" / "ja.txt").read_text(encoding="utf-8").split()
    text = "".join(sentences)
    text = (text * (20000 // len(text) + 1))[:20000]
    result = phonemize(ja, text)
    assert result.skipped == []
    assert all(t.phonemes for t in result.tokens)
    assert sum(t.kind == "word" for t in result.tokens) > 5000
    assert set(result.phonemes) <= vocab | {" "}


# --- Mandarin ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, normalized", [
    ("2024年3月5日", "二零二四年三月五日"),
    ("3.5%", "百分之三点五"),
    ("15:30", "十五点三十分"),
    ("9:05", "九点零五分"),
    ("￥25.8", "二十五点八元"),
    ("-5℃", "零下五摄氏度"),
    ("1/3", "三分之一"),
    ("第1名", "第一名"),
    ("10,000", "一万"),
    ("13812345678", "幺三八幺二三四五六七八"),
    ("5km", "五公里"),
])
def test_mandarin_normalizer(raw, normalized):
    assert normalize_zh(raw) == normalized


@pytest.mark.parametrize("pinyin, phonemes", [
    ("zhong1", "ꭧʊ→ŋ"), ("jin1", "ʨi→n"), ("xiang3", "ɕja↓ŋ"), ("shi4", "ʂɨ↘"), ("zi3", "ʦɨ↓"),
    ("lv4", "ly↘"), ("yue4", "ɥe↘"), ("you3", "jou↓"), ("wei4", "wei↘"), ("er2", "ɚ↗"), ("ma5", "ma"),
    ("chi1", "ꭧʰɨ→"), ("quan2", "ʨʰɥɛ↗n"), ("gui4", "kwei↘"), ("ng2", "ŋ↗"), ("bo1", "pwo→"),
])
def test_pinyin_to_phonemes(pinyin, phonemes):
    assert syllable_to_phonemes(pinyin) == phonemes


def test_mandarin_sentence(zh):
    assert phonemize(zh, "我们今天去北京。").phonemes == "wo↓mən ʨi→ntʰjɛ→n ʨʰy↘ pei↓ʨi→ŋ."


@pytest.mark.parametrize("text, word, phonemes", [
    ("不去", "不去", "pu↗ʨʰy↘"),         # 不 before a fourth tone: bú
    ("不好", "不好", "pu↘xau↓"),
    ("一天", "一天", "i↘tʰjɛ→n"),        # 一 before tones 1-3: yì
    ("一个", "一个", "i↗kɤ↘"),           # before a fourth tone: yí
    ("第一", "第一", "ti↘i→"),           # ordinal: yī
    ("十一", "十一", "ʂɨ↗i→"),
    ("统一", "统一", "tʰʊ↓ŋi→"),         # ending its word
    ("看一看", "看一看", "kʰa↘nikʰa↘n"),  # between a repeated verb: neutral
])
def test_yi_and_bu_tone_sandhi(zh, text, word, phonemes):
    assert words(zh, text)[word] == phonemes


def test_bu_sandhi_reaches_across_words(zh):
    assert phonemize(zh, "不对").phonemes == "pu↗ twei↘"


def test_third_tone_sandhi(zh):
    syllables = [Syllable("展", "zhan3", 0), Syllable("览", "lan3", 0), Syllable("馆", "guan3", 0),
                 Syllable("好", "hao3", 1)]
    third_tone(syllables)
    assert [s.pinyin for s in syllables] == ["zhan2", "lan2", "guan3", "hao3"]
    plain = phonemize(zh, "你好").phonemes
    sandhied = run_sync(ChineseFrontEnd(zh.segmenter, zh.pinyin, zh.english, three_tone_sandhi=True).phonemize("你好"))
    assert plain == "ni↓xau↓"  # as misaki wrote it for the v1.0 voices (off by default, see koe.lang.zh.sandhi)
    assert sandhied.phonemes == "ni↗xau↓"


def test_erhua_stays_in_its_word(zh):
    result = phonemize(zh, "我们一边儿聊天儿")
    assert {"一边儿": "i↘pjɛ→nɚ↗", "聊天儿": "ljau↗tʰjɛ→nɚ↗"}.items() <= words(zh, "我们一边儿聊天儿").items()
    assert [t.text for t in result.tokens] == ["我们", "一边儿", "聊天儿"]
    assert words(zh, "儿子")["儿子"] == "ɚ↗ʦɨ"  # 儿 as a syllable of its own


@pytest.mark.parametrize("text, word, phonemes", [
    ("银行", "银行", "i↗nxa↗ŋ"), ("行长", "行长", "xa↗ŋꭧa↓ŋ"), ("长大", "长大", "ꭧa↓ŋta↘"),
    ("头发很长", "很长", "xə↓nꭧʰa↗ŋ"), ("重要", "重要", "ꭧʊ↘ŋjau↘"), ("重新", "重新", "ꭧʰʊ↗ŋɕi→n"),
    ("了解", "了解", "ljau↓ʨje↓"), ("走了", "了", "lɤ"), ("他长得很高", "得", "tɤ"),
])
def test_mandarin_polyphones(zh, text, word, phonemes):
    assert words(zh, text)[word] == phonemes


def test_mandarin_punctuation(zh):
    result = phonemize(zh, "你好，世界！《书》")
    assert [t.text for t in result.tokens if t.kind == "punct"] == [",", "!", "“", "”"]
    assert result.phonemes == "ni↓xau↓, ʂɨ↘ʨje↘! “ʂu→”"


def test_latin_words_in_mandarin_are_spoken_in_english(zh):
    result = phonemize(zh, "我用iPhone给David打电话。")
    spoken = {t.text: t.phonemes for t in result.tokens}
    assert result.skipped == [] and spoken["iPhone"] and spoken["David"]
    for token in result.tokens:
        assert result.tokens and token.span is not None


def test_a_script_mandarin_cannot_read_is_skipped_and_named(zh):
    result = phonemize(zh, "こんにちは，你好。Привет")
    assert result.skipped == ["こんにちは", "Привет"]
    assert result.phonemes == ", ni↓xau↓."


@pytest.mark.parametrize("text", ["", "  ", "★♪", "。，！", "@#"])
def test_mandarin_empty_and_symbol_only_input(zh, text):
    result = phonemize(zh, text)
    assert result.skipped == [] and all(t.kind == "punct" for t in result.tokens)


@pytest.mark.parametrize("code", ["ja", "zh"])
def test_every_symbol_is_in_kokoros_vocabulary(front_ends, vocab, code):
    from conftest import ROOT

    front_end = run_sync(front_ends.get(code))
    for line in (ROOT / "benchmarks" / "lang_sentences" / f"{code}.txt").read_text(encoding="utf-8").splitlines():
        phonemes = phonemize(front_end, line).phonemes
        assert set(phonemes) <= vocab | {" "}, (line, set(phonemes) - vocab)


# --- the browser's wheels ---------------------------------------------------------------------------

def test_the_browsers_repacked_wheels_read_like_the_originals(assets_dir, tmp_path):
    """tools/build_lang_wheels.py repacks janome's data and trims jieba for Pyodide: same analyses."""
    import subprocess
    import sys
    import zipfile

    from conftest import ROOT

    index_path = assets_dir / "py" / "lang-wheels.json"
    if not index_path.exists():
        pytest.skip("web/public/py/lang-wheels.json is not built (run ./build.sh)")
    index = json.loads(index_path.read_text())
    for package in ("janome", "jieba"):
        with zipfile.ZipFile(assets_dir / "py" / index[package]["file"]) as wheel:
            wheel.extractall(tmp_path)
    text = (ROOT / "benchmarks" / "lang_sentences" / "ja.txt").read_text(encoding="utf-8")
    chinese = (ROOT / "benchmarks" / "lang_sentences" / "zh.txt").read_text(encoding="utf-8")
    script = """
import json, sys
from janome.tokenizer import Tokenizer
import jieba, logging
jieba.setLogLevel(logging.WARNING)
tokens = [(t.surface, t.part_of_speech, t.phonetic) for t in Tokenizer(mmap=True).tokenize(sys.argv[1])]
words = jieba.Tokenizer().lcut(sys.argv[2])
print(json.dumps([tokens, words, jieba.__file__], ensure_ascii=False))
"""
    def run(*path_args):
        out = subprocess.run([sys.executable, *path_args, "-c", script, text, chinese], capture_output=True,
                             text=True, check=True, env={"PYTHONPATH": str(tmp_path)} if path_args else None)
        return json.loads(out.stdout)

    repacked = run("-S")  # without site-packages: only the extracted wheels and the standard library
    original = run()
    assert repacked[2].startswith(str(tmp_path)) and not original[2].startswith(str(tmp_path))
    assert repacked[:2] == original[:2]
