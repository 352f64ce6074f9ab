"""The library API: `import scanner; scanner.scan(...)`, on real files with keys made
at test time, and the README's "Use from Python" example run as it is written."""

from __future__ import annotations

import hashlib
import io
import os
import pkgutil
import re
import secrets
import string
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import scanner
from scanner.baseline import Baseline, Entry
from scanner.model import Rule, RuleKind, Severity, Verdict
from scanner.registry.loading import build, validate
from scanner.sources.build import Files, Stdin, Sweep, build_sources

README = Path(__file__).resolve().parent.parent / "README.md"


def rsa_key() -> tuple[bytes, str]:
    """A fresh RSA private key (PKCS#1 PEM) and its SPKI SHA-256 fingerprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, hashlib.sha256(der).hexdigest()


def registry_document(fingerprint: str) -> dict[str, Any]:
    """A registry that lists `fingerprint` as a retired signing key."""
    entry = {
        "id": "signing-2019",
        "kind": "asymmetric",
        "state": "deactivated",
        "dates": {"deactivated": "2024-06-30"},
        "fingerprints": {"spki_sha256": fingerprint},
    }
    return {"schema": "keysweep/key-registry/v1", "keys": [entry]}


def readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Use from Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "README: no python block under 'Use from Python'"
    return found.group(1)


def acme_rule() -> Rule:
    """A rule made in code, not read from a file."""
    return Rule(
        "acme.deploy-token",
        "Acme deploy token",
        RuleKind.TOKEN,
        Severity.HIGH,
        r"(?P<secret>acme_[A-Za-z0-9]{32})",
        keywords=("acme_",),
    )


def acme_token() -> str:
    return "acme_" + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
    )


# --- the README example ---------------------------------------------------------


def test_the_readme_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem, fingerprint = rsa_key()
    (tmp_path / "src" / "deploy").mkdir(parents=True)
    (tmp_path / "src" / "deploy" / "signing.pem").write_bytes(pem)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "other.pem").write_bytes(rsa_key()[0])
    (tmp_path / "security").mkdir()
    registry = tmp_path / "security" / "key-registry.yaml"
    registry.write_text(yaml.safe_dump(registry_document(fingerprint)))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines == [
        "critical key.rsa-pkcs1 src/deploy/signing.pem 1 retired-key-present",
        "1 findings in 1 files",
    ]
    body = b"".join(pem.splitlines()[1:-1]).decode()
    assert body[20:60] not in out.getvalue()


def test_the_readme_example_is_ten_lines() -> None:
    assert len([line for line in readme_example().splitlines() if line.strip()]) <= 10


# --- the package's exports --------------------------------------------------------


def test_no_export_is_also_a_module_name() -> None:
    modules = {m.name for m in pkgutil.iter_modules(scanner.__path__)}
    assert not modules & set(scanner.__all__)
    assert set(scanner.__all__) == {"__version__", *scanner.EXPORTS}


@pytest.mark.parametrize("first", ["scanner.pipeline", "scanner.sweep", "scanner.cli.scan"])
def test_scan_is_the_function_whatever_was_imported_first(first: str) -> None:
    code = (
        f"import {first}\nimport scanner\nimport scanner.pipeline, scanner.sweep\n"
        "assert scanner.scan is scanner.pipeline.scan, scanner.scan\n"
        "assert all(getattr(scanner, name) is not None for name in scanner.__all__)\n"
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr


# --- objects instead of paths --------------------------------------------------------


def test_a_registry_built_in_memory_gives_the_verdict(tmp_path: Path) -> None:
    pem, fingerprint = rsa_key()
    (tmp_path / "key.pem").write_bytes(pem)
    registry = build(validate(registry_document(fingerprint), "in-memory"), "in-memory")
    report = scanner.scan(scanner.Config(root=tmp_path), [tmp_path], registry=registry)
    (finding,) = report.findings
    assert finding.registry is not None
    assert finding.registry.verdict is Verdict.RETIRED_KEY_PRESENT
    assert finding.registry.key_id == "signing-2019"


def test_rules_made_in_code_replace_the_configured_ones(tmp_path: Path) -> None:
    (tmp_path / "deploy.env").write_text(f"TOKEN={acme_token()}\n")
    (tmp_path / "key.pem").write_bytes(rsa_key()[0])
    config = scanner.Config(root=tmp_path, detectors=("rules",))
    report = scanner.scan(config, [tmp_path], rules=[acme_rule()])
    assert [(f.rule, f.path, f.line) for f in report.findings] == [
        ("acme.deploy-token", "deploy.env", 1)
    ]
    assert report.meta["rules"] == 1


def test_a_baseline_kept_in_memory_suppresses_its_findings(tmp_path: Path) -> None:
    (tmp_path / "one.env").write_text(f"TOKEN={acme_token()}\n")
    (tmp_path / "two.env").write_text(f"TOKEN={acme_token()}\n")
    config = scanner.Config(root=tmp_path, detectors=("rules",))
    first = scanner.scan(config, [tmp_path], rules=[acme_rule()])
    assert len(first.findings) == 2
    known = Baseline(entries=(Entry(id=first.findings[0].id),))
    again = scanner.scan(config, [tmp_path], rules=[acme_rule()], baseline=known)
    assert [f.id for f in again.findings] == [first.findings[1].id]
    assert again.suppressed["baseline"] == 1


def test_config_names_what_objects_would_replace(tmp_path: Path) -> None:
    pem, fingerprint = rsa_key()
    (tmp_path / "key.pem").write_bytes(pem)
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump(registry_document(fingerprint)))
    (tmp_path / ".keysweep.yaml").write_text("registry: registry.yaml\n")
    config = scanner.load_config(None, tmp_path)
    (finding,) = scanner.scan(config, [scanner.Files((tmp_path / "key.pem",))]).findings
    assert finding.registry is not None and finding.registry.key_id == "signing-2019"


# --- one source builder --------------------------------------------------------------


def built(config: scanner.Config, target: Files | Stdin | Sweep) -> list[Any]:
    return list(build_sources(config, [target]))


def test_every_source_takes_the_shared_settings_from_the_config(tmp_path: Path) -> None:
    config = scanner.Config(
        root=tmp_path, exclude=("skip/**",), max_file_size=1234, follow_symlinks=True
    )
    files, stores = built(config, Files((tmp_path,)))
    assert (files.exclude, files.max_file_size, files.follow_symlinks) == (("skip/**",), 1234, True)
    assert (stores.history_exclude, stores.max_file_size) == (("skip/**",), 1234)
    (stdin,) = built(config, Stdin(io.BytesIO(b""), "piped"))
    assert stdin.max_file_size == 1234
    home, swept = built(config, Sweep((tmp_path,), tmp_path, include_home=False))
    assert "skip/**" in home.exclude and config.sweep_exclude[0] in home.exclude
    assert (home.follow_symlinks, home.max_file_size) == (True, 1234)
    assert swept.history_exclude == ("skip/**",)


def test_exclude_and_size_limit_apply_to_a_library_scan(tmp_path: Path) -> None:
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "a.env").write_text(f"TOKEN={acme_token()}\n")
    (tmp_path / "big.env").write_text(f"TOKEN={acme_token()}\n" + "x" * 200)
    (tmp_path / "small.env").write_text(f"TOKEN={acme_token()}\n")
    config = scanner.Config(
        root=tmp_path, exclude=("skip/**",), max_file_size=100, detectors=("rules",)
    )
    report = scanner.scan(config, [tmp_path], rules=[acme_rule()])
    assert [f.path for f in report.findings if f.rule == "acme.deploy-token"] == ["small.env"]
    assert report.skipped["excluded"] == 1 and report.skipped["too-large"] == 1


def test_a_missing_root_is_a_user_error(tmp_path: Path) -> None:
    from scanner.errors import SourceError

    with pytest.raises(SourceError, match="no such file or folder"):
        scanner.scan(scanner.Config(root=tmp_path), [tmp_path / "missing"])


# --- nothing written unless asked -------------------------------------------------


def _written(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_library_sweep_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.sweep import sweep

    for name in ("KEYSWEEP_CACHE_DIR", "KEYSWEEP_HASH_FALLBACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "root"
    root.mkdir()
    (root / "deploy.env").write_text(f"TOKEN={acme_token()}\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [_rule_mapping()]}))
    config = scanner.Config(builtin_rules=False, rules_dirs=(rules,), detectors=("rules",))
    assert config.cache_dir is None
    report = sweep(config, [root])
    assert [f.rule for f in report.findings] == ["acme.deploy-token"]
    assert _written(tmp_path) == ["root/deploy.env", "rules.yaml"]
    assert "KEYSWEEP_HASH_FALLBACK" not in os.environ


def test_a_cache_dir_in_the_config_is_where_rules_are_cached(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(rsa_key()[0])
    config = scanner.Config(root=tmp_path, cache_dir=tmp_path / "cache", detectors=("rules",))
    scanner.scan(config, [tmp_path / "key.pem"])
    cached = _written(tmp_path / "cache")
    assert any(name.startswith("rules-") for name in cached), cached


def _rule_mapping() -> dict[str, Any]:
    return {
        "id": "acme.deploy-token",
        "name": "Acme deploy token",
        "kind": "token",
        "severity": "high",
        "pattern": "(?P<secret>acme_[A-Za-z0-9]{32})",
        "keywords": ["acme_"],
        "examples": [acme_token(), acme_token()],
        "negative_examples": ["acme_short", "acme_" + "!" * 32],
    }


# --- one rules_version, and the sweep's typed exposure -----------------------------------


def test_scan_and_sweep_name_the_same_rules_version(tmp_path: Path) -> None:
    from scanner.engine.ruleset import rules_version
    from scanner.sweep import sweep

    (tmp_path / "deploy.env").write_text(f"TOKEN={acme_token()}\n")
    config = scanner.Config(root=tmp_path, detectors=("rules",))
    scanned = scanner.scan(config, [tmp_path])
    swept = sweep(config, [tmp_path])
    assert scanned.meta["rules_version"] == swept.meta["rules_version"]
    assert swept.meta["rules_version"] == rules_version(scanner.load_rules(config))
    mine = scanner.scan(config, [tmp_path], rules=[acme_rule()])
    assert mine.meta["rules_version"] == rules_version([acme_rule()])


def test_an_exposed_key_is_a_property_of_its_file_mode(tmp_path: Path) -> None:
    from scanner.exposure import Readers, exposure
    from scanner.sweep import sweep

    (tmp_path / "open.pem").write_bytes(rsa_key()[0])
    (tmp_path / "open.pem").chmod(0o644)
    (tmp_path / "group.pem").write_bytes(rsa_key()[0])
    (tmp_path / "group.pem").chmod(0o640)
    (tmp_path / "own.pem").write_bytes(rsa_key()[0])
    (tmp_path / "own.pem").chmod(0o600)
    report = sweep(scanner.Config(detectors=("rules",)), [tmp_path])
    by_name = {Path(f.path).name: f for f in report.findings}
    readers = {name: getattr(exposure(f), "readers", None) for name, f in by_name.items()}
    assert readers == {"open.pem": Readers.OTHERS, "group.pem": Readers.GROUP, "own.pem": None}
    assert report.meta["exposed_private_keys"] == 2
    assert "readable by other users" in by_name["open.pem"].message
