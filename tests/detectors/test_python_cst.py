"""The Python detector, table-driven: a snippet in, (rule, line, column) out.

Columns are 1-based and point at the first character of the string literal
(its prefix or opening quote)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scanner.config import Config
from scanner.detectors import Detector
from scanner.detectors.python_cst import PythonDetector
from scanner.model import Match, Origin, RuleKind, ScanWarning, Severity

PW = "python.hardcoded-password"
SK = "python.hardcoded-secret-key"
TOK = "python.hardcoded-token"
SEC = "python.hardcoded-secret"
JWT = "python.jwt-signing-secret"
HMAC = "python.hmac-key"
BASIC = "python.basic-auth-password"
DSN = "python.connection-string-password"
PEM = "python.private-key-literal"

Row = tuple[str, str, list[tuple[str, int, int]]]

FOUND: list[Row] = [
    ("assign", 'password = "Xk9#mQ2vLp"\n', [(PW, 1, 12)]),
    ("assign-upper", 'DB_PASSWORD = "Xk9#mQ2vLp"\n', [(PW, 1, 15)]),
    ("passwd", 'passwd = "Xk9#mQ2vLp"\n', [(PW, 1, 10)]),
    ("django-secret-key", 'SECRET_KEY = "django-insecure-7h#k2$x9q1"\n', [(SK, 1, 14)]),
    ("jwt-secret-name", 'JWT_SECRET = "f3a9c2e17b5d4e08"\n', [(SK, 1, 14)]),
    (
        "aws-secret",
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY9f3kq2"\n',
        [(SK, 1, 25)],
    ),
    ("client-secret", 'client_secret = "9f8e7d6c5b4a39281706"\n', [(SEC, 1, 17)]),
    ("auth-token", 'auth_token = "tkn_8Hq2ZpLw0XyV3mRt"\n', [(TOK, 1, 14)]),
    ("api-key-camel", 'apiKey = "k-93jf02nf83hf72hd"\n', [(TOK, 1, 10)]),
    ("signing-key", 'signing_key = b"\\x8f\\x12k3y-material-01"\n', [(SK, 1, 15)]),
    ("annotated", 'api_key: str = "k-93jf02nf83hf72hd"\n', [(TOK, 1, 16)]),
    ("augmented", 'password += "Xk9#mQ2vLp"\n', [(PW, 1, 13)]),
    ("bytes", 'hmac_key = b"0b7e1f44c2d9a8a1"\n', [(SK, 1, 12)]),
    ("fstring-no-expr", 'password = f"Xk9#mQ2vLp"\n', [(PW, 1, 12)]),
    ("implicit-concat", 'api_token = "tkn_8Hq2" "ZpLw0XyV3mRt"\n', [(TOK, 1, 13)]),
    ("explicit-concat", 'api_token = "tkn_8Hq2" + "ZpLw0XyV3mRt"\n', [(TOK, 1, 13)]),
    ("parenthesised", 'api_token = (\n    "tkn_8Hq2"\n    "ZpLw0XyV3mRt"\n)\n', [(TOK, 2, 5)]),
    ("encode-call", 'secret_key = "s3cr3t-k3y-0f-th3-app".encode()\n', [(SK, 1, 14)]),
    (
        "self-attribute",
        'class C:\n    def f(self):\n        self.password = "Xk9#mQ2vLp"\n',
        [(PW, 3, 25)],
    ),
    ("settings-attribute", 'settings.SECRET_KEY = "q8Wz3kLp0Xv2Nc7R"\n', [(SK, 1, 23)]),
    ("class-attribute", 'class Cfg:\n    API_KEY = "k-93jf02nf83hf72hd"\n', [(TOK, 2, 15)]),
    ("keyword-arg", 'connect(host="db", password="Xk9#mQ2vLp")\n', [(PW, 1, 29)]),
    ("keyword-token", 'Client(token="tkn_8Hq2ZpLw0XyV3mRt")\n', [(TOK, 1, 14)]),
    ("keyword-secret", 'Signer(secret="q8Wz3kLp0Xv2Nc7R")\n', [(SEC, 1, 15)]),
    (
        "keyword-aws",
        'boto3.client("s3", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG")\n',
        [(SK, 1, 42)],
    ),
    ("dict-literal", 'cfg = {"user": "bob", "password": "Xk9#mQ2vLp"}\n', [(PW, 1, 35)]),
    ("dict-call", 'cfg = dict(password="Xk9#mQ2vLp")\n', [(PW, 1, 21)]),
    ("subscript-config", 'app.config["SECRET_KEY"] = "q8Wz3kLp0Xv2Nc7R"\n', [(SK, 1, 28)]),
    ("subscript-environ", 'os.environ["API_TOKEN"] = "tkn_8Hq2ZpLw0XyV3mRt"\n', [(TOK, 1, 27)]),
    ("param-default", 'def connect(user, password="Xk9#mQ2vLp"):\n    pass\n', [(PW, 1, 28)]),
    (
        "async-param",
        'async def login(token: str = "tkn_8Hq2ZpLw0XyV3mRt"):\n    ...\n',
        [(TOK, 1, 30)],
    ),
    (
        "method-param",
        'class A:\n    def __init__(self, api_key="k-93jf02nf83hf72hd"):\n        pass\n',
        [(TOK, 2, 32)],
    ),
    ("tuple-unpack", 'user, password = "bob", "Xk9#mQ2vLp"\n', [(PW, 1, 25)]),
    ("jwt-encode", 'jwt.encode(payload, "my-s1gning-s3cret", algorithm="HS256")\n', [(JWT, 1, 21)]),
    ("jwt-decode", 'jwt.decode(tok, "my-s1gning-s3cret", algorithms=["HS256"])\n', [(JWT, 1, 17)]),
    ("jwt-key-keyword", 'jwt.encode(payload, key="my-s1gning-s3cret")\n', [(JWT, 1, 25)]),
    ("hmac-new", 'hmac.new(b"k3y-f0r-hm4c-99", msg, "sha256")\n', [(HMAC, 1, 10)]),
    ("hmac-digest", 'hmac.digest(b"k3y-f0r-hm4c-99", msg, "sha256")\n', [(HMAC, 1, 13)]),
    (
        "hmac-encoded",
        'hmac.new("k3y-f0r-hm4c-99".encode(), msg, hashlib.sha256)\n',
        [(HMAC, 1, 10)],
    ),
    ("basic-auth", 'HTTPBasicAuth("bob", "Xk9#mQ2vLp")\n', [(BASIC, 1, 22)]),
    ("basic-auth-module", 'requests.auth.HTTPBasicAuth("bob", "Xk9#mQ2vLp")\n', [(BASIC, 1, 36)]),
    ("requests-auth", 'requests.get(url, auth=("bob", "Xk9#mQ2vLp"))\n', [(BASIC, 1, 32)]),
    ("smtp-login", 'server.login("bob@example.org", "Xk9#mQ2vLp")\n', [(BASIC, 1, 33)]),
    ("psycopg-dsn", 'psycopg2.connect("dbname=app user=bob password=Xk9mQ2vLp")\n', [(DSN, 1, 18)]),
    ("odbc-dsn", 'pyodbc.connect("DRIVER={x};UID=bob;PWD=Xk9mQ2vLp;")\n', [(DSN, 1, 16)]),
    ("non-ascii-line", 'é = "ü"; password = "Xk9#mQ2vLp"\n', [(PW, 1, 21)]),
    (
        "two-findings",
        'a_password = "Xk9#mQ2vLp"\nb_token = "tkn_8Hq2ZpLw0XyV3mRt"\n',
        [(PW, 1, 14), (TOK, 2, 11)],
    ),
    (
        "nested-in-function",
        'def f():\n    if x:\n        secret = "q8Wz3kLp0Xv2Nc7R"\n',
        [(SEC, 3, 18)],
    ),
    (
        "decorated-default",
        '@app.route("/")\ndef view(password="Xk9#mQ2vLp"):\n    pass\n',
        [(PW, 2, 19)],
    ),
    ("crlf", 'x = 1\r\npassword = "Xk9#mQ2vLp"\r\n', [(PW, 2, 12)]),
    ("tab-indent", 'if x:\n\tpassword = "Xk9#mQ2vLp"\n', [(PW, 2, 13)]),
]

NOT_FOUND: list[tuple[str, str]] = [
    ("environ-get", 'password = os.environ.get("DB_PASSWORD")\n'),
    ("environ-subscript", 'password = os.environ["DB_PASSWORD"]\n'),
    ("getenv", 'SECRET_KEY = os.getenv("SECRET_KEY", "")\n'),
    ("call", "password = getpass.getpass()\n"),
    ("name", "password = other_password\n"),
    ("attribute", "token = settings.API_TOKEN\n"),
    ("none", "password = None\n"),
    ("empty", 'password = ""\n'),
    ("changeme", 'password = "changeme"\n'),
    ("angle-placeholder", 'password = "<password>"\n'),
    ("shell-var", 'password = "${DB_PASSWORD}"\n'),
    ("jinja", 'password = "{{ db_password }}"\n'),
    ("xxx", 'api_key = "xxxxxxxxxxxxxxxx"\n'),
    ("stars", 'password = "********"\n'),
    ("your-key", 'api_key = "your-api-key-here"\n'),
    ("example", 'token = "example-token-123"\n'),
    ("dummy", 'password = "dummy-pass-42"\n'),
    ("test-value", 'password = "test_password_1"\n'),
    ("short", 'password = "a1!"\n'),
    ("format-string", 'password = "{}:{}".format(a, b)\n'),
    ("format-fields", 'token = "Bearer {token}"\n'),
    ("fstring-expr", 'password = f"{prefix}-Xk9#mQ2vLp"\n'),
    ("password-field", 'password_field = "password"\n'),
    ("hash-algorithm", 'PASSWORD_HASH_ALGORITHM = "pbkdf2_sha256"\n'),
    ("token-url", 'token_url = "https://auth.example.org/oauth/token"\n'),
    ("secret-name", 'secret_name = "prod/db/credentials"\n'),
    ("min-length", "PASSWORD_MIN_LENGTH = 12\n"),
    ("min-length-str", 'PASSWORD_MIN_LENGTH = "12"\n'),
    ("token-type", 'token_type = "bearer"\n'),
    ("env-var-name", 'api_key = "OPENAI_API_KEY"\n'),
    ("dotted-path", 'PASSWORD_HASHER = "django.contrib.auth.hashers.PBKDF2PasswordHasher"\n'),
    ("prompt", 'password = input("Enter your password: ")\n'),
    ("prompt-literal", 'PASSWORD_PROMPT = "Enter your password: "\n'),
    ("message", 'invalid_token = "The token you supplied has expired"\n'),
    ("key-file-path", 'private_key = "/etc/ssl/private/server.key"\n'),
    ("key-file-name", 'private_key = "server.pem"\n'),
    ("uuid", 'api_key = "3fa85f64-5717-4562-b3fc-2c963f66afa6"\n'),
    ("label", 'ACL_CREDENTIALS = "Access-Control-Allow-Credentials"\n'),
    ("next-token", 'd = {"input_token": "next_token"}\n'),
    ("resource-type-key", 'd = {"AWS::IAM::AccessKey": "62d91b17309e76c8"}\n'),
    ("comparison", 'if password == "Xk9#mQ2vLp":\n    pass\n'),
    ("comment", '# password = "Xk9#mQ2vLp"\n'),
    ("docstring", 'def f():\n    """password = "Xk9#mQ2vLp" is how not to do it."""\n'),
    ("is-flag", 'is_password = "yes_really"\n'),
    ("lowercase-word", 'password = "python"\n'),
    ("wrong-prefix", 'WRONG_PASSWORD = "Xk9#mQ2vLp"\n'),
    ("jwt-variable-key", 'jwt.encode(payload, settings.SECRET_KEY, algorithm="HS256")\n'),
    ("hmac-variable-key", "hmac.new(key, msg, 'sha256')\n"),
    ("login-variables", "server.login(user, password)\n"),
    ("auth-variables", "requests.get(url, auth=(user, password))\n"),
    ("dsn-without-password", 'psycopg2.connect("dbname=app user=bob")\n'),
    ("sqlite", 'sqlite3.connect(":memory:")\n'),
    ("token-in-lexer", 'token = "("\n'),
    ("multiline-config-text", 'PYPIRC = """\\\n[pypi]\npassword = secret\n"""\n'),
    ("not-python-2", "password = 'Xk9#mQ2vLp\n"),
]


@pytest.fixture(scope="module")
def detector() -> PythonDetector:
    return PythonDetector(Config(), ())


def run(detector: PythonDetector, source: str, path: str = "app/settings.py") -> list[Match]:
    data = source.encode("utf-8")
    origin = Origin(path)
    if not detector.wants(origin, data):
        return []
    found = detector.detect(origin, data)
    return [m for m in found if isinstance(m, Match)]


@pytest.mark.parametrize(("source", "expected"), [r[1:] for r in FOUND], ids=[r[0] for r in FOUND])
def test_credentials_bound_in_code_are_found(
    detector: PythonDetector, source: str, expected: list[tuple[str, int, int]]
) -> None:
    matches = run(detector, source)
    assert [(m.rule_id, m.line, m.column) for m in matches] == expected


@pytest.mark.parametrize("source", [r[1] for r in NOT_FOUND], ids=[r[0] for r in NOT_FOUND])
def test_values_that_are_not_secrets_are_not_reported(
    detector: PythonDetector, source: str
) -> None:
    assert run(detector, source) == []


@pytest.mark.parametrize("row", FOUND, ids=[r[0] for r in FOUND])
def test_byte_span_holds_the_literal_content(detector: PythonDetector, row: Row) -> None:
    _, source, _ = row
    data = source.encode("utf-8")
    for match in run(detector, source):
        span = data[match.start : match.end]
        assert data[match.start - 1 : match.start] in (b'"', b"'")
        assert data[match.end : match.end + 1] in (b'"', b"'")
        if b"\\" not in span and b'"' not in span and match.rule_id != DSN:
            assert span == match.secret
        assert match.detector == "python"


def test_match_fields_carry_kind_severity_and_joined_secret(detector: PythonDetector) -> None:
    [match] = run(detector, 'API_TOKEN = ("tkn_8Hq2"\n             "ZpLw0XyV3mRt")\n')
    assert match.kind is RuleKind.TOKEN
    assert match.severity is Severity.MEDIUM
    assert match.secret == b"tkn_8Hq2ZpLw0XyV3mRt"
    assert (match.line, match.end_line) == (1, 2)
    [signing] = run(detector, 'jwt.encode(p, "my-s1gning-s3cret")\n')
    assert signing.severity is Severity.HIGH


def test_only_python_files_with_a_credential_shape_are_wanted(detector: PythonDetector) -> None:
    assert detector.wants(Origin("a.py"), b'password = "Xk9#mQ2vLp"\n')
    assert detector.wants(Origin("a.pyw"), b'password = "Xk9#mQ2vLp"\n')
    assert not detector.wants(Origin("a.pyi"), b'password = "Xk9#mQ2vLp"\n')
    assert not detector.wants(Origin("a.txt"), b'password = "Xk9#mQ2vLp"\n')
    assert not detector.wants(Origin("a.py"), b"import os\nprint(os.getcwd())\n")
    assert not detector.wants(Origin("a.py"), b"password = os.environ['PW']\n")
    member = Origin("lib.zip", archive_member="pkg/config.py")
    assert detector.wants(member, b'password = "Xk9#mQ2vLp"\n')


def test_auth_pairs_holding_placeholders_are_never_parsed(detector: PythonDetector) -> None:
    """Test suites pass `auth=("user", "pass")` everywhere: decided from the bytes."""
    for placeholder in (b'("user", "pass")', b"(b'\\xc5\\xafser', b'test')", b'("a",\n "b",)'):
        assert not detector.wants(Origin("t.py"), b"r = get(url, auth=" + placeholder + b")\n")
    real = b'r = get(url, auth=("svc", "Xk9#mQ2vLp"))\n'
    assert detector.wants(Origin("t.py"), real)
    assert [m.rule_id for m in run(detector, real.decode())] == [BASIC]
    for unsure in (b'(f"u", f"p")', b'("u", "p" + x)'):
        assert detector.wants(Origin("t.py"), b"r = get(url, auth=" + unsure + b")\n")


@pytest.mark.parametrize(
    "source",
    [
        b'print "hello"\npassword = "Xk9#mQ2vLp"\n',  # Python 2
        b'def f(:\n    password = "Xk9#mQ2vLp"\n',
        b'password = "Xk9#mQ2vLp"\x00\n',
        b'\xff\xfe password = "Xk9#mQ2vLp"\n',
        b"# -*- coding: klingon -*-\npassword = 'Xk9#mQ2vLp'\n",
        b"x = " + b"(" * 5000 + b'password = "Xk9#mQ2vLp"' + b")" * 5000 + b"\n",
    ],
    ids=["python2", "syntax-error", "nul-byte", "bad-utf8", "unknown-codec", "deep-nesting"],
)
def test_unparsable_file_gives_a_warning_and_no_match(
    detector: PythonDetector, source: bytes
) -> None:
    found = detector.detect(Origin("legacy.py"), source)
    assert all(isinstance(f, ScanWarning) for f in found)
    assert len(found) == 1 and isinstance(found[0], ScanWarning)
    assert "cannot parse" in found[0].message


def test_coding_cookie_latin1_offsets_are_bytes(detector: PythonDetector) -> None:
    data = "# -*- coding: latin-1 -*-\né = 1; password = 'Xk9#mQ2vLp'\n".encode("latin-1")
    [match] = detector.detect(Origin("old.py"), data)
    assert isinstance(match, Match)
    assert (match.line, match.column) == (2, 19)
    assert data[match.start : match.end] == b"Xk9#mQ2vLp"


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b'x = 1\rdef f():\n    password = "Xk9#mQ2vLp"\n', 3, 16),
        (b'x = 1\rpassword = "Xk9#mQ2vLp"\ry = 2\r', 2, 12),
        (b'a = 1\r\nb = 2\rc = 3\npassword = "Xk9#mQ2vLp"\r\n', 4, 12),
    ],
    ids=["lone-cr-then-lf", "classic-mac", "mixed"],
)
def test_lone_carriage_returns_end_lines_as_in_cpython(
    detector: PythonDetector, data: bytes, line: int, column: int
) -> None:
    """A lone \\r ends a line for CPython; the hit lines are counted the same way,
    so the statement around the hit is the one read."""
    assert detector.wants(Origin("mac.py"), data)
    [match] = detector.detect(Origin("mac.py"), data)
    assert isinstance(match, Match)
    assert (match.line, match.column) == (line, column)
    assert data[match.start : match.end] == b"Xk9#mQ2vLp"


def test_detector_satisfies_the_protocol() -> None:
    detector: Detector = PythonDetector(Config(), ())
    assert detector.name == "python"


# --- private keys built from literals ------------------------------------------


def _pem_body(rsa_pem: bytes) -> list[str]:
    return rsa_pem.decode().strip().splitlines()


def test_pem_split_across_literals_is_rebuilt(detector: PythonDetector, rsa_pem: bytes) -> None:
    lines = _pem_body(rsa_pem)
    body = "\n".join(f'    "{line}\\n"' for line in lines)
    source = f"KEY = (\n{body}\n)\n"
    [match] = run(detector, source, "keys.py")
    assert (match.rule_id, match.line, match.column) == (PEM, 2, 5)
    assert match.kind is RuleKind.PRIVATE_KEY
    assert match.secret == rsa_pem.strip() + b"\n"


def test_pem_with_escaped_newlines_in_one_literal(detector: PythonDetector, rsa_pem: bytes) -> None:
    escaped = "\\n".join(_pem_body(rsa_pem))
    [match] = run(detector, f'cfg = {{"private_key": "{escaped}"}}\n', "svc.py")
    assert match.rule_id == PEM
    assert match.secret == rsa_pem.strip() + b"\n"


def test_pem_joined_with_plus_and_join(detector: PythonDetector, rsa_pem: bytes) -> None:
    lines = _pem_body(rsa_pem)
    plus = " + ".join(f'"{line}\\n"' for line in lines)
    joined = '"\\n".join([' + ", ".join(f'"{line}"' for line in lines) + "])"
    for source in (f"K = {plus}\n", f"K = {joined}\n"):
        [match] = run(detector, source, "k.py")
        assert match.rule_id == PEM
        assert b"PRIVATE KEY-----" in match.secret


def test_contiguous_pem_is_left_to_the_rule_engine(
    detector: PythonDetector, rsa_pem: bytes
) -> None:
    source = f'KEY = """{rsa_pem.decode()}"""\n'
    assert run(detector, source, "k.py") == []


def test_a_statement_seen_before_is_placed_where_it_is_now(detector: PythonDetector) -> None:
    """Versions of a file repeat statements; what libcst found in one is reused
    for the next, at the new place (lines, columns and byte offsets)."""
    statement = '    db_password = "Vq8#Lm2xKp9z"\n'
    first = "class A:\n" + statement
    later = "import os\n\n\nclass A:\n    '''\u00e9t\u00e9.'''\n" + statement
    for source, line in ((first, 2), (later, 6), (first, 2)):
        [match] = run(detector, source)
        data = source.encode("utf-8")
        assert (match.line, match.column) == (line, 19)
        assert data[match.start : match.end] == b"Vq8#Lm2xKp9z" == match.secret


def test_a_repeated_pem_literal_is_judged_against_each_file(
    detector: PythonDetector, rsa_pem: bytes
) -> None:
    """The rebuilt key is a finding only where the file does not hold it verbatim,
    even when the same statement was read before in another file."""
    body = "\n".join(f'    "{line}\\n"' for line in _pem_body(rsa_pem))
    split = f"KEY = (\n{body}\n)\n"
    [match] = run(detector, split, "keys.py")
    assert match.rule_id == PEM
    verbatim = split + f'DOC = """{rsa_pem.decode()}"""\n'
    assert [m.rule_id for m in run(detector, verbatim, "keys.py")] == []


# --- notebooks ----------------------------------------------------------------


def _notebook(cells: list[tuple[str, str]]) -> bytes:
    notebook = {
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": textwrap.dedent(src).splitlines(keepends=True),
                **({"outputs": [], "execution_count": None} if kind == "code" else {}),
            }
            for kind, src in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False).encode("utf-8")


def test_notebook_code_cells_are_scanned_and_placed_in_the_json(
    detector: PythonDetector,
) -> None:
    data = _notebook(
        [
            ("markdown", 'password = "Xk9#mQ2vLp" (prose, not code)\n'),
            ("code", "%matplotlib inline\nimport os\n"),
            ("code", '!pip install requests\né = "ü"\napi_key = "k-93jf02nf83hf72hd"\n'),
            ("code", "print(\n"),
        ]
    )
    origin = Origin("analysis.ipynb")
    assert detector.wants(origin, data)
    [match] = detector.detect(origin, data)
    assert isinstance(match, Match)
    assert data[match.start : match.end] == b"k-93jf02nf83hf72hd"
    line = data.decode().splitlines()[match.line - 1]
    assert line.strip().startswith('"api_key = \\"k-93jf02nf83hf72hd')
    assert line[match.column - 1 :].startswith('\\"k-93')
    assert match.end_line == match.line


def test_broken_notebook_is_a_warning(detector: PythonDetector) -> None:
    found = detector.detect(Origin("broken.ipynb"), b'{"cells": [password = "x"')
    assert [type(f) for f in found] == [ScanWarning]


# --- precision on a labelled sample -------------------------------------------

PRECISION_DIR = Path(__file__).parent / "data" / "precision"


def test_precision_and_recall_on_the_labelled_sample(detector: PythonDetector) -> None:
    """tests/detectors/data/precision: hand-labelled files; a finding is right when
    its line is one the manifest marks as holding a hardcoded credential."""
    manifest = json.loads((PRECISION_DIR / "manifest.json").read_text())
    truth = {(f["file"], line) for f in manifest["files"] for line in f["secret_lines"]}
    assert len(manifest["files"]) >= 60 and len(truth) >= 30
    right, wrong = set(), []
    for entry in manifest["files"]:
        data = (PRECISION_DIR / f"{entry['file']}.txt").read_bytes()
        origin = Origin(f"precision/{entry['file']}")
        found = detector.detect(origin, data) if detector.wants(origin, data) else []
        for match in found:
            assert isinstance(match, Match), match
            key = (entry["file"], match.line)
            (right.add(key) if key in truth else wrong.append((key, match.rule_id)))
    precision = len(right) / (len(right) + len(wrong))
    recall = len(right) / len(truth)
    assert precision >= 0.9, wrong
    assert recall >= 0.85, sorted(truth - right)


# --- end to end through the CLI -----------------------------------------------


def _scan_json(root: Path, *args: str) -> dict[str, Any]:
    from click.testing import CliRunner

    from scanner.cli import cli

    result = CliRunner().invoke(cli, ["scan", str(root), "--format", "json", "-j", "1", *args])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_cli_split_pem_is_rebuilt_and_parsed_as_a_key(tmp_path: Path, rsa_pem: bytes) -> None:
    body = "\n".join(f'    "{line}\\n"' for line in _pem_body(rsa_pem))
    (tmp_path / "keys.py").write_text(f"SIGNING_KEY = (\n{body}\n)\n")
    report = _scan_json(tmp_path)
    [finding] = [f for f in report["findings"] if f["rule"] == PEM]
    assert (finding["path"], finding["line"], finding["column"]) == ("keys.py", 2, 5)
    assert finding["key"]["format"] == "pkcs1-pem"
    assert finding["key"]["algorithm"] == "RSA"
    assert finding["key"]["fingerprints"]["spki_sha256"]


def test_cli_python_detector_runs_by_default_and_warns_on_python2(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('DB_PASSWORD = "Vq7!mZp2#Lr9"\n')
    (tmp_path / "legacy.py").write_text('print "hi"\npassword = "Wd3@kXn8$Tq5"\n')
    report = _scan_json(tmp_path)
    ours = {(f["path"], f["rule"]) for f in report["findings"] if f["rule"].startswith("python.")}
    assert ("settings.py", PW) in ours
    assert not any(path == "legacy.py" for path, _ in ours)
    assert any(
        "legacy.py" in e["path"] and "cannot parse" in e["message"] for e in report["errors"]
    )
    only_rules = _scan_json(tmp_path, "--detector", "rules")
    assert not any(f["rule"].startswith("python.") for f in only_rules["findings"])


def test_cli_python2_module_fails_the_gate_on_a_password_in_a_python3_function(
    tmp_path: Path,
) -> None:
    """Legacy code keeps its credentials: a module with Python 2 statements in
    one function and a password in another. The statements around the hit are
    Python 3, so the gate fails on it (it used to pass, with a warning)."""
    (tmp_path / "legacy.py").write_text(
        "import sys\n\n\ndef main():\n    print 'starting'\n\n\n"
        'def connect():\n    password = "Wd3@kXn8$Tq5"\n    return password\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    [finding] = report["findings"]
    assert (finding["path"], finding["rule"], finding["line"]) == ("legacy.py", PW, 9)
    assert "Wd3@kXn8$Tq5" not in done.stdout + done.stderr
    assert report["errors"] == []


def test_cli_inline_allow_suppresses_a_python_finding(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text('DB_PASSWORD = "Vq7!mZp2#Lr9"  # keysweep:allow\n')
    report = _scan_json(tmp_path, "--detector", "python")
    assert report["findings"] == []
