"""Japanese text normalization: widths, and numbers, dates, times, money, percent, units as kanji numerals.

Numbers become kanji numerals with their counter (``15:30`` -> ``十五時三十分``, ``¥500`` ->
``五百円``, ``50%`` -> ``五十パーセント``), which is how a Japanese reader would say them and
what the analyzer reads with the right sound changes (see :mod:`koe.lang.ja.numbers`).
"""

from __future__ import annotations

import re
import unicodedata

from .numbers import digits_to_kanji, to_kanji

_WIDE = re.compile(r"[\uFF01-\uFFEF\u3000]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = r"\d+(?:\.\d+)?"

_CURRENCY_BEFORE = {"¥": "円", "$": "ドル", "€": "ユーロ", "£": "ポンド", "₩": "ウォン"}
#: Units written in Latin letters after a number (5km), read as Japanese words.
_UNITS = {"km": "キロメートル", "kg": "キログラム", "cm": "センチメートル", "mm": "ミリメートル", "m": "メートル",
          "g": "グラム", "mg": "ミリグラム", "ml": "ミリリットル", "mL": "ミリリットル", "l": "リットル",
          "L": "リットル", "GB": "ギガバイト", "MB": "メガバイト", "KB": "キロバイト", "TB": "テラバイト",
          "km/h": "キロ", "h": "時間", "min": "分", "s": "秒", "kcal": "キロカロリー"}

_DATE = re.compile(r"(?<!\d)(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
_MONEY = re.compile(r"([¥$€£₩])\s?(" + _NUMBER + r")")
_PERCENT = re.compile(r"(" + _NUMBER + r")\s?[%％]")
_DEGREES = re.compile(r"(" + _NUMBER + r")\s?(?:℃|°C|°)")
_UNIT = re.compile(r"(" + _NUMBER + r")\s?(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
                   + r")(?![A-Za-z])")
_RANGE = re.compile(r"(?<=\d)\s?[~〜～]\s?(?=[\d¥$€£])")
_PHONE = re.compile(r"(?<!\d)(0\d{1,4})-(\d{1,4})-(\d{3,4})(?!\d)")
_FRACTION = re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])")
_NEGATIVE = re.compile(r"(?<![\w\d])[-−](?=\d)")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_INTEGER = re.compile(r"\d+")


def _wide_to_narrow(match: re.Match) -> str:
    return unicodedata.normalize("NFKC", match.group()).replace("\u3000", " ")


def _integer(digits: str) -> str:
    if len(digits) > 1 and digits.startswith("0") or len(digits) > 20:
        return digits_to_kanji(digits)
    return to_kanji(int(digits))


def _number(text: str) -> str:
    """Digits (with a decimal point) as kanji numerals: 3.14 -> 三点一四."""
    whole, _, fraction = text.partition(".")
    return _integer(whole) + ("点" + digits_to_kanji(fraction) if fraction else "")


def normalize_text(text: str) -> str:
    """Numbers, dates, times, money, percent and units in ``text`` written out as Japanese reads them."""
    text = _WIDE.sub(_wide_to_narrow, text)  # full-width ASCII -> ASCII, half-width kana -> kana
    text = _THOUSANDS.sub("", text)
    text = _DATE.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", text)
    text = _TIME.sub(lambda m: f"{int(m[1])}時" + (f"{int(m[2])}分" if int(m[2]) else "")
                     + (f"{int(m[3])}秒" if m[3] and int(m[3]) else ""), text)
    text = _MONEY.sub(lambda m: m[2] + _CURRENCY_BEFORE[m[1]], text)
    text = _PERCENT.sub(lambda m: m[1] + "パーセント", text)
    text = _DEGREES.sub(lambda m: m[1] + "度", text)
    text = _UNIT.sub(lambda m: m[1] + _UNITS[m[2]], text)
    text = _RANGE.sub("から", text)
    text = _PHONE.sub(lambda m: "の".join(digits_to_kanji(g) for g in m.groups()), text)
    text = _FRACTION.sub(lambda m: f"{_integer(m[2])}分の{_integer(m[1])}", text)
    text = _NEGATIVE.sub("マイナス", text)
    text = _DECIMAL.sub(lambda m: _number(m.group()), text)
    return _INTEGER.sub(lambda m: _integer(m.group()), text)
