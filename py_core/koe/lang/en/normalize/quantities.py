"""Ranges, money, percentages, dimensions and units."""

from __future__ import annotations

import re

from .context import alternation, ends_sentence, previous_word
from .numbers import INT, NUM, SIGNED, int_words, n2w, number_words, pad, year_words

_RANGE_RE = re.compile(
    rf"(?=\d)(?<![\w.,:/-])(?P<a>{INT}(?:\.\d+)?)-(?P<b>[$£€¥]?{INT}(?:\.\d+)?)(?![\d-]|[/:.]\d)")


def _range(match: re.Match, british: bool) -> str:
    """5-10 -> 5 to 10 (later passes read the numbers); year ranges are read as years at once."""
    left, right = match.group("a"), match.group("b")
    if left.isdigit() and len(left) == 4 and 1100 <= int(left) <= 2099 and right.isdigit():
        if len(right) == 2:  # 1990-95
            return pad(match, f"{year_words(int(left), british)} to {n2w(int(right), 'cardinal', british)}")
        if len(right) == 4 and int(left) < int(right) <= 2099:
            return pad(match, f"{year_words(int(left), british)} to {year_words(int(right), british)}")
    return f"{left} to {right}"


def read_ranges(text: str, british: bool) -> str:
    return _RANGE_RE.sub(lambda m: _range(m, british), text) if "-" in text else text


#: symbol -> (singular, plural, minor singular, minor plural)
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "US$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None), "₹": ("rupee", "rupees", "paisa", "paise"),
    "₩": ("won", "won", None, None), "₽": ("ruble", "rubles", "kopek", "kopeks"),
}
_SCALES = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion", "t": "trillion",
           "tn": "trillion", "thousand": "thousand", "million": "million", "billion": "billion",
           "trillion": "trillion"}
_SCALE = r"(?:(?P<scale>[KkMmBbTt]n?)(?![\w'])|\s(?P<scaleword>thousand|million|billion|trillion)\b)"
_CURRENCY_RE = re.compile(
    rf"(?=[-$£€¥₹₩₽U])(?P<neg>(?<![\w.,-])-)?(?<![\w$])(?P<cur>US\$|[$£€¥₹₩₽])\s?(?P<num>{NUM}){_SCALE}?")
_CURRENCY_AFTER_RE = re.compile(rf"{SIGNED}\s?(?P<cur>[€£$¥₹₩₽])(?![\w$€£¥])")
_CENTS_RE = re.compile(rf"{SIGNED}\s?¢")


def _money(number: str, currency: str, scale: str | None, british: bool) -> str:
    negative = number.startswith("-")
    number = number.lstrip("-").replace(",", "")
    one, many, minor_one, minor_many = _CURRENCIES[currency]
    sign = "minus " if negative else ""
    if scale:
        return f"{sign}{number_words(number, british)} {_SCALES[scale.lower()]} {many}"
    whole, _, fraction = number.partition(".")
    if fraction and (len(fraction) > 2 or minor_one is None):
        return f"{sign}{number_words(number, british)} {many}"
    whole = whole or "0"
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if whole.strip("0") or not cents:
        parts.append(f"{int_words(whole, british)} {one if whole.lstrip('0') == '1' else many}")
    if cents:
        parts.append(f"{n2w(cents, 'cardinal', british)} {minor_one if cents == 1 else minor_many}")
    return sign + " and ".join(parts)


def read_currency(text: str, british: bool) -> str:
    def before(m: re.Match) -> str:
        number = ("-" if m.group("neg") else "") + m.group("num")
        return pad(m, _money(number, m.group("cur"), m.group("scale") or m.group("scaleword"), british))

    def after(m: re.Match) -> str:
        return pad(m, _money(m.group("num"), m.group("cur"), None, british))

    def cents(m: re.Match) -> str:
        number = m.group("num")
        return pad(m, f"{number_words(number, british)} {'cent' if number.lstrip('-') == '1' else 'cents'}")

    text = _CURRENCY_RE.sub(before, text)
    text = _CURRENCY_AFTER_RE.sub(after, text)
    return _CENTS_RE.sub(cents, text)


_PERCENT_RE = re.compile(rf"{SIGNED}\s?%")


def read_percentages(text: str, british: bool) -> str:
    if "%" not in text:
        return text
    return _PERCENT_RE.sub(lambda m: pad(m, f"{number_words(m.group('num'), british)} percent"), text)


_BY_RE = re.compile(r"(?=[\sx])(?<=\d)\s?x\s?(?=\d)")
_TIMES_RE = re.compile(r"x(?<=\dx)(?![\w])")


def read_dimensions(text: str, british: bool) -> str:
    """1920x1080 -> 1920 by 1080; 5x faster -> 5 times faster."""
    if "x" not in text:
        return text
    return _TIMES_RE.sub(" times", _BY_RE.sub(" by ", text))


# unit spellings -> (singular, plural); names use US spelling, _british() adapts them.
_UNIT_TABLE: list[tuple[str, str, str]] = [
    ("nm", "nanometer", "nanometers"), ("μm", "micrometer", "micrometers"), ("mm", "millimeter", "millimeters"),
    ("cm", "centimeter", "centimeters"), ("m", "meter", "meters"), ("km", "kilometer", "kilometers"),
    ("in", "inch", "inches"), ("ft", "foot", "feet"), ("yd", "yard", "yards"), ("yds", "yard", "yards"),
    ("mi", "mile", "miles"),
    ("mg", "milligram", "milligrams"), ("μg", "microgram", "micrograms"), ("g", "gram", "grams"),
    ("kg", "kilogram", "kilograms"), ("lb", "pound", "pounds"), ("lbs", "pound", "pounds"),
    ("oz", "ounce", "ounces"),
    ("ml", "milliliter", "milliliters"), ("mL", "milliliter", "milliliters"), ("cl", "centiliter", "centiliters"),
    ("l", "liter", "liters"), ("L", "liter", "liters"), ("gal", "gallon", "gallons"),
    ("tsp", "teaspoon", "teaspoons"), ("tbsp", "tablespoon", "tablespoons"), ("fl oz", "fluid ounce", "fluid ounces"),
    ("mph", "mile per hour", "miles per hour"), ("km/h", "kilometer per hour", "kilometers per hour"),
    ("kph", "kilometer per hour", "kilometers per hour"), ("kmh", "kilometer per hour", "kilometers per hour"),
    ("m/s", "meter per second", "meters per second"), ("ft/s", "foot per second", "feet per second"),
    ("KB", "kilobyte", "kilobytes"), ("kB", "kilobyte", "kilobytes"), ("MB", "megabyte", "megabytes"),
    ("GB", "gigabyte", "gigabytes"), ("TB", "terabyte", "terabytes"), ("PB", "petabyte", "petabytes"),
    ("Kb", "kilobit", "kilobits"), ("Mb", "megabit", "megabits"), ("Gb", "gigabit", "gigabits"),
    ("kbps", "kilobit per second", "kilobits per second"), ("Kbps", "kilobit per second", "kilobits per second"),
    ("Mbps", "megabit per second", "megabits per second"), ("Gbps", "gigabit per second", "gigabits per second"),
    ("MB/s", "megabyte per second", "megabytes per second"), ("GB/s", "gigabyte per second", "gigabytes per second"),
    ("Hz", "hertz", "hertz"), ("kHz", "kilohertz", "kilohertz"), ("MHz", "megahertz", "megahertz"),
    ("GHz", "gigahertz", "gigahertz"), ("THz", "terahertz", "terahertz"),
    ("mV", "millivolt", "millivolts"), ("V", "volt", "volts"), ("kV", "kilovolt", "kilovolts"),
    ("mA", "milliamp", "milliamps"), ("mAh", "milliamp hour", "milliamp hours"),
    ("mW", "milliwatt", "milliwatts"), ("W", "watt", "watts"), ("kW", "kilowatt", "kilowatts"),
    ("MW", "megawatt", "megawatts"), ("GW", "gigawatt", "gigawatts"), ("Wh", "watt hour", "watt hours"),
    ("kWh", "kilowatt hour", "kilowatt hours"), ("MWh", "megawatt hour", "megawatt hours"),
    ("J", "joule", "joules"), ("kJ", "kilojoule", "kilojoules"), ("cal", "calorie", "calories"),
    ("kcal", "kilocalorie", "kilocalories"),
    ("ns", "nanosecond", "nanoseconds"), ("μs", "microsecond", "microseconds"), ("ms", "millisecond", "milliseconds"),
    ("sec", "second", "seconds"), ("secs", "second", "seconds"), ("min", "minute", "minutes"),
    ("mins", "minute", "minutes"), ("h", "hour", "hours"), ("hr", "hour", "hours"), ("hrs", "hour", "hours"),
    ("wk", "week", "weeks"), ("wks", "week", "weeks"), ("mo", "month", "months"), ("mos", "month", "months"),
    ("yr", "year", "years"), ("yrs", "year", "years"),
    ("°C", "degree Celsius", "degrees Celsius"), ("° C", "degree Celsius", "degrees Celsius"),
    ("°F", "degree Fahrenheit", "degrees Fahrenheit"), ("° F", "degree Fahrenheit", "degrees Fahrenheit"),
    ("°", "degree", "degrees"),
    ("sq ft", "square foot", "square feet"), ("sq m", "square meter", "square meters"),
    ("sq mi", "square mile", "square miles"), ("sq km", "square kilometer", "square kilometers"),
    ("m^2", "square meter", "square meters"), ("km^2", "square kilometer", "square kilometers"),
    ("cm^2", "square centimeter", "square centimeters"), ("ft^2", "square foot", "square feet"),
    ("m^3", "cubic meter", "cubic meters"), ("cm^3", "cubic centimeter", "cubic centimeters"),
    ("cc", "cubic centimeter", "cubic centimeters"), ("ha", "hectare", "hectares"),
    ("dB", "decibel", "decibels"), ("rpm", "revolution per minute", "revolutions per minute"),
    ("RPM", "revolution per minute", "revolutions per minute"), ("fps", "frame per second", "frames per second"),
    ("bpm", "beat per minute", "beats per minute"), ("psi", "pound per square inch", "pounds per square inch"),
    ("ppm", "part per million", "parts per million"), ("px", "pixel", "pixels"),
    ("k", "thousand", "thousand"), ("M", "million", "million"), ("bn", "billion", "billion"),
    ("B", "billion", "billion"), ("mn", "million", "million"), ("tn", "trillion", "trillion"),
]
_UNITS = {abbr: (one, many) for abbr, one, many in _UNIT_TABLE}
#: Units only recognized when glued to the number ("5in", "3h"), since "5 in" is usually the preposition.
_GLUED_ONLY = frozenset({"in", "h", "l", "k", "M", "B", "bn", "mn", "tn", "mo", "ha", "cc", "J"})
_UNIT_RE = re.compile(rf"{SIGNED}(?P<space>\s?)(?P<unit>{alternation(_UNITS)})(?![\w°^])(?P<dot>\.(?![^\W_]))?")
#: A capital letter glued to a number is a scale (3M people, a 7B model) unless it names a place:
#: an address or a unit before a name (221B Baker Street) or after these words (Apartment 4B).
_LETTER_SCALES = frozenset({"M", "B"})
_PLACE_WORDS = frozenset("apartment apt suite room unit flat gate seat platform building bldg floor row section "
                         "bay dock block lot pier terminal".split())
_CAPITALIZED_NEXT_RE = re.compile(r"\s+[A-Z][a-z]")
_BRITISH_SPELLING = (("meter", "metre"), ("liter", "litre"))


def _british(words: str) -> str:
    for us, gb in _BRITISH_SPELLING:
        words = words.replace(us, gb)
    return words


def _unit(match: re.Match, british: bool) -> str:
    unit, number = match.group("unit"), match.group("num")
    if match.group("space") and unit in _GLUED_ONLY and not (unit == "in" and match.group("dot")):
        return match.group()
    if unit in _LETTER_SCALES and not match.group("space") and (
            _CAPITALIZED_NEXT_RE.match(match.string, match.end())
            or (previous_word(match.string, match.start()) or "").lower().rstrip(".") in _PLACE_WORDS):
        return pad(match, f"{number_words(number, british)} {unit}")
    one, many = _UNITS[unit]
    name = one if number.lstrip("-") == "1" else many
    if british:
        name = _british(name)
    words = f"{number_words(number, british)} {name}"
    if match.group("dot") and ends_sentence(match.string, match.end()):
        words += "."
    return pad(match, words)


_FEET_INCHES_RE = re.compile(r"(?=\d)(?<![\w.'])(\d{1,2})'\s?(\d{1,2}(?:\.\d+)?)\"")


def _feet_inches(match: re.Match, british: bool) -> str:
    feet, inches = match.group(1), match.group(2)
    return pad(match, f"{number_words(feet, british)} {'foot' if feet == '1' else 'feet'} "
                       f"{number_words(inches, british)} {'inch' if inches == '1' else 'inches'}")


def read_units(text: str, british: bool) -> str:
    if "'" in text:
        text = _FEET_INCHES_RE.sub(lambda m: _feet_inches(m, british), text)
    return _UNIT_RE.sub(lambda m: _unit(m, british), text)
