"""Work done once: a release clears the state its test finds set."""

from __future__ import annotations

import libcst as cst
import pytest

from reviewer.semantics.once import is_release


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
