"""/openapi.json is a valid OpenAPI document, and it describes what the server really does.

* the document passes a spec validator (openapi-spec-validator);
* every path and method it lists is a route of the app (and every API route is listed);
* every documented field of the speech request is accepted by the request parser with a
  value the schema allows, and every field the parser reads is documented.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from koe.server.app import create_app
from koe.server.openapi import build_schema
from koe.server.speech import SpeechRequest, parse_speech_request

API_PREFIXES = ("/v1/", "/llm/", "/health", "/openapi.json")


@pytest.fixture(scope="module")
def schema() -> dict:
    return build_schema()


def test_the_document_is_valid_openapi(schema):
    from openapi_spec_validator import validate

    validate(schema)


def test_documented_paths_are_the_api_routes(schema):
    app = create_app()
    routes = {}
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith(API_PREFIXES) and path != "/openapi.json":
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", path)  # {model_id:path} is {model_id} in OpenAPI
            routes.setdefault(path, set()).update(m.lower() for m in (route.methods or ()) if m != "HEAD")
    documented = {path: set(ops) - {"parameters", "summary", "description"} for path, ops in schema["paths"].items()}
    assert documented == routes


def _example(prop: dict):
    """A value the property's schema allows (not null)."""
    if "enum" in prop:
        return [v for v in prop["enum"] if v is not None][-1]
    if "default" in prop:
        return prop["default"]
    kinds = prop.get("type")
    kind = next(k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null")
    return {"string": "Hello there.", "number": 1.5, "integer": 1, "boolean": False}[kind]


def test_every_documented_speech_field_is_accepted_and_every_parsed_field_documented(schema):
    spec = schema["components"]["schemas"]["SpeechRequest"]
    properties = spec["properties"]
    for name, prop in properties.items():
        body = {"model": "kokoro", "input": "Hello there.", "voice": "af_heart", name: _example(prop)}
        request = parse_speech_request(body)
        assert getattr(request, name) == body[name], name
        if "null" in prop.get("type", ()):  # null means the default
            assert parse_speech_request({**body, name: None}) is not None
    parsed = {f.name for f in dataclasses.fields(SpeechRequest)}
    assert parsed <= set(properties), f"parsed but undocumented: {parsed - set(properties)}"
    for name in spec["required"]:
        body = {"model": "kokoro", "input": "Hello.", "voice": "af_heart"}
        body.pop(name)
        with pytest.raises(Exception):
            parse_speech_request(body)
