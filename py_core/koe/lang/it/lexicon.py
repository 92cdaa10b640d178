"""Italian words the rules do not get right by themselves.

``UNSTRESSED``: articles, clitic pronouns, prepositions and conjunctions read without stress.
``STRESS``: corrections and additions to the stress lexicon built from gruut (see
``tools/build_lang_data.py`` for the codes: ``3a`` = ``tàvolo``, ``2E`` = ``bɛ̀ne``), for
frequent words espeak (and so Kokoro) reads otherwise.
``PRONUNCIATIONS``: whole words in phonemes (loanwords, open/close vowels the rules miss).
"""

UNSTRESSED = frozenset(
    "il lo la i gli le l un di a da in con su per tra fra e ed o od ma che non si mi ti ci vi ne "
    "del dello della dei degli delle al allo alla ai agli alle dal dallo dalla dai dagli dalle "
    "nel nello nella nei negli nelle sul sullo sulla sui sugli sulle col coi se".split())

STRESS = {
    "scuola": "2O", "dopo": "2o", "sotto": "2o", "dove": "2o", "roma": "2o", "mese": "2E", "lettera": "3E",
    "lavoro": "2O", "trenta": "2e", "venti": "2E", "fuori": "2o", "leggere": "3E", "napoli": "3a", "gnocchi": "2o",
    "parlare": "2a", "stare": "2a",  # missing from the lexicon (and so are their 3rd plurals)
}

#: Frequent words as espeak reads them inside a sentence (weak forms, ``ˌ`` = a light stress).
PRONUNCIATIONS = {
    "è": "e", "c'è": "ʧe", "c'era": "ʧˈɛra", "ho": "o", "ha": "a", "hai": "aj", "hanno": "ˌanno", "sono": "sˌono", "ero": "ˌɛro", "era": "ˌɛra",
    "siamo": "sjˌamo", "abbiamo": "abːjˌamo", "una": "ˌʊna", "mio": "mˌio", "mia": "mˌia", "tuo": "tˌʊo",
    "tua": "tˌʊa", "suo": "sˌʊo", "sua": "sˌʊa", "lui": "lˌʊi", "lei": "lˌɛi", "noi": "nˌoi", "voi": "vˈoi",
    "sei": "sˌɛi", "dei": "dˌA", "ogni": "ˌoɲɲɪ", "come": "kˌome", "questo": "kwˌesto", "questa": "kwˌesta",
    "computer": "kompjˈuter", "software": "sˈɔftwer", "hardware": "ˈaɾdwer", "jazz": "ʤˈaz",
    "weekend": "wikˈɛnd", "email": "imˈeil", "internet": "ˈinternet", "online": "onlˈaɪn", "okay": "okˈei",
    "della": "dˌella", "alla": "ˌalla", "nella": "nˈella", "senza": "sˌɛnʦa", "mai": "maj", "poi": "pˈɔi",
}
