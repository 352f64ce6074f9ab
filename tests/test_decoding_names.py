"""What `decoding.file_kind` says of an item: its name is judged once per path,
its bytes every time, so two versions of one file can differ."""

from __future__ import annotations

import pytest

from scanner.decoding import file_kind
from scanner.model import Origin

SECRET = b"apiVersion: v1\nkind: Secret\ndata:\n  k: dmFsdWU=\n"
CONFIG = b"apiVersion: v1\nkind: ConfigMap\ndata:\n  k: v\n"
ESCAPED = b'{"url": "https:\\/\\/example.test\\/x"}\n'
PLAIN_JSON = b'{"url": "https://example.test/x"}\n'


def test_the_versions_of_one_yaml_file_are_judged_by_their_bytes() -> None:
    origin = Origin("deploy/app.yaml")
    assert [file_kind(origin, data) for data in (SECRET, CONFIG, SECRET)] == [
        "manifest",
        None,
        "manifest",
    ]


def test_helm_values_are_a_manifest_whatever_they_hold() -> None:
    assert file_kind(Origin("chart/values.yaml"), CONFIG) == "manifest"
    assert file_kind(Origin("chart/Values-prod.YML"), b"x: 1\n") == "manifest"
    assert file_kind(Origin("chart/values.json"), b"x") is None


def test_the_versions_of_one_json_file_are_judged_by_their_bytes() -> None:
    origin = Origin("data/dump.json")
    assert [file_kind(origin, data) for data in (ESCAPED, PLAIN_JSON, ESCAPED)] == [
        "escaped",
        None,
        "escaped",
    ]


@pytest.mark.parametrize(
    ("path", "member", "expected"),
    [
        ("bundle.zip", "inner/app.yml", "manifest"),
        ("deploy/app.yaml", "notes.txt", None),
        ("yaml", None, None),
        ("deploy/yaml.d/app", None, None),
        ("DUMP.JSONL", None, None),
    ],
)
def test_an_archive_member_is_judged_by_its_own_name(
    path: str, member: str | None, expected: str | None
) -> None:
    assert file_kind(Origin(path, archive_member=member), SECRET) == expected
