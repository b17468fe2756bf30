"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    """The ```python blocks of the README."""
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples() -> None:
    """The README shows the API in Python."""
    assert python_blocks()


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Python block of the README runs without error, in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMELINE_DB", raising=False)
    exec(compile(python_blocks()[index], f"README.md python block {index}", "exec"), {})
