"""The labelled corpus of benchmarks/credentials.py: provider tokens planted in realistic
files, and negatives that no scanner should report.

Each positive is planted in several kinds of file (.env, nested YAML config, Python,
JavaScript, Go, GitHub Actions, Kubernetes Deployment and Secret, docker-compose,
Jupyter notebook, shell history, Java properties, appsettings.json). Negatives are
placeholders, documentation values, truncated tokens, and look-alikes: the same
shapes under names that are not secrets (commit ids, digests, request ids, cache
keys), lock-file hashes, and base64 image data. Every planted line is recorded with
its path, line number, family and provider, so a finding can be scored by place.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from credformats import Format, formats


@dataclass(frozen=True)
class Plant:
    path: str
    line: int
    family: str
    provider: str
    positive: bool


@dataclass
class _File:
    """A file being written: lines, and the labels of the planted ones."""

    path: str
    lines: list[str] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)

    def add(
        self, text: str, fmt: Format | None = None, positive: bool = True, value: str = ""
    ) -> None:
        """Append text; a labelled plant sits on the line holding `value` (the text's
        last line when no value is given)."""
        lines = text.split("\n")
        at = next((i for i, line in enumerate(lines) if value and value in line), len(lines) - 1)
        self.lines.extend(lines)
        if fmt is not None:
            line = len(self.lines) - len(lines) + at + 1
            self.plants.append(Plant(self.path, line, fmt.family, fmt.provider, positive))


def _section(fmt: Format) -> str:
    return fmt.variable.split("_", 1)[0].lower()


def _leaf(fmt: Format) -> str:
    parts = fmt.variable.lower().split("_", 1)
    return parts[1] if len(parts) > 1 else parts[0]


def _js_name(fmt: Format) -> str:
    words = fmt.variable.lower().split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


# One writer per kind of file: (file name, header, line for one value, footer).
Writer = Callable[[_File, Format, str], None]


def _dotenv(f: _File, fmt: Format, v: str) -> None:
    f.add(f"{fmt.variable}={v}", fmt, value=v)


def _yaml_nested(f: _File, fmt: Format, v: str) -> None:
    f.add(
        f"{_section(fmt)}:\n  endpoint: https://api.internal.local\n  {_leaf(fmt)}: {v}",
        fmt,
        value=v,
    )


def _python(f: _File, fmt: Format, v: str) -> None:
    f.add(f'{fmt.variable} = os.environ.get("{fmt.variable}", "{v}")', fmt, value=v)


def _javascript(f: _File, fmt: Format, v: str) -> None:
    f.add(f"const {_js_name(fmt)} = process.env.{fmt.variable} || '{v}';", fmt, value=v)


def _go(f: _File, fmt: Format, v: str) -> None:
    f.add(f'\t{_js_name(fmt)} := getenv("{fmt.variable}", "{v}")', fmt, value=v)


def _actions(f: _File, fmt: Format, v: str) -> None:
    f.add(f"      {fmt.variable}: {v}", fmt, value=v)


def _deployment(f: _File, fmt: Format, v: str) -> None:
    f.add(f'            - name: {fmt.variable}\n              value: "{v}"', fmt, value=v)


def _k8s_secret(f: _File, fmt: Format, v: str) -> None:
    f.add(f'  {fmt.variable}: "{v}"', fmt, value=v)


def _compose(f: _File, fmt: Format, v: str) -> None:
    f.add(f"      - {fmt.variable}={v}", fmt, value=v)


def _notebook(f: _File, fmt: Format, v: str) -> None:
    source = json.dumps(f'os.environ["{fmt.variable}"] = "{v}"\n')
    f.add(f"    {source},", fmt, value=v)


def _history(f: _File, fmt: Format, v: str) -> None:
    f.add(f"export {fmt.variable}='{v}'", fmt, value=v)


def _properties(f: _File, fmt: Format, v: str) -> None:
    key = fmt.variable.lower().replace("_", ".")
    f.add(f"{key}={v}", fmt, value=v)


def _appsettings(f: _File, fmt: Format, v: str) -> None:
    section = _section(fmt).capitalize()
    leaf = "".join(w.capitalize() for w in _leaf(fmt).split("_"))
    f.add(
        f'  "{section}": {{\n    "Region": "eu-west-1",\n    "{leaf}": "{v}"\n  }},', fmt, value=v
    )


KINDS: dict[str, tuple[str, str, Writer, str]] = {
    "dotenv": ("services/billing/.env", "# service configuration\n", _dotenv, ""),
    "yaml": ("config/production.yaml", "server:\n  port: 8080\n", _yaml_nested, ""),
    "python": ("src/app/settings.py", "import os\n\nDEBUG = False\n", _python, ""),
    "javascript": ("web/src/config.js", "'use strict';\n", _javascript, "module.exports = {};"),
    "go": ("cmd/worker/config.go", "package main\n\nfunc load() {", _go, "}"),
    "actions": (
        ".github/workflows/deploy.yml",
        "name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:",
        _actions,
        "    steps:\n      - run: make deploy",
    ),
    "deployment": (
        "deploy/k8s/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: api\n          env:",
        _deployment,
        "",
    ),
    "k8s-secret": (
        "deploy/k8s/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\nstringData:",
        _k8s_secret,
        "",
    ),
    "compose": (
        "docker-compose.yml",
        "services:\n  api:\n    image: registry.local/api:1.4\n    environment:",
        _compose,
        "",
    ),
    "notebook": (
        "notebooks/analysis.ipynb",
        '{\n "cells": [\n  {\n   "cell_type": "code",\n   "source": [\n    "import os\\n",',
        _notebook,
        '    "print(1)"\n   ]\n  }\n ],\n "nbformat": 4\n}',
    ),
    "history": ("home/ops/.bash_history", "cd /srv/app\ngit pull\n", _history, "make restart"),
    "properties": (
        "src/main/resources/application.properties",
        "server.port=8080\n",
        _properties,
        "",
    ),
    "appsettings": (
        "src/Api/appsettings.Production.json",
        '{\n  "Logging": {"LogLevel": {"Default": "Information"}},',
        _appsettings,
        '  "AllowedHosts": "*"\n}',
    ),
}


def _filler(rng: random.Random) -> str:
    words = ["order", "retry", "cache", "region", "limit", "queue", "user", "batch", "timeout"]
    return rng.choice(
        [
            f"# {rng.choice(words)} {rng.choice(words)} settings",
            f"{rng.choice(words).upper()}_{rng.choice(words).upper()}={rng.randrange(1, 9999)}",
            "",
        ]
    )


def _negatives(fmt: Format, rng: random.Random) -> list[str]:
    """Lines that hold no secret: placeholders and look-alikes for this format."""
    real = fmt.make(rng)
    lines = [
        f"{fmt.variable}=${{{fmt.variable}}}",
        f"{fmt.variable}=<your-{fmt.provider.lower().replace(' ', '-')}-key>",
        f"{fmt.variable}={fmt.placeholder()}",
        f"{fmt.variable}=changeme",
        f"{fmt.variable}={real[: max(4, len(real) // 4)]}...",
    ]
    section = _section(fmt).upper()
    lines += [
        f"{fmt.variable}: ${{{{ secrets.{fmt.variable} }}}}",
        f'{_leaf(fmt)} = os.getenv("{fmt.variable}")',
        f"{fmt.variable}=<%= ENV['{fmt.variable}'] %>",
        f"{fmt.variable}={real[:6]}{'*' * 12}",
    ]
    body = real.rsplit("-", 1)[-1].rsplit("_", 1)[-1]
    if not fmt.self_identifying:
        # Identifiers of the same provider, in the shape of its keys: not secrets.
        lines.append(f"{section}_CLIENT_ID={body}")
        other = fmt.make(rng).rsplit("-", 1)[-1].rsplit("_", 1)[-1]
        lines.append(f"{section}_ACCOUNT_ID={other}")
        # The value's own shape under a name that holds no secret.
        name = rng.choice(["COMMIT_SHA", "REQUEST_ID", "TRACE_ID", "BUILD_NUMBER", "ETAG"])
        lines.append(f"{name}={body}")
    return lines


_DOC = (
    "## Configuration\n\nSet `{var}` to the key from the {provider} dashboard, for example:\n\n"
    "    export {var}={placeholder}\n"
)


def _lookalikes(rng: random.Random) -> list[str]:
    hexd = "0123456789abcdef"
    uuid = "-".join("".join(rng.choice(hexd) for _ in range(n)) for n in (8, 4, 4, 4, 12))
    blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(120))).decode()
    return [
        f"commit {''.join(rng.choice(hexd) for _ in range(40))}",
        f'  "integrity": "sha512-{blob[:86]}==",',
        f"image: registry.local/api@sha256:{''.join(rng.choice(hexd) for _ in range(64))}",
        f'{{"request_id": "{uuid}", "status": 200}}',
        f"golang.org/x/text v0.14.0 h1:{blob[:43]}=",
        f'<img src="data:image/png;base64,{blob}">',
        f"cache-key: deps-{''.join(rng.choice(hexd) for _ in range(32))}",
        "checksum=" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32)),
    ]


def build(root: Path, seed: int = 1206, per_format: int = 4) -> list[Plant]:
    """Write the corpus under root; return every planted line's label."""
    rng = random.Random(seed)
    files: dict[str, _File] = {}
    kinds = list(KINDS)
    for index, fmt in enumerate(formats()):
        for copy in range(per_format):
            kind = kinds[(index * per_format + copy) % len(kinds)]
            path, header, write, _ = KINDS[kind]
            f = files.setdefault(path, _File(path, header.split("\n")))
            f.add(_filler(rng))
            write(f, fmt, fmt.make(rng))
        _write_negatives(files, fmt, rng)
    for f in files.values():
        footer = next((k[3] for k in KINDS.values() if k[0] == f.path), "")
        if footer:
            f.add(footer)
    return _flush(root, files)


def _write_negatives(files: dict[str, _File], fmt: Format, rng: random.Random) -> None:
    path = f"services/{fmt.family}/defaults.env"
    f = files.setdefault(path, _File(path))
    for line in _negatives(fmt, rng):
        f.add(line, fmt, positive=False)
    doc_path = f"docs/integrations/{fmt.family}.md"
    doc = files.setdefault(doc_path, _File(doc_path))
    text = _DOC.format(var=fmt.variable, provider=fmt.provider, placeholder=fmt.placeholder())
    doc.add(text.rstrip("\n"), fmt, positive=False)
    other = files.setdefault("build/metadata.txt", _File("build/metadata.txt"))
    for line in _lookalikes(rng):
        other.add(line)


def _flush(root: Path, files: dict[str, _File]) -> list[Plant]:
    plants: list[Plant] = []
    for f in files.values():
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(f.lines) + "\n", encoding="utf-8")
        plants.extend(f.plants)
    return plants
