"""Mandarin text normalization: numbers, dates, times, money, percent and units in Chinese numerals.

Numbers are read as misaki's Mandarin front end read them in training, with ``cn2an``
(``2024年`` 二零二四年, ``3.5%`` 百分之三点五, ``-3`` 负三, ``1/3`` 三分之一); before it, the
forms cn2an leaves alone are written out: clock times (``15:30`` 十五点三十分), money
(``￥25.8`` 25.8元), temperatures below zero, ISO dates, and units after a number (``5km``).
"""

from __future__ import annotations

import re
import unicodedata

import cn2an

_WIDE = re.compile(r"[\uFF01-\uFF5E\uFFE0-\uFFE6\u3000]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = r"\d+(?:\.\d+)?"

_DATE = re.compile(r"(?<!\d)(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?!\d)")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
_CURRENCY = {"¥": "元", "$": "美元", "€": "欧元", "£": "英镑", "₩": "韩元"}
_MONEY = re.compile(r"([¥$€£₩])\s?(" + _NUMBER + r")")
_BELOW_ZERO = re.compile(r"[-−](" + _NUMBER + r")\s?(?=℃|°C|度)")
_CELSIUS = re.compile(r"(?<=\d)\s?(?:℃|°C)")
_UNITS = {"km": "公里", "kg": "公斤", "cm": "厘米", "mm": "毫米", "m": "米", "g": "克", "mg": "毫克",
          "ml": "毫升", "mL": "毫升", "L": "升", "l": "升", "GB": "GB", "MB": "MB", "h": "小时",
          "min": "分钟", "s": "秒", "km/h": "公里每小时"}
_UNIT = re.compile(r"(" + _NUMBER + r")\s?(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
                   + r")(?![A-Za-z])")
_LONG_DIGITS = re.compile(r"(?<![\d.])(0\d+|\d{11,})(?![\d.])")
#: Digit by digit, as phone numbers are read (1 as 幺 yāo, which cannot be mistaken for 7).
_DIGITS = "零幺二三四五六七八九"


def _wide_to_narrow(match: re.Match) -> str:
    return unicodedata.normalize("NFKC", match.group()).replace("\u3000", " ")


def _time(match: re.Match) -> str:
    hours, minutes, seconds = int(match[1]), int(match[2]), match[3]
    out = f"{hours}点"
    if minutes:
        out += ("零" if minutes < 10 else "") + f"{minutes}分"
    if seconds and int(seconds):
        out += f"{int(seconds)}秒"
    return out


def normalize_text(text: str) -> str:
    """Numbers, dates, times, money, percent and units in ``text`` written in Chinese numerals."""
    text = _WIDE.sub(_wide_to_narrow, text)  # full-width digits and letters -> ASCII
    text = _THOUSANDS.sub("", text)
    text = _DATE.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", text)
    text = _TIME.sub(_time, text)
    text = _MONEY.sub(lambda m: m[2] + _CURRENCY[m[1]], text)
    text = _BELOW_ZERO.sub(lambda m: "零下" + m[1], text)
    text = _CELSIUS.sub("摄氏度", text)
    text = _UNIT.sub(lambda m: m[1] + _UNITS[m[2]], text)
    text = _LONG_DIGITS.sub(lambda m: "".join(_DIGITS[int(d)] for d in m.group()), text)  # phone numbers, codes
    return cn2an.transform(text, "an2cn")
