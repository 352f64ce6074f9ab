"""`keysweep sweep ROOT...` sweeps the roots given; `--home` adds the home folder; with no
root it sweeps the home folder. Language runtimes' own files are left out and counted.

Through the real CLI, on a fake home folder and a folder outside it, with keys
generated at test time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import ec_pem as pem

from scanner.cli import cli

RUNTIME_PLACES = (
    ".pyenv/versions/3.12.1/lib/python3.12/test/certdata/keycert.pem",
    ".rustup/toolchains/stable-x86_64/lib/rustlib/src/rust/library/std/tests/key.pem",
    ".sdkman/candidates/java/17.0.9-tem/lib/security/test.pem",
    ".nvm/versions/node/v20.11.0/lib/node_modules/npm/test/fixtures/key.pem",
    "miniconda3/pkgs/openssl-3.0.12/info/test/key.pem",
)


def put(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem())
    path.chmod(0o600)


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    home, elsewhere = tmp_path / "home", tmp_path / "builds"
    put(home / ".ssh" / "id_ecdsa")
    put(home / "projects" / "app" / "tests" / "own-key.pem")
    for rel in RUNTIME_PLACES:
        put(home / rel)
    put(elsewhere / "deploy" / "server.pem")
    return home, elsewhere


def sweep(home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        cli, ["sweep", "--no-progress", "-j", "1", *args], env={"HOME": str(home)}
    )
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, report, result.stderr


def paths(report: dict[str, Any]) -> set[str]:
    return {f["path"] for f in report["findings"]}


def test_a_root_given_is_all_that_is_swept(places: tuple[Path, Path]) -> None:
    home, elsewhere = places
    code, report, err = sweep(home, str(elsewhere))
    assert code == 1, err
    assert paths(report) == {(elsewhere / "deploy" / "server.pem").as_posix()}
    assert report["summary"]["meta"]["roots"] == [elsewhere.as_posix()]
    assert report["summary"]["meta"]["key_places"] == []


def test_home_adds_the_home_folder_to_the_roots(places: tuple[Path, Path]) -> None:
    home, elsewhere = places
    code, report, err = sweep(home, str(elsewhere), "--home")
    assert code == 1, err
    assert paths(report) == {
        "~/.ssh/id_ecdsa",
        "~/projects/app/tests/own-key.pem",
        (elsewhere / "deploy" / "server.pem").as_posix(),
    }
    assert report["summary"]["meta"]["roots"] == ["~", elsewhere.as_posix()]


def test_no_root_sweeps_the_home_folder_without_runtime_data(places: tuple[Path, Path]) -> None:
    home, _ = places
    code, report, err = sweep(home)
    assert code == 1, err
    assert paths(report) == {"~/.ssh/id_ecdsa", "~/projects/app/tests/own-key.pem"}
    assert report["summary"]["skipped"]["runtime-data"] == len(RUNTIME_PLACES)
    assert "**/.pyenv/versions/*/lib/**" in report["summary"]["meta"]["excluded"]


def test_runtime_data_inside_a_root_is_left_out_too(places: tuple[Path, Path]) -> None:
    home, elsewhere = places
    put(elsewhere / "opt" / "miniconda3" / "pkgs" / "openssl-3.0.12" / "info" / "test" / "k.pem")
    code, report, err = sweep(home, str(elsewhere), str(home / "projects"))
    assert code == 1, err
    assert paths(report) == {
        (elsewhere / "deploy" / "server.pem").as_posix(),
        "~/projects/app/tests/own-key.pem",
    }
    assert report["summary"]["skipped"]["runtime-data"] == 1


def test_home_and_no_home_contradict(places: tuple[Path, Path]) -> None:
    home, elsewhere = places
    code, _, err = sweep(home, str(elsewhere), "--home", "--no-home")
    assert code == 2
    assert "--home and --no-home contradict each other" in err
