"""Japanese numbers: digits -> kanji numerals, and kanji numerals with their counter -> kana.

The normalizer writes numbers as kanji numerals (``2024年`` -> ``二千二十四年``), as a
Japanese reader would; the analyzer then reads a numeral together with the counter after
it, because the counter changes the number's sound and the number the counter's:
``一本`` いっぽん, ``三本`` さんぼん, ``六百`` ろっぴゃく, ``三階`` さんがい, ``四時`` よじ,
``二十日`` はつか, ``一人`` ひとり. Readings are katakana with ``ー`` for long vowels, the
form :func:`koe.lang.ja.kana.kana_to_phonemes` reads.
"""

from __future__ import annotations

from dataclasses import dataclass

DIGIT_KANJI = "〇一二三四五六七八九"
NUMERAL_VALUES = {**{ch: i for i, ch in enumerate(DIGIT_KANJI)}, "零": 0, "壱": 1, "弐": 2, "参": 3,
                  **{str(i): i for i in range(10)}}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
LARGE_UNITS = {"万": 10 ** 4, "億": 10 ** 8, "兆": 10 ** 12, "京": 10 ** 16}
NUMERALS = frozenset(NUMERAL_VALUES) | frozenset(SMALL_UNITS) | frozenset(LARGE_UNITS)
DECIMAL_POINTS = frozenset("点・.")

DIGIT_KANA = ("ゼロ", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュー")
_HUNDREDS = {1: "ヒャク", 3: "サンビャク", 6: "ロッピャク", 8: "ハッピャク"}
_THOUSANDS = {1: "セン", 3: "サンゼン", 8: "ハッセン"}
_LARGE_KANA = {10 ** 4: "マン", 10 ** 8: "オク", 10 ** 12: "チョー", 10 ** 16: "ケー"}


# --- digits -> kanji numerals (normalizer) ---------------------------------------------------------

def to_kanji(n: int) -> str:
    """A non-negative integer as positional kanji numerals: 2024 -> 二千二十四, 10000 -> 一万."""
    if n == 0:
        return "〇"
    out = []
    for unit in sorted(LARGE_UNITS.values(), reverse=True) + [1]:
        group, n = divmod(n, unit)
        if not group:
            continue
        if group >= 10 ** 4:  # beyond 京: read the rest digit by digit
            out.append(digits_to_kanji(str(group)))
        else:
            out.append(_section_kanji(group))
        if unit > 1:
            out.append(next(k for k, v in LARGE_UNITS.items() if v == unit))
    return "".join(out)


def _section_kanji(n: int) -> str:
    out = []
    for unit, mark in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, unit)
        if digit:
            out.append(("" if digit == 1 else DIGIT_KANJI[digit]) + mark)
    if n:
        out.append(DIGIT_KANJI[n])
    return "".join(out)


def digits_to_kanji(digits: str) -> str:
    """Digit by digit: "090" -> 〇九〇."""
    return "".join(DIGIT_KANJI[int(d)] for d in digits)


# --- kanji numerals -> value ---------------------------------------------------------------------------

def parse(numeral: str) -> int | None:
    """The value of positional numerals (二千二十四, 1万5000); None if ``numeral`` is not one."""
    if not numeral or any(ch not in NUMERALS for ch in numeral):
        return None
    total = section = 0
    digits = ""
    for ch in numeral:
        if ch in NUMERAL_VALUES:
            digits += str(NUMERAL_VALUES[ch])
        elif ch in SMALL_UNITS:
            section += (int(digits) if digits else 1) * SMALL_UNITS[ch]
            digits = ""
        else:
            section += int(digits) if digits else 0
            total += (section or 1) * LARGE_UNITS[ch]
            section, digits = 0, ""
    return total + section + (int(digits) if digits else 0)


def is_digit_string(numeral: str) -> bool:
    """Digits without place marks (〇九〇, 一二三): read one by one."""
    return len(numeral) > 1 and all(ch in NUMERAL_VALUES for ch in numeral)


# --- value -> kana ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One spoken piece of a number: its kana and what it is (a digit "1".."9", or 十 百 千 万 億 兆, or 何)."""

    kana: str
    kind: str


def read_integer(n: int) -> list[Part]:
    """An integer as spoken parts: 2024 -> ニセン ニジュー ヨン; 0 -> ゼロ."""
    if n == 0:
        return [Part("ゼロ", "0")]
    parts: list[Part] = []
    for unit in (10 ** 16, 10 ** 12, 10 ** 8, 10 ** 4):
        group, n = divmod(n, unit)
        if group:
            if group >= 10 ** 4:
                parts.extend(Part(DIGIT_KANA[int(d)], d) for d in str(group))
            else:
                parts.extend(_read_section(group))
            last = parts[-1]
            if unit >= 10 ** 12 and last.kind in ("1", "8", "十"):  # いっちょう, はっちょう, じゅっちょう
                parts[-1] = Part(_geminate(last.kana), last.kind)
            parts.append(Part(_LARGE_KANA[unit], {10 ** 16: "京", 10 ** 12: "兆", 10 ** 8: "億", 10 ** 4: "万"}[unit]))
    if n:
        parts.extend(_read_section(n))
    return parts


def _read_section(n: int) -> list[Part]:
    parts = []
    thousands, n = divmod(n, 1000)
    if thousands:
        parts.append(Part(_THOUSANDS.get(thousands, DIGIT_KANA[thousands] + "セン"), "千"))
    hundreds, n = divmod(n, 100)
    if hundreds:
        parts.append(Part(_HUNDREDS.get(hundreds, DIGIT_KANA[hundreds] + "ヒャク"), "百"))
    tens, n = divmod(n, 10)
    if tens:
        parts.append(Part(("" if tens == 1 else DIGIT_KANA[tens]) + "ジュー", "十"))
    if n:
        parts.append(Part(DIGIT_KANA[n], str(n)))
    return parts


def read_digits(numeral: str) -> list[Part]:
    return [Part(DIGIT_KANA[NUMERAL_VALUES[ch]], str(NUMERAL_VALUES[ch])) for ch in numeral]


def _geminate(kana: str) -> str:
    """イチ -> イッ, ロク -> ロッ, ハチ -> ハッ, ジュー -> ジュッ, ヒャク -> ヒャッ."""
    if kana.endswith("ジュー"):
        return kana[:-1] + "ッ"
    if kana.endswith(("チ", "ク")):
        return kana[:-1] + "ッ"
    return kana


# --- counters -------------------------------------------------------------------------------------------

#: Which number endings double the counter's first consonant, per sound class of the counter.
_GEMINATING = {
    "h": frozenset("168十百"),    # 本 匹 杯 分 泊: いっぽん ろっぽん はっぽん じゅっぽん ひゃっぽん
    "k": frozenset("168十百"),    # 個 回 階 か月: いっこ ろっかい はっかい
    "s": frozenset("18十"),       # 歳 冊 週間: いっさい はっさつ じゅっしゅうかん (ろくさい)
    "t": frozenset("18十"),       # 点 頭 通: いってん はっとう
    "p": frozenset("168十"),      # パーセント ページ: いっぱーせんと じゅっぺーじ
    "": frozenset(),
}
_H_TO_P = dict(zip("ハヒフヘホ", "パピプペポ"))
_VOICED = dict(zip("ハヒフヘホカキクケコサシスセソ", "バビブベボガギグゲゴザジズゼゾ"))


@dataclass(frozen=True)
class Counter:
    kana: str
    sound: str = ""             # h | k | s | t | p | "" (see _GEMINATING)
    voiced_after_n: bool = False  # さんぼん, さんがい (after サン セン マン ナン)
    tails: tuple = ()           # (digit, replacement kana) for the number's last digit: 四時 よじ
    whole: tuple = ()           # (value, reading of number and counter together): 一人 ひとり


_FOUR = (("4", "ヨ"),)
_HOUR = (("4", "ヨ"), ("7", "シチ"), ("9", "ク"))
COUNTERS: dict[str, Counter] = {
    "本": Counter("ホン", "h", True), "匹": Counter("ヒキ", "h", True), "杯": Counter("ハイ", "h", True),
    "分": Counter("フン", "h"), "泊": Counter("ハク", "h"), "発": Counter("ハツ", "h"), "歩": Counter("ホ", "h"),
    "品": Counter("ヒン", "h"), "票": Counter("ヒョー", "h", True),
    "個": Counter("コ", "k"), "回": Counter("カイ", "k"), "階": Counter("カイ", "k", True),
    "軒": Counter("ケン", "k", True), "件": Counter("ケン", "k"), "曲": Counter("キョク", "k"),
    "課": Counter("カ", "k"), "缶": Counter("カン", "k"), "巻": Counter("カン", "k"), "か国": Counter("カコク", "k"),
    "ヶ国": Counter("カコク", "k"), "カ国": Counter("カコク", "k"), "キロ": Counter("キロ", "k"),
    "か月": Counter("カゲツ", "k"), "ヶ月": Counter("カゲツ", "k"), "カ月": Counter("カゲツ", "k"),
    "ケ月": Counter("カゲツ", "k"), "箇月": Counter("カゲツ", "k"), "か所": Counter("カショ", "k"),
    "ヶ所": Counter("カショ", "k"), "カ所": Counter("カショ", "k"), "箇所": Counter("カショ", "k"),
    "歳": Counter("サイ", "s", whole=((20, "ハタチ"),)), "才": Counter("サイ", "s", whole=((20, "ハタチ"),)),
    "冊": Counter("サツ", "s"), "週間": Counter("シューカン", "s"), "週": Counter("シュー", "s"),
    "足": Counter("ソク", "s", True), "社": Counter("シャ", "s"), "世紀": Counter("セーキ", "s"),
    "隻": Counter("セキ", "s"), "席": Counter("セキ", "s"), "センチ": Counter("センチ", "s"),
    "点": Counter("テン", "t"), "頭": Counter("トー", "t"), "通": Counter("ツー", "t"),
    "着": Counter("チャク", "t"), "丁目": Counter("チョーメ", "t"), "トン": Counter("トン", "t"),
    "パーセント": Counter("パーセント", "p"), "ページ": Counter("ページ", "p"),
    "ポイント": Counter("ポイント", "p"), "ポンド": Counter("ポンド", "p"),
    "時": Counter("ジ", tails=_HOUR), "時間": Counter("ジカン", tails=_HOUR),
    "年": Counter("ネン", tails=_FOUR), "円": Counter("エン", tails=_FOUR),
    "人": Counter("ニン", tails=(("4", "ヨ"), ("7", "シチ")), whole=((1, "ヒトリ"), (2, "フタリ"))),
    "枚": Counter("マイ"), "台": Counter("ダイ"), "番": Counter("バン"), "度": Counter("ド"),
    "倍": Counter("バイ"), "秒": Counter("ビョー"), "名": Counter("メー"), "位": Counter("イ"),
    "号": Counter("ゴー"), "割": Counter("ワリ"), "問": Counter("モン"), "代": Counter("ダイ"),
    "部": Counter("ブ"), "羽": Counter("ワ"), "組": Counter("クミ"), "メートル": Counter("メートル"),
    "グラム": Counter("グラム"), "リットル": Counter("リットル"), "ドル": Counter("ドル"),
    "ユーロ": Counter("ユーロ"), "ミリ": Counter("ミリ"),
}
#: The month after a number (四月 しがつ); janome already reads most months as one word.
MONTH = Counter("ガツ", tails=(("4", "シ"), ("7", "シチ"), ("9", "ク")))
#: Days of the month and counts of days with their own words.
_DAYS = {1: "ツイタチ", 2: "フツカ", 3: "ミッカ", 4: "ヨッカ", 5: "イツカ", 6: "ムイカ", 7: "ナノカ",
         8: "ヨーカ", 9: "ココノカ", 10: "トーカ", 14: "ジューヨッカ", 20: "ハツカ", 24: "ニジューヨッカ"}
DAY = Counter("ニチ", tails=(("7", "シチ"), ("9", "ク")))


def read_counted(parts: list[Part], counter: Counter, value: int | None = None) -> str:
    """A number's spoken parts followed by a counter, with the sound changes between them."""
    if value is not None:
        for whole_value, reading in counter.whole:
            if value == whole_value:
                return reading
    head = "".join(p.kana for p in parts[:-1])
    tail = parts[-1]
    tail_kana, kana = tail.kana, counter.kana
    replaced = dict(counter.tails).get(tail.kind) if tail.kind.isdigit() and tail.kind != "0" else None
    if replaced is not None:
        tail_kana = replaced
    elif tail.kind in _GEMINATING[counter.sound]:
        tail_kana = _geminate(tail_kana)
        if counter.sound == "h":
            kana = _H_TO_P.get(kana[0], kana[0]) + kana[1:]
    elif tail_kana.endswith("ン"):
        if counter.voiced_after_n and tail.kind != "4":  # さんぼん, さんがい, なんぼん (but よんほん)
            kana = _VOICED.get(kana[0], kana[0]) + kana[1:]
        elif counter.sound == "h":  # さんぷん, よんぷん, せんぷん
            kana = _H_TO_P.get(kana[0], kana[0]) + kana[1:]
    return head + tail_kana + kana


def read_day(value: int, parts: list[Part], date: bool) -> str:
    """N日: ついたち (the 1st, in a date) or いちにち (one day), ふつか, とおか, はつか, じゅうよっか..."""
    if value == 1 and not date:
        return "イチニチ"
    if value in _DAYS:
        return _DAYS[value]
    return read_counted(parts, DAY)


def read_decimal(integer: list[Part], fraction: str) -> list[Part]:
    """3.14 -> サン テン イチ ヨン (いってん, じゅってん); the last part carries the last digit for a counter."""
    head = list(integer)
    if head[-1].kind in ("1", "十"):
        head[-1] = Part(_geminate(head[-1].kana), head[-1].kind)
    return head + [Part("テン", "点")] + read_digits(fraction)
