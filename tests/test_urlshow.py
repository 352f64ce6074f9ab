"""URLs in messages and stored clone URLs never carry a user name, password or (in
messages) a query: one module (`scanner.urlshow`) for the client, the repository
listing, the clone URL policy and the mirror."""

from __future__ import annotations

import secrets

from scanner.repos.urls import check_url
from scanner.urlshow import origin, shown, without_userinfo


def test_messages_show_neither_user_information_nor_query() -> None:
    token = secrets.token_urlsafe(24)
    url = f"https://ci-bot:{token}@git.example.test:8443/org/app.git?private_token={token}#frag"
    assert shown(url) == "https://git.example.test:8443/org/app.git"
    assert origin(url) == "https://git.example.test:8443"
    assert without_userinfo(url) == (
        f"https://git.example.test:8443/org/app.git?private_token={token}#frag"
    )
    for text in (shown(url), origin(url)):
        assert token not in text and "ci-bot" not in text


def test_ipv6_hosts_keep_their_brackets_and_a_bad_port_is_left_out() -> None:
    assert shown("http://user:pw@[::1]:8080/api") == "http://[::1]:8080/api"
    assert origin("https://[2001:db8::7]/x") == "https://[2001:db8::7]"
    assert shown("https://tok@host.example.test:notaport/p") == "https://host.example.test/p"


def test_a_url_without_user_information_is_kept_as_it_is() -> None:
    url = "https://git.example.test/org/app.git?ref=main"
    assert without_userinfo(url) == url


def test_a_stored_clone_url_drops_only_the_user_name() -> None:
    stored = check_url("https://deploy@git.example.test/org/app.git", allow_http=False)
    assert stored.url == "https://git.example.test/org/app.git"


def test_user_information_before_the_scheme_is_left_out() -> None:
    """`urlsplit` reads such text as all path; what precedes the last '@' goes."""
    token = secrets.token_urlsafe(18)
    assert shown(f"ci:{token}@https://git.example.test/org/app.git") == (
        "https://git.example.test/org/app.git"
    )
    assert token not in shown(f"deploy:{token}@git.example.test:grp/x://p.git")
