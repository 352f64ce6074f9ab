"""GitSource on real repositories: attribution, refs, ranges, the staged index,
bare and shallow repositories, submodules and corrupt objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import TOKEN_RULE, token

from scanner.cli import cli
from scanner.errors import SourceError
from scanner.model import Item, ScanWarning, SourceKind
from scanner.sources import Skipped, SkipReason
from scanner.sources.git import GitSource

AUTHOR = "Test Author <author@example.test>"


def run_git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def commit(repo: Path, files: Mapping[str, str | None], message: str = "change") -> str:
    """Write (or delete, for None) files and commit them with gitpython; the commit id."""
    import git

    with git.Repo(repo) as handle:
        removed = [name for name, text in files.items() if text is None]
        if removed:
            handle.index.remove(removed, working_tree=True)
        written = [name for name, text in files.items() if text is not None]
        for name in written:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(files[name] or "")
        if written:
            handle.index.add(written)
        return str(handle.index.commit(message, skip_hooks=True).hexsha)


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(TOKEN_RULE)
    return path


@pytest.fixture
def scan_git(rule_file: Path) -> Callable[..., tuple[int, dict[str, Any]]]:
    """scan_git(repo, *options) → (exit code, JSON report) through the real CLI."""

    def _scan(repo: Path, *options: str) -> tuple[int, dict[str, Any]]:
        args = ["git", str(repo), "--no-builtin-rules", "--rules", str(rule_file)]
        result = CliRunner().invoke(cli, [*args, "--format", "json", "-j", "1", *options])
        assert result.exit_code in (0, 1), result.stderr
        return result.exit_code, json.loads(result.stdout)

    return _scan


def events(source: GitSource) -> tuple[list[Item], list[ScanWarning], list[Skipped]]:
    """The blobs' items (not the commits' messages: `test_gitmessages.py`), errors and skips."""
    items, errors, skipped = [], [], []
    for event in source.events():
        if isinstance(event, Item):
            if event.blob_id is not None:
                items.append(event)
        elif isinstance(event, ScanWarning):
            errors.append(event)
        else:
            skipped.append(event)
    return items, errors, skipped


def test_deleted_key_is_found_with_its_introducing_commit(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    repo = make_repo()
    secret = token()
    commit(repo, {"readme.md": "hello\n"}, "first")
    introduced = commit(repo, {"app/config.ini": f"[svc]\nurl = x\nkey = {secret}\n"}, "add config")
    commit(repo, {"readme.md": "hello again\n"}, "unrelated")
    commit(repo, {"app/config.ini": None}, "remove the key")

    code, report = scan_git(repo)

    assert code == 1
    (finding,) = report["findings"]
    assert finding["path"] == "app/config.ini"
    assert (finding["line"], finding["column"]) == (3, 7)
    assert finding["commit"] == introduced
    assert finding["author"] == AUTHOR
    assert finding["date"].startswith(run_git(repo, "show", "-s", "--format=%aI", introduced)[:19])
    assert finding["at_head"] is False
    assert finding["source"] == "git"


def test_a_key_still_at_head_is_marked_so(make_repo: Callable[..., Path], scan_git: Any) -> None:
    repo = make_repo()
    introduced = commit(repo, {"a.txt": f"{token()}\n"}, "add")
    commit(repo, {"b.txt": "other\n"}, "more")
    (finding,) = scan_git(repo)[1]["findings"]
    assert (finding["commit"], finding["at_head"]) == (introduced, True)


def test_credentials_only_on_a_branch_or_a_tag_are_found(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    repo = make_repo()
    commit(repo, {"readme.md": "main\n"})
    run_git(repo, "checkout", "-q", "-b", "feature")
    on_branch = commit(repo, {"feature.env": f"TOKEN={token()}\n"}, "feature work")
    run_git(repo, "checkout", "-q", "main")
    on_tag = commit(repo, {"release.env": f"TOKEN={token()}\n"}, "release")
    run_git(repo, "tag", "-a", "v1", "-m", "v1")
    run_git(repo, "reset", "-q", "--hard", "HEAD~1")

    findings = scan_git(repo)[1]["findings"]

    assert {(f["path"], f["commit"]) for f in findings} == {
        ("feature.env", on_branch),
        ("release.env", on_tag),
    }
    assert all(f["at_head"] is False for f in findings)


def test_a_stashed_credential_is_found(make_repo: Callable[..., Path], scan_git: Any) -> None:
    repo = make_repo()
    commit(repo, {"settings.py": "DEBUG = True\n"})
    (repo / "settings.py").write_text(f"DEBUG = True\nTOKEN = '{token()}'\n")
    run_git(repo, "stash", "-q")
    (finding,) = scan_git(repo)[1]["findings"]
    assert (finding["path"], finding["line"]) == ("settings.py", 2)


def _fast_import(repo: Path, stream: str) -> None:
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.encode(), check=True)


def test_the_same_blob_in_a_thousand_commits_is_read_once(make_repo: Callable[..., Path]) -> None:
    """A secret file flips back and forth and is copied around in 1,000 commits."""
    repo = make_repo()
    secret = f"key = {token()}\n"
    parts = []
    for n in range(1000):
        content = secret if n % 2 == 0 else f"placeholder {n}\n"
        parts.append(
            f"commit refs/heads/main\ncommitter T <t@example.test> {1_600_000_000 + n} +0000\n"
            f"data 3\nc{n % 10}\n"
            f"M 100644 inline secret.txt\ndata {len(content)}\n{content}\n"
            f"M 100644 inline copies/c{n % 50}.txt\ndata {len(secret)}\n{secret}\n"
        )
    _fast_import(repo, "".join(parts))
    first = run_git(repo, "rev-list", "--max-parents=0", "HEAD")

    source = GitSource(repo)
    items, errors, _ = events(source)

    secret_items = [i for i in items if i.data == secret.encode()]
    assert len(secret_items) == 1
    assert secret_items[0].origin.commit == first
    assert secret_items[0].origin.path in {"secret.txt", "copies/c0.txt"}
    assert len({i.blob_id for i in items}) == len(items) == 1 + 500
    assert source.blobs_read == len(items)
    assert errors == []


def test_since_scans_only_what_new_commits_introduced(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    repo = make_repo()
    commit(repo, {"old.env": f"T={token()}\n", "big.txt": "x\n" * 1000})
    base = run_git(repo, "rev-parse", "HEAD")
    run_git(repo, "checkout", "-q", "-b", "pr")
    new = commit(repo, {"new.env": f"T={token()}\n"}, "pr change")
    commit(repo, {"notes.md": "clean\n"}, "pr docs")

    _, report = scan_git(repo, "--since", base)
    assert [(f["path"], f["commit"]) for f in report["findings"]] == [("new.env", new)]
    assert report["summary"]["items_scanned"] == 2 + 2  # and the two commits' messages

    _, ranged = scan_git(repo, "--range", f"{base}..{new}")
    assert [f["path"] for f in ranged["findings"]] == ["new.env"]
    assert ranged["summary"]["items_scanned"] == 1 + 1  # and its message

    _, main_only = scan_git(repo, "--branch", "main")
    assert [f["path"] for f in main_only["findings"]] == ["old.env"]


def test_an_unknown_revision_is_a_usage_error(
    make_repo: Callable[..., Path], rule_file: Path
) -> None:
    repo = make_repo()
    commit(repo, {"a.txt": "a\n"})
    for option in ("--since", "--branch"):
        result = CliRunner().invoke(cli, ["git", str(repo), option, "no-such-rev"])
        assert result.exit_code == 2
        assert "unknown revision 'no-such-rev'" in result.stderr
    result = CliRunner().invoke(cli, ["git", str(repo), "--range", "--output=x..HEAD"])
    assert result.exit_code == 2


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["git", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a git repository" in result.stderr


def test_staged_sees_the_index_not_the_working_tree(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    repo = make_repo()
    commit(repo, {"app.py": "import os\n"})
    staged = token()
    (repo / "app.py").write_text(f"import os\n\n# config\nTOKEN = '{staged}'\n")
    run_git(repo, "add", "app.py")
    (repo / "app.py").write_text("import os\n")
    (repo / "unstaged.env").write_text(f"T={token()}\n")
    (repo / "committed.env").write_text("nothing\n")

    code, report = scan_git(repo, "--staged")

    assert code == 1
    (finding,) = report["findings"]
    assert (finding["path"], finding["line"], finding["column"]) == ("app.py", 4, 10)
    assert finding["source"] == "staged"
    assert finding["commit"] is None and finding["at_head"] is None


def test_staged_works_before_the_first_commit(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    (repo / "first.env").write_text(f"T={token()}\n")
    run_git(repo, "add", "first.env")
    items, errors, _ = events(GitSource(repo, staged=True))
    assert [(i.origin.path, i.origin.source) for i in items] == [("first.env", SourceKind.STAGED)]
    assert errors == []


def test_a_bare_repository_is_scanned(
    make_repo: Callable[..., Path], tmp_path: Path, scan_git: Any
) -> None:
    repo = make_repo()
    introduced = commit(repo, {"k.env": f"T={token()}\n"})
    bare = tmp_path / "bare.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    (finding,) = scan_git(bare)[1]["findings"]
    assert (finding["path"], finding["commit"], finding["at_head"]) == ("k.env", introduced, True)
    with pytest.raises(SourceError, match="bare repository"):
        GitSource(bare, staged=True)


def test_a_shallow_clone_is_scanned_to_its_boundary(
    make_repo: Callable[..., Path], tmp_path: Path, scan_git: Any
) -> None:
    repo = make_repo()
    commit(repo, {"old.env": f"T={token()}\n"})
    commit(repo, {"old.env": None})
    commit(repo, {"head.env": f"T={token()}\n"})
    boundary = commit(repo, {"readme.md": "x\n"})
    shallow = tmp_path / "shallow"
    run_git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))

    _, report = scan_git(shallow)

    assert [(f["path"], f["commit"]) for f in report["findings"]] == [("head.env", boundary)]
    assert report["errors"] == []


def test_submodules_are_skipped_not_followed(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    commit(repo, {"a.txt": "a\n"})
    fake = "1234567890abcdef1234567890abcdef12345678"
    run_git(repo, "update-index", "--add", "--cacheinfo", f"160000,{fake},vendor/lib")
    run_git(repo, "commit", "-q", "-m", "submodule")
    items, errors, skipped = events(GitSource(repo))
    assert [i.origin.path for i in items] == ["a.txt"]
    assert Skipped("vendor/lib", SkipReason.SUBMODULE) in skipped
    assert errors == []


def _object_file(repo: Path, sha: str) -> Path:
    return repo / ".git" / "objects" / sha[:2] / sha[2:]


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_a_corrupt_object_is_unscanned_content_and_the_scan_goes_on(
    make_repo: Callable[..., Path], scan_git: Any, damage: str
) -> None:
    repo = make_repo()
    commit(repo, {"lost.env": f"T={token()}\n"}, "first")
    kept = commit(repo, {"kept.env": f"T={token()}\n", "z.txt": "tail\n"}, "second")
    lost = run_git(repo, "rev-parse", "HEAD:lost.env")
    target = _object_file(repo, lost)
    target.chmod(0o644)
    if damage == "delete":
        target.unlink()
    else:
        target.write_bytes(b"x\x9c garbage that does not inflate")

    code, report = scan_git(repo)

    assert code == 1
    found = [(f["rule"], f["path"], f["commit"]) for f in report["findings"]]
    assert found == [
        ("test.kswtest-token", "kept.env", kept),
        ("unscanned-content", "lost.env", None),
    ]
    (error,) = report["errors"]
    assert error["path"] == "lost.env" and lost in error["message"]
    assert report["findings"][1]["message"] == error["message"]
    assert "T=" not in error["message"]  # the blob, never its bytes
    assert report["summary"]["items_scanned"] == 2 + 2  # the two blobs git could give, 2 messages


def test_all_objects_adds_dangling_commits_and_blobs(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    repo = make_repo()
    commit(repo, {"a.txt": "a\n"})
    dropped = commit(repo, {"dropped.env": f"T={token()}\n"}, "oops")
    run_git(repo, "reset", "-q", "--hard", "HEAD~1")
    run_git(repo, "reflog", "expire", "--expire=now", "--all")
    loose = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo,
        input=f"T={token()}\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert scan_git(repo)[1]["findings"] == []
    findings = scan_git(repo, "--all-objects")[1]["findings"]

    assert {(f["path"], f["commit"]) for f in findings} == {
        ("dropped.env", dropped),
        (f"unreachable/{loose}", None),
    }


def test_excluded_paths_are_never_read(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    commit(repo, {"fixtures/key.env": f"T={token()}\n", "src/a.py": "x = 1\n"})
    items, _, skipped = events(GitSource(repo, exclude=("fixtures/",)))
    assert [i.origin.path for i in items] == ["src/a.py"]
    assert Skipped("fixtures/key.env", SkipReason.EXCLUDED) in skipped


def test_oversized_blobs_are_skipped_with_a_warning(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    commit(repo, {"big.bin": "y" * 5000, "small.txt": "s\n"})
    items, errors, skipped = events(GitSource(repo, max_file_size=1000))
    assert [i.origin.path for i in items] == ["small.txt"]
    assert Skipped("big.bin", SkipReason.TOO_LARGE) in skipped
    assert "size limit" in errors[0].message


def test_a_blob_born_in_a_merge_is_attributed_to_the_merge(make_repo: Callable[..., Path]) -> None:
    repo = make_repo()
    commit(repo, {"conf.ini": "a = 1\n"})
    run_git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"conf.ini": "a = 2\n"})
    run_git(repo, "checkout", "-q", "main")
    commit(repo, {"conf.ini": "a = 3\n"})
    subprocess.run(["git", "merge", "-q", "side"], cwd=repo, capture_output=True)
    (repo / "conf.ini").write_text("a = resolved\n")
    run_git(repo, "add", "conf.ini")
    run_git(repo, "commit", "-q", "--no-edit")
    merge = run_git(repo, "rev-parse", "HEAD")
    items, _, _ = events(GitSource(repo))
    (resolved,) = [i for i in items if i.data == b"a = resolved\n"]
    assert resolved.origin.commit == merge


def test_index_file_from_the_environment_is_honoured(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`git commit -a` runs hooks with GIT_INDEX_FILE naming a temporary index."""
    repo = make_repo()
    commit(repo, {"a.txt": "a\n"})
    other = repo / ".git" / "other-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(other)}
    subprocess.run(["git", "read-tree", "HEAD"], cwd=repo, env=env, check=True)
    (repo / "b.env").write_text("T=1\n")
    subprocess.run(["git", "add", "b.env"], cwd=repo, env=env, check=True)
    assert events(GitSource(repo, staged=True))[0] == []
    monkeypatch.setenv("GIT_INDEX_FILE", str(other))
    assert [i.origin.path for i in events(GitSource(repo, staged=True))[0]] == ["b.env"]


def test_a_history_large_enough_for_the_worker_pool_finishes(
    make_repo: Callable[..., Path], rule_file: Path
) -> None:
    """Workers forked after cat-file started hold its stdin: the scan must still end."""
    repo = make_repo()
    planted = {
        f"f{n:03}.txt": (f"T={token()}\n" if n % 40 == 0 else f"n = {n}\n") for n in range(120)
    }
    commit(repo, planted, "many files")
    keysweep = Path(sys.executable).parent / "keysweep"
    done = subprocess.run(
        [str(keysweep), "git", str(repo), "--no-builtin-rules", "--rules", str(rule_file),
         "--format", "json", "-j", "2"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert sorted(f["path"] for f in report["findings"]) == ["f000.txt", "f040.txt", "f080.txt"]
    assert report["summary"]["items_scanned"] == 120 + 1  # and the commit's message


def test_a_damaged_tree_does_not_hide_older_history(
    make_repo: Callable[..., Path], scan_git: Any
) -> None:
    """git log dies on the unreadable tree; the commits beyond it are read one by one."""
    repo = make_repo()
    introduced = commit(repo, {"old.env": f"T={token()}\n", "d/x.txt": "x\n"}, "old")
    commit(repo, {"d/y.txt": "y\n"}, "damaged")
    commit(repo, {"z.txt": "z\n"}, "new")
    tree = run_git(repo, "rev-parse", "HEAD~1:d")
    _object_file(repo, tree).unlink()

    code, report = scan_git(repo)

    assert code == 1
    assert [(f["path"], f["commit"]) for f in report["findings"]] == [("old.env", introduced)]
    (error,) = report["errors"]
    assert "git log stopped early" in error["message"] and tree in error["message"]


def test_a_history_git_can_list_nothing_of_is_exit_2(
    make_repo: Callable[..., Path], rule_file: Path
) -> None:
    """Every commit gone: git log fails and no blob is left to read. A green gate
    there would mean "could not scan"."""
    repo = make_repo()
    tip = commit(repo, {"a.env": f"T={token()}\n"}, "one")
    for sha in [run_git(repo, "rev-parse", name) for name in ("HEAD", "HEAD:a.env", "HEAD^{tree}")]:
        _object_file(repo, sha).unlink()
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "git", str(repo), "--no-builtin-rules",
         "--rules", str(rule_file)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "git could list nothing to scan" in done.stderr
    assert tip[:7] not in done.stdout
