"""libcst, imported on its first use: `from reviewer import lazy_cst as cst`, then `cst.Call`.

Importing libcst takes 0.14 s, more than a warm review's whole repository pass. A run whose files
all come from the cache parses nothing, yet it loads the rules for their repository pass, so the
engine and the built-in rules reach libcst through this module, and libcst is imported by the
first name read from it (in a worker, when it parses). Each name is then kept here, so later reads
cost what a read of libcst's own module does. Modules that use it must not read names from it
at import time (a module-level `cst.Call`); a test checks that a warm run never imports libcst.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    import libcst

    value = getattr(libcst, name)
    globals()[name] = value
    return value
