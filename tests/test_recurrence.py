"""rules.recurrence: what `--every` means, in words and in local dates."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promisekeeper.model.errors import InvalidInput
from promisekeeper.rules.recurrence import (
    EXAMPLES,
    Rule,
    first,
    following,
    parse_every,
    step_after_done,
    upcoming,
    with_time,
    words,
)

MONDAY = datetime(2026, 11, 23, 10, 0)  # local wall time, as the tests' clock


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("monday 10am", Rule("weekly", 1, (0,), None, time(10))),
        ("every monday 10am", Rule("weekly", 1, (0,), None, time(10))),
        ("every weekday 9am", Rule("weekly", 1, (0, 1, 2, 3, 4), None, time(9))),
        ("weekdays at 09:00", Rule("weekly", 1, (0, 1, 2, 3, 4), None, time(9))),
        ("every 2 weeks fri", Rule("weekly", 2, (4,), None, None)),
        ("monthly on the 1st", Rule("monthly", 1, (), 1, None)),
        ("every 3 months on the 15th at noon", Rule("monthly", 3, (), 15, time(12))),
        ("every 3 days after done", Rule("daily", 3, (), None, None, True)),
        ("daily 8:30", Rule("daily", 1, (), None, time(8, 30))),
        ("Mon, Thu 3pm", Rule("weekly", 1, (0, 3), None, time(15))),
        ("every tuesdays", Rule("weekly", 1, (1,), None, None)),
    ],
)
def test_phrases(text: str, rule: Rule) -> None:
    assert parse_every(text) == rule


@pytest.mark.parametrize(
    "text",
    ["", "fortnightly", "every", "whenever", "monday monday", "every 2 weeks on the 1st",
     "daily on friday", "10am 11am daily", "every 2 3 days", "the 32nd monthly"],
)  # fmt: skip
def test_what_is_not_understood_is_repeated_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_every(text)
    message = str(caught.value)
    assert "\n" not in message
    assert f'"{text}"' in message
    assert all(example in message for example in EXAMPLES) or "interval" in message


@pytest.mark.parametrize("text", ["every 0 days", "every 367 days", "every 99999999999 weeks"])
def test_intervals_are_bounded(text: str) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 366"):
        parse_every(text)


def test_after_done_counts_days_not_set_weekdays() -> None:
    with pytest.raises(InvalidInput, match="after done"):
        parse_every("monday after done")


rules = st.builds(
    Rule,
    freq=st.sampled_from(("daily", "weekly", "monthly")),
    interval=st.integers(1, 366),
    at=st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    after_done=st.booleans(),
).flatmap(
    lambda r: st.builds(
        Rule,
        freq=st.just(r.freq),
        interval=st.just(r.interval),
        weekdays=st.just(())
        if r.freq != "weekly" or r.after_done
        else st.sets(st.integers(0, 6)).map(lambda s: tuple(sorted(s))),
        monthday=st.none()
        if r.freq != "monthly" or r.after_done
        else st.none() | st.integers(1, 31),
        at=st.just(r.at),
        after_done=st.just(r.after_done),
    )
)


@given(rules)
def test_words_read_back_into_the_same_rule(rule: Rule) -> None:
    assert parse_every(words(rule)) == rule


@given(st.text(max_size=40))
def test_any_text_is_a_rule_or_one_line_refusal(text: str) -> None:
    try:
        rule = parse_every(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc).replace(text, "")
    else:
        assert parse_every(words(rule)) == rule


def test_words() -> None:
    assert words(parse_every("monday 10am")) == "every monday at 10:00"
    assert words(parse_every("weekday 9am")) == "every weekday at 09:00"
    assert words(parse_every("every 2 weeks fri")) == "every 2 weeks on friday"
    assert words(parse_every("monthly on the 1st")) == "every month on the 1st"
    assert words(parse_every("every 3 days after done")) == "every 3 days after done"
    assert words(parse_every("monthly on the 22nd")) == "every month on the 22nd"
    assert words(parse_every("monthly on the 13th")) == "every month on the 13th"


def test_first_dates() -> None:
    def at(text: str) -> datetime:
        return first(with_time(parse_every(text), time(17)), MONDAY)

    assert at("monday 10am") == datetime(2026, 11, 30, 10, 0)  # 10:00 today is now: next week
    assert at("monday 11am") == datetime(2026, 11, 23, 11, 0)
    assert at("every weekday 9am") == datetime(2026, 11, 24, 9, 0)
    assert at("every 2 weeks fri") == datetime(2026, 11, 27, 17, 0)
    assert at("monthly on the 1st") == datetime(2026, 12, 1, 17, 0)
    assert at("every 3 days after done") == datetime(2026, 11, 26, 17, 0)


def test_every_two_weeks_skips_a_week() -> None:
    rule = with_time(parse_every("every 2 weeks fri"), time(17))
    start = first(rule, MONDAY)
    assert upcoming(rule, start, start, 3) == [
        datetime(2026, 12, 11, 17, 0),
        datetime(2026, 12, 25, 17, 0),
        datetime(2027, 1, 8, 17, 0),
    ]


def test_count_and_until_end_a_series() -> None:
    rule = with_time(parse_every("daily"), time(9))
    start = datetime(2026, 11, 24, 9, 0)
    assert following(rule, start, start, count=2) == datetime(2026, 11, 25, 9, 0)
    assert following(rule, start, datetime(2026, 11, 25, 9, 0), count=2) is None
    until = datetime(2026, 11, 25, 8, 0)
    assert following(rule, start, start, until_local=until) is None


def test_after_done_counts_from_the_day_it_was_done() -> None:
    rule = with_time(parse_every("every 3 days after done"), time(17))
    assert step_after_done(rule, datetime(2026, 11, 29, 23, 50)) == datetime(2026, 12, 2, 17, 0)
    monthly = with_time(parse_every("every month after done"), time(9))
    assert step_after_done(monthly, datetime(2027, 1, 31, 12, 0)) == datetime(2027, 2, 28, 9, 0)
    assert upcoming(rule, MONDAY, MONDAY, 3) == []


def test_a_weekly_series_keeps_its_local_time_across_clock_changes() -> None:
    # Berlin: summer time ends Sun 25 Oct 2026 and starts Sun 28 Mar 2027. The wall time stays
    # 10:00; the UTC time moves by the hour.
    rule = with_time(parse_every("monday 10am"), time(17))
    start = datetime(2026, 10, 19, 10, 0)
    dates = [start, *upcoming(rule, start, start, 24)]
    assert {d.time() for d in dates} == {time(10, 0)}
    import os

    assert os.environ["TZ"] == "Europe/Berlin"
    in_utc = {d.astimezone(UTC).hour for d in dates}
    assert in_utc == {8, 9}


@pytest.mark.parametrize("text", ["²", "every ² days", "monthly on the ²nd", "every ３ days"])
def test_digits_other_than_0_to_9_are_refused_in_one_line(text: str) -> None:
    """str.isdigit() takes '²' and '３', which int() refuses: found by Hypothesis."""
    with pytest.raises(InvalidInput) as refused:
        parse_every(text)
    assert text in str(refused.value) and "\n" not in str(refused.value)
