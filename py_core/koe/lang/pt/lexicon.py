"""Brazilian Portuguese words the rules do not get right by themselves.

``UNSTRESSED``: articles, clitic pronouns, prepositions and conjunctions read without stress.
``SECONDARY_WORDS``: words espeak reads with a light stress (para, como, ele...).
``PRONUNCIATIONS``: whole words in phonemes (weak forms, loanwords, irregular readings);
a final ``S`` there is the s that the next word makes s or z, a final ``U``/``Y`` an unstressed
o/e that the next word may turn into a glide (see :func:`koe.lang.pt.rules.phrase`).
"""

UNSTRESSED = frozenset(
    "o os a as e de da do das dos no na nos nas um uns com por que se me te lhe eu tu meu seu mas "
    "ao aos em".split())

SECONDARY_WORDS = frozenset("para como ele ela eles você vocês não esse este essa esta uma minha sua".split())

#: Stressed e/o whose openness espeak reads otherwise than the rules guess.
QUALITY = {
    **dict.fromkeys("hora horas agora fora embora melhor pior maior menor dez velho velha amarelo mulher "
                    "modo logo".split(), "open"),
    **dict.fromkeys("novo bolo todo doze hoje cabeça governo agosto preço começo".split(), "close"),
}

PRONUNCIATIONS = {
    "o": "U", "os": "ʊS", "ele": "ˌelY", "eles": "ˌelYS", "ela": "ˌɛlæ", "elas": "ˈɛlæS", "que": "ky", "sobre": "sˈobrY", "cinquenta": "siŋkwˈAŋtæ",
    "frequente": "frekwˈAŋʧY", "frequência": "frekwˈAŋsjæ", "consequência": "koŋsekwˈAŋsjæ",
    "tranquilo": "trɐ̃ŋkwˈilU", "tranquila": "trɐ̃ŋkwˈilæ", "linguiça": "liŋɡwˈisæ", "volta": "vˈɔltæ", "a": "a", "as": "aS", "e": "i", "é": "ɛ", "da": "da", "das": "daS", "na": "na",
    "nas": "naS", "em": "ˈAŋ", "um": "ũŋ", "uns": "ũŋS", "com": "koŋ", "por": "por", "lhe": "ʎˈy",
    "eu": "eʊ", "meu": "meʊ", "seu": "seʊ", "tu": "tu", "nós": "nɔS", "ao": "W", "aos": "WS", "à": "ˌaː",
    "às": "aːS", "isso": "ˈisʊ", "isto": "ˈistʊ", "esse": "ˌesi", "este": "ˌesʧy", "essa": "ˈɛsæ",
    "esta": "ˌɛstæ", "aquele": "ˌakˈely", "também": "tɐ̃mbˈAŋ", "muito": "mwˈiŋtʊ", "muita": "mwˈiŋtæ",
    "muitos": "mwˈiŋtʊS", "muitas": "mwˈiŋtæS", "mais": "mˈIS", "mas": "maS", "onde": "ˌoŋʤy",
    "porque": "pˈoɾəky", "pelo": "pˈelʊ", "pela": "pˈelæ",
}
