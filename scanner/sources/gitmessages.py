"""Commit messages and annotated tag messages as items.

A token pasted into `git commit -m` or `git tag -a -m` lives in history as
surely as one in a file, yet no blob holds it. Each commit's message comes from
the same `git log` that lists its changes (`gitlog.LOG_FORMAT`); the log's
messages are held until the blobs are read, up to `gitlog.MESSAGES_MAX_BYTES`
in all; the messages of the commits past that bound are read from their objects
after the log, through one `cat-file --batch` that skips an object over the
bound unread. A message over `gitlog.MESSAGE_MAX_BYTES` is unscanned content,
never held (the log's field is cut there: `gitlog.tokens`). Tag messages are
read the same way, from the tag objects the refs point at (and, with
`--all-objects`, the dangling ones), tags of tags included up to `TAG_DEPTH`
(what a deeper chain holds is unscanned content).

git log prints a message only up to a NUL, and a NUL in a commit's headers can
make it print later header lines as the message, or nothing. So every other
commit object is looked through once more for a NUL, through one more
`cat-file` (`_cut_at_nul`, `gitnul`); a commit holding one is scanned whole,
headers and message, from its object. A message is scanned as its object
stores it (`gitlog.LOG_FORMAT` says how re-encoding is kept out), and NULs in
one read from its object are spaces: a message is text, never a binary skip.

A message's place is a pseudo path that no file can have and that names the
object (`<commit message ID>`, `<tag message ID>`), so each place has its own
stable finding id; its context is production (a message is no test code).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from scanner.model import Item, Origin, ScanWarning, SourceKind
from scanner.sources.gitlog import MESSAGE_MAX_BYTES, Commit, Inventory
from scanner.unscanned import Unscanned

if TYPE_CHECKING:
    from scanner.sources.git import Blob

COMMIT_PLACE = "<commit message {}>"
TAG_PLACE = "<tag message {}>"
OBJECT_MAX_BYTES = MESSAGE_MAX_BYTES + (64 << 10)
"""A commit or tag object read for its message: the message's bound and room
for its headers (a signature takes a few KiB)."""
TAG_DEPTH = 8
"""Tags of tags followed this deep, at most."""

Reader = Callable[[Sequence[str], int], Iterable["Blob"]]
"""`git.read_blobs` on a repository: each id's object, in order, or its problem."""
Holding = Callable[[Sequence[str]], Iterable[tuple[str, str | None]]]
"""`gitnul.holding_nul` on a repository: the ids whose object holds a NUL (with
None), or that git could not give (with the problem)."""
Event = Item | ScanWarning


def planned(inventory: Inventory) -> int:
    """How many message items `events` hands out: at most this many, and one
    more for each commit the log gave no message for that holds a NUL."""
    held, unread = len(inventory.messages), len(inventory.unread_messages)
    return held + unread + len(inventory.overlong_messages) + len(inventory.tags)


def events(
    inventory: Inventory, kind: SourceKind, read: Reader, holding: Holding
) -> Iterator[Event]:
    """Every message `inventory` names, as items (the log's held ones first:
    the inventory lets go of them), or as unscanned content."""
    commits = inventory.commits
    cut, unchecked = _cut_at_nul(inventory, holding)
    inventory.unread_messages.extend(sorted(cut))
    held, inventory.messages = inventory.messages, []
    for index, text in held:
        if index not in cut:
            yield Item(commit_origin(commits[index], kind), text, None, len(text))
    del held
    yield from unchecked
    for index in inventory.overlong_messages:
        origin = commit_origin(commits[index], kind)
        yield Unscanned(origin.path, _too_long("commit", origin.commit or ""))
    yield from _reread(inventory, kind, read)
    yield from tag_events(inventory.tags, kind, read)


def commit_origin(commit: Commit, kind: SourceKind) -> Origin:
    return Origin(
        COMMIT_PLACE.format(commit.sha), kind, None, commit.sha, commit.author, commit.date
    )


def _cut_at_nul(inventory: Inventory, holding: Holding) -> tuple[set[int], list[Event]]:
    """The commits whose message the log may have cut short: git prints `%B`
    only up to a NUL, and a NUL in the headers can make it print later header
    lines as the message, or nothing. Every commit object whose message came
    from the log (or came empty) is looked through once for a NUL (`holding`);
    those holding one are read again, whole (`_reread`). A commit whose object
    cannot be read to tell is unscanned content."""
    other = {*inventory.unread_messages, *inventory.overlong_messages}
    todo = {c.sha: n for n, c in enumerate(inventory.commits) if n not in other}
    cut: set[int] = set()
    unchecked: list[Event] = []
    for sha, problem in holding(list(todo)):
        if problem is None:
            cut.add(todo[sha])
        else:
            why = f"not checked for a NUL that would hide its end: {problem}"
            unchecked.append(Unscanned(COMMIT_PLACE.format(sha), f"commit message {why}"))
    return cut, unchecked


def _reread(inventory: Inventory, kind: SourceKind, read: Reader) -> Iterator[Event]:
    """The messages the log did not give whole (past the bound held, in another
    encoding, holding a NUL), each read from its commit object."""
    commits = [inventory.commits[index] for index in inventory.unread_messages]
    by_sha = {commit.sha: commit for commit in commits}
    for blob in read(list(by_sha), OBJECT_MAX_BYTES):
        origin = commit_origin(by_sha[blob.sha], kind)
        yield _message_item(origin, blob, "commit", _commit_text)


def _commit_text(data: bytes) -> bytes:
    """What of a commit object is scanned: its message, or the whole object when
    it holds a NUL (what git log showed of it may have come from its headers)."""
    return data if b"\0" in data else message_of(data)


def _message_item(
    origin: Origin, blob: Blob, what: str, text_of: Callable[[bytes], bytes] | None = None
) -> Event:
    """The message of an object read whole (`text_of` its bytes: by default the
    message), or why it is unscanned content."""
    if blob.problem is not None or blob.data is None:
        return Unscanned(
            origin.path, f"{what} message not scanned: {blob.problem} ({what} {blob.sha})"
        )
    text = (text_of or message_of)(blob.data)
    if len(text) > MESSAGE_MAX_BYTES:
        return Unscanned(origin.path, _too_long(what, blob.sha))
    text = text.replace(b"\x00", b" ")  # a message is text: NULs never make it a binary skip
    return Item(origin, text, None, len(text))


def _too_long(what: str, sha: str) -> str:
    why = f"over the size limit of {MESSAGE_MAX_BYTES} bytes"
    return f"{what} message not scanned: {why} ({what} {sha})"


def message_of(data: bytes) -> bytes:
    """An object's message: what follows its headers' blank line."""
    return data.partition(b"\n\n")[2]


def headers_of(data: bytes) -> dict[bytes, bytes]:
    """An object's single-line headers (the first of each name)."""
    found: dict[bytes, bytes] = {}
    for line in data.partition(b"\n\n")[0].split(b"\n"):
        name, _, value = line.partition(b" ")
        found.setdefault(name, value)
    return found


def tag_events(tags: Sequence[str], kind: SourceKind, read: Reader) -> Iterator[Event]:
    """The messages of annotated tags, and of the tags they point at."""
    todo, seen = list(dict.fromkeys(tags)), set[str]()
    for _ in range(TAG_DEPTH):
        if not todo:
            return
        seen.update(todo)
        inner: list[str] = []
        for blob in read(todo, OBJECT_MAX_BYTES):
            yield from _tag(blob, kind, inner)
        todo = [sha for sha in dict.fromkeys(inner) if sha not in seen]
    for sha in todo:  # a chain deeper than the bound: what is left was not read
        why = f"a tag of a tag more than {TAG_DEPTH} deep"
        yield Unscanned(TAG_PLACE.format(sha), f"tag message not scanned: {why} (tag {sha})")


def _tag(blob: Blob, kind: SourceKind, inner: list[str]) -> Iterator[Event]:
    """One tag's message (if it has one), noting the tag it points at, if any."""
    data = blob.data or b""
    head = headers_of(data)
    if head.get(b"type") == b"tag":
        inner.append(head.get(b"object", b"").decode("ascii", "replace"))
    author, date = _tagger(head.get(b"tagger", b""))
    origin = Origin(TAG_PLACE.format(blob.sha), kind, None, None, author, date)
    if blob.problem is not None or message_of(data):
        yield _message_item(origin, blob, "tag")


def _tagger(value: bytes) -> tuple[str | None, str | None]:
    """(name <email>, ISO date) of a `tagger` header: `Name <email> 1700000000 +0100`."""
    who, _, when = value.decode("utf-8", "replace").rpartition("> ")
    if not who:
        return None, None
    return who + ">", _iso_date(when)


def _iso_date(when: str) -> str | None:
    """`1700000000 +0100` as git's `%aI` shows it; None when it is not such a date."""
    seconds, _, zone = when.partition(" ")
    try:
        sign = -1 if zone.startswith("-") else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        moment = datetime.fromtimestamp(int(seconds), UTC).astimezone(timezone(offset))
    except (ValueError, OverflowError, OSError):
        return None
    return moment.isoformat()
