"""Spanish words the rules do not get right by themselves.

``UNSTRESSED``: function words read without stress (articles, clitic pronouns, most
prepositions and conjunctions). ``SECONDARY_WORDS``: words espeak reads with a weaker
stress (para, desde, cuando...). ``PRONUNCIATIONS``: loanwords and irregular spellings,
in phonemes (``B D G N Y`` are the placeholders of :mod:`koe.lang.es.rules`).
"""

UNSTRESSED = frozenset(
    "el la los las lo le les de del en y e o u a al con por que se me te nos os mi mis tu tus su sus sin "
    "quien quienes tras si".split())

SECONDARY_WORDS = frozenset(
    "para sobre entre hasta desde como cuando donde pero porque aunque mientras ante bajo hacia "
    "cuanto cuanta cuantos cuantas".split())

#: Words in -mente that are not adverbs made from an adjective.
PLAIN_MENTE = frozenset("clemente demente vehemente simiente".split())

PRONUNCIATIONS = {
    "méxico": "mˈɛxiko",
    "mexicano": "mexikˈano",
    "mexicana": "mexikˈana",
    "texas": "tˈexas",
    "oaxaca": "oaxˈaka",
    "xavier": "saBjˈeɾ",
    "show": "ʃˈow",
    "sándwich": "sˈaNDwiʧ",
    "jazz": "ʤˈas",
    "pizza": "pˈiʦa",
    "hockey": "okˈA",
    "web": "wˈeB",
    "whisky": "wˈiski",
    "software": "sˈoftweɾ",
    "ser": "sˈer",
}
