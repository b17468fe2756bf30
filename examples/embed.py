"""How a tool embeds timeline: open a store, record what comes in, read it back.

Run it: python examples/embed.py [DATABASE_URL]   (default: a temporary SQLite file)
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import timeline


def main(url: str) -> None:
    """Record a few seed events as an ingesting tool would, then query them."""
    with timeline.open(url, default_tz="Asia/Damascus") as tl:
        incident = "syria-2017-06"
        # Reports arrive out of order; each append is one transaction.
        seen = tl.incident_version(incident)
        tl.append(
            [
                tl.event(
                    "cooperation_suspended",
                    "Russia",
                    "2017-06-19",
                    incident=incident,
                    targets=["US"],
                    source={
                        "quote": "Russian Federation said it would "
                        "now “end co-operation with the American side”."
                    },
                ),
                tl.event(
                    "shootdown",
                    "US",
                    "2017-06-18 18:43",
                    incident=incident,
                    targets=["Syria"],
                    data={"aircraft": "Su-22"},
                ),
            ],
            expected_version=seen,  # refuse if someone else appended meanwhile
        )
        try:
            tl.record(
                "shootdown", "US", "2017-06-18 18:43", incident=incident, expected_version=seen
            )
        except timeline.ConcurrencyError as e:
            print(f"refused as expected: {e}")

        print("Events naming the US, in the order they happened:")
        for event in sorted(tl.events(actor="US"), key=lambda e: (e.occurred_at, e.position)):
            local = event.occurred_at.astimezone(dt.timezone(dt.timedelta(hours=3)))
            print(f"  {local:%Y-%m-%d %H:%M} +03:00  {event.precision:<6}  {event.type}")
        print(tl.verify())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f"sqlite:///{Path(folder) / 'embed.db'}")
