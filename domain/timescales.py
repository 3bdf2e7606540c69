"""Reading a plan's own words: timescales, RAG marks and the people it names.

Councils write "Sep-08", "2010/11", "Quarterly" or "April 2010 and throughout the
year" rather than dates. These pure functions turn such text into dates and rules
where the meaning is plain; otherwise they say they did not understand it and keep
the text. They never guess.

Conventions, chosen because these plans follow the English public-sector year:

* A month ("January 2011", "Sep-08") is due by its last day.
* "2010/11" is the financial year 1 April 2010 - 31 March 2011, due by its end.
* "Q3 2010" is the calendar quarter July-September 2010, due by 30 September.
* "April 2010 and throughout the year" runs to the end of the financial year that
  starts in, or contains, that month (here 31 March 2011).
* "Q3 2010/11" (or "Quarter 3 2010/11") is the third quarter of that financial year:
  Q1 April-June, Q2 July-September, Q3 October-December, Q4 January-March; due by
  its last day (Q3 2010/11: 31 December 2010; Q4 2010/11: 31 March 2011).
* Seasons are the meteorological ones, due by their last day: Spring 2011 is
  March-May (31 May), Summer June-August (31 August), Autumn (or Fall)
  September-November (30 November), and Winter 2010 is December 2010 to the end of
  February 2011 (28 or 29 February of the following year); "Winter 2010/11" the same.
* "(tbc)", "TBC", "provisional", "tentative", "to be confirmed" after a date mark it
  tentative:
  the date is read, and the action keeps it with a tentative mark, shown "(tbc)".
* A two-digit year is 20yy below 70 and 19yy from 70.
* Numeric dates are day first (UK): "01/06/2009" is 1 June 2009.
* A year alone ("2010") is not read as a date: it is where broken extractions and
  half-typed cells end up, and its due day would be a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser

from domain.values import Person, Rag, Recurrence

# ---------------------------------------------------------------------------
# Timescales
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timescale:
    """What a timescale cell says, or ``understood=False`` with the reason.

    ``plan_finish`` is the day the work is due by; ``period_start`` is the first day
    of the period a lone date names ("Sep-08" -> 1 September 2008), which is what a
    "Plan Start" column means by the same words. ``label`` holds the words before a
    trailing date ("Staff begin use of new procedures July 2010"). A cell of several
    lines has each line's own reading in ``lines`` and its dates in ``milestones``.
    """

    text: str
    understood: bool
    plan_start: date | None = None
    plan_finish: date | None = None
    period_start: date | None = None
    milestones: list[date] = field(default_factory=list)
    recurrence: Recurrence | None = None
    completed: bool = False
    label: str | None = None
    lines: tuple[Timescale, ...] = ()
    reason: str | None = None
    # The rule that read the words ("UK financial quarter"), for an import's report.
    rule: str | None = None
    tentative: bool = False  # "(tbc)", "provisional": the date may move
    remark: str | None = None  # "(revised from Dec 2024)" after the date

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()

    @property
    def is_single_date(self) -> bool:
        """True when the words say no more than one due date, so need not be kept (a
        tentative date is kept as the date with its mark)."""
        return (
            self.understood
            and self.plan_finish is not None
            and self.plan_start is None
            and self.recurrence is None
            and not self.completed
            and self.label is None
            and self.remark is None
            and len(self.milestones) <= 1
        )


_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-"})

_RECURRENCE_WORDS: dict[str, Recurrence] = {
    "ongoing": Recurrence.ONGOING,
    "on-going": Recurrence.ONGOING,
    "on going": Recurrence.ONGOING,
    "continuous": Recurrence.ONGOING,
    "continuing": Recurrence.ONGOING,
    "weekly": Recurrence.WEEKLY,
    "monthly": Recurrence.MONTHLY,
    "quarterly": Recurrence.QUARTERLY,
    "annually": Recurrence.ANNUALLY,
    "annual": Recurrence.ANNUALLY,
    "yearly": Recurrence.ANNUALLY,
    "every week": Recurrence.WEEKLY,
    "every month": Recurrence.MONTHLY,
    "every quarter": Recurrence.QUARTERLY,
    "every year": Recurrence.ANNUALLY,
}
_RECURRENCE_ALTERNATIVES = "|".join(
    sorted(map(re.escape, _RECURRENCE_WORDS), key=len, reverse=True)
)
_RECURRENCE = re.compile(rf"^({_RECURRENCE_ALTERNATIVES})\b(.*)$", re.IGNORECASE)
_COMPLETED = re.compile(r"^(?:completed?|done|achieved|closed)$", re.IGNORECASE)
_COMPLETED_ONGOING = re.compile(
    r"^completed?\s*(?:/|and|&|,)\s*(?:ongoing|on-going|continuing)$", re.IGNORECASE
)
_FROM = re.compile(r"^(?:from|starting|commencing|beginning)\s+(.+)$", re.IGNORECASE)
_STARTS = re.compile(
    r"^(?:commences?|commencing|starts?|starting|begins?|beginning|from)\s+(.+)$", re.IGNORECASE
)
_ONWARDS = re.compile(r"^(?:from\s+)?(.+?)\s+(?:onwards?|and ongoing|and beyond)$", re.IGNORECASE)
_THROUGHOUT = re.compile(
    r"^(.+?)\s+and\s+(?:throughout|through|for)\s+(?:the|that)\s+year$", re.IGNORECASE
)
_BETWEEN = re.compile(r"^between\s+(.+?)\s+and\s+(.+)$", re.IGNORECASE)
_RANGE = re.compile(
    r"^(.+?)\s*(?:\s-\s|-(?=[a-z]{3})|\bto\b|\buntil\b|\btill\b)\s*(.+)$", re.IGNORECASE
)
_TWO_MONTHS = re.compile(
    r"^([a-z]{3,9})\.?\s*(?:and|&|,)\s*([a-z]{3,9})\.?\s+(\d{4}|\d{2})$", re.IGNORECASE
)
_PREFIX = re.compile(
    r"^(completed?|submitted|achieved|agreed|by|due(?:\s+by)?|by\s+end\s+of|end\s+of|"
    r"before|deadline|target|no\s+later\s+than)\s*:?\s+(.+)$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A date and time as a database or a spreadsheet's export writes it; the time is dropped.
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
# A spreadsheet's day number (days since 30 December 1899), as a sheet saved as text
# gives a date cell: five digits, 1982 to 2064.
_SERIAL_DAY = re.compile(r"^[3-5]\d{4}$")

_NUMERIC_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{2}|\d{4})$")
_US_DATE = re.compile(r"^(?:0?[1-9]|1[0-2])[/.\-](?:1[3-9]|2\d|3[01])[/.\-](?:\d{2}|\d{4})$")
_TEXT_DATE = re.compile(
    r"^\d{1,2}(?:st|nd|rd|th)?[\s\-]+(?:of\s+)?[a-z]{3,9}\.?[\s\-,]+(?:\d{2}|\d{4})$", re.IGNORECASE
)
_MONTH_YEAR = re.compile(r"^([a-z]{3,9})\.?[\s\-/',]*(\d{4}|\d{2})$", re.IGNORECASE)
_FINANCIAL_YEAR = re.compile(
    r"^(?:fy\s*|financial\s+year\s+)?(\d{4})\s*[/-]\s*(\d{4}|\d{2})$", re.IGNORECASE
)
_QUARTER = re.compile(r"^(?:q|qtr|quarter)\s*([1-4])\s*(?:of\s+)?(\d{4}|\d{2})$", re.IGNORECASE)
_FINANCIAL_QUARTER = re.compile(
    r"^(?:q|qtr|quarter)\s*([1-4])\s*(?:of\s+)?(?:fy\s*)?(\d{4})\s*[/-]\s*(\d{4}|\d{2})$",
    re.IGNORECASE,
)
# "2025/26 Q1": the year first, read as "Q1 2025/26".
_YEAR_THEN_QUARTER = re.compile(
    r"^((?:fy\s*)?\d{4}\s*[/-]\s*(?:\d{4}|\d{2}))\s*,?\s*((?:q|qtr|quarter)\s*[1-4])$",
    re.IGNORECASE,
)
_SEASON = re.compile(
    r"^(spring|summer|autumn|fall|winter)\s*(?:of\s+)?(\d{4}|\d{2})(?:\s*/\s*(\d{4}|\d{2}))?$",
    re.IGNORECASE,
)
# Spring, summer and autumn end in their own year; winter at the end of February after.
_SEASON_MONTHS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}
_TENTATIVE = re.compile(
    r"\s*[(\[]?\s*(?:tbc|tba|provisional(?:ly)?|tentative(?:ly)?|to\s+be\s+confirmed|"
    r"subject\s+to\s+confirmation)"
    r"\s*[)\]]?\s*$",
    re.IGNORECASE,
)
# A date at the end of words ("First meeting July 2010"). It is looked for from the
# left with each part bounded, so a long cell is read in one pass rather than trying
# every split of it.
_TRAILING_DATE = re.compile(
    r"[\s,:(]{1,8}(?:by\s+|in\s+|on\s+|from\s+)?"
    r"(?P<date>\d{1,2}(?:st|nd|rd|th)?\s{1,4}[a-z]{3,9}\.?\s{1,4}\d{4}|"
    r"[a-z]{3,9}\.?[\s\-]{1,4}\d{4}|\d{1,2}/\d{1,2}/\d{2,4})\)?$",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[a-z]", re.IGNORECASE)
# "31 March 2025 (revised from December 2024)": a date and a remark in brackets.
_REMARK = re.compile(r"^(?P<head>[^()]*\S)\s*\((?P<remark>[^()]*)\)$")


def parse_timescale(text: str | None) -> Timescale:
    """Read a timescale cell; several lines are read one by one as milestones."""
    original = text or ""
    lines = [line for line in original.splitlines() if line.strip()]
    if len(lines) <= 1:
        return _parse_line(original, lines[0] if lines else "")
    readings = tuple(_parse_line(line, line) for line in lines)
    not_read = [(n, r) for n, r in enumerate(readings, 1) if not r.understood]
    if not_read:
        n, first = not_read[0]
        return Timescale(
            original,
            False,
            lines=readings,
            reason=f"line {n} ({first.text.strip()!r}): {first.reason}",
        )
    finishes = [r.plan_finish for r in readings if r.plan_finish]
    milestones = [m for r in readings for m in (r.milestones or _one(r.plan_finish))]
    starts = [r.plan_start for r in readings if r.plan_start]
    period_starts = [r.period_start for r in readings if r.period_start]
    recurrences = [r.recurrence for r in readings if r.recurrence]
    return Timescale(
        original,
        True,
        plan_start=min(starts) if starts else None,
        plan_finish=max(finishes) if finishes else None,
        period_start=min(period_starts) if period_starts else None,
        milestones=milestones,
        recurrence=recurrences[0] if recurrences else None,
        completed=all(r.completed for r in readings),
        lines=readings,
    )


def _one(day: date | None) -> list[date]:
    return [day] if day else []


_RULES = {
    "_read_recurrence": "recurring work",
    "_read_from_recurring": "recurring work from a start",
    "_read_onwards": "from a date, ongoing",
    "_read_throughout": "from a month to the end of its financial year",
    "_read_start": "a start",
    "_read_date": "a date",
    "_read_two_months": "two months",
    "_read_range": "a range",
    "_read_prefixed": "a due date after a word",
    "_read_labelled": "words then a date",
}


def _parse_line(original: str, line: str) -> Timescale:
    s = " ".join(line.translate(_DASHES).split()).rstrip(".;")
    tentative = _TENTATIVE.search(s)
    if tentative and tentative.start() > 0:
        reading = _parse_line(original, s[: tentative.start()])
        if reading.understood and (reading.plan_finish or reading.plan_start):
            return replace(reading, tentative=True, rule=f"{reading.rule}, tentative")
    remark = _REMARK.match(s)
    if remark and _LETTER.search(remark.group("remark")):
        # The date before the brackets is the date; the remark is kept with it.
        reading = _parse_line(original, remark.group("head"))
        if reading.understood and (reading.plan_finish or reading.plan_start):
            rule = f"{reading.rule}, with a remark in brackets (kept as words)"
            return replace(reading, remark=remark.group("remark"), rule=rule)
    return _parse_plain_line(original, s)


def _parse_plain_line(original: str, s: str) -> Timescale:
    if not s:
        return Timescale(original, True)
    if _COMPLETED.match(s):
        return Timescale(original, True, completed=True)
    if _COMPLETED_ONGOING.match(s):
        return Timescale(original, True, completed=True, recurrence=Recurrence.ONGOING)
    for reader in (
        _read_recurrence,
        _read_from_recurring,
        _read_onwards,
        _read_throughout,
        _read_start,
        _read_date,
        _read_two_months,
        _read_range,
        _read_prefixed,
        _read_labelled,
    ):
        reading = reader(original, s)
        if reading is not None:
            rule = _RULES[reader.__name__]
            form = period_rule(s)
            return replace(reading, rule=f"{rule}: {form}" if form else rule)
    if re.fullmatch(r"(?:19|20)\d{2}", s):
        reason = "a year alone is not a due date"
    else:
        reason = "not a date or timescale form that can be read"
    return Timescale(original, False, reason=reason)


def _read_date(original: str, s: str) -> Timescale | None:
    span = period(s)
    if span is None:
        return None
    return Timescale(original, True, plan_finish=span[1], period_start=span[0])


def _read_recurrence(original: str, s: str) -> Timescale | None:
    match = _RECURRENCE.match(s)
    if not match:
        return None
    recurrence = _RECURRENCE_WORDS[match.group(1).lower()]
    rest = match.group(2).strip(" ,;:-")
    start = None
    from_match = _FROM.match(rest)
    if from_match:
        span = period(from_match.group(1))
        start = span[0] if span else None
    return Timescale(original, True, plan_start=start, recurrence=recurrence)


_FROM_RECURRING = re.compile(
    rf"^(?:from|starting|commencing|beginning)\s+(.+?)[\s,;]+({_RECURRENCE_ALTERNATIVES})$",
    re.IGNORECASE,
)
_MONTH_ALONE = re.compile(
    r"^(?:by\s+(?:the\s+)?(?:end\s+of\s+)?|(?:the\s+)?end\s+of\s+|due\s+(?:by\s+)?|in\s+)?"
    r"([a-z]{3,9})\.?$",
    re.IGNORECASE,
)


def _read_from_recurring(original: str, s: str) -> Timescale | None:
    """ "From April 2010 monthly": recurring work with its start."""
    match = _FROM_RECURRING.match(s)
    span = period(match.group(1)) if match else None
    if match is None or span is None:
        return None
    recurrence = _RECURRENCE_WORDS[match.group(2).lower()]
    return Timescale(original, True, plan_start=span[0], recurrence=recurrence)


def month_without_year(text: str) -> int | None:
    """The month "end of June" or "by March" names, with no year; None otherwise. Its
    year is the reader's to find from what surrounds the words."""
    match = _MONTH_ALONE.match(" ".join(text.split()).strip(" .,;"))
    return month_number(match.group(1)) if match else None


def _read_onwards(original: str, s: str) -> Timescale | None:
    match = _ONWARDS.match(s)
    span = period(match.group(1)) if match else None
    if span is None:
        return None
    return Timescale(original, True, plan_start=span[0], recurrence=Recurrence.ONGOING)


def _read_throughout(original: str, s: str) -> Timescale | None:
    match = _THROUGHOUT.match(s)
    span = period(match.group(1)) if match else None
    if span is None:
        return None
    return Timescale(original, True, plan_start=span[0], plan_finish=financial_year_end(span[0]))


def _read_start(original: str, s: str) -> Timescale | None:
    match = _STARTS.match(s)
    span = period(match.group(1)) if match else None
    if span is None:
        return None
    return Timescale(original, True, plan_start=span[0])


def _read_two_months(original: str, s: str) -> Timescale | None:
    match = _TWO_MONTHS.match(s)
    if not match:
        return None
    year = _year(match.group(3))
    first, second = month_number(match.group(1)), month_number(match.group(2))
    if first is None or second is None or first >= second:
        return None
    milestones = [_month_end(year, first), _month_end(year, second)]
    return Timescale(
        original,
        True,
        plan_finish=milestones[-1],
        period_start=date(year, first, 1),
        milestones=milestones,
    )


def _read_range(original: str, s: str) -> Timescale | None:
    match = _BETWEEN.match(s) or _RANGE.match(s)
    if not match:
        return None
    left, right = match.group(1).strip(), match.group(2).strip()
    end = period(right)
    if end is None:
        return None
    start = period(left)
    if start is None:
        # "May - Aug 2010": the first month borrows the year of the second.
        month = month_number(left.rstrip("."))
        if month is None:
            return None
        year = end[1].year if month <= end[1].month else end[1].year - 1
        start = (date(year, month, 1), _month_end(year, month))
    if start[0] > end[1]:
        return None
    return Timescale(original, True, plan_start=start[0], plan_finish=end[1])


def _read_prefixed(original: str, s: str) -> Timescale | None:
    match = _PREFIX.match(s)
    if not match:
        return None
    span = period(match.group(2))
    if span is None:
        return None
    completed = match.group(1).lower().startswith(("complete", "submitted", "achieved"))
    return Timescale(original, True, plan_finish=span[1], period_start=span[0], completed=completed)


def _read_labelled(original: str, s: str) -> Timescale | None:
    """A milestone written as words then a date: "First meeting July 2010"."""
    match = _TRAILING_DATE.search(s)
    while match is not None and not _LETTER.search(s, 0, match.start()):
        match = _TRAILING_DATE.search(s, match.start() + 1)
    if match is None:
        return None
    span = period(match.group("date"))
    label = s[: match.start()].strip(" ,:-(")
    if span is None or not label:
        return None
    return Timescale(original, True, plan_finish=span[1], period_start=span[0], label=label)


def _period_text(text: str) -> str:
    """The text as ``period`` reads it: one kind of dash, single spaces, the quarter
    before the year."""
    s = " ".join(text.translate(_DASHES).split()).strip(" .,;")
    turned = _YEAR_THEN_QUARTER.match(s)
    return f"{turned.group(2)} {turned.group(1)}" if turned else s


def period(text: str) -> tuple[date, date] | None:
    """The first and last day of the day, month, quarter or financial year written."""
    s = _period_text(text)
    with_time = _ISO_TIME.match(s)
    if _ISO.match(s) or with_time:
        try:
            day = date.fromisoformat(with_time.group(1) if with_time else s)
        except ValueError:
            return None
        return day, day
    if _SERIAL_DAY.match(s):
        day = date(1899, 12, 30) + timedelta(days=int(s))
        return day, day
    if _NUMERIC_DATE.match(s) or _TEXT_DATE.match(s):
        day_or_none = _exact_date(s)
        return (day_or_none, day_or_none) if day_or_none else None
    match = _FINANCIAL_YEAR.match(s)
    if match:
        first, second = int(match.group(1)), int(match.group(2))
        if second not in (first + 1, (first + 1) % 100):
            return None
        return date(first, 4, 1), date(first + 1, 3, 31)
    match = _FINANCIAL_QUARTER.match(s)
    if match:
        quarter, first, second = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if second not in (first + 1, (first + 1) % 100):
            return None
        # Q1 is April-June of the first year; Q4 is January-March of the second.
        start_month = 3 * quarter + 1
        year = first if start_month <= 12 else first + 1
        start_month = start_month if start_month <= 12 else start_month - 12
        return date(year, start_month, 1), _month_end(year, start_month + 2)
    match = _QUARTER.match(s)
    if match:
        quarter, year = int(match.group(1)), _year(match.group(2))
        return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    match = _SEASON.match(s)
    if match:
        return _season(match.group(1).lower(), _year(match.group(2)), match.group(3))
    match = _MONTH_YEAR.match(s)
    if match:
        month = month_number(match.group(1))
        if month is None:
            return None
        year = _year(match.group(2))
        return date(year, month, 1), _month_end(year, month)
    return None


def _season(name: str, year: int, second: str | None) -> tuple[date, date] | None:
    if name == "winter":
        if second is not None and _year(second) != year + 1 and int(second) != (year + 1) % 100:
            return None
        return date(year, 12, 1), _month_end(year + 1, 2)
    if second is not None:
        return None
    first, last = _SEASON_MONTHS[name]
    return date(year, first, 1), _month_end(year, last)


def period_rule(text: str) -> str | None:
    """The name of the form ``period`` reads ``text`` by, for a report; None if none."""
    s = _period_text(text)
    for pattern, name in (
        (_ISO, "ISO date"),
        (_ISO_TIME, "ISO date and time, the time left aside"),
        (_SERIAL_DAY, "a spreadsheet's day number"),
        (_US_DATE, "month/day/year (the second number cannot be a month)"),
        (_NUMERIC_DATE, "day/month/year (UK order)"),
        (_TEXT_DATE, "day month year"),
        (_FINANCIAL_YEAR, "UK financial year, due 31 March"),
        (_FINANCIAL_QUARTER, "UK financial-year quarter, due by its last day"),
        (_QUARTER, "calendar quarter, due by its last day"),
        (_SEASON, "season, due by its last day (winter: end of February after)"),
        (_MONTH_YEAR, "month, due by its last day"),
    ):
        if pattern.match(s):
            return name
    return None


def _exact_date(s: str) -> date | None:
    # Two different defaults show whether dateutil filled in a part the text lacked.
    try:
        one = date_parser.parse(s, dayfirst=True, default=datetime(2001, 1, 1))
        two = date_parser.parse(s, dayfirst=True, default=datetime(2002, 2, 2))
    except (ValueError, OverflowError):
        return None
    return one.date() if one == two else None


def month_number(word: str) -> int | None:
    """1-12 for a month name or an abbreviation of at least three letters ("Sept")."""
    word = word.strip().lower().rstrip(".")
    if len(word) < 3:
        return None
    for number in range(1, 13):
        if calendar.month_name[number].lower().startswith(word):
            return number
    return None


def _year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def financial_year_end(day: date) -> date:
    """31 March ending the April-March year that contains ``day``."""
    return date(day.year + 1 if day.month >= 4 else day.year, 3, 31)


# ---------------------------------------------------------------------------
# RAG marks
# ---------------------------------------------------------------------------

IMPROVING = "improving"
WORSENING = "worsening"
STEADY = "steady"

_DIRECTION_MARKS: tuple[tuple[str, str], ...] = (
    (r"↑|⬆|▲|\bwith\s+(?:an?\s+)?up(?:ward)?\s+arrow\b|\bup\s+arrow\b|\bimproving\b", IMPROVING),
    (
        r"↓|⬇|▼|\bwith\s+(?:an?\s+)?down(?:ward)?\s+arrow\b|\bdown\s+arrow\b|"
        r"\b(?:worsening|declining|deteriorating)\b",
        WORSENING,
    ),
    (
        r"↔|⬌|→|\bwith\s+(?:an?\s+)?(?:double|level|side(?:ways)?|horizontal)\s+arrow\b|"
        r"\b(?:double|level)\s+arrow\b|\bno\s+change\b|\bsteady\b|\bstatic\b",
        STEADY,
    ),
)

_RAG_WORDS: dict[str, Rag] = {
    "red": Rag.RED,
    "r": Rag.RED,
    "amber": Rag.AMBER,
    "a": Rag.AMBER,
    "orange": Rag.AMBER,
    "green": Rag.GREEN,
    "g": Rag.GREEN,
    "blue": Rag.BLUE,
    "b": Rag.BLUE,
    "grey": Rag.GREY,
    "gray": Rag.GREY,
    "grey hatched": Rag.GREY,
    "gray hatched": Rag.GREY,
    "hatched": Rag.GREY,
    "hatched grey": Rag.GREY,
    "not due to commence": Rag.GREY,
    "complete": Rag.COMPLETE,
    "completed": Rag.COMPLETE,
}


# What a status column says in place of a colour, read as the rating plans that give
# both pair it with (a rule the import report shows beside each reading):
# on track is green, at risk or slipping amber, off track or overdue red, achieved
# complete.
STATUS_RATINGS: dict[str, Rag] = {
    **dict.fromkeys(
        ("on track", "on target", "on schedule", "on course", "progressing well"), Rag.GREEN
    ),
    **dict.fromkeys(
        ("at risk", "slippage", "some slippage", "minor slippage", "slipping", "minor delay",
         "delayed", "behind schedule", "some risk", "partially on track"),
        Rag.AMBER,
    ),
    **dict.fromkeys(
        ("off track", "off target", "off schedule", "not on track", "significant delay",
         "significantly delayed", "overdue", "at serious risk", "high risk", "stalled"),
        Rag.RED,
    ),
    **dict.fromkeys(("achieved", "done", "fully achieved", "completed and embedded"), Rag.COMPLETE),
    **dict.fromkeys(("not due", "not yet due", "not due to start", "future action"), Rag.GREY),
}  # fmt: skip

# Where work stands, without a rating: kept beside the action, never read as a colour.
STAGE_WORDS = frozenset({
    "not started", "not yet started", "in progress", "ongoing", "started", "underway",
    "under way", "open", "live", "active", "planned",
})  # fmt: skip


def rating_words(text: str) -> str:
    """The words of a RAG or status cell, lower case, without punctuation or arrows."""
    return _words(_without_arrows(text)[0])


def _without_arrows(text: str) -> tuple[str, str | None]:
    """The cell in lower case with its arrows taken out, and the direction of the first."""
    s = " ".join(text.split()).lower()
    hint = None
    for pattern, direction in _DIRECTION_MARKS:
        if re.search(pattern, s):
            hint = hint or direction
            s = re.sub(pattern, " ", s)
    return s, hint


def _words(s: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", s).split())


def _rating_of(words: str) -> Rag | None:
    """A colour, a status phrase, or a colour with a phrase that agrees with it or adds
    nothing known ("Green - on track", "Amber (at risk)"): the colour decides."""
    found = _RAG_WORDS.get(words) or STATUS_RATINGS.get(words)
    if found is not None:
        return found
    first, _, rest = words.partition(" ")
    last = words.rsplit(" ", 1)[-1]
    for colour, phrase in ((first, rest), (last, words[: -len(last)].strip())):
        rag = _RAG_WORDS.get(colour)
        if (
            rag is not None
            and len(colour) > 1
            and (phrase in STATUS_RATINGS or phrase in STAGE_WORDS)
        ):
            return rag
    return None


def parse_rag(text: str | None) -> tuple[Rag | None, str | None, bool]:
    """A RAG cell as (rating, direction of travel, understood).

    The direction is "improving", "worsening" or "steady" when an arrow is drawn or
    described ("Orange with up arrow"); an arrow alone gives a direction and no rating.
    A status phrase in place of a colour ("On track", "At risk") gives its rating by
    STATUS_RATINGS; a stage ("In progress") is understood and gives none. An empty
    cell is understood and says nothing.
    """
    s, hint = _without_arrows(text or "")
    words = _words(s)
    leftover = re.sub(r"[\sa-z\-–:;,.()]", "", s)
    if leftover:
        return None, hint, False
    if not words:
        return None, hint, True
    rag = _rating_of(words)
    return rag, hint, rag is not None or words in STAGE_WORDS


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_ROLE_WORDS = frozenset((
    "head", "director", "directors", "deputy", "chief", "manager", "managers", "officer",
    "officers", "lead", "leads", "leader", "coordinator", "co-ordinator", "commissioner",
    "commissioners", "assistant", "senior", "principal", "executive", "executives",
    "programme", "project", "team", "service", "services", "interim", "acting", "chair",
    "chairman", "chairperson", "member", "members", "cabinet", "portfolio", "corporate",
    "consultant", "business", "strategic",
))  # fmt: skip
_AND = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)


def parse_people(text: str | None) -> list[Person]:
    """The people a lead or owner cell names, in order, without repeats.

    Several people may share a cell, separated by new lines, ";", "/", "&", " and "
    or ","; a bracket after a name is the person's title, and is never split.
    "A, B (Service Delivery Managers)" gives both A and B that plural title;
    "Dennis Holmes, Deputy Director (X)" is one person with a title. A cell naming
    only a post ("Chief Officer (Resources)") gives a person named by the post.
    """
    people: list[Person] = []
    seen: set[str] = set()
    for segment in _split_segments(text or ""):
        for person in _parse_segment(segment):
            if person.key not in seen:
                seen.add(person.key)
                people.append(person)
    return people


def _split_segments(text: str) -> list[str]:
    """Split at new lines, ";" and "/" and after a closing bracket, never inside one."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and char in "\n;/":
            segments.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
        if char == ")" and depth == 0:
            # "Hilary Paxton (Head of X) Graham Sephton (Y)": a new name follows.
            j = i
            while j < len(text) and text[j] in " \t.,;":
                j += 1
            if j > i and j < len(text) and text[j].isupper() and text[i] in " \t.,;":
                segments.append("".join(current))
                current = []
                i = j
    segments.append("".join(current))
    return [s.strip(" \t,.;") for s in segments if s.strip(" \t,.;")]


def _split_outside_brackets(text: str, separator: re.Pattern[str]) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            match = separator.match(text, i)
            if match and match.end() > i:
                parts.append(text[start:i])
                start = i = match.end()
                continue
        i += 1
    parts.append(text[start:])
    return [p.strip(" \t,.;") for p in parts if p.strip(" \t,.;")]


def _is_role(text: str) -> bool:
    first = text.split(maxsplit=1)[0].lower().strip(".,:") if text.split() else ""
    return first in _ROLE_WORDS


def _parse_segment(segment: str) -> list[Person]:
    items = _split_outside_brackets(segment, re.compile(r","))
    # "Dennis Holmes, Deputy Director (X)": a post after a bare name is that name's title.
    merged: list[str] = []
    for item in items:
        if merged and _is_role(item) and not _is_role(merged[-1]) and "(" not in merged[-1]:
            merged[-1] = f"{merged[-1]}, {item}"
            continue
        if merged and _is_role(merged[-1]) and len(item.split()) == 1 and not _is_role(item):
            # "Service Manager, Assessment": one word after a post is what it covers.
            merged[-1] = f"{merged[-1]}, {item}"
            continue
        merged.append(item)
    names: list[str] = []
    for item in merged:
        whole = _is_role(item) or "," in item
        names.extend([item] if whole else _split_outside_brackets(item, _AND))
    people = [person for person in map(_person, names) if person is not None]
    return _share_plural_title(people)


def _share_plural_title(people: list[Person]) -> list[Person]:
    """ "A, B, C (Service Delivery Managers)": the plural title is all three's."""
    if len(people) < 2 or people[-1].title is None or any(p.title for p in people[:-1]):
        return people
    title = people[-1].title
    head = title.split(" of ")[0].split()[-1].lower() if title.split() else ""
    if not (head.endswith("s") and not head.endswith("ss")):
        return people
    return [Person(p.name, p.email, p.agency, title) for p in people]


def _person(text: str) -> Person | None:
    email_match = _EMAIL.search(text)
    email = email_match.group(0).lower() if email_match else None
    if email_match:
        text = (text[: email_match.start()] + text[email_match.end() :]).replace("<>", "")
        text = re.sub(r"\(\s*\)|<\s*>|mailto:", "", text)
    text = " ".join(text.split()).strip(" ,.;:-")
    if not re.search(r"[^\W\d_]", text):  # a name has letters; "-" or "?" is nobody
        return Person(name=email, email=email) if email else None
    if ", " in text and not _is_role(text):
        # "Dennis Holmes, Deputy Director (Strategic Commissioning)"
        name, title = text.split(", ", 1)
        return Person(name=name.strip(), email=email, title=title.strip())
    if _is_role(text):
        return Person(name=text, email=email)
    bracket = re.match(r"^(?P<name>[^()]+?)\s*\((?P<title>.+)\)$", text)
    if bracket and not _inline_title(bracket.group("name")):
        return Person(name=bracket.group("name"), email=email, title=bracket.group("title"))
    inline = _inline_title(text)
    if inline:
        return Person(name=inline[0], email=email, title=inline[1])
    return Person(name=text, email=email)


def _inline_title(text: str) -> tuple[str, str] | None:
    """ "Michele Tynan Chief Officer (X)" -> ("Michele Tynan", "Chief Officer (X)").

    One word before the post names a post, not a person: "Medical Director",
    "Safeguarding Lead"."""
    words = list(re.finditer(r"\S+", text.split("(", 1)[0]))
    for index, word in enumerate(words):
        if word.group().lower().strip(".,:") in _ROLE_WORDS:
            if index < 2 or not all(w.group()[:1].isupper() for w in words[:index]):
                return None
            name = text[: word.start()].strip(" .,:-")
            return (name, text[word.start() :].strip()) if name else None
    return None
