"""POST /v1/audio/speech: OpenAI's text-to-speech contract, streamed as synthesized.

Request fields (OpenAI's): ``model``, ``input`` (1-4096 characters), ``voice``
(Kokoro preset, custom voice, blend like ``af_heart(2)+bf_emma(1)``, or an
OpenAI voice name), ``response_format`` (mp3, opus, aac, flac, wav, pcm),
``speed`` (0.25-4.0), ``instructions`` (accepted, ignored: Kokoro has no
prompt-steerable style) and ``stream_format`` (``audio`` or ``sse``). One
extension, as in Kokoro-FastAPI: ``stream`` (default true); false returns one
complete file with exact headers and a Content-Length (SSE always streams). Koe's
own: ``lang`` reads the text in another language than the voice's (e.g. ``es``), and
``timestamps`` (with ``stream_format: "sse"``) adds a ``speech.word`` event for every written
word: ``{type, text, start, end, char_start, char_end}`` (seconds of the output audio,
character offsets of the input; ``skipped: true`` for words that made no sound), sent after
the audio delta that holds it. ``POST /v1/audio/speech/timestamps`` takes the same body and
answers one JSON object: ``{"audio": base64 of the complete file, "format", "sample_rate",
"words": [...]}``.

SSE usage: ``input_tokens`` counts phonemes (Kokoro's tokens), ``output_tokens``
20 ms frames of audio.

Everything is checked before the response starts, and the first chunk is
synthesized before the status line is sent, so bad input and empty text get
a proper error status; from then on each chunk's bytes leave as soon as they
are encoded. A client that disconnects cancels its synthesis.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import KoeError
from ..lang import language
from ..rules import MAX_INPUT_CHARS, MAX_SPEED, MIN_SPEED
from ..timestamps import merge_words
from .bodies import read_json, require_object
from .disconnect import ClientGone, unless_disconnected
from ..adapters.audio_out import FORMATS, encoder_available
from .errors import APIError, envelope, from_koe_error
from .limits import Slot
from .models_api import DEFAULT_SPEECH_MODEL, SPEECH_MODELS
from .openai_voices import kokoro_voice
from .responses import ClosingStreamingResponse
from .worker import SynthesisJob

log = logging.getLogger("koe.server.speech")
T = TypeVar("T")

BODY_LIMIT = 256 * 1024
STREAM_FORMATS = ("audio", "sse")
#: SSE usage counts audio in 20 ms frames (Kokoro has no audio tokens; this keeps the number meaningful).
AUDIO_FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class SpeechRequest:
    model: str
    input: str
    voice: str
    response_format: str = "mp3"
    speed: float = 1.0
    stream_format: str = "audio"
    stream: bool = True
    instructions: str | None = None
    lang: str | None = None
    timestamps: bool = False


def _field(body: dict, name: str, kind: type | tuple[type, ...], default: Any, type_name: str) -> Any:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise APIError(422, f"'{name}' must be {type_name}.", param=name, code="invalid_type")
    return value


def parse_speech_request(body: Any) -> SpeechRequest:
    """Validate the JSON body: wrong types are 422, bad values 400 (OpenAI's own choice for values)."""
    body = require_object(body)
    model = _field(body, "model", str, DEFAULT_SPEECH_MODEL, "a string")
    if model not in SPEECH_MODELS:
        raise APIError(404, f"The model '{model}' does not exist; use one of {', '.join(SPEECH_MODELS)}.",
                       param="model", code="model_not_found")
    if "input" not in body:
        raise APIError(422, "'input' is required: the text to speak.", param="input", code="missing_required_parameter")
    text = _field(body, "input", str, "", "a string")
    if not text.strip():
        raise APIError(400, "'input' is empty: give some text to speak.", param="input", code="empty_input")
    if len(text) > MAX_INPUT_CHARS:
        raise APIError(400, f"'input' is {len(text)} characters; the limit is {MAX_INPUT_CHARS}.", param="input",
                       code="input_too_long")
    voice = body.get("voice")
    if isinstance(voice, dict):  # OpenAI's custom-voice form {"id": "..."}
        if not isinstance(voice.get("id"), str):
            raise APIError(422, "'voice' as an object needs an 'id' string, like {\"id\": \"af_heart\"}.",
                           param="voice", code="invalid_type")
        voice = voice["id"]
    voice = _field({"voice": voice}, "voice", str, "af_heart", "a voice name or {\"id\": name}")
    if not voice.strip():
        raise APIError(400, "'voice' is empty.", param="voice", code="invalid_voice")
    fmt = _field(body, "response_format", str, "mp3", "a string")
    if fmt not in FORMATS:
        raise APIError(400, f"'response_format' must be one of {', '.join(FORMATS)}; got '{fmt}'.",
                       param="response_format", code="unsupported_format")
    if not encoder_available(fmt):
        raise APIError(400, f"This server cannot encode {fmt} (install the 'av' package).",
                       param="response_format", code="unsupported_format")
    speed = _field(body, "speed", (int, float), 1.0, "a number")
    if not math.isfinite(speed) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise APIError(400, f"'speed' must be between {MIN_SPEED} and {MAX_SPEED}; got {speed}.", param="speed",
                       code="invalid_speed")
    stream_format = _field(body, "stream_format", str, "audio", "a string")
    if stream_format not in STREAM_FORMATS:
        raise APIError(400, f"'stream_format' must be 'audio' or 'sse'; got '{stream_format}'.",
                       param="stream_format", code="invalid_stream_format")
    stream = _field(body, "stream", bool, True, "true or false")
    instructions = _field(body, "instructions", str, None, "a string")
    lang = _field(body, "lang", str, None, "a language code such as es or ja")
    if lang is not None:
        try:
            lang = language(lang).code
        except KoeError as error:
            raise APIError(400, error.message, param="lang", code="unknown_language") from None
    timestamps = _field(body, "timestamps", bool, False, "true or false")
    return SpeechRequest(model, text, voice.strip(), fmt, float(speed), stream_format, stream, instructions, lang,
                         timestamps)


def _sse(event: str, payload: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


def _usage(job: SynthesisJob) -> dict:
    output = round(job.stats.audio_seconds / AUDIO_FRAME_SECONDS)
    return {"input_tokens": job.stats.phonemes, "output_tokens": output, "total_tokens": job.stats.phonemes + output}


class _Outcome:
    def __init__(self) -> None:
        self.value = "cancelled"  # unless the stream reaches its end


def _log_metrics(job: SynthesisJob, req: SpeechRequest, outcome: str, received: float) -> None:
    """One line per request: size, audio made, time spent, real-time factor (synthesis s per audio s)."""
    s = job.stats
    voice = req.voice if req.voice == job.voice else f"{req.voice}->{job.voice}"
    first = f"{(s.first_audio - received) * 1000:.0f}ms" if s.first_audio is not None else "-"
    log.info("speech %s: chars=%d chunks=%d/%d audio=%.2fs synth=%.2fs rtf=%.3f encode=%.3fs queued=%.0fms "
             "first_audio=%s total=%.2fs format=%s voice=%s bytes=%d", outcome, s.characters, s.chunks,
             s.total_chunks, s.audio_seconds, s.synth_seconds, s.real_time_factor, s.encode_seconds,
             (s.started - received) * 1000, first, time.perf_counter() - received, req.response_format, voice,
             s.bytes_out)


class _Synthesis:
    """One admitted request's synthesis: its job, how it ended, and the cleanup that frees its slot."""

    def __init__(self, job: SynthesisJob, slot: Slot, req: SpeechRequest, received: float) -> None:
        self.job, self.slot, self.req, self.received = job, slot, req, received
        self.outcome = _Outcome()

    def finish(self) -> None:
        self.job.cancel()
        self.slot.release(self.job.stats.elapsed)
        _log_metrics(self.job, self.req, self.outcome.value, self.received)


async def _start(request: Request, req: SpeechRequest, received: float, *, streaming: bool) -> _Synthesis | None:
    """Check the voice, wait for a synthesis slot and start the job (None if the client left meanwhile)."""
    state = request.app.state.koe
    engine = await state.engine()
    voice = kokoro_voice(req.voice)
    try:
        engine.resolve_voice(voice)
    except KoeError as error:
        raise from_koe_error(error) from None
    try:
        slot: Slot = await unless_disconnected(request, state.capacity.acquire())
    except ClientGone:
        return None
    job = state.track(SynthesisJob(engine, req.input, voice, req.speed, req.response_format, streaming=streaming,
                                   lang=req.lang, max_seconds=state.config.max_audio_seconds).start())
    return _Synthesis(job, slot, req, received)


async def _collect(request: Request, synthesis: _Synthesis) -> tuple[list[Any], Any]:
    """Every piece of a synthesis, or the first one only when it streams; errors as API errors."""
    job, outcome = synthesis.job, synthesis.outcome
    try:
        first = await unless_disconnected(request, job.next())
        if first is None:  # cannot happen for non-empty text, but never send an empty 200 silently
            raise APIError(500, "The synthesis produced no audio.", code="no_audio")
        pieces = [first]
        if not job.streaming:
            while (piece := await unless_disconnected(request, job.next())) is not None:
                pieces.append(piece)
            outcome.value = "completed"
            synthesis.finish()
        return pieces, first
    except ClientGone:
        synthesis.finish()
        raise
    except KoeError as error:
        outcome.value = "rejected"
        synthesis.finish()
        raise from_koe_error(error) from None
    except BaseException:
        outcome.value = "failed"
        synthesis.finish()
        raise


async def create_speech(request: Request) -> Response:
    received = time.perf_counter()
    req = parse_speech_request(await read_json(request, BODY_LIMIT))
    synthesis = await _start(request, req, received, streaming=req.stream or req.stream_format == "sse")
    if synthesis is None:
        return Response(status_code=499)
    try:
        pieces, first = await _collect(request, synthesis)
    except ClientGone:
        return Response(status_code=499)
    if not synthesis.job.streaming:
        return Response(b"".join(p.data for p in pieces), media_type=FORMATS[req.response_format].media_type,
                        headers={"Cache-Control": "no-store"})
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if req.stream_format == "sse":
        body = _sse_stream(first, synthesis.job, req, synthesis.outcome)
        media_type = "text/event-stream"
    else:
        body = _audio_stream(first, synthesis.job, synthesis.outcome)
        media_type = FORMATS[req.response_format].media_type
    return ClosingStreamingResponse(body, synthesis.finish, media_type=media_type, headers=headers)


async def create_speech_with_timestamps(request: Request) -> Response:
    """The whole audio file (base64) and every word's timing in one JSON answer."""
    received = time.perf_counter()
    req = parse_speech_request(await read_json(request, BODY_LIMIT))
    synthesis = await _start(request, req, received, streaming=False)
    if synthesis is None:
        return Response(status_code=499)
    try:
        pieces, _ = await _collect(request, synthesis)
    except ClientGone:
        return Response(status_code=499)
    words = merge_words(w for p in pieces if p.chunk is not None for w in p.chunk.words)
    return JSONResponse({"audio": base64.b64encode(b"".join(p.data for p in pieces)).decode("ascii"),
                         "format": req.response_format, "sample_rate": synthesis.job.engine.sample_rate,
                         "words": [w.as_dict() for w in words]}, headers={"Cache-Control": "no-store"})


async def _audio_stream(first: Any, job: SynthesisJob, outcome: _Outcome) -> AsyncIterator[bytes]:
    try:
        if first.data:
            yield first.data
        while (piece := await job.next()) is not None:
            if piece.data:
                yield piece.data
        outcome.value = "completed"
    except Exception:
        outcome.value = "failed"
        log.exception("synthesis failed mid-stream; dropping the connection")
        raise


async def _sse_stream(first: Any, job: SynthesisJob, req: SpeechRequest, outcome: _Outcome) -> AsyncIterator[bytes]:
    """OpenAI's SSE shape: ``speech.audio.delta`` events (base64 audio), then ``speech.audio.done``."""
    piece = first
    try:
        while piece is not None:
            if piece.data:
                yield _sse("speech.audio.delta", {"type": "speech.audio.delta",
                                                  "audio": base64.b64encode(piece.data).decode("ascii")})
            if req.timestamps and piece.chunk is not None:
                for word in piece.chunk.words:
                    yield _sse("speech.word", {"type": "speech.word", **word.as_dict()})
            piece = await job.next()
        outcome.value = "completed"
        yield _sse("speech.audio.done", {"type": "speech.audio.done", "usage": _usage(job)})
    except Exception as error:
        outcome.value = "failed"
        if isinstance(error, KoeError):
            api = from_koe_error(error)
        else:
            log.exception("synthesis failed mid-stream")
            api = APIError(500, "Synthesis failed; see the server log.", code="internal_error")
        yield _sse("error", {"type": "error", **envelope(api.message, type=api.type, param=api.param, code=api.code)})


routes = [Route("/v1/audio/speech", create_speech, methods=["POST"]),
          Route("/v1/audio/speech/timestamps", create_speech_with_timestamps, methods=["POST"])]
