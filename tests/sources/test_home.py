"""The sweep source walks the key places first, each file once, and skips what
the sweep excludes; budgets, priority and the progress line behave."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.config import Config
from scanner.model import Item, ScanWarning
from scanner.priority import current_io_class, lower_priority
from scanner.progress import ProgressLine, progress_for
from scanner.sources.home import HomeSource, rebase

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _tree(root: Path, files: list[str]) -> None:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"contents of {rel}\n")


def _paths(source: HomeSource) -> list[str]:
    return [e.origin.path for e in source.events() if isinstance(e, Item)]


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home" if (tmp_path / "home").exists() else tmp_path))


def test_key_places_come_first_and_nothing_is_walked_twice(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "aaa-project/app.py",
            ".config/gcloud/credentials.db",
            ".config/other.toml",
            ".ssh/id_rsa",
            ".npmrc",
            "Downloads/keys.zip",
            ".config/google-chrome/Default/Cookies",
            "code/node_modules/pkg/index.js",
        ],
    )
    source = HomeSource(home=tmp_path, exclude=Config().sweep_exclude)
    paths = _paths(source)
    assert paths == [
        "~/.ssh/id_rsa",
        "~/.config/gcloud/credentials.db",
        "~/.npmrc",
        "~/.config/other.toml",
        "~/Downloads/keys.zip",
        "~/aaa-project/app.py",
    ]
    assert source.walked == [".ssh", ".config/gcloud", ".npmrc", ".config", "Downloads"]
    assert source.roots == ("~",)


def test_excludes_are_rebased_onto_each_key_place() -> None:
    globs = ["**/.config/google-chrome/**", "**/.cache/**", "/.config/x/", "*.iso", "/Music/"]
    assert rebase(globs, ".config") == (
        "**/.config/google-chrome/**",
        "/google-chrome/**",
        "**/.cache/**",
        "/x/",
        "*.iso",
    )


def test_extra_roots_follow_the_home_and_no_home_sweeps_only_them(tmp_path: Path) -> None:
    home, extra = tmp_path / "home", tmp_path / "srv"
    _tree(home, [".ssh/id_rsa"])
    os.environ["HOME"] = str(home)
    _tree(extra, ["deploy/key.pem", "node_modules/x.js"])
    both = HomeSource(home=home, extra_roots=[extra], exclude=Config().sweep_exclude)
    assert _paths(both) == ["~/.ssh/id_rsa", (extra / "deploy/key.pem").as_posix()]
    only = HomeSource(home=home, extra_roots=[extra], include_home=False)
    assert only.roots == (extra.as_posix(),)


@pytest.mark.skipif(IS_ROOT, reason="root reads folders whatever their mode")
def test_an_unreadable_config_folder_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    _tree(tmp_path, [".config/gcloud/creds.json", "notes.txt"])
    (tmp_path / ".config").chmod(0)
    try:
        events = list(HomeSource(home=tmp_path).events())
    finally:
        (tmp_path / ".config").chmod(0o700)
    assert any(isinstance(e, ScanWarning) and "cannot list folder" in e.message for e in events)
    assert "~/notes.txt" in [e.origin.path for e in events if isinstance(e, Item)]


def test_files_carry_mode_and_owner(tmp_path: Path) -> None:
    _tree(tmp_path, [".ssh/id_rsa"])
    (tmp_path / ".ssh/id_rsa").chmod(0o640)
    [item] = [e for e in HomeSource(home=tmp_path).events() if isinstance(e, Item)]
    assert item.origin.file_mode == "0o640"
    assert item.origin.file_owner


def _sweep(home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(cli, ["sweep", "--no-progress", *args], env={"HOME": str(home)})
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = {}
    return result.exit_code, report, result.output


def test_a_byte_budget_ends_the_sweep_with_a_partial_report(tmp_path: Path) -> None:
    _tree(tmp_path, [f"notes/{i:03}.txt" for i in range(200)])
    code, report, out = _sweep(tmp_path, "--max-bytes", "100", "-j", "1")
    assert code == 1, out  # fail closed: what the budget left unread is a finding
    assert [f["rule"] for f in report["findings"]] == ["unscanned-content"]
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["partial"] is True
    assert "byte budget of 100" in summary["partial_reason"]
    assert summary["meta"]["partial"] is True
    assert summary["items_scanned"] < 200


def test_a_time_budget_ends_the_sweep_in_time(tmp_path: Path) -> None:
    line = b"export API_TOKEN=not-a-real-token-just-text " * 40 + b"\n"
    for i in range(600):
        folder = tmp_path / f"proj{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i}.txt").write_bytes(line * 200)
    started = time.monotonic()
    _, report, out = _sweep(tmp_path, "--max-seconds", "0.2", "-j", "1")
    elapsed = time.monotonic() - started
    summary = report["summary"]
    assert isinstance(summary, dict), out
    assert summary["partial"] is True
    assert "time budget" in summary["partial_reason"]
    assert elapsed < 15


def test_following_symlinks_reports_a_loop_and_ends(tmp_path: Path) -> None:
    _tree(tmp_path, ["a/b/file.txt"])
    (tmp_path / "a/b/up").symlink_to(tmp_path / "a", target_is_directory=True)
    _, report, out = _sweep(tmp_path, "--follow-symlinks")
    errors = report["errors"]
    assert isinstance(errors, list), out
    assert any("symlink loop" in e["message"] for e in errors)


def test_no_home_needs_a_root(tmp_path: Path) -> None:
    code, _, out = _sweep(tmp_path, "--no-home")
    assert code == 2
    assert "--no-home needs at least one ROOT" in out


def test_the_sweep_reads_no_config_from_the_swept_home(tmp_path: Path) -> None:
    _tree(tmp_path, ["notes.txt"])
    (tmp_path / ".keysweep.yaml").write_text("exclude: ['**']\nbogus_key: 1\n")
    code, report, out = _sweep(tmp_path, "--no-home", str(tmp_path))
    assert code == 0, out
    assert report["summary"]["items_scanned"] >= 1


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX priority only")
def test_lower_priority_reaches_the_lowest_cpu_and_io_priority() -> None:
    def child() -> None:
        lower_priority()
        lower_priority()  # twice is harmless
        io_class = current_io_class()
        ok = os.nice(0) == 19 and io_class in (None, 3)
        os._exit(0 if ok else 1)

    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        child()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_progress_line_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_for(None, io.StringIO()) is None
    assert progress_for(True, io.StringIO()) is not None
    terminal = Tty()
    line = progress_for(None, terminal)
    assert isinstance(line, ProgressLine)
    line(10, 5 * 1024 * 1024)
    line.close()
    text = terminal.getvalue()
    assert "10 files, 5.0 MB" in text
    assert text.endswith("\r\x1b[2K")
