"""The documentation runs: docstring examples pass and every public name has one."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import timeline

MODULES = sorted(
    m.name
    for m in pkgutil.iter_modules(timeline.__path__, "timeline.")
    if not m.name.startswith("timeline._")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(
    name: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example in the package's docstrings runs and prints what it shows."""
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert 0 == result.failed


def public_callables() -> list[tuple[str, object]]:
    """The public functions, classes and methods reachable from ``import timeline``."""
    found: list[tuple[str, object]] = []
    for name in timeline.__all__:
        obj = getattr(timeline, name)
        if inspect.isfunction(obj):
            found.append((name, obj))
        elif inspect.isclass(obj) and not issubclass(obj, BaseException):
            found.append((name, obj))
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(member):
                    found.append((f"{name}.{attr}", member))
    return found


@pytest.mark.parametrize(
    ("name", "obj"), public_callables(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_public_names_have_a_docstring_with_an_example(name: str, obj: object) -> None:
    """Each public function and class says what it does and shows it."""
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    assert ">>>" in doc, f"{name}'s docstring has no example"
