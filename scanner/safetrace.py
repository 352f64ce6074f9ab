"""Tracebacks that may be shown: each frame by file, line and function, and each
exception of the chain by its type and `errors.safe_reason`.

Python's own traceback prints every exception's message, and those of the
exceptions it was raised from or while handling. An exception raised on scanned
input quotes the input (`int()`, `UnicodeDecodeError`, a parser's complaint,
`KeyError` of a looked-up value), and that input is the secret. `--debug` is
there to find where keysweep failed, which the frames say; what it failed on
stays in the scanned file. Source lines and locals are never printed either.
"""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

from scanner.errors import safe_reason

_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def format_safe(exc: BaseException) -> str:
    """The traceback of `exc` and of the exceptions it was raised from or while
    handling, oldest first, without any message that could quote scanned input."""
    chain = _chain(exc)
    blocks: list[str] = []
    for earlier, later in zip([None, *chain], chain, strict=False):
        if earlier is not None:
            blocks.append(_CAUSE if later.__cause__ is earlier else _CONTEXT)
        blocks.append(_one(later))
    return "\n\n".join(blocks) + "\n"


def print_safe(exc: BaseException, file: TextIO | None = None) -> None:
    """`format_safe(exc)` on standard error (or `file`)."""
    (file or sys.stderr).write(format_safe(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions before it, oldest first, each once."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        cause = current.__cause__
        current = cause or (None if current.__suppress_context__ else current.__context__)
    return found[::-1]


def _one(exc: BaseException) -> str:
    lines = ["Traceback (most recent call last; frames only):"]
    for frame, line in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        lines.append(f'  File "{code.co_filename}", line {line}, in {code.co_qualname}')
    lines.append(_headline(exc))
    return "\n".join(lines)


def _headline(exc: BaseException) -> str:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    reason = safe_reason(exc)
    return name if reason == kind.__name__ else f"{name}: {reason}"
