"""Effects and templates on both backends: the cases of the issue "Effects" (templates'
{actor} parts, one table of operators, paths that keep their shape, one order, names
inside paths)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import timeline
from timeline import InvalidEventError
from timeline.effects import (
    OPERATORS,
    PreparedEffects,
    _apply_nested,
    _changed,
    _steps,
    applied_paths,
    apply_effects,
    prepare,
    same_json,
)
from timeline.fold import Folder, fold, resolve

from helpers import stored_count
from strategies import attribute_paths, effect_values, json_values, nested

INCIDENT = "syria-2017-06"
STRIKE = {"{actor}": {"strikes": {"$inc": 1}}, "{target}": {"struck_by.{actor}": "yes"}}
SUSPENDED = {"{actor}": {"cooperation.{target}": "suspended"}}


def strike(tl: timeline.Timeline, day: int, targets: list[str]) -> timeline.RecordedEvent:
    """Record Iran's missile strike of June ``day``, 2017, on ``targets``."""
    return tl.record("missile_strike", "Iran", f"2017-06-{day:02d}", incident=INCIDENT,
                     targets=targets)  # fmt: skip


# -- a template's {actor} part applies once per event ---------------------------------------


def test_the_actor_part_applies_once_per_event(tl: timeline.Timeline) -> None:
    """One strike on two targets counts one strike for the actor, and a strike without a
    target counts one too; the {target} part applies to each target."""
    tl.define("missile_strike", STRIKE)
    strike(tl, 18, ["Islamic State", "SDF"])
    assert 1 == tl.state("Iran")["strikes"]
    assert {"struck_by.Iran": "yes"} == dict(tl.state("Islamic State"))
    assert {"struck_by.Iran": "yes"} == dict(tl.state("SDF"))
    strike(tl, 19, [])
    assert 2 == tl.state("Iran")["strikes"]
    assert [(None, 1), (1, 2)] == [(h.old, h.new) for h in tl.history("Iran", "strikes")]


def test_an_actor_part_that_mentions_target_applies_once_per_target(
    tl: timeline.Timeline,
) -> None:
    """An {actor} part whose paths or values mention {target} names each target, so it
    applies once per target (the seed's templates), and not at all without a target."""
    tl.define("cooperation_suspended", SUSPENDED)
    tl.define("threat_issued", {"{actor}": {"last_threatened": "{target}"}})
    tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT,
              targets=["US", "US-led coalition"])  # fmt: skip
    tl.record("cooperation_suspended", "Russia", "2017-06-20", incident=INCIDENT)
    tl.record("threat_issued", "Russia", "2017-06-21", incident=INCIDENT, targets=["US", "UK"])
    assert {
        "cooperation.US": "suspended",
        "cooperation.US-led coalition": "suspended",
        "last_threatened": "UK",
    } == dict(tl.state("Russia"))


# -- one table of operators, one check ---------------------------------------------------------

REFUSED_VALUES = [
    ({"x": {"$inc": "a"}}, "x", r"\$inc needs a number"),
    ({"x": {"$inc": None}}, "x", r"\$inc needs a number"),
    ({"x": {"$inc": True}}, "x", r"\$inc needs a number"),
    ({"x": {"$inc": [1]}}, "x", r"\$inc needs a number"),
    ({"x": {"$mul": 3}}, "x", r"unknown operator '\$mul'; use \$inc"),
    ({"alert": {"$max": 3}}, "alert", r"unknown operator '\$max'"),
    ({"x": {"alert": {"$max": 3}}}, "x.alert", r"a key starting with '\$'"),
    ({"x": {"alert": {"$inc": 1}}}, "x.alert", r"a key starting with '\$'"),
    ({"x": {"$inc": 1, "y": 2}}, "x", r"a key starting with '\$'"),
    ({"x": [{"$inc": 1}]}, "x[0]", r"a key starting with '\$'"),
    ({"x": {"a": [1, {"b": {"$set": 1}}]}}, "x.a[1].b", r"a key starting with '\$'"),
    ({"x": {"": 1}}, "x.", "non-empty dotted parts"),
    ({"a..b": 1}, "a..b", "non-empty dotted parts"),
    # MongoDB's spelling of an increment: it set the attribute "$inc.alert" to 1
    ({"$inc": {"alert": 1}}, "$inc", r"a key starting with '\$'"),
    ({"army.$inc": 1}, "army.$inc", r"a key starting with '\$'"),
]


@pytest.mark.parametrize(("changes", "path", "problem"), REFUSED_VALUES)
def test_define_and_events_refuse_the_same_effects(
    tl: timeline.Timeline, db_url: str, changes: dict[str, Any], path: str, problem: str
) -> None:
    """A template and an event's effects pass one check: each bad value is refused by
    define() and by record() with the same problem, naming the path; nothing is stored and
    nothing declared."""
    with pytest.raises(InvalidEventError, match=problem) as by_define:
        tl.define("report", {"{actor}": changes})
    assert f"effects.{{actor}}.{path}" == by_define.value.field
    with pytest.raises(InvalidEventError, match=problem) as by_record:
        tl.record("report", "Russia", "2017-06-19", incident=INCIDENT, effects={"Russia": changes})
    assert f"effects.Russia.{path}" == by_record.value.field
    assert by_define.value.problem == by_record.value.problem
    assert 0 == stored_count(db_url)
    tl.record("report", "Russia", "2017-06-19", incident=INCIDENT)
    assert {} == dict(tl.state("Russia"))  # the refused template was not declared


def test_inc_adds_ints_and_floats(tl: timeline.Timeline) -> None:
    """$inc adds a finite int or float, in templates and in events alike."""
    tl.define("report", {"{actor}": {"n": {"$inc": 2}}})
    tl.record("report", "US", "2017-06-18", incident=INCIDENT, effects={"US": {"n": {"$inc": 0.5}}})
    assert 2.5 == tl.state("US")["n"]


def test_operators_are_one_table() -> None:
    """Each operator is one entry with its check and application; $inc is the one."""
    assert ["$inc"] == list(OPERATORS)
    inc = OPERATORS["$inc"]
    assert (True, True, False, False) == tuple(map(inc.accepts, [1, -0.5, True, "1"]))
    assert (2, None) == inc.apply(None, 2)


changes_of_one_actor = st.dictionaries(attribute_paths, effect_values, max_size=3).filter(
    lambda changes: not nested(changes)
)


@given(st.lists(changes_of_one_actor, max_size=8))
def test_the_folds_application_is_that_of_apply_effects(effects: list[dict[str, Any]]) -> None:
    """applied_paths (what the fold applies, keeping only the paths changed) leaves the
    same attributes and problems as apply_effects, and names the paths of its changes."""
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for changes in effects:
        paths, problems = applied_paths(ours, changes)
        made, expected_problems = apply_effects(theirs, changes)
        assert ([c.attribute for c in made], expected_problems) == (paths, problems)
        assert list(theirs.items()) == list(ours.items())  # in the same order too


older_changes = st.dictionaries(
    st.sampled_from(["air", "air.count", "air.count.max", "coop", "status"]) | attribute_paths,
    effect_values,
    max_size=3,
)
"""Effects of one actor as an older store may hold them, often a path beside a path
inside it (``air`` and ``air.count``)."""


def _kept_to_the_end(values: dict[str, Any], changes: dict[str, Any]) -> tuple[Any, ...]:
    """The application that keeps every attribute's first old value until all the
    effects are applied, then compares: right for any effects, nested or not."""
    olds: list[Any] = []
    steps, _ = _steps(changes)
    paths, problems = _apply_nested(values, steps, [], olds)
    return paths, problems, olds


@given(st.lists(older_changes, max_size=8))
def test_each_path_is_decided_as_when_every_old_value_is_kept_to_the_end(
    effects: list[dict[str, Any]],
) -> None:
    """applied_paths decides whether a path changed as soon as its effect applies when
    no path lies inside another; that is what keeping every old value to the end says,
    and effects where one does (an older store's) are applied that way."""
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for changes in effects:
        olds: list[Any] = []
        paths, problems = applied_paths(ours, changes, olds=olds)
        assert _kept_to_the_end(theirs, changes) == (paths, problems, olds)
        assert list(theirs.items()) == list(ours.items())  # in the same order too


@given(st.lists(older_changes, max_size=8))
def test_prepared_effects_apply_as_the_effects_themselves(effects: list[dict[str, Any]]) -> None:
    """Effects prepared once (as a read shares them among its events) change the
    attributes, name the paths and problems, and compare, as the plain mapping does."""
    ours: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    for changes in effects:
        prepared = prepare(changes)
        assert isinstance(prepared, PreparedEffects)
        assert changes == prepared
        assert apply_effects(theirs, changes) == apply_effects(ours, prepared)
        assert list(theirs.items()) == list(ours.items())


@given(json_values, json_values)
def test_a_path_changed_is_one_whose_value_is_not_the_same_json(a: Any, b: Any) -> None:
    """The fold's test of whether an effect changed a path (_changed) is same_json, for
    the same object, equal values of one type, and values of other types alike."""
    for old, new in [(a, b), (a, a), (b, b), (a, None), (None, b)]:
        expected = [] if same_json(old, new) else ["p"]
        assert expected == _changed({"p": old}, {"p": new} if new is not None else {})


# -- paths keep their shape --------------------------------------------------------------------


def test_an_increment_above_set_paths_is_a_problem_not_a_second_shape(
    tl: timeline.Timeline,
) -> None:
    """With army.size set, $inc on army changes nothing and is listed in problems; the
    state still nests."""
    tl.record("report", "Russia", "2017-06-18", incident=INCIDENT,
              effects={"Russia": {"army.size": 5}})  # fmt: skip
    tl.record("report", "Russia", "2017-06-19", incident=INCIDENT,
              effects={"Russia": {"army": {"$inc": 1}}})  # fmt: skip
    state = tl.state("Russia")
    assert {"army.size": 5} == dict(state)
    assert {"army": {"size": 5}} == state.tree()
    assert ("army: cannot add 1 to {'size': 5}",) == state.problems


@pytest.mark.parametrize(
    ("effects", "expected"),
    [
        ({"army": 7}, {"army": 7}),  # a value replaces the paths below
        ({"army": None}, {}),  # None removes them
        ({"army.size.men": 3}, {"army.size.men": 3}),  # a value below a plain value
        ({"army": {"navy": 1}}, {"army.navy": 1}),  # an object replaces what was there
        ({"army.size": {"$inc": 1}}, {"army.size": 6}),
    ],
)
def test_every_effect_leaves_a_tree(
    tl: timeline.Timeline, effects: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Whatever an effect does to a path, it replaces what was below and above it, and
    tree() builds."""
    tl.record("report", "Russia", "2017-06-18", incident=INCIDENT,
              effects={"Russia": {"army.size": 5}})  # fmt: skip
    tl.record("report", "Russia", "2017-06-19", incident=INCIDENT, effects={"Russia": effects})
    state = tl.state("Russia")
    assert (expected, ()) == (dict(state), state.problems)
    state.tree()


@pytest.mark.parametrize(
    ("before", "effects", "problem"),
    [
        ({"army": 7}, {"army.size": {"$inc": 1}}, "army.size: lies inside army, which holds 7"),
        ({"army": "big"}, {"army.size.men": {"$inc": 2}}, "army.size.men: lies inside army"),
        ({"army.size": 5}, {"army.size.men": {"$inc": 3}}, "army.size.men: lies inside army.size"),
    ],
)
def test_an_increment_inside_a_plain_value_is_a_problem(
    tl: timeline.Timeline, before: dict[str, Any], effects: dict[str, Any], problem: str
) -> None:
    """$inc on a path inside a plain value changes nothing and is listed in problems: it
    counted from 0 and replaced the value (army = 7 became army.size = 1)."""
    tl.record("report", "Russia", "2017-06-18", incident=INCIDENT, effects={"Russia": before})
    tl.record("report", "Russia", "2017-06-19", incident=INCIDENT, effects={"Russia": effects})
    state = tl.state("Russia")
    assert before == dict(state)
    assert 1 == len(state.problems) and state.problems[0].startswith(problem)
    assert [] == [h for h in tl.history("Russia") if h.event.occurred_at.day == 19]


def test_an_increment_inside_an_empty_object_counts_from_zero() -> None:
    """An empty object holds no attribute: $inc on a path inside it counts from 0."""
    values: dict[str, Any] = {"army": {}}
    assert (["army", "army.size"], []) == applied_paths(values, {"army.size": {"$inc": 2}})
    assert {"army.size": 2} == values


@pytest.mark.parametrize(
    ("current", "n", "problem"),
    [
        (2**53 + 1, 0.5, "adding 0.5 to 9007199254740993 loses"),  # was 9007199254740992.0
        (1e16, 1, "adding 1 to 1e+16 loses"),  # was 1e16: the count lost in silence
        (2**60 + 1, -0.0, "adding -0.0 to 1152921504606846977 loses"),
    ],
)
def test_an_increment_a_float_cannot_hold_is_a_problem(current: Any, n: Any, problem: str) -> None:
    """Past 2**53 a float no longer holds every integer: a sum it would round is a problem,
    and the value stays as it was."""
    values = {"n": current}
    paths, problems = applied_paths(values, {"n": {"$inc": n}})
    assert ([], {"n": current}) == (paths, values)
    assert 1 == len(problems) and problems[0].startswith(f"n: {problem}")


@pytest.mark.parametrize(
    ("current", "n", "total"),
    [(0.1, 0.2, 0.1 + 0.2), (2**70, 1, 2**70 + 1), (2.0**60, 2.0**60, 2.0**61), (5, 0.5, 5.5)],
)
def test_an_increment_a_float_holds_or_of_ints_applies(current: Any, n: Any, total: Any) -> None:
    """Sums of ints are exact at any size, and floats below 2**53 add as floats do."""
    values = {"n": current}
    assert (["n"], []) == applied_paths(values, {"n": {"$inc": n}})
    assert same_json(total, values["n"])


def test_an_increment_past_the_digits_python_writes_is_a_problem(db_url: str) -> None:
    """An integer sum of more digits than Python writes as text is a problem: it made
    state() raise a bare ValueError (once stored as a snapshot, or shown)."""
    big = 9 * 10**4299
    with timeline.open(db_url, snapshot_interval=1) as tl:
        for day in (18, 19):
            tl.record("report", "A", f"2017-06-{day}", incident=INCIDENT,
                      effects={"A": {"n": {"$inc": big}}})  # fmt: skip
        state = tl.state("A")
        assert {"n": big} == dict(state)
        assert 1 == len(state.problems) and "digits" in state.problems[0]
        assert len(state.problems[0]) < 200


def test_a_custom_fold_that_returns_two_shapes_is_a_problem(tl: timeline.Timeline) -> None:
    """A fold function that returns a path beside a path inside it (or an operator) leaves
    the state as it was and is listed in problems."""
    tl.record("report", "Russia", "2017-06-18", incident=INCIDENT,
              effects={"Russia": {"army.size": 5}})  # fmt: skip
    tl.define_fold("mobilised", lambda state, event: {**state, "army": 1})
    tl.define_fold("counted", lambda state, event: {**state, "n": {"$inc": 1}})
    tl.record("mobilised", "Russia", "2017-06-19", incident=INCIDENT)
    tl.record("counted", "Russia", "2017-06-20", incident=INCIDENT)
    state = tl.state("Russia")
    assert ({"army": {"size": 5}}, 2) == (state.tree(), len(state.problems))
    assert "lies inside army" in state.problems[0]
    assert "a key starting with '$'" in state.problems[1]


# -- order is what was written, and refused when it would be lost -----------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"army.size": 5, "army": None}, "army.size"),
        ({"army": None, "army.size": 5}, "army.size"),
        ({"army": {"size": 5, "size.men": 3}}, "army.size.men"),
        ({"a": {"$inc": 1}, "a.b.c": 2}, "a.b.c"),
    ],
)
def test_a_path_beside_a_path_inside_it_is_refused(
    tl: timeline.Timeline, db_url: str, changes: dict[str, Any], field: str
) -> None:
    """Two paths of one object where one contains the other are refused, in events and in
    templates, naming the path inside: the store keeps no order between them."""
    with pytest.raises(InvalidEventError, match="lies inside") as caught:
        tl.record("report", "A", "2017-06-19", incident=INCIDENT, effects={"A": changes})
    assert f"effects.A.{field}" == caught.value.field
    assert 0 == stored_count(db_url)
    with pytest.raises(InvalidEventError, match="lies inside") as caught:
        tl.define("report", {"{target}": changes})
    assert f"effects.{{target}}.{field}" == caught.value.field


def test_state_and_a_fold_of_the_returned_event_agree(tl: timeline.Timeline) -> None:
    """The event in hand (keys as written) and the stored one (keys sorted) fold alike."""
    tl.define("report", {"{actor}": {"seen": {"by": "{actor}"}, "n": {"$inc": 1}}})
    event = tl.record("report", "A", "2017-06-19", incident=INCIDENT,
                      effects={"A": {"z": 1, "b.c": {"d": 2}, "a": {"$inc": 3}}})  # fmt: skip
    replay = fold("A", resolve([event]), at=None, folder=tl._folder)
    assert replay.values == tl.state("A").to_dict()
    assert {"a": 3, "b.c.d": 2, "n": 1, "seen.by": "A", "z": 1} == tl.state("A").to_dict()


# -- names inside paths ----------------------------------------------------------------------


def test_a_dotted_name_is_never_substituted_into_a_path(tl: timeline.Timeline) -> None:
    """A target named U.S. does not make cooperation.U.S. (nor cooperation.U): the change
    is left out and listed in problems naming the event, the template and the name; a
    later target U sets only its own path."""
    tl.define("cooperation_suspended", SUSPENDED)
    first = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT,
                      targets=["U.S.", "UK"])  # fmt: skip
    state = tl.state("Russia")
    assert {"cooperation.UK": "suspended"} == dict(state)
    [problem] = state.problems
    assert str(first.id) in problem
    assert "'cooperation_suspended'" in problem and "cooperation.{target}" in problem
    assert "target 'U.S.'" in problem
    tl.record("cooperation_suspended", "Russia", "2017-06-20", incident=INCIDENT, targets=["U"])
    assert {"cooperation.U": "suspended", "cooperation.UK": "suspended"} == dict(tl.state("Russia"))


def test_a_dotted_actor_name_stays_whole_in_values(tl: timeline.Timeline) -> None:
    """A dotted actor name is substituted into text values as it is, never into paths."""
    tl.define("missile_strike", {"{target}": {"struck_by.{actor}": "yes", "last": "{actor}"}})
    tl.record("missile_strike", "U.S.", "2017-06-18", incident=INCIDENT, targets=["Syria"])
    state = tl.state("Syria")
    assert {"last": "U.S."} == dict(state)
    assert "actor 'U.S.'" in state.problems[0]


def test_a_name_that_reads_like_a_placeholder_is_substituted_once(tl: timeline.Timeline) -> None:
    """Substitution is one pass: an actor named {target} stays {target}."""
    tl.define("report", {"{target}": {"by": "{actor} on {target}"}})
    tl.record("report", "{target}", "2017-06-18", incident=INCIDENT, targets=["US"])
    assert {"by": "{target} on US"} == dict(tl.state("US"))


def test_a_name_starting_with_a_dollar_is_not_made_an_operator(tl: timeline.Timeline) -> None:
    """A name substituted as a key inside a value that would read as an operator is left
    out and listed in problems, as it would be refused if written by hand."""
    tl.define("report", {"{actor}": {"seen": {"{target}": 5}}})
    tl.record("report", "US", "2017-06-18", incident=INCIDENT, targets=["$inc", "UK"])
    state = tl.state("US")
    assert {"seen.UK": 5} == dict(state)
    assert "a key starting with '$'" in state.problems[0]


def test_a_name_starting_with_a_dollar_is_not_made_a_path_part(tl: timeline.Timeline) -> None:
    """A name substituted into a path that would give it a part starting with `$` is left
    out and listed in problems, as such a path is refused when written by hand."""
    tl.define("report", {"{actor}": {"cooperation.{target}": "suspended"}})
    tl.record("report", "US", "2017-06-18", incident=INCIDENT, targets=["$inc", "UK"])
    state = tl.state("US")
    assert {"cooperation.UK": "suspended"} == dict(state)
    assert "a key starting with '$'" in state.problems[0]


@pytest.mark.parametrize("placeholder", ["{actor}", "{target}"])
def test_an_events_own_effects_keyed_by_a_placeholder_are_refused(
    tl: timeline.Timeline, db_url: str, placeholder: str
) -> None:
    """An event's effects keyed by {actor} or {target} are refused, naming the field: they
    set the attributes of an actor named "{actor}" while the event's own actor and targets
    stayed as they were (placeholders are a template's, given to define())."""
    with pytest.raises(InvalidEventError, match="define") as caught:
        tl.record("report", "US", "2017-06-18", incident=INCIDENT, targets=["UK"],
                  effects={placeholder: {"alert": 1}})  # fmt: skip
    assert f"effects.{placeholder}" == caught.value.field
    assert 0 == stored_count(db_url)


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ({"{actor}": {"training.{targets}": "done"}}, "effects.{actor}.training.{targets}"),
        ({"{target}": {"by": "{Actor}"}}, "effects.{target}.by"),
        ({"{actor}": {"seen": {"{tagret}": 1}}}, "effects.{actor}.seen"),
    ],
)
def test_a_misspelt_placeholder_is_refused(
    tl: timeline.Timeline, template: dict[str, Any], field: str
) -> None:
    """define() refuses a {name} that is neither {actor} nor {target}, naming the field."""
    with pytest.raises(InvalidEventError, match="unknown placeholder") as caught:
        tl.define("training", template)
    assert field == caught.value.field


def test_templates_with_other_braces_are_accepted() -> None:
    """Only {word} reads as a placeholder: other braces in text values are text."""
    Folder().define("report", {"{actor}": {"note": "{} and { x }"}})


def test_a_name_in_a_list_is_never_made_an_operator(tl: timeline.Timeline) -> None:
    """A name substituted as a key of an object inside a list, where a `$` key is refused
    when written by hand, is left out and listed in problems too."""
    tl.define("report", {"{actor}": {"seen": [{"{target}": 1}], "n": "{target}"}})
    tl.record("report", "US", "2017-06-18", incident=INCIDENT, targets=["$inc"])
    state = tl.state("US")
    assert {"n": "$inc"} == dict(state)
    assert "a key starting with '$'" in state.problems[0]


@pytest.mark.parametrize(
    "stored",
    [{"$inc": {"alert": 1}}, {"$inc.alert": 1}, {"a.$x": 1}],
)
def test_a_stored_path_part_starting_with_a_dollar_is_a_problem(stored: dict[str, Any]) -> None:
    """An event stored before such paths were refused (MongoDB's {"$inc": {"alert": 1}})
    sets nothing and is listed in problems, as a template's substitution is: it set
    "$inc.alert" without a word."""
    values: dict[str, Any] = {"alert": 1}
    changes, problems = apply_effects(values, stored)
    assert ({"alert": 1}, []) == (values, changes)
    assert 1 == len(problems) and "a key starting with '$'" in problems[0]
