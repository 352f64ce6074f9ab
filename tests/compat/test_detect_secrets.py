"""detect-secrets users: their audited `.secrets.baseline` keeps working, is never a
finding itself, survives `baseline import` and `baseline update` with every
verdict, and `baseline audit` labels what is left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compat.support import ALNUM, keysweep, random_text, report
from support import git

VERDICTS = {"AWS Access Key": True, "Secret Keyword": False, "Private Key": False}
"""How the team audited each detect-secrets entry type."""


@pytest.fixture
def repo(make_repo: object, rsa_pem: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    path: Path = make_repo()  # type: ignore[operator]
    aws_id = "AKIA" + random_text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    (path / "settings.py").write_text(
        f'password = "{random_text(ALNUM, 18)}"\n'
        f'AWS_ACCESS_KEY_ID = "{aws_id}"\n'
        f'AWS_SECRET_ACCESS_KEY = "{random_text(ALNUM, 40)}"\n'
    )
    (path / "deploy.pem").write_bytes(rsa_pem)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "app")
    monkeypatch.chdir(path)
    _detect_secrets_baseline(path)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "baseline")
    return path


def _detect_secrets_baseline(repo: Path) -> None:
    """What `detect-secrets scan` and `detect-secrets audit` leave, made with its
    library from the repository's top (an entry of several plugins on one secret
    audited both ways counts as real)."""
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection(root=str(repo))
        collection.scan_files("settings.py", "deploy.pem")
        document = baseline.format_for_output(collection)
    for entries in document["results"].values():
        for entry in entries:
            if entry["type"] in VERDICTS:
                entry["is_secret"] = VERDICTS[entry["type"]]
    (repo / ".secrets.baseline").write_text(json.dumps(document, indent=2))


def test_detect_secrets_baseline_works_as_it_is(repo: Path) -> None:
    result = keysweep(
        "scan", ".", "--no-git-history", "--baseline", ".secrets.baseline", "--format", "json",
        "--detector", "rules", "--detector", "python", "--detector", "detect-secrets",
    )  # fmt: skip
    findings = report(result)["findings"]
    # the AWS key was audited real: still reported; the password and the private key
    # (matched by its armour line) were audited false; the baseline file is no finding
    assert {(f["rule"], f["path"]) for f in findings} == {
        ("cloud.aws-secret-access-key", "settings.py")
    }
    assert report(result)["summary"]["suppressed"]["baseline-file"] >= 1


def test_import_then_update_keeps_every_verdict(repo: Path) -> None:
    assert keysweep("baseline", "import", ".secrets.baseline", "-o", "ks.json").exit_code == 0
    assert keysweep("baseline", "update", "-b", "ks.json", ".").exit_code == 0
    verdicts = _verdicts(Path("ks.json"))
    assert verdicts == {
        ("cloud.aws-secret-access-key", "settings.py", 3): True,
        ("key.rsa-pkcs1", "deploy.pem", 1): False,
        ("python.hardcoded-password", "settings.py", 1): False,
    }
    with Path("settings.py").open("a") as file:
        file.write(f'db_password = "{random_text(ALNUM, 20)}"\n')
    assert keysweep("baseline", "update", "-b", "ks.json", ".").exit_code == 0
    again = _verdicts(Path("ks.json"))
    assert {k: v for k, v in again.items() if k in verdicts} == verdicts
    assert [v for k, v in again.items() if k not in verdicts] == [None]


def test_audit_labels_unaudited_entries(repo: Path) -> None:
    keysweep("baseline", "import", ".secrets.baseline", "-o", "ks.json")
    keysweep("baseline", "update", "-b", "ks.json", ".")
    document = json.loads(Path("ks.json").read_text())
    for entry in document["findings"]:
        entry["is_secret"] = None
    Path("ks.json").write_text(json.dumps(document))
    result = keysweep("baseline", "audit", "ks.json", input="y\nn\nq\n")
    assert result.exit_code == 0, result.output
    assert "[1/3]" in result.stdout and "[3/3]" in result.stdout  # quit at the third
    labels = [e["is_secret"] for e in json.loads(Path("ks.json").read_text())["findings"]]
    assert labels == [True, False, None]
    assert "labelled 2 entries; 1 left unaudited" in result.stderr
    shown = result.stdout
    for line in Path("settings.py").read_text().splitlines():
        assert line.split('"')[1] not in shown  # the preview only, never the secret


def test_an_import_is_written_only_where_it_can_be_loaded_again(repo: Path) -> None:
    """The keysweep baseline names the detect-secrets file by a relative path that
    must stay beside or below it: an output in a folder beside the source could not
    be loaded, so it is refused when written (one line), not on the next scan."""
    (repo / "sub").mkdir()
    refused = keysweep("baseline", "import", ".secrets.baseline", "-o", "sub/ks.json")
    assert refused.exit_code == 2
    [line] = refused.stderr.splitlines()
    assert "sub/ks.json" in line and ".secrets.baseline" in line
    assert not (repo / "sub" / "ks.json").exists()
    for output in ("ks.json", "../ks-above.json"):
        made = keysweep("baseline", "import", ".secrets.baseline", "-o", output)
        assert made.exit_code == 0, made.output
        scanned = keysweep("scan", ".", "--no-git-history", "--baseline", output)
        assert scanned.exit_code in (0, 1), scanned.output


@pytest.mark.parametrize("document", [{"version": "1.5.0", "results": {}}, {"version": "1.5.0"}])
def test_audit_of_a_detect_secrets_baseline_is_one_line(
    repo: Path, document: dict[str, object]
) -> None:
    Path("empty.baseline").write_text(json.dumps(document))
    result = keysweep("baseline", "audit", "empty.baseline")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("keysweep: error: empty.baseline: ")


def test_a_committed_keysweep_baseline_is_not_a_finding(repo: Path) -> None:
    keysweep("baseline", "create", "-o", ".keysweep-baseline.json", ".")
    result = keysweep(
        "scan", ".", "--no-git-history", "--format", "json",
        "--detector", "rules", "--detector", "python", "--detector", "detect-secrets",
    )  # fmt: skip
    paths = {f["path"] for f in report(result)["findings"]}
    assert paths == {"settings.py", "deploy.pem"}


def _verdicts(path: Path) -> dict[tuple[str, str, int], bool | None]:
    entries = json.loads(path.read_text())["findings"]
    return {(e["rule"], e["path"], e["line"]): e["is_secret"] for e in entries}
