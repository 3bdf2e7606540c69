"""Importing a large XLSX plan against openpyxl reading the same file alone.

Writes one workbook of N action rows in the monthly-progress-report layout (grouped
under recommendations, with dates, RAG, leads, criteria and progress), then times, in
the same run, the importer reading it into a plan and its report (`parse_file`: what
`import --dry-run` does before comparing with the store) and, as the baseline,
openpyxl's read-only mode iterating every cell's value. Peak memory is measured
(tracemalloc, in a second pass) at N and at N/4, to show whether it grows with rows.
Prints the figures, then one line of JSON whose `ratio` is the bare read's time over
the import's (goal: at least 0.25), with peak memory (goal: under 300 MB, flat in N).

    python bench/import.py [--rows 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.importing import parse_file  # noqa: E402

HEADINGS = ["Ref", "Aim/Outcome", "Action", "Last Month RAG", "This Month RAG", "Plan Start",
            "Plan Finish", "Actual Finish", "Success Criteria", "Lead", "Chief Officer",
            "Report of Progress", "Risk Report"]  # fmt: skip
PER_GROUP = 50


def write_workbook(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Plan")
    ws.append(["Improvement plan: benchmark"])
    ws.append([])
    ws.append(HEADINGS)
    written = 0
    group = 0
    while written < rows:
        group += 1
        ws.append([f"Recommendation {group}: Improve area {group}"])
        written += 1
        for n in range(1, PER_GROUP + 1):
            if written >= rows:
                break
            rag = ("Green", "Amber", "Red")[n % 3]
            ws.append([
                f"{group}.{n}", f"Outcome for {group}.{n}", f"Action {group}.{n}: review cases",
                "Green", rag, f"Apr-{10 + n % 3}", f"Mar-{11 + n % 3}", "",
                f"80% of cases reviewed within 28 days\nAudit report {n}",
                f"Lead {n % 40} (Head of Service {n % 7})", "Chief Officer Smith",
                f"Progress on {group}.{n}: on track", "Staffing" if rag != "Green" else "",
            ])  # fmt: skip
            written += 1
    wb.save(path)


def bare_read(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += sum(1 for value in row if value is not None)
    wb.close()
    return cells


def imported(path: Path) -> int:
    spec, report = parse_file(path, slug="bench")
    assert report.ok, report.errors[:3]
    return len(spec.actions)


def timed(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_mb(run: Callable[[], int]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="action rows in the sheet")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "plan.xlsx"
        quarter = Path(folder) / "quarter.xlsx"
        write_workbook(big, args.rows)
        write_workbook(quarter, max(args.rows // 4, 1))
        bare_s, cells = timed(lambda: bare_read(big), args.repeat)
        import_s, actions = timed(lambda: imported(big), args.repeat)
        peak = peak_mb(lambda: imported(big))
        peak_quarter = peak_mb(lambda: imported(quarter))
        size = big.stat().st_size
    figures = {
        "rows": args.rows,
        "actions": actions,
        "cells": cells,
        "file_bytes": size,
        "bare_read_s": round(bare_s, 3),
        "import_s": round(import_s, 3),
        "peak_mb": round(peak, 1),
        "peak_mb_at_quarter_rows": round(peak_quarter, 1),
        "ratio": round(bare_s / import_s, 3),
    }
    print(f"workbook: {args.rows} rows, {cells} cells, {size:,} bytes")
    print(f"openpyxl read-only read: {bare_s:.3f} s; import (parse_file): {import_s:.3f} s")
    print(f"peak memory of the import: {peak:.1f} MB ({peak_quarter:.1f} MB at a quarter)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
