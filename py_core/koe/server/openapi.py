"""GET /openapi.json: a hand-written OpenAPI 3.1 description of the HTTP API.

Hand-written rather than generated: the request bodies are validated by hand
(to keep OpenAI's error envelope), so there are no models to generate from,
and a reviewed document is clearer than docstring YAML.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import __version__
from ..adapters.audio_out import FORMATS
from ..lang import LANGUAGES
from ..rules import MAX_INPUT_CHARS, MAX_REFERENCE_BYTES, MAX_SPEED, MIN_SPEED
from .custom_voices_api import DEFAULT_SECONDS, MAX_SECONDS
from .models_api import SPEECH_MODELS
from .openai_voices import OPENAI_VOICES


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def build_schema() -> dict:
    errors = {
        "400": _error("Invalid value"), "404": _error("Unknown model or path"), "413": _error("Body too large"),
        "415": _error("Body is not JSON"), "422": _error("Wrong type, missing field, or nothing speakable"),
        "429": _error("Busy: retry after the Retry-After seconds"), "500": _error("Internal error"),
        "503": _error("Model not loaded"),
    }
    proxy_errors = {"502": _error("Upstream unreachable"), "503": _error("No LLM configured"),
                    "504": _error("Upstream timed out")}
    audio_types = {fmt.media_type: {"schema": {"type": "string", "format": "binary"}} for fmt in FORMATS.values()}
    audio_types["text/event-stream"] = {"schema": {
        "type": "string", "description": "stream_format=sse: speech.audio.delta events, then speech.audio.done"}}
    any_json = {"type": "object", "additionalProperties": True}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Koe", "version": __version__,
            "description": "Kokoro-82M text-to-speech with an OpenAI-compatible API, the Koe web app, and a proxy "
                           "to an external OpenAI-compatible LLM. Audio is 24 kHz mono and streams as it is made.",
        },
        "paths": {
            "/v1/audio/speech": {"post": {
                "summary": "Synthesize speech (OpenAI-compatible)",
                "operationId": "createSpeech",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SpeechRequest"}}}},
                "responses": {"200": {"description": "Audio, streamed as it is synthesized",
                                      "content": audio_types}, **errors},
            }},
            "/v1/audio/speech/timestamps": {"post": {
                "summary": "Synthesize speech with word timestamps (Koe): one JSON answer",
                "operationId": "createSpeechWithTimestamps",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SpeechRequest"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/SpeechWithTimestamps"}), **errors},
            }},
            "/v1/audio/voices": {"get": {
                "summary": "List voices", "operationId": "listVoices",
                "parameters": [{"name": "language", "in": "query", "required": False, "schema": {"type": "string"},
                                "description": "Only voices of this language, e.g. en-gb"}],
                "responses": {"200": _json({"type": "object", "properties": {"voices": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Voice"}}}}), "503": errors["503"]},
            }, "post": {
                "summary": "Create a custom voice from a reference recording", "operationId": "createVoice",
                "description": "Finds the closest voice Koe can make to the speaker: a mix of preset voices "
                               "plus a style offset that leaves the presets' range (a search that synthesizes "
                               "probe sentences for 'seconds', so it takes a synthesis slot), saves it in the "
                               "server's voices folder, and makes its id usable as 'voice'.",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"$ref": "#/components/schemas/CreateVoiceRequest"}}}},
                "responses": {"201": _json({"$ref": "#/components/schemas/Voice"}, "The saved custom voice"),
                              "400": _error("Bad field (e.g. seconds over the maximum), or unusable speech "
                                            "(silent, too_short, too_long, clipped)"),
                              "409": _error("The name is taken by a preset, an OpenAI voice name or a custom voice"),
                              "413": _error(f"Upload over {MAX_REFERENCE_BYTES // (1024 * 1024)} MB"),
                              "415": _error("Not multipart/form-data, or the file is not audio"),
                              "429": errors["429"], "503": errors["503"]},
            }},
            "/v1/audio/voices/{voice_id}": {
                "parameters": [{"name": "voice_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {
                    "summary": "Describe a voice (a custom voice's full recipe)", "operationId": "getVoice",
                    "responses": {"200": _json({"$ref": "#/components/schemas/Voice"}),
                                  "404": _error("No such voice")},
                },
                "delete": {
                    "summary": "Delete a custom voice", "operationId": "deleteVoice",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "id": {"type": "string"}, "object": {"const": "voice.deleted"},
                        "deleted": {"const": True}}}), "403": _error("A preset voice (cannot be deleted)"),
                        "404": _error("No such custom voice")},
                },
            },
            "/v1/audio/voices/{voice_id}/refine": {"post": {
                "summary": "Improve a custom voice further (continue its search)", "operationId": "refineVoice",
                "description": "Continues the search of a custom voice toward its reference speaker for 'seconds' "
                               "and saves the best voice found (never worse by the search's own measure: it "
                               "starts from the voice as it is). A client that disconnects stops it early; the "
                               "best voice so far is still saved (the recipe file is replaced atomically).",
                "parameters": [{"name": "voice_id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "seconds", "in": "query", "required": False,
                                "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS,
                                           "default": DEFAULT_SECONDS}}],
                "requestBody": {"required": False, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RefineVoiceRequest"}},
                    "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/RefineVoiceRequest"}},
                    "multipart/form-data": {"schema": {"$ref": "#/components/schemas/RefineVoiceRequest"}}}},
                "responses": {"200": _json({"$ref": "#/components/schemas/Voice"}, "The saved, improved custom voice"),
                              "400": _error("Bad seconds (not a number, 0 or less, or over the maximum)"),
                              "404": _error("No such custom voice (or it was deleted meanwhile)"),
                              "409": _error("The voice is already being improved by another request"),
                              "429": errors["429"], "503": errors["503"]},
            }},
            "/v1/models": {"get": {
                "summary": "List models (OpenAI list shape)", "operationId": "listModels",
                "responses": {"200": _json({"type": "object", "properties": {
                    "object": {"const": "list"}, "data": {"type": "array", "items": {
                        "$ref": "#/components/schemas/Model"}}}})},
            }},
            "/v1/models/{model_id}": {"get": {
                "summary": "Describe a model", "operationId": "getModel",
                "parameters": [{"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Model"}), "404": errors["404"]},
            }},
            "/v1/audio/models": {"get": {
                "summary": "List speech models (Open WebUI shape)", "operationId": "listAudioModels",
                "responses": {"200": _json({"type": "object", "properties": {"models": {"type": "array"}}})},
            }},
            "/health": {"get": {
                "summary": "Health: model loaded, version, uptime, load", "operationId": "health",
                "responses": {"200": _json(any_json, "Ready"), "503": _json(any_json, "Loading or failed")},
            }},
            "/llm/v1/chat/completions": {"post": {
                "summary": "Forwarded to the configured LLM upstream (streams SSE through)",
                "operationId": "llmChatCompletions",
                "requestBody": {"required": True, "content": {"application/json": {"schema": any_json}}},
                "responses": {"200": {"description": "The upstream's answer"}, **proxy_errors},
            }},
            "/llm/v1/completions": {"post": {
                "summary": "Forwarded to the configured LLM upstream", "operationId": "llmCompletions",
                "requestBody": {"required": True, "content": {"application/json": {"schema": any_json}}},
                "responses": {"200": {"description": "The upstream's answer"}, **proxy_errors},
            }},
            "/llm/v1/models": {"get": {
                "summary": "The upstream's model list", "operationId": "llmModels",
                "responses": {"200": {"description": "The upstream's answer"}, **proxy_errors},
            }},
        },
        "components": {"schemas": {
            "SpeechRequest": {
                "type": "object", "required": ["input"],
                "description": "null for an optional field means its default",
                "properties": {
                    "model": {"type": ["string", "null"], "enum": [*SPEECH_MODELS, None], "default": "kokoro",
                              "description": "All names select Kokoro-82M"},
                    "input": {"type": "string", "minLength": 1, "maxLength": MAX_INPUT_CHARS},
                    "voice": {"type": "string", "minLength": 1, "default": "af_heart",
                              "description": "A preset (af_heart), a blend (af_heart(2)+bf_emma(1)), a custom voice, "
                                             "or an OpenAI name: " + ", ".join(
                                                 f"{k}->{v}" for k, v in OPENAI_VOICES.items())},
                    "response_format": {"type": ["string", "null"], "enum": [*FORMATS, None], "default": "mp3",
                                        "description": "pcm is raw 24 kHz 16-bit little-endian mono"},
                    "speed": {"type": ["number", "null"], "minimum": MIN_SPEED, "maximum": MAX_SPEED, "default": 1.0},
                    "instructions": {"type": ["string", "null"], "description": "Accepted for compatibility; ignored"},
                    "stream_format": {"type": ["string", "null"], "enum": ["audio", "sse", None], "default": "audio"},
                    "stream": {"type": ["boolean", "null"], "default": True,
                               "description": "false: one complete file with exact headers and Content-Length"},
                    "timestamps": {"type": ["boolean", "null"], "default": False,
                                   "description": "Koe extension: with stream_format=sse, a speech.word event "
                                                  "{type, text, start, end, char_start, char_end} for every word "
                                                  "after the audio delta that holds it"},
                    "lang": {"type": ["string", "null"], "enum": [*LANGUAGES, None],
                             "description": "Koe extension: read the text in this language instead of the "
                                            "voice's (e.g. a Spanish text with an English voice)"},
                },
            },
            "WordTiming": {"type": "object", "required": ["text", "start", "end", "char_start", "char_end"],
                           "properties": {
                               "text": {"type": "string", "description": "The word as written in the input"},
                               "start": {"type": "number", "description": "Seconds into the audio"},
                               "end": {"type": "number"},
                               "char_start": {"type": "integer", "description": "Offset in the input text"},
                               "char_end": {"type": "integer"},
                               "skipped": {"type": "boolean", "description": "The word made no sound"}}},
            "SpeechWithTimestamps": {"type": "object", "properties": {
                "audio": {"type": "string", "contentEncoding": "base64", "description": "The complete audio file"},
                "format": {"type": "string", "enum": list(FORMATS)},
                "sample_rate": {"type": "integer"},
                "words": {"type": "array", "items": {"$ref": "#/components/schemas/WordTiming"}}}},
            "Voice": {"type": "object", "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "language": {"type": "string"},
                "language_name": {"type": "string"}, "gender": {"type": "string"}, "custom": {"type": "boolean"},
                "aliases": {"type": "array", "items": {"type": "string"}},
                "components": {"type": "array", "description": "Custom voices: the preset mix",
                               "items": {"type": "object", "properties": {
                                   "voice": {"type": "string"}, "weight": {"type": "number"}}}},
                "score": {"type": ["number", "null"],
                          "description": "Custom voices: speaker similarity reached by the search (its own "
                                         "encoders, on its probe sentences)"},
                "previous_score": {"type": ["number", "null"],
                                   "description": "Refine answers: the score before this refine"},
                "style": {"type": "object", "description": "Custom voices (recipe version 2): the style offset "
                                                          "added to the mix",
                          "properties": {"offset": {"type": "array", "items": {"type": "number"},
                                                    "minItems": 256, "maxItems": 256},
                                         "coefficients": {"type": "array", "items": {"type": "number"}},
                                         "basis": {"type": "string"}}},
                "embeddings": {"type": "object", "description": "Custom voices (GET one, POST): the reference "
                                                                "speaker's embeddings by the search's other encoders",
                               "additionalProperties": {"type": "array", "items": {"type": "number"}}},
                "embedding": {"type": "array", "items": {"type": "number"},
                              "description": "Custom voices (GET one, POST): the reference speaker's embedding"},
                "created": {"type": "string"}, "source": {"type": "string"},
                "seconds": {"type": "number", "description": "Seconds of reference speech used"}}},
            "CreateVoiceRequest": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "One speaker, 3 to 60 s of speech: wav, flac, ogg or mp3"},
                "name": {"type": "string", "description": "Display name; the id is derived from it "
                                                          "(default added_speaker_N)"},
                "language": {"type": "string", "description": "The speaker's accent, e.g. en-us or en-gb"},
                "seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS,
                            "default": DEFAULT_SECONDS, "description": "Seconds to spend searching (more is 400)"},
                "budget": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS,
                           "deprecated": True, "description": "The older name of 'seconds'"}}},
            "RefineVoiceRequest": {"type": "object", "properties": {
                "seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS,
                            "default": DEFAULT_SECONDS, "description": "Seconds to spend searching (more is 400)"}}},
            "Model": {"type": "object", "properties": {
                "id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"},
                "owned_by": {"type": "string"}}},
            "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "message": {"type": "string"}, "type": {"type": "string"},
                "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}}},
        }},
    }


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(build_schema())


routes = [Route("/openapi.json", openapi, methods=["GET"])]
