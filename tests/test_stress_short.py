"""Short versions of the stress suite (benchmarks/stress/): the same scripts, fewer cases.

Fuzzing (a few hundred schema-driven requests, the hostile texts, raw-HTTP
garbage), a 10-second load, each fault and a few memory cycles, against real
servers on loopback. The full versions run on demand (see
benchmarks/stress/README.md); their figures only mean something on an idle
machine, so nothing here is timed.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from server_fixtures import koe_server

STRESS = Path(__file__).resolve().parent.parent / "benchmarks" / "stress"


def script(name: str):
    """Import a stress script (benchmarks/stress is not a package) by file path."""
    if str(STRESS) not in sys.path:
        sys.path.insert(0, str(STRESS))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, STRESS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server(engine, tmp_path_factory):
    with koe_server(engine, threads=1, max_concurrency=1, max_queue=4,
                    voices_dir=str(tmp_path_factory.mktemp("stress-voices"))) as running:
        yield running


def in_process(server):
    """A stress ``Server`` for an in-process one: memory is the test process's (reported, never asserted)."""
    common = script("common")
    return common.Server(server.url, os.getpid())


def test_schema_fuzz(server):
    findings = script("fuzz_schema").run(server.url, cases=300, seed=12)
    print("\n" + findings.summary())
    assert findings.cases == 300 and not findings.failures and findings.unexpected_5xx == 0


def test_text_fuzz(server):
    findings = script("fuzz_text").run(server.url, random_cases=4, seed=12, quick=True)
    print("\n" + findings.summary())
    assert not [f for f in findings.failures if "silent" not in f], findings.failures
    assert findings.unexpected_5xx == 0


def test_raw_http_garbage(server):
    findings = script("raw_http").run(server.url, random_cases=60, seed=12)
    print("\n" + findings.summary())
    assert not findings.failures and findings.unexpected_5xx == 0


def test_short_load(server):
    # Requests still running at the end may finish (drain): whatever the machine, some complete.
    report = script("load").run(in_process(server), clients=8, seconds_=10, settle=0, fmt="mp3", drain=300)
    print("\n" + report.summary())
    assert not report.failures
    assert report.peak_steps is not None and report.peak_steps <= report.limit
    assert any(r.status == 200 for r in report.results)


def test_llm_upstream_faults(engine):
    outcomes = script("faults").llm_faults(functools.partial(koe_server, engine))
    print("\n" + "\n".join(o.line() for o in outcomes))
    assert all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]


def test_damaged_assets_stop_the_start(assets_dir):
    outcomes = script("faults").damaged_faults(assets_dir)
    print("\n" + "\n".join(o.line() for o in outcomes))
    assert len(outcomes) == 3 and all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]


def test_hostile_voice_files(assets_dir):
    faults = script("faults")  # a server process of its own: the shared engine's voice bank stays untouched
    outcomes = faults.voice_file_faults(faults.process_factory)
    print("\n" + "\n".join(o.line() for o in outcomes))
    assert all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]


def test_unwritable_voices_folder(engine):
    outcomes = script("faults").unwritable_faults(functools.partial(koe_server, engine))
    print("\n" + "\n".join(o.line() for o in outcomes))
    assert all(o.ok for o in outcomes), [o.line() for o in outcomes if not o.ok]


def test_memory_cycles(server):
    report = script("memory_cycle").run(in_process(server), cycles=2, budget=0.5)
    print("\n" + report.summary())
    assert report.cycles == 2 and not report.failures
