"""koe.safe_json: the bounded JSON reader for request bodies, upstream answers and voice files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koe.errors import KoeError
from koe.safe_json import InvalidJSONError, loads, nesting_exceeds


@pytest.mark.parametrize("text, fragment", [
    ("[" * 30000 + "]" * 30000, "more than 64 levels"),
    ("[" * 1000 + "]" * 1000, "more than 64 levels"),
    ('{"a":' * 65 + "1" + "}" * 65, "more than 64 levels"),
    ("[" * 100000, "more than 64 levels"),  # unclosed: still refused by depth, before the decoder recurses
    ('{"speed": 1' + "0" * 400 + "}", "number of 401 characters"),
    ('{"speed": 1' + "0" * 400 + ".5}", "number of 403 characters"),
    ('{"speed": ' + "9" * 4096 + "}", "number of 4096 characters"),
    ('{"speed": 1e999}', "too large to represent"),
    ('{"speed": -1e400}', "too large to represent"),
    ('{"speed": NaN}', "NaN, which is not a JSON value"),
    ('[Infinity]', "Infinity, which is not a JSON value"),
    ('{"input": "a\\ud800b"}', "lone UTF-16 surrogate (\\ud800)"),
    ('{"\\udfff": 1}', "lone UTF-16 surrogate (\\udfff)"),
    ('{"input": "Hi.",', "is not valid JSON"),
    ('["' + '\\"' * 50000, "Unterminated string"),
])
def test_refusals_say_why(text, fragment):
    with pytest.raises(InvalidJSONError) as caught:
        loads(text, what="The request body")
    assert caught.value.message.startswith("The request body ")
    assert fragment in caught.value.message
    assert isinstance(caught.value, KoeError) and caught.value.code == "invalid_json"


def test_bytes_size_and_encoding():
    with pytest.raises(InvalidJSONError, match="larger than 10 bytes"):
        loads(b'{"input": "0123456789"}', max_bytes=10, what="Voice file a.json")
    with pytest.raises(InvalidJSONError, match="not UTF-8"):
        loads(b'{"input": "\xff"}')
    assert loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}  # a BOM is tolerated


def test_limits_are_inclusive_and_configurable():
    assert loads("[" * 64 + "]" * 64) == json.loads("[" * 64 + "]" * 64)
    assert loads("[" * 3 + "]" * 3, max_depth=3)
    with pytest.raises(InvalidJSONError):
        loads("[" * 4 + "]" * 4, max_depth=3)
    assert loads("1" * 64) == int("1" * 64)
    assert loads('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}  # a surrogate pair is one character


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"input": "[" * 5000 + "{" * 5000 + '"\\'})
    assert not nesting_exceeds(text, 2)
    assert loads(text)["input"].startswith("[[[")


def test_depth_scan_is_linear():
    """Shapes that defeat shortcuts: bushy trees (collapsed by the leaf passes), deep chains beside them."""
    bushy = "[" + ",".join(["[[[[[[[[[[]]]]]]]]]]"] * 20000) + "]"
    assert not nesting_exceeds(bushy, 64)
    assert loads(bushy)[0][0][0][0][0][0][0][0][0][0] == []
    assert nesting_exceeds("[" * 60 + ",".join(["[[[[[]]]]]"] * 1000) + "]" * 60, 64)
    for depth in range(1, 12):
        nested = "[" * depth + "]" * depth
        assert nesting_exceeds(nested, depth - 1) and not nesting_exceeds(nested, depth)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**18, 10**18) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_agrees_with_json_on_ordinary_documents(value):
    text = json.dumps(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # hypothesis text may hold lone surrogates: those are refused
        with pytest.raises(InvalidJSONError):
            loads(text)
        return
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='[]{}",:0123456789.eE-+ \\truefalsn', max_size=300))
def test_any_text_decodes_or_is_refused_cleanly(text):
    try:
        loads(text)
    except InvalidJSONError:
        pass


def depth_of(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.integers() | st.text(alphabet="[]{}\"ab", max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                    max_leaves=40), st.integers(0, 14))
def test_depth_scan_matches_the_real_depth(value, limit):
    assert nesting_exceeds(json.dumps(value), limit) == (depth_of(value) > limit)
