"""Hindi number words: cardinals with Indian grouping (हज़ार, लाख, करोड़), years, ordinals.

num2words has no Hindi, so the words are written out here. Every number from 0 to 99 has
its own word in Hindi (no regular tens + units pattern), hence the table.
"""

from __future__ import annotations

UNITS = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानबे बानबे तिरानबे चौरानबे पचानबे छियानबे सत्तानबे अट्ठानबे निन्यानबे"
).split()
assert len(UNITS) == 100

DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")

HUNDRED, THOUSAND, LAKH, CRORE = "सौ", "हज़ार", "लाख", "करोड़"
MINUS, POINT = "ऋण", "दशमलव"

#: Ordinals that are not "<cardinal>वाँ" (masculine -ा; the feminine ends in -ी, the oblique in -े).
ORDINAL_STEMS = {1: "पहल", 2: "दूसर", 3: "तीसर", 4: "चौथ", 6: "छठ"}


def cardinal(n: int) -> str:
    """A non-negative integer in words: 125000 -> "एक लाख पच्चीस हज़ार"."""
    if n < 0:
        return f"{MINUS} {cardinal(-n)}"
    if n < 100:
        return UNITS[n]
    words = []
    crore, n = divmod(n, 10_000_000)
    if crore:
        words += [cardinal(crore), CRORE]
    for size, name in ((100_000, LAKH), (1000, THOUSAND), (100, HUNDRED)):
        count, n = divmod(n, size)
        if count:
            words += [UNITS[count], name]
    if n:
        words.append(UNITS[n])
    return " ".join(words)


def year(n: int) -> str:
    """A year: 1947 -> "उन्नीस सौ सैंतालीस" (hundreds), 2024 -> "दो हज़ार चौबीस"."""
    if 1100 <= n <= 1999:
        hundreds, rest = divmod(n, 100)
        return f"{UNITS[hundreds]} {HUNDRED}" + (f" {UNITS[rest]}" if rest else "")
    return cardinal(n)


def decimal(text: str) -> str:
    """Digits with a decimal point: "3.25" -> "तीन दशमलव दो पाँच" (digits after the point one by one)."""
    whole, _, fraction = text.partition(".")
    words = [cardinal(int(whole or "0"))]
    if fraction:
        words.append(POINT)
        words += [UNITS[int(d)] for d in fraction]
    return " ".join(words)


def digits_in_words(text: str) -> str:
    """A written number in words: "1,25,000" (any grouping), "3.5", or a code such as "0421"
    (leading zero, or too long to be a quantity) digit by digit. Devanagari digits allowed."""
    text = text.translate(DEVANAGARI_DIGITS).replace(",", "")
    if "." in text:
        return decimal(text)
    if len(text) > 1 and text.startswith("0") or len(text) > 15:
        return " ".join(UNITS[int(d)] for d in text)
    return cardinal(int(text))


def ordinal(n: int, ending: str = "ा") -> str:
    """5 -> "पाँचवाँ"; 1 -> "पहला". ``ending`` is ा, ी or े (gender/case)."""
    stem = ORDINAL_STEMS.get(n)
    if stem:
        return stem + ending
    nasal = {"ा": "वाँ", "ी": "वीं", "े": "वें"}[ending]
    return cardinal(n) + nasal
