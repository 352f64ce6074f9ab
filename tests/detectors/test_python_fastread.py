"""The `ast` fast path (`python_fastread`) gives exactly what the libcst reader
gives, or declines.

Windows are generated from the credential vocabulary, literal forms, binding
forms and layouts (seeded, so a failure names a reproducible case), and taken from
the detector's own sample inputs; each must be declined (None) or give the very
facts `python_cst.libcst_window` gives. The fast path must also really answer
the common shapes, so that declining everything could not pass.
"""

from __future__ import annotations

import os
import random
import textwrap
import time
from pathlib import Path

import pytest
from python_reading import found_and_libcst

from scanner.config import Config
from scanner.detectors import python_cst
from scanner.detectors.python_cst import (
    PythonDetector,
    Spot,
    WindowError,
    WindowFacts,
    libcst_window,
    read_window,
)
from scanner.detectors.python_fastread import fast_spots
from scanner.model import Origin

CASES = int(os.environ.get("KEYSWEEP_FASTREAD_CASES", "3000"))
"""Generated windows per run (set the variable higher for a long differential run)."""

NAMES = [
    "password", "passwd", "DB_PASSWORD", "db_pwd", "SECRET_KEY", "api_key", "apiKey",
    "auth_token", "client_secret", "jwt_secret", "token", "secret", "hmac_key",
    "private_key", "session_key", "access_token", "X-Api-Key", "aws_secret_access_key",
    "username", "email", "password_field", "is_password", "token_url", "key", "user_pass",
]  # fmt: skip
VALUES = [
    "Xk9#mQ2vLp", "tkn_8Hq2ZpLw0XyV3mRt", "nopasswd", "password1", "changeme", "",
    "françois-9Xq", "пароль-Xk9#2", "dbname=app user=bob password=Xk9mQ2vLp",
    "DRIVER={x};UID=bob;PWD=Xk9mQ2vLp;", "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "q8Wz3kLp0Xv2Nc7R", "a'b\"c-Xk9#mQ2", "tab\there-Xk9#", "MY_SECRET_NAME", "-----BEGIN",
]  # fmt: skip
LITERALS = [
    '"{v}"', "'{v}'", 'r"{v}"', 'u"{v}"', 'b"{v}"', 'rb"{v}"', 'Br"{v}"', '"""{v}"""',
    "'''{v}'''", '("{v}")', '(("{v}"))', '"{a}" "{b}"', "'{a}' \"{b}\"", '("{a}"\n    "{b}")',
    '(\n    "{a}"  # part\n    "{b}"\n)', '"{a}" \\\n    "{b}"', 'b"{a}" b"{b}"', 'f"{v}"',
    '"{a}" + "{b}"', '"{v}".encode()', '"".join(["{a}", "{b}"])', 'b"{a}" "{b}"',
    '"{a}\\x41\\u00e9{b}"', '"{a}\\\n{b}"', '"""{a}\n{b}"""', '"{v}"[::-1]', "None", "42",
]  # fmt: skip
BINDINGS = [
    "{n} = {L}", "{n}: str = {L}", "{n} += {L}", "{n} -= {L}", "self.{n} = {L}",
    'cfg["{n}"] = {L}', "cfg['{n}', 1] = {L}", "cfg[k] = {L}", "a = {n} = {L}",
    "{n} = other = {L}", "{n}, other = {L}, {M}", "other, {n} = x, {L}", "[{n}, b] = [{L}, c]",
    "*{n}, b = {L}, {M}", "f({n}={L})", "obj.method(x, {n}={L}, *args, **kw)",
    'x = {{"{n}": {L}, **extra}}', 'x = {{"user": u, "{n}": {L}, "{n}": {M}}}',
    'x = {{k: v, 1: {L}, "{n}": {M}}}', "def f(a, {n}={L}):\n    pass",
    "def f(a, /, {n}={L}, *, b={M}):\n    pass", "def f(*args, {n}: str = {L}, **kw):\n    pass",
    "async def f({n}={L}) -> None:\n    pass", "g = lambda {n}={L}: 0",
    'requests.get(url, auth=("u", {L}))', 'jwt.encode(p, {L}, algorithm="HS256")',
    "jwt.decode(t, key={L})", 'hmac.new({L}, m, "sha256")', 'HTTPBasicAuth("u", {L})',
    'smtp.login("u", {L})', "psycopg2.connect({L})", 'config.set("db", "{n}", {L})',
    'environ.setdefault("{n}", {L})', 'parser.option("--{n}", {L})',
    'c.set("db" "x", "{n}", {L})', "f(g({n}={L}), token={M})",
    'x = [{{"{n}": {L}}}, dict({n}={M})]', '@mock({{"{n}": {L}}})\ndef test(self):\n    pass',
    "class C(Base, {n}={L}):\n    pass", "x = {L} if c else {M}",
    "with open(p, {n}={L}) as f:\n    pass", "for x in f({n}={L}):\n    pass",
    "y = ({n} := {L})", "print(*a, {n}={L})", "f(*a, {L}, {M})", "{n} = {n}_other = {L}",
    "f(**{{'{n}': {L}}})", "x = {{'{n}': {L} for k in y}}", "f(x)({n}={L})",
    "obj.login(username=u, password={L})", "x = d['{n}'] = {L}", "def f({n}=f(password={L})):\n    pass",
]  # fmt: skip
LAYOUTS = ["plain", "indented", "tabs", "non-ascii", "crlf", "comment", "continued", "split"]


def _literal(rng: random.Random) -> str:
    value = rng.choice(VALUES)
    cut = rng.randrange(len(value) + 1)
    text = rng.choice(LITERALS)
    if "b" in text.split('"')[0].lower() and not value.isascii():
        value = value.encode("ascii", "ignore").decode()
    quote = text.lstrip("rubRUB(\n ")[:1]
    if quote in "'\"":
        value = value.replace(quote, "").replace("\\", "")
    return text.format(v=value, a=value[:cut], b=value[cut:])


def _window(rng: random.Random) -> str:
    binding = rng.choice(BINDINGS)
    name = rng.choice(NAMES)
    statement = binding.format(n=name, L=_literal(rng), M=_literal(rng))
    return _laid_out(statement, rng.choice(LAYOUTS))


def _laid_out(statement: str, layout: str) -> str:
    if layout == "indented":
        return "if 1:\n" + textwrap.indent(statement, "        ") + "\n"
    if layout == "tabs":
        return "if 1:\n" + textwrap.indent(statement, "\t") + "\n"
    if layout == "non-ascii":
        return 'é = "ü"; ' + statement + "\n"
    if layout == "crlf":
        return statement.replace("\n", "\r\n") + "\r\n"
    if layout == "comment":
        return "# ünïcode comment\n" + statement + "  # password = 'x'\n"
    if layout == "continued":
        return statement.replace(" = ", " = \\\n    ", 1) + "\n"
    if layout == "split":
        return statement.replace(", ", ",\n    ") + "\n"
    return statement + "\n"


def _same_or_declined(source: str) -> bool:
    spots = fast_spots(source)
    if spots is None:
        return True
    return WindowFacts(tuple(Spot(*spot) for spot in spots), ()) == libcst_window(source)


def test_generated_windows_are_read_as_libcst_reads_them() -> None:
    rng = random.Random(20261207)
    windows = sorted({_window(rng) for _ in range(CASES)})
    differing = [w for w in windows if not _same_or_declined(w)]
    assert differing == []
    answered = sum(fast_spots(w) is not None for w in windows)
    assert answered >= len(windows) // 3, (answered, len(windows))


def _detector_windows(source: bytes, path: str = "app/settings.py") -> list[str]:
    """The windows the detector sends to `read_window` for `source`."""
    seen: list[str] = []

    def spy(window: str) -> WindowFacts | WindowError:
        seen.append(window)
        return read_window(window)

    python_cst.window_facts.cache_clear()
    detector = PythonDetector(Config(), ())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(python_cst, "read_window", spy)
        if detector.wants(Origin(path), source):
            detector.detect(Origin(path), source)
    python_cst.window_facts.cache_clear()
    return seen


def _sample_sources() -> list[bytes]:
    """The detector's own samples: the rows of `test_python_cst` and the labelled files."""
    import importlib.util

    here = Path(__file__).parent
    spec = importlib.util.spec_from_file_location("_cst_samples", here / "test_python_cst.py")
    assert spec is not None and spec.loader is not None
    samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(samples)
    rows = [*samples.FOUND, *samples.NOT_FOUND]
    sources = [row[1].encode() for row in rows]
    sources += [p.read_bytes() for p in sorted((here / "data" / "precision").glob("*.txt"))]
    return sources


def test_the_detectors_sample_inputs_are_read_as_libcst_reads_them() -> None:
    windows = {w for source in _sample_sources() for w in _detector_windows(source)}
    assert len(windows) >= 60
    assert [w for w in sorted(windows) if not _same_or_declined(w)] == []
    assert sum(fast_spots(w) is not None for w in windows) >= len(windows) // 2


COMMON = [
    'password = "Xk9#mQ2vLp"\n',
    'if 1:\n        self.client.login(username="bob", password="Xk9#mQ2vLp")\n',
    'if 1:\n    cfg = {\n        "user": "bob",\n        "password": "Xk9#mQ2vLp",\n    }\n',
    'if 1:\n\tdata["password"] = "Xk9#mQ2vLp"\n',
    'SESSION_KEY = "2b1189a188b44ad18c35e1baac6ceead"\n',
    'password = (\n    "VSK0UYV6FFQVZ0KG88"\n    "JGB3RGZ7VI7G7DJQ9N"\n)\n',
    '@mock_inputs({"password": "Xk9#mQ2vLp"})\ndef test(self):\n    pass\n',
    'def connect(user, password="Xk9#mQ2vLp"):\n    pass\n',
    'é = "ü"; connection.settings_dict["PASSWORD"] = "françois-9Xq"\n',
    'password = "Xk9#mQ2vLp"\r\ntoken = "tkn_8Hq2ZpLw0XyV3mRt"\r\n',
    'requests.get(url, auth=("bob", "Xk9#mQ2vLp"))\n',
    'jwt.encode(payload, "my-s1gning-s3cret", algorithm="HS256")\n',
    'psycopg2.connect("dbname=app user=bob password=Xk9mQ2vLp")\n',
    "password = " + "(" * 70 + '"Xk9#mQ2vLp"' + ")" * 70 + "\n",
]


@pytest.mark.parametrize("source", COMMON)
def test_common_shapes_are_answered_by_ast_alone(source: str) -> None:
    spots = fast_spots(source)
    assert spots, source
    assert WindowFacts(tuple(Spot(*spot) for spot in spots), ()) == libcst_window(source)


DECLINED = [
    'password = f"Xk9#mQ2vLp"\n',
    'password = "Xk9#mQ" + "2vLp"\n',
    'secret_key = "s3cr3t-k3y-0f-th3-app".encode()\n',
    'd["_".join(["SECRET", "KEY"])] = "q8Wz3kLp0Xv2Nc7R"\n',
    'key = ("-----BEGIN RSA PRIVATE KEY-----\\n"\n       "MIIE")\n',
    'key = "-----\\x42EGIN RSA PRIVATE KEY-----"\n',
    'a, *password = "x", "Xk9#mQ2vLp"\n',
    'cfg["password",] = "Xk9#mQ2vLp"\n',
    'password = "Xk9#mQ2vLp"\rtoken = "tkn_8Hq2ZpLw0XyV3mRt"\n',
    'x = "\x0c"; password = "Xk9#mQ2vLp"\n',
    "password = 'Xk9#mQ2vLp\n",
    "password = (\n" + "".join(f'    "Xk9#mQ2vLp{i}"\n' for i in range(40)) + ")\n",
    "password = " + "[" * 70 + '"Xk9#mQ2vLp"' + "]" * 70 + "\n",
]


@pytest.mark.parametrize("source", DECLINED)
def test_shapes_where_the_readers_could_differ_are_left_to_libcst(source: str) -> None:
    assert fast_spots(source) is None


def test_nfkc_names_are_left_to_libcst() -> None:
    """`ast` normalises identifiers (fullwidth letters spelling `password` are
    `password` to it); libcst keeps the source spelling, so such a name is read by libcst."""
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in "password")
    for source in (f'{fullwidth} = "Xk9#mQ2vLp"\n', f'f({fullwidth}="Xk9#mQ2vLp")\n'):
        assert _same_or_declined(source)
        assert fast_spots(source) is None


PASSWORD = 'password = "s3cr3tP4ssw0rd!"\n'
LONG_FLAT = [
    PASSWORD + "x = " + " or ".join(["a"] * 400) + "\n",
    PASSWORD + "x = " + " and ".join(["a"] * 400) + "\n",
    PASSWORD + "x = [a " + " ".join(["for a in b"] * 400) + "]\n",
    PASSWORD + "import a" + ".a" * 400 + "\n",
    PASSWORD + "from a" + ".a" * 400 + " import b\n",
]
PARENTHESISED_ANNOTATION = [
    PASSWORD + "(x): int = 1\n",
    PASSWORD + "(x): int\n",
    '(password): str = "s3cr3tP4ssw0rd!"\n',
    'class C:\n    (password): str = "s3cr3tP4ssw0rd!"\n',
    'class C:\n    ((x)): int\n    password = "s3cr3tP4ssw0rd!"\n',
]
LONE_CONTINUATION = [
    'x = 1\n\\\npassword = "s3cr3tP4ssw0rd!"\n',
    '\\\n\\\npassword = "s3cr3tP4ssw0rd!"\n',
    '\\\r\npassword = "s3cr3tP4ssw0rd!"\r\n',
    'if 1:\n    x = 1\n    \\\n    password = "s3cr3tP4ssw0rd!"\n',
    'if 1:\n    x = 1\n \t\\\n    password = "s3cr3tP4ssw0rd!"\n',
]


@pytest.mark.parametrize("source", LONG_FLAT + PARENTHESISED_ANNOTATION + LONE_CONTINUATION)
def test_shapes_libcst_reads_otherwise_or_refuses_are_left_to_it(source: str) -> None:
    """libcst recurses once per operand, `for` clause or dotted part of these flat
    forms and gives up; it refuses `(x): int`; it numbers the lines after a line
    holding only a continuation one less than CPython does."""
    assert _same_or_declined(source)


def test_short_flat_forms_are_still_answered() -> None:
    for source in (
        PASSWORD + "x = " + " or ".join(["a"] * 20) + "\n",
        PASSWORD + "x = [a " + " ".join(["for a in b"] * 20) + "]\n",
        PASSWORD + "from a" + ".a" * 20 + " import b\n",
        'x = 1 \\\n    + 2\npassword: str = "s3cr3tP4ssw0rd!"\n',
    ):
        spots = fast_spots(source)
        assert spots, source
        assert WindowFacts(tuple(Spot(*spot) for spot in spots), ()) == libcst_window(source)


def _non_ascii_dict(entries: int) -> str:
    pairs = ", ".join(f'"k{i}": "v{i}é"' for i in range(entries))
    return "x = {'é': 1, " + pairs + ', "password": "s3cr3tP4ssw0rdé!"}\n'


def test_columns_on_a_long_non_ascii_line_are_libcsts() -> None:
    assert _same_or_declined(_non_ascii_dict(300))
    assert fast_spots(_non_ascii_dict(300))


def test_a_huge_non_ascii_line_is_read_in_linear_time() -> None:
    """A 0.9 MB one-line dict: each column is a bisection, not a re-encoding of the line."""
    source = _non_ascii_dict(40_000)
    started = time.process_time()
    spots = fast_spots(source)
    assert time.process_time() - started < 10
    assert spots is not None and spots[0][4] == len(source) - len('"s3cr3tP4ssw0rdé!"}\n')


def test_libcst_is_not_imported_when_ast_answers_every_window(tmp_path: Path) -> None:
    cases = {
        'cfg = dict(password="Kq7%a91f3c0d")\n': "1 False",
        'cfg = dict(password=f"Kq7%a91f3c0d")\n': "1 True",
    }
    for source, expected in cases.items():
        assert found_and_libcst(source) == expected
