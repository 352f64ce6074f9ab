"""Organisation listings against recorded API responses (written for these
tests, in the shape of GitHub REST v3, GitLab v4, Gitea v1 and Bitbucket 2.0)
served by a real HTTP server on a free loopback port: paging by Link header
and by `next`, rate limits waited out or reported, errors as one line, and a
token that never leaves the API's own origin."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import git

from scanner.repos import listing, providers, urls

from .conftest import keysweep

API = Path(__file__).parent / "api"


@dataclass
class Answer:
    status: int
    body: str
    """A file in tests/repos/api, or inline JSON."""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedApi:
    """Serves queued answers per request path; remembers each request's headers
    (names in lower case)."""

    routes: dict[str, list[Answer]] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, path: str, *answers: Answer) -> None:
        self.routes.setdefault(path, []).extend(answers)

    def answer(self, path: str) -> Answer:
        queue = self.routes.get(path)
        if not queue:
            return Answer(404, '{"message": "no recorded answer"}')
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(api: RecordedApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            answer = api.answer(self.path)
            source = API / answer.body
            body = source.read_text() if source.suffix == ".json" else answer.body
            data = body.replace("NEXT_PAGE", f"{api.base}/2.0/repositories/team-ws?page=2").encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value.replace("BASE", api.base))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    recorded = RecordedApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorded))
    recorded.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()


GITHUB_FIRST = "/api/orgs/acme/repos?per_page=100&type=all"
GITHUB_SECOND = "/api/organizations/9001/repos?per_page=100&type=all&page=2"


def github_pages(api: RecordedApi, *second: Answer) -> None:
    link = f'<BASE{GITHUB_SECOND}>; rel="next", <BASE{GITHUB_SECOND}>; rel="last"'
    limits = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4998"}
    api.add(GITHUB_FIRST, Answer(200, "github-page1.json", {"Link": link, **limits}))
    api.add(GITHUB_SECOND, *second, Answer(200, "github-page2.json", limits))


def test_a_github_organisation_is_paged_and_a_short_rate_limit_waited_out(
    api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reset = str(int(time.time()) + 1)
    limited = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    github_pages(api, Answer(403, "github-rate-limited.json", limited))
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_recordedtesttoken")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    args = ["--github-org", "acme", "--api-url", f"{api.base}/api", "--allow-http", "--db", db]
    code, out = keysweep("repos", "add", *args, "--clone-host", "GitHub.com")
    assert (code, out.strip()) == (0, "2 repositories added, 0 already known")
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    listed = [(r["url"], r["origin"]) for r in json.loads(out)]
    assert listed == [
        ("https://github.com/acme/billing.git", "github:acme"),
        ("https://github.com/acme/deploy.git", "github:acme"),
    ]
    assert [path for path, _ in api.seen] == [GITHUB_FIRST, GITHUB_SECOND, GITHUB_SECOND]
    assert {h.get("authorization") for _, h in api.seen} == {"Bearer ghs_recordedtesttoken"}
    assert {h.get("x-github-api-version") for _, h in api.seen} == {"2022-11-28"}


def test_archived_repositories_and_forks_are_listed_when_asked(api: RecordedApi) -> None:
    github_pages(api)
    request = providers.ListRequest("github", "acme", f"{api.base}/api", True, True)
    found = providers.list_repositories(request, env={})
    assert [(r.name, r.archived, r.fork) for r in found] == [
        ("acme/billing", False, False),
        ("acme/legacy-portal", True, False),
        ("acme/requests", False, True),
        ("acme/deploy", False, False),
    ]
    assert found[0].ssh_url == "git@github.com:acme/billing.git"
    assert all("authorization" not in h for _, h in api.seen)  # no token: none sent


def test_a_long_rate_limit_stops_the_listing_without_waiting(api: RecordedApi) -> None:
    later = str(int(time.time()) + 3600)
    github_pages(
        api,
        Answer(
            429, "github-rate-limited.json", {"Retry-After": "3600", "X-RateLimit-Reset": later}
        ),
    )
    waits: list[float] = []
    request = providers.ListRequest("github", "acme", f"{api.base}/api")
    with pytest.raises(listing.ListingError, match=r"rate limited \(HTTP 429\) for 3600 s more"):
        providers.list_repositories(request, env={}, sleep=waits.append)
    assert waits == []


def test_an_error_is_one_line_and_adds_nothing(api: RecordedApi, tmp_path: Path) -> None:
    api.add("/api/orgs/nobody/repos?per_page=100&type=all", Answer(404, "github-not-found.json"))
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    args = ["--github-org", "nobody", "--api-url", f"{api.base}/api", "--allow-http", "--db", db]
    code, out = keysweep("repos", "add", *args)
    assert code == 2
    assert out.strip() == f"keysweep: error: {api.base}: HTTP 404 Not Found: Not Found"
    assert keysweep("repos", "list", "--db", db) == (0, "")


def test_a_next_page_on_another_host_is_refused_and_gets_no_token(api: RecordedApi) -> None:
    elsewhere = '<http://127.0.0.2:9/steal?page=2>; rel="next"'
    api.add(GITHUB_FIRST, Answer(200, "github-page1.json", {"Link": elsewhere}))
    request = providers.ListRequest("github", "acme", f"{api.base}/api")
    with pytest.raises(listing.ListingError, match="next page on another host"):
        providers.list_repositories(request, env={"GITHUB_TOKEN": "ghs_secret"})
    assert len(api.seen) == 1


def test_a_gitlab_group_with_subgroups_is_paged_by_link_header(api: RecordedApi) -> None:
    first = "/api/v4/groups/platform/projects?per_page=100&include_subgroups=true"
    second = "/api/v4/groups/platform/projects?per_page=100&include_subgroups=true&page=2"
    limits = {"RateLimit-Limit": "2000", "RateLimit-Remaining": "1999"}
    api.add(
        first, Answer(200, "gitlab-page1.json", {"Link": f'<BASE{second}>; rel="next"', **limits})
    )
    api.add(
        second, Answer(200, "gitlab-page2.json", {"Link": f'<BASE{first}>; rel="first"', **limits})
    )
    request = providers.ListRequest("gitlab", "platform", f"{api.base}/api/v4")
    found = providers.list_repositories(request, env={"GITLAB_TOKEN": "glpat-recorded"})
    assert [r.name for r in found] == ["platform/api"]
    everything = providers.ListRequest("gitlab", "platform", f"{api.base}/api/v4", True, True)
    found = providers.list_repositories(everything, env={})
    assert [(r.name, r.archived, r.fork) for r in found] == [
        ("platform/api", False, False),
        ("platform/tools/api-fork", False, True),
        ("platform/tools/infra", True, False),
    ]
    assert api.seen[0][1].get("private-token") == "glpat-recorded"


def test_a_gitea_organisation_is_paged_until_an_empty_page(api: RecordedApi) -> None:
    first = "/api/v1/orgs/forge/repos?limit=50"
    second = "/api/v1/orgs/forge/repos?limit=50&page=2"
    api.add(first, Answer(200, "gitea-page1.json", {"Link": f'<BASE{second}>; rel="next"'}))
    api.add(second, Answer(200, "gitea-page2.json"))
    request = providers.ListRequest("gitea", "forge", f"{api.base}/api/v1")
    found = providers.list_repositories(request, env={"GITEA_TOKEN": "recorded"})
    assert [r.https_url for r in found] == ["https://gitea.example.test/forge/website.git"]
    assert {h.get("authorization") for _, h in api.seen} == {"token recorded"}


def test_a_bitbucket_workspace_is_paged_by_next_in_the_body(
    api: RecordedApi, tmp_path: Path
) -> None:
    api.add("/2.0/repositories/team-ws?pagelen=100", Answer(200, "bitbucket-page1.json"))
    api.add("/2.0/repositories/team-ws?page=2", Answer(200, "bitbucket-page2.json"))
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    args = ["--bitbucket-workspace", "team-ws", "--api-url", f"{api.base}/2.0", "--allow-http"]
    args += ["--clone-host", "bitbucket.example.test"]
    code, out = keysweep(
        "repos", "add", *args, "--include-forks", "--clone-protocol", "ssh", "--db", db
    )
    assert (code, out.strip()) == (0, "2 repositories added, 0 already known")
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert [(r["url"], r["fork"]) for r in json.loads(out)] == [
        ("git@bitbucket.example.test:team-ws/payments-fork.git", True),
        ("git@bitbucket.example.test:team-ws/payments.git", False),
    ]


def test_an_organisation_listed_again_skips_what_was_removed(
    api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_pages(api)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_recordedtesttoken")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    args = ["--github-org", "acme", "--api-url", f"{api.base}/api", "--allow-http", "--db", db]
    args += ["--clone-host", "github.com"]
    assert keysweep("repos", "add", *args) == (0, "2 repositories added, 0 already known\n")
    code, out = keysweep("repos", "remove", "billing", "--db", db, "--cache", tmp_path / "c")
    assert code == 0, out
    code, out = keysweep("repos", "add", *args)
    assert (code, out.strip()) == (
        0,
        "0 repositories added, 1 already known, 1 removed, skipped (add a URL to bring it back)",
    )
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert [r["url"] for r in json.loads(out)] == ["https://github.com/acme/deploy.git"]
    billing = "https://github.com/acme/billing.git"
    assert keysweep("repos", "add", billing, "--db", db)[0] == 0
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert [r["url"] for r in json.loads(out)] == [billing, "https://github.com/acme/deploy.git"]


def _github_listing(api: RecordedApi, *clone_urls: str) -> None:
    items = [
        {"full_name": f"acme/r{n}", "clone_url": url, "ssh_url": "", "archived": False}
        for n, url in enumerate(clone_urls)
    ]
    api.add(GITHUB_FIRST, Answer(200, json.dumps(items)))


def test_a_listing_names_only_https_or_ssh_urls_on_its_git_host(
    api: RecordedApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile listing names a repository on the worker's own disk (file://, here a
    real repository, as another organisation's mirror in the cache would be), plain
    git://, an internal address and another host: each is refused and reported with
    its reason, none is stored; the one URL on the trusted host is added."""
    local = tmp_path / "elsewhere"
    local.mkdir()
    git(local, "init", "-q", "--bare")
    _github_listing(
        api,
        local.as_uri(),
        "git://github.com/acme/plain.git",
        "https://169.254.169.254/latest/meta-data.git",
        "https://evil.example.test/acme/app.git",
        "https://github.com/acme/app.git",
    )
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_recordedtesttoken")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    base = ["--github-org", "acme", "--api-url", f"{api.base}/api", "--allow-http"]
    code, out = keysweep("repos", "add", *base, "--clone-host", "github.com", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "1 repositories added, 0 already known, 4 refused (not added)"
    assert lines[:-1] == [
        f"keysweep: warning: github:acme acme/r0: {local.as_uri()}: "
        "scheme 'file' is refused in a listing",
        "keysweep: warning: github:acme acme/r1: git://github.com/acme/plain.git: "
        "scheme 'git' is refused in a listing",
        "keysweep: warning: github:acme acme/r2: https://169.254.169.254/latest/meta-data.git: "
        "host '169.254.169.254' is not the listing's git host (--clone-host trusts another)",
        "keysweep: warning: github:acme acme/r3: https://evil.example.test/acme/app.git: "
        "host 'evil.example.test' is not the listing's git host (--clone-host trusts another)",
    ]
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert [r["url"] for r in json.loads(out)] == ["https://github.com/acme/app.git"]


def test_a_private_address_is_refused_even_on_a_trusted_host_unless_allowed(
    api: RecordedApi, tmp_path: Path
) -> None:
    """The API's own host is trusted, but it is loopback here: its clone URLs are
    refused until the operator allows private hosts. JSON output lists the refusals."""
    _github_listing(api, f"{api.base}/acme/app.git", "https://localhost/acme/other.git")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    base = ["--github-org", "acme", "--api-url", f"{api.base}/api", "--allow-http"]
    base += ["--clone-host", "localhost", "--db", db, "--format", "json"]
    code, out = keysweep("repos", "add", *base)
    done = json.loads(out)
    assert (code, done["added"]) == (0, 0)
    assert [(r["name"], r["reason"].split(": ", 1)[1]) for r in done["refused"]] == [
        (
            "acme/r0",
            "host '127.0.0.1' is a loopback, link-local or private address "
            "(--allow-private-hosts allows it)",
        ),
        (
            "acme/r1",
            "host 'localhost' is a loopback, link-local or private address "
            "(--allow-private-hosts allows it)",
        ),
    ]
    code, out = keysweep("repos", "add", *base, "--allow-private-hosts")
    assert (code, json.loads(out)["added"], json.loads(out)["refused"]) == (0, 2, [])


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("git@github.com:acme/app.git", True),
        ("ssh://git@GitHub.com:22/acme/app.git", True),
        ("https://[::1]/acme/app.git", False),
        ("https://[::ffff:127.0.0.1]/acme/app.git", False),
        ("https://10.0.0.8/acme/app.git", False),
        ("git@10.0.0.8:acme/app.git", False),
        ("http://github.com/acme/app.git", False),
    ],
)
def test_the_listing_policy_reads_every_form_of_host(url: str, allowed: bool) -> None:
    hosts = frozenset({"github.com", "::1", "::ffff:127.0.0.1", "10.0.0.8"})
    policy = urls.ListingPolicy(hosts)
    if allowed:
        assert urls.check_listed(url, policy).url == url
    else:
        with pytest.raises(urls.UrlRefused):
            urls.check_listed(url, policy)
