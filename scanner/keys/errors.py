"""The exceptions a parser may meet on damaged or hostile key material.

`cryptography` signals bad input with ValueError, TypeError and
UnsupportedAlgorithm, but also InternalError (an OpenSSL error it did not
map) and NotImplementedError (e.g. a compressed SSH EC point); our own small
parsers add IndexError, KeyError, OverflowError and struct.error.
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InternalError, UnsupportedAlgorithm

PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    NotImplementedError,
    struct.error,
    UnsupportedAlgorithm,
    InternalError,
)
