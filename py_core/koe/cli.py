"""The ``koe`` command line: say, voices, clone, phonemize, serve."""

from __future__ import annotations

import argparse
import os
import sys
import time
from array import array
from typing import Sequence

from .errors import KoeError, UnknownVoiceError
from .runtime import iterate_sync, run_sync
from .wav import pcm16_bytes, wav_header

FORMATS = ("wav", "flac", "mp3", "ogg")


class CliError(Exception):
    """A problem worth one clear line on stderr and a non-zero exit."""


def _engine(args: argparse.Namespace):
    from .engine import Koe
    from .runtimes.onnxruntime import OnnxRuntime

    engine = Koe.load(args.assets, OnnxRuntime(threads=args.threads))
    _load_custom_voices(engine.voice_bank, args)
    return engine


def _read_text(args: argparse.Namespace) -> str:
    if args.file is not None and args.text is not None:
        raise CliError("give the text either as an argument or with -f FILE, not both")
    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except UnicodeDecodeError:
            raise CliError(f"cannot read {args.file}: it is not UTF-8 text") from None
        except OSError as error:
            raise CliError(f"cannot read {args.file}: {error.strerror}") from None
    if args.text == "-" or (args.text is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if args.text is None:
        raise CliError("no text: give TEXT, -f FILE, or - to read standard input")
    return args.text


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    ext = os.path.splitext(args.output)[1].lower().lstrip(".")
    return {"oga": "ogg", "opus": "ogg"}.get(ext, ext) if ext in FORMATS + ("oga", "opus") else "wav"


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CliError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(folder):
        raise CliError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise CliError(f"cannot write {path}: permission denied")


class ProgressBar:
    """A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.audio = 0.0

    def update(self, chunk) -> None:
        self.audio += chunk.seconds
        if not self.enabled or chunk.total < 2:
            return
        done = chunk.index + 1
        width = 30
        filled = int(width * done / chunk.total)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{chunk.total} chunks, "
                         f"{self.audio:.1f} s audio in {elapsed:.1f} s")
        if done == chunk.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


class AudioFileWriter:
    """Writes audio chunk by chunk to ``path + '.part'`` and renames it into place when complete.

    Streaming keeps memory flat for book-length input; the rename means a failed or
    interrupted run never leaves a truncated file under the requested name.
    """

    SOUNDFILE_FORMATS = {"flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"), "ogg": ("OGG", "VORBIS")}

    def __init__(self, path: str, sample_rate: int, fmt: str) -> None:
        self.path, self.tmp, self.sample_rate, self.fmt = path, f"{path}.part", sample_rate, fmt
        self.frames = 0
        try:
            if fmt == "wav":
                self._handle = open(self.tmp, "wb")
                self._handle.write(wav_header(sample_rate, 0))
            else:
                import soundfile as sf

                container, subtype = self.SOUNDFILE_FORMATS[fmt]
                self._handle = sf.SoundFile(self.tmp, "w", samplerate=sample_rate, channels=1, format=container,
                                            subtype=subtype)
        except OSError as error:
            raise CliError(f"cannot write {path}: {error.strerror or error}") from None

    def write(self, samples: array) -> None:
        if self.fmt == "wav":
            self._handle.write(pcm16_bytes(samples))
        else:
            import numpy as np

            self._handle.write(np.frombuffer(samples, dtype=np.float32))
        self.frames += len(samples)

    def close(self) -> None:
        if self.fmt == "wav":
            self._handle.seek(0)
            self._handle.write(wav_header(self.sample_rate, 2 * self.frames))
        self._handle.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self._handle.close()
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)


def cmd_say(args: argparse.Namespace) -> int:
    text = _read_text(args)
    fmt = _output_format(args)
    _check_writable(args.output)
    engine = _engine(args)
    plan_started = time.monotonic()
    plan = run_sync(engine.aplan(text, args.voice, args.speed))
    if plan.skipped:
        print(f"note: could not pronounce: {' '.join(plan.skipped[:10])}", file=sys.stderr)
    progress = ProgressBar(sys.stderr.isatty())
    writer = AudioFileWriter(args.output, engine.sample_rate, fmt)
    try:
        for chunk in iterate_sync(engine.astream(text, plan=plan)):
            writer.write(chunk.samples)
            progress.update(chunk)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    elapsed = time.monotonic() - plan_started
    seconds = writer.frames / engine.sample_rate
    print(f"wrote {args.output}: {seconds:.2f} s of audio ({fmt}, {engine.sample_rate} Hz) in {elapsed:.2f} s "
          f"(real-time factor {elapsed / max(seconds, 1e-9):.2f})", file=sys.stderr)
    return 0


def cmd_voices(args: argparse.Namespace) -> int:
    import json

    from .assets import VOICE_INDEX, DirectoryAssets, default_asset_dir
    from .voices import VoiceBank

    assets = DirectoryAssets(args.assets or default_asset_dir())
    if not assets.exists(VOICE_INDEX):
        raise CliError("no voices found; run ./build.sh first")

    bank = VoiceBank(json.loads(run_sync(assets.read(VOICE_INDEX))), assets.read)
    _load_custom_voices(bank, args)
    rows = [(v.id, v.name, v.language_name or v.language, v.gender, "custom" if v.custom else "preset") for v in bank.list()]
    header = ("ID", "NAME", "LANGUAGE", "GENDER", "KIND")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _load_custom_voices(bank, args) -> None:
    """Custom voices are added by the custom-voices feature when it is installed."""
    try:
        from .custom_voices import load_into  # type: ignore[attr-defined]
    except ImportError:
        return
    load_into(bank, getattr(args, "voices_dir", None))


def cmd_clone(args: argparse.Namespace) -> int:
    """Make a custom voice (a mix of presets) that sounds like a reference recording, and save it."""
    import signal

    try:
        from .adapters.audio_in import load_reference
    except ImportError as error:
        raise CliError(f"koe clone needs the server extra to read audio: pip install 'koe[server]' ({error})") from None
    from .custom_voices import VoiceStore, check_id, clean_name, clone_voice, slugify
    from .speaker import SpeakerEncoder

    samples = load_reference(args.reference)  # a bad file is refused before anything slow
    engine = _engine(args)
    store = VoiceStore(args.voices_dir, presets=engine.voice_bank.presets)
    voice_id = slugify(clean_name(args.name)) if args.name is not None else ""
    if voice_id:  # so is a bad or taken name (a name without Latin letters gets added_speaker_N)
        check_id(voice_id, store.presets)
        if store.exists(voice_id) and not args.force:
            raise CliError(f"a custom voice {voice_id!r} exists already (use --force to replace it)")
    encoder = SpeakerEncoder.load(engine.assets, engine.runtime)
    tty = sys.stderr.isatty()
    stop = []

    def on_interrupt(signum, frame):  # first Ctrl-C: stop searching and keep the best mix so far
        stop.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stderr.write("\nstopping: keeping the best mix so far (Ctrl-C again to abort)\n")

    def show(p) -> None:
        if tty:
            width, done = 30, min(30, int(30 * p.step / max(p.total, 1)))
            sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] step {p.step}/{p.total}, "
                             f"similarity {p.best_score:.3f}, {p.elapsed_s:.0f} s of {p.budget_s:.0f} s ")
            sys.stderr.flush()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        recipe = run_sync(clone_voice(engine, encoder, samples, name=args.name, language=args.language,
                                      source=f"file:{os.path.basename(args.reference)}", budget_s=args.budget,
                                      progress=show, cancelled=lambda: bool(stop)))
    finally:
        signal.signal(signal.SIGINT, previous)
        if tty:
            sys.stderr.write("\n")
    saved = store.save(recipe, overwrite=args.force)
    mix = " + ".join(f"{voice} {weight:.0%}" for voice, weight in saved.components)
    score = f", similarity {saved.score:.3f}" if saved.score is not None else ""
    print(f"saved custom voice {saved.id!r}: {mix}{score} ({saved.seconds:.1f} s of reference speech)")
    print(f"try: koe say --voice {saved.id} \"Hello there.\" -o hello.wav", file=sys.stderr)
    return 0


def cmd_phonemize(args: argparse.Namespace) -> int:
    text = _read_text(args)
    engine = _engine(args)
    normalized, paragraphs = engine.phonemize(text, args.voice)
    print(f"normalized: {normalized}")
    for paragraph in paragraphs:
        print(f"phonemes:   {paragraph.phonemes}")
        print(f"tokens:     {engine.vocab.count(paragraph.phonemes)}")
        if paragraph.skipped:
            print(f"skipped:    {' '.join(paragraph.skipped)}")
    return 0


def cmd_serve(args: argparse.Namespace, rest: Sequence[str]) -> int:
    try:
        from .server import serve_main
    except ImportError as error:
        raise CliError(f"the server needs the server extra: pip install 'koe[server]' ({error})") from None
    return serve_main(list(rest))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="koe", description="Koe: neural text to speech (Kokoro-82M).")
    parser.add_argument("--assets", default=None, help="asset folder (default: web/public or $KOE_ASSETS)")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (default: all cores)")
    parser.add_argument("--voices-dir", default=None,
                        help="custom voices folder (default: $KOE_VOICES_DIR or ~/.local/share/koe/voices)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    say = sub.add_parser("say", help="synthesize speech to an audio file")
    say.add_argument("text", nargs="?", help="text to speak, or - for standard input")
    say.add_argument("-f", "--file", help="read the text from a UTF-8 file")
    say.add_argument("-o", "--output", required=True, help="output audio file")
    say.add_argument("--voice", default=None, help="voice id, custom voice or blend like 'af_heart(2)+bf_emma(1)'")
    say.add_argument("--speed", type=float, default=1.0, help="0.25 to 4.0 (default 1.0)")
    say.add_argument("--format", choices=FORMATS, help="audio format (default: from the output's extension, else wav)")
    say.set_defaults(func=cmd_say)

    voices = sub.add_parser("voices", help="list the voices")
    voices.set_defaults(func=cmd_voices)

    clone = sub.add_parser("clone", help="make a custom voice that sounds like a reference recording")
    clone.add_argument("reference", help="recording of one speaker (wav, flac, ogg, mp3): 3 to 60 s of speech")
    clone.add_argument("--name", help="name of the new voice (default: added_speaker_N)")
    clone.add_argument("--language", help="the speaker's accent, e.g. en-us or en-gb (favours those voices)")
    clone.add_argument("--budget", type=float, default=60.0, help="seconds to spend searching (default 60)")
    clone.add_argument("--force", action="store_true", help="replace a custom voice of the same name")
    clone.set_defaults(func=cmd_clone)

    phon = sub.add_parser("phonemize", help="show normalized text and phonemes (for fixing pronunciations)")
    phon.add_argument("text", nargs="?", help="text, or - for standard input")
    phon.add_argument("-f", "--file", help="read the text from a UTF-8 file")
    phon.add_argument("--voice", default=None, help="voice whose accent to use (British voices use GB rules)")
    phon.set_defaults(func=cmd_phonemize)

    sub.add_parser("serve", help="serve the web app and the OpenAI-compatible API (see koe serve --help)",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `serve` owns its own options: hand everything after it to the server's parser.
    if "serve" in argv:
        at = argv.index("serve")
        head, rest = argv[:at], argv[at + 1:]
        args = parser.parse_args(head + ["serve"])
        try:
            return cmd_serve(args, rest)
        except CliError as error:
            print(f"koe: error: {error}", file=sys.stderr)
            return 1
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UnknownVoiceError as error:
        print(f"koe: error: {error.message} Run 'koe voices' to list them.", file=sys.stderr)
        return 2
    except (CliError, KoeError) as error:
        print(f"koe: error: {error}", file=sys.stderr)
        return 2 if isinstance(error, KoeError) else 1
    except KeyboardInterrupt:
        print("koe: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
