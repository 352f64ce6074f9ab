"""Which literal the Python detector reports, and under which rule: the decisions
both of its readers share.

The libcst visitor (`python_visitor`) and the `ast` fast path (`python_fastread`)
walk different trees, but a name, a callee or a connection string must lead to
the same rule whichever of them read the code; so the tables and the tests on
names and values live here, with no parser imported.
"""

from __future__ import annotations

from scanner.detectors.credential_names import Category

PEM_BEGIN = "-----BEGIN"

CATEGORY_RULE = {
    Category.PASSWORD: "python.hardcoded-password",
    Category.SECRET_KEY: "python.hardcoded-secret-key",
    Category.TOKEN: "python.hardcoded-token",
    Category.SECRET: "python.hardcoded-secret",
}
BASIC_AUTH_CALLS = frozenset({"HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth", "BasicAuth"})
HMAC_CALLS = frozenset({"hmac.new", "hmac.HMAC", "hmac.digest", "HMAC"})
SIGNING_KEYWORDS = frozenset({"key", "secret", "signing_key", "secret_key"})


def name_like(key: str) -> bool:
    """A settings or header name (`SECRET_KEY`, `X-Api-Key`), not `AWS::IAM::AccessKey`."""
    return key.replace("-", "_").replace(".", "_").isidentifier()


def signing_rule(callee: str) -> str | None:
    parts = callee.split(".")
    if parts[-1] in {"encode", "decode"} and len(parts) >= 2 and "jwt" in parts[-2].lower():
        return "python.jwt-signing-secret"
    if callee in HMAC_CALLS or callee.endswith(".hmac.new"):
        return "python.hmac-key"
    return None


def dsn_password(dsn: str) -> str | None:
    """The password of a libpq or ODBC connection string (`password=…`, `PWD=…;`)."""
    lowered = dsn.lower()
    for key in ("password=", "pwd="):
        start = lowered.find(key)
        if start < 0 or (start > 0 and lowered[start - 1].isalnum()):
            continue
        rest = dsn[start + len(key) :].lstrip()
        end = len(rest)
        for stop in (" ", ";", "\t", "\n"):
            found = rest.find(stop)
            if 0 <= found < end:
                end = found
        return rest[:end].strip("'\"") or None
    return None


def literal_text(value: str | bytes) -> str:
    """What the name and value tests read of a literal's value."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def literal_secret(value: str | bytes) -> bytes:
    """The bytes a finding carries for a literal's value."""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", errors="surrogatepass")
