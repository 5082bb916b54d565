"""Excel exports: small lists download at once; big ones run in Celery with progress, in the user's scope."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from safety.models import ExportJob
from tests.factories import EnterpriseFactory


def _rows(content: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return list(ws.iter_rows(values_only=True))


@pytest.fixture
def pending(world):
    """Five pending registrations in the township office's jurisdiction, one outside it."""
    inside = [
        EnterpriseFactory(
            name=f"待审企业{i}", status="pending", owning_body=world.nancheng_office, region=world.nancheng
        )
        for i in range(5)
    ]
    EnterpriseFactory(name="外地待审企业", status="pending", owning_body=world.guiyang_bureau, region=world.nanming)
    return inside


def test_small_export_downloads_at_once(world, pending, login, settings):
    settings.EXPORT_SYNC_MAX_ROWS = 100
    c = login(world.gov_alice)
    r = c.get("/gov/registrations/pending/?export=xlsx")
    assert r.status_code == 200
    rows = _rows(b"".join(r.streaming_content))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(e.name for e in pending)
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", 5), ("q=待审企业3", 1)],
)
def test_big_export_runs_in_background_with_the_same_filters_and_scope(
    world, pending, login, settings, django_capture_on_commit_callbacks, query, expected
):
    settings.EXPORT_SYNC_MAX_ROWS = 0  # everything is "big"
    c = login(world.gov_alice)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.get(f"/gov/registrations/pending/?{query}&export=xlsx")
    job = ExportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/exports/{job.pk}/"
    assert job.status == ExportJob.Status.DONE
    assert job.done == expected == job.total

    page = c.get(f"/exports/{job.pk}/")
    assert "export-download" in page.content.decode()
    download = c.get(f"/exports/{job.pk}/download/")
    rows = _rows(b"".join(download.streaming_content))
    assert len(rows) == expected + 1
    assert "外地待审企业" not in {row[0] for row in rows}  # the worker kept the jurisdiction scope


def test_progress_partial_polls_until_done(world, login):
    job = ExportJob.objects.create(
        user=world.gov_alice.user,
        membership=world.gov_alice,
        list_key="x",
        title="t",
        status=ExportJob.Status.RUNNING,
        total=1000,
        done=250,
    )
    c = login(world.gov_alice)
    html = c.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and "25%" in html
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE)
    html = c.get(f"/exports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and "export-download" in html


def test_other_users_jobs_are_not_found(world, login):
    job = ExportJob.objects.create(
        user=world.gov_alice.user, membership=world.gov_alice, list_key="x", title="t", status=ExportJob.Status.DONE
    )
    c = login(world.gov_bob)
    assert c.get(f"/exports/{job.pk}/").status_code == 404
    assert c.get(f"/exports/{job.pk}/download/").status_code == 404


def test_a_job_for_a_non_exportable_key_fails_cleanly(world):
    from safety.tasks import run_export

    job = ExportJob.objects.create(
        user=world.gov_alice.user, membership=world.gov_alice, list_key="safety.views.healthz", title="t"
    )
    assert run_export(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "not an exportable list" in job.error
    assert run_export(job.pk) == "skipped"  # a duplicate delivery does nothing
