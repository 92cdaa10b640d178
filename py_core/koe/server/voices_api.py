"""The voice catalogue: GET /v1/audio/voices.

Shape: ``{"voices": [{"id", "name", "language", "language_name", "gender",
"custom", "aliases"}]}`` - objects with ``id`` and ``name``, which is what
Open WebUI and Kokoro-FastAPI-style clients read. ``aliases`` lists the OpenAI
voice names that map to the voice. Custom voices (``"custom": true``) add
their recipe: ``components`` (``[{"voice", "weight"}]``), ``score``,
``created``, ``source`` and ``seconds``; GET /v1/audio/voices/{id} adds the
speaker ``embedding``.

Creating, describing and deleting custom voices is :mod:`.custom_voices_api`;
the catalogue lists whatever the engine's voice bank holds.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .openai_voices import OPENAI_VOICES

#: Recipe fields the catalogue shows for a custom voice (GET /v1/audio/voices/{id} shows all).
_LISTED = ("components", "score", "created", "source", "seconds")


def voice_entry(info: object) -> dict:
    if getattr(info, "custom", False):
        return custom_entry(info)
    entry = info.as_dict() if hasattr(info, "as_dict") else {
        "id": info.id, "name": info.name, "language": info.language, "gender": info.gender}
    entry["aliases"] = sorted(name for name, target in OPENAI_VOICES.items() if target == entry["id"])
    return entry


def custom_entry(info: object, *, full: bool = False) -> dict:
    """A custom voice: its catalogue entry plus its recipe (all of it, embedding included, if ``full``)."""
    recipe = dict(getattr(info, "extra", None) or {})
    entry = {**info.as_dict(), "custom": True, "aliases": []}
    if full:
        entry.update({k: v for k, v in recipe.items() if k not in ("format", "version", *entry)})
    else:
        entry.update({k: recipe[k] for k in _LISTED if k in recipe})
    return entry


async def list_voices(request: Request) -> JSONResponse:
    engine = await request.app.state.koe.engine()
    voices = [voice_entry(info) for info in engine.voices()]
    language = request.query_params.get("language")
    if language:
        voices = [v for v in voices if v.get("language", "").lower() == language.lower()]
    return JSONResponse({"voices": voices})


routes = [
    Route("/v1/audio/voices", list_voices, methods=["GET"]),
]
