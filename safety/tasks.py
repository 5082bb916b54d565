from __future__ import annotations

import logging
import tempfile

from celery import shared_task
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import ExportJob
from .tenancy import actor_scope

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500


@shared_task
def run_export(job_id: int) -> str:
    """Write one queued export. Claims the job with SKIP LOCKED, so a duplicate delivery does nothing."""
    from approvals.notify import notify
    from enterprises.models import Membership

    from .actors import Actor
    from .exports import table_rows, write_xlsx
    from .views import ExportableListMixin

    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, status=ExportJob.Status.PENDING)
            .first()
        )
        if job is None:
            return "skipped"
        job.status = ExportJob.Status.RUNNING
        job.save(update_fields=["status"])
    try:
        view_class = import_string(job.list_key)
        if not (isinstance(view_class, type) and issubclass(view_class, ExportableListMixin)):
            raise ValueError(f"{job.list_key} is not an exportable list")
        membership = Membership.objects.select_related("enterprise", "body").filter(pk=job.membership_id).first()
        actor = Actor(user=job.user, membership=membership)
        params = QueryDict(mutable=True)
        for key, values in job.params.items():
            params.setlist(key, values)
        with actor_scope(actor):
            _filterset, table = view_class.build_list(actor, params, **job.url_kwargs)
            ExportJob.objects.filter(pk=job.pk).update(total=table.data.data.count())
            headers, rows = table_rows(table)

            def counted():
                for n, row in enumerate(rows, start=1):
                    if n % PROGRESS_EVERY == 0:
                        ExportJob.objects.filter(pk=job.pk).update(done=n)
                    yield row

            with tempfile.TemporaryFile() as tmp:
                written = write_xlsx(tmp, sheet_title=job.title, headers=headers, rows=counted())
                tmp.seek(0)
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
                job.file.save(f"{job.title}-{stamp}.xlsx", File(tmp), save=False)
        job.status = ExportJob.Status.DONE
        job.done = written
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "done", "finished_at"])
        notify(
            recipients=[job.user],
            title=_("Your export is ready: %(title)s") % {"title": job.title},
            url=job.get_absolute_url(),
        )
        return "done"
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return "failed"
