"""The scripts in examples/ run as a user would run them, on both backends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import timeline
from timeline.events import event_from_dict

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_embed_example_runs(db_url: str) -> None:
    """examples/embed.py records, is refused on a stale version, lists and verifies."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "embed.py"), db_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "refused as expected: expected_version:" in result.stdout
    assert "2017-06-18 18:43 +03:00  minute  shootdown" in result.stdout
    assert "ok: 2 events verified" in result.stdout


def test_seed_data_loads_and_keeps_the_article_order(tl: timeline.Timeline) -> None:
    """Every line of the seed file is a valid event; it is stored in the article's order."""
    lines = (EXAMPLES / "syria-2017-06.jsonl").read_text(encoding="utf-8").splitlines()
    events = [event_from_dict(json.loads(line)) for line in lines]
    recorded = tl.append(events)
    assert [e.id for e in events] == [e.id for e in recorded]
    quotes = [e.source["quote"] for e in recorded if "quote" in e.source]  # not background
    article = EXAMPLES.parent.parent / "shared" / "seed" / "article-2017-06-syria.txt"
    if article.is_file():  # beside the checkout in this workplace
        text = article.read_text(encoding="utf-8")
        assert all(q in text for q in quotes)
    by_time = sorted(recorded, key=lambda e: (e.occurred_at, e.position))
    assert by_time != recorded  # the article's order is not the order of events
