"""Time and peak memory of keysweep on each class of hostile input.

Builds every input with the same builders the tests in tests/hostile/ use, runs
the real CLI once per case and prints a Markdown table: case, exit code, wall
seconds and peak resident memory (of the keysweep process and its workers).

    python benchmarks/hostile.py [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "hostile")]

from hostile_support import Run, private_key_pem, run  # noqa: E402


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "hostile" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(base: Path, files: dict[str, bytes], config: str = "") -> Path:
    tree = base / "tree"
    tree.mkdir()
    for name, data in files.items():
        (tree / name).write_bytes(data)
    if config:
        (tree / ".keysweep.yaml").write_text(config)
    return tree


def cases() -> dict[str, Callable[[Path], Run]]:
    costs, parsers, fail = (
        _module("test_costs"),
        _module("test_parsers"),
        _module("test_fail_closed"),
    )
    return {
        "PKCS#12 MAC 2^31-1": lambda b: run(
            _tree(b, {"s.p12": costs._pkcs12_with_mac_iterations(2**31 - 1)}), "scan", "."
        ),
        "PKCS#8 scrypt N=2^16 r=1024": lambda b: run(
            _tree(b, {"k.pem": costs._scrypt_pkcs8(1 << 16, 1024, 1)}), "scan", "."
        ),
        "PuTTY v3 Argon2 256 MiB x 200": lambda b: run(
            _tree(b, {"id.ppk": costs._ppk_v3(256 * 1024, 200, 1)}), "scan", "."
        ),
        "40 costly OpenSSH keys, one file": lambda b: run(
            _tree(b, {"k.txt": costs._costly_openssh_keys(40)}), "scan", "."
        ),
        "same, max_seconds 3": lambda b: run(
            _tree(b, {"k.txt": costs._costly_openssh_keys(40)}, "max_seconds: 3\n"), "scan", "."
        ),
        "tar.gz, PAX size=-512": lambda b: run(
            _tree(b, {"a.tar.gz": gzip.compress(parsers._pax_tar("-512"))}), "scan", "."
        ),
        "registry billion laughs": lambda b: _registry(b, parsers.LAUGHS),
        "registry JSON nested 50 000": lambda b: _registry(b, parsers.DEEP_JSON),
        "folder nested 1000 deep": lambda b: _deep(b, fail),
        "1M AWS key ids in 21 MB": lambda b: _ids(b),
        "zip member over budget": lambda b: run(
            _tree(
                b,
                {"a.zip": fail._zip([("p.tar", b"\0" * 3_000_000), ("id.pem", private_key_pem())])},
                "archive_max_bytes: 1000000\n",
            ),
            "scan",
            ".",
        ),
    }


def _registry(base: Path, text: str) -> Run:
    (base / "registry.yaml").write_text(text)
    return run(_tree(base, {}), "scan", ".", "--registry", str(base / "registry.yaml"), fmt=False)


def _deep(base: Path, fail: ModuleType) -> Run:
    tree = _tree(base, {})
    fd = os.open(tree, os.O_RDONLY)
    for _ in range(1000):
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    os.close(fd)
    try:
        return run(tree, "scan", ".")
    finally:
        fail._remove_deep(tree)


def _ids(base: Path) -> Run:
    import random

    text = "".join(random.Random(10).choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16_000_000))
    ids = "".join(f"AKIA{text[i : i + 16]}\n" for i in range(0, len(text), 16)).encode()
    return run(_tree(base, {"ids.txt": ids}), "scan", ".", "--jobs", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    print("| case | exit | seconds | peak MB | findings |")
    print("|---|---|---|---|---|")
    for name, case in cases().items():
        if args.only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result = case(Path(tmp))
        found = len(result.report.get("findings", []))
        print(f"| {name} | {result.code} | {result.seconds:.1f} | {result.peak_mb:.0f} | {found} |")


if __name__ == "__main__":
    main()
