"""`frozen.quick_init`: a frozen dataclass built by filling its `__dict__` is the
value its generated `__init__` builds (fields, equality, hash, repr, pickling,
`replace`, frozenness), and a class it cannot build that way is refused."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from scanner.frozen import quick_init
from scanner.model import Item, Origin, SourceKind


@dataclass(frozen=True)
class Plain:
    path: str
    source: SourceKind = SourceKind.FILE
    commit: str | None = None
    also: tuple[Plain, ...] = ()


@quick_init
@dataclass(frozen=True)
class Quick:
    path: str
    source: SourceKind = SourceKind.FILE
    commit: str | None = None
    also: tuple[Plain, ...] = ()


def test_the_value_is_the_one_the_generated_init_builds() -> None:
    built = [
        (Quick("a.py"), Plain("a.py")),
        (Quick("b", commit="c" * 40), Plain("b", commit="c" * 40)),
        (Quick("d", SourceKind.GIT, None, ()), Plain("d", SourceKind.GIT, None, ())),
    ]
    for quick, plain in built:
        assert vars(quick) == vars(plain)
        assert quick == Quick(**vars(plain)) and hash(quick) == hash(Quick(**vars(plain)))
        assert repr(quick).replace("Quick", "Plain") == repr(plain)
    with pytest.raises(TypeError):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a", nonsense=1)  # type: ignore[call-arg]


def test_the_model_types_stay_frozen_values() -> None:
    origin = Origin("src/app.py", SourceKind.GIT, commit="c" * 40, at_head=True)
    item = Item(origin, b"data", "b" * 40, 4)
    assert pickle.loads(pickle.dumps(item)) == item
    assert dataclasses.replace(origin, path="other.py").commit == origin.commit
    assert dataclasses.asdict(origin)["path"] == "src/app.py"
    with pytest.raises(dataclasses.FrozenInstanceError):
        origin.path = "elsewhere"  # type: ignore[misc]
    assert {item: 1}[Item(origin, b"data", "b" * 40, 4)] == 1


def test_a_class_it_cannot_build_is_refused() -> None:
    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Factory:
        a: list[int] = field(default_factory=list)

    @dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    for cls in (Mutable, Factory, Checked, Slotted):
        with pytest.raises(TypeError):
            quick_init(cls)
