"""One way to show a URL in a message, or to keep one: never with the user name or
password it may carry (tokens sit there: `https://x-token:<token>@host/…`).

Messages (`shown`) also leave out the query and fragment, where tokens sit too
(`?private_token=…`); `origin` is scheme, host and port, for comparing where two
URLs point and for naming an API in a message; `without_userinfo` keeps the
whole URL but its user information, for a URL that is stored and used again (a
repository's clone URL). The server's client, the repository listing, the clone
URL policy and the mirror all use these. Standard library only: the workstation
client imports it.
"""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlsplit, urlunsplit

CREDENTIAL_WORDS = ("pass", "pw", "secret", "token", "key", "cred", "auth")
"""A query parameter whose name holds one of these is a credential (`password`,
`passfile`, `sslpassword`, `sslkey`, `private_token`...): its value is never shown
nor stored."""


def shown(url: str) -> str:
    """For messages: scheme, host, port and path; no user information, query or fragment.
    Text without `://` (`user@host:path`, or what only looks like a URL) keeps only
    what follows its last '@', as does text with an '@' before its `://`
    (`user:password@https://host/…`, which `urlsplit` would read as all path)."""
    if "://" not in url or "@" in url.partition("://")[0]:
        return url.rpartition("@")[2]
    try:
        parts = urlsplit(url)
    except ValueError:  # an IPv6 host whose bracket does not close
        return "<URL>"
    return urlunsplit((parts.scheme, _host_port(parts), parts.path, "", ""))


def origin(url: str) -> str:
    """`scheme://host[:port]`, without user information."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{_host_port(parts)}"


def without_userinfo(url: str) -> str:
    """The URL as it is, but for its user name and password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=_host_port(parts)).geturl()


def _host_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: left out
        port = None
    return f"{host}:{port}" if port else host


def is_credential_name(name: str) -> bool:
    """Whether a query parameter of this name carries a credential."""
    return any(word in name.lower() for word in CREDENTIAL_WORDS)


def credential_in_query(url: str) -> bool:
    """Whether the URL's query names a credential-like parameter (`?private_token=`)."""
    query = urlsplit(url).query
    return any(is_credential_name(name) for name, _ in parse_qsl(query, keep_blank_values=True))
