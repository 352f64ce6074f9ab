"""Bounded fuzzing of what reads hostile bytes: key parsing, archives, tar
headers and config loading. No exception may escape, and every example must
finish within the deadline. Derandomised, so CI runs the same examples."""

from __future__ import annotations

import contextlib
import gzip
import io
import tarfile
import zipfile
from datetime import timedelta

import pytest
from hostile_support import private_key_pem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.config import Config, load_config
from scanner.errors import ConfigError
from scanner.keys import analyse_material
from scanner.model import Item, Origin
from scanner.safeload import LoadError, json_loads, yaml_load
from scanner.sources import archives
from scanner.sources.archives import tarcheck

BOUNDED = settings(
    max_examples=40,
    deadline=timedelta(seconds=10),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KEY = private_key_pem()


def _archives() -> list[bytes]:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/id.pem", KEY)
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("id.pem")
        info.size = len(KEY)
        info.pax_headers = {"comment": "x"}
        archive.addfile(info, io.BytesIO(KEY))
    return [zipped.getvalue(), tarred.getvalue(), gzip.compress(tarred.getvalue())]


SEEDS = [KEY, *_archives()]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed with a few bytes overwritten, inserted or cut."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["set", "insert", "cut"]))
        value = draw(st.binary(min_size=1, max_size=8))
        if action == "set":
            data[at : at + len(value)] = value
        elif action == "insert":
            data[at:at] = value
        else:
            del data[at : at + len(value)]
    return bytes(data)


@BOUNDED
@given(mutated())
def test_key_analysis_never_raises(data: bytes) -> None:
    analyse_material(data, origin=Origin(path="fuzz.pem"), passphrases=("", "changeit"))


@BOUNDED
@given(mutated())
def test_archives_never_raise(data: bytes) -> None:
    config = Config(archive_max_bytes=4 * 1024 * 1024, max_file_size=1024 * 1024)
    for name in ("f.zip", "f.tar", "f.tar.gz"):
        item = Item(origin=Origin(path=name), data=data)
        if archives.is_archive(name, data):
            for _ in archives.expand(item, data, config):
                pass
        tarcheck.check(data, 1000)


@BOUNDED
@given(st.text(max_size=400))
def test_documents_load_or_are_refused(text: str) -> None:
    for loader in (yaml_load, json_loads):
        try:
            loader(text)
        except (LoadError, ValueError):
            pass
        except Exception as exc:  # PyYAML's own errors are fine; anything else is not
            assert type(exc).__module__.startswith("yaml"), repr(exc)


@BOUNDED
@given(
    st.dictionaries(
        st.sampled_from(["jobs", "exclude", "registry", "archive_max_bytes", "fail_on", "x"]),
        st.one_of(st.integers(-5, 10**12), st.text(max_size=20), st.lists(st.text(max_size=5))),
        max_size=4,
    )
)
def test_config_loads_or_is_exit_2(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, object]
) -> None:
    import yaml

    root = tmp_path_factory.mktemp("cfg")
    (root / ".keysweep.yaml").write_text(yaml.safe_dump(values))
    with contextlib.suppress(ConfigError):
        load_config(None, root)
