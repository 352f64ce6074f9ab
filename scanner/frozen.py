"""Frozen dataclasses built without a call per field.

A frozen dataclass's generated `__init__` sets each field through
`object.__setattr__`, one call per field, since its own `__setattr__` refuses.
A history scan builds an `Origin` (fourteen fields) and an `Item` for every blob
in the main process, and another `Item` in the process that reads the blob:
about 6 µs a blob on a loaded machine, more than the rest of the main process's
work for it. `quick_init` gives such a class an `__init__` with the same
signature that writes the fields into the instance's `__dict__` at once, which
is what `object.__setattr__` did (a class without slots, whose fields are no
descriptors); the instance is as frozen, equal, hashed and pickled as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace the dataclass `cls`'s generated `__init__` (frozen, no slots, no
    `__post_init__`, no default factories, no init-only or keyword-only fields)."""
    params: list[str] = []
    body: list[str] = []
    defaults: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        _check(cls, item)
        if item.default is dataclasses.MISSING:
            params.append(item.name)
        else:
            defaults[f"_default_{item.name}"] = item.default
            params.append(f"{item.name}=_default_{item.name}")
        body.append(f"    fields[{item.name!r}] = {item.name}")
    source = f"def __init__(self, {', '.join(params)}):\n    fields = self.__dict__\n"
    namespace: dict[str, Any] = {}
    exec(source + "\n".join(body) + "\n", defaults, namespace)  # our own text, as dataclasses do
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


def _check(cls: type, item: dataclasses.Field[Any]) -> None:
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: not a frozen dataclass without slots")
    if hasattr(cls, "__post_init__") or not item.init or item.kw_only:
        raise TypeError(f"{cls.__name__}.{item.name}: set otherwise than by position")
    if item.default_factory is not dataclasses.MISSING:
        raise TypeError(f"{cls.__name__}.{item.name}: a default factory")
