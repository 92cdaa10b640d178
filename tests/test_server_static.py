"""The web app at /: MIME types, cross-origin isolation, caching, gzip; and CORS settings."""

from __future__ import annotations

import gzip

import httpx
import pytest

from server_fixtures import assert_envelope, koe_server

FILES = {
    "index.html": b"<!doctype html><title>Koe</title><script type=module src=app.mjs></script>",
    "app.mjs": b"export const greeting = 'hello';\n" * 200,
    "worker.js": b"self.onmessage = () => {};\n" * 100,
    "ort/ort-wasm-simd-threaded.wasm": b"\0asm\x01\0\0\0" + bytes(8192),
    "embeddings/index.json": b'{"voices": []}' + b" " * 2000,
    "model/kokoro.onnx": bytes(16384),
}


@pytest.fixture(scope="module")
def web_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    for name, content in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


@pytest.fixture(scope="module")
def server(engine, web_dir):
    with koe_server(engine, web_dir=str(web_dir), cors_origins=["http://app.example:3000"]) as running:
        yield running


def get(server, path, **headers) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers)


def test_index_is_served_with_isolation_headers(server):
    response = get(server, "/")
    assert response.status_code == 200
    assert response.content == FILES["index.html"]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path, media_type", [
    ("/app.mjs", "text/javascript; charset=utf-8"),
    ("/worker.js", "text/javascript; charset=utf-8"),
    ("/ort/ort-wasm-simd-threaded.wasm", "application/wasm"),
    ("/embeddings/index.json", "application/json"),
    ("/model/kokoro.onnx", "application/octet-stream"),
])
def test_mime_types(server, path, media_type):
    response = get(server, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"


def test_revalidation_gives_304(server):
    first = get(server, "/model/kokoro.onnx")
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["etag"]
    again = get(server, "/model/kokoro.onnx", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("path, compressed", [
    ("/app.mjs", True),
    ("/ort/ort-wasm-simd-threaded.wasm", False),  # large in real life: CPU cost > loopback savings
    ("/embeddings/index.json", True),
    ("/model/kokoro.onnx", False),
    ("/index.html", False),  # below the 1 KiB threshold: not worth it
])
def test_gzip_where_it_helps(server, path, compressed):
    with httpx.stream("GET", server.url + path, headers={"Accept-Encoding": "gzip"}) as response:
        raw = response.read()  # httpx decodes; the header tells what went over the wire
        encoding = response.headers.get("content-encoding")
    assert (encoding == "gzip") is compressed
    assert raw == FILES[path.lstrip("/")]
    if compressed:
        wire = int(response.headers["content-length"])
        assert wire < len(raw) / 2
        assert gzip.decompress(gzip.compress(raw)) == raw


def test_range_requests_for_large_files(server):
    response = get(server, "/model/kokoro.onnx", Range="bytes=0-99")
    assert response.status_code == 206 and len(response.content) == 100


def test_missing_files_and_escapes_are_404(server):
    assert_envelope(get(server, "/nope.js"), 404, "not_found")
    assert_envelope(httpx.get(server.url + "/%2e%2e/%2e%2e/pyproject.toml"), 404)
    assert_envelope(get(server, "/v1/index.html"), 404, "not_found")  # API space never serves files


def test_files_are_read_only(server):
    assert_envelope(httpx.post(server.url + "/index.html", json={}), 405)


def test_cors_for_configured_origins(server):
    preflight = httpx.options(server.url + "/v1/audio/speech", headers={
        "Origin": "http://app.example:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://app.example:3000"
    allowed = httpx.post(server.url + "/v1/audio/speech", json={"input": ""},
                         headers={"Origin": "http://app.example:3000"})
    assert_envelope(allowed, 400, "empty_input")  # past the origin check, stopped by validation
    assert allowed.headers["access-control-allow-origin"] == "http://app.example:3000"
    other = httpx.post(server.url + "/v1/audio/speech", json={"input": ""}, headers={"Origin": "http://other.example"})
    assert_envelope(other, 403, "origin_not_allowed")


def test_no_cors_by_default(engine, tmp_path):
    with koe_server(engine, web_dir=str(tmp_path / "absent")) as bare:
        preflight = httpx.options(bare.url + "/v1/audio/speech", headers={
            "Origin": "http://app.example:3000", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers
        # No web folder: the API still works, / is a 404 envelope.
        assert_envelope(httpx.get(bare.url + "/"), 404, "not_found")
        assert httpx.get(bare.url + "/v1/models").status_code == 200
