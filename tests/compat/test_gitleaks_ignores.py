"""gitleaks users' suppressions: `gitleaks:allow` comments and `.gitleaksignore`
fingerprints (matched by file and line, and commit when given: gitleaks' rule
ids are not keysweep's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from compat.support import ALNUM, keysweep, random_text, report
from support import git

from scanner.compat.gitleaksignore import Fingerprint, load


def _secret_line(name: str = "AWS_SECRET_ACCESS_KEY") -> str:
    return f'{name} = "{random_text(ALNUM, 40)}"'


def _scan(*args: str) -> dict[str, Any]:
    return report(keysweep(*args, "--format", "json"))


def test_gitleaks_allow_comment_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        f"{_secret_line()}  # gitleaks:allow\n"
        f"# gitleaks:allow\n{_secret_line('AWS_SECRET_KEY')}\n"
        f"{_secret_line('OTHER_AWS_SECRET_ACCESS_KEY')}\n"
    )
    result = keysweep("scan", str(tmp_path), "--format", "json")
    lines = [f["line"] for f in report(result)["findings"]]
    assert lines == [4]
    assert report(result)["summary"]["suppressed"]["inline"] == 2
    (tmp_path / "app.py").write_text(f"{_secret_line()}  // gitleaks:allow\n")
    assert keysweep("scan", str(tmp_path)).exit_code == 0  # an annotated file is clean


def test_gitleaksignore_beside_the_config(make_repo: object) -> None:
    repo: Path = make_repo()  # type: ignore[operator]
    (repo / "a.py").write_text(f"{_secret_line()}\n")
    (repo / "b.py").write_text(f"x = 1\n{_secret_line()}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "c.py").write_text(f"{_secret_line()}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    (repo / ".keysweep.yaml").write_text("fail_on: medium\n")
    (repo / ".gitleaksignore").write_text(
        "# accepted before the switch\n"
        f"{first}:a.py:aws-access-token:1\n"  # a history fingerprint
        "b.py:generic-api-key:2\n"  # a folder-scan fingerprint
        f"{first}:c.py:aws-access-token:1\n"  # c.py came in another commit
    )
    history = _scan("git", str(repo))
    assert {f["path"] for f in history["findings"]} == {"c.py"}
    files = _scan("scan", str(repo), "--no-git-history")
    assert {f["path"] for f in files["findings"]} == {"a.py", "c.py"}


def test_fingerprints_parse_and_bad_lines_are_one_error(tmp_path: Path) -> None:
    path = tmp_path / ".gitleaksignore"
    commit = "0123456789abcdef0123456789abcdef01234567"
    path.write_text(f"{commit}:dir/my:file.py:rule-id:12\nC:\\x\\y.py:r:3\n\n")
    assert load(path).fingerprints == (
        Fingerprint("dir/my:file.py", 12, commit),
        Fingerprint("C:/x/y.py", 3),
    )
    path.write_text("just-a-path.py\n")
    result = keysweep("scan", str(tmp_path))
    assert result.exit_code == 2
    assert ".gitleaksignore:1: not a gitleaks fingerprint" in result.stderr


@pytest.mark.parametrize("where", ["root", "trusted"])
def test_only_the_gitleaksignore_beside_the_config_in_use_counts(
    tmp_path: Path, where: str
) -> None:
    tree, trusted = tmp_path / "tree", tmp_path / "trusted"
    tree.mkdir()
    trusted.mkdir()
    (tree / "a.py").write_text(f"{_secret_line()}\n")
    (tree / ".gitleaksignore").write_text("a.py:any:1\n")  # planted by the change
    (trusted / "config.yaml").write_text("{}\n")
    args = ["scan", str(tree)] + (
        ["--config", str(trusted / "config.yaml")] if where == "trusted" else []
    )
    found = {f["path"] for f in _scan(*args)["findings"]}
    assert found == (set() if where == "root" else {"a.py"})
