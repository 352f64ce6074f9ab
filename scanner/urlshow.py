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

from urllib.parse import SplitResult, urlsplit, urlunsplit


def shown(url: str) -> str:
    """For messages: scheme, host, port and path; no user information, query or fragment.
    Text without `://` (`user@host:path`, or what only looks like a URL) keeps only
    what follows its last '@'."""
    if "://" not in url:
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
