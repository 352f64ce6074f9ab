"""The key-format table is what dispatch, the binary-file decision and archives read."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from scanner.keys import is_key_container
from scanner.keys.formats import FORMATS, KeyFormat, by_magic, named
from scanner.sources.archives import is_archive

from .conftest import Written, analyse


def test_rows_have_distinct_names_and_extensions() -> None:
    names = [f.name for f in FORMATS]
    extensions = [e for f in FORMATS for e in f.extensions]
    assert len(names) == len(set(names))
    assert len(extensions) == len(set(extensions))
    assert all(e.startswith(".") and e == e.lower() for e in extensions)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_named_format_passes_the_binary_file_decision(fmt: KeyFormat) -> None:
    for extension in fmt.extensions:
        assert is_key_container(f"dir/FILE{extension.upper()}", os.urandom(64))
        assert named(f"x{extension}") is fmt
    for magic in fmt.magic:
        assert by_magic(magic + os.urandom(32)) is fmt
        assert is_key_container("blob.bin", magic + os.urandom(32))


@pytest.mark.parametrize("name", ["release.jks", "cert.p12", "vault.kdbx", "id.gpg", "k.key"])
def test_a_zip_named_like_a_key_file_is_opened_as_an_archive(name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.txt", "hello")
    assert is_archive("bundle.zip", buffer.getvalue())
    assert is_archive(name, buffer.getvalue())  # no key format starts as a zip: bytes decide
    assert not is_key_container(name, buffer.getvalue())


def test_binary_material_no_parser_reads_is_named_by_its_row() -> None:
    [info] = analyse(b"\x00\x01" + os.urandom(200), path="secrets/vault.kdbx")
    assert not info.parsed and info.format == "keepass"
    [info] = analyse(b"\x00\x01" + os.urandom(200), path="blob")
    assert info.format == "binary"


def test_dispatch_walks_the_rows_text_then_binary(
    samples: dict[str, dict[str, Written]],
) -> None:
    [pem] = analyse(samples["rsa"]["traditional"].data)
    [der] = analyse(samples["rsa"]["der"].data, path="blob.bin")
    assert pem.parsed and der.parsed
    assert pem.fingerprints["spki_sha256"] == der.fingerprints["spki_sha256"]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.folders], ids=lambda f: f.name)
def test_a_folder_that_holds_only_keys_names_its_files(fmt: KeyFormat) -> None:
    for folder in fmt.folders:
        assert named(f"home/.gnupg/{folder}/ABCDEF0123.key") is not None
        assert named(f"home\\.GNUPG\\{folder.upper()}\\ABCDEF0123") is fmt
        assert named(f"home/{folder}-notes.txt") is None


@pytest.mark.parametrize("name", ["src/app.py", "README", "keys.txt", "a/b.tar", "p12.json"])
def test_names_of_no_format_are_named_none(name: str) -> None:
    assert named(name) is None
    assert named(name.upper()) is None
