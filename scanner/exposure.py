"""Whether a key file can be read by users other than its owner.

A private key in its usual place (`~/.ssh/id_ed25519`) is informational, unless
the file's mode lets group or others read it: then the key is exposed on that
machine. The sweep raises such findings and counts them in its report, and the
text report marks them. All of them ask this module, from the file mode the
source recorded, never by looking for words in a finding's message.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from enum import StrEnum

from scanner.model import Finding, RuleKind

KEY_KINDS = (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE)


class Readers(StrEnum):
    """Who besides the owner may read the file."""

    GROUP = "group"
    OTHERS = "group and others"


@dataclass(frozen=True)
class Exposure:
    """A key file readable beyond its owner."""

    mode: int
    readers: Readers

    @property
    def note(self) -> str:
        """The sentence a finding's message carries."""
        return f"readable by other users: the file is readable by {self.readers} (mode {oct(self.mode)})"


def file_exposure(mode_text: str | None) -> Exposure | None:
    """The exposure a recorded file mode (octal text, `0o644`) means, if any."""
    mode = _mode(mode_text)
    if mode is None or not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return Exposure(mode, Readers.OTHERS if mode & stat.S_IROTH else Readers.GROUP)


def exposure(finding: Finding) -> Exposure | None:
    """A key finding's exposure (other kinds of finding have none)."""
    if finding.kind not in KEY_KINDS:
        return None
    return file_exposure(finding.origin.file_mode)


def _mode(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text, 8)
    except ValueError:
        return None
