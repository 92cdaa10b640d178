"""Kana -> Kokoro phonemes, in the conventions of misaki 0.9.4's Japanese front end.

Kokoro v1.0's Japanese voices were trained on misaki's ``JAG2P`` (its cutlet-based path):
one IPA-like string per kana or kana digraph (``し`` ɕi, ``つ`` ʦɨ, ``きゃ`` kʲa, ``ふぁ`` ɸa...),
``ー`` as ː, the small ``っ`` as a glottal stop ʔ, and ``ん`` assimilated to the next kana of
the same word (m before m/p/b, ŋ before k/g, ɲ before ɲ/ʨ/ʥ, n before n/t/d/ɾ/z, else ɴ).
Long vowels come from the dictionary's pronunciation field, which :func:`long_vowels` brings
to the form misaki's dictionary (UniDic) writes: ``エイ`` -> ``エー``, and an adjective's ``シイ`` ->
``シー``.
"""

from __future__ import annotations

_ROWS = {
    # kana of the row (a i u e o), and each one's phonemes
    "あいうえお": ("a", "i", "ɯ", "e", "o"),
    "かきくけこ": ("ka", "kʲi", "kɯ", "ke", "ko"),
    "がぎぐげご": ("ɡa", "ɡʲi", "ɡɯ", "ɡe", "ɡo"),
    "さしすせそ": ("sa", "ɕi", "sɨ", "se", "so"),
    "ざじずぜぞ": ("ʣa", "ʥi", "zɨ", "ʣe", "ʣo"),
    "たちつてと": ("ta", "ʨi", "ʦɨ", "te", "to"),
    "だぢづでど": ("da", "ʥi", "zɨ", "de", "do"),
    "なにぬねの": ("na", "ɲi", "nɯ", "ne", "no"),
    "はひふへほ": ("ha", "çi", "ɸɯ", "he", "ho"),
    "ばびぶべぼ": ("ba", "bʲi", "bɯ", "be", "bo"),
    "ぱぴぷぺぽ": ("pa", "pʲi", "pɯ", "pe", "po"),
    "まみむめも": ("ma", "mʲi", "mɯ", "me", "mo"),
    "らりるれろ": ("ɾa", "ɾʲi", "ɾɯ", "ɾe", "ɾo"),
    "ぁぃぅぇぉ": ("a", "i", "ɯ", "e", "o"),
}
KANA: dict[str, str] = {k: v for row, values in _ROWS.items() for k, v in zip(row, values)}
KANA.update({"や": "ja", "ゆ": "jɯ", "よ": "jo", "ゃ": "ja", "ゅ": "jɯ", "ょ": "jo",
             "わ": "βa", "ゎ": "βa", "ゐ": "i", "ゑ": "e", "を": "o", "ゔ": "vɯ", "ゕ": "ka", "ゖ": "ke",
             "ヷ": "va", "ヸ": "vʲi", "ヹ": "ve", "ヺ": "vo"})

#: Small kana that merge with the kana before them.
SMALL = frozenset("ゃゅょぁぃぅぇぉ")

# Digraphs: a consonant of the i column with a small ya/yu/yo (ゅ is ɨ here), plus loanword pairs.
_PALATAL = {"き": "kʲ", "ぎ": "ɡʲ", "し": "ɕ", "じ": "ʥ", "ち": "ʨ", "ぢ": "ʥ", "に": "ɲ", "ひ": "ç",
            "び": "bʲ", "ぴ": "pʲ", "み": "mʲ", "り": "ɾʲ"}
DIGRAPHS: dict[str, str] = {}
for _kana, _consonant in _PALATAL.items():
    DIGRAPHS.update({_kana + "ゃ": _consonant + "a", _kana + "ゅ": _consonant + "ɨ", _kana + "ょ": _consonant + "o"})
for _kana in "きしじちにひ":
    DIGRAPHS[_kana + "ぇ"] = _PALATAL[_kana] + "e"
for _kana, _consonant, _vowels in (("く", "kᵝ", "ぁぃぇぉ"), ("ぐ", "ɡᵝ", "ぁぃぇぉ"), ("う", "β", "ぃぇぉ"),
                                    ("ふ", "ɸ", "ぁぇぉ"), ("つ", "ʦ", "ぁぇぉ"), ("ゔ", "v", "ぁぇぉ")):
    for _small in _vowels:
        DIGRAPHS[_kana + _small] = _consonant + KANA[_small]
DIGRAPHS.update({"いぇ": "je", "つぃ": "ʦʲi", "てぃ": "tʲi", "てゅ": "tʲɨ", "でぃ": "dʲi", "でゅ": "dʲɨ",
                 "とぅ": "tɯ", "どぅ": "dɯ", "ふぃ": "ɸʲi", "ふゅ": "ɸʲɨ", "ふょ": "ɸʲo", "ゔぃ": "vʲi",
                 "ゔゅ": "bʲɨ", "ゔょ": "bʲo"})
del _kana, _consonant, _vowels, _small

_VOICED = dict(zip("かきくけこさしすせそたちつてとはひふへほ", "がぎぐげござじずぜぞだぢづでどばびぶべぼ"))
_KATA_TO_HIRA = {chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)}  # ァ..ヶ -> ぁ..ゖ
_KATA_TO_HIRA.update({"ヽ": "ゝ", "ヾ": "ゞ"})
_HIRA_TO_KATA = {h: k for k, h in _KATA_TO_HIRA.items()}


def to_hiragana(kana: str) -> str:
    return "".join(_KATA_TO_HIRA.get(ch, ch) for ch in kana)


def to_katakana(kana: str) -> str:
    return "".join(_HIRA_TO_KATA.get(ch, ch) for ch in kana)


def is_kana(text: str) -> bool:
    return bool(text) and all(0x3041 <= ord(ch) <= 0x30FF and ch != "・" for ch in text)


def _moraic_nasal(following: str | None) -> str:
    sound = KANA.get(following or "")
    if sound:
        if sound[0] in "mpb":
            return "m"
        if sound[0] in "kɡ":
            return "ŋ"
        if sound[0] in "ɲʨʥ":
            return "ɲ"
        if sound[0] in "ntdɾz":
            return "n"
    return "ɴ"


def kana_to_phonemes(kana: str) -> str:
    """One word's reading (hiragana or katakana) -> phonemes; characters that are not kana are dropped."""
    text = to_hiragana(kana)
    out: list[str] = []
    last = ""  # the previous kana's phonemes (for the iteration marks)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if prev and prev + ch in DIGRAPHS:
            sound = DIGRAPHS[prev + ch]
        elif nxt and ch + nxt in DIGRAPHS:
            continue  # the digraph is written at its second kana
        elif nxt in SMALL and ch in KANA:
            sound = KANA[ch][:-1] + KANA[nxt]  # e.g. ぎぇ: the consonant, then the small kana's vowel
        elif ch in SMALL:
            if prev in KANA or prev in "っ":
                continue  # merged with the kana before it
            sound = KANA[ch]
        elif ch == "ー":
            sound = "ː"
        elif ch == "っ":
            sound = "ʔ"
        elif ch == "ん":
            sound = _moraic_nasal(nxt)
        elif ch == "ゝ":
            sound = last
        elif ch == "ゞ":
            sound = KANA.get(_VOICED.get(prev, ""), last)
        else:
            sound = KANA.get(ch, "")
        out.append(sound)
        if sound:
            last = sound
    return "".join(out)


_E_COLUMN = frozenset("えけげせぜてでねへべぺめれぇゑ")
_I_COLUMN = frozenset("いきぎしじちぢにひびぴみりぃゐ")


def long_vowels(pronunciation: str, long_ii: bool = False) -> str:
    """A dictionary (IPADIC) pronunciation in the form misaki's dictionary writes long vowels.

    IPADIC already writes ``オウ`` as ``オー`` (東京 トーキョー); UniDic also writes ``エイ`` as
    ``エー`` (先生 センセー) and, where ``long_ii`` (adjectives, a verb's て stem), ``イイ`` as
    ``イー`` (新しい アタラシー, 聞いて キーテ). Elsewhere ``イイ`` crosses a compound (差し入れ).
    """
    out = []
    for i, ch in enumerate(pronunciation):
        if ch == "イ" and i:
            before = to_hiragana(pronunciation[i - 1])
            if before in _E_COLUMN or (long_ii and before in _I_COLUMN):
                out.append("ー")
                continue
        out.append(ch)
    return "".join(out)
