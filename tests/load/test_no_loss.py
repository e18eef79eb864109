"""No lost responses: real gunicorn on PostgreSQL, a few hundred concurrent respondents over
HTTP, the server killed with SIGKILL mid-load and restarted. Every submission that was
acknowledged is stored, exactly once, and resume links still work afterwards.

The scenario itself is ``benchmarks.http_journey.kill_and_restart_load``, which the ``no_loss``
benchmark runs too."""

from __future__ import annotations

import os

import pytest

from benchmarks.http_journey import kill_and_restart_load

PEOPLE = 240
CONCURRENCY = 48


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="needs PostgreSQL behind gunicorn; runs in CI's PostgreSQL pass")
def test_acknowledged_submissions_survive_a_sigkill_mid_load(app, database_url):
    report = kill_and_restart_load(app, database_url, PEOPLE, CONCURRENCY)

    assert report.killed, "the server was never killed: the test proved nothing"
    assert not report.load.failed, [r.error for r in report.load.failed][:5]
    assert len(report.load.acknowledged) == PEOPLE
    assert report.load.retries > 0, "no request failed: the kill did not land mid-load"
    stored = report.stored
    assert stored.missing == 0, f"{stored.missing} acknowledged submissions were not stored"
    assert stored.duplicates == 0, f"{stored.duplicates} submissions were stored twice or from nowhere"
    assert stored.stored_once == stored.submitted == PEOPLE
    assert report.resume_link_works, (report.resume_status, report.resume_location)
