"""No silent empty answers: a name that matches nothing in the store is said, with the
closest names; a legitimate empty answer stays silent, and nothing raises."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import timeline
from timeline import Step, TimelineWarning
from timeline.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = EXAMPLES / "syria-2017-06.jsonl"
TEMPLATES = EXAMPLES / "syria-2017-06.templates.json"


@contextmanager
def silent() -> Iterator[None]:
    """Fail if a TimelineWarning is raised inside."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimelineWarning)
        yield


@pytest.fixture
def seeded(tl: timeline.Timeline) -> timeline.Timeline:
    """The seed example, with casualties counted on the US."""
    tl.import_file(SEED)
    tl.record("casualties_reported", "US", "2017-06-20", incident="syria-2017-06",
              effects={"US": {"casualties": 2}})  # fmt: skip
    return tl


def test_state_of_an_unknown_actor_names_the_closest(seeded: timeline.Timeline) -> None:
    """state("Irn") answers with no attributes, and a warning suggests Iran."""
    with pytest.warns(TimelineWarning, match=r"actor: no event in the store names 'Irn'; "
                      r"did you mean 'Iran'\?"):  # fmt: skip
        answer = seeded.state("Irn")
    assert 0 == answer.events_applied
    with silent():  # Iran is known: nothing before 2000 is a legitimate empty answer
        assert 0 == seeded.state("Iran", at="2000-01-01").events_applied
        seeded.history("Iran", until="2000-01-01")


def test_a_step_of_an_unknown_type(seeded: timeline.Timeline) -> None:
    """Step("missle_strike") finds nothing, and says that no event has that type."""
    steps = [Step("missle_strike"), Step("shootdown")]
    with pytest.warns(TimelineWarning, match=r"steps\[0\].type: no event in the store has the "
                      r"type 'missle_strike'; did you mean 'missile_strike'\?"):  # fmt: skip
        report = seeded.sequence(steps)
    assert () == report.matches
    with pytest.warns(TimelineWarning, match=r"until.type: .* 'truse'; did you mean 'truce'"):
        seeded.sequence([Step("shootdown")], until=Step("truse"))
    with silent():
        seeded.sequence([Step("missile_strike"), Step("shootdown")])


def test_history_of_an_attribute_that_never_changed(seeded: timeline.Timeline) -> None:
    """history("US", "casualtes") is empty, and names the attribute that is there."""
    with pytest.warns(TimelineWarning, match=r"attribute: no change of 'US' is at or under "
                      r"'casualtes'; did you mean 'casualties'\?"):  # fmt: skip
        assert [] == seeded.history("US", "casualtes")
    with silent():  # there, but not since then: a legitimate empty answer
        assert [] == seeded.history("US", "casualties", since="2018-01-01")
    with pytest.warns(TimelineWarning, match="actor: no event in the store names 'USA'"):
        seeded.history("USA")


def test_a_template_for_a_misspelt_type(seeded: timeline.Timeline) -> None:
    """define("trruce") beside a stored truce warns; a type far from every stored one, or
    a template defined before any event, does not."""
    template = {"{actor}": {"fighting": "paused"}}
    with pytest.warns(TimelineWarning, match=r"define: .* 'trruce'; did you mean 'truce'\?"):
        seeded.define("trruce", template)
    with silent():
        seeded.define("ceasefire_declared", template)
        timeline.open("sqlite://").define("trruce", template)


def test_a_forgotten_template(seeded: timeline.Timeline) -> None:
    """Events that apply but change nothing, with nothing defined: the templates were
    forgotten, and the warning says how to give them."""
    with pytest.warns(TimelineWarning, match=r"templates: 5 events of 'Russia' apply but "
                      r"none changes an attribute.*Timeline.define"):  # fmt: skip
        assert {} == dict(seeded.state("Russia"))
    seeded.define("cooperation_suspended", {"{actor}": {"cooperation.{target}": "suspended"}})
    with silent():
        assert "suspended" == seeded.state("Russia")["cooperation.US"]


def test_the_command_line_says_it_on_standard_error(tmp_path: Path) -> None:
    """The CLI prints each warning as one line on standard error; the answer is unchanged
    and the exit status 0."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    with timeline.open(url) as tl:
        tl.import_file(SEED)

    def run(*args: str) -> tuple[str, str]:
        result = CliRunner().invoke(main, ["--db", url, *args])
        assert 0 == result.exit_code, result.output
        return result.stdout, result.stderr

    out, err = run("state", "Irn")
    assert "(no attributes)" in out
    assert "warning: actor: no event in the store names 'Irn'; did you mean 'Iran'?\n" == err
    _, err = run("state", "Russia")
    assert "--templates FILE.json" in err
    _, err = run("--templates", str(TEMPLATES), "state", "Russia")
    assert "" == err
    _, err = run("report", "sequence", "missle_strike", "shootdown")
    assert "did you mean 'missile_strike'?" in err
    _, err = run("--templates", str(TEMPLATES), "history", "Russia", "coperation")
    assert "did you mean 'cooperation' or 'cooperation.US'?" in err


def test_a_chart_band_on_no_lane(seeded: timeline.Timeline) -> None:
    """A band that no lane's history has is said once; one on some lanes is not."""
    seeded.define("cooperation_suspended", {"{actor}": {"cooperation.{target}": "suspended"}})
    with pytest.warns(TimelineWarning, match=r"bands: no change of 'US', 'Russia' is at or "
                      r"under 'cooperaton.US'; the band is not drawn"):  # fmt: skip
        seeded.chart(actors=["US", "Russia"], bands=["cooperaton.US"], format="svg")
    with silent():
        seeded.chart(actors=["US", "Russia"], bands=["cooperation.US"], format="svg")


def test_events_of_unknown_names(seeded: timeline.Timeline) -> None:
    """events(actor=, type=, incident=) that list nothing say which name matches nothing;
    an answer with events, or an empty window of known names, says nothing."""
    with pytest.warns(TimelineWarning) as caught:
        assert [] == list(seeded.events(actor="Irn", type=["missle_strike", "truce"]))
    assert [
        "actor: no event in the store names 'Irn'; did you mean 'Iran'?",
        "type: no event in the store has the type 'missle_strike'; did you mean 'missile_strike'?",
    ] == [str(w.message) for w in caught]
    with pytest.warns(TimelineWarning, match="is in the incident 'syria-2017-6'; did you mean"):
        assert [] == list(seeded.events(incident="syria-2017-6", current=True))
    with silent():
        assert [] == list(seeded.events(actor="Iran", until="2000-01-01"))
        assert 1 == len(list(seeded.events(actor="Iran", type=["missile_strike", "truse"])))


def test_effects_that_cancel_out_are_not_a_forgotten_template(tl: timeline.Timeline) -> None:
    """An attribute set and then removed leaves no attributes, but the events did change
    something: no warning about templates."""
    tl.record("report", "US", "2017-06-18", incident="s", effects={"US": {"alert": 1}})
    tl.record("report", "US", "2017-06-19", incident="s", effects={"US": {"alert": None}})
    with silent():
        assert {} == dict(tl.state("US"))
        assert 2 == len(tl.history("US"))


def test_a_bound_on_reported_time_says_what_it_left_out_for_want_of_one(
    tl: timeline.Timeline,
) -> None:
    """A new user's trial: an event recorded today without reported_at counts as reported
    today, so ``state("Iran", reported_by="2017-06-19")`` answered with no events, silently
    (documented, but an empty answer all the same). It now says how many events were
    left out for that reason, and since when they were recorded; events given a reported
    time, and questions without the bound, stay silent."""
    tl.define("missile_strike", {"{actor}": {"strikes": "+1"}})
    tl.record("missile_strike", "Iran", "2017-06-18", incident="s")
    tl.record("missile_strike", "Iran", "2017-06-17", incident="s")
    with pytest.warns(TimelineWarning) as caught:
        answer = tl.state("Iran", reported_by="2017-06-19")
    assert 0 == answer.events_applied
    [said] = [str(w.message) for w in caught]
    assert said.startswith(
        "reported_by: 2 events of 'Iran' were left out because they have no reported time: "
        "the recorded time stands for it, and they were recorded after the bound (by the "
        "end of 2017-06-19 (UTC)), the first on "
    )
    assert f"the first on {dt.datetime.now(dt.UTC).year}-" in said
    with pytest.warns(TimelineWarning, match=r"^reported_by: 1 event of 'Iran' was left out"):
        tl.state("Iran", at="2017-06-17", reported_by="2017-06-19")  # the other is later
    with pytest.warns(TimelineWarning, match=r"^reported_by: 2 events of 'Iran' were left out"):
        assert [] == list(tl.events(actor="Iran", reported_by="2017-06-19"))
    with pytest.warns(TimelineWarning, match=r"^reported_by: 2 events of 'Iran' were left out"):
        assert [] == tl.history("Iran", reported_by="2017-06-19")
    with pytest.warns(TimelineWarning, match=r"^reported_by: 1 event of 'Iran' was left out"):
        assert [] == list(tl.events(actor="Iran", since="2017-06-18", reported_by="2017-06-19"))
    with silent():
        assert 2 == tl.state("Iran").events_applied
        tl.record("missile_strike", "Iraq", "2017-06-18", incident="t", reported_at="2017-06-18")
        assert 1 == tl.state("Iraq", reported_by="2017-06-19").events_applied


def test_a_known_at_before_the_store_recorded_anything_says_so(
    seeded: timeline.Timeline,
) -> None:
    """A new user's trial: "what did we know on 19 June 2017" asked as
    ``known_at="2017-06-19"`` of a store filled today answered with nothing, silently
    (``examples/status.sh US "June 19 2017" 2017-06-20``, its own usage line). Each
    reader now says that the store had recorded nothing by then, when its first event
    was recorded, and that reported_by asks what had been reported; a known_at after
    the first recording, and an empty store, stay silent."""
    today = f"{dt.datetime.now(dt.UTC).year}-"
    said = (
        r"^known_at: this store had recorded nothing by the end of 2017-06-19 \(UTC\); "
        rf"its first event was recorded on {today}.*reported_by"
    )
    asked = {"known_at": "2017-06-19"}
    with pytest.warns(TimelineWarning, match=said):
        assert 0 == seeded.state("Russia", at="2017-06-19", **asked).events_applied
    with pytest.warns(TimelineWarning, match=said):
        assert [] == seeded.history("Russia", **asked)
    with pytest.warns(TimelineWarning, match=said):
        assert [] == list(seeded.events(actor="Russia", **asked))
    with pytest.warns(TimelineWarning, match=said):
        assert () == seeded.sequence([Step("shootdown", key="actor")], **asked).matches
    with pytest.warns(TimelineWarning, match=said):
        assert {} == dict(seeded.states(**asked))
    with silent():
        assert [] != list(seeded.events(actor="Russia", known_at=f"{today}12-31"))
        assert [] != list(seeded.events(actor="Russia", reported_by="2017-06-19"))
        with timeline.open("sqlite://") as empty:
            empty.events(known_at="2017-06-19")
            list(empty.events(known_at="2017-06-19"))


def _reported_by_warnings(call: Callable[[], object]) -> list[str]:
    """The reported_by warnings ``call`` gives."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in seen if str(w.message).startswith("reported_by:")]


def test_reported_by_warning_not_for_events_a_where_leaves_out() -> None:
    """A reviewer's find: events(actor, reported_by, where=...) answered with nothing
    because the ``where`` matches no event warned that the reported bound left an event
    out, which the where leaves out whatever its reported time."""
    tl = timeline.open("sqlite://")
    tl.record("truce", "Iraq", "2017-06-17", incident="s")  # no reported time
    found = _reported_by_warnings(
        lambda: list(tl.events(actor="Iraq", reported_by="2017-06-18", where={"type": "strike"}))
    )
    assert found == []


def test_reported_by_warning_counts_events_not_their_corrections() -> None:
    """A reviewer's find: the warning counted corrections and retractions as events
    left out ('2 events' for one event and its correction; a retraction recorded later
    of an event reported in time warned of '1 event'). Only events are counted."""
    tl = timeline.open("sqlite://")
    e = tl.record("truce", "Iraq", "2017-06-17", incident="s")  # no reported time
    tl.correct(e.id, data={"n": 1})
    found = _reported_by_warnings(lambda: tl.state("Iraq", reported_by="2017-06-18"))
    assert len(found) == 1 and found[0].startswith("reported_by: 1 event of 'Iraq' was"), found
    r = tl.record("truce", "Iran", "2017-06-17", incident="s", reported_at="2017-06-17")
    tl.retract(r.id, "wrong")
    assert _reported_by_warnings(lambda: tl.state("Iran", reported_by="2017-06-18")) == []


def test_reported_by_warning_counts_no_event_retracted_by_the_bound() -> None:
    """A reviewer's find: an event withdrawn by a retraction reported before the bound
    is left out whatever its reported time, yet state() and events(current=True) warned
    that it was left out for want of one. Such an event is not counted."""
    import warnings

    from timeline.errors import TimelineWarning

    tl = timeline.open("sqlite://")
    e = tl.record("claim", "US", "2017-06-10", incident="s", effects={"US": {"n": 1}})
    tl.retract(e.id, "wrong", reported_at="2017-06-11")
    view = tl.as_of(reported_by="2017-06-15")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view.state("US")
        list(view.events(actor="US", current=True))
    said = [str(w.message) for w in caught if issubclass(w.category, TimelineWarning)]
    assert not [m for m in said if m.startswith("reported_by:")], said


def test_each_warning_names_the_line_that_asked() -> None:
    """A new user's trial: ``tl.history("Rusia")`` warned from ``timeline/api.py`` (its
    line that hands the question to ``as_of``), not from the caller's line, for every
    warning of ``history``; ``tl.as_of(...).state("Rusia")`` named the line above the
    caller's. Every warning names the caller's own line, as ``warnings`` filters by
    module and people read the line to find the question."""
    tl = timeline.open("sqlite://")
    tl.define("seen", {"{actor}": {"seen": "yes"}})
    tl.record("seen", "US", "2017-06-18", incident="s")
    then = tl.as_of(reported_by="2017-06-17")
    asks: list[Callable[[], object]] = [
        lambda: tl.state("Rusia"),
        lambda: tl.state("US", reported_by="2017-06-17"),
        lambda: tl.history("Rusia"),
        lambda: tl.history("US", "seenn"),
        lambda: tl.history("US", reported_by="2017-06-17"),
        lambda: list(tl.events(actor="Rusia")),
        lambda: list(tl.events(actor="US", reported_by="2017-06-17")),
        lambda: then.state("Rusia"),
        lambda: then.state("US"),
        lambda: then.history("US"),
        lambda: list(then.events(actor="US")),
        lambda: tl.sequence([Step("seenn")]),
        lambda: tl.chart(actors=["US"], bands=["nope"]),
    ]
    for number, ask in enumerate(asks):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ask()
        assert caught, number
        assert [__file__] * len(caught) == [w.filename for w in caught], number
        assert {ask.__code__.co_firstlineno} == {w.lineno for w in caught}, number


def test_events_found_or_not_is_their_truth(seeded: timeline.Timeline) -> None:
    """A new user's trial: ``if tl.events(actor="UK"):`` passed with nothing found (an
    iterator is always true). The answer is true exactly while an event is left to
    read, and the event read ahead to tell is not lost."""
    assert not seeded.events(actor="UK")
    found = seeded.events(actor="Russia")
    assert found and found  # asked twice: one event read ahead, kept
    every = list(found)
    assert [e.position for e in seeded.events(actor="Russia")] == [e.position for e in every]
    assert not found  # all read
