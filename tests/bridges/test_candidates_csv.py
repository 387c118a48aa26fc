"""A CSV of candidates, however it was saved: every line ending, a cell limit, and files that
are not CSV text refused with a sentence, never an exception of the csv module."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.candidate_imports import MAX_CELL_CHARS, UnreadableCsv, read_rows

AT = datetime(2026, 12, 7, tzinfo=UTC)
ROWS = ["name,phone", "Ada Lovelace,+14155550101", "Grace Hopper,+14155550102"]


def names(data: bytes) -> list[str]:
    events, problems = read_rows(data, "job", "stage", AT)
    assert problems == []
    return [event["candidate"]["name"] for _, event in events]


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"], ids=["windows", "unix", "old-mac"])
def test_every_line_ending_reads_the_same(ending: str) -> None:
    assert names(ending.join(ROWS).encode()) == ["Ada Lovelace", "Grace Hopper"]


def test_a_spreadsheets_byte_order_mark_is_dropped() -> None:
    assert names("\r\n".join(ROWS).encode("utf-8-sig")) == ["Ada Lovelace", "Grace Hopper"]


def test_a_cell_over_the_limit_is_a_problem_of_its_row_only() -> None:
    long = "x" * (MAX_CELL_CHARS + 1)
    huge = "y" * 200_000  # past the csv module's own limit too
    data = "\n".join([*ROWS, f"{long},+14155550103", f"{huge},+14155550104", "Tim,+14155550105"])
    events, problems = read_rows(data.encode(), "job", "stage", AT)
    assert [event["candidate"]["name"] for _, event in events] == [
        "Ada Lovelace",
        "Grace Hopper",
        "Tim",
    ]
    assert [p.line for p in problems] == [4, 5]
    assert all(f"{MAX_CELL_CHARS:,} characters" in p.message for p in problems)


def test_control_characters_in_a_cell_are_a_problem_of_its_row() -> None:
    data = "\n".join(["name,phone", "A\x1bB,+14155550101", "Tab\tName,+14155550102"])
    events, problems = read_rows(data.encode(), "job", "stage", AT)
    assert [event["candidate"]["name"] for _, event in events] == ["Tab\tName"]
    assert [(p.line, p.message) for p in problems] == [(2, "a cell holds control characters")]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("\n".join(ROWS).encode("utf-16"), "UTF-16"),
        ("\n".join(ROWS).encode("utf-16-le"), "NUL bytes"),
        (gzip.compress("\n".join(ROWS).encode()), "gzip"),
        (b"PK\x03\x04" + bytes(range(256)), "zip"),
        ("\n".join(ROWS).encode("latin-1") + "\nJosé,+14155550103".encode("latin-1"), "line 4"),
        (b"name,phone\n" + bytes(range(128, 256)), "not UTF-8"),
    ],
    ids=["utf-16-bom", "utf-16-no-bom", "gzip", "xlsx", "latin-1", "random-bytes"],
)
def test_a_file_that_is_not_utf8_text_is_refused_with_what_it_is(data: bytes, says: str) -> None:
    with pytest.raises(UnreadableCsv, match=says) as refused:
        read_rows(data, "job", "stage", AT)
    assert "CSV UTF-8" in str(refused.value)


def test_a_header_without_the_columns_is_refused() -> None:
    with pytest.raises(UnreadableCsv, match="header with name"):
        read_rows(b"who,where\nAda,London", "job", "stage", AT)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.binary(max_size=2_000),
        st.binary(max_size=2_000).map(lambda b: b"name,phone,email\r" + b),
        st.text(max_size=500).map(lambda t: ("name,phone\n" + t).encode()),
    )
)
def test_any_bytes_are_rows_problems_or_one_refusal(data: bytes) -> None:
    try:
        events, problems = read_rows(data, "job", "stage", AT)
    except UnreadableCsv as refused:
        assert str(refused)
        return
    lines = [line for line, _ in events] + [problem.line for problem in problems]
    assert len(lines) == len(set(lines)), "each line is an event or a problem, once"
