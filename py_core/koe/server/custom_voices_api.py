"""Custom voices over HTTP: create from a reference recording, refine, describe, delete.

* ``POST /v1/audio/voices`` - ``multipart/form-data`` with ``file`` (or OpenAI's
  ``audio_sample``): a recording of one speaker, 3 to 60 s of speech (wav, flac,
  ogg, mp3; at most :data:`~koe.rules.MAX_REFERENCE_BYTES`); optional
  ``name`` (default ``added_speaker_N``), ``language`` (e.g. ``en-gb``: favours
  that accent's voices) and ``seconds`` (of search, default :data:`DEFAULT_SECONDS`,
  at most :data:`MAX_SECONDS`, more is 400; ``budget`` is the older name). Answers 201
  with the saved recipe (:meth:`koe.recipe.Recipe.to_dict` plus ``custom``): the
  closest voice Koe can make, a preset mix plus a style offset, and its ``score``.
* ``POST /v1/audio/voices/{id}/refine`` - continues the search of a custom voice for
  ``seconds`` (a query parameter, a form field or a JSON body; same rules) and answers
  200 with the saved recipe. 404 for a voice that is not a custom voice here (or was
  deleted meanwhile), 409 ``voice_busy`` while the same voice is being refined. A client
  that disconnects (or a server that shuts down) stops it early: the best voice found
  so far is saved, replacing the recipe file atomically.
* ``GET /v1/audio/voices/{id}`` - a custom voice's recipe, or a preset's entry.
* ``DELETE /v1/audio/voices/{id}`` - removes a custom voice; presets are 403.

Everything about the request is checked before any work: media type (415),
declared and streamed size (413 ``request_too_large``), fields and name (400;
a taken name or one that would shadow a preset or an OpenAI voice name is
409), then the audio is decoded and checked off the event loop (``not_audio`` 415, ``too_large`` 413;
``too_long``, ``silent``, ``too_short``, ``clipped`` 400). Only then does the
search take a synthesis slot (it synthesizes probe sentences), so it counts
toward ``--max-concurrency`` and gets 429 when the queue is full; it runs in its
own thread, stops when the client disconnects or the server shuts down, and
nothing is written unless it succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from typing import Any, Callable

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from ..errors import (
    InvalidRecipeError,
    ReferenceAudioError,
    UnknownVoiceError,
    VoiceBusyError,
    VoiceExistsError,
)
from ..style_search import DEFAULT_BUDGET_S as DEFAULT_SECONDS
from ..style_search import MAX_BUDGET_S as MAX_SECONDS
from ..rules import MAX_REFERENCE_BYTES
from .disconnect import ClientGone, unless_disconnected
from .errors import APIError
from .limits import Slot
from .openai_voices import OPENAI_VOICES, kokoro_voice
from .voices_api import custom_entry, voice_entry
from .worker import ThreadJob

log = logging.getLogger("koe.server.voices")

BODY_LIMIT = MAX_REFERENCE_BYTES + 1024 * 1024  # the file plus the form's other fields and boundaries
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

#: Status for each :class:`~koe.errors.ReferenceAudioError` code (the rest are 400).
REFERENCE_STATUS = {"not_audio": 415, "too_large": 413}

# --- helpers -----------------------------------------------------------------------------------

def _reference_error(error: ReferenceAudioError) -> APIError:
    return APIError(REFERENCE_STATUS.get(error.code, 400), error.message, code=error.code, param="file")


def _too_large() -> APIError:
    return APIError(413, f"The upload is larger than {MAX_REFERENCE_BYTES // (1024 * 1024)} MB (a reference needs only "
                         "10 to 60 s of speech).", code="request_too_large", param="file")


# --- the request -------------------------------------------------------------------------------

async def _read_form(request: Request) -> Any:
    """The multipart form, refusing a body over :data:`BODY_LIMIT` as it streams in (413)."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise APIError(415, "Send the reference as multipart/form-data with the recording in 'file' "
                            f"(got {media or 'no content type'}).", code="unsupported_media_type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > BODY_LIMIT:
        raise _too_large()
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > BODY_LIMIT:
                raise _too_large()
        return message

    try:
        return await Request(request.scope, receive).form(max_files=2, max_fields=16, max_part_size=64 * 1024)
    except HTTPException as error:  # python-multipart's complaints
        raise APIError(400, f"The form data is malformed: {error.detail}", code="invalid_form") from None


def _text_field(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise APIError(400, f"'{name}' must be a text field, not a file.", param=name, code="invalid_type")
    return value.strip() or None


def _seconds(fields: Any) -> float:
    """The search time from ``seconds`` (or its older name ``budget``): above 0, at most
    :data:`MAX_SECONDS` (400 beyond), default :data:`DEFAULT_SECONDS`."""
    name = "seconds" if fields.get("seconds") is not None else "budget"
    raw = fields.get(name)
    if raw is None:
        return DEFAULT_SECONDS
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise APIError(400, f"'{name}' must be a number of seconds above 0 and at most {MAX_SECONDS:g}; got {raw!r}.",
                       param=name, code=f"invalid_{name}")
    return value


def _language(raw: str | None) -> str | None:
    if raw is None:
        return None
    language = raw.lower()
    if not _LANGUAGE.match(language):
        raise APIError(400, f"'language' must be a language tag such as en-us or en-gb; got {raw!r}.",
                       param="language", code="invalid_language")
    return language


def _check_can_create(name: str | None, service: Any) -> None:
    """Before anything slow: 409 if a voice called ``name`` cannot be created (a preset's, an OpenAI
    name, or taken), 400 if the name is invalid, 503 if the voices folder cannot be written."""
    if service.store is not None:
        service.store.check_writable()
    if name is None:
        return
    try:
        service.choose_id(name)
    except VoiceExistsError as error:
        raise APIError(409, error.message, param="name", code="voice_exists") from None


def _file_name(upload: UploadFile) -> str:
    return (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:100] or "upload"


# --- the search thread ---------------------------------------------------------------------------

class CloneJob(ThreadJob):
    """Runs ``work(cancelled)`` in a thread and hands its result to the event loop."""

    thread_name = "koe-clone"

    def __init__(self, work: Callable[[Callable[[], bool]], Any]) -> None:
        super().__init__()
        self._work = work
        self._future: asyncio.Future[Any] = self._loop.create_future()

    @property
    def finished(self) -> bool:
        """The work has returned or raised (the thread may still be exiting)."""
        return self._future.done()

    async def result(self) -> Any:
        return await asyncio.shield(self._future)

    def _settle(self, value: Any, error: BaseException | None) -> None:
        if not self._future.done():
            if error is not None:
                self._future.set_exception(error)
            else:
                self._future.set_result(value)

    def _run(self) -> None:
        value, failure = None, None
        try:
            value = self._work(self._cancelled.is_set)
        except BaseException as error:  # handed to the event loop
            failure = error
        try:
            self._loop.call_soon_threadsafe(self._settle, value, failure)
        except RuntimeError:  # the loop is gone (shutdown)
            pass


# --- handlers ------------------------------------------------------------------------------------

async def create_voice(request: Request) -> Response:
    started = time.perf_counter()
    state = request.app.state.koe
    form = await _read_form(request)
    try:
        upload = form.get("file") or form.get("audio_sample")
        if upload is None:
            raise APIError(400, "Attach the reference recording as the form field 'file'.", param="file",
                           code="missing_required_parameter")
        if not isinstance(upload, UploadFile):
            raise APIError(400, "'file' must be a file upload (a recording), not text.", param="file",
                           code="invalid_type")
        name, language = _text_field(form, "name"), _language(_text_field(form, "language"))
        seconds = _seconds({k: _text_field(form, k) for k in ("seconds", "budget")})
        service = await state.service()
        _check_can_create(name, service)
        data = await upload.read(MAX_REFERENCE_BYTES + 1)
        source = f"file:{_file_name(upload)}"
    finally:
        await form.close()

    try:
        from ..adapters.audio_in import load_reference
    except ImportError as error:
        raise APIError(503, f"Reading audio needs the server extra (pip install 'koe[server]'): {error}",
                       code="audio_decoder_missing") from None
    from ..speaker import prepare_reference

    def check(data: bytes) -> Any:  # decoding and the speech checks (about 0.2 s for a minute) come before any slot
        samples = load_reference(data)
        prepare_reference(samples)
        return samples

    try:
        samples = await asyncio.to_thread(check, data)
    except ReferenceAudioError as error:
        raise _reference_error(error) from None
    del data
    await state.speaker_encoder()

    from ..runtime import run_sync

    def search(cancelled: Callable[[], bool]) -> Any:
        return run_sync(service.create_voice(samples, name=name, source=source, language=language,
                                             seconds=seconds, cancelled=cancelled, save=False))

    try:
        job, recipe = await _search_in_slot(request, state, search, started,
                                            gone="voice search abandoned: the client disconnected")
    except ClientGone:
        return Response(status_code=499)
    except ReferenceAudioError as error:
        raise _reference_error(error) from None
    except VoiceExistsError as error:  # another request took the name meanwhile
        raise APIError(409, error.message, param="name", code="voice_exists") from None
    if job.cancelled:
        raise APIError(503, "The voice search was stopped (the server is shutting down); nothing was saved.",
                       code="cancelled")
    try:
        saved = await asyncio.to_thread(service.save_voice, recipe)
    except VoiceExistsError as error:  # another request took the name meanwhile
        raise APIError(409, error.message, param="name", code="voice_exists") from None
    mix = " + ".join(f"{voice} {weight:.0%}" for voice, weight in saved.components)
    log.info("custom voice %s created in %.1fs: %s (similarity %s, %.1f s of speech)", saved.id,
             time.perf_counter() - started, mix, saved.score, saved.seconds)
    info = service.voice_bank.custom[saved.id][0]
    return JSONResponse(custom_entry(info, full=True), status_code=201,
                        headers={"Location": f"/v1/audio/voices/{saved.id}"})


_background: set[asyncio.Task] = set()


async def _search_in_slot(request: Request, state: Any, search: Callable[[Callable[[], bool]], Any], started: float,
                          *, gone: str) -> tuple[CloneJob, Any]:
    """Run a voice search (``search(cancelled)``, in a thread) while holding a capacity slot:
    ``(job, its result)``. Raises :class:`ClientGone` when the client went away (logged as
    ``gone`` once the search had started; the search stops before its next measurement and
    holds the slot until then). The search's own errors propagate."""
    slot = await unless_disconnected(request, state.capacity.acquire())
    job = state.track(CloneJob(search).start())
    try:
        return job, await unless_disconnected(request, job.result())
    except ClientGone:
        log.info("%s", gone)
        raise
    finally:
        if job.finished:
            slot.release(time.perf_counter() - started)
        else:  # abandoned: it stops before its next measurement, and holds the slot until then
            job.cancel()
            _release_when_done(job, slot, started)


def _release_when_done(job: CloneJob, slot: Slot, started: float) -> None:
    async def wait() -> None:
        try:
            await job.result()
        except BaseException:
            pass
        finally:
            slot.release(time.perf_counter() - started)

    task = asyncio.ensure_future(wait())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _refine_fields(request: Request) -> dict:
    """``seconds`` from the query, a JSON body or a form (the body may be empty)."""
    fields: dict = {"seconds": request.query_params.get("seconds")}
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media == "application/json":
        from .bodies import read_json

        body = await read_json(request, 64 * 1024)
        if body is not None and not isinstance(body, dict):
            raise APIError(400, "The body must be a JSON object such as {\"seconds\": 120}.", code="invalid_body")
        fields.update({k: v for k, v in (body or {}).items() if k == "seconds"})
    elif media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await _read_form(request) if media == "multipart/form-data" else await request.form(max_fields=16)
        try:
            if form.get("seconds") is not None:
                fields["seconds"] = _text_field(form, "seconds")
        finally:
            await form.close()
    return fields


async def refine_voice(request: Request) -> Response:
    started = time.perf_counter()
    voice_id = request.path_params["voice_id"]
    state = request.app.state.koe
    service = await state.service()
    seconds = _seconds(await _refine_fields(request))
    try:
        before = await asyncio.to_thread(service.custom_recipe, voice_id)
    except (UnknownVoiceError, InvalidRecipeError):
        raise APIError(404, f"No custom voice {voice_id!r} to improve.", param="voice_id",
                       code="voice_not_found") from None
    if service.refining(voice_id):
        raise APIError(409, f"The voice {voice_id!r} is already being improved; wait for that to finish.",
                       param="voice_id", code="voice_busy")
    if service.store is not None:
        service.store.check_writable()
    await state.speaker_encoder()

    from ..runtime import run_sync

    def search(cancelled: Callable[[], bool]) -> Any:
        return run_sync(service.refine_voice(voice_id, seconds, cancelled=cancelled))

    try:
        _, saved = await _search_in_slot(
            request, state, search, started,
            gone=f"refine of {voice_id} stopped early: the client disconnected (the best voice so far is kept)")
    except ClientGone:
        return Response(status_code=499)
    except VoiceBusyError as error:
        raise APIError(409, error.message, param="voice_id", code="voice_busy") from None
    except (UnknownVoiceError, InvalidRecipeError):  # deleted meanwhile
        raise APIError(404, f"No custom voice {voice_id!r} to improve.", param="voice_id",
                       code="voice_not_found") from None
    log.info("custom voice %s refined in %.1fs: similarity %s -> %s", voice_id, time.perf_counter() - started,
             before.score, saved.score)
    entry = custom_entry(service.voice_bank.custom[saved.id][0], full=True)
    entry["previous_score"] = before.score
    return JSONResponse(entry)


def _not_found(voice_id: str) -> APIError:
    return APIError(404, f"No voice {voice_id!r}.", param="voice_id", code="voice_not_found")


async def get_voice(request: Request) -> JSONResponse:
    voice_id = request.path_params["voice_id"]
    bank = (await request.app.state.koe.engine()).voice_bank
    if voice_id in bank.custom:
        return JSONResponse(custom_entry(bank.custom[voice_id][0], full=True))
    preset = bank.presets.get(kokoro_voice(voice_id))
    if preset is None:
        raise _not_found(voice_id)
    return JSONResponse(voice_entry(preset))


async def delete_voice(request: Request) -> JSONResponse:
    voice_id = request.path_params["voice_id"]
    service = await request.app.state.koe.service()
    if voice_id in service.voice_bank.presets or voice_id.lower() in OPENAI_VOICES:
        raise APIError(403, f"{voice_id!r} is a preset voice; only custom voices can be deleted.",
                       param="voice_id", code="preset_voice")
    try:
        await asyncio.to_thread(service.delete_voice, voice_id)
    except (UnknownVoiceError, InvalidRecipeError):  # not saved here (or not even a valid id)
        raise _not_found(voice_id) from None
    log.info("custom voice %s deleted", voice_id)
    return JSONResponse({"id": voice_id, "object": "voice.deleted", "deleted": True})


routes = [
    Route("/v1/audio/voices", create_voice, methods=["POST"]),
    Route("/v1/audio/voices/{voice_id}/refine", refine_voice, methods=["POST"]),
    Route("/v1/audio/voices/{voice_id}", get_voice, methods=["GET"]),
    Route("/v1/audio/voices/{voice_id}", delete_voice, methods=["DELETE"]),
]
