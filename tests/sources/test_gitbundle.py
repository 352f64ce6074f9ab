"""Git bundles under a scan's roots: read as histories, or unscanned content.

A project commits a GitHub token and deletes it, is packed (`git gc`) and
bundled with `--all`; the bundle alone in a folder, beside a clone of the same
project, renamed, cut short, thin, made from a SHA-256 repository, or with a ref
to an object it does not hold. Tokens are generated at test time; every bundle
is made by git.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import checksummed, commit, git

from scanner.cli import cli
from scanner.config import Config
from scanner.model import Item
from scanner.sources import Skipped
from scanner.sources.gitbundle import (
    INDEX_SECONDS,
    BundleError,
    Limits,
    limits_of,
    read_header,
    unpacked,
)
from scanner.sources.gitstores import GitStores
from scanner.unscanned import Unscanned

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Project:
    """A project whose history holds a deleted token, and bundles of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = root / "project"
        self.token = checksummed("ghp_")
        self.commit = ""

    def build(self, object_format: str = "sha1") -> Project:
        self.repo.mkdir(parents=True)
        git(self.repo, "init", "-q", f"--object-format={object_format}")
        commit(self.repo, {"app.py": "print('hello')\n"}, "start")
        self.commit = commit(self.repo, {"deploy/settings.env": f"TOKEN={self.token}\n"}, "add")
        commit(self.repo, {"deploy/settings.env": None}, "remove the token")
        commit(self.repo, {"notes.txt": "nothing here\n"}, "notes")
        git(self.repo, "gc", "-q")
        return self

    def bundle(self, to: Path, *revs: str) -> Path:
        to.parent.mkdir(parents=True, exist_ok=True)
        git(self.repo, "bundle", "create", "-q", str(to), *(revs or ("--all",)))
        return to


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The projects and bundles, and a temporary folder of the module's own, so
    that a repository left behind there would be seen."""
    base = tmp_path_factory.mktemp("bundles")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in IDENTITY.items():
            patch.setenv(key, value)
        patch.setattr(tempfile, "tempdir", str(base / "tmp"))
        (base / "tmp").mkdir()
        project = Project(base).build()
        wide = Project(base / "sha256").build("sha256")
        yield {"base": base, "project": project, "wide": wide}


@pytest.fixture(autouse=True)
def _nothing_left_behind(made: dict[str, Any]) -> Iterator[None]:
    """No temporary repository outlives a test, whether its bundle was read or not."""
    yield
    assert os.listdir(made["base"] / "tmp") == []


def report_of(*argv: str, home: Path | None = None) -> tuple[int, dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        if home is not None:
            patch.setenv("HOME", str(home))
        result = CliRunner().invoke(cli, [*argv, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def places(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for f in report["findings"] for p in f["locations"]]


def unscanned(report: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report["findings"]:
        if finding["rule"] == "unscanned-content":
            found.setdefault(finding["path"], []).append(finding["message"])
    return found


def test_a_sweep_finds_the_deleted_token_in_a_bundle(made: dict[str, Any]) -> None:
    project: Project = made["project"]
    home = made["base"] / "home"
    project.bundle(home / "backups" / "project.bundle")
    code, report = report_of(
        "sweep", str(home / "backups"), "--no-progress", "--normal-priority", home=home
    )
    assert code == 1
    (found,) = [p for p in places(report) if p["rule"] == "vcs.github-pat-classic"]
    assert found["repository"] == "~/backups/project.bundle"
    assert found["path"] == "~/backups/project.bundle/deploy/settings.env"
    assert found["commit"] == project.commit
    assert found["at_head"] is False
    assert unscanned(report) == {}
    text = json.dumps(report)
    assert project.token not in text and project.token[8:] not in text
    assert str(home) not in text


def test_a_scan_finds_it_and_without_history_fails_the_gate(made: dict[str, Any]) -> None:
    project: Project = made["project"]
    folder = made["base"] / "scanned"
    project.bundle(folder / "all.bundle")
    code, report = report_of("scan", str(folder))
    assert code == 1
    (found,) = [p for p in places(report) if p["rule"] == "vcs.github-pat-classic"]
    assert (found["repository"], found["commit"]) == ("all.bundle", project.commit)
    assert found["path"] == "all.bundle/deploy/settings.env"
    assert unscanned(report) == {}
    code, report = report_of("scan", str(folder), "--max-file-size", "200")
    assert [p["commit"] for p in places(report) if p["rule"] == "vcs.github-pat-classic"] == [
        project.commit
    ]
    assert unscanned(report) == {}  # the file is over the limit, its history is read
    code, report = report_of("scan", str(folder), "--no-git-history")
    assert code == 1
    assert [p for p in places(report) if p["rule"] == "vcs.github-pat-classic"] == []
    (message,) = unscanned(report)["all.bundle"]
    assert "git bundle" in message and "*.bundle" in message


def test_a_bundle_beside_a_clone_is_read_once(made: dict[str, Any]) -> None:
    project: Project = made["project"]
    folder = made["base"] / "beside"
    git(made["base"], "clone", "-q", "--no-hardlinks", str(project.repo), str(folder / "a-clone"))
    project.bundle(folder / "b-backup.bundle")
    os.link(folder / "b-backup.bundle", folder / "c-linked.bundle")  # the same file again
    events = list(GitStores([folder]).events())
    items = [e for e in events if isinstance(e, Item) and e.blob_id is not None]  # not messages
    read = [i for i in items if i.data is not None]
    inside = sorted(i.origin.path.split("/", 1)[1] for i in read)
    assert inside == ["app.py", "deploy/settings.env", "notes.txt"]  # from one of the two
    # the other store's copies come as places only, with no bytes: read again only
    # where the scan needs them (`scanner.copies`)
    copies = [i for i in items if i.data is None]
    assert sorted(str(i.blob_id) for i in copies) == sorted(str(i.blob_id) for i in read)
    assert all(i.store is not None for i in copies)
    assert {i.origin.repository for i in copies}.isdisjoint({i.origin.repository for i in read})
    assert [e for e in events if isinstance(e, Skipped)] == []  # the linked name: not opened
    assert [e for e in events if isinstance(e, Unscanned)] == []


def test_what_cannot_be_read_is_unscanned_and_the_rest_goes_on(made: dict[str, Any]) -> None:
    project: Project = made["project"]
    folder = made["base"] / "mixed"
    whole = project.bundle(made["base"] / "whole.bundle").read_bytes()
    folder.mkdir()
    (folder / "renamed.bak").write_bytes(whole)
    (folder / "cut.bundle").write_bytes(whole[: len(whole) // 2])
    project.bundle(folder / "thin.bundle", "HEAD~1..HEAD")
    lying = whole.replace(git(project.repo, "rev-parse", "HEAD").encode(), b"f" * 40, 1)
    (folder / "lying.bundle").write_bytes(lying)
    head = git(project.repo, "rev-parse", "HEAD").encode()
    branch = f" {git(project.repo, 'symbolic-ref', 'HEAD')}\n".encode()
    clash = b" refs/heads/a\n" + head + b" refs/heads/a/b\n"  # one name inside the other
    assert branch in whole
    (folder / "clash.bundle").write_bytes(whole.replace(branch, clash, 1))
    filtered = whole.replace(b"# v2 git bundle\n", b"# v3 git bundle\n@filter=blob:none\n", 1)
    (folder / "filtered.bundle").write_bytes(filtered)  # as git 2.41's `bundle create --filter`
    made["wide"].bundle(folder / "wide.bundle")
    other = checksummed("ghp_")
    (folder / "note.txt").write_text(f"token = {other}\n")
    code, report = report_of("scan", str(folder))
    assert code == 1
    records = unscanned(report)
    assert sorted(records) == [
        "clash.bundle",
        "cut.bundle",
        "filtered.bundle",
        "filtered.bundle/notes.txt",  # a blob the filter left out: read as damaged, so named
        "lying.bundle",
        "renamed.bak",
        "thin.bundle",
    ]
    assert records["clash.bundle"] == ["git bundle not scanned: git update-ref refused its refs"]
    assert "not read" in records["renamed.bak"][0]
    assert "could not index its pack" in records["cut.bundle"][0]
    assert "objects that are not in it" in records["lying.bundle"][0]
    assert ["made with a filter" in m for m in records["filtered.bundle"]] == [True]
    assert any("thin git bundle" in m and "1 prerequisite" in m for m in records["thin.bundle"])
    tokens = {p["path"]: p for p in places(report) if p["rule"] == "vcs.github-pat-classic"}
    assert set(tokens) == {
        "note.txt",
        "wide.bundle/deploy/settings.env",
        "filtered.bundle/deploy/settings.env",  # what it holds is read
    }
    assert tokens["wide.bundle/deploy/settings.env"]["commit"] == made["wide"].commit
    assert other not in json.dumps(report)


def test_index_pack_past_its_time_bound_is_stopped(made: dict[str, Any]) -> None:
    bundle = made["project"].bundle(made["base"] / "slow" / "slow.bundle")
    with (
        pytest.raises(BundleError, match="to index its pack"),
        unpacked(bundle, Limits(1 << 30, 1e-6)),
    ):
        pass
    with pytest.raises(BundleError, match="size limit"), unpacked(bundle, Limits(100, None)):
        pass


def test_a_bundle_is_read_within_what_is_left_of_the_scans_budget(made: dict[str, Any]) -> None:
    """git is given the item bound or what is left of `--max-seconds`, the lesser;
    a budget already spent reads nothing (unscanned content, never a pass)."""
    bundle = made["project"].bundle(made["base"] / "budget" / "budget.bundle")
    now = time.monotonic()
    left, budget = Limits(1, 30.0, now + 5).bound()
    assert left <= 5 and budget
    assert Limits(1, 30.0).bound() == (30.0, False)
    assert Limits(1, None, now + 500).bound() == (INDEX_SECONDS, False)
    spent = Limits(1 << 30, 120.0, now - 1)
    with pytest.raises(BundleError, match="time budget was spent"), unpacked(bundle, spent):
        pass
    soon = Limits(1 << 30, 120.0, time.monotonic() + 1e-6)
    with pytest.raises(BundleError, match="time budget"), unpacked(bundle, soon):
        pass
    config = Config(max_seconds=60.0, archive_max_bytes=1 << 20, item_max_seconds=9.0)
    made_at = time.monotonic()
    limits = limits_of(config)
    assert (limits.max_size, limits.seconds) == (1 << 20, 9.0)
    assert limits.deadline is not None and 60 <= limits.deadline - made_at < 61
    assert limits_of(Config()).deadline is None


@pytest.mark.parametrize(
    "header",
    [
        b"# v2 git bundle\n@object-format=sha256\n\n",  # a capability in version 2
        b"# v3 git bundle\n@unknown=1\n\n",
        b"# v2 git bundle\n" + b"a" * 40 + b" refs/heads/../up\n\n",
        b"# v2 git bundle\n" + b"a" * 40 + b" config\n\n",
        b"# v2 git bundle\n" + b"A" * 40 + b" refs/heads/main\n\n",
        b"# v2 git bundle\n" + b"a" * 40 + b" refs/heads/" + b"x" * 5000 + b"\n\n",
        b"# v2 git bundle\n" + b"a" * 40 + b" refs/heads/main\n",  # no end of header
        b"# v4 git bundle\n\n",
    ],
)
def test_a_malformed_header_is_refused(header: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.bundle"
    path.write_bytes(header + b"PACK")
    with path.open("rb") as handle, pytest.raises(BundleError) as raised:
        read_header(handle)
    assert b"x" * 20 not in str(raised.value).encode()


def test_a_sweep_warns_of_a_thin_bundles_missing_history(made: dict[str, Any]) -> None:
    """What a thin bundle was made without is not on the machine: for a sweep a
    warning, as what a partial clone lacks; what the bundle holds is read."""
    project: Project = made["project"]
    home = made["base"] / "thin-home"
    project.bundle(home / "backups" / "since.bundle", "HEAD~1..HEAD")
    code, report = report_of(
        "sweep", str(home / "backups"), "--no-progress", "--normal-priority", home=home
    )
    records = unscanned(report)
    assert not any("thin git bundle" in m for m in records.get("~/backups/since.bundle", []))
    warned = [e["message"] for e in report["errors"] if e["path"] == "~/backups/since.bundle"]
    assert any("thin git bundle" in m and "1 prerequisite" in m for m in warned), report["errors"]
    code, report = report_of("scan", str(home / "backups"))
    assert code == 1
    assert any("thin git bundle" in m for m in unscanned(report)["since.bundle"])


def test_a_bundle_is_not_copied_where_it_would_fill_the_disk(
    made: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before git writes anything, the pack and its index must leave ROOM_LEFT
    free in the temporary folder (a twentieth of a smaller file system); else
    the bundle is unscanned content saying so, and the disk is left as it was."""
    project: Project = made["project"]
    folder = made["base"] / "full-disk"
    bundle = project.bundle(folder / "backup.bundle")
    mib = 1 << 20
    disk = {"total": 500_000 * mib, "free": 200 * mib}  # a large disk nearly full
    usage = shutil.disk_usage

    def reported(path: Any) -> Any:
        real = usage(path)
        return type(real)(disk["total"], disk["total"] - disk["free"], disk["free"])

    monkeypatch.setattr(shutil, "disk_usage", reported)
    with pytest.raises(BundleError, match="MB free"), unpacked(bundle, Limits(1 << 30, None)):
        pass
    code, report = report_of("scan", str(folder))
    assert code == 1
    (message,) = unscanned(report)["backup.bundle"]
    assert "200 MB free" in message and "leaves 256 MB" in message and "set TMPDIR" in message
    disk.update(total=64 * mib, free=8 * mib)  # a small tmpfs, mostly free
    _, report = report_of("scan", str(folder))
    assert [p["path"] for p in places(report)] == ["backup.bundle/deploy/settings.env"]


def test_a_pack_claiming_more_objects_than_it_can_hold_is_damaged(
    made: dict[str, Any], tmp_path: Path
) -> None:
    whole = made["project"].bundle(tmp_path / "whole.bundle").read_bytes()
    at = whole.index(b"PACK")
    forged = whole[: at + 8] + (0xFFFFFFFF).to_bytes(4, "big") + whole[at + 12 :]
    path = tmp_path / "forged.bundle"
    path.write_bytes(forged)
    limits = Limits(1 << 30, None)
    with pytest.raises(BundleError, match="objects than it can hold"), unpacked(path, limits):
        pass


def test_a_thin_bundles_blobs_are_read_without_their_commits(
    made: dict[str, Any], tmp_path: Path
) -> None:
    """git log stops at a thin bundle's first missing parent, so what it holds
    is read as stored blobs (`<bundle>/unreachable/<id>`, no commit): found,
    never lost; the missing history is unscanned content."""
    project: Project = made["project"]
    folder = tmp_path / "thin"
    project.bundle(folder / "since.bundle", "HEAD~3..HEAD")  # the token's commit and after
    code, report = report_of("scan", str(folder))
    assert code == 1
    tokens = [p for p in places(report) if p["rule"] == "vcs.github-pat-classic"]
    assert [(p["path"].split("/")[:2], p["commit"]) for p in tokens] == [
        (["since.bundle", "unreachable"], None)
    ]
    assert any("1 prerequisite" in m for m in unscanned(report)["since.bundle"])


def test_a_stop_signal_ends_a_wait_for_git_at_once() -> None:
    """SIGTERM while git indexes a bundle: the scan, which only notes the signal
    while its sources list what to scan, stops within a tenth of a second, not
    when git is done (git is then killed on the way out)."""
    import signal
    import subprocess

    from scanner import bounds
    from scanner.sources.gitbundle import _wait
    from scanner.sources.gitsafe import Process

    popen = subprocess.Popen(
        ["sleep", "30"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process = Process(popen)
    try:
        with bounds.StopSignals() as stop:
            os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised: `raise_now` is off
            assert stop.signum == signal.SIGTERM
            started = time.monotonic()
            with pytest.raises(bounds.Interrupted):
                _wait(process, 30.0, budget=False)
            assert time.monotonic() - started < 1
            assert popen.poll() is None  # still running: the caller's `finally` ends it
    finally:
        process.kill()
    assert popen.poll() is not None
