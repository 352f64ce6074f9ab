"""Our fingerprints against the tools people use, and files those tools write.

Each test skips when its tool is not installed."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ALGORITHMS, Written, analyse, assert_handled, damaged_variants, spki

Tool = Callable[[str], str]
Write = Callable[[str, bytes], Path]


def run(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> bytes:
    done = subprocess.run(args, input=stdin, capture_output=True, check=True, env=env, timeout=120)
    return done.stdout


@pytest.mark.parametrize("algorithm", ["rsa", "p256", "p384", "ed25519"])
def test_ssh_fingerprint_matches_ssh_keygen(
    tool: Tool, write: Write, samples: dict[str, dict[str, Written]], algorithm: str
) -> None:
    path = write("id_key", samples[algorithm]["openssh"].data)
    path.chmod(0o600)
    printed = run(tool("ssh-keygen"), "-lf", str(path)).decode().split()[1]
    assert analyse(path.read_bytes())[0].fingerprints["ssh_sha256"] == printed


def test_encrypted_openssh_key_fingerprint_matches_ssh_keygen_without_passphrase(
    tool: Tool, tmp_path: Path
) -> None:
    path = tmp_path / "id_ed25519"
    run(tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "n0t-a-default-x", "-f", str(path))
    printed = run("ssh-keygen", "-lf", str(path) + ".pub").decode().split()[1]
    (path.parent / "id_ed25519.pub").unlink()  # no help from the .pub
    info = analyse(path.read_bytes(), fs_path=str(path))[0]
    assert (info.encrypted, info.weak_passphrase, info.public_known) == (True, False, True)
    assert info.fingerprints["ssh_sha256"] == printed


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_spki_matches_openssl_pkey_pubout(
    tool: Tool, write: Write, samples: dict[str, dict[str, Written]], algorithm: str
) -> None:
    path = write("key.pem", samples[algorithm]["pkcs8-pem"].data)
    der = run(tool("openssl"), "pkey", "-in", str(path), "-pubout", "-outform", "DER")
    assert (
        analyse(path.read_bytes())[0].fingerprints["spki_sha256"] == hashlib.sha256(der).hexdigest()
    )


@pytest.mark.parametrize("version", ["2", "3"])
@pytest.mark.parametrize("passphrase", ["", "changeit", "n0t-a-default-x"])
@pytest.mark.parametrize("algorithm", ["rsa", "ed25519", "p256", "dsa"])
def test_puttygen_files(
    tool: Tool,
    write: Write,
    keys: dict[str, Any],
    samples: dict[str, dict[str, Written]],
    version: str,
    passphrase: str,
    algorithm: str,
) -> None:
    source = write("id_key", samples[algorithm]["openssh"].data)
    secret = write("pass.txt", passphrase.encode() + b"\n")
    target = source.parent / "key.ppk"
    args = [tool("puttygen"), str(source), "-O", "private", "-o", str(target)]
    args += ["--new-passphrase", str(secret), "--ppk-param", f"version={version}"]
    run(*args)
    info = analyse(target.read_bytes())[0]
    assert info.format == f"putty-v{version}"
    if algorithm == "ed25519" and passphrase != "n0t-a-default-x":  # Argon2 is slow
        for damaged in damaged_variants(target.read_bytes()):
            assert_handled(damaged)
    assert info.fingerprints["spki_sha256"] == spki(keys[algorithm])
    assert info.encrypted == bool(passphrase)
    assert info.weak_passphrase == (passphrase == "changeit")


@pytest.fixture
def gnupg(tool: Tool, tmp_path: Path) -> Iterator[Callable[..., bytes]]:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    # gpg-agent calibrates its key-protection cost to the machine's speed at that
    # moment; a fixed count keeps the passphrase trials inside their CPU budget
    # whatever the load (the budget itself is tested in tests/keys/test_cost.py).
    (home / "gpg-agent.conf").write_text("s2k-count 1048576\n")
    binary = tool("gpg")
    env = {**os.environ, "GNUPGHOME": str(home)}

    def _gpg(*args: str, passphrase: str = "") -> bytes:
        base = [binary, "--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase]
        return run(*base, *args, env=env)

    _gpg.home = home  # type: ignore[attr-defined]
    yield _gpg
    subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, check=False)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algo", "passphrase"),
    [
        ("rsa2048", ""),
        ("ed25519", "password"),
        ("nistp384", "n0t-a-default-x"),
        ("dsa2048", "changeit"),
    ],
)
def test_gnupg_private_keys_and_armored_export_agree(
    gnupg: Callable[..., bytes], algo: str, passphrase: str
) -> None:
    gnupg(
        "--quick-gen-key", f"Test {algo} <t@example.test>", algo, "sign", "0", passphrase=passphrase
    )
    colons = gnupg("--with-colons", "--with-keygrip", "-K").decode().splitlines()
    fpr = next(line.split(":")[9] for line in colons if line.startswith("fpr:"))
    grip = next(line.split(":")[9] for line in colons if line.startswith("grp:"))
    armored = gnupg("--armor", "--export-secret-keys", fpr, passphrase=passphrase)
    keyfile = gnupg.home / "private-keys-v1.d" / f"{grip}.key"  # type: ignore[attr-defined]

    from_block = analyse(armored)
    from_file = analyse(keyfile.read_bytes(), path=str(keyfile))
    assert [k.format for k in from_block] == ["pgp"]
    assert from_block[0].fingerprints["pgp"] == fpr
    assert from_file[0].format == "gnupg-private-keys-v1"
    assert from_file[0].fingerprints["spki_sha256"] == from_block[0].fingerprints["spki_sha256"]
    assert from_block[0].encrypted == bool(passphrase)
    assert from_file[0].encrypted == bool(passphrase)
    assert from_block[0].weak_passphrase is (passphrase in ("password", "changeit"))
    for damaged in damaged_variants(armored) + damaged_variants(keyfile.read_bytes()):
        assert_handled(damaged)
    assert from_file[0].weak_passphrase is (passphrase in ("password", "changeit"))


@pytest.mark.slow
def test_gnupg_subkeys_and_ssh_export(gnupg: Callable[..., bytes], tool: Tool) -> None:
    gnupg("--quick-gen-key", "Sub <s@example.test>", "ed25519", "sign", "0")
    fpr = next(
        line.split(":")[9]
        for line in gnupg("--with-colons", "-K").decode().splitlines()
        if line.startswith("fpr:")
    )
    gnupg("--quick-add-key", fpr, "cv25519", "encr", "0")
    infos = analyse(gnupg("--armor", "--export-secret-keys", fpr))
    assert [(k.algorithm, k.note) for k in infos] == [
        ("Ed25519", "OpenPGP v4 primary key"),
        ("X25519", "OpenPGP v4 subkey"),
    ]
    assert analyse(gnupg("--export", fpr)) == []  # a public keyring holds no secret
    ssh_line = gnupg("--export-ssh-key", fpr + "!")  # "!": this key, though not an auth key
    printed = run(tool("ssh-keygen"), "-lf", "-", stdin=ssh_line).decode().split()[1]
    assert infos[0].fingerprints["ssh_sha256"] == printed


@pytest.mark.parametrize(
    ("storetype", "password", "weak"),
    [("JKS", "changeit", True), ("JCEKS", "n0t-a-default-x", False), ("PKCS12", "changeit", True)],
)
def test_keytool_keystores(
    tool: Tool, tmp_path: Path, storetype: str, password: str, weak: bool
) -> None:
    store = tmp_path / "server.keystore"
    keytool = tool("keytool")
    common = ["-keystore", str(store), "-storetype", storetype, "-storepass", password]
    run(
        keytool,
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=test",
        "-keypass",
        password,
        *common,
    )
    cert = run(keytool, "-exportcert", "-alias", "server", *common)
    from cryptography import x509

    expected = spki(_CertKey(x509.load_der_x509_certificate(cert)))
    infos = analyse(store.read_bytes(), path=str(store))
    assert len(infos) == 1
    assert infos[0].format == storetype.lower()
    assert infos[0].fingerprints["spki_sha256"] == expected
    assert infos[0].weak_passphrase is weak
    assert infos[0].fingerprints["x509_sha256"] == hashlib.sha256(cert).hexdigest()


class _CertKey:
    """Lets `spki()` read a certificate's public key."""

    def __init__(self, cert: Any) -> None:
        self.cert = cert

    def public_key(self) -> Any:
        return self.cert.public_key()


@pytest.mark.parametrize("passphrase", ["", "changeit", "n0t-a-default-x"])
@pytest.mark.parametrize("algorithm", ["rsa", "dsa"])
def test_puttygen_sshcom_files(
    tool: Tool,
    write: Write,
    keys: dict[str, Any],
    samples: dict[str, dict[str, Written]],
    passphrase: str,
    algorithm: str,
) -> None:
    source = write("id_key", samples[algorithm]["openssh"].data)
    secret = write("pass.txt", passphrase.encode() + b"\n")
    target = source.parent / "key.ssh2"
    run(
        tool("puttygen"),
        str(source),
        "-O",
        "private-sshcom",
        "-o",
        str(target),
        "--new-passphrase",
        str(secret),
    )
    [info] = analyse(target.read_bytes())
    assert info.format == "ssh2"
    assert info.encrypted == bool(passphrase)
    if passphrase == "n0t-a-default-x":
        assert not info.public_known  # nothing of an SSH.com key is in clear
        return
    assert info.fingerprints["spki_sha256"] == spki(keys[algorithm])
    assert info.weak_passphrase == (passphrase == "changeit")


OPENSSL_CASES = {
    # name: (openssl arguments after the input files, format, encrypted, weak, public_known)
    "p12-default": (["pkcs12", "-export", "-passout", "pass:changeit"], "pkcs12", True, True, True),
    "p12-legacy": (
        ["pkcs12", "-export", "-legacy", "-passout", "pass:changeit"],
        "pkcs12",
        True,
        True,
        True,
    ),
    "p12-empty": (["pkcs12", "-export", "-passout", "pass:"], "pkcs12", True, True, True),
    "p12-clear-cert": (
        ["pkcs12", "-export", "-certpbe", "NONE", "-passout", "pass:n0t-a-default-x"],
        "pkcs12",
        True,
        False,
        True,
    ),
    "p12-locked": (
        ["pkcs12", "-export", "-passout", "pass:n0t-a-default-x"],
        "pkcs12",
        True,
        False,
        False,
    ),
    "pkcs8-v1": (
        ["pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", "pass:android"],
        "pkcs8-encrypted",
        True,
        True,
        True,
    ),
    "pkcs8-scrypt": (
        ["pkcs8", "-topk8", "-scrypt", "-passout", "pass:secret"],
        "pkcs8-encrypted",
        True,
        True,
        True,
    ),
    "traditional": (
        ["rsa", "-aes128", "-traditional", "-passout", "pass:changeit"],
        "legacy-encrypted-pem",
        True,
        True,
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(OPENSSL_CASES))
def test_openssl_written_files(
    tool: Tool,
    write: Write,
    keys: dict[str, Any],
    samples: dict[str, dict[str, Written]],
    case: str,
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from .conftest import certificate

    args, fmt, encrypted, weak, known = OPENSSL_CASES[case]
    key = write("in.key", samples["rsa"]["pkcs8-pem"].data)
    cert = write("in.crt", certificate(keys["rsa"]).public_bytes(Encoding.PEM))
    out = key.parent / "out.bin"
    inputs = ["-inkey", str(key), "-in", str(cert)] if args[0] == "pkcs12" else ["-in", str(key)]
    run(tool("openssl"), *args, *inputs, "-out", str(out))
    [info] = analyse(out.read_bytes())
    assert (info.format, info.encrypted, info.weak_passphrase) == (fmt, encrypted, weak)
    assert info.public_known is known
    if known:
        assert info.fingerprints["spki_sha256"] == spki(keys["rsa"])
