"""Words read without primary stress: pronouns, postpositions, auxiliaries, conjunctions.

In Hindi these are clitic-like and unstressed in running speech, and Kokoro's training
phonemes mark them so (a schwa in them is then ``ə``, never ``ʌ``: हम -> ``həm``).
"""

from __future__ import annotations

UNSTRESSED = frozenset("""
मैं मुझे मेरा मेरी मेरे हम हमे हमारा हमारी हमारे
आप आपको आपका आपकी आपके तुम तुम्हें तुम्हारा तुम्हारी तुम्हारे तू तुझे तेरा
यह ये इसका इस्से इन्हें वह वो उसका उसकी उसके उस्से उन्हे उनका उनकी उनके वे
का की के को तक से में
हूँ हो है हैं था थे थी थीं रहा रहे रही
और क्या बिना अगर यदि
""".split())
