"""The Python detector's cheaper ways of finding what it found before, each held
equal to the plain way it replaced (kept here as the reference) on real and
generated texts: where a file's prefix is cut (`python_windows.cut_prefix`),
the verdicts on values kept (`credential_names.is_plausible_secret`), the
prefilter's branches asked in another order (`python_prefilter.hit_lines`), a
file's lines indexed only as far as they are needed (`python_windows.LineIndex`)."""

from __future__ import annotations

import ast
import random
import re
import sysconfig
import warnings
from pathlib import Path

import pytest

from scanner.detectors import credential_names, python_chunks, python_prefilter
from scanner.detectors.credential_names import Category, is_plausible_secret
from scanner.detectors.python_windows import LineIndex, cut_prefix

_MARKS = ("\ndef ", "\nclass ", "\nasync def ", "\n@")


def _cut_by_split(text: str, line: int) -> str | None:
    """`cut_prefix` as it was: the text split into lines up to `line`, then each
    mark looked for after it."""
    if "\r" in text:
        return None
    parts = text.split("\n", line)
    if len(parts) <= line:
        return None
    start = len(text) - len(parts[-1])
    found = [at for at in (text.find(mark, start - 1) for mark in _MARKS) if at >= 0]
    cut = min(found, default=-1) + 1
    if cut <= 0 or cut > len(text) - 4096:
        return None
    return text[:cut]


def _stdlib_texts(count: int, seed: int) -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(root.glob("*.py")) + sorted((root / "test").glob("test_*.py"))
    chosen = random.Random(seed).sample(paths, count)
    return [path.read_bytes().decode("utf-8", "surrogateescape") for path in chosen]


def _lines_to_try(text: str, rng: random.Random) -> list[int]:
    lines = text.count("\n") + 2
    every = range(lines + 1)
    return list(every) if lines <= 300 else sorted(rng.sample(every, 300))


@pytest.mark.parametrize("seed", range(3))
def test_cut_prefix_as_by_split_on_the_standard_library(seed: int) -> None:
    rng = random.Random(seed)
    cuts = 0
    for text in _stdlib_texts(40, seed):
        for line in _lines_to_try(text, rng):
            expected = _cut_by_split(text, line)
            assert cut_prefix(text, line) == expected, line
            cuts += expected is not None
    assert cuts > 1000  # the texts are cut, not only left whole


def _generated(rng: random.Random) -> str:
    """Lines with marks at column 0 and indented, blank lines, long bodies and
    text after the last mark shorter and longer than what must be left out."""
    heads = ["def f():", "class C:", "async def g():", "@deco", "x = 1", "", "# c", "  def h():"]
    body = ["    pass", "    y = 'def x'", "\tz = 2", "    " + "w" * rng.randint(0, 3000)]
    lines = [rng.choice(heads if rng.random() < 0.4 else body) for _ in range(rng.randint(0, 60))]
    text = "\n".join(lines)
    return text + "\n" * rng.randint(0, 2) + "q" * rng.choice([0, 10, 4095, 4096, 4097, 9000])


def test_cut_prefix_as_by_split_on_generated_texts() -> None:
    rng = random.Random(7)
    outcomes = set()
    for _ in range(600):
        text = _generated(rng)
        for line in range(text.count("\n") + 3):
            expected = _cut_by_split(text, line)
            assert cut_prefix(text, line) == expected, (text, line)
            outcomes.add(expected is None)
    assert outcomes == {True, False}


def test_cut_prefix_at_the_edges() -> None:
    tail = "x = 1\n" * 800  # more than is ever left out
    text = "a = 1\n\ndef f():\n    pass\n" + tail + "def g():\n    pass\n" + tail
    assert cut_prefix(text, 1) == "a = 1\n\n"  # the first mark after line 1
    assert cut_prefix(text, 3) == text[: text.index("def g")]  # after the mark's own line
    assert cut_prefix(text, 0) is None
    assert cut_prefix(text.replace("\n", "\r\n"), 1) is None
    assert cut_prefix(text, text.count("\n") + 1) is None  # past the end
    near_end = "a = 1\n" + "def f():\n    pass\n" + "b = 2\n" * 10
    assert cut_prefix(near_end, 1) is None  # too little left out


def test_cut_prefix_leaves_out_at_least_4096_characters() -> None:
    for left in (4095, 4096, 4097):
        text = "a = 1\n" + "def f():\n" + "x" * (left - len("def f():\n"))
        expected = _cut_by_split(text, 1)
        assert cut_prefix(text, 1) == expected
        assert (expected is None) == (left < 4096)


def _literals(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old escapes in the library
            tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
    return found


def test_kept_verdicts_are_each_categorys_own() -> None:
    credential_names._kept_verdict.cache_clear()
    values = _literals(_stdlib_texts(30, 11))
    values += ["Kq7%a1b2", "Kq7%a1b2c3d4", "changeme", "x" * 300 + "Kq7%", "Bearer Kq7%a1b2c3d4"]
    verdicts = set()
    for _ in range(2):  # asked again: answered from what was kept
        for value in values:
            for category in Category:
                expected = credential_names._plausible(value, category)
                assert is_plausible_secret(value, category) is expected, (value, category)
                verdicts.add((category, expected))
    assert len(verdicts) == 2 * len(Category)  # each category says yes and no
    assert credential_names._kept_verdict.cache_info().hits > 0
    # eight characters are enough for a secret, not for a token: the category is part of the key
    assert is_plausible_secret("Kq7%a1b2", Category.SECRET)
    assert not is_plausible_secret("Kq7%a1b2", Category.TOKEN)


def _hit_lines_in_order(data: bytes) -> list[int]:
    """`hit_lines` with the branches asked as they were: PEM, login, signing, name."""
    p = python_prefilter
    lines: list[int] = []
    for found in p.prefilter().finditer(data):
        if found.start(p._PEM_GROUP) >= 0:
            keep = data[found.end() : found.end() + 2].lstrip(b"\r")[:1] != b"\n"
        elif found.start(p._LOGIN_GROUP) >= 0:
            keep = p._plausible_at(data, found.start(p._LOGIN_GROUP), Category.PASSWORD)
        elif found.start(p._SIGNING_GROUP) >= 0:
            keep = p._plausible_at(data, found.start(p._SIGNING_GROUP), Category.SECRET_KEY)
        else:
            name = found.start(p._NAME_GROUP)
            keep = name < 0 or p._names_a_credential(data, found, name)
        if keep:
            before = data[: found.start()]
            lines.append(before.count(b"\n") + 1)
            lines.append(data[: found.end()].count(b"\n") + 1)
    return lines


def _credential_lines(rng: random.Random) -> str:
    value = "".join(rng.choice("abcdefXYZ0123456789%#") for _ in range(rng.randint(4, 16)))
    shapes = [
        'password = "{v}"',
        "API_KEY = '{v}'  # c",
        'cfg["secret_key"] = "{v}"',
        'token_type = "{v}"',
        'auth=("user", "{v}")',
        'jwt.encode(payload, "{v}", algorithm="HS256")',
        'hmac.new(b"{v}", msg)',
        'client.login("bob", "{v}")',
        'HTTPBasicAuth("bob", "changeme")',
        'db.connect(host="h", password="{v}")',
        "KEY = '-----BEGIN RSA PRIVATE KEY-----\\n{v}'",
        "-----BEGIN RSA PRIVATE KEY-----",
        'f(password="{v}",\n  token=\\\n  "{v}")',
        "x = 1",
    ]
    return "\n".join(rng.choice(shapes).format(v=value) for _ in range(rng.randint(1, 12)))


def test_hit_lines_as_with_the_branches_in_their_first_order() -> None:
    rng = random.Random(3)
    texts = [_credential_lines(rng) for _ in range(1500)] + _stdlib_texts(20, 5)
    hits = 0
    for text in texts:
        data = text.encode("utf-8", "surrogateescape")
        assert python_prefilter.hit_lines(data) == _hit_lines_in_order(data), text
        hits += bool(python_prefilter.hit_lines(data))
    assert hits > 1000


def _index_facts(index: LineIndex, asked: list[int]) -> list[object]:
    lines = index.lines
    facts: list[object] = [len(lines)]
    for line in asked:
        facts.append(lines[line - 1] if line <= len(lines) else None)
        for column in (0, 3):
            offset = index.byte_offset(line, column)
            prefix = index.text[: index.char_offset(line, column)]
            assert offset == 2 + len(prefix.encode("utf-8")), (line, column)  # as encoded
            facts.append(offset)
        facts.append(lines[max(line - 3, 0) : line + 2])
    return facts


def test_lines_indexed_as_far_as_expected_are_the_whole_files() -> None:
    rng = random.Random(9)
    texts = [*_stdlib_texts(25, 13), "", "x", "x\n", "a\n\nb", "a\r\nb\rc\n", "é = 'ü'\n" * 9]
    for text in texts:
        count = text.count("\n") + 2
        for _ in range(6):
            asked = sorted(rng.randint(1, count) for _ in range(rng.randint(1, 4)))
            whole = LineIndex(text, "utf-8", 2)
            expected = _index_facts(whole, asked)
            for expect in (asked[-1], rng.randint(0, count), 1):  # as told, fewer, or more
                partial = LineIndex(text, "utf-8", 2)
                partial.expect(expect)
                assert _index_facts(partial, asked) == expected, (expect, asked)


def test_byte_offsets_count_the_files_own_encoding() -> None:
    text = "ab\ncd = 1\n"
    assert LineIndex(text, "utf-8").byte_offset(2, 1) == 4
    assert LineIndex(text, "utf-16-le").byte_offset(2, 1) == 8  # ASCII, two bytes a character
    assert LineIndex("é\ncd\n", "utf-8").byte_offset(2, 1) == 4
    assert LineIndex("é\ncd\n", "latin-1").byte_offset(2, 1) == 3


def _pieces_by_slices(part: str, cut: re.Pattern[str]) -> list[str]:
    """`python_chunks._pieces` as it was: the line before each cut sliced out and stripped."""
    pieces, start = [], 0
    for found in cut.finditer(part):
        at = found.start() + 1
        if part[part.rfind("\n", 0, at - 1) + 1 : at].lstrip(" \t")[:1] in ("@", ")", "]", "}"):
            continue
        pieces.append(part[start:at])
        start = at
    return [*pieces, part[start:]]


def test_pieces_as_by_slices() -> None:
    rng = random.Random(17)
    texts = _stdlib_texts(40, 19)
    texts += [
        "@a\ndef f(): pass\n",
        "x = (\n  1\n)\ndef f(): pass\n",
        "  ]\n@d\n\t}\nclass C: pass\n",
    ]
    texts += [
        _generated(rng) + "\n" + rng.choice(["  )", "@x", " ]", "\t}", "  ", ""])
        for _ in range(300)
    ]
    inner = re.compile("\n" + re.escape("    ") + python_chunks._MARKS)
    kept = 0
    for text in texts:
        for cut in (python_chunks._CUT, inner):
            expected = _pieces_by_slices(text, cut)
            assert list(python_chunks._pieces(text, cut)) == expected
            kept += len(expected) < len(list(cut.finditer(text))) + 1
    assert kept > 10  # some definitions stay with the line before them
