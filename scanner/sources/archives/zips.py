"""Zip members (jar, war, apk, docx …): encrypted members are reported, never guessed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from scanner.sources.archives.budget import DAMAGE, Budget, MemberEvent, admit, damaged, read
from scanner.sources.archives.names import safe_name
from scanner.unscanned import Unscanned

_MEMBER_DAMAGE = (zipfile.BadZipFile, NotImplementedError, RuntimeError, *DAMAGE)


def members(data: bytes, budget: Budget, where: str) -> Iterator[MemberEvent]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, *DAMAGE) as exc:
        yield damaged(where, "zip archive", exc)
        return
    for info in infos:
        if not info.is_dir():
            yield from _member(archive, info, budget, where)
        if budget.stopped:
            return


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, where: str
) -> Iterator[MemberEvent]:
    name = safe_name(info.filename)
    encrypted = bool(info.flag_bits & 0x1)
    refused = admit(budget, where, name, 0 if encrypted else info.file_size)
    if refused is not None:
        yield refused
    elif encrypted:
        yield Unscanned(f"{where}!{name}", "encrypted archive member; not opened")
    else:
        try:
            with archive.open(info) as stream:
                got = read(stream, budget.limit_for(name), budget, where, name)
        except _MEMBER_DAMAGE as exc:
            yield damaged(f"{where}!{name}", "archive member", exc)
            return
        yield (name, got) if isinstance(got, bytes) else got
