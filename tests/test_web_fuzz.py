"""The JSON API fuzzed from its own OpenAPI document (Schemathesis), signed in as each
role: whatever is sent, no answer is a server error and every answer matches what the
document says of it.

A quick run with a few examples per operation is part of the suite; the `slow` run
tries many more, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import ADMIN, AUDITOR, LEAD, NHS, OFFICER, SECRETARY
from tests.web_inprocess import open_site

ROLES = {
    "lead": LEAD,
    "accountable": OFFICER,
    "approver": NHS,
    "secretary": SECRETARY,
    "auditor": AUDITOR,
    "admin": ADMIN,
}


def fuzz(db_url: str, tmp_path: Path, examples: int, budget_seconds: float) -> int:
    """Every operation as every role with `examples` generated requests each, stopping
    early (after whole operations) when the budget is spent; the number of requests."""
    import schemathesis
    from schemathesis import GenerationMode

    site = open_site(db_url, tmp_path, trusted_hosts="testserver")
    try:
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", site.app)
        operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
        assert len(operations) > 15
        tokens = {role: site.accounts.create_token(email) for role, email in ROLES.items()}
        sent = 0
        deadline = time.monotonic() + budget_seconds
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        for operation in operations:
            for n, (role, token) in enumerate(tokens.items()):
                # Valid requests, and requests that break the document (alternately).
                mode = modes[n % 2]
                if time.monotonic() > deadline:
                    return sent
                sent += try_operation(operation, role, token, mode, examples)
        return sent
    finally:
        site.rt.close()


def try_operation(operation: Any, role: str, token: str, mode: Any, examples: int) -> int:
    """Sends generated requests to one operation; fails naming it and the role."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
    ]
    headers = {"authorization": f"Bearer {token}"}
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except Exception as e:
            raise AssertionError(f"{operation.label} as {role}: {e}") from e

    one()
    return sent


def test_api_fuzz_quick(sqlite_url: str, tmp_path: Path) -> None:
    assert fuzz(sqlite_url, tmp_path, examples=2, budget_seconds=90) > 50


@pytest.mark.slow
def test_api_fuzz_thorough(db_url: str, tmp_path: Path) -> None:
    assert fuzz(db_url, tmp_path, examples=25, budget_seconds=20 * 60) > 1000
