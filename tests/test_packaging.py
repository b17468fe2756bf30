"""The package installs under a name of its own, and says which extra a driver needs."""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import timeline
from timeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
DISTRIBUTION = "incident-timeline"


def test_the_distribution_has_a_name_of_its_own() -> None:
    """The distribution is incident-timeline (``timeline`` on PyPI is another project);
    the package and the command keep the name timeline, and the test extra names the
    distribution it belongs to."""
    project = PYPROJECT["project"]
    assert DISTRIBUTION == project["name"]
    assert "timeline.cli:main" == project["scripts"]["timeline"]
    assert f"{DISTRIBUTION}[postgres,pandas,parquet]" in project["optional-dependencies"]["test"]
    assert ["timeline"] == PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]


def readme_installs() -> list[list[str]]:
    """The arguments of every ``pip install`` in the README's sh blocks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|;", line):
                words = shlex.split(part, comments=True)
                if len(words) > 2 and words[0].endswith("pip") and words[1] == "install":
                    found.append([w for w in words[2:] if not w.startswith("-")])
    return found


def test_every_install_line_of_the_readme_names_this_distribution() -> None:
    """Each ``pip install`` in the README installs this distribution, from PyPI by its
    name or from a checkout (``.``), with extras that pyproject.toml declares."""
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    installs = readme_installs()
    assert {".", DISTRIBUTION} <= {re.sub(r"\[.*\]$", "", a) for args in installs for a in args}
    for args in installs:
        for arg in args:
            match = re.fullmatch(r"(incident-timeline|\.)(?:\[([\w,]+)\])?", arg)
            assert match is not None, f"pip install {arg}: not this distribution"
            wanted = set(match.group(2).split(",")) if match.group(2) else set()
            assert wanted <= extras, f"pip install {arg}: no such extra"


@pytest.fixture
def without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if psycopg were not installed: importing it fails."""
    monkeypatch.setitem(sys.modules, "psycopg", None)


def test_a_postgresql_url_without_the_driver_names_the_extra(without_psycopg: None) -> None:
    """Without psycopg, a postgresql:// URL is a MissingExtraError naming the extra to
    install, not a ModuleNotFoundError."""
    with pytest.raises(
        timeline.MissingExtraError, match=r"pip install 'incident-timeline\[postgres\]'"
    ):
        timeline.open("postgresql://nobody@127.0.0.1/nowhere")
    with pytest.raises(timeline.MissingExtraError, match="psycopg"):
        timeline.upgrade("postgresql://nobody@127.0.0.1/nowhere")


def test_the_command_says_so_in_one_line(without_psycopg: None) -> None:
    """On the command line it is one error line and exit status 1, no traceback."""
    result = CliRunner().invoke(main, ["--db", "postgresql://nobody@127.0.0.1/x", "events"])
    assert 1 == result.exit_code
    lines = result.output.splitlines()
    assert 1 == len(lines)
    assert lines[0].startswith("error: ")
    assert "pip install 'incident-timeline[postgres]'" in lines[0]
    assert "Traceback" not in result.output


def test_answers_carry_a_typed_basis_for_a_type_checker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's code checked with mypy sees ``State.basis`` and ``SequenceReport.basis``
    as ``Basis | None`` (py.typed is shipped), not ``Any``, so a typo such as
    ``state.basis.postion`` fails the check instead of at run time; and a
    ``DuplicateEventError``'s ``event_id`` as the UUID that ``tl.get`` takes, not
    ``object``."""
    api = pytest.importorskip("mypy.api")
    # the timeline under test: the installed wheel mypy finds itself (it refuses
    # site-packages on MYPYPATH), or a checkout on PYTHONPATH, which it is told of
    home = Path(timeline.__file__).parent.parent
    if home.name != "site-packages":
        monkeypatch.setenv("MYPYPATH", str(home))
    script = tmp_path / "user.py"
    script.write_text(
        "import timeline\n"
        "tl = timeline.open('sqlite://')\n"
        "reveal_type(tl.state('US').basis)\n"
        "reveal_type(tl.sequence([timeline.Step('x')]).basis)\n"
        "def refused(err: timeline.DuplicateEventError) -> None:\n"
        "    reveal_type(err.event_id)\n",
        encoding="utf-8",
    )
    out, _, _ = api.run(
        [
            str(script),
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--python-executable",
            sys.executable,
        ]
    )
    revealed = re.findall(r'Revealed type is "(.*)"', out)
    assert ["timeline.view.Basis | None"] * 2 + ["uuid.UUID"] == revealed, out
