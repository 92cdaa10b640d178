"""Server settings (flags > KOE_* environment > TOML file > defaults) and the ``serve`` entry points."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from koe.server.config import ConfigError, ServerConfig, load_config
from koe.server.serve import serve_main

from server_fixtures import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_local_and_closed():
    config = load_config({}, environ={})
    assert (config.host, config.port) == ("127.0.0.1", 8000)
    assert config.cors_origins == [] and not config.llm_configured
    assert config.max_concurrency == 1 and config.max_queue == 8


def test_flag_beats_environment_beats_file(tmp_path):
    path = tmp_path / "koe.toml"
    path.write_text('port = 7000\nthreads = 3\nmax-queue = 2\n[server]\nhost = "0.0.0.0"\n'
                    'cors_origins = ["http://a.example", "http://b.example:8080/"]\n'
                    '[server.llm_api_headers]\n"HTTP-Referer" = "https://koe.example"\n')
    environ = {"KOE_PORT": "7500", "KOE_THREADS": "4", "KOE_LLM_API_URL": "https://api.example.com/v1/"}
    config = load_config({"port": "9000", "config": str(path)}, environ=environ)
    assert config.port == 9000  # flag
    assert config.threads == 4  # environment
    assert config.max_queue == 2 and config.host == "0.0.0.0"  # file
    assert config.cors_origins == ["http://a.example", "http://b.example:8080"]
    assert config.llm_api_url == "https://api.example.com/v1"
    assert config.llm_api_headers == {"HTTP-Referer": "https://koe.example"}


def test_config_file_from_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('max_concurrency = 2\n')
    assert load_config({}, environ={"KOE_CONFIG": str(path)}).max_concurrency == 2


def test_header_and_origin_formats():
    config = load_config({"llm_api_headers": '{"X-Title": "Koe"}', "cors_origins": "http://a.example, *"}, environ={})
    assert config.llm_api_headers == {"X-Title": "Koe"} and config.cors_origins == ["http://a.example", "*"]
    lines = load_config({}, environ={"KOE_LLM_API_HEADERS": "X-One: 1\nX-Two: two: parts"})
    assert lines.llm_api_headers == {"X-One": "1", "X-Two": "two: parts"}


def test_secrets_stay_out_of_repr():
    config = ServerConfig(llm_api_key="sk-secret", llm_api_headers={"X-Key": "hidden"})
    assert "sk-secret" not in repr(config) and "hidden" not in repr(config)


@pytest.mark.parametrize("flags, environ, source", [
    ({"port": "eighty"}, {}, "--port"),
    ({}, {"KOE_PORT": "70000"}, "$KOE_PORT"),
    ({}, {"KOE_MAX_CONCURRENCY": "0"}, "$KOE_MAX_CONCURRENCY"),
    ({"cors_origins": "app.example"}, {}, "--cors-origins"),
    ({"llm_api_url": "ftp://x"}, {}, "--llm-api-url"),
    ({"llm_api_headers": "no colon here"}, {}, "--llm-api-headers"),
    ({"log_level": "loud"}, {}, "--log-level"),
])
def test_bad_values_name_their_source(flags, environ, source):
    with pytest.raises(ConfigError, match=re.escape(source)):
        load_config(flags, environ=environ)


def test_bad_config_files(tmp_path):
    typo = tmp_path / "typo.toml"
    typo.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting.*prot"):
        load_config({"config": str(typo)}, environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config({"config": str(broken)}, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config({"config": str(tmp_path / "absent.toml")}, environ={})


@pytest.fixture
def restore_logging():
    """serve_main configures process-wide logging, as a server should; put it back afterwards."""
    import logging

    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("uvicorn.access").disabled)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.getLogger("uvicorn.access").disabled = saved[2]


def test_serve_main_reports_bad_options(capsys, tmp_path, restore_logging):
    assert serve_main(["--port", "x"]) == 2
    assert "--port" in capsys.readouterr().err
    assert serve_main(["--assets", str(tmp_path), "--port", str(free_port())]) == 1
    assert "build.sh" in capsys.readouterr().err


def test_python_dash_m_serves(assets_dir):
    """``python -m koe.server`` starts, says where it listens, serves, and stops cleanly on Ctrl+C."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "py_core"), "KOE_THREADS": "1", "KOE_ASSETS": str(assets_dir)}
    process = subprocess.Popen([sys.executable, "-m", "koe.server", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become healthy"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "model loaded" in output


# --- a damaged model stops `koe serve` before it listens (issue 12: #5) ---------------------------------------------

@pytest.mark.parametrize("truncate", [True, False], ids=["truncated", "one-byte-changed"])
def test_damaged_model_stops_the_start_naming_the_fix(tmp_path, assets_dir, capsys, restore_logging, truncate):
    from server_fixtures import damaged_assets

    damaged = damaged_assets(tmp_path, assets_dir, truncate=truncate)
    assert serve_main(["--assets", str(damaged), "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert "model/kokoro-v1.0.int8.onnx is damaged" in err and "run ./build.sh" in err, err
    assert "Traceback" not in err and "ONNXRuntimeError" not in err


def test_asset_check_cost(assets_dir):
    """The start-up check hashes every file the server reads; print what it costs (not asserted: shared CPUs)."""
    from koe.server.integrity import verify_assets

    report = verify_assets(str(assets_dir))
    assert report.ok and report.manifest and report.checked >= 60, report.problems
    print(f"\nasset check: {report.checked} files, {report.bytes / 1e6:.0f} MB in {report.seconds:.2f} s")


def test_forged_log_lines_are_one_escaped_line(assets_dir):
    """The access log and the application log escape CR, LF, NUL, ESC...: a request cannot add a log line."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "py_core"), "KOE_THREADS": "1", "KOE_ASSETS": str(assets_dir)}
    process = subprocess.Popen([sys.executable, "-m", "koe.server", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    forged = ("/v1/audio/voices/x%0A2026-11-28%2001:00:00,000%20ERROR%20[-]%20koe.server:%20FORGED%0D%00%1B[2J"
              "%E2%80%AE%C2%85")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become healthy"
            time.sleep(0.1)
        response = httpx.get(f"http://127.0.0.1:{port}{forged}", headers={"X-Request-ID": "forge-1"})
        assert response.status_code == 404
        httpx.post(f"http://127.0.0.1:{port}/v1/audio/speech", headers={"X-Request-ID": "forge-2"},
                   json={"input": "Hi.", "voice": "x\nERROR FORGED2\u0000"})
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert b"\x00" not in output and b"\x1b" not in output and b"\r" not in output
    text = output.decode("utf-8")
    assert "\u202e" not in text and "\u0085" not in text
    lines = text.splitlines()
    assert [line for line in lines if "FORGED" in line and "forge-1" in line] == \
        [line for line in lines if "FORGED" in line and "FORGED2" not in line], lines
    assert len([line for line in lines if "FORGED" in line and "FORGED2" not in line]) == 1, lines
    assert not [line for line in lines if line.startswith("2026-11-28 01:00:00")]
    assert all(line[:1].isdigit() or line.startswith("    ") for line in lines if line), lines
