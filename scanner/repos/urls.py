"""Which clone URLs keysweep will fetch, and how each is named.

A clone URL picks a git transport, and some transports run programs (`ext::`),
read local files under another name (`fd::`) or speak plain HTTP, where anyone
on the path can change what we scan. So only https, ssh (also as
`user@host:path`), git and file URLs pass, plain http only when asked for
(`--allow-http`), and a URL that carries a password (or a credential-like query
parameter, `?private_token=`) is refused: it would be stored in the database and
shown in every listing. In the scp-like form a ':'
before the '@' (`user:token@host:path`) is such a password, even though git
would read `user` as the host; that form is refused too (`ssh://user@host/path`
says the same without the doubt). A user name in an http(s) or
git URL is dropped (a token passed as the user name would be stored too, and
with prompts and credential helpers off git cannot use it); ssh keeps its user.
No message quotes user information.

A URL from a code host's listing is trusted less than one the operator typed
(`check_listed`): the listing is the host's answer, and a hostile or compromised
host could name `file:///` paths on the worker (another team's checkout, another
organisation's mirror in the cache) or an internal address. So a listed URL must
be https or ssh (plain http only with `--allow-http`) on one of the hosts the
operator trusts for that listing (the provider's git host, the `--api-url` host,
each `--clone-host`), and its host may not be, nor resolve to, a loopback,
link-local, private or otherwise non-global address unless the operator says so
(`--allow-private-hosts`). git resolves the name again when it fetches: the
check is made when the listing is read, not at every fetch.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scanner.errors import KeysweepError
from scanner.urlshow import credential_in_query, shown, without_userinfo

SCHEMES = ("https", "ssh", "git", "file")
SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!//)[^\s]+$")
"""`git@host:group/project.git`, which git reads as ssh."""


class UrlRefused(KeysweepError):
    """A clone URL outside the policy."""


@dataclass(frozen=True)
class CloneUrl:
    url: str
    scheme: str
    """The git transport the URL needs (the only one allowed while fetching it)."""


def check_url(text: str, *, allow_http: bool = False) -> CloneUrl:
    """The URL if the policy lets it through, else UrlRefused naming it."""
    url = text.strip()
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        raise UrlRefused(f"{_said(url)!r}: not a clone URL")
    if url.startswith("-"):
        raise UrlRefused(f"{_said(url)}: a URL may not start with '-'")
    if "::" in url.split("/", 1)[0]:
        raise UrlRefused(f"{_said(url)}: transport helpers (<transport>::<address>) are refused")
    if "://" not in url and _scp_password(url):
        raise UrlRefused(
            f"{_said(url)}: a ':' before the '@' (a password) is refused; "
            "write ssh://user@host/path"
        )
    if "://" in url and "@" in url.partition("://")[0]:  # `user:token@https://host/…`
        raise UrlRefused(f"{_said(url)}: user information before the scheme is refused")
    if SCP_LIKE.match(url) and "://" not in url:
        return CloneUrl(url, "ssh")
    try:
        return _with_scheme(url, allow_http)
    except ValueError:  # urlsplit: a bracketed host that does not close, say
        raise UrlRefused(f"{_said(url)}: not a clone URL") from None


@dataclass(frozen=True)
class ListingPolicy:
    """Which clone URLs a code host's listing may name (`check_listed`)."""

    hosts: frozenset[str] = field(default_factory=frozenset)
    """Lower-case host names (or addresses) the operator trusts for this listing."""
    allow_http: bool = False
    allow_private: bool = False


def check_listed(text: str, policy: ListingPolicy) -> CloneUrl:
    """A listed URL if it is https/ssh on a trusted, public host; else UrlRefused."""
    clone = check_url(text, allow_http=policy.allow_http)
    if clone.scheme not in ("https", "ssh", "http"):
        raise UrlRefused(f"{shown(clone.url)}: scheme {clone.scheme!r} is refused in a listing")
    host = url_host(clone)
    if host not in policy.hosts:
        raise UrlRefused(
            f"{shown(clone.url)}: host {host!r} is not the listing's git host "
            "(--clone-host trusts another)"
        )
    if not policy.allow_private and not _public(host):
        raise UrlRefused(
            f"{shown(clone.url)}: host {host!r} is a loopback, link-local or private "
            "address (--allow-private-hosts allows it)"
        )
    return clone


def url_host(clone: CloneUrl) -> str:
    """The host a clone URL connects to, in lower case, without brackets."""
    if "://" not in clone.url:  # `user@host:path`
        return clone.url.partition(":")[0].rpartition("@")[2].lower()
    return (urlsplit(clone.url).hostname or "").lower()


def _public(host: str) -> bool:
    """Whether `host` is, and resolves only to, global addresses (a name that does
    not resolve here is let through: git will fail to reach it too)."""
    return all(address.is_global for address in _addresses(host))


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


def _scp_password(url: str) -> bool:
    """Whether text without `scheme://` has a ':' before an '@' (`user:secret@host:path`)."""
    head, at, _ = url.partition("@")
    return bool(at) and ":" in head


def _with_scheme(url: str, allow_http: bool) -> CloneUrl:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = SCHEMES + (("http",) if allow_http else ())
    if scheme not in allowed:
        hint = " (plain http needs --allow-http)" if scheme == "http" else ""
        raise UrlRefused(f"{shown(url)}: scheme {scheme or 'none'!r} is refused{hint}")
    if parts.password is not None:
        raise UrlRefused(f"{shown(url)}: a URL with a password is refused (use ssh or a token)")
    if credential_in_query(url):
        raise UrlRefused(f"{shown(url)}: a URL with a credential in its query is refused")
    if scheme != "file" and not parts.hostname:
        raise UrlRefused(f"{shown(url)}: no host")
    return CloneUrl(url if scheme == "ssh" else without_userinfo(url), scheme)


def file_url(path: Path) -> CloneUrl:
    """A local repository as a file:// URL (absolute, so every worker reads the same)."""
    return CloneUrl(path.resolve().as_uri(), "file")


def _said(url: str) -> str:
    """`url` for a message about text that may not even parse as a URL: whatever
    sits before its last '@' (after any `scheme://`) is left out."""
    head, at, host = url.rpartition("@")
    if not at:
        return url
    scheme = head[: head.find("://") + 3] if "://" in head else ""
    return f"{scheme}…@{host}"


def repo_name(url: str) -> str:
    """The last part of the URL's path, without `.git` (a work tree: its folder)."""
    path = urlsplit(url).path if "://" in url else url.partition(":")[2]
    parts = [p for p in path.rstrip("/").split("/") if p]
    last = parts[-1] if parts else url
    if last == ".git" and len(parts) > 1:
        last = parts[-2]
    return last.removesuffix(".git") or last
