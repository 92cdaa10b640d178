"""GET /v1/models (OpenAI's list shape) and GET /v1/audio/models (Open WebUI's shape).

Every name maps to the same Kokoro-82M model: OpenAI clients hard-code
``tts-1`` and friends, so they are accepted as aliases.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .errors import APIError

DEFAULT_SPEECH_MODEL = "kokoro"
SPEECH_MODELS = ("kokoro", "tts-1", "tts-1-hd", "gpt-4o-mini-tts")
#: Fixed so listings are stable across restarts (Kokoro v1.0's release, 2025-01-27).
CREATED = 1737936000


def model_card(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": "koe"}


async def list_models(request: Request) -> JSONResponse:
    return JSONResponse({"object": "list", "data": [model_card(m) for m in SPEECH_MODELS]})


async def get_model(request: Request) -> JSONResponse:
    model_id = request.path_params["model_id"]
    if model_id not in SPEECH_MODELS:
        raise APIError(404, f"The model '{model_id}' does not exist.", param="model", code="model_not_found")
    return JSONResponse(model_card(model_id))


async def list_audio_models(request: Request) -> JSONResponse:
    return JSONResponse({"models": [{"id": m, "name": m} for m in SPEECH_MODELS]})


routes = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
    Route("/v1/audio/models", list_audio_models, methods=["GET"]),
]
