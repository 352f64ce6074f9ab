"""Key analysis inside a real scan: the pipeline hands text matches and binary
key containers to the key parsers, and findings carry the fingerprints."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from scanner.cli import cli

from .conftest import Written, spki

Write = Callable[[str, bytes], Path]


def test_scan_reports_fingerprints_for_text_and_binary_keys(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]], write: Write, tmp_path: Path
) -> None:
    write("tree/home/.ssh/id_ed25519", samples["ed25519"]["openssh"].data)
    write("tree/certs/client.p12", samples["rsa"]["pkcs12-weak"].data)
    write("tree/android/release.jks", samples["p256"]["jks-strong"].data)
    kube = base64.b64encode(samples["p384"]["traditional"].data).decode()
    write("tree/home/.kube/config", f"users:\n- user:\n    client-key-data: {kube}\n".encode())
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "tree"), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    by_path = {f["path"].replace("\\", "/"): f for f in findings if f.get("key")}
    expected = {
        "home/.ssh/id_ed25519": ("ed25519", "openssh"),
        "certs/client.p12": ("rsa", "pkcs12"),
        "android/release.jks": ("p256", "jks"),
        "home/.kube/config": ("p384", "kubeconfig"),
    }
    for path, (algorithm, fmt) in expected.items():
        found = next(f for p, f in by_path.items() if p.endswith(path))
        assert found["key"]["format"] == fmt
        assert found["key"]["fingerprints"]["spki_sha256"] == spki(keys[algorithm])
    p12 = next(f for p, f in by_path.items() if p.endswith("client.p12"))
    assert p12["key"]["weak_passphrase"] is True
    assert "changeit" not in result.stdout and "notasecret" not in result.stdout
