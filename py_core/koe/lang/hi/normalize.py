"""Hindi text normalization: numbers, dates, times, money, percent and abbreviations as words.

Readings follow everyday Hindi rather than a digit-by-digit spelling: years 1100-1999 by
hundreds (1947 -> उन्नीस सौ सैंतालीस), clock times with साढ़े/सवा/पौने (7:30 -> साढ़े सात
बजे), Indian grouping for large numbers (लाख, करोड़). Devanagari digits (०-९) read like
ASCII ones; the danda (। ॥) becomes a full stop, which ends the sentence.
"""

from __future__ import annotations

import re

from .numbers import DEVANAGARI_DIGITS, cardinal, digits_in_words, ordinal, year

MONTHS = ("जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर",
          "नवंबर", "दिसंबर")
MONTH_NAMES = "|".join(MONTHS + ("फरवरी", "सितम्बर", "अक्तूबर", "नवम्बर", "दिसम्बर"))

# Abbreviations with a full stop or the Devanagari abbreviation sign (॰).
ABBREVIATIONS = {
    "डॉ": "डॉक्टर", "प्रो": "प्रोफ़ेसर", "नं": "नंबर", "पृ": "पृष्ठ", "स्व": "स्वर्गीय",
    "कि.मी": "किलोमीटर", "कि.ग्रा": "किलोग्राम", "से.मी": "सेंटीमीटर", "मि.मी": "मिलीमीटर",
    "मि.ली": "मिलीलीटर", "ई.पू": "ईसा पूर्व", "ई": "ईसवी", "रु": "रुपये",
}
# Units written in Latin letters after a number.
UNITS_AFTER_NUMBER = {"km": "किलोमीटर", "kg": "किलोग्राम", "cm": "सेंटीमीटर", "mm": "मिलीमीटर",
                      "ml": "मिलीलीटर", "gm": "ग्राम", "kmph": "किलोमीटर प्रति घंटा"}
CURRENCIES = {"₹": ("रुपया", "रुपये", "पैसे"), "रु": ("रुपया", "रुपये", "पैसे"), "Rs": ("रुपया", "रुपये", "पैसे"),
              "INR": ("रुपया", "रुपये", "पैसे"), "$": ("डॉलर", "डॉलर", "सेंट"), "€": ("यूरो", "यूरो", "सेंट"),
              "£": ("पाउंड", "पाउंड", "पेंस")}
SYMBOLS = {"&": " और ", "+": " प्लस ", "=": " बराबर ", "@": " एट ", "°": " डिग्री "}

NUMBER = r"\d+(?:,\d+)*(?:\.\d+)?"
_ABBREVIATION = re.compile(
    r"(?<![\u0900-\u097F])(" + "|".join(re.escape(a).replace(r"\.", "[.॰]")
                                         for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")[.॰]")
_MONEY = re.compile(r"(₹|\$|€|£|\bRs\b\.?|\bINR\b|रु\b\.?|रु[.॰]?)\s?(" + NUMBER + r")(?:\s?(?:/-|रुपये|रुपए))?")
_PERCENT = re.compile(r"(" + NUMBER + r")\s?%")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b(\s?बजे)?")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_MONTH_YEAR = re.compile(r"(" + MONTH_NAMES + r")(,?\s+)(\d{4})\b")
_ERA_YEAR = re.compile(r"(सन्|सन|वर्ष|साल)(\s+)(\d{4})\b|\b(\d{4})(\s*)(ई[.॰]|ईसवी|ईस्वी)")
_ORDINAL = re.compile(r"\b(\d+)\s?(वाँ|वां|वीं|वें)")
_UNIT = re.compile(r"(" + NUMBER + r")\s?(" + "|".join(UNITS_AFTER_NUMBER) + r")\b")
_RANGE = re.compile(r"\b(" + NUMBER + r")\s?[-–]\s?(" + NUMBER + r")\b")
_NEGATIVE = re.compile(r"(?<![\w.])[-−](?=\d)")
_NUMBER = re.compile(NUMBER)


def _money(match: re.Match) -> str:
    symbol = match.group(1).rstrip(".").strip()
    one, many, cents = CURRENCIES.get(symbol, CURRENCIES["₹"])
    whole, _, fraction = match.group(2).replace(",", "").partition(".")
    value = int(whole or "0")
    words = f"{cardinal(value)} {one if value == 1 else many}"
    if fraction and int(fraction[:2].ljust(2, "0")):
        words += f" {cardinal(int(fraction[:2].ljust(2, '0')))} {cents}"
    return f" {words} "


def _time(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return match.group(0)
    twelve = hour % 12 or 12
    following = twelve % 12 + 1
    if minute == 0:
        return f"{cardinal(twelve)} बजे"
    if minute == 30 and twelve in (1, 2):
        return ("डेढ़" if twelve == 1 else "ढाई") + " बजे"
    if minute == 30:
        return f"साढ़े {cardinal(twelve)} बजे"
    if minute == 15:
        return f"सवा {cardinal(twelve)} बजे"
    if minute == 45:
        return f"पौने {cardinal(following)} बजे"
    return f"{cardinal(twelve)} बजकर {cardinal(minute)} मिनट"


def _numeric_date(match: re.Match) -> str:
    day, month, year_ = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    return f"{cardinal(day)} {MONTHS[month - 1]} {year(year_)}"


def _era_year(match: re.Match) -> str:
    if match.group(1):
        return f"{match.group(1)}{match.group(2)}{year(int(match.group(3)))}"
    return f"{year(int(match.group(4)))} ईसवी"


def _ordinal(match: re.Match) -> str:
    ending = {"वाँ": "ा", "वां": "ा", "वीं": "ी", "वें": "े"}[match.group(2)]
    return ordinal(int(match.group(1)), ending)


def normalize_text(text: str) -> str:
    """Hindi text with numbers, dates, times, money, percent and abbreviations written out."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text.translate(DEVANAGARI_DIGITS)
    text = _MONEY.sub(_money, text)
    text = _PERCENT.sub(lambda m: f"{digits_in_words(m.group(1))} प्रतिशत", text)
    text = _TIME.sub(_time, text)
    text = _NUMERIC_DATE.sub(_numeric_date, text)
    text = _MONTH_YEAR.sub(lambda m: f"{m.group(1)}{m.group(2)}{year(int(m.group(3)))}", text)
    text = _ERA_YEAR.sub(_era_year, text)
    text = _ORDINAL.sub(_ordinal, text)
    text = _UNIT.sub(lambda m: f"{digits_in_words(m.group(1))} {UNITS_AFTER_NUMBER[m.group(2)]}", text)
    text = _RANGE.sub(lambda m: f"{m.group(1)} से {m.group(2)}", text)  # 10-15 लोग: दस से पंद्रह
    text = _NEGATIVE.sub("ऋण ", text)
    text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).replace("॰", ".")], text)
    text = _NUMBER.sub(lambda m: f" {digits_in_words(m.group(0))} ", text)
    for symbol, words in SYMBOLS.items():
        text = text.replace(symbol, words)
    text = text.replace("॥", ".").replace("।", ".").replace("॰", "")
    text = re.sub(r"\s+([.,!?;:])", r"\1", text)
    return " ".join(text.split())
