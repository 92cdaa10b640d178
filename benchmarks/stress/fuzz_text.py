"""Text fuzzing: hostile Unicode, lone surrogates, huge numbers and odd voices through POST /v1/audio/speech.

A fixed list of known-hard inputs (4096 digits, 400-digit numbers, lone
surrogates, NUL and other controls, bidirectional overrides, combining-mark
storms, emoji sequences, many scripts, fullwidth and mathematical digits,
URLs of thousands of characters, punctuation storms, markup) plus random
mixes of them. Each must give audio (200) or a 4xx envelope; audio is read to
its end for short inputs (a failure mid-stream shows as a cut connection) and
checked not to be silent; for long inputs only the first chunk is read.

    .venv/bin/python benchmarks/stress/fuzz_text.py [--random 500] [--seed 1] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import array
import json
import random
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Findings, is_envelope, server_from_args, shorten  # noqa: E402

#: Inputs longer than this are only synthesized up to their first chunk.
READ_ALL_CHARS = 300

PIECES = [
    "Hello there.", "\u0000", "\u0007\u0008\u001b[31m", "\u007f", "\u0085", "\u200b\u200c\u200d", "\ufeff",
    "\u202eabc\u202c", "\u2066x\u2069", "Z\u0337\u0322\u0349a\u0338l\u0334g\u0337o\u0335" * 3, "\u0301" * 50,
    "\U0001F469\u200d\U0001F469\u200d\U0001F467", "\U0001F1EF\U0001F1F5", "\U0001F44B\U0001F3FD", "日本語のテキスト",
    "中文文本", "مرحبا بالعالم", "שלום", "नमस्ते दुनिया", "สวัสดี", "Привет", "Γειά σου", "１２３４５", "𝟏𝟐𝟑",
    "x²³", "½ ¾", "Ⅻ", "1" + "0" * 40, "1e999", "-0.000000000000000001", "1,000,000,000,000,000,000,000",
    "$" + "9" * 60, "€1e308", "31/12/99999", "25:61pm", "Feb 30, 2024", "http://" + "a" * 200 + ".example/x",
    "user@example.com", "[::1]:8080", "!!!" * 30, "......", "((((", "— — —", "'''''", "\t\t\n\n", "&amp;&lt;",
    "<speak><break time='10s'/></speak>", "supercalifragilistic" * 10, "I.B.M.", "Dr. St. Mr. vs. etc.",
]

CASES = [
    "9" * 4096,
    "1" + "0" * 400,
    "1" + "0" * 400 + ".5 dollars",
    " ".join(["1" + "0" * 300] * 10),
    "\u0000" * 100 + "Hello.",
    "Hi \u0000 there.",
    "\u202e" * 100 + "Hello.",
    "e\u0301" * 1000,
    "\u0301" * 4000,
    "\U0001F600" * 1000,
    "a" * 4096,
    "http://" + "a" * 4000,
    "!!!" * 1300,
    "\n\n" * 2000 + "hi",
    " ".join(["3.14159"] * 500),
    "１２３４５６７８９０" * 400,
    "Ⅻ" * 1000,
    "<" * 4096,
]
VOICES = ["af_heart", "af_heart(1" + "0" * 308 + ")+bf_emma(1" + "0" * 308 + ")", "af_heart(0.0000001)+bf_emma(1)",
          "af_heart(1)+af_heart(1)+af_heart(1)", "nova(2)+onyx", " af_heart ", "af_heart\u0000", "\u202eaf_heart",
          "AF_HEART", "af_heart(nan)", "af_heart(inf)", "af_heart(1e308)+bf_emma(1e308)",
          "af_heart(1" + "0" * 300 + ")+bf_emma(1" + "0" * 300 + ")"]
RAW_INPUTS = ['"\\ud800"', '"Hi \\udfff there."', '"\\ud83d"', '"\\ude00\\ud83d"', '"a\\u0000b"']


def random_text(rng: random.Random, limit: int) -> str:
    text = ""
    while len(text) < rng.randint(1, limit):
        text += rng.choice(PIECES) + rng.choice(["", " ", ", ", ". ", "\n"])
    return text[:limit]


def silent(pcm: bytes) -> bool:
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    return not samples or max(abs(s) for s in samples) < 64


def speak(client: httpx.Client, findings: Findings, body: bytes, shown: str, length: int) -> None:
    try:
        with client.stream("POST", "/v1/audio/speech", content=body,
                           headers={"content-type": "application/json"}) as response:
            status = response.status_code
            findings.count(status)
            if status == 200:
                if length <= READ_ALL_CHARS:
                    pcm = response.read()
                    if len(pcm) % 2 or silent(pcm):
                        findings.fail(f"{shown}: 200 but the audio is {'silent' if pcm else 'empty'}")
                else:
                    next(response.iter_raw(), b"")
            else:
                response.read()
                if status >= 500 or status not in (400, 404, 413, 422, 429) or not is_envelope(response):
                    if status >= 500:
                        findings.unexpected_5xx += 1
                    findings.fail(f"{shown} -> {status}: {response.text[:200]}")
    except httpx.HTTPError as error:
        findings.count(0)
        findings.fail(f"{shown}: {type(error).__name__} (the stream broke off)")


#: The short run's selection (tests): the cases the issue names, and the blends that overflow or vanish.
QUICK_CASES = [CASES[0], CASES[1], CASES[5], CASES[6], CASES[11]]
QUICK_VOICES = [VOICES[1], VOICES[2], VOICES[9], VOICES[10]]


def run(url: str, random_cases: int = 100, seed: int = 1, timeout: float = 300.0, quick: bool = False) -> Findings:
    """The fixed cases (``quick``: a selection), then ``random_cases`` random mixes (``quick``: short ones)."""
    findings = Findings("text fuzz")
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=timeout) as client:
        requests: list[tuple[bytes, str, int]] = []
        speed = 4.0 if quick else 1.0  # the quick run checks answers, not audio: a quarter of the frames
        for text in QUICK_CASES if quick else CASES:
            requests.append((json.dumps({"input": text, "response_format": "pcm", "speed": speed}).encode(),
                             shorten(text, 60), len(text)))
        for voice in QUICK_VOICES if quick else VOICES:
            requests.append((json.dumps({"input": "Hello there.", "voice": voice, "response_format": "pcm",
                                         "speed": speed}).encode(), f"voice {shorten(voice, 60)}", 12))
        for raw in RAW_INPUTS:
            requests.append((('{"input": ' + raw + ', "response_format": "pcm"}').encode(), f"raw {raw}", 10))
        for _ in range(random_cases):
            text = random_text(rng, 60 if quick else rng.choice([60, 200, 4096]))
            requests.append((json.dumps({"input": text, "response_format": "pcm",
                                         "speed": 4 if quick else rng.choice([0.25, 1, 4])}).encode(),
                             shorten(text, 60), len(text)))
        timings = []
        began = time.monotonic()
        for done, (body, shown, length) in enumerate(requests, 1):
            started = time.monotonic()
            speak(client, findings, body, shown, length)
            timings.append((time.monotonic() - started, shown))
            if done % 25 == 0 or done == len(requests):
                print(f"{done}/{len(requests)} requests, {len(findings.failures)} failures, "
                      f"{time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
        findings.notes.append("slowest: " + "; ".join(f"{t:.1f}s {shown[:40]}" for t, shown in sorted(timings)[-5:]))
        if client.get("/health").status_code != 200:
            findings.fail("/health is not 200 after the text fuzzing")
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=500, help="random mixes after the fixed cases")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running server (default: start one)")
    args = parser.parse_args()
    started = time.monotonic()
    with server_from_args(args.url, None) as server:
        findings = run(server.url, args.random, args.seed)
    print(findings.summary())
    print(f"{time.monotonic() - started:.0f} s")
    return 1 if findings.failures else 0


if __name__ == "__main__":
    sys.exit(main())
