"""Code hosts whose API lists an organisation's repositories: one table.

Each provider names its default API, the environment variable holding its
token, how to ask for the first page, how to authenticate, and how to read one
repository out of a page. Written against GitHub REST v3 (`GET
/orgs/{org}/repos`, Link paging, `X-RateLimit-*`), GitLab v4 (`GET
/groups/{id}/projects` with subgroups, Link paging, `RateLimit-*`), Gitea and
Forgejo v1 (`GET /orgs/{org}/repos`, Link paging) and Bitbucket Cloud 2.0
(`GET /repositories/{workspace}`, `next` in the body). Adding a host is a
`Provider` and one line in `PROVIDERS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from scanner.errors import KeysweepError
from scanner.repos import listing


@dataclass(frozen=True)
class Listed:
    """One repository as the host describes it."""

    name: str
    https_url: str
    ssh_url: str
    archived: bool
    fork: bool


@dataclass(frozen=True)
class Provider:
    api: str
    token_env: str
    first_page: Callable[[str, str], str]
    """(api, organisation) → the first page's URL."""
    auth: Callable[[str], dict[str, str]]
    parse: Callable[[Any], Listed | None]
    items: Callable[[Any], list[Any]]
    git_hosts: tuple[str, ...] = ()
    """Where the default API's repositories are cloned from."""


def _list_body(body: Any) -> list[Any]:
    return body if isinstance(body, list) else []


def _values(body: Any) -> list[Any]:
    values = body.get("values") if isinstance(body, dict) else None
    return values if isinstance(values, list) else []


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _github_like(item: Any) -> Listed | None:
    if not isinstance(item, dict):
        return None
    return Listed(
        name=_text(item, "full_name"),
        https_url=_text(item, "clone_url"),
        ssh_url=_text(item, "ssh_url"),
        archived=bool(item.get("archived")),
        fork=bool(item.get("fork")),
    )


def _gitlab(item: Any) -> Listed | None:
    if not isinstance(item, dict):
        return None
    return Listed(
        name=_text(item, "path_with_namespace"),
        https_url=_text(item, "http_url_to_repo"),
        ssh_url=_text(item, "ssh_url_to_repo"),
        archived=bool(item.get("archived")),
        fork=item.get("forked_from_project") is not None,
    )


def _bitbucket(item: Any) -> Listed | None:
    if not isinstance(item, dict):
        return None
    links = item.get("links")
    clones = links.get("clone") if isinstance(links, dict) else None
    clones = clones if isinstance(clones, list) else []
    by_name = {c.get("name"): c.get("href") for c in clones if isinstance(c, dict)}
    return Listed(
        name=_text(item, "full_name"),
        https_url=str(by_name.get("https") or ""),
        ssh_url=str(by_name.get("ssh") or ""),
        archived=False,
        fork=item.get("parent") is not None,
    )


PROVIDERS: dict[str, Provider] = {
    "github": Provider(
        api="https://api.github.com",
        token_env="GITHUB_TOKEN",
        first_page=lambda api, org: f"{api}/orgs/{quote(org, safe='')}/repos?per_page=100&type=all",
        auth=lambda token: {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        parse=_github_like,
        items=_list_body,
        git_hosts=("github.com",),
    ),
    "gitlab": Provider(
        api="https://gitlab.com/api/v4",
        token_env="GITLAB_TOKEN",
        first_page=lambda api, group: (
            f"{api}/groups/{quote(group, safe='')}/projects?per_page=100&include_subgroups=true"
        ),
        auth=lambda token: {"PRIVATE-TOKEN": token},
        parse=_gitlab,
        items=_list_body,
        git_hosts=("gitlab.com",),
    ),
    "gitea": Provider(
        api="https://gitea.com/api/v1",
        token_env="GITEA_TOKEN",
        first_page=lambda api, org: f"{api}/orgs/{quote(org, safe='')}/repos?limit=50",
        auth=lambda token: {"Authorization": f"token {token}"},
        parse=_github_like,
        items=_list_body,
        git_hosts=("gitea.com",),
    ),
    "bitbucket": Provider(
        api="https://api.bitbucket.org/2.0",
        token_env="BITBUCKET_TOKEN",
        first_page=lambda api, ws: f"{api}/repositories/{quote(ws, safe='')}?pagelen=100",
        auth=lambda token: {"Authorization": f"Bearer {token}"},
        parse=_bitbucket,
        items=_values,
        git_hosts=("bitbucket.org",),
    ),
}


@dataclass(frozen=True)
class ListRequest:
    provider: str
    organisation: str
    api: str | None = None
    include_archived: bool = False
    include_forks: bool = False


def list_repositories(
    request: ListRequest,
    *,
    env: Mapping[str, str] = os.environ,
    sleep: listing.Sleep | None = None,
) -> list[Listed]:
    """Every repository of the organisation the token may see, filtered; all or nothing."""
    provider = PROVIDERS[request.provider]
    api = (request.api or provider.api).rstrip("/")
    headers = {"User-Agent": "keysweep"} | _auth(provider, env)
    first = provider.first_page(api, request.organisation)
    found = list(_walk(provider, first, headers, sleep))
    return [r for r in found if _wanted(r, request)]


def _auth(provider: Provider, env: Mapping[str, str]) -> dict[str, str]:
    token = env.get(provider.token_env, "").strip()
    return provider.auth(token) if token else {}


def _walk(
    provider: Provider, first: str, headers: dict[str, str], sleep: listing.Sleep | None
) -> Iterator[Listed]:
    kwargs = {"sleep": sleep} if sleep is not None else {}
    for page in listing.pages(first, headers, **kwargs):
        for item in provider.items(page.body):
            listed = provider.parse(item)
            if listed is not None and (listed.https_url or listed.ssh_url):
                yield listed


def _wanted(listed: Listed, request: ListRequest) -> bool:
    if listed.archived and not request.include_archived:
        return False
    return request.include_forks or not listed.fork


def clone_hosts(provider: str, api: str | None) -> frozenset[str]:
    """The hosts a listing's clone URLs may name: the provider's git host for its
    default API, else the host of the API the operator named."""
    if not api or api.rstrip("/") == PROVIDERS[provider].api:
        return frozenset(PROVIDERS[provider].git_hosts)
    return frozenset({(urlsplit(api).hostname or "").lower()})


def check_api(url: str, *, allow_http: bool) -> str:
    """An API base URL must be https (plain http only with --allow-http): it gets the token."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "https" or (scheme == "http" and allow_http):
        return url
    raise KeysweepError(f"{url}: the API URL must be https (plain http needs --allow-http)")
