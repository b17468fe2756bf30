"""Draw the seed example's chart: examples/syria-2017-06.chart.html, .svg and .png.

Run it: python examples/make_chart.py [OUT_FOLDER]   (default: examples/)

The US, Russia and Syria from June 17 to 20, 2017 (UTC); Russia's cooperation with the
US and the US's with Russia as state bands; the sequence "shootdown, then cooperation
suspended, then the shooter repositioning its aircraft, within 3 days" as connected
marks. The PNG (for the README) is a screenshot by headless Chromium, taken only when
a Chromium is installed (``chromium`` on the PATH, or $CHROMIUM); without one it is
left as it was, and the script says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import timeline
from timeline import Step
from timeline.events import event_from_dict

EXAMPLES = Path(__file__).resolve().parent
NAME = "syria-2017-06"


def draw(tl: timeline.Timeline, path: Path) -> str:
    """Write the seed's chart to ``path`` (.html or .svg) and return its text."""
    report = tl.sequence(
        [
            Step("shootdown", key="actor"),
            Step("cooperation_suspended", key="targets"),
            Step("aircraft_repositioned", key="actor"),
        ],
        within="3d",
    )
    return tl.chart(
        path,
        actors=["US", "Russia", "Syria"],
        incident=NAME,
        since="2017-06-17",
        until="2017-06-20",
        bands=["cooperation.US", "cooperation.Russia"],
        sequence=report,
        title="syria-2017-06: the US, Russia and Syria, 17–20 June 2017",
    )


def screenshot(page: Path, png: Path, svg_text: str) -> bool:
    """Save a PNG of ``page`` as headless Chromium shows it; False when there is none."""
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if browser is None:
        return False
    width, height = (
        int(float(v)) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg_text).groups()
    )
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # as root in CI and containers
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={width + 32},{height + 32}",  # the page's 16 px margins
                f"--screenshot={png}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return True


def main(folder: Path) -> None:
    """Load the seed with its templates into a memory database and draw its chart."""
    folder.mkdir(parents=True, exist_ok=True)
    with timeline.open("sqlite://") as tl:
        lines = (EXAMPLES / f"{NAME}.jsonl").read_text(encoding="utf-8").splitlines()
        tl.load(event_from_dict(json.loads(line)) for line in lines if line)
        templates = json.loads((EXAMPLES / f"{NAME}.templates.json").read_text("utf-8"))
        for type_name, template in templates.items():
            tl.define(type_name, template)
        page = folder / f"{NAME}.chart.html"
        draw(tl, page)
        svg_text = draw(tl, folder / f"{NAME}.chart.svg")
    print(f"wrote {page} and {page.with_suffix('.svg')}")
    png = page.with_suffix(".png")
    if screenshot(page, png, svg_text):
        print(f"wrote {png} (headless Chromium)")
    else:
        print(f"no Chromium found: {png} left as it was", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLES)
