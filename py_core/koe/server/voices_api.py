"""The voice catalogue: GET /v1/audio/voices.

Shape: ``{"voices": [{"id", "name", "language", "language_name", "gender",
"custom", "aliases"}]}`` - objects with ``id`` and ``name``, which is what
Open WebUI and Kokoro-FastAPI-style clients read. ``aliases`` lists the OpenAI
voice names that map to the voice.

Custom voices add POST (create) and DELETE /v1/audio/voices/{id} here: append
their routes to :data:`routes`; the catalogue already lists whatever the
engine's voice bank holds.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .openai_voices import OPENAI_VOICES


def voice_entry(info: object) -> dict:
    entry = info.as_dict() if hasattr(info, "as_dict") else {
        "id": info.id, "name": info.name, "language": info.language, "gender": info.gender}
    entry["aliases"] = sorted(name for name, target in OPENAI_VOICES.items() if target == entry["id"])
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
