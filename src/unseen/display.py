"""Text for a person's terminal: file names and tag values are written by strangers.

A name may hold bytes that are not UTF-8 (Python keeps them as lone surrogates, which a strict
UTF-8 stdout cannot print), terminal escapes (clear the screen, move the cursor), line breaks
(a forged "ok" line) or bidirectional overrides (text shown in another order). Every such
character is shown as a visible escape; everything else is left as it is.
"""
from __future__ import annotations

import unicodedata

from .i18n import gettext as _
from .i18n import localize

# control, format (bidi overrides, zero-width), surrogate (undecodable bytes), line/paragraph separators
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(text: object) -> str:
    """``text`` safe to print on one terminal line in any encoding that holds ASCII."""
    s = str(text)
    if s.isprintable() and s.isascii():
        return s
    return "".join(_escape(c) if unicodedata.category(c) in _HIDDEN else c for c in s)


def skipped_line(path: object, reason: str) -> str:
    """The line of a file a folder walk passed over (not a failure: the batch goes on as done),
    translated; ``shown`` before printing."""
    return _("skipped {path}: {reason}").format(path=path, reason=localize(reason))
