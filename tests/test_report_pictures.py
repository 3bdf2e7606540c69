"""The printed charts: the timeline of a long plan comes in page-sized parts, each with
its month heading, in the Word document and the PDF alike."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from engine.reports.pictures import TIMELINE_ROWS_PER_PART, timeline_parts, timeline_png
from engine.reports.sections import timeline_pictures


def actions(n: int) -> list[dict[str, object]]:
    return [
        {"ref": f"{i + 1}", "plan_start": "2009-01-01", "plan_finish": "2009-09-30", "rag": "green"}
        for i in range(n)
    ]


def size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_a_long_timeline_is_cut_into_parts_that_fit_a_page() -> None:
    today = date(2009, 6, 30)
    whole = size(timeline_png(actions(80), today))
    parts = timeline_parts(actions(80), today)
    assert len(parts) == 3  # 36 + 36 + 8 rows
    heights = [size(p)[1] for p in parts]
    first = heights[0]
    assert all(size(p)[0] == whole[0] for p in parts)
    assert heights[1] == first and heights[2] < first
    # Each part repeats the heading: together they are taller than the one picture by
    # two headings.
    assert sum(heights) > whole[1]
    assert first < whole[1] / 2
    # A short plan's timeline stays one picture, the same as before.
    assert timeline_parts(actions(TIMELINE_ROWS_PER_PART), today) == [
        timeline_png(actions(TIMELINE_ROWS_PER_PART), today)
    ]


def test_the_word_document_captions_each_part() -> None:
    pictures = timeline_pictures(actions(40), date(2009, 6, 30), "The timeline.")
    assert [p.caption for p in pictures] == [
        "The timeline. Part 1 of 2.",
        "The timeline. Part 2 of 2.",
    ]
    [one] = timeline_pictures(actions(3), date(2009, 6, 30), "The timeline.")
    assert one.caption == "The timeline."
