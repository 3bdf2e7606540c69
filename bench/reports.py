"""Board papers: the Word and PDF progress reports of a plan of N actions (500 by
default) against the HTML report of the same plan, in the same run. Each is the whole
`report` path: the period read from the store, the report built and rendered. Prints the
figures, then one line of JSON whose `ratio` is the HTML time over the PDF time (goal:
at least 0.1, the PDF no more than ten times the HTML's cost), wall clock, and
`ratio_cpu` the same in CPU seconds (steadier when other work shares the machine).

    python bench/reports.py [--actions 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import url_for  # noqa: E402
from config.settings import Settings  # noqa: E402
from domain.clock import FixedClock, using_clock  # noqa: E402
from domain.spec import ActionSpec, GroupSpec, PlanSpec  # noqa: E402
from domain.values import Criterion, Person, Rag  # noqa: E402
from engine.plans.closing import close_period  # noqa: E402
from engine.reports import ReportFormat, ReportKind, build_report, render  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from tests.conftest import ADMIN, LEAD, SECRETARY, people  # noqa: E402


def plan_of(n: int) -> PlanSpec:
    groups = [GroupSpec(ref=str(g), title=f"Recommendation {g}") for g in range(1, n // 10 + 2)]
    actions = [
        ActionSpec(
            ref=f"{i // 10 + 1}.{i % 10 + 1}",
            title=f"Action {i}: establish and monitor the practice standards agreed with partners",
            group=str(i // 10 + 1),
            aim="Services meet the standards people who use them expect",
            leads=[Person("Lee Lead", LEAD, "Council")],
            accountable=Person("Olu Officer", "officer@council.example", "Council"),
            plan_start=date(2009, 1 + i % 6, 1),
            plan_finish=date(2009, 6 + i % 7, 28),
            success_criteria=[Criterion("Standards agreed and audited", date(2009, 5, 31))],
        )
        for i in range(n)
    ]
    return PlanSpec(slug="bench", title="Bench plan", groups=groups, actions=actions)


def timed(fn: Callable[[], bytes], repeat: int) -> tuple[float, float, bytes]:
    """Median wall-clock and CPU seconds of the calls, and the last output. On a
    shared machine the CPU time is the steadier measure of what a format costs."""
    times, cpu, out = [], [], b""
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), statistics.median(cpu), out


def warm_up() -> None:
    """Load the Word and PDF libraries and the fonts once, before any timing: what is
    measured is a report's cost, not a process's first import."""
    from docx import Document
    from weasyprint import HTML

    Document()
    HTML(string="<p>Ready</p>").write_pdf()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rt = Runtime.open(
            Settings(database_url=url_for("sqlite", folder, "reports"), files_dir=str(folder))
        )
        clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
        with using_clock(clock):
            people(rt)
            rt.app.load_plan(ADMIN, plan_of(args.actions))
            for i in range(0, args.actions, 3):
                ref = f"{i // 10 + 1}.{i % 10 + 1}"
                rt.app.report_progress(LEAD, "bench", ref, "2009-06", "Work continuing " * 8)
                if i % 2:
                    rt.app.assess_rag(LEAD, "bench", ref, Rag.AMBER, reason="partners late")
            clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
            close_period(rt, SECRETARY, "bench", "2009-06")
            clock.set(datetime(2009, 7, 2, 9, tzinfo=UTC))

            def paper(fmt: ReportFormat) -> Callable[[], bytes]:
                return lambda: render(
                    build_report(rt, "bench", ReportKind.PROGRESS, "2009-06"), fmt
                )

            warm_up()
            html, html_cpu, html_out = timed(paper(ReportFormat.HTML), args.repeat)
            docx, docx_cpu, docx_out = timed(paper(ReportFormat.DOCX), args.repeat)
            pdf, pdf_cpu, pdf_out = timed(paper(ReportFormat.PDF), max(1, args.repeat // 2))
        rt.close()
    pages = len(PdfReader(io.BytesIO(pdf_out)).pages)
    print(f"{args.actions} actions, progress report of a closed period")
    print(f"html {html:.3f}s, CPU {html_cpu:.3f}s ({len(html_out):,} bytes)")
    print(f"docx {docx:.3f}s, CPU {docx_cpu:.3f}s ({len(docx_out):,} bytes)")
    print(f"pdf  {pdf:.3f}s, CPU {pdf_cpu:.3f}s ({len(pdf_out):,} bytes, {pages} pages)")
    result = {
        "ratio": round(html / pdf, 4),
        "ratio_cpu": round(html_cpu / pdf_cpu, 4),
        "actions": args.actions,
        "html_s": round(html, 4),
        "docx_s": round(docx, 4),
        "pdf_s": round(pdf, 4),
        "html_cpu_s": round(html_cpu, 4),
        "docx_cpu_s": round(docx_cpu, 4),
        "pdf_cpu_s": round(pdf_cpu, 4),
        "pdf_pages": pages,
        "html_over_docx": round(html / docx, 4),
        "goal": 0.1,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
