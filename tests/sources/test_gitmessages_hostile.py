"""Messages a hostile or unusual repository shapes so that a plain reading misses
them: a re-encoding setting in the repository's config or in the commit, tags of
tags (in a range, and past the depth read), NULs in a tag's or a commit's message
(git log prints a commit's message only up to its first NUL). Each is found, or
reported as unscanned content: never a clean exit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sources.test_gitmessages import _repo
from support import commit, git, keysweep_with_token_rule, token


def _scan(repo: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, output = keysweep_with_token_rule(repo, tmp_path, "git", ".", *args, "--format", "json")
    return code, json.loads(output[: output.rindex("}") + 1]), output


def _rules(report: dict[str, Any]) -> list[str]:
    return sorted(f["rule"] for f in report["findings"])


def test_a_log_output_encoding_in_the_repository_config_hides_no_message(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secret = token()
    commit(repo, {"README": "more\n"}, f"deploy with TOKEN={secret}")
    git(repo, "config", "i18n.logOutputEncoding", "IBM037")  # git log would print EBCDIC
    code, report, output = _scan(repo, tmp_path)
    assert code == 1 and len(report["findings"]) == 1
    assert report["findings"][0]["path"].startswith("<commit message ")
    assert secret not in output


def test_a_commit_that_names_another_encoding_keeps_its_bytes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "README").write_text("more\n")
    git(repo, "add", "README")
    secret = token()
    git(repo, "-c", "i18n.commitEncoding=IBM037", "commit", "-q", "-m", f"TOKEN={secret}")
    assert "encoding IBM037" in git(repo, "cat-file", "commit", "HEAD")  # the bytes stay ASCII
    code, report, _ = _scan(repo, tmp_path)
    assert code == 1 and [f["path"][:16] for f in report["findings"]] == ["<commit message "]


def test_a_tag_of_a_tag_on_a_new_commit_is_read_in_a_range(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    commit(repo, {"README": "more\n"}, "new work")
    git(repo, "tag", "-a", "inner", "-m", "inner tag")
    git(repo, "tag", "-a", "outer", "inner", "-m", f"outer tag {token()}")
    git(repo, "tag", "-d", "inner")  # only the outer tag is a ref: for-each-ref peels one level
    code, report, _ = _scan(repo, tmp_path, "--since", "base")
    assert code == 1 and [f["path"][:13] for f in report["findings"]] == ["<tag message "]


def test_a_tag_chain_deeper_than_the_bound_is_unscanned_content(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    git(repo, "tag", "-a", "t0", "-m", f"innermost {token()}")
    for n in range(1, 10):
        git(repo, "tag", "-a", f"t{n}", f"t{n - 1}", "-m", f"wrapper {n}")
    for n in range(9):
        git(repo, "tag", "-d", f"t{n}")
    code, report, _ = _scan(repo, tmp_path)
    assert code == 1 and _rules(report) == ["unscanned-content"]
    assert "more than 8 deep" in report["findings"][0]["message"]


def test_nuls_in_a_tag_message_do_not_make_it_a_binary_skip(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    head = git(repo, "rev-parse", "HEAD")
    body = (
        f"object {head}\ntype commit\ntag v1\ntagger a <a@b> 1700000000 +0000\n\n".encode()
        + b"\x00" * 40
        + f" TOKEN={token()}\n".encode()
    )
    git(repo, "update-ref", "refs/tags/v1", _raw_object(repo, "tag", body))
    code, report, _ = _scan(repo, tmp_path)
    assert code == 1 and [f["path"][:13] for f in report["findings"]] == ["<tag message "]


def _raw_object(repo: Path, kind: str, body: bytes) -> str:
    """An object of `kind` written from raw bytes, unchecked; its id."""
    made = subprocess.run(
        ["git", "hash-object", "-t", kind, "-w", "--literally", "--stdin"],
        cwd=repo,
        input=body,
        capture_output=True,
        check=True,
    )
    return made.stdout.decode().strip()


def _commit_object(repo: Path, headers: bytes, message: bytes) -> str:
    """A commit on HEAD's tree and parent made from raw bytes (git commit refuses
    a NUL), set as HEAD; its id."""
    tree, parent = git(repo, "rev-parse", "HEAD^{tree}"), git(repo, "rev-parse", "HEAD")
    body = f"tree {tree}\nparent {parent}\n".encode() + headers + b"\n" + message
    sha = _raw_object(repo, "commit", body)
    git(repo, "update-ref", "HEAD", sha)
    return sha


PEOPLE = b"author a <a@b> 1700000000 +0000\ncommitter a <a@b> 1700000000 +0000\n"


def test_a_token_after_a_nul_in_a_commit_message_is_found(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secret = token()
    message = f"release notes\n\nsee below\0TOKEN={secret}\n".encode()
    sha = _commit_object(repo, PEOPLE, message)
    assert git(repo, "log", "-1", "--format=%B").strip() == "release notes\n\nsee below"
    code, report, output = _scan(repo, tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == [f"<commit message {sha}>"]
    assert secret not in output


@pytest.mark.parametrize(
    "headers",
    [
        b"x-note hidden\0header\n",  # git log prints the whole message
        b"x-note a\0\nx-secret TOKEN={}\n",  # git log prints the next header as the message
        b"encoding utf-8\0junk\n",  # git log prints nothing
    ],
)
def test_a_nul_in_the_headers_hides_no_token(tmp_path: Path, headers: bytes) -> None:
    repo = _repo(tmp_path)
    secret = token()
    in_header = b"{}" in headers
    message = b"plain message\n" if in_header else f"deploy with TOKEN={secret}\n".encode()
    sha = _commit_object(repo, PEOPLE + headers.replace(b"{}", secret.encode()), message)
    code, report, output = _scan(repo, tmp_path)
    assert code == 1 and [f["path"] for f in report["findings"]] == [f"<commit message {sha}>"]
    assert secret not in output


def test_a_commit_with_large_headers_and_no_nul_passes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _commit_object(repo, PEOPLE + b"x-note " + b"a" * (1_200_000) + b"\n", b"plain message\n")
    code, report, _ = _scan(repo, tmp_path)
    assert code == 0 and report["findings"] == [] and not report["summary"]["partial"]


def test_a_message_before_a_nul_is_reported_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secret = token()
    _commit_object(repo, PEOPLE, f"TOKEN={secret}\0 and more\n".encode())
    code, report, _ = _scan(repo, tmp_path)  # not once from the log and again from the object
    assert code == 1 and len(report["findings"]) == 1
    assert len(report["findings"][0]["locations"]) == 1
