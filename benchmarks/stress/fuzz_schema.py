"""Schema-driven fuzzing: requests built from the server's own /openapi.json, mostly valid, partly hostile.

For every operation the schema describes, bodies, path and query parameters are
generated from the declared types, enums and bounds; one field in six (and
some whole bodies) is replaced by something hostile: wrong types, 400-digit
and non-finite numbers, deep nesting, control characters, lone surrogates,
huge strings, path traversal, wrong content types. Valid speech requests are
streamed and dropped after the first bytes (the point is the status, not the
audio). Every answer must be a success or the OpenAI error envelope with a
4xx (or a 502/503/504 that says the LLM upstream or the model is unavailable),
never a 500 or a stack trace.

    .venv/bin/python benchmarks/stress/fuzz_schema.py [--cases 5000] [--seed 1] [--url http://127.0.0.1:8000]

(schemathesis, on PyPI, is a heavier alternative: ``pip install schemathesis``
then ``st run http://127.0.0.1:8000/openapi.json``.)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Findings, is_envelope, server_from_args, shorten  # noqa: E402

#: 5xx answers that are not bugs: the thing asked for is unavailable, and the envelope says so.
UNAVAILABLE = {502: {"upstream_unreachable", "upstream_error", "upstream_invalid_response", "upstream_redirect"},
               503: {"llm_not_configured", "model_loading", "model_unavailable", "speaker_encoder_missing"},
               504: {"upstream_timeout"}}
WORDS = ("hello", "world", "the", "quick", "brown", "fox", "Dr.", "$5.50", "Jan.", "5th", "2024", "OK", "e.g.",
         "naïve", "café", "1,234", "3:30pm", "NASA", "don't", "!", "?", ",")


class Raw:
    """A JSON fragment written as is (numbers and constants json.dumps cannot produce)."""

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


HOSTILE_TEXT = (
    "", " ", "\n\n", "\u0000", "a\u0000b", "\u202eevil", "../../../../etc/passwd", "..", "%2e%2e%2f",
    "<img src=x onerror=alert(1)>", "' OR 1=1 --", "\ufeff", "\U0001F600" * 50, "e\u0301" * 200, "\u0301" * 500,
    "\x1b[2J", "af_heart(1" + "0" * 300 + ")", "af_heart(1" + "0" * 300 + ")+bf_emma(1" + "0" * 300 + ")",
    "af_heart(0)", "af_heart(-1)", "+", "(((", "af_heart" * 500, "x" * 300, "x" * 5000,
)


def hostile_text(rng: random.Random) -> str:
    return rng.choice(HOSTILE_TEXT) if rng.random() < 0.97 else "x" * 70000


def hostile_string(rng: random.Random) -> Any:
    """A hostile string value, some written as raw JSON (escapes that decode to lone surrogates or NUL)."""
    if rng.random() < 0.15:
        return rng.choice([Raw('"\\ud800"'), Raw('"a\\udfffb"'), Raw('"\\u0000"')])
    return hostile_text(rng)


def hostile(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return hostile_string(rng)
    if kind == 1:
        return rng.choice([Raw("1" + "0" * 400), Raw("-1" + "0" * 400 + ".5"), Raw("1e999"), Raw("-1e999"),
                           Raw("NaN"), Raw("Infinity"), Raw("9" * 4096), -1, 0, 1e308, 2 ** 63, -(2 ** 63) - 1,
                           Raw("1e-400"), 0.0001])
    if kind == 2:
        depth = rng.choice([3, 70, 1000, 30000])
        return Raw("[" * depth + "]" * depth)
    if kind == 3:
        return rng.choice([None, True, False, [], {}, [None], {"id": None}, {"id": {"id": "x"}}, ["af_heart"]])
    if rng.random() < 0.3:
        return {hostile_text(rng): hostile(rng) for _ in range(rng.randrange(1, 4))}
    return [hostile(rng) for _ in range(3)]


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))


def generate(schema: dict, rng: random.Random, components: dict, name: str = "") -> Any:
    """A value that satisfies ``schema`` (most of the time: hostile fields are added by the caller)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "const" in schema:
        return schema["const"]
    types = schema.get("type", "string")
    kind = rng.choice(types) if isinstance(types, list) else types
    if kind == "null":
        return None
    if kind == "string":
        if name == "input":
            return text(rng)
        if name == "voice":
            return rng.choice(["af_heart", "bf_emma", "nova", "af_heart(2)+bf_emma(1)", "alloy"])
        return text(rng)[: schema.get("maxLength", 60)] or "x"
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", low + 100)
        value = rng.uniform(low, high)
        return int(value) if kind == "integer" else round(value, 3)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [generate(schema.get("items", {}), rng, components) for _ in range(rng.randrange(3))]
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return {key: generate(sub, rng, components, key) for key, sub in properties.items()
                if key in required or rng.random() < 0.5}
    return None


def body_for(schema: dict, rng: random.Random, components: dict) -> Any:
    if rng.random() < 0.05:
        return hostile(rng)
    body = generate(schema, rng, components)
    if isinstance(body, dict):
        for key in list(body):
            if rng.random() < 1 / 6:
                body[key] = hostile(rng)
        if rng.random() < 0.1:
            body[hostile_text(rng) if rng.random() < 0.5 else "extra"] = hostile(rng)
    return body


def check(findings: Findings, method: str, path: str, sent: Any, response: httpx.Response) -> None:
    status = response.status_code
    findings.count(status)
    what = f"{method} {path} {shorten(sent)} -> {status}"
    if "x-request-id" not in response.headers:
        findings.fail(f"{what}: no X-Request-ID")
    if status >= 400 and method != "HEAD":  # a HEAD answer has no body to hold the envelope
        if status >= 500 and not (status in UNAVAILABLE and is_envelope(response)
                                  and response.json()["error"]["code"] in UNAVAILABLE[status]):
            findings.unexpected_5xx += 1
            findings.fail(f"{what}: {response.text[:200]}")
        elif not is_envelope(response):
            findings.fail(f"{what}: not the error envelope: {response.text[:200]}")


def send(client: httpx.Client, findings: Findings, method: str, path: str, sent: Any, **kwargs: Any) -> None:
    try:
        with client.stream(method, path, **kwargs) as response:
            if response.status_code < 400:
                next(response.iter_raw(), b"")  # the status is known; drop the rest (cancels a synthesis)
            else:
                response.read()
            check(findings, method, path, sent, response)
    except httpx.InvalidURL:
        return  # a URL over 64 KB, which httpx will not send (raw_http.py sends a 100 KB one)
    except httpx.HTTPError as error:
        findings.count(0)
        findings.fail(f"{method} {path} {shorten(sent)}: {type(error).__name__} {error}")


def fuzz_one(client: httpx.Client, findings: Findings, schema: dict, rng: random.Random) -> None:
    components = schema.get("components", {}).get("schemas", {})
    path, operations = rng.choice(list(schema["paths"].items()))
    methods = [m for m, op in operations.items() if isinstance(op, dict)]
    method = rng.choice(methods) if rng.random() < 0.95 else rng.choice(["PUT", "PATCH", "OPTIONS", "HEAD", "TRACE"])
    operation = operations.get(method.lower(), {}) if isinstance(operations.get(method.lower()), dict) else {}
    concrete = path
    if "{voice_id}" in path or "{model_id}" in path:
        value = rng.choice(["af_heart", "nova", "nobody", "added_speaker_1", quote(hostile_text(rng), safe=""),
                            "..%2F..%2Fetc%2Fpasswd", "%00", "a" * 3000, "tts-1"])
        concrete = path.replace("{voice_id}", value).replace("{model_id}", value)
    params = {}
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "query" and rng.random() < 0.7:
            params[parameter["name"]] = rng.choice(["en-us", "en-gb", "xx", "", "\u202e", "a" * 500])
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        sent = body_for(content["application/json"]["schema"], rng, components)
        if path == "/v1/audio/speech" and isinstance(sent, dict) and "stream" not in sent:
            sent["stream"] = True
        content_type = "application/json" if rng.random() < 0.95 else rng.choice(
            ["text/plain", "", "application/x-www-form-urlencoded", "application/json; charset=utf-16",
             "multipart/form-data"])
        data = dumps(sent).encode("utf-8", "surrogatepass")
        send(client, findings, method, concrete, sent, content=data, params=params,
             headers={"content-type": content_type} if content_type else {})
    elif "multipart/form-data" in content:
        fields = {key: str(generate(sub, rng, components, key)) for key, sub in
                  content["multipart/form-data"]["schema"].get("properties", {}).items() if key != "file"
                  and rng.random() < 0.6}
        fields["budget"] = "0.5" if rng.random() < 0.7 else rng.choice(["-1", "0", "nan", "1e999", "x", "9" * 400])
        files = {"file": ("ref.wav", rng.randbytes(rng.choice([0, 10, 5000])), "audio/wav")} \
            if rng.random() < 0.9 else None
        send(client, findings, method, concrete, fields, data=fields, files=files, params=params)
    else:
        send(client, findings, method, concrete, params, params=params)


def run(url: str, cases: int = 500, seed: int = 1, timeout: float = 120.0) -> Findings:
    findings = Findings("schema fuzz")
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=timeout) as client:
        schema = client.get("/openapi.json").json()
        for _ in range(cases):
            fuzz_one(client, findings, schema, rng)
        health = client.get("/health")
        if health.status_code != 200:
            findings.fail(f"/health answers {health.status_code} after fuzzing")
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a running server (default: start one)")
    args = parser.parse_args()
    started = time.monotonic()
    with server_from_args(args.url, None) as server:
        findings = run(server.url, args.cases, args.seed)
    print(findings.summary())
    print(f"{time.monotonic() - started:.0f} s")
    return 1 if findings.failures else 0


if __name__ == "__main__":
    sys.exit(main())
