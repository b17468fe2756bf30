"""Which modules of the package import which: the layers of CONVENTIONS.md, checked."""

from __future__ import annotations

import ast
from pathlib import Path

import timeline

PACKAGE = Path(timeline.__file__).parent


def runtime_imports(module: str) -> set[str]:
    """The ``timeline`` modules that ``module`` imports when it runs (at its top or inside
    a function), leaving out imports made only for type checking."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    checking = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and ast.unparse(branch.test) == "TYPE_CHECKING"
        for statement in branch.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "timeline":
                found |= {f"timeline.{alias.name}" for alias in node.names}
            elif node.module.startswith("timeline."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("timeline")}
    return found


def test_render_does_not_import_sequences() -> None:
    """The renderers take a sequence report as it is given; only the report's ``to_*``
    methods reach the renderers, so the two modules do not import each other."""
    assert "timeline.sequences" not in runtime_imports("render")


CLI_MAY_IMPORT = {"timeline", "timeline.demo", "timeline.io", "timeline.render", "timeline.text"}
"""What the command may use: the public API (``import timeline``), the file formats, the
renderers, the text for people and the demo; never the store, the view, the fold, the
rules of time or the events module directly."""


def test_the_cli_is_a_thin_client_of_the_public_api() -> None:
    """cli.py imports nothing of the package but the public API and the output modules,
    so that what the command does, a caller of the library can do too."""
    assert set() == runtime_imports("cli") - CLI_MAY_IMPORT


def test_the_demo_uses_only_the_public_api_and_the_text_module() -> None:
    """The demo is a script over the public API, as a user would write it."""
    assert set() == runtime_imports("demo") - {"timeline", "timeline.text"}
