"""Work done once: a release clears the state its test finds set."""

from __future__ import annotations

import libcst as cst
import pytest

from reviewer.semantics.once import is_lazy_initialisation, is_release


def _if(code: str) -> cst.If:
    statement = cst.parse_module(code).body[0]
    assert isinstance(statement, cst.If)
    return statement


@pytest.mark.parametrize(("code", "expected"), [
    ("if self._dir:\n    rmtree(self._dir)\n    self._dir = None\n", True),
    ("if self._dir is not None:\n    rmtree(self._dir)\n    self._dir = ''\n", True),
    ("if _client:\n    _client.close()\n    _client = None\n", True),
    # the state stays set: every call releases it again
    ("if self._dir:\n    rmtree(self._dir)\n", False),
    ("if self._dir:\n    rmtree(self._dir)\n    self._other = None\n", False),
    # a local is no state that outlives the call
    ("if workdir:\n    rmtree(workdir)\n    workdir = None\n", False),
    ("if self._dir is None:\n    self._dir = None\n", False),
])
def test_a_release_clears_what_its_test_finds_set(code: str, expected: bool) -> None:
    assert is_release(_if(code), {"_client"}, "self") is expected


@pytest.mark.parametrize(("code", "aliases", "expected"), [
    ("if self._service is None:\n    self._service = build()\n", {}, True),
    # a local that holds the attribute, tested and stored back
    ("if service is None:\n    service = build()\n    self._service = service\n", {"service": "self._service"}, True),
    # a local that holds it, never stored back: built on every call
    ("if service is None:\n    service = build()\n", {"service": "self._service"}, False),
    ("if service is None:\n    self._service = build()\n", {}, False),
])
def test_lazy_initialisation_through_a_local_that_holds_the_state(code: str, aliases: dict, expected: bool) -> None:
    assert is_lazy_initialisation(_if(code), (), "self", aliases) is expected
