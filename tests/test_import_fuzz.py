"""Fuzzing what people hand the product: spreadsheets (CSV, TSV, XLSX), Word tables and
plan files, made at random or from a real plan's headings with hostile cells (control
and bidirectional characters, cells over a workbook's 32,767-character limit, quotes,
formulas, dates in odd forms, RAG words that are not RAG).

Whatever the file, it is read or refused in one line naming it, never with another
exception; a refused file or a report with errors records nothing; a file recorded
holds the actions its report counted; and no file costs more than a bounded amount of
memory. The suite runs a few examples of each; the ``slow`` tests run many more.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, InvalidInput, NotFound
from engine.importing import ImportFileError
from engine.importing.record import import_plan
from engine.plans.planfile import read_plan_file
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, people

FIXTURES = Path(__file__).parent / "fixtures" / "import"
EXAMPLE_PLAN = Path(__file__).parent.parent / "docs" / "examples" / "leeds-plan.yaml"
# The most one example may allocate at its peak: a real plan takes a few megabytes.
MEMORY_LIMIT = 200 * 1024 * 1024

# Derandomized: the suite's runs are the same on every machine, so CI never fails on an
# example no developer has seen; the slow runs go further along the same sequence.
FAST = settings(
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
SLOW = settings(FAST, max_examples=200)


def _leeds_headings() -> list[str]:
    with (FIXTURES / "leeds.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if "Action" in row:
                return row
    raise AssertionError("the Leeds fixture has no heading row")


HEADINGS = _leeds_headings()
_slugs = itertools.count()


def new_slug() -> str:
    return f"fuzz-{next(_slugs)}"


# -- cells ---------------------------------------------------------------------------------

_HOSTILE = st.sampled_from(
    ["\u202e", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff", "\x00", "\x07", "\x1b[31m",
     "\r", "\n", "\r\n", "\t", "\x0b", "\x0c", '"', '""', "'", "=1+1", "=HYPERLINK(\"x\")",
     "+SUM(A1:A9)", "-2+3", "@cmd", "Red", "red ", "AMBER", "Green", "Blue", "Purple", "R/A",
     "31/02/2009", "2009-13-01", "Sep-08", "0000-00-00", "45123", "1e308", "NaN", "Q3 09/10",
     "Dan\rBcc: <dan@x.example>", "lee@", "Lee Lead <lee@council.example>", "1.1", " 1.1 "]
)  # fmt: skip
_CELL = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_HOSTILE, st.text(max_size=8)), max_size=6).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from('x\u202e"=\n'), st.integers(30_000, 40_000)),
)
_REF = st.one_of(st.sampled_from(["1.1", "1.2", "2.1", "1.1", "", "R1"]), _CELL)


@st.composite
def plan_rows(draw: Callable[..., Any]) -> list[list[str]]:
    """A title, the Leeds headings, a grouping row and some action rows of hostile cells
    (sometimes ragged: short or long rows)."""
    rows: list[list[str]] = [
        [draw(_CELL)],
        [],
        list(HEADINGS),
        ["Recommendation 1: " + draw(_CELL)],
    ]
    for _ in range(draw(st.integers(0, 4))):
        width = draw(st.sampled_from([len(HEADINGS), len(HEADINGS), 3, len(HEADINGS) + 2]))
        cells = [draw(_CELL) if draw(st.booleans()) else "" for _ in range(width - 1)]
        rows.append([draw(_REF), *cells])
    return rows


_WORDS = st.text(alphabet="abcdeé ABC,.'\"&;-()", min_size=3, max_size=30).filter(str.strip)


def _plain_cell(heading: str) -> st.SearchStrategy[str]:
    if "RAG" in heading:
        return st.sampled_from(["Green", "Amber", "Red", "Blue", "green", ""])
    if heading.startswith(("Plan ", "Actual")):
        return st.sampled_from(["Sep-08", "Nov-08", "01/12/2008", "2009-03-31", ""])
    if heading.startswith(("Lead", "Chief")):
        return st.sampled_from(["Dennis Holmes", "Director of Adult Social Services", ""])
    return _WORDS


@st.composite
def plain_rows(draw: Callable[..., Any]) -> list[list[str]]:
    """Rows a council could have written, so that some imports are recorded: the fuzz
    is in the text, quotes and ratings, not in the layout."""
    rows: list[list[str]] = [["Action plan"], [], list(HEADINGS), ["Recommendation 1: x"]]
    for n in range(draw(st.integers(1, 4))):
        rows.append([f"1.{n + 1}", *(draw(_plain_cell(h)) for h in HEADINGS[1:])])
    return rows


# -- files ---------------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        # openpyxl will not write XML-illegal characters; the rest goes in as it is.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_bytes(rows: list[list[str]]) -> bytes:
    from docx import Document
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    doc = Document()
    doc.add_paragraph(ILLEGAL_CHARACTERS_RE.sub("", rows[0][0]))
    table_rows = [r for r in rows[2:] if r]
    width = max(len(r) for r in table_rows)
    table = doc.add_table(rows=len(table_rows), cols=width)
    for i, row in enumerate(table_rows):
        for j, text in enumerate(row):
            table.cell(i, j).text = ILLEGAL_CHARACTERS_RE.sub("", text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def corrupted(data: bytes, seed: int, how: str) -> bytes:
    """A zip container damaged the way files are: cut short, bytes overwritten, a member
    rewritten with junk."""
    rnd = random.Random(seed)
    if how == "truncate":
        return data[: rnd.randrange(len(data))]
    if how == "flip":
        buf = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            buf[rnd.randrange(len(buf))] = rnd.randrange(256)
        return bytes(buf)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = [(i, src.read(i)) for i in src.infolist()]
    victim = rnd.randrange(len(members))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for n, (info, body) in enumerate(members):
            if n == victim:
                at = rnd.randrange(len(body) + 1)
                body = body[:at] + rnd.randbytes(rnd.randint(0, 64)) + body[at:]
            dst.writestr(info, body)
    return out.getvalue()


_CSV_FILES = st.one_of(
    st.builds(lambda rows: (csv_bytes(rows, ",", "utf-8"), "plan.csv"), plain_rows()),
    st.tuples(st.binary(max_size=2000), st.sampled_from(["plan.csv", "plan.tsv"])),
    st.builds(
        lambda rows, enc: (csv_bytes(rows, ",", enc), "plan.csv"),
        plan_rows(),
        st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    ),
    st.builds(lambda rows: (csv_bytes(rows, "\t", "utf-8"), "plan.tsv"), plan_rows()),
)
_XLSX_FILES = st.one_of(
    st.builds(lambda rows: (xlsx_bytes(rows), "plan.xlsx"), plain_rows()),
    st.builds(lambda rows: (xlsx_bytes(rows), "plan.xlsx"), plan_rows()),
    st.builds(
        lambda rows, seed, how: (corrupted(xlsx_bytes(rows), seed, how), "plan.xlsx"),
        plan_rows(),
        st.integers(0, 2**32),
        st.sampled_from(["truncate", "flip", "member"]),
    ),
    st.tuples(st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b), st.just("plan.xlsx")),
)
_DOCX_FILES = st.one_of(
    st.builds(lambda rows: (docx_bytes(rows), "plan.docx"), plan_rows()),
    st.builds(
        lambda rows, seed, how: (corrupted(docx_bytes(rows), seed, how), "plan.docx"),
        plan_rows(),
        st.integers(0, 2**32),
        st.sampled_from(["truncate", "flip", "member"]),
    ),
)


@pytest.fixture
def admin_rt(rt: Runtime) -> Runtime:
    """A store with its people; every example of a test shares it, so each imports under
    a slug of its own."""
    people(rt)
    return rt


# -- the properties ------------------------------------------------------------------------


_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _kib(field: str) -> int:
    """A memory figure of this process from the kernel, in KiB."""
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@contextmanager
def bounded_memory() -> Iterator[None]:
    """The block's peak memory stays under the limit. Measured by the kernel's high-water
    mark of resident memory, reset first (Linux): allocations made in C count too, and
    the block runs at full speed. Elsewhere, by tracemalloc."""
    try:
        _CLEAR_REFS.write_text("5")  # resets the high-water mark to what is resident now
        start = _kib("VmRSS")
    except OSError:
        tracemalloc.start()
        try:
            yield
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    else:
        yield
        peak = (_kib("VmHWM") - start) * 1024
    assert peak < MEMORY_LIMIT, f"{peak:,} bytes at the peak"


def event_count(rt: Runtime) -> int:
    return int(rt.app.recorder.max_notification_id() or 0)


def plan_exists(rt: Runtime, slug: str) -> bool:
    try:
        rt.app.plan(slug)
    except NotFound:
        return False
    return True


def imports_cleanly(rt: Runtime, tmp_path: Path, data: bytes, name: str) -> None:
    """The file is refused in one line, or its report's errors record nothing, or it is
    recorded whole: the plan holds the actions the report counted."""
    path = tmp_path / name
    path.write_bytes(data)
    slug = new_slug()
    before = event_count(rt)
    with bounded_memory():
        try:
            result = import_plan(rt, ADMIN, path, slug=slug)
        except ImportFileError as refused:
            line = str(refused)
            assert line.startswith(f"{name}: ") and "\n" not in line, line
            result = None
    # Shown by --hypothesis-show-statistics: how often each outcome was reached.
    event("refused" if result is None else "recorded" if result.report.ok else "row errors")
    if result is None or not result.report.ok:
        assert event_count(rt) == before
        assert not plan_exists(rt, slug)
        return
    assert result.recorded and plan_exists(rt, slug)
    rt.runner.catch_up()
    recorded = queries.actions(rt.engine, queries.plan(rt.engine, slug))
    assert len(recorded) == result.report.actions


@FAST
@given(file=_CSV_FILES)
def test_a_fuzzed_csv_is_imported_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    imports_cleanly(admin_rt, tmp_path, *file)


@FAST
@given(file=_XLSX_FILES)
def test_a_fuzzed_workbook_is_imported_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    imports_cleanly(admin_rt, tmp_path, *file)


@settings(FAST, max_examples=5)
@given(file=_DOCX_FILES)
def test_a_fuzzed_word_table_is_imported_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    imports_cleanly(admin_rt, tmp_path, *file)


@pytest.mark.slow
@SLOW
@given(file=st.one_of(_CSV_FILES, _XLSX_FILES, _XLSX_FILES, _DOCX_FILES))
def test_many_fuzzed_sheets_are_imported_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    imports_cleanly(admin_rt, tmp_path, *file)


# -- plan files ----------------------------------------------------------------------------

_EXAMPLE = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))
_NEAR_KEYS = st.sampled_from(
    ["titel", "plan_finsh", "leeds", "lead", "actions ", "Ref", "slug", "groups", "aim",
     "plan_start", "success_criteria", "due", "<<", "governance", "rag_policy", "agencies"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), _CELL,
    st.sampled_from(["2009-02-30", "2009-13-01", "31/01/2009", "9999-12-31", "Purple", "red"]),
)  # fmt: skip


def _values(depth: int) -> st.SearchStrategy[Any]:
    return st.recursive(
        _SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(_NEAR_KEYS, inner, max_size=3)
        ),
        max_leaves=depth,
    )


def _place(data: dict[str, Any], where: str) -> Any:
    """The mapping to change, or None where an earlier change took it away."""
    try:
        if where == "action":
            return data["actions"][0]
        if where == "lead":
            return data["actions"][1]["leads"][0]
        if where == "group":
            return data["groups"][0]
    except (KeyError, IndexError, TypeError):
        return None
    return data


@st.composite
def mutated_plan(draw: Callable[..., Any]) -> str:
    """The example plan file with a few keys added, removed or given other values, at
    the top, in an action or in a person."""
    data = yaml.safe_load(yaml.safe_dump(_EXAMPLE))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(["top", "action", "lead", "group"]))
        target = _place(data, where)
        if not isinstance(target, dict):
            break
        # A place whose keys were all removed by an earlier round takes new ones only.
        keys = st.one_of(_NEAR_KEYS, st.sampled_from(sorted(target))) if target else _NEAR_KEYS
        key = draw(keys)
        if draw(st.booleans()) and key in target:
            del target[key]
        else:
            target[key] = draw(_values(8))
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()))


def _laughs(n: int) -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}] " for i in range(n)]
    return "\n".join(lines) + "\n"


_PLAN_FILES = st.one_of(
    st.binary(max_size=1000).map(lambda b: (b, "plan.yaml")),
    st.text(max_size=400).map(lambda t: (t.encode("utf-8", "surrogatepass"), "plan.yaml")),
    mutated_plan().map(lambda t: (t.encode(), "plan.yaml")),
    mutated_plan().map(lambda t: (t.encode("utf-16"), "plan.yaml")),
    st.integers(1, 20).map(lambda n: (_laughs(n).encode(), "plan.yaml")),
    st.integers(1, 5000).map(lambda n: (("slug: " + "[" * n + "]" * n).encode(), "plan.yaml")),
    st.integers(1, 5000).map(lambda n: (("{" * n + "}" * n).encode(), "plan.json")),
    _values(30).map(lambda v: (yaml.safe_dump({"slug": "x", "title": v}).encode(), "plan.yaml")),
)


def loads_cleanly(rt: Runtime, tmp_path: Path, data: bytes, name: str) -> None:
    """`plan load`: the file is read or refused in one line naming it; a plan read is
    recorded whole or refused with nothing recorded."""
    path = tmp_path / name
    path.write_bytes(data)
    before = event_count(rt)
    with bounded_memory():
        try:
            read = read_plan_file(path)
        except InvalidInput as refused:
            assert str(refused).startswith(str(path)) and "\n" not in str(refused)
            assert event_count(rt) == before
            return
    slug = new_slug()
    spec = replace(read.spec, slug=slug) if read.spec.slug == _EXAMPLE["slug"] else read.spec
    existed = plan_exists(rt, spec.slug) if spec.slug else False
    try:
        rt.app.load_plan(
            ADMIN, spec, rag_policy=read.rag_policy, reminder_policy=read.reminder_policy
        )
    except DomainError:
        assert event_count(rt) == before
        if spec.slug == slug:
            assert not plan_exists(rt, slug)
        return
    assert not existed
    rt.runner.catch_up()
    recorded = queries.actions(rt.engine, queries.plan(rt.engine, spec.slug))
    assert len(recorded) == len(spec.actions)


@settings(FAST, max_examples=40)
@given(file=_PLAN_FILES)
def test_a_fuzzed_plan_file_is_loaded_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    loads_cleanly(admin_rt, tmp_path, *file)


@pytest.mark.slow
@settings(FAST, max_examples=500)
@given(file=_PLAN_FILES)
def test_many_fuzzed_plan_files_are_loaded_whole_or_refused(
    admin_rt: Runtime, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    loads_cleanly(admin_rt, tmp_path, *file)


def test_a_workbook_whose_xml_is_broken_is_refused_in_one_line(tmp_path: Path) -> None:
    """Found by the fuzz: XML that lxml cannot parse (a prefix with no name) ended in a
    traceback rather than a refusal."""
    from engine.importing import parse_file

    good = xlsx_bytes([list(HEADINGS), ["1.1", "aim", "Do it"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/workbook.xml":
                body = body.replace(b"<sheets>", b"<sheets><shee:/>", 1)
            dst.writestr(info, body)
    path = tmp_path / "plan.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(ImportFileError, match=r"^plan.xlsx: not a readable .xlsx workbook"):
        parse_file(path, slug="plan")
