"""The sweep source: a user's home folder, the places people keep keys first.

Its items are marked `SourceKind.WORKSTATION`. The key places (~/.ssh, cloud CLIs, package-manager credentials, shell
histories, IDE settings, Desktop/Documents/Downloads) are walked first, in a
fixed order, so a sweep cut short by its budget has already looked where keys
usually are. Then the rest of the home folder, with the places already walked
left out so nothing is read twice, then any extra roots. Caches, package stores,
browser profiles and media libraries are skipped (`Config.sweep_exclude`).
Language runtimes' own files (installed interpreters and toolchains, with their
test suites full of test certificates and keys, and package caches) are skipped
too and counted apart, as `runtime-data`, so a report says what was left out
and why. Walking itself is `FileSource`'s: '~/…' paths, file mode and owner
recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.config import DEFAULT_MAX_FILE_SIZE
from scanner.model import Item, SourceKind
from scanner.sources import Skipped, SkipReason, SourceEvent
from scanner.sources.files import FileSource
from scanner.suppress import PathMatcher

"""The skip reason for a language runtime's own files."""
RUNTIME_EXCLUDES: tuple[str, ...] = (
    "**/.pyenv/versions/*/lib/**",
    "**/.pyenv/versions/*/include/**",
    "**/.pyenv/versions/*/share/**",
    "**/.pyenv/sources/**",
    "**/.pyenv/cache/**",
    "**/.local/share/uv/python/**",
    "**/.rye/py/**",
    "**/.rustup/**",
    "**/.sdkman/candidates/**",
    "**/.sdkman/archives/**",
    "**/.sdkman/tmp/**",
    "**/.nvm/versions/**",
    "**/.nvm/.cache/**",
    "**/.volta/tools/**",
    "**/.rbenv/versions/**",
    "**/.gem/ruby/*/gems/**",
    "**/.goenv/versions/**",
    "**/sdk/go*/**",
    "**/.asdf/installs/**",
    "**/.local/share/mise/installs/**",
    "**/.julia/packages/**",
    "**/.julia/artifacts/**",
    "**/.pub-cache/hosted/**",
    "**/.conda/pkgs/**",
    "**/miniconda3/pkgs/**",
    "**/anaconda3/pkgs/**",
    "**/miniforge3/pkgs/**",
    "**/mambaforge/pkgs/**",
    "**/micromamba/pkgs/**",
    "**/.conda/envs/*/lib/**",
    "**/miniconda3/lib/**",
    "**/anaconda3/lib/**",
    "**/miniforge3/lib/**",
)
"""Home-relative globs of interpreters, toolchains and package caches that version
managers install (pyenv, uv, rye, rustup, sdkman, nvm, volta, rbenv, goenv, asdf,
mise, Julia, Dart, conda): the runtime's own files, never the user's."""

KEY_PLACES: tuple[str, ...] = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".config/gcloud",
    ".kube",
    ".docker",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".m2/settings.xml",
    ".m2/settings-security.xml",
    ".gradle/gradle.properties",
    ".terraform.d/credentials.tfrc.json",
    ".bash_history",
    ".zsh_history",
    ".history",
    ".sh_history",
    ".python_history",
    ".psql_history",
    ".mysql_history",
    ".local/share/fish/fish_history",
    ".local/share/powershell/PSReadLine/ConsoleHost_history.txt",
    "AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt",
    ".vscode",
    ".idea",
    ".config/JetBrains",
    ".config/Code/User",
    "Library/Application Support/JetBrains",
    "Library/Application Support/Code/User",
    "AppData/Roaming/JetBrains",
    "AppData/Roaming/Code/User",
    ".config",
    "Desktop",
    "Documents",
    "Downloads",
)
"""Home-relative, in sweep order. A place inside an earlier one is walked once."""


def rebase(globs: Sequence[str], place: str) -> tuple[str, ...]:
    """Home-relative gitignore globs, re-expressed relative to the folder `place`."""
    out: list[str] = []
    prefix = place.rstrip("/") + "/"
    for glob in globs:
        body = glob.lstrip("/")
        if glob.startswith("**/"):
            out.append(glob)
            if glob[3:].startswith(prefix):
                out.append("/" + glob[3 + len(prefix) :])
        elif glob.startswith("/") or "/" in body.rstrip("/"):
            if body.startswith(prefix):
                out.append("/" + body[len(prefix) :])
        else:
            out.append(glob)
    return tuple(out)


@dataclass
class HomeSource:
    """The home folder (key places first), then `extra_roots`."""

    home: Path | None = None
    """None: the current user's home (Path.home()). Paths show as '~/…' when
    they are under Path.home()."""
    extra_roots: Sequence[Path] = ()
    exclude: Sequence[str] = ()
    """Home-relative gitignore globs: the sweep excludes plus the user's own."""
    include_home: bool = True
    runtime_exclude: Sequence[str] = RUNTIME_EXCLUDES
    """Left out like `exclude`, but counted as `runtime-data`."""
    follow_symlinks: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    places: Sequence[str] = KEY_PLACES
    walked: list[str] = field(default_factory=list)
    """The key places that existed, in the order they were walked."""

    @property
    def home_path(self) -> Path:
        return self.home if self.home is not None else Path.home()

    @property
    def roots(self) -> tuple[str, ...]:
        home = ("~",) if self.include_home else ()
        return home + tuple(_display(p, self.home_path) for p in self.extra_roots)

    def events(self) -> Iterator[SourceEvent]:
        yield from _relabel(self._events(), PathMatcher(self.runtime_exclude))

    def _events(self) -> Iterator[SourceEvent]:
        if self.include_home:
            yield from self._home()
        if self.extra_roots:
            yield from self._source(list(self.extra_roots), self._excludes()).events()

    def _excludes(self) -> tuple[str, ...]:
        return (*self.exclude, *self.runtime_exclude)

    def _home(self) -> Iterator[SourceEvent]:
        home = self.home_path
        self.walked.clear()
        excluded = PathMatcher(self._excludes())
        for place in self.places:
            path = home / place
            if not _is_place(path) or excluded.matches(place) or excluded.matches(place + "/"):
                continue  # an excluded place is left to the full walk, which skips it
            inner = [w[len(place) + 1 :] for w in self.walked if w.startswith(place + "/")]
            self.walked.append(place)
            excludes = (*rebase(self._excludes(), place), *_anchored(inner))
            yield from _quietly(self._source([path], excludes).events(), inner)
        source = self._source([home], (*self._excludes(), *_anchored(self.walked)))
        yield from _quietly(source.events(), self.walked)

    def _source(self, paths: list[Path], exclude: tuple[str, ...]) -> FileSource:
        return FileSource(
            paths,
            exclude=exclude,
            follow_symlinks=self.follow_symlinks,
            max_file_size=self.max_file_size,
            display="home",
            record_owner=True,
        )


def _is_place(path: Path) -> bool:
    """An existing file or folder, not a link (a folder we cannot enter is not one:
    the full walk reports it)."""
    try:
        return path.exists() and not path.is_symlink()
    except OSError:
        return False


def _anchored(places: Sequence[str]) -> tuple[str, ...]:
    return tuple("/" + p for p in places)


def _quietly(events: Iterator[SourceEvent], walked: Sequence[str]) -> Iterator[SourceEvent]:
    """Places left out because they were already walked are not 'excluded'."""
    for event in events:
        if not (isinstance(event, Skipped) and event.path.rstrip("/") in walked):
            yield event


def _relabel(events: Iterator[SourceEvent], runtime: PathMatcher) -> Iterator[SourceEvent]:
    """Items come from a workstation (advice and severity differ from a repository's);
    excluded paths that belong to a language runtime are counted as `runtime-data`."""
    for event in events:
        if isinstance(event, Item):
            yield replace(event, origin=replace(event.origin, source=SourceKind.WORKSTATION))
        elif (
            isinstance(event, Skipped)
            and event.reason == SkipReason.EXCLUDED
            and (runtime.matches(event.path) or runtime.matches(event.path + "/"))
        ):
            yield Skipped(event.path, SkipReason.RUNTIME_DATA)
        else:
            yield event


def _display(path: Path, home: Path) -> str:
    absolute = path.absolute()
    try:
        return "~/" + absolute.relative_to(home).as_posix()
    except ValueError:
        return absolute.as_posix()
