"""The ``koe`` command line: say, voices, clone, refine, phonemize, serve."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Sequence

from .errors import KoeError, UnknownVoiceError
from .runtime import iterate_sync, run_sync

#: What ``-o`` may be (more extensions map onto these: .ogg/.oga Opus, .m4a AAC, .raw PCM).
FORMATS = ("wav", "flac", "mp3", "opus", "aac", "pcm")


class CliError(Exception):
    """A problem worth one clear line on stderr and a non-zero exit."""


def _service(args: argparse.Namespace):
    """The engine on onnxruntime, with the custom voices of ``--voices-dir``."""
    from .engine import Koe
    from .runtimes.onnxruntime import OnnxRuntime
    from .service import KoeService
    from .voice_store import VoiceStore

    engine = Koe.load(args.assets, OnnxRuntime(threads=args.threads))
    service = KoeService(engine, store=VoiceStore(args.voices_dir, presets=engine.voice_bank.presets))
    service.load_stored_voices()
    return service


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
    from .adapters.audio_out import format_for_path

    return args.format or format_for_path(args.output) or "wav"


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


def cmd_say(args: argparse.Namespace) -> int:
    text = _read_text(args)
    fmt = _output_format(args)
    _check_writable(args.output)
    if args.timestamps:
        _check_writable(args.timestamps)
        _caption_writer(args.timestamps)  # an unknown extension fails before any synthesis
    from .adapters.audio_out import AudioFileWriter

    engine = _service(args).engine
    plan_started = time.monotonic()
    plan = run_sync(engine.aplan(text, args.voice, args.speed, args.lang))
    if plan.mismatch:
        print(f"note: {plan.mismatch['message']}", file=sys.stderr)
    if plan.skipped:
        print(f"note: could not pronounce: {' '.join(plan.skipped[:10])}", file=sys.stderr)
    progress = ProgressBar(sys.stderr.isatty())
    words = []
    try:
        writer = AudioFileWriter(args.output, engine.sample_rate, fmt)
    except OSError as error:
        raise CliError(f"cannot write {args.output}: {error.strerror or error}") from None
    try:
        for chunk in iterate_sync(engine.astream(text, plan=plan)):
            writer.write(chunk.samples)
            words.extend(chunk.words)
            progress.update(chunk)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    if args.timestamps:
        _write_timestamps(args.timestamps, text, words, engine)
    elapsed = time.monotonic() - plan_started
    seconds = writer.frames / engine.sample_rate
    print(f"wrote {args.output}: {seconds:.2f} s of audio ({fmt}, {engine.sample_rate} Hz) in {elapsed:.2f} s "
          f"(real-time factor {elapsed / max(seconds, 1e-9):.2f})", file=sys.stderr)
    return 0


def _caption_writer(path: str):
    """How to write word timings to ``path``: JSON, WebVTT or SRT by its extension."""
    import json

    from .captions import FORMATS, words_json

    ext = os.path.splitext(path)[1].lower()
    if ext == ".json":
        return lambda words, text: json.dumps(words_json(words), ensure_ascii=False, indent=1) + "\n"
    if ext in FORMATS:
        return lambda words, text: FORMATS[ext](words, text)
    raise CliError(f"--timestamps {path}: use a .json, .vtt or .srt file name")


def _write_timestamps(path: str, text: str, words: list, engine) -> None:
    from .timestamps import merge_words

    if not engine.has_durations:
        raise CliError("this model build has no per-token durations: run ./build.sh to rebuild it")
    data = _caption_writer(path)(merge_words(words), text)
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(data)
    os.replace(tmp, path)


def cmd_voices(args: argparse.Namespace) -> int:
    """The voice table, from the voice index alone (no model is loaded)."""
    import json

    from .assets import VOICE_INDEX, DirectoryAssets, default_asset_dir
    from .voice_store import VoiceStore
    from .voices import VoiceBank

    assets = DirectoryAssets(args.assets or default_asset_dir())
    if not assets.exists(VOICE_INDEX):
        raise CliError("no voices found; run ./build.sh first")
    bank = VoiceBank(json.loads(run_sync(assets.read(VOICE_INDEX))), assets.read)
    VoiceStore(args.voices_dir, presets=bank.presets).register_all(bank)
    rows = [(v.id, v.name, v.language_name or v.language, v.gender, "custom" if v.custom else "preset") for v in bank.list()]
    header = ("ID", "NAME", "LANGUAGE", "GENDER", "KIND")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


class _SearchConsole:
    """Progress of a voice search on stderr, and Ctrl-C as Stop (the best voice so far is kept)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.tty = sys.stderr.isatty()
        self.stop: list[bool] = []

    def cancelled(self) -> bool:
        return bool(self.stop)

    def on_interrupt(self, signum, frame) -> None:  # first Ctrl-C: stop searching, keep the best voice so far
        import signal

        self.stop.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stderr.write(f"\nstopping: keeping the best {self.what} so far (Ctrl-C again to abort)\n")

    def show(self, p) -> None:
        if self.tty:
            width, done = 30, min(30, int(30 * p.elapsed_s / max(p.budget_s, 1e-9)))
            sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {p.evaluations} voices tried, "
                             f"similarity {p.similarity:.3f} (from {p.start_similarity:.3f}), "
                             f"{p.elapsed_s:.0f} s of {p.budget_s:.0f} s ")
            sys.stderr.flush()

    def run(self, coroutine):
        import signal

        previous = signal.signal(signal.SIGINT, self.on_interrupt)
        try:
            return run_sync(coroutine)
        finally:
            signal.signal(signal.SIGINT, previous)
            if self.tty:
                sys.stderr.write("\n")


def _describe(saved) -> str:
    mix = " + ".join(f"{voice} {weight:.0%}" for voice, weight in saved.components)
    beyond = " plus a style offset" if saved.voice.has_offset else ""
    score = f", similarity {saved.score:.3f}" if saved.score is not None else ""
    return f"{mix}{beyond}{score}"


def _seconds(args: argparse.Namespace) -> float:
    from .style_search import check_budget

    try:
        return check_budget(args.seconds)
    except ValueError as error:
        raise CliError(f"--seconds: {error}") from None


def cmd_clone(args: argparse.Namespace) -> int:
    """Make a custom voice that sounds like a reference recording (the closest voice Koe can make), and save it."""
    try:
        from .adapters.audio_in import load_reference
    except ImportError as error:
        raise CliError(f"koe clone needs the server extra to read audio: pip install 'koe[server]' ({error})") from None
    from .service import REFUSE, REPLACE

    seconds = _seconds(args)
    samples = load_reference(args.reference)  # a bad file is refused before anything slow
    service = _service(args)
    existing = REPLACE if args.force else REFUSE
    if args.name is not None:  # so is a bad or taken name, before the model work
        try:
            service.choose_id(args.name, existing=existing)
        except KoeError as error:
            raise CliError(f"{error.message} (use --force to replace a custom voice)") from None
    console = _SearchConsole("voice")
    saved = console.run(service.create_voice(samples, name=args.name, existing=existing, language=args.language,
                                             source=f"file:{os.path.basename(args.reference)}", seconds=seconds,
                                             progress=console.show, cancelled=console.cancelled))
    print(f"saved custom voice {saved.id!r} (the closest voice Koe can make): {_describe(saved)} "
          f"({saved.seconds:.1f} s of reference speech)")
    print(f"try: koe say --voice {saved.id} \"Hello there.\" -o hello.wav; improve it: koe refine {saved.id}",
          file=sys.stderr)
    return 0


def cmd_refine(args: argparse.Namespace) -> int:
    """Continue the search of a custom voice and save what it reaches."""
    seconds = _seconds(args)
    service = _service(args)
    before = service.custom_recipe(args.voice)
    console = _SearchConsole("voice")
    saved = console.run(service.refine_voice(args.voice, seconds, progress=console.show,
                                             cancelled=console.cancelled))
    was = f"{before.score:.3f}" if before.score is not None else "unknown"
    print(f"refined custom voice {saved.id!r}: {_describe(saved)} (was {was})")
    return 0


def cmd_phonemize(args: argparse.Namespace) -> int:
    text = _read_text(args)
    engine = _service(args).engine
    normalized, paragraphs = engine.phonemize(text, args.voice, args.lang)
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
    say.add_argument("--lang", default=None, help="read the text in this language (default: the voice's), "
                                                  "e.g. en-us, en-gb, es, fr, hi, it, ja, pt-br, zh")
    say.add_argument("--format", choices=FORMATS, help="audio format (default: from the output's extension, else wav)")
    say.add_argument("--timestamps", metavar="FILE", help="also write when each word is spoken: FILE.json "
                                                           "({\"words\": [...]}), FILE.vtt (WebVTT) or FILE.srt captions")
    say.set_defaults(func=cmd_say)

    voices = sub.add_parser("voices", help="list the voices")
    voices.set_defaults(func=cmd_voices)

    clone = sub.add_parser("clone", help="make a custom voice that sounds like a reference recording")
    clone.add_argument("reference", help="recording of one speaker (wav, flac, ogg, mp3): 3 to 60 s of speech")
    clone.add_argument("--name", help="name of the new voice (default: added_speaker_N)")
    clone.add_argument("--language", help="the speaker's accent, e.g. en-us or en-gb (favours those voices)")
    clone.add_argument("--seconds", "--budget", dest="seconds", type=float, default=120.0,
                       help="seconds to spend searching, up to 600 (default 120; Ctrl-C stops and keeps the best)")
    clone.add_argument("--force", action="store_true", help="replace a custom voice of the same name")
    clone.set_defaults(func=cmd_clone)
    refine = sub.add_parser("refine", help="keep improving a custom voice (continue its search)")
    refine.add_argument("voice", help="the custom voice's id")
    refine.add_argument("--seconds", type=float, default=120.0,
                        help="seconds to spend searching, up to 600 (default 120; Ctrl-C stops and keeps the best)")
    refine.set_defaults(func=cmd_refine)

    phon = sub.add_parser("phonemize", help="show normalized text and phonemes (for fixing pronunciations)")
    phon.add_argument("text", nargs="?", help="text, or - for standard input")
    phon.add_argument("-f", "--file", help="read the text from a UTF-8 file")
    phon.add_argument("--voice", default=None, help="voice whose language to use (British voices use GB rules)")
    phon.add_argument("--lang", default=None, help="read the text in this language (default: the voice's)")
    phon.set_defaults(func=cmd_phonemize)

    sub.add_parser("serve", help="serve the web app and the OpenAI-compatible API (see koe serve --help)",
                   add_help=False)
    return parser


def _command_index(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int | None:
    """Where the command word is in ``argv``: the first argument that is not a global option or its value."""
    takes_value = {opt for action in parser._actions if action.nargs != 0 and action.option_strings
                   for opt in action.option_strings}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return i + 1 if i + 1 < len(argv) else None
        if not arg.startswith("-"):
            return i
        i += 2 if arg in takes_value else 1
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `serve` owns its own options: hand everything after it to the server's parser.
    at = _command_index(parser, argv)
    if at is not None and argv[at] == "serve":
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
