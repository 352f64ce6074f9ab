"""A glob, a rule pattern or a TOML key in a scanned repository's config is scanned
input: no error and no warning about it quotes it, in any output.

Before, a glob `pathspec` or `gitglob` refused was quoted in the exit-2 line
(`invalid glob 'ghp_…\\'`), as was the class name of `[[:name:]]`; the warning for a
config that loosens the gate listed its `exclude`, `allow_paths` and
`disabled_rules` entries (in the text report, the JSON summary's
`config_loosened` and the `--strict-config` error); and tomllib's messages
quote the keys they choke on. Each case writes a token made at test time into a
real repository's `.keysweep.yaml` or `pyproject.toml`, runs the real CLI, and
looks for every 8-character piece of the token in standard output, standard
error and the report file. Globs given on the command line are named the same
way (by option and entry number), so one wording serves wherever a glob came from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import checksummed, git

SECRET_WIDTH = 8


def _pieces(secret: str) -> set[str]:
    return {secret[i : i + SECRET_WIDTH] for i in range(len(secret) - SECRET_WIDTH + 1)}


def _repo(tmp_path: Path, name: str, text: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "notes.txt").write_text("nothing here\n")
    (repo / name).write_text(text)
    return repo


def _scan(repo: Path, *extra: str) -> tuple[int, str]:
    """Exit code, and everything the scan wrote: stdout, stderr and the report file."""
    report = repo.parent / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", ".", "-o", str(report), *extra],
        cwd=repo,
        env={**os.environ, "KEYSWEEP_DEBUG": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    written = report.read_text() if report.exists() else ""
    return done.returncode, done.stdout + done.stderr + "\n" + written


def _refused_unquoted(tmp_path: Path, name: str, template: str, said: str) -> None:
    """A config file `name` holding a token (`{t}` in `template`) is exit 2 with
    the one line `said` after the file's path, and no piece of the token."""
    secret = checksummed("ghp_")
    repo = _repo(tmp_path, name, template.format(t=secret))
    code, out = _scan(repo)
    assert code == 2
    assert f"keysweep: error: {repo / name}: {said}" in out
    _never_quoted(secret, out)


def _never_quoted(secret: str, text: str) -> None:
    assert not any(piece in text for piece in _pieces(secret)), text


REFUSED = {
    "a glob gitglob refuses": (
        "exclude",
        'exclude: ["ok/**", "{t}\\\\"]\n',
        "invalid glob (entry 2: a glob cannot end in a backslash that escapes nothing)",
    ),
    "a character class the glob names": (
        "allow_paths",
        'allow_paths: ["[[:{t}:]]"]\n',
        "invalid glob (entry 1: unknown character class)",
    ),
    "a glob with a line break": (
        "sweep_exclude",
        'sweep_exclude: ["ok", "x/{t}\\nb"]\n',
        "invalid glob (entry 2: a glob cannot hold a line break)",
    ),
    "an escaped slash": (
        "exclude",
        'exclude: ["\\\\/{t}"]\n',
        "invalid glob (entry 1: an escaped slash at the start, after ** or at the end is "
        "not supported)",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_glob_is_named_by_its_entry(tmp_path: Path, case: str) -> None:
    key, template, said = REFUSED[case]
    _refused_unquoted(tmp_path, ".keysweep.yaml", template, f"at key {key!r}: {said}")


def test_pathspecs_own_refusal_is_named_by_its_entry(tmp_path: Path) -> None:
    """pathspec quotes the whole pattern it refuses ("Invalid git pattern: '!'")."""
    repo = _repo(tmp_path, ".keysweep.yaml", 'exclude: ["ok", "!"]\n')
    code, out = _scan(repo)
    assert code == 2
    said = "at key 'exclude': invalid glob (entry 2: pathspec refuses it as a gitignore pattern)"
    assert said in out and "Invalid git pattern" not in out


def test_a_glob_in_pyproject_is_named_by_its_entry(tmp_path: Path) -> None:
    secret = checksummed("ghp_")
    text = f'[tool.keysweep]\nallow_paths = ["a/**", "{secret}\\\\"]\n'
    repo = _repo(tmp_path, "pyproject.toml", text)
    code, out = _scan(repo)
    assert code == 2
    assert "at key 'allow_paths': invalid glob (entry 2: a glob cannot end in a backslash" in out
    _never_quoted(secret, out)


def test_a_glob_on_the_command_line_is_named_the_same_way(tmp_path: Path) -> None:
    secret = checksummed("ghp_")
    repo = _repo(tmp_path, "README", "nothing\n")
    code, out = _scan(repo, "--exclude", "ok/**", "--exclude", f"{secret}\\")
    assert code == 2
    assert "keysweep: error: --exclude: invalid glob (entry 2: a glob cannot end in a" in out
    _never_quoted(secret, out)


LOOSENING = {
    "exclude": (
        'exclude: ["ok/**", "{t}/**"]\n',
        "never reads the paths matching its entries 1 to 2",
    ),
    "allow_paths": (
        'allow_paths: ["{t}/**"]\n',
        "allows findings in the paths matching its entry 1",
    ),
    "disabled_rules": ('disabled_rules: ["{t}*"]\n', "disables the rules named by its entry 1"),
}


@pytest.mark.parametrize("key", sorted(LOOSENING))
@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_loosening_names_its_entries_never_their_text(tmp_path: Path, key: str, fmt: str) -> None:
    template, change = LOOSENING[key]
    secret = checksummed("ghp_")
    repo = _repo(tmp_path, ".keysweep.yaml", template.format(t=secret))
    code, out = _scan(repo, "--format", fmt)
    assert code == 1  # the token in the config is itself a finding (shown redacted)
    assert change in out
    _never_quoted(secret, out)


@pytest.mark.parametrize("key", sorted(LOOSENING))
def test_a_loosening_refused_under_strict_config_is_not_quoted(tmp_path: Path, key: str) -> None:
    template, change = LOOSENING[key]
    secret = checksummed("ghp_")
    repo = _repo(tmp_path, ".keysweep.yaml", template.format(t=secret))
    code, out = _scan(repo, "--strict-config")
    assert code == 2
    assert f"{key} loosens the gate ({change})" in out
    _never_quoted(secret, out)


def test_the_json_summary_names_the_entries(tmp_path: Path) -> None:
    secret = checksummed("ghp_")
    repo = _repo(tmp_path, ".keysweep.yaml", f'allow_paths: ["{secret}/**", "b/**"]\n')
    assert _scan(repo, "--format", "json")[0] == 1
    report = json.loads((repo.parent / "report.json").read_text())
    assert report["summary"]["meta"]["config_loosened"] == [
        {
            "file": ".keysweep.yaml",
            "setting": "allow_paths",
            "change": "allows findings in the paths matching its entries 1 to 2",
        }
    ]


TOML = {
    "a table declared twice": (
        "[tool.keysweep]\nfail_on = 'high'\n[tool.{t}]\n[tool.{t}]\n",
        "invalid TOML: Cannot declare (what it names is left out) (at line 4, column ",
    ),
    "an inline key given twice": (
        "[tool.keysweep]\nx = {{ {t} = 1, {t} = 2 }}\n",
        "invalid TOML: Duplicate inline table key (what it names is left out) (at line 2, ",
    ),
    "a namespace redefined": (
        "[tool.keysweep]\n[tool.{t}]\nx = 1\n[[tool.{t}]]\n",
        "invalid TOML: Cannot ",
    ),
}


@pytest.mark.parametrize("case", sorted(TOML))
def test_a_toml_error_never_quotes_the_file(tmp_path: Path, case: str) -> None:
    template, said = TOML[case]
    _refused_unquoted(tmp_path, "pyproject.toml", template, said)


def test_tomls_own_words_are_kept(tmp_path: Path) -> None:
    """A message that quotes only tomllib's own delimiters stays whole."""
    repo = _repo(tmp_path, "pyproject.toml", "[tool.keysweep]\nfail_on high\n")
    code, out = _scan(repo)
    assert code == 2
    assert "invalid TOML: Expected '=' after a key in a key/value pair (at line 2, column" in out
