"""The koe command line, end to end, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from koe.wav import decode_wav

ROOT = Path(__file__).resolve().parent.parent


def koe(*args, stdin: str | None = None):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "py_core")}
    return subprocess.run([sys.executable, "-m", "koe.cli", "--threads", "2", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_say_writes_a_wav(tmp_path):
    out = tmp_path / "hello.wav"
    result = koe("say", "Testing the command line.", "-o", str(out), "--voice", "am_michael")
    assert result.returncode == 0, result.stderr
    samples, rate = decode_wav(out.read_bytes())
    assert rate == 24000 and len(samples) > rate
    assert "wrote" in result.stderr


def test_say_from_stdin_and_file_to_flac(tmp_path):
    import soundfile as sf

    text_file = tmp_path / "in.txt"
    text_file.write_text("Read from a file.", encoding="utf-8")
    flac = tmp_path / "out.flac"
    assert koe("say", "-f", str(text_file), "-o", str(flac)).returncode == 0
    data, rate = sf.read(flac)
    assert rate == 24000 and len(data) > rate // 2
    mp3 = tmp_path / "out.mp3"
    assert koe("say", "-", "-o", str(mp3), stdin="Read from standard input.").returncode == 0
    data, rate = sf.read(mp3)
    assert rate == 24000 and len(data) > rate // 2


@pytest.mark.parametrize("args, message", [
    (["say", "hi", "-o", "{tmp}/x.wav", "--voice", "af_hart"], "af_heart"),
    (["say", "", "-o", "{tmp}/x.wav"], "empty"),
    (["say", "-f", "{tmp}/missing.txt", "-o", "{tmp}/x.wav"], "cannot read"),
    (["say", "hi", "-o", "{tmp}/no/such/dir/x.wav"], "does not exist"),
    (["say", "hi", "-o", "{tmp}/x.wav", "--speed", "9"], "0.25"),
])
def test_clear_errors_and_nonzero_exit(tmp_path, args, message):
    result = koe(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode != 0
    assert message in result.stderr.lower() or message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.wav").exists()


def test_voices_table():
    result = koe("voices")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "NAME"]
    assert any(line.startswith("af_heart") for line in lines) and len(lines) == 55


def test_phonemize_shows_normalized_text_and_phonemes():
    result = koe("phonemize", "Dr. Smith paid $5.")
    assert result.returncode == 0, result.stderr
    assert "normalized: Doctor Smith paid five dollars." in result.stdout
    assert "phonemes:" in result.stdout and "dˈɑktəɹ" in result.stdout


def test_a_text_that_says_serve_is_spoken_not_served(tmp_path):
    out = tmp_path / "serve.wav"
    result = koe("say", "serve", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert decode_wav(out.read_bytes())[1] == 24000


def test_cli_and_server_encode_the_same_pcm(tmp_path, engine):
    """One encoder module: a WAV from the CLI holds exactly the samples the server's encoder writes."""
    import numpy as np

    from koe.adapters.audio_out import make_encoder

    out = tmp_path / "same.wav"
    text = "The same samples, rounded the same way."
    assert koe("say", text, "-o", str(out), "--voice", "af_heart").returncode == 0
    audio = engine.synthesize_all(text, "af_heart")
    encoder = make_encoder("pcm", 24000, streaming=True)
    server_pcm = encoder.encode(audio) + encoder.finish()
    cli_pcm = out.read_bytes()[44:]
    assert np.array_equal(np.frombuffer(cli_pcm, "<i2"), np.frombuffer(server_pcm, "<i2"))


def test_timestamps_as_json_and_captions(tmp_path):
    import json

    text = "Dr. Smith paid $5.50 on Jan. 5, 2024. ♥ Then everybody in the small village went home happy."
    out, words, vtt, srt = (tmp_path / name for name in ("t.wav", "t.json", "t.vtt", "t.srt"))
    assert koe("say", text, "-o", str(out), "--timestamps", str(words)).returncode == 0
    listed = json.loads(words.read_text())["words"]
    assert [w["text"] for w in listed][:4] == ["Dr.", "Smith", "paid", "$5.50"]
    assert all(text[w["char_start"]:w["char_end"]] == w["text"] for w in listed)
    assert [w for w in listed if w.get("skipped")] == [w for w in listed if w["text"] == "♥"]
    starts = [w["start"] for w in listed]
    assert starts == sorted(starts) and listed[-1]["end"] <= len(decode_wav(out.read_bytes())[0]) / 24000
    assert koe("say", text, "-o", str(out), "--timestamps", str(vtt)).returncode == 0
    assert vtt.read_text().startswith("WEBVTT\n") and " --> " in vtt.read_text()
    assert koe("say", "Hello.", "-o", str(out), "--timestamps", str(srt)).returncode == 0
    assert srt.read_text().startswith("1\n00:00:00,")
    bad = koe("say", "Hello.", "-o", str(out), "--timestamps", str(tmp_path / "t.txt"))
    assert bad.returncode == 1 and ".json, .vtt or .srt" in bad.stderr
