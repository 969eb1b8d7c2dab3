"""Text from the reviewed repository, made safe to print for a person.

File names, messages (which quote code) and configuration keys come from the repository under
review, so a terminal or a CI log must not interpret any of their characters: an escape sequence
would recolour, retitle or hyperlink the terminal (OSC 8), a line break would start a line of the
attacker's choosing (on GitHub Actions, a `::error::` workflow command), and a bidirectional
override would make the line read as something else. `printable` spells every such character as
an escape (`\\x1b`, `\\n`, `\\u202e`); everything else passes unchanged.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (line breaks and escapes among them), the Unicode line and paragraph
# separators, and the bidirectional formatting characters.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, line-breaking and reordering character escaped."""
    return _UNPRINTABLE.sub(_escape, text)
