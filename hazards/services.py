"""Every write of dual prevention: keyword-only functions that check, lock, change, record (house pattern:
enterprises/services.py)."""

from __future__ import annotations

# ==== area: risk ====
# isort: split
# Risk points (风险点库): create / edit with their hazard factors and control measures, grading (LEC / LS with the
# province's bands, history in RiskGrading), batch delete, copy from the shared library, Excel import (all or
# nothing) and export (TransferLog), the site plan and map positions of the four-colour map, and the enterprise
# risk grade (A–D). Every write checks risk.manage once and runs in the actor's own scope.
import secrets as _rk_secrets  # noqa: E402
from dataclasses import dataclass as _rk_dataclass  # noqa: E402
from dataclasses import field as _rk_field  # noqa: E402
from decimal import Decimal as _RkDecimal  # noqa: E402
from typing import Any as _RkAny  # noqa: E402

from django.core.exceptions import PermissionDenied as _RkPermissionDenied  # noqa: E402
from django.core.exceptions import ValidationError as _RkValidationError  # noqa: E402
from django.core.files.storage import default_storage as _rk_storage  # noqa: E402
from django.db import transaction as _rk_transaction  # noqa: E402
from django.utils import translation as _rk_i18n  # noqa: E402

from approvals import audit as _rk_audit  # noqa: E402
from approvals.engine import lock_subject as _rk_lock_subject  # noqa: E402
from approvals.models import OperationLog as _RkOperationLog  # noqa: E402
from enterprises import image_uploads as _rk_image_uploads  # noqa: E402
from enterprises import scans as _rk_scans  # noqa: E402
from enterprises.models import Enterprise as _RkEnterprise  # noqa: E402
from safety.tenancy import actor_scope as _rk_actor_scope  # noqa: E402

from . import grading as _rk_grading  # noqa: E402
from . import risk_excel as _rk_excel  # noqa: E402
from . import selectors as _rk_selectors  # noqa: E402
from .models import ControlMeasure as _RkControlMeasure  # noqa: E402
from .models import EnterpriseRiskGrade as _RkEnterpriseRiskGrade  # noqa: E402
from .models import GradingMethod as _RkGradingMethod  # noqa: E402
from .models import HazardFactor as _RkHazardFactor  # noqa: E402
from .models import RiskGrading as _RkRiskGrading  # noqa: E402
from .models import RiskPoint as _RkRiskPoint  # noqa: E402
from .models import SitePlan as _RkSitePlan  # noqa: E402
from .models import TransferLog as _RkTransferLog  # noqa: E402

# TransferLog.subject values (codes: the log page shows their labels).
RISK_SUBJECT_LIBRARY = "risk_points"  # the library in the template's format (import / export)
RISK_SUBJECT_LIST = "risk_point_list"  # the list page's table export
RISK_SUBJECT_SHARED = "shared_library"  # typical points copied from the shared library


@_rk_dataclass
class RiskPointDetails:
    category: str
    name: str
    place: str = ""
    department: _RkAny = None  # an enterprises.Department of the actor's enterprise, or None
    responsible: str = ""


@_rk_dataclass
class RiskMeasureInput:
    description: str
    kind: str = _RkControlMeasure.Kind.MANAGEMENT
    pk: int | None = None  # an existing measure of the factor being edited


@_rk_dataclass
class RiskFactorInput:
    kind: str
    description: str
    consequence: str = ""
    measures: list[RiskMeasureInput] = _rk_field(default_factory=list)
    pk: int | None = None  # an existing factor of the point being edited


@_rk_dataclass
class RiskGradingInput:
    method: str
    values: dict[str, _RkAny]
    reason: str = ""


@_rk_dataclass
class RiskCopyResult:
    created: list[_RkRiskPoint]
    skipped: list[str]  # names already in the library


@_rk_dataclass
class RiskImportResult:
    sheet: _rk_excel.Sheet | None
    errors: list[_rk_excel.RowError] = _rk_field(default_factory=list)
    created: int = 0


def _rk_require_manager(actor: Actor) -> _RkEnterprise:
    with _rk_actor_scope(actor):  # custom roles are tenant rows: read them in the actor's own scope
        allowed = _rk_selectors.risk_may_manage(actor)
    if not allowed:
        raise _RkPermissionDenied(_rk_i18n.gettext("You may not manage this enterprise's risk points."))
    return actor.enterprise


def _rk_require_viewer(actor: Actor) -> _RkEnterprise:
    with _rk_actor_scope(actor):
        allowed = _rk_selectors.risk_may_view(actor)
    if not allowed:
        raise _RkPermissionDenied(_rk_i18n.gettext("You may not view this enterprise's risk points."))
    return actor.enterprise


def _rk_lock_enterprise(enterprise: _RkEnterprise) -> None:
    """Serialise library-wide checks (duplicate names on import and copy) within one enterprise."""
    _RkEnterprise.objects.select_for_update().filter(pk=enterprise.pk).exists()


def risk_new_qr_token() -> str:
    """The token the notice board's QR code carries (never the id: ids are guessable)."""
    return _rk_secrets.token_urlsafe(16)  # 22 characters, 128 bits


def risk_check_details(enterprise: _RkEnterprise, details: RiskPointDetails) -> None:
    errors: dict[str, list[str]] = {}
    details.name = (details.name or "").strip()
    details.place = (details.place or "").strip()
    details.responsible = (details.responsible or "").strip()
    if not details.name:
        errors["name"] = [_rk_i18n.gettext("The risk point's name is required.")]
    if details.category not in _RkRiskPoint.Category.values:
        errors["category"] = [_rk_i18n.gettext("Choose a category.")]
    if details.department is not None and details.department.enterprise_id != enterprise.pk:
        errors["department"] = [_rk_i18n.gettext("Choose one of your enterprise's departments.")]
    if errors:
        raise _RkValidationError(errors)


def risk_check_factors(factors: list[RiskFactorInput]) -> None:
    """At least one factor; each described, of a known kind, with at least one control measure (named if not)."""
    messages: list[str] = []
    if not factors:
        messages.append(_rk_i18n.gettext("A risk point needs at least one hazard factor."))
    for factor in factors:
        factor.description = (factor.description or "").strip()
        label = factor.description[:50] or "—"
        if not factor.description:
            messages.append(_rk_i18n.gettext("Describe every hazard factor."))
        if factor.kind not in _RkHazardFactor.Kind.values:
            messages.append(_rk_i18n.gettext("Choose the kind of the hazard factor “%(factor)s”.") % {"factor": label})
        factor.measures = [m for m in factor.measures if (m.description or "").strip()]
        if not factor.measures:
            messages.append(
                _rk_i18n.gettext("The hazard factor “%(factor)s” has no control measure: add at least one.")
                % {"factor": label}
            )
        for measure in factor.measures:
            measure.description = measure.description.strip()
            if measure.kind not in _RkControlMeasure.Kind.values:
                messages.append(_rk_i18n.gettext("Choose the kind of every control measure."))
    if messages:
        raise _RkValidationError({"factors": messages})


def risk_grade(enterprise: _RkEnterprise, grading_input: RiskGradingInput) -> _rk_grading.Grade:
    """Score and level computed here, with the bands of the enterprise's province (never taken from a form)."""
    return _rk_grading.grade_for_enterprise(enterprise, grading_input.method, grading_input.values)


def _rk_same_grade(point: _RkRiskPoint, grade: _rk_grading.Grade) -> bool:
    return point.method == grade.method and all(
        getattr(point, f"value_{k}") == grade.values.get(k) for k in ("l", "e", "c", "s")
    )


def _rk_record_grade(point: _RkRiskPoint, grade: _rk_grading.Grade, actor: Actor, reason: str) -> _RkRiskGrading:
    """Make ``grade`` the point's current grade and add it to the history; a (re-)grading clears the flag."""
    point.method = grade.method
    for k in ("l", "e", "c", "s"):
        setattr(point, f"value_{k}", grade.values.get(k))
    point.score, point.level, point.needs_regrading = grade.score, grade.level, False
    point.save()
    return _RkRiskGrading.objects.create(
        enterprise_id=point.enterprise_id,
        risk_point=point,
        method=grade.method,
        values=grade.values_json(),
        score=grade.score,
        level=grade.level,
        reason=(reason or "")[:200],
        graded_by=_rk_user(actor),
    )


def _rk_user(actor: Actor):
    return actor.user if getattr(actor.user, "is_authenticated", False) else None


def _rk_sync_factors(point: _RkRiskPoint, factors: list[RiskFactorInput]) -> None:
    """Bring the point's factors and measures to ``factors``: kept rows are updated in place (inspection results
    keep pointing at their measure), missing ones deleted, new ones created."""
    existing = {f.pk: f for f in _RkHazardFactor.objects.filter(risk_point=point).prefetch_related("measures")}
    stale = _rk_i18n.gettext("The form was out of date (a factor or measure was removed meanwhile): reload the page.")
    kept_factors: list[int] = []
    for fi in factors:
        if fi.pk is not None:
            factor = existing.get(fi.pk)
            if factor is None:
                raise _RkValidationError(stale)
            if (factor.kind, factor.description, factor.consequence) != (fi.kind, fi.description, fi.consequence):
                factor.kind, factor.description, factor.consequence = fi.kind, fi.description, fi.consequence[:200]
                factor.save()
            old_measures = {m.pk: m for m in factor.measures.all()}
        else:
            factor = _RkHazardFactor.objects.create(
                enterprise_id=point.enterprise_id,
                risk_point=point,
                kind=fi.kind,
                description=fi.description,
                consequence=(fi.consequence or "")[:200],
            )
            old_measures = {}
        kept_factors.append(factor.pk)
        kept_measures: list[int] = []
        for mi in fi.measures:
            if mi.pk is not None:
                measure = old_measures.get(mi.pk)
                if measure is None:
                    raise _RkValidationError(stale)
                if (measure.kind, measure.description) != (mi.kind, mi.description):
                    measure.kind, measure.description = mi.kind, mi.description
                    measure.save()
            else:
                measure = _RkControlMeasure.objects.create(
                    enterprise_id=point.enterprise_id, factor=factor, kind=mi.kind, description=mi.description
                )
            kept_measures.append(measure.pk)
        _RkControlMeasure.objects.filter(factor=factor).exclude(pk__in=kept_measures).delete()
    _RkHazardFactor.objects.filter(risk_point=point).exclude(pk__in=kept_factors).delete()


def risk_point_create(
    *, actor: Actor, details: RiskPointDetails, factors: list[RiskFactorInput], grading: RiskGradingInput
) -> _RkRiskPoint:
    """A new risk point with its factors and measures, graded (the first entry of its grading history)."""
    enterprise = _rk_require_manager(actor)
    risk_check_details(enterprise, details)
    risk_check_factors(factors)
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        grade = risk_grade(enterprise, grading)
        point = _RkRiskPoint(
            enterprise=enterprise,
            category=details.category,
            name=details.name[:100],
            place=details.place[:100],
            department=details.department,
            responsible=details.responsible[:50],
            qr_token=risk_new_qr_token(),
        )
        point.save()
        _rk_sync_factors(point, factors)
        _rk_record_grade(point, grade, actor, grading.reason)
        _rk_audit.log_operation(actor=actor, action=_RkOperationLog.Action.CREATE, obj=point)
    return point


def risk_point_update(
    *,
    actor: Actor,
    point_id: int,
    details: RiskPointDetails,
    factors: list[RiskFactorInput],
    grading: RiskGradingInput | None = None,
) -> _RkRiskPoint:
    """Edit a point. A grading with other values than the current one is recorded as a re-grading."""
    enterprise = _rk_require_manager(actor)
    risk_check_details(enterprise, details)
    risk_check_factors(factors)
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        point = _rk_lock_subject(_rk_selectors.risk_points_for_actor(actor), point_id)
        changed = [
            f
            for f in ("category", "name", "place", "department", "responsible")
            if getattr(point, f) != getattr(details, f)
        ]
        point.category, point.name, point.place = details.category, details.name[:100], details.place[:100]
        point.department, point.responsible = details.department, details.responsible[:50]
        point.save()
        _rk_sync_factors(point, factors)
        if grading is not None:
            grade = risk_grade(enterprise, grading)
            if not _rk_same_grade(point, grade):
                _rk_record_grade(point, grade, actor, grading.reason)
                changed.append("grading")
        _rk_audit.log_operation(
            actor=actor, action=_RkOperationLog.Action.UPDATE, obj=point, detail=", ".join(changed + ["factors"])
        )
    return point


def risk_point_regrade(*, actor: Actor, point_id: int, grading: RiskGradingInput) -> _RkRiskGrading:
    """Re-grade a point (also to confirm its grade after a hazard on it was closed): always recorded."""
    enterprise = _rk_require_manager(actor)
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        point = _rk_lock_subject(_rk_selectors.risk_points_for_actor(actor), point_id)
        grade = risk_grade(enterprise, grading)
        record = _rk_record_grade(point, grade, actor, grading.reason)
        _rk_audit.log_operation(
            actor=actor,
            action=_RkOperationLog.Action.UPDATE,
            obj=point,
            detail=f"re-graded: {grade.method} {_rk_grading.format_value(grade.score)} {grade.level}",
        )
    return record


def risk_points_delete(*, actor: Actor, point_ids: list[int]) -> list[str]:
    """Delete the selected points of the actor's enterprise (others' ids are ignored), one log entry each.

    A point on a risk list past its draft (under review, approved, filed) is not deleted: the list must let it go
    first, since filed lists generate inspections from it."""
    _rk_require_manager(actor)
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        points = list(
            _rk_selectors.risk_points_for_actor(actor)
            .filter(pk__in=point_ids)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        if not points:
            raise _RkValidationError(_rk_i18n.gettext("Select at least one risk point to delete."))
        blocked = _rk_selectors.risk_points_in_use(points)
        if blocked:
            raise _RkValidationError(
                [
                    _rk_i18n.gettext(
                        "“%(point)s” is on the risk list “%(list)s” (%(status)s): take it off the list first."
                    )
                    % {
                        "point": item.risk_point.name,
                        "list": item.risk_list.name,
                        "status": item.risk_list.get_status_display(),
                    }
                    for item in blocked
                ]
            )
        for point in points:
            _rk_audit.log_operation(actor=actor, action=_RkOperationLog.Action.DELETE, obj=point)
        _RkRiskPoint.objects.filter(pk__in=[p.pk for p in points]).delete()
    return [p.name for p in points]


def _rk_bulk_create_points(
    enterprise: _RkEnterprise, actor: Actor, entries: list[tuple[_RkRiskPoint, list, _rk_grading.Grade | None, str]]
) -> list[_RkRiskPoint]:
    """Create points with their factors, measures and first grading in a fixed number of queries.

    ``entries``: (unsaved point, [(kind, description, consequence, [(measure kind, description)])], grade, reason).
    """
    points = [p for p, _f, _g, _r in entries]
    for point, _factors, grade, _reason in entries:
        point.enterprise = enterprise
        point.qr_token = risk_new_qr_token()
        if grade is not None:
            point.method = grade.method
            for k in ("l", "e", "c", "s"):
                setattr(point, f"value_{k}", grade.values.get(k))
            point.score, point.level = grade.score, grade.level
        else:
            point.needs_regrading = True  # no grade came with it: someone must grade it
    _RkRiskPoint.objects.bulk_create(points)
    factor_rows, measure_specs = [], []
    for point, factors, _grade, _reason in entries:
        for kind, description, consequence, measures in factors:
            factor = _RkHazardFactor(
                enterprise=enterprise, risk_point=point, kind=kind, description=description, consequence=consequence
            )
            factor_rows.append(factor)
            measure_specs.append((factor, measures))
    _RkHazardFactor.objects.bulk_create(factor_rows)
    _RkControlMeasure.objects.bulk_create(
        [
            _RkControlMeasure(enterprise=enterprise, factor=factor, kind=kind, description=description)
            for factor, measures in measure_specs
            for kind, description in measures
        ]
    )
    _RkRiskGrading.objects.bulk_create(
        [
            _RkRiskGrading(
                enterprise=enterprise,
                risk_point=point,
                method=grade.method,
                values=grade.values_json(),
                score=grade.score,
                level=grade.level,
                reason=reason[:200],
                graded_by=_rk_user(actor),
            )
            for point, _factors, grade, reason in entries
            if grade is not None
        ]
    )
    return points


def _rk_log_transfer(actor: Actor, **fields) -> _RkTransferLog:
    return _RkTransferLog.objects.create(enterprise_id=actor.enterprise.pk, user=_rk_user(actor), **fields)


def risk_points_copy_shared(*, actor: Actor, shared_ids: list[int], department=None) -> RiskCopyResult:
    """Copy typical points of the enterprise's industry, with their factors, measures and grading, into its
    library. A point whose name is already in the library (with no place) is skipped, not duplicated."""
    enterprise = _rk_require_manager(actor)
    if department is not None and department.enterprise_id != enterprise.pk:
        raise _RkValidationError({"department": [_rk_i18n.gettext("Choose one of your enterprise's departments.")]})
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        _rk_lock_enterprise(enterprise)
        shared = list(_rk_selectors.risk_shared_points(actor).filter(pk__in=shared_ids).order_by("name", "pk"))
        if not shared:
            raise _RkValidationError(_rk_i18n.gettext("Select at least one typical risk point to copy."))
        existing = {
            _rk_excel.point_key(name, place)
            for name, place in _rk_selectors.risk_points_for_actor(actor).values_list("name", "place")
        }
        bands = {m: _rk_grading.bands_for_enterprise(enterprise, m) for m in {s.method for s in shared if s.method}}
        reason = _rk_i18n.gettext("Copied from the shared library")
        entries, skipped = [], []
        for typical in shared:
            if _rk_excel.point_key(typical.name, "") in existing:
                skipped.append(typical.name)
                continue
            existing.add(_rk_excel.point_key(typical.name, ""))
            grade = _rk_grading.grade(typical.method, typical.values, bands[typical.method]) if typical.method else None
            factors = [
                (
                    f["kind"],
                    f["description"],
                    (f.get("consequence") or "")[:200],
                    [(m.get("kind") or _RkControlMeasure.Kind.MANAGEMENT, m["description"]) for m in f["measures"]],
                )
                for f in typical.factors
            ]
            point = _RkRiskPoint(category=typical.category, name=typical.name[:100], department=department)
            entries.append((point, factors, grade, reason))
        created = _rk_bulk_create_points(enterprise, actor, entries)
        _rk_log_transfer(actor, kind=_RkTransferLog.Kind.IMPORT, subject=RISK_SUBJECT_SHARED, rows=len(created))
        if created:
            _rk_audit.log_operation(
                actor=actor,
                action=_RkOperationLog.Action.CREATE,
                enterprise_id=enterprise.pk,
                detail=("copied from the shared library: " + ", ".join(p.name for p in created))[:2000],
            )
    return RiskCopyResult(created=created, skipped=skipped)


def risk_points_import(*, actor: Actor, upload, filename: str = "") -> RiskImportResult:
    """Import risk points from a filled-in template: every row is checked first; all rows go in, or none.

    A file that cannot be read at all raises ValidationError on ``file``; row problems come back in the result.
    Either way the attempt is in the import/export log."""
    enterprise = _rk_require_manager(actor)
    filename = (filename or "")[:200]
    try:
        sheet = _rk_excel.read_sheet(upload)
    except _rk_excel.ImportFileError as exc:
        with _rk_actor_scope(actor):
            _rk_log_transfer(
                actor,
                kind=_RkTransferLog.Kind.IMPORT,
                subject=RISK_SUBJECT_LIBRARY,
                file_name=filename,
                errors=1,
                succeeded=False,
            )
        raise _RkValidationError({"file": [exc.message]}) from None
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        _rk_lock_enterprise(enterprise)
        departments = _rk_excel.Departments(list(_rk_selectors.risk_departments(actor)))
        existing = {
            _rk_excel.point_key(name, place)
            for name, place in _rk_selectors.risk_points_for_actor(actor).values_list("name", "place")
        }
        bands = {m: _rk_grading.bands_for_enterprise(enterprise, m) for m in _RkGradingMethod.values}
        points, errors = _rk_excel.check_rows(sheet, departments=departments, existing=existing, bands=bands)
        log = {"kind": _RkTransferLog.Kind.IMPORT, "subject": RISK_SUBJECT_LIBRARY, "file_name": filename}
        if errors:
            _rk_log_transfer(actor, rows=len(sheet.rows), errors=len(errors), succeeded=False, **log)
            return RiskImportResult(sheet=sheet, errors=errors)
        reason = _rk_i18n.gettext("Imported from Excel")
        entries = [
            (
                _RkRiskPoint(
                    category=p.category,
                    name=p.name,
                    place=p.place,
                    department=p.department,
                    responsible=p.responsible,
                ),
                [
                    (f.kind, f.description, f.consequence, [(m.kind, m.description) for m in f.measures])
                    for f in p.factors
                ],
                p.grade,
                reason,
            )
            for p in points
        ]
        created = _rk_bulk_create_points(enterprise, actor, entries)
        _rk_log_transfer(actor, rows=len(sheet.rows), **log)
        _rk_audit.log_operation(
            actor=actor,
            action=_RkOperationLog.Action.CREATE,
            enterprise_id=enterprise.pk,
            detail=f"risk point import{f' from {filename}' if filename else ''}: {len(created)} points",
        )
    return RiskImportResult(sheet=sheet, created=len(created))


def risk_record_export(*, actor: Actor, subject: str, rows: int, file_name: str = "") -> _RkTransferLog:
    """An export of risk data, in the import/export log and the operation log."""
    _rk_require_viewer(actor)
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        log = _rk_log_transfer(
            actor, kind=_RkTransferLog.Kind.EXPORT, subject=subject, rows=rows, file_name=(file_name or "")[:200]
        )
        _rk_audit.log_operation(
            actor=actor,
            action=_RkOperationLog.Action.EXPORT,
            enterprise_id=actor.enterprise.pk,
            detail=f"{subject}: {rows} rows",
        )
    return log


def risk_point_set_position(*, actor: Actor, point_id: int, x: _RkDecimal | None, y: _RkDecimal | None) -> _RkRiskPoint:
    """Place a point on the site plan (x, y in % of the image), or take it off (both None)."""
    _rk_require_manager(actor)
    if (x is None) != (y is None) or any(v is not None and not (0 <= v <= 100) for v in (x, y)):
        raise _RkValidationError(_rk_i18n.gettext("A position is two percentages between 0 and 100, or none."))
    with _rk_actor_scope(actor), _rk_transaction.atomic():
        point = _rk_lock_subject(_rk_selectors.risk_points_for_actor(actor), point_id)
        point.map_x = None if x is None else _RkDecimal(x).quantize(_RkDecimal("0.01"))
        point.map_y = None if y is None else _RkDecimal(y).quantize(_RkDecimal("0.01"))
        point.save(update_fields=["map_x", "map_y", "updated_at"])
        _rk_audit.log_operation(actor=actor, action=_RkOperationLog.Action.UPDATE, obj=point, detail="map position")
    return point


def _rk_forget_files(names: list[str]) -> None:
    for name in names:
        _rk_storage.delete(name)


def _rk_delete_on_commit(name: str) -> None:
    if name:
        _rk_transaction.on_commit(lambda: _rk_storage.delete(name))


def risk_site_plan_upload(*, actor: Actor, image) -> _RkSitePlan:
    """The site plan of the four-colour map (JPEG, PNG or WebP, checked by content); replaces the previous one."""
    enterprise = _rk_require_manager(actor)
    try:
        ext = _rk_image_uploads.validate_image(image)
    except _RkValidationError as exc:
        raise _RkValidationError({"image": exc.messages}) from None
    stored: list[str] = []
    try:
        with _rk_actor_scope(actor), _rk_transaction.atomic():
            plan = _RkSitePlan.objects.select_for_update().filter(enterprise_id=enterprise.pk).first()
            old = plan.image.name if plan else ""
            plan = plan or _RkSitePlan(enterprise=enterprise)
            plan.image.save(_rk_image_uploads.random_name(ext), image, save=False)
            stored.append(plan.image.name)
            plan.uploaded_by = _rk_user(actor)
            plan.save()
            _rk_delete_on_commit(old)
            _rk_audit.log_operation(
                actor=actor, action=_RkOperationLog.Action.UPDATE if old else _RkOperationLog.Action.CREATE, obj=plan
            )
    except BaseException:
        _rk_forget_files(stored)
        raise
    return plan


def risk_enterprise_grade_set(*, actor: Actor, grade: str, basis: str, attachment=None) -> _RkEnterpriseRiskGrade:
    """A new enterprise risk grade (A–D) with its basis and an optional attachment (PDF or image, checked by
    content, stored under a random name). The history is kept; the latest is current."""
    enterprise = _rk_require_manager(actor)
    errors: dict[str, list[str]] = {}
    if grade not in _RkEnterpriseRiskGrade.Grade.values:
        errors["grade"] = [_rk_i18n.gettext("Choose a grade from A to D.")]
    if not (basis or "").strip():
        errors["basis"] = [_rk_i18n.gettext("Say what the grade is based on (an assessment report, a decision…).")]
    ext = None
    if attachment is not None:
        try:
            ext = _rk_scans.validate_scan(attachment)
        except _RkValidationError as exc:
            errors["attachment"] = exc.messages
    if errors:
        raise _RkValidationError(errors)
    stored: list[str] = []
    try:
        with _rk_actor_scope(actor), _rk_transaction.atomic():
            row = _RkEnterpriseRiskGrade(
                enterprise=enterprise, grade=grade, basis=basis.strip(), set_by=_rk_user(actor)
            )
            if attachment is not None:
                row.attachment.save(_rk_scans.random_name(ext), attachment, save=False)
                stored.append(row.attachment.name)
            row.save()
            _rk_audit.log_operation(actor=actor, action=_RkOperationLog.Action.CREATE, obj=row, detail=f"grade {grade}")
    except BaseException:
        _rk_forget_files(stored)
        raise
    return row


# ==== area: lists ====
# isort: split
# Risk lists (风险清单): drawn up as drafts, submitted for internal review (approve / return), sent for filing, and
# filed or returned by the owning body — every step through the review engine, so each is on the list's review
# record. Inspections: the daily generation of filed lists' tasks (idempotent: the unique slot constraint), the
# sweep that marks past periods' undone tasks missed, and the QR checklist's submission (idempotent: the form's
# submission id is stored on the task). Every name here is prefixed: other areas share this module.
import uuid as _ls_uuid  # noqa: E402
from dataclasses import dataclass as _ls_dataclass  # noqa: E402
from dataclasses import field as _ls_field  # noqa: E402
from datetime import date as _LsDate  # noqa: E402
from typing import TYPE_CHECKING as _LS_TYPE_CHECKING  # noqa: E402
from typing import Any as _LsAny  # noqa: E402

from django.core import exceptions as _ls_exceptions  # noqa: E402
from django.db import IntegrityError as _LsIntegrityError  # noqa: E402
from django.db import transaction as _ls_transaction  # noqa: E402
from django.urls import reverse as _ls_reverse  # noqa: E402
from django.utils import formats as _ls_formats  # noqa: E402
from django.utils import timezone as _ls_timezone  # noqa: E402
from django.utils import translation as _ls_tr  # noqa: E402

from approvals import audit as _ls_audit  # noqa: E402
from approvals import engine as _ls_engine  # noqa: E402
from approvals.models import Decision as _LsDecision  # noqa: E402
from approvals.models import Node as _LsNode  # noqa: E402
from approvals.models import OperationLog as _LsOperationLog  # noqa: E402
from approvals.notify import notify as _ls_notify  # noqa: E402
from enterprises import selectors as _ls_enterprise_selectors  # noqa: E402
from enterprises.models import OperatingStatus as _LsOperatingStatus  # noqa: E402
from enterprises.models import SupervisoryBody as _LsBody  # noqa: E402
from safety import tenancy as _ls_tenancy  # noqa: E402

from . import list_rules as _ls_rules  # noqa: E402
from . import selectors as _ls_selectors  # noqa: E402
from .models import Frequency as _LsFrequency  # noqa: E402
from .models import InspectionResult as _LsInspectionResult  # noqa: E402
from .models import InspectionTask as _LsInspectionTask  # noqa: E402
from .models import RiskList as _LsRiskList  # noqa: E402
from .models import RiskListItem as _LsRiskListItem  # noqa: E402

if _LS_TYPE_CHECKING:
    from safety.actors import Actor

# Lists and tasks handled per transaction by the daily jobs.
INSPECTION_BATCH = 500


@_ls_dataclass
class RiskListDetails:
    """What the enterprise states about a list; ``risk_points`` are its items, in order."""

    name: str
    level: str
    department: _LsAny
    frequency: str
    workdays_only: bool = True
    checks_per_day: int = 1
    risk_points: list = _ls_field(default_factory=list)


def _ls_check_details(details: RiskListDetails, enterprise_id: int) -> None:
    """The rules of a list, each problem on its field (the form shows them inline)."""
    errors: dict[str, list[str]] = {}
    details.name = (details.name or "").strip()
    if not details.name:
        errors["name"] = [_ls_tr.gettext("Name the list.")]
    levels = dict(_LsRiskList._meta.get_field("level").choices)
    if details.level not in levels:
        errors["level"] = [_ls_tr.gettext("Choose the level.")]
    department = details.department
    if department is None or department.enterprise_id != enterprise_id:
        errors["department"] = [_ls_tr.gettext("Choose one of your enterprise's departments.")]
    elif details.level in levels:
        try:
            _ls_rules.check_level(
                list_level=details.level,
                department_level=department.level,
                department_name=department.name,
                level_label=levels[details.level],
            )
        except _ls_exceptions.ValidationError as exc:
            errors.update(exc.message_dict)
    if details.frequency not in _LsFrequency.values:
        errors["frequency"] = [_ls_tr.gettext("Choose the check frequency.")]
    else:
        message = _ls_rules.checks_per_day_error(details.frequency, details.checks_per_day)
        if message:
            errors["checks_per_day"] = [message]
    if any(p.enterprise_id != enterprise_id for p in details.risk_points):
        errors["risk_points"] = [_ls_tr.gettext("Choose risk points of your enterprise's library.")]
    if errors:
        raise _ls_exceptions.ValidationError(errors)


def _ls_set_items(risk_list: _LsRiskList, points: list) -> None:
    """Make the list's items exactly ``points``, in that order."""
    wanted = {p.pk: i for i, p in enumerate(dict.fromkeys(points))}
    existing = {i.risk_point_id: i for i in _LsRiskListItem.objects.filter(risk_list=risk_list)}
    _LsRiskListItem.objects.filter(risk_list=risk_list).exclude(risk_point_id__in=wanted).delete()
    changed = []
    for point_id, order in wanted.items():
        item = existing.get(point_id)
        if item is not None and item.order != order:
            item.order = order
            changed.append(item)
    _LsRiskListItem.objects.bulk_update(changed, ["order"])
    _LsRiskListItem.objects.bulk_create(
        [
            _LsRiskListItem(enterprise_id=risk_list.enterprise_id, risk_list=risk_list, risk_point_id=pk, order=order)
            for pk, order in wanted.items()
            if pk not in existing
        ]
    )


def _ls_apply(risk_list: _LsRiskList, details: RiskListDetails) -> list[str]:
    changed = []
    if risk_list.department_id != details.department.pk:
        risk_list.department = details.department
        changed.append("department")
    for name in ("name", "level", "frequency", "workdays_only", "checks_per_day"):
        new = getattr(details, name)
        if getattr(risk_list, name) != new:
            setattr(risk_list, name, new)
            changed.append(name)
    return changed


def risk_list_create(*, actor: Actor, details: RiskListDetails, copied_from_id: _LsAny = None) -> _LsRiskList:
    """A new draft list. ``copied_from_id``: the list of the same enterprise it was copied from (for the log)."""
    with _ls_tenancy.actor_scope(actor), _ls_transaction.atomic():
        if not _ls_selectors.risk_list_may_manage(actor):
            raise _ls_exceptions.PermissionDenied(_ls_tr.gettext("You may not draw up risk lists."))
        enterprise_id = actor.enterprise.pk
        source = None
        if copied_from_id not in (None, ""):
            source = _ls_selectors.risk_lists_for_enterprise(actor).filter(pk=copied_from_id).first()
            if source is None:
                raise _ls_exceptions.ValidationError(_ls_tr.gettext("Copy from one of your enterprise's lists."))
        _ls_check_details(details, enterprise_id)
        risk_list = _LsRiskList(enterprise_id=enterprise_id, status=_LsRiskList.Status.DRAFT)
        _ls_apply(risk_list, details)
        risk_list.save()
        _ls_set_items(risk_list, details.risk_points)
        _ls_audit.log_operation(
            actor=actor,
            action=_LsOperationLog.Action.CREATE,
            obj=risk_list,
            detail=f"copied from list {source.pk} {source.name}" if source else "",
        )
    return risk_list


def _ls_editable(risk_list: _LsRiskList) -> None:
    if risk_list.status not in (_LsRiskList.Status.DRAFT, _LsRiskList.Status.RETURNED):
        raise _ls_engine.TransitionRefused(
            _ls_tr.gettext("Only a draft or a returned list can be changed; this one is “%(status)s”.")
            % {"status": risk_list.get_status_display()}
        )


def risk_list_update(*, actor: Actor, risk_list_id: _LsAny, details: RiskListDetails) -> _LsRiskList:
    """Change a draft or returned list (its items included)."""
    with _ls_tenancy.actor_scope(actor), _ls_transaction.atomic():
        risk_list = _ls_engine.lock_subject(_ls_selectors.risk_lists_for_enterprise(actor), risk_list_id)
        if not _ls_selectors.risk_list_may_manage(actor):
            raise _ls_exceptions.PermissionDenied(_ls_tr.gettext("You may not change risk lists."))
        _ls_editable(risk_list)
        _ls_check_details(details, risk_list.enterprise_id)
        changed = _ls_apply(risk_list, details)
        before = list(
            _LsRiskListItem.objects.filter(risk_list=risk_list)
            .order_by("order", "pk")
            .values_list("risk_point_id", flat=True)
        )
        _ls_set_items(risk_list, details.risk_points)
        if before != [p.pk for p in dict.fromkeys(details.risk_points)]:
            changed.append("items")
        if changed:
            risk_list.save()
            _ls_audit.log_operation(
                actor=actor,
                action=_LsOperationLog.Action.UPDATE,
                obj=risk_list,
                detail="changed: " + ", ".join(changed),
            )
    return risk_list


def _ls_body_node(body: _LsBody | None) -> tuple[str, str]:
    if body is None:
        return _LsNode.OWNING_BODY, ""
    node = {
        _LsBody.Kind.TOWNSHIP: _LsNode.TOWNSHIP,
        _LsBody.Kind.PARK: _LsNode.TOWNSHIP,
        _LsBody.Kind.COUNTY: _LsNode.COUNTY,
        _LsBody.Kind.CITY: _LsNode.CITY,
    }.get(body.kind, _LsNode.OWNING_BODY)
    return node, body.name


def _ls_expect(risk_list: _LsRiskList, status: str) -> None:
    """The shared ``return_`` transition leaves two states: each side may only return from its own."""
    if risk_list.status != status:
        raise _ls_engine.TransitionRefused(_ls_engine.already_decided_message(risk_list, "status"))


def _ls_list_url(risk_list: _LsRiskList) -> str:
    return _ls_reverse("hazards:risk_list_detail", args=[risk_list.pk])


def _ls_gov_list_url(risk_list: _LsRiskList) -> str:
    return _ls_reverse("hazards:gov_risk_list_detail", args=[risk_list.pk])


def _ls_what(risk_list: _LsRiskList) -> dict[str, str]:
    return {"name": risk_list.name, "enterprise": risk_list.enterprise.name}


def _ls_reason_required(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _ls_exceptions.ValidationError({"reason": [message]})
    return reason


def _ls_list_queryset(actor: Actor):
    """Built in the actor's own scope: services may be called with none open (Celery, shell, tests)."""
    with _ls_tenancy.actor_scope(actor):
        return _ls_selectors.risk_lists_for_enterprise(actor)


def _ls_gov_queryset(actor: Actor):
    with _ls_tenancy.actor_scope(actor):
        return _ls_selectors.risk_lists_for_government(actor)


def risk_list_submit(*, actor: Actor, risk_list_id: _LsAny) -> _LsRiskList:
    """Submit a draft (or a returned list, fixed) for the enterprise's internal review."""

    def check(risk_list: _LsRiskList) -> bool:
        if not _ls_selectors.risk_list_may_manage(actor):
            return False
        if risk_list.status not in (_LsRiskList.Status.DRAFT, _LsRiskList.Status.RETURNED):
            return True  # the engine refuses it with "already decided"
        if not _LsRiskListItem.objects.filter(risk_list=risk_list).exists():
            raise _ls_exceptions.ValidationError(_ls_tr.gettext("Add at least one risk point before submitting."))
        # The department's level may have changed since the list was drawn up.
        _ls_check_details(
            RiskListDetails(
                name=risk_list.name,
                level=risk_list.level,
                department=risk_list.department,
                frequency=risk_list.frequency,
                workdays_only=risk_list.workdays_only,
                checks_per_day=risk_list.checks_per_day,
            ),
            risk_list.enterprise_id,
        )
        return True

    resubmitted = _ls_list_queryset(actor).filter(pk=risk_list_id, status=_LsRiskList.Status.RETURNED).exists()

    def notices(risk_list: _LsRiskList) -> list:
        return [
            _ls_engine.Notice(
                recipients=_ls_selectors.risk_list_reviewers(risk_list.enterprise_id),
                title=_ls_tr.gettext("Risk list awaiting review: %(name)s") % _ls_what(risk_list),
                body=_ls_tr.gettext("A risk list was submitted for internal review."),
                url=_ls_list_url(risk_list),
            )
        ]

    return _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_list_queryset(actor),
        pk=risk_list_id,
        transition="submit",
        node=_LsNode.ENTERPRISE,
        node_name=actor.enterprise.name if actor.enterprise else "",
        decision=_LsDecision.RESUBMIT if resubmitted else _LsDecision.SUBMIT,
        check=check,
        notices=notices,
    )


def _ls_enterprise_notice(risk_list: _LsRiskList, title: str, body: str) -> _ls_engine.Notice:
    return _ls_engine.Notice(
        recipients=_ls_selectors.risk_list_reviewers(risk_list.enterprise_id),
        title=title % _ls_what(risk_list),
        body=body,
        url=_ls_list_url(risk_list),
    )


def risk_list_approve(*, actor: Actor, risk_list_id: _LsAny, reason: str = "") -> _LsRiskList:
    """Internal review passed: the list may now be sent for filing."""
    return _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_list_queryset(actor),
        pk=risk_list_id,
        transition="approve",
        node=_LsNode.ENTERPRISE,
        node_name=actor.enterprise.name if actor.enterprise else "",
        decision=_LsDecision.APPROVE,
        reason=(reason or "").strip(),
        check=lambda risk_list: _ls_selectors.risk_list_may_review(actor),
        notices=lambda risk_list: [
            _ls_enterprise_notice(
                risk_list,
                _ls_tr.gettext("Risk list approved: %(name)s"),
                _ls_tr.gettext("The list passed internal review; send it to the owning body for filing."),
            )
        ],
    )


def risk_list_return(*, actor: Actor, risk_list_id: _LsAny, reason: str) -> _LsRiskList:
    """Internal review: return the list to be fixed, with the reason."""
    reason = _ls_reason_required(reason, _ls_tr.gettext("Give the reason: whoever fixes the list needs it."))

    def check(risk_list: _LsRiskList) -> bool:
        if not _ls_selectors.risk_list_may_review(actor):
            return False
        _ls_expect(risk_list, _LsRiskList.Status.SUBMITTED)
        return True

    return _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_list_queryset(actor),
        pk=risk_list_id,
        transition="return_",
        transition_kwargs={"reason": reason},
        node=_LsNode.ENTERPRISE,
        node_name=actor.enterprise.name if actor.enterprise else "",
        decision=_LsDecision.RETURN,
        reason=reason,
        check=check,
        notices=lambda risk_list: [
            _ls_enterprise_notice(
                risk_list,
                _ls_tr.gettext("Risk list returned: %(name)s"),
                _ls_tr.gettext("Reason: %(reason)s.") % {"reason": reason.rstrip("。．.!！?？ ")},
            )
        ],
    )


def risk_list_send_for_filing(*, actor: Actor, risk_list_id: _LsAny) -> _LsRiskList:
    """Send an approved list to the owning body for filing (报备); its reviewers are told."""

    def notices(risk_list: _LsRiskList) -> list:
        return [
            _ls_engine.Notice(
                recipients=_ls_enterprise_selectors.registration_reviewers(risk_list.enterprise),
                title=_ls_tr.gettext("Risk list for filing: %(enterprise)s · %(name)s") % _ls_what(risk_list),
                body=_ls_tr.gettext("A risk list awaits filing."),
                url=_ls_gov_list_url(risk_list),
            )
        ]

    return _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_list_queryset(actor),
        pk=risk_list_id,
        transition="send_for_filing",
        node=_LsNode.ENTERPRISE,
        node_name=actor.enterprise.name if actor.enterprise else "",
        decision=_LsDecision.SUBMIT,
        check=lambda risk_list: _ls_selectors.risk_list_may_manage(actor),
        notices=notices,
    )


def risk_list_file(*, actor: Actor, risk_list_id: _LsAny, reason: str = "") -> _LsRiskList:
    """The owning body (or a body above it) files the list: from now on it makes inspection tasks, starting with
    the current period's (so the QR checklists work today, not only after the nightly run)."""
    node, node_name = _ls_body_node(actor.body)
    risk_list = _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_gov_queryset(actor),
        pk=risk_list_id,
        transition="file",
        node=node,
        node_name=node_name,
        decision=_LsDecision.APPROVE,
        reason=(reason or "").strip(),
        check=lambda risk_list: _ls_selectors.risk_list_may_file(actor, risk_list),
        notices=lambda risk_list: [
            _ls_enterprise_notice(
                risk_list,
                _ls_tr.gettext("Risk list filed: %(name)s"),
                _ls_tr.gettext("The owning body filed the list; its inspections now come due."),
            )
        ],
    )
    inspection_tasks_generate(list_ids=[risk_list.pk], mark_missed=False)
    return risk_list


def risk_list_return_filing(*, actor: Actor, risk_list_id: _LsAny, reason: str) -> _LsRiskList:
    """The owning body returns the list with the reason; the enterprise fixes it and starts over."""
    reason = _ls_reason_required(reason, _ls_tr.gettext("Give the reason: the enterprise needs it to fix the list."))
    node, node_name = _ls_body_node(actor.body)

    def check(risk_list: _LsRiskList) -> bool:
        if not _ls_selectors.risk_list_may_file(actor, risk_list):
            return False
        _ls_expect(risk_list, _LsRiskList.Status.FILING)
        return True

    return _ls_engine.perform_transition(
        actor=actor,
        queryset=_ls_gov_queryset(actor),
        pk=risk_list_id,
        transition="return_",
        transition_kwargs={"reason": reason},
        node=node,
        node_name=node_name,
        decision=_LsDecision.RETURN,
        reason=reason,
        check=check,
        notices=lambda risk_list: [
            _ls_enterprise_notice(
                risk_list,
                _ls_tr.gettext("Risk list returned by the owning body: %(name)s"),
                _ls_tr.gettext("Reason: %(reason)s.") % {"reason": reason.rstrip("。．.!！?？ ")},
            )
        ],
    )


# -- Inspection tasks -----------------------------------------------------------------------------------------


@_ls_dataclass
class TaskGeneration:
    """What one run did: lists considered, task rows offered (existing ones are left alone), tasks marked missed."""

    lists: int = 0
    offered: int = 0
    missed: int = 0


def inspection_tasks_mark_missed(*, on_date: _LsDate | None = None, batch: int = INSPECTION_BATCH) -> int:
    """Tasks of periods that ended before ``on_date`` and were not done become missed. Rows are claimed in batches
    with SKIP LOCKED, so two sweeps at once share the work and a checklist being submitted is not waited for."""
    today = on_date or _ls_timezone.localdate()
    total = 0
    with _ls_tenancy.scopes_disabled():
        while True:
            with _ls_transaction.atomic():
                ids = list(
                    _LsInspectionTask.objects.select_for_update(skip_locked=True)
                    .filter(status=_LsInspectionTask.Status.DUE, period_end__lt=today)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch]
                )
                if not ids:
                    break
                total += _LsInspectionTask.objects.filter(pk__in=ids, status=_LsInspectionTask.Status.DUE).update(
                    status=_LsInspectionTask.Status.MISSED
                )
    return total


def inspection_tasks_generate(
    *,
    on_date: _LsDate | None = None,
    list_ids: list | None = None,
    mark_missed: bool = True,
    batch: int = INSPECTION_BATCH,
) -> TaskGeneration:
    """The daily job: every filed list's points get their tasks for the period due on ``on_date`` (one per check
    of the day), and past periods' undone tasks are marked missed. Safe to run twice or twice at once: the unique
    (list, point, period, slot) constraint turns a second insert of the same task into nothing.

    Lists of deleted or suspended enterprises make no tasks (nobody works there to check anything).
    """
    today = on_date or _ls_timezone.localdate()
    result = TaskGeneration()
    if mark_missed:
        result.missed = inspection_tasks_mark_missed(on_date=today, batch=batch)
    with _ls_tenancy.scopes_disabled():
        lists = _LsRiskList.objects.filter(
            status=_LsRiskList.Status.FILED,
            enterprise__deleted_at__isnull=True,
            enterprise__operating_status=_LsOperatingStatus.OPERATING,
        )
        if list_ids is not None:
            lists = lists.filter(pk__in=list_ids)
        last_pk = 0
        while True:
            chunk = list(
                lists.filter(pk__gt=last_pk)
                .order_by("pk")
                .values("pk", "enterprise_id", "frequency", "workdays_only", "checks_per_day")[:batch]
            )
            if not chunk:
                break
            last_pk = chunk[-1]["pk"]
            result.lists += len(chunk)
            due = {}
            for row in chunk:
                period = _ls_rules.periods_due(row["frequency"], row["workdays_only"], today)
                if period is not None:
                    due[row["pk"]] = (row, period)
            items = _LsRiskListItem.objects.filter(risk_list_id__in=due).values_list("risk_list_id", "risk_point_id")
            tasks = [
                _LsInspectionTask(
                    enterprise_id=due[list_id][0]["enterprise_id"],
                    risk_list_id=list_id,
                    risk_point_id=point_id,
                    period_start=due[list_id][1][0],
                    period_end=due[list_id][1][1],
                    slot=slot,
                )
                for list_id, point_id in items.iterator()
                for slot in _ls_rules.slots(due[list_id][0]["frequency"], due[list_id][0]["checks_per_day"])
            ]
            _LsInspectionTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=1000)
            result.offered += len(tasks)
    return result


# -- The QR checklist -----------------------------------------------------------------------------------------


@_ls_dataclass
class ChecklistAnswer:
    measure_id: int
    passed: bool
    note: str = ""


@_ls_dataclass
class ChecklistOutcome:
    task: _LsInspectionTask
    # True when this submission id had already been recorded (a retry or a double tap): nothing new was written.
    replayed: bool = False


def _ls_done_message(task: _LsInspectionTask) -> str:
    if task.status == _LsInspectionTask.Status.MISSED:
        return _ls_tr.gettext("This check's period has ended: it was marked missed.")
    who = task.done_by.display_name if task.done_by else _ls_tr.gettext("someone else")
    when = _ls_formats.date_format(_ls_timezone.localtime(task.done_at), "Y-m-d H:i") if task.done_at else ""
    return _ls_tr.gettext("This check was already recorded by %(who)s at %(when)s.") % {"who": who, "when": when}


def inspection_submit(
    *,
    actor: Actor,
    task_id: _LsAny,
    submission_id: _ls_uuid.UUID,
    answers: list[ChecklistAnswer],
    risk_point_id: int | None = None,
) -> ChecklistOutcome:
    """Record one check of a point: one result per control measure, the task done. A second submission with the
    same id (a retry after a dropped connection, a double tap) returns the first one's outcome unchanged.
    ``risk_point_id``: the point whose QR code was scanned; a task of another point is not found."""
    if not isinstance(submission_id, _ls_uuid.UUID):
        raise _ls_exceptions.ValidationError({"submission_id": [_ls_tr.gettext("Reload the checklist.")]})
    with _ls_tenancy.actor_scope(actor):
        if not _ls_selectors.inspection_may_perform(actor):
            raise _ls_exceptions.PermissionDenied(_ls_tr.gettext("You may not carry out inspections."))
        tasks = _ls_selectors.inspection_tasks_for_enterprise(actor)
        try:
            with _ls_transaction.atomic():
                previous = tasks.filter(submission_id=submission_id).first()
                if previous is not None:
                    return ChecklistOutcome(task=previous, replayed=True)
                if risk_point_id is not None:
                    tasks = tasks.filter(risk_point_id=risk_point_id)
                task = _ls_engine.lock_subject(tasks, task_id)
                if task.submission_id == submission_id:  # the twin request won the lock
                    return ChecklistOutcome(task=task, replayed=True)
                outcome = _ls_record_check(actor, task, submission_id, answers)
        except _LsIntegrityError:
            # The same id sent for another task (a copied form): not a retry of this one.
            raise _ls_exceptions.ValidationError(
                {"submission_id": [_ls_tr.gettext("This form was already used for another check: reload it.")]}
            ) from None
    return outcome


def _ls_record_check(
    actor: Actor, task: _LsInspectionTask, submission_id: _ls_uuid.UUID, answers: list[ChecklistAnswer]
) -> ChecklistOutcome:
    if task.status != _LsInspectionTask.Status.DUE:
        raise _ls_engine.TransitionRefused(_ls_done_message(task))
    today = _ls_timezone.localdate()
    if not task.period_start <= today <= task.period_end:
        raise _ls_engine.TransitionRefused(_ls_tr.gettext("This check is not due today."))
    measures = {m.pk: m for m in _ls_selectors.inspection_measures(task.risk_point)}
    if not measures:
        raise _ls_exceptions.ValidationError(_ls_tr.gettext("This point has no control measures to check."))
    answered = {a.measure_id for a in answers}
    if answered != set(measures) or len(answers) != len(measures):
        raise _ls_exceptions.ValidationError(
            _ls_tr.gettext("The point's control measures changed while you were checking: reload the checklist.")
        )
    _LsInspectionResult.objects.bulk_create(
        [
            _LsInspectionResult(
                enterprise_id=task.enterprise_id,
                task=task,
                measure=measures[a.measure_id],
                measure_text=measures[a.measure_id].description,
                passed=a.passed,
                note=(a.note or "").strip()[:200],
            )
            for a in answers
        ]
    )
    task.status = _LsInspectionTask.Status.DONE
    task.done_at = _ls_timezone.now()
    task.done_by = actor.user
    task.submission_id = submission_id
    task.save(update_fields=["status", "done_at", "done_by", "submission_id"])
    failed = sum(1 for a in answers if not a.passed)
    _ls_audit.log_operation(
        actor=actor,
        action=_LsOperationLog.Action.UPDATE,
        obj=task,
        detail=f"checked: {len(answers) - failed} passed, {failed} failed",
    )
    if failed:
        # The people who act on findings hear of them at once, not when someone remembers to register a hazard.
        _ls_notify(
            recipients=[u for u in _ls_selectors.risk_list_reviewers(task.enterprise_id) if u.pk != actor.user.pk],
            title=_ls_tr.gettext("Inspection failures at %(point)s: %(n)d")
            % {"point": task.risk_point.name, "n": failed},
            body=_ls_tr.gettext("%(who)s found control measures not in place.") % {"who": actor.display_name},
            url=_ls_reverse("hazards:inspection_task_detail", args=[task.pk]),
        )
    return ChecklistOutcome(task=task)


# ==== area: hazards ====
# isort: split
# Hidden hazards (隐患): registration (enterprise self-inspection, complaint, government inspection), the
# rectification report and its review, the overdue sweep, the one extension request, supervised listing (挂牌督办)
# and delisting. Every step leaves a review record (approvals.engine) that the hazard page shows.
from dataclasses import dataclass as _hz_dataclass  # noqa: E402
from datetime import date as _hz_date  # noqa: E402
from datetime import datetime as _hz_datetime  # noqa: E402
from decimal import Decimal as _HzDecimal  # noqa: E402
from typing import TYPE_CHECKING as _HZ_TYPE_CHECKING  # noqa: E402
from typing import Any as _HzAny  # noqa: E402

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import Http404  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from django_fsm import can_proceed  # noqa: E402

from approvals import audit  # noqa: E402
from approvals.engine import Notice, TransitionRefused, lock_subject, perform_transition, record_review  # noqa: E402
from approvals.models import Decision, Node, OperationLog, ReviewRecord  # noqa: E402
from approvals.notify import notify  # noqa: E402
from enterprises.models import Enterprise, SupervisoryBody  # noqa: E402
from safety.tenancy import actor_scope, scopes_disabled  # noqa: E402

from . import deadlines as hazard_deadlines  # noqa: E402
from . import hazard_photos, selectors  # noqa: E402
from .models import OVERDUE_SWEEP_BATCH, ExtensionRequest, Hazard, HazardPhoto, RiskPoint, SupervisedListing  # noqa: E402

if _HZ_TYPE_CHECKING:
    from safety.actors import Actor

HAZARD_NUMBER_PREFIX = "YH"
# Fields of a major hazard's rectification plan (DOMAIN.md): all required.
HAZARD_PLAN_FIELDS = (
    "plan_goal",
    "plan_measures",
    "plan_funds",
    "plan_responsible",
    "plan_time_limit",
    "plan_interim_measures",
)


@_hz_dataclass
class HazardDetails:
    """What the registrant states about a hazard (registration and edit)."""

    title: str
    level: str = Hazard.Level.GENERAL
    kind: str = Hazard.Kind.DEADLINE
    source: str = Hazard.Source.SELF_INSPECTION
    description: str = ""
    location: str = ""
    # None: one month from registration. Ignored for a hazard fixed on the spot (closed at once).
    deadline: _hz_datetime | None = None
    found_at: _hz_datetime | None = None
    department: _HzAny = None
    responsible: str = ""
    responsible_user: _HzAny = None
    risk_point: _HzAny = None
    inspection_task: _HzAny = None
    plan_goal: str = ""
    plan_measures: str = ""
    plan_funds: _HzDecimal | None = None
    plan_responsible: str = ""
    plan_time_limit: _hz_date | None = None
    plan_interim_measures: str = ""
    # Fixed on the spot: what was done (the rectification, recorded at once).
    rectification_measures: str = ""
    rectification_cost: _HzDecimal | None = None


# Fields copied from the details onto the hazard (the rest are handled on their own).
_HZ_COPIED = (
    "title",
    "level",
    "kind",
    "description",
    "location",
    "department",
    "responsible",
    "responsible_user",
    "risk_point",
    "inspection_task",
    *HAZARD_PLAN_FIELDS,
)


def _hz_queryset(actor: Actor):
    """The actor's hazards, built in the actor's own scope (a service may be called with none open)."""
    with actor_scope(actor):
        return selectors.hazards_for_actor(actor)


def _hz_read(actor: Actor, hazard_id: _HzAny) -> Hazard:
    """An unlocked read, for what a decision needs to know before its lock (node names): 404 for outsiders."""
    with actor_scope(actor):
        try:
            hazard = selectors.hazards_for_actor(actor).filter(pk=hazard_id).first()
        except (ValueError, TypeError):
            hazard = None
    if hazard is None:
        raise Http404
    return hazard


def _hz_gov_node(body: SupervisoryBody) -> str:
    return {
        SupervisoryBody.Kind.TOWNSHIP: Node.TOWNSHIP,
        SupervisoryBody.Kind.PARK: Node.TOWNSHIP,
        SupervisoryBody.Kind.COUNTY: Node.COUNTY,
        SupervisoryBody.Kind.CITY: Node.CITY,
    }.get(body.kind, Node.OWNING_BODY)


def _hz_node(actor: Actor, hazard: Hazard) -> tuple[str, str]:
    """(node, unit name) of the actor's step on a hazard's record."""
    if actor.body is not None:
        return _hz_gov_node(actor.body), actor.body.name
    return Node.ENTERPRISE, hazard.enterprise.name


def hazard_url(hazard: Hazard) -> str:
    return reverse("hazards:hazard_detail", args=[hazard.pk])


def _hz_what(hazard: Hazard) -> dict[str, str]:
    return {"number": hazard.number, "title": hazard.title, "enterprise": hazard.enterprise.name}


def _hz_notice(recipients, title: str, hazard: Hazard, body: str = "") -> Notice:
    return Notice(recipients=recipients, title=title % _hz_what(hazard), body=body, url=hazard_url(hazard))


def _hz_check_details(
    details: HazardDetails, *, enterprise_id: int, government: bool, now: _hz_datetime, editing: bool = False
) -> None:
    """The rules of a registration, each problem on its field (the form shows them inline)."""
    errors: dict[str, list[str]] = {}
    details.title = (details.title or "").strip()
    if not details.title:
        errors["title"] = [_("Describe the hazard in a few words.")]
    if details.level not in Hazard.Level.values:
        errors["level"] = [_("Choose the level.")]
    if details.kind not in Hazard.Kind.values:
        errors["kind"] = [_("Choose how it is rectified.")]
    allowed_sources = (
        [Hazard.Source.GOVERNMENT] if government else [Hazard.Source.SELF_INSPECTION, Hazard.Source.COMPLAINT]
    )
    if government:
        details.source = Hazard.Source.GOVERNMENT
    elif details.source not in allowed_sources:
        errors["source"] = [_("Choose self-inspection or complaint.")]
    if details.kind == Hazard.Kind.MAJOR and details.level != Hazard.Level.MAJOR:
        errors["level"] = [_("A major-hazard rectification is for a major hazard: choose the level “major”.")]
    if details.level == Hazard.Level.MAJOR and details.kind != Hazard.Kind.MAJOR:
        errors["kind"] = [
            _("A major hazard is rectified under a rectification plan: choose “major hazard rectification”.")
        ]
    if editing and details.kind == Hazard.Kind.ON_SPOT:
        errors["kind"] = [_("A hazard fixed on the spot is recorded as such when it is registered.")]
    if details.kind == Hazard.Kind.MAJOR:
        for name in HAZARD_PLAN_FIELDS:
            value = getattr(details, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors.setdefault(name, []).append(_("Required for a major hazard's rectification plan."))
        if details.plan_funds is not None and details.plan_funds < 0:
            errors["plan_funds"] = [_("Funds cannot be negative.")]
        if details.plan_time_limit is not None and details.plan_time_limit < timezone.localdate(now):
            errors["plan_time_limit"] = [_("The plan's time limit cannot be in the past.")]
    if details.kind != Hazard.Kind.ON_SPOT and details.deadline is not None:
        try:
            hazard_deadlines.check_future(details.deadline, now=now)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if details.found_at is not None and details.found_at > now:
        errors["found_at"] = [_("The time it was found cannot be in the future.")]
    if details.rectification_cost is not None and details.rectification_cost < 0:
        errors["rectification_cost"] = [_("The cost cannot be negative.")]
    # The forms offer only the enterprise's own; a direct call must not attach another tenant's rows.
    for name in ("department", "risk_point", "inspection_task"):
        obj = getattr(details, name)
        if obj is not None and getattr(obj, "enterprise_id", None) != enterprise_id:
            errors[name] = [_("Choose one of this enterprise's.")]
    user = details.responsible_user
    if user is not None and not selectors.hazard_responsible_choices(enterprise_id).filter(pk=user.pk).exists():
        errors["responsible_user"] = [_("Choose an active account of this enterprise.")]
    if errors:
        raise ValidationError(errors)


def _hz_next_number(enterprise_id: int) -> str:
    """YH-<year>-<6 digits>, unique per enterprise. Registrations of one enterprise take turns on its row (FOR NO
    KEY UPDATE: it does not block the inserts that only reference the enterprise), so two at once never get
    the same number."""
    list(Enterprise.unscoped.select_for_update(no_key=True).filter(pk=enterprise_id).values_list("pk", flat=True))
    prefix = f"{HAZARD_NUMBER_PREFIX}-{timezone.localdate().year}-"
    with scopes_disabled():  # the number is per enterprise, whoever registers (and whatever they may see)
        last = (
            Hazard.objects.filter(enterprise_id=enterprise_id, number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:06d}"


def _hz_apply(hazard: Hazard, details: HazardDetails) -> list[str]:
    changed = []
    for name in _HZ_COPIED:
        new = getattr(details, name)
        if getattr(hazard, name) != new:
            setattr(hazard, name, new)
            changed.append(name)
    if details.found_at is not None and hazard.found_at != details.found_at:
        hazard.found_at = details.found_at
        changed.append("found_at")
    if hazard.source != details.source:
        hazard.source = details.source
        changed.append("source")
    if details.kind != Hazard.Kind.MAJOR:
        for name in HAZARD_PLAN_FIELDS:  # a plan belongs to a major hazard only
            setattr(hazard, name, None if name in ("plan_funds", "plan_time_limit") else "")
    return changed


def _hz_registration_notices(hazard: Hazard, government: bool) -> list[Notice]:
    notices = []
    if government:
        notices.append(
            _hz_notice(
                [hazard.responsible_user, *selectors.hazard_enterprise_managers(hazard.enterprise_id)],
                _("Hazard found by government inspection: %(number)s %(title)s"),
                hazard,
                _("Rectify it by %(deadline)s and report the rectification.")
                % {"deadline": hazard_deadlines.show(hazard.deadline)},
            )
        )
    elif hazard.responsible_user is not None and hazard.status != Hazard.Status.CLOSED:
        notices.append(
            _hz_notice(
                [hazard.responsible_user],
                _("Hazard to rectify: %(number)s %(title)s"),
                hazard,
                _("You are responsible for rectifying it by %(deadline)s.")
                % {"deadline": hazard_deadlines.show(hazard.deadline)},
            )
        )
    if hazard.level == Hazard.Level.MAJOR and not government:
        notices.append(
            _hz_notice(
                selectors.hazard_government_reviewers(hazard),
                _("Major hazard reported: %(enterprise)s, %(number)s %(title)s"),
                hazard,
                _("A major hazard and its rectification plan were reported to you; you review its rectification."),
            )
        )
    return notices


def _hz_filtered(notices: list[Notice], actor: Actor) -> list[Notice]:
    """Nobody is told about what they did themselves."""
    me = getattr(actor.user, "pk", None)
    return [
        Notice(
            recipients=[u for u in n.recipients if u is not None and u.pk != me], title=n.title, body=n.body, url=n.url
        )
        for n in notices
    ]


def _hz_send(notices: list[Notice], actor: Actor) -> None:
    for n in _hz_filtered(notices, actor):
        notify(recipients=n.recipients, title=n.title, body=n.body, url=n.url)


def hazard_register(
    *,
    actor: Actor,
    details: HazardDetails,
    enterprise_id: int | None = None,
    before_photos=(),
    after_photos=(),
) -> Hazard:
    """Register a hazard: the enterprise's own (self-inspection or complaint), or a government user's inspection
    finding against an enterprise of its jurisdiction (``enterprise_id``; the government then reviews it).

    Fixed on the spot: recorded closed at once, with before and after photos. Major: the rectification plan is
    required and the hazard is reported to the owning body, whose reviewers are told.
    """
    government = actor.body is not None
    with actor_scope(actor):
        if not selectors.hazard_may_register(actor):
            raise PermissionDenied(_("You may not register hazards."))
        if government:
            enterprise = selectors.hazard_enterprises_for_inspection(actor).filter(pk=enterprise_id).first()
            if enterprise is None:
                raise ValidationError({"enterprise": [_("Choose an enterprise of your jurisdiction.")]})
        else:
            enterprise = actor.enterprise
        now = timezone.now()
        _hz_check_details(details, enterprise_id=enterprise.pk, government=government, now=now)
    on_spot = details.kind == Hazard.Kind.ON_SPOT
    before = hazard_photos.validate_photos(list(before_photos), field="before_photos") if before_photos else []
    # Photos "after" belong to a rectification: at registration only to a hazard fixed on the spot.
    after = hazard_photos.validate_photos(list(after_photos), field="after_photos") if on_spot and after_photos else []
    if on_spot and not (before and after):
        errors = {}
        if not before:
            errors["before_photos"] = [_("A hazard fixed on the spot is recorded with a photo before…")]
        if not after:
            errors["after_photos"] = [_("…and a photo after it was fixed.")]
        raise ValidationError(errors)
    stored: list[str] = []
    try:
        with actor_scope(actor), transaction.atomic():
            hazard = Hazard(
                enterprise=enterprise,
                number=_hz_next_number(enterprise.pk),
                registered_by=actor.user,
                registered_by_body=actor.body if government else None,
                found_at=now,
            )
            _hz_apply(hazard, details)
            if on_spot:
                hazard.status = Hazard.Status.CLOSED
                hazard.deadline = now
                hazard.rectification_measures = details.rectification_measures.strip()
                hazard.rectification_cost = details.rectification_cost
                hazard.rectified_at = hazard.closed_at = now
                hazard.rectified_by = actor.user
                hazard.closed_on_time = True
            else:
                hazard.deadline = details.deadline or hazard_deadlines.default_deadline(now)
            if hazard.level == Hazard.Level.MAJOR:
                hazard.reported_to_government_at = now
            hazard.save()
            hazard_photos.store(hazard, HazardPhoto.Stage.BEFORE, before, user=actor.user, stored=stored)
            hazard_photos.store(hazard, HazardPhoto.Stage.AFTER, after, user=actor.user, stored=stored)
            node, node_name = _hz_node(actor, hazard)
            record_review(
                actor=actor,
                subject=hazard,
                node=node,
                node_name=node_name,
                decision=Decision.SUBMIT,
                reason=hazard.rectification_measures if on_spot else "",
                to_state=hazard.status,
            )
            audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=hazard)
            _hz_send(_hz_registration_notices(hazard, government), actor)
    except BaseException:
        hazard_photos.forget(stored)
        raise
    return hazard


def _hz_lock_registered(actor: Actor, hazard_id: _HzAny) -> Hazard:
    """Lock a hazard for an edit or delete: only while registered, only by who may."""
    hazard = lock_subject(selectors.hazards_for_actor(actor), hazard_id)
    if not selectors.hazard_may_edit(actor, hazard):
        raise PermissionDenied(_("You may not change this hazard."))
    if hazard.status != Hazard.Status.REGISTERED:
        raise TransitionRefused(
            _("Only a hazard that is still “registered” may be changed; this one is now “%(state)s”.")
            % {"state": hazard.get_status_display()}
        )
    if hazard.is_past_deadline:
        raise TransitionRefused(
            _("The rectification deadline %(when)s has passed: the hazard is about to be marked overdue.")
            % {"when": hazard_deadlines.show(hazard.deadline)}
        )
    return hazard


def hazard_update(*, actor: Actor, hazard_id: _HzAny, details: HazardDetails, before_photos=()) -> Hazard:
    """Correct a registered hazard (and add photos). Once its rectification is reported it is locked."""
    before = hazard_photos.validate_photos(list(before_photos), field="before_photos") if before_photos else []
    stored: list[str] = []
    try:
        with actor_scope(actor), transaction.atomic():
            hazard = _hz_lock_registered(actor, hazard_id)
            government = hazard.registered_by_body_id is not None
            now = timezone.now()
            _hz_check_details(details, enterprise_id=hazard.enterprise_id, government=government, now=now, editing=True)
            was_major = hazard.level == Hazard.Level.MAJOR
            changed = _hz_apply(hazard, details)
            if details.deadline is not None and details.deadline != hazard.deadline:
                hazard.deadline = details.deadline
                changed.append("deadline")
            if hazard.level == Hazard.Level.MAJOR and hazard.reported_to_government_at is None:
                hazard.reported_to_government_at = now
            hazard.save()
            hazard_photos.store(hazard, HazardPhoto.Stage.BEFORE, before, user=actor.user, stored=stored)
            if before:
                changed.append("photos")
            audit.log_operation(actor=actor, action=OperationLog.Action.UPDATE, obj=hazard, detail=", ".join(changed))
            if hazard.level == Hazard.Level.MAJOR and not was_major and not government:
                _hz_send(
                    [
                        _hz_notice(
                            selectors.hazard_government_reviewers(hazard),
                            _("Major hazard reported: %(enterprise)s, %(number)s %(title)s"),
                            hazard,
                        )
                    ],
                    actor,
                )
    except BaseException:
        hazard_photos.forget(stored)
        raise
    return hazard


def hazard_delete(*, actor: Actor, hazard_id: _HzAny) -> None:
    with actor_scope(actor), transaction.atomic():
        hazard = _hz_lock_registered(actor, hazard_id)
        names = list(HazardPhoto.objects.filter(hazard_id=hazard.pk).values_list("image", flat=True))
        audit.log_operation(actor=actor, action=OperationLog.Action.DELETE, obj=hazard, detail=hazard.title)
        hazard.delete()
        hazard_photos.delete_on_commit(names)


def _hz_deadline_passed(hazard: Hazard) -> TransitionRefused:
    return TransitionRefused(
        _(
            "The rectification deadline %(when)s has passed, so no rectification can be reported: the hazard is "
            "overdue. Once it is marked overdue you may request an extension (only once)."
        )
        % {"when": hazard_deadlines.show(hazard.deadline)}
    )


def rectification_report(
    *, actor: Actor, hazard_id: _HzAny, measures: str, cost: _HzDecimal | None = None, after_photos=()
) -> Hazard:
    """The enterprise reports what it did, with photos after rectification; the hazard is locked for review."""
    measures = (measures or "").strip()
    errors: dict[str, list[str]] = {}
    if not measures:
        errors["measures"] = [_("Describe what was done to rectify the hazard.")]
    if cost is not None and cost < 0:
        errors["cost"] = [_("The cost cannot be negative.")]
    if not after_photos:
        errors["after_photos"] = [_("Add at least one photo taken after the rectification.")]
    if errors:
        raise ValidationError(errors)
    checked = hazard_photos.validate_photos(list(after_photos), field="after_photos")
    hazard = _hz_read(actor, hazard_id)
    # From "rectifying" it is a second (or later) report after a failed review.
    decision = Decision.RESUBMIT if hazard.status == Hazard.Status.RECTIFYING else Decision.SUBMIT
    stored: list[str] = []

    def check(h: Hazard) -> bool:
        if not selectors.hazard_may_rectify(actor, h):
            return False
        if h.status in selectors.HAZARD_TO_RECTIFY and h.is_past_deadline:
            raise _hz_deadline_passed(h)
        return True

    def apply(h: Hazard) -> None:
        h.rectification_measures = measures
        h.rectification_cost = cost
        h.rectified_by = actor.user
        hazard_photos.store(h, HazardPhoto.Stage.AFTER, checked, user=actor.user, stored=stored)

    def notices(h: Hazard) -> list[Notice]:
        return [
            _hz_notice(
                selectors.hazard_reviewers(h),
                _("Rectification to review: %(number)s %(title)s"),
                h,
                _("%(enterprise)s reported the rectification of this hazard; it awaits your review.") % _hz_what(h),
            )
        ]

    reason = measures if cost is None else f"{measures}\n¥{cost}"
    try:
        return perform_transition(
            actor=actor,
            queryset=_hz_queryset(actor),
            pk=hazard_id,
            transition="report_rectification",
            node=Node.ENTERPRISE,
            node_name=hazard.enterprise.name,
            decision=decision,
            reason=reason,
            check=check,
            before_save=apply,
            notices=lambda h: _hz_filtered(notices(h), actor),
        )
    except BaseException:
        hazard_photos.forget(stored)
        raise


def rectification_review(*, actor: Actor, hazard_id: _HzAny, passed: bool, reason: str = "") -> Hazard:
    """Pass (closed; the risk point, if any, is flagged for re-grading) or fail (back to rectification, with
    the reason). Final: a decision already taken refuses the next one."""
    reason = (reason or "").strip()
    if not passed and not reason:
        raise ValidationError({"reason": [_("Say what is still wrong: the enterprise needs it to rectify again.")]})
    hazard = _hz_read(actor, hazard_id)
    node, node_name = _hz_node(actor, hazard)

    def flag_risk_point(h: Hazard) -> None:
        if passed and h.risk_point_id is not None:
            # The grade of a point where a hazard was found must be reviewed (issue 4, risk grading).
            RiskPoint.objects.filter(pk=h.risk_point_id).update(needs_regrading=True)

    def notices(h: Hazard) -> list[Notice]:
        if passed:
            return [_hz_notice(selectors.hazard_rectifiers(h), _("Rectification passed: %(number)s %(title)s"), h)]
        return [
            _hz_notice(
                selectors.hazard_rectifiers(h),
                _("Rectification failed review: %(number)s %(title)s"),
                h,
                _("Reason: %(reason)s. Rectify again by %(deadline)s and report it.")
                % {"reason": reason.rstrip("。．.!！?？ "), "deadline": hazard_deadlines.show(h.deadline)},
            )
        ]

    return perform_transition(
        actor=actor,
        queryset=_hz_queryset(actor),
        pk=hazard_id,
        transition="pass_review" if passed else "fail_review",
        transition_kwargs=None if passed else {"reason": reason},
        node=node,
        node_name=node_name,
        decision=Decision.APPROVE if passed else Decision.REJECT,
        reason=reason,
        check=lambda h: selectors.hazard_may_review(actor, h),
        before_save=flag_risk_point,
        notices=lambda h: _hz_filtered(notices(h), actor),
    )


def extension_request(*, actor: Actor, hazard_id: _HzAny, reason: str, requested_deadline: _hz_datetime) -> Hazard:
    """The one extension request of an overdue hazard (one ever: a refused request is not followed by another)."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason the rectification could not be finished in time.")]
    try:
        hazard_deadlines.check_extension(requested_deadline)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    hazard = _hz_read(actor, hazard_id)

    def check(h: Hazard) -> bool:
        if not selectors.hazard_may_rectify(actor, h):
            return False
        if h.status == Hazard.Status.OVERDUE and selectors.hazard_has_extension(h):
            raise TransitionRefused(_("This hazard's one extension request has already been used; it stays overdue."))
        return True

    def apply(h: Hazard) -> None:
        ExtensionRequest.objects.create(
            enterprise_id=h.enterprise_id,
            hazard=h,
            reason=reason,
            requested_deadline=requested_deadline,
            requested_by=actor.user,
        )

    return perform_transition(
        actor=actor,
        queryset=_hz_queryset(actor),
        pk=hazard_id,
        transition="request_extension",
        node=Node.ENTERPRISE,
        node_name=hazard.enterprise.name,
        decision=Decision.SUBMIT,
        reason=f"{reason}\n→ {hazard_deadlines.show(requested_deadline)}",
        check=check,
        before_save=apply,
        notices=lambda h: _hz_filtered(
            [
                _hz_notice(
                    selectors.hazard_reviewers(h),
                    _("Extension requested: %(number)s %(title)s"),
                    h,
                    _("%(enterprise)s asks for a new rectification deadline; it awaits your review.") % _hz_what(h),
                )
            ],
            actor,
        ),
    )


def extension_review(
    *,
    actor: Actor,
    hazard_id: _HzAny,
    approve: bool,
    new_deadline: _hz_datetime | None = None,
    reason: str = "",
) -> Hazard:
    """Approve with a new deadline (rectification continues) or refuse (overdue for good). Decided once."""
    reason = (reason or "").strip()
    if approve:
        if new_deadline is None:
            raise ValidationError({"deadline_date": [_("Give the new deadline.")]})
        hazard_deadlines.check_extension(new_deadline)
    elif not reason:
        raise ValidationError({"reason": [_("Give the reason for refusing: the enterprise cannot ask again.")]})
    hazard = _hz_read(actor, hazard_id)
    node, node_name = _hz_node(actor, hazard)

    def settle(h: Hazard) -> None:
        extension = ExtensionRequest.objects.select_for_update().get(hazard_id=h.pk)
        extension.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REFUSED
        extension.granted_deadline = new_deadline if approve else None
        extension.save(update_fields=["status", "granted_deadline"])

    def notices(h: Hazard) -> list[Notice]:
        if approve:
            return [
                _hz_notice(
                    selectors.hazard_rectifiers(h),
                    _("Extension approved: %(number)s %(title)s"),
                    h,
                    _("New deadline: %(deadline)s. Rectify and report by then.")
                    % {"deadline": hazard_deadlines.show(h.deadline)},
                )
            ]
        return [
            _hz_notice(
                selectors.hazard_rectifiers(h),
                _("Extension refused: %(number)s %(title)s"),
                h,
                _("Reason: %(reason)s. The hazard stays overdue.") % {"reason": reason.rstrip("。．.!！?？ ")},
            )
        ]

    shown = f"→ {hazard_deadlines.show(new_deadline)}" if approve else ""
    return perform_transition(
        actor=actor,
        queryset=_hz_queryset(actor),
        pk=hazard_id,
        transition="approve_extension" if approve else "refuse_extension",
        transition_kwargs={"new_deadline": new_deadline} if approve else {"reason": reason},
        node=node,
        node_name=node_name,
        decision=Decision.APPROVE if approve else Decision.REJECT,
        reason="\n".join(filter(None, (reason, shown))),
        check=lambda h: selectors.hazard_may_review(actor, h),
        before_save=settle,
        notices=lambda h: _hz_filtered(notices(h), actor),
    )


# -- The overdue sweep (hazards.tasks.sweep_overdue_hazards) ----------------------------------------------------


def overdue_sweep(*, batch: int = OVERDUE_SWEEP_BATCH) -> int:
    """Mark overdue every open hazard (registered, reported, rectifying) whose deadline passed before a passing
    review; returns how many. Runs as the system across tenants.

    Rows are claimed a batch at a time with SELECT … FOR UPDATE SKIP LOCKED and re-checked after the lock: a
    hazard someone is deciding on right now is left for the next run, two runs at once never mark one hazard
    twice, and a second run finds nothing to do. Each hazard's review record, log entry and notification commit
    with its new status.
    """
    marked = 0
    with scopes_disabled():
        hazard_type = _hz_content_type()
        while True:
            with transaction.atomic():
                now = timezone.now()
                rows = list(
                    Hazard.objects.filter(status__in=Hazard.OPEN_STATES, deadline__lt=now)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("enterprise", "responsible_user", "rectified_by", "registered_by")
                    .order_by("deadline", "pk")[:batch]
                )
                changed: list[tuple[Hazard, str]] = []
                for hazard in rows:
                    if not can_proceed(hazard.mark_overdue):  # changed since the query read it
                        continue
                    changed.append((hazard, hazard.status))
                    hazard.mark_overdue()
                    hazard.updated_at = now
                if not changed:
                    break
                Hazard.objects.bulk_update([h for h, _old in changed], ["status", "updated_at"])
                ReviewRecord.objects.bulk_create(
                    ReviewRecord(
                        enterprise_id=h.enterprise_id,
                        subject_type=hazard_type,
                        subject_id=h.pk,
                        node=Node.ENTERPRISE,
                        node_name=h.enterprise.name,
                        # No reviewer = the system (approvals.models.ReviewRecord.is_system).
                        decision=Decision.TERMINATE,
                        reason=f"{hazard_deadlines.show(h.deadline)}",
                        from_state=old,
                        to_state=h.status,
                    )
                    for h, old in changed
                )
                OperationLog.objects.bulk_create(
                    OperationLog(
                        username="system",
                        enterprise_id=h.enterprise_id,
                        action=OperationLog.Action.TRANSITION,
                        object_type=str(Hazard._meta.verbose_name),
                        object_id=str(h.pk),
                        object_repr=str(h)[:200],
                        detail=f"{old} → {h.status}",
                    )
                    for h, old in changed
                )
                managers = _hz_managers_by_enterprise({h.enterprise_id for h, _old in changed if _hz_nobody(h)})
                for h, _old in changed:
                    people = [u for u in (h.responsible_user, h.rectified_by) if u is not None]
                    if h.registered_by is not None and h.registered_by_body_id is None:
                        people.append(h.registered_by)
                    n = _hz_notice(
                        people or managers.get(h.enterprise_id, []),
                        _("Hazard overdue: %(number)s %(title)s"),
                        h,
                        _(
                            "The rectification deadline %(deadline)s passed before a passing review. No rectification "
                            "can be reported now; you may request an extension once."
                        )
                        % {"deadline": hazard_deadlines.show(h.deadline)},
                    )
                    notify(recipients=n.recipients, title=n.title, body=n.body, url=n.url)
            marked += len(changed)
    return marked


def _hz_nobody(hazard: Hazard) -> bool:
    return (
        hazard.responsible_user_id is None
        and hazard.rectified_by_id is None
        and (hazard.registered_by_id is None or hazard.registered_by_body_id is not None)
    )


def _hz_managers_by_enterprise(enterprise_ids: set[int]) -> dict[int, list]:
    from enterprises.models import Membership

    found: dict[int, list] = {}
    if not enterprise_ids:
        return found
    for m in (
        Membership.objects.filter(
            enterprise_id__in=enterprise_ids,
            role__in=selectors.HAZARD_ENTERPRISE_MANAGER_ROLES,
            status=Membership.Status.ACTIVE,
        )
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(m.enterprise_id, []).append(m.user)
    return found


def _hz_content_type():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Hazard)


# -- Supervised listing (挂牌督办) and delisting (销号) ------------------------------------------------------------


def hazard_supervise(*, actor: Actor, hazard_id: _HzAny, notice_number: str, notice: str) -> SupervisedListing:
    """A body lists a major hazard of its jurisdiction for supervision, with its notice (one listing per hazard)."""
    notice, notice_number = (notice or "").strip(), (notice_number or "").strip()
    if not notice:
        raise ValidationError({"notice": [_("Write the supervision notice: what the enterprise must do, by when.")]})
    with actor_scope(actor), transaction.atomic():
        hazard = lock_subject(selectors.hazards_for_actor(actor), hazard_id)
        if not selectors.hazard_may_list(actor, hazard):
            raise PermissionDenied(_("You may not list this hazard for supervision."))
        existing = selectors.hazard_listing(hazard)
        if existing is not None:
            raise TransitionRefused(
                _("This hazard is already listed for supervision by %(body)s.") % {"body": existing.body.name}
            )
        if hazard.status == Hazard.Status.CLOSED:
            raise TransitionRefused(_("This hazard is already rectified and closed; there is nothing to supervise."))
        listing = SupervisedListing.objects.create(
            enterprise_id=hazard.enterprise_id,
            hazard=hazard,
            body=actor.body,
            notice=notice,
            notice_number=notice_number,
        )
        record_review(
            actor=actor,
            subject=listing,
            node=_hz_gov_node(actor.body),
            node_name=actor.body.name,
            decision=Decision.CONFIRM,
            reason="\n".join(filter(None, (notice_number, notice))),
            to_state=listing.status,
        )
        audit.log_operation(actor=actor, action=OperationLog.Action.CREATE, obj=listing, detail=notice_number)
        _hz_send(
            [
                _hz_notice(
                    [hazard.responsible_user, *selectors.hazard_enterprise_managers(hazard.enterprise_id)],
                    _("Major hazard listed for supervision: %(number)s %(title)s"),
                    hazard,
                    _("%(body)s lists this hazard for supervision (notice %(notice)s).")
                    % {"body": actor.body.name, "notice": notice_number or "—"},
                )
            ],
            actor,
        )
    return listing


def _hz_listings(actor: Actor):
    with actor_scope(actor):
        return SupervisedListing.objects.filter(hazard__in=selectors.hazards_for_actor(actor).values("pk"))


def _hz_listing_of(actor: Actor, hazard_id: _HzAny) -> SupervisedListing:
    with actor_scope(actor):
        listing = _hz_listings(actor).filter(hazard_id=_hz_read(actor, hazard_id).pk).select_related("hazard").first()
    if listing is None:
        raise Http404
    return listing


def listing_request_delisting(*, actor: Actor, hazard_id: _HzAny, reason: str) -> SupervisedListing:
    """The enterprise applies for delisting once the hazard is rectified and closed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Describe how the hazard was rectified: the body decides on it.")]})
    listing = _hz_listing_of(actor, hazard_id)

    def check(lst: SupervisedListing) -> bool:
        hazard = Hazard.objects.get(pk=lst.hazard_id)
        if not selectors.hazard_may_request_delisting(actor, hazard):
            return False
        if lst.status == SupervisedListing.Status.LISTED and hazard.status != Hazard.Status.CLOSED:
            raise TransitionRefused(_("Apply for delisting once the hazard's rectification has passed review."))
        return True

    return perform_transition(
        actor=actor,
        queryset=_hz_listings(actor),
        pk=listing.pk,
        transition="request_delisting",
        transition_kwargs={"reason": reason},
        node=Node.ENTERPRISE,
        node_name=listing.hazard.enterprise.name,
        decision=Decision.SUBMIT,
        reason=reason,
        check=check,
        notices=lambda lst: _hz_filtered(
            [
                _hz_notice(
                    selectors.delisting_deciders(lst),
                    _("Delisting requested: %(enterprise)s, %(number)s %(title)s"),
                    listing.hazard,
                )
            ],
            actor,
        ),
    )


def listing_decide(*, actor: Actor, hazard_id: _HzAny, delist: bool, reason: str = "") -> SupervisedListing:
    """The listing body (or one above it) delists, or refuses with a reason (the hazard stays listed)."""
    reason = (reason or "").strip()
    if not delist and not reason:
        raise ValidationError({"reason": [_("Give the reason for refusing: the enterprise needs it.")]})
    listing = _hz_listing_of(actor, hazard_id)
    hazard = listing.hazard
    return perform_transition(
        actor=actor,
        queryset=_hz_listings(actor).select_related("body"),
        pk=listing.pk,
        transition="delist" if delist else "refuse_delisting",
        transition_kwargs=None if delist else {"reason": reason},
        node=_hz_gov_node(actor.body) if actor.body else Node.OWNING_BODY,
        node_name=actor.body.name if actor.body else "",
        decision=Decision.APPROVE if delist else Decision.REJECT,
        reason=reason,
        check=lambda lst: selectors.hazard_may_decide_delisting(actor, lst),
        notices=lambda lst: _hz_filtered(
            [
                _hz_notice(
                    [hazard.responsible_user, *selectors.hazard_enterprise_managers(hazard.enterprise_id)],
                    (
                        _("Hazard delisted: %(number)s %(title)s")
                        if delist
                        else _("Delisting refused: %(number)s %(title)s")
                    ),
                    hazard,
                    "" if delist else _("Reason: %(reason)s.") % {"reason": reason.rstrip("。．.!！?？ ")},
                )
            ],
            actor,
        ),
    )


# ==== area: supervision ====
# isort: split
# Government supervision: the summary table of a period, built (figures frozen), reviewed and reported up to the
# parent body (then locked for good); random samples of enterprises, reproducible from their recorded seed.
from datetime import date as _sv_date  # noqa: E402
from typing import TYPE_CHECKING as _SV_TYPE_CHECKING  # noqa: E402
from typing import Any as _SvAny  # noqa: E402

from dateutil.relativedelta import relativedelta as _sv_relativedelta  # noqa: E402
from django.core.exceptions import PermissionDenied as _SvPermissionDenied  # noqa: E402
from django.core.exceptions import ValidationError as _SvValidationError  # noqa: E402
from django.db import IntegrityError as _SvIntegrityError  # noqa: E402
from django.db import transaction as _sv_transaction  # noqa: E402
from django.http import Http404 as _SvHttp404  # noqa: E402
from django.urls import reverse as _sv_reverse  # noqa: E402
from django.utils import formats as _sv_formats  # noqa: E402
from django.utils import timezone as _sv_timezone  # noqa: E402
from django.utils.translation import gettext as _sv_  # noqa: E402

from approvals import audit as _sv_audit  # noqa: E402
from approvals.engine import TransitionRefused as _SvRefused  # noqa: E402
from approvals.models import OperationLog as _SvLog  # noqa: E402
from approvals.notify import notify as _sv_notify  # noqa: E402
from enterprises.models import Membership as _SvMembership  # noqa: E402
from enterprises.models import Region as _SvRegion  # noqa: E402
from safety.tenancy import actor_scope as _sv_actor_scope  # noqa: E402

from . import selectors as _sv_selectors  # noqa: E402
from . import supervision as _sv  # noqa: E402
from .models import EnterpriseSample as _SvSample  # noqa: E402
from .models import Hazard as _SvHazard  # noqa: E402
from .models import SummaryReport as _SvReport  # noqa: E402

if _SV_TYPE_CHECKING:
    from safety.actors import Actor

SAMPLE_MAX_SIZE = 500


def _sv_require_report_role(actor: Actor) -> None:
    _sv_selectors.supervision_government_only(actor)
    if not _sv_selectors.supervision_may_report(actor):
        raise _SvPermissionDenied(_sv_("Only the body's reviewers and administrators build and report summaries."))


def _sv_check_period(period_start: _sv_date, period_end: _sv_date) -> None:
    if period_start > period_end:
        raise _SvValidationError({"period_end": _sv_("The period must end on or after its first day.")})
    if period_end > _sv_timezone.localdate():
        raise _SvValidationError({"period_end": _sv_("The period cannot end in the future.")})
    if period_end >= period_start + _sv_relativedelta(years=1):
        raise _SvValidationError({"period_end": _sv_("A summary covers at most a year.")})


def _sv_figures(actor: Actor, period_start: _sv_date, period_end: _sv_date) -> dict:
    """The body's figures of the period, computed in its jurisdiction (the actor's scope)."""
    body = actor.body
    with _sv_actor_scope(actor):
        return _sv.summary_figures(
            _SvHazard.objects.all(),
            _sv_selectors.supervision_enterprises(actor),
            region=body.region,
            start=period_start,
            end=period_end,
        )


def _sv_locked_report(actor: Actor, report_id: _SvAny) -> _SvReport:
    """The actor's body's own report, locked; refused once reported (a reported summary never changes)."""
    try:
        report = _SvReport.objects.select_for_update().filter(body_id=actor.body.pk, pk=report_id).first()
    except (ValueError, TypeError):
        report = None
    if report is None:
        raise _SvHttp404
    if report.reported_at is not None:
        raise _SvRefused(
            _sv_("This summary was reported on %(when)s by %(who)s; it can no longer be changed.")
            % {
                "when": _sv_formats.date_format(_sv_timezone.localtime(report.reported_at), "Y-m-d H:i"),
                "who": report.reported_by.display_name if report.reported_by else "—",
            }
        )
    return report


def summary_build(*, actor: Actor, period_start: _sv_date, period_end: _sv_date) -> _SvReport:
    """Build the body's summary of a period (a draft: figures frozen now). A draft of the same period is rebuilt;
    a reported one is refused."""
    _sv_require_report_role(actor)
    _sv_check_period(period_start, period_end)
    figures = _sv_figures(actor, period_start, period_end)
    body = actor.body
    with _sv_transaction.atomic():
        existing = (
            _SvReport.objects.select_for_update()
            .filter(body_id=body.pk, period_start=period_start, period_end=period_end)
            .first()
        )
        if existing is not None:
            report = _sv_locked_report(actor, existing.pk)
            report.figures = figures
            report.save(update_fields=["figures"])
            _sv_audit.log_operation(actor=actor, action=_SvLog.Action.UPDATE, obj=report, detail="rebuilt")
            return report
        try:
            with _sv_transaction.atomic():
                report = _SvReport.objects.create(
                    body=body, period_start=period_start, period_end=period_end, figures=figures
                )
        except _SvIntegrityError:  # the same period built at the same moment: the unique constraint decided
            raise _SvRefused(_sv_("A summary of this period was just built; open it from the list.")) from None
        _sv_audit.log_operation(actor=actor, action=_SvLog.Action.CREATE, obj=report)
    return report


def summary_rebuild(*, actor: Actor, report_id: _SvAny) -> _SvReport:
    """Recompute a draft's figures from today's data (before it is reported)."""
    _sv_require_report_role(actor)
    with _sv_transaction.atomic():
        report = _sv_locked_report(actor, report_id)
        report.figures = _sv_figures(actor, report.period_start, report.period_end)
        report.save(update_fields=["figures"])
        _sv_audit.log_operation(actor=actor, action=_SvLog.Action.UPDATE, obj=report, detail="rebuilt")
    return report


def summary_delete(*, actor: Actor, report_id: _SvAny) -> None:
    _sv_require_report_role(actor)
    with _sv_transaction.atomic():
        report = _sv_locked_report(actor, report_id)
        _sv_audit.log_operation(actor=actor, action=_SvLog.Action.DELETE, obj=report)
        report.delete()


def summary_submit(*, actor: Actor, report_id: _SvAny) -> _SvReport:
    """Report the summary up to the parent body: it is locked from now on, and the parent's reviewers are told.
    A body with no parent has nobody to report to."""
    _sv_require_report_role(actor)
    with _sv_transaction.atomic():
        report = _sv_locked_report(actor, report_id)
        parent = _sv_selectors.supervision_parent_body(actor.body)
        if parent is None:
            raise _SvRefused(_sv_("Your body has no parent body to report to."))
        report.reported_at = _sv_timezone.now()
        report.reported_by = actor.user
        report.save(update_fields=["reported_at", "reported_by"])
        _sv_audit.log_operation(
            actor=actor, action=_SvLog.Action.TRANSITION, obj=report, detail=f"reported to {parent.name}"
        )
        recipients = [
            m.user
            for m in _SvMembership.objects.filter(
                body_id=parent.pk,
                role__in=_sv_selectors.SUPERVISION_REPORT_ROLES + (_SvMembership.Role.LEADER,),
                status=_SvMembership.Status.ACTIVE,
            ).select_related("user")
        ]
        _sv_notify(
            recipients=recipients,
            title=_sv_("Hazard summary reported by %(body)s: %(start)s – %(end)s")
            % {"body": actor.body.name, "start": report.period_start, "end": report.period_end},
            url=_sv_reverse("hazards:summary_report_detail", args=[report.pk]),
        )
    return report


def sample_draw(
    *,
    actor: Actor,
    purpose: str,
    size: int,
    industry: str = "",
    size_class: str = "",
    region: _SvRegion | None = None,
    seed: str | None = None,
) -> _SvSample:
    """Draw a random sample of the jurisdiction's enterprises matching the criteria, with a new recorded seed
    (secrets.token_hex), and log it. ``seed`` is for re-drawing a recorded sample (and tests)."""
    _sv_selectors.supervision_government_only(actor)
    if not _sv_selectors.supervision_may_sample(actor):
        raise _SvPermissionDenied(_sv_("Only the body's reviewers, inspectors and administrators draw samples."))
    body = actor.body
    if not 1 <= size <= SAMPLE_MAX_SIZE:
        raise _SvValidationError({"size": _sv_("Draw between 1 and %(n)s enterprises.") % {"n": SAMPLE_MAX_SIZE}})
    if region is not None and not region.path.startswith(body.region.path):
        raise _SvValidationError({"region": _sv_("Choose a region of your jurisdiction.")})
    criteria = {
        "industry": industry or "",
        "size_class": size_class or "",
        "region": region.pk if region is not None else None,
        "region_name": str(region) if region is not None else "",
    }
    candidates = _sv_selectors.sample_candidates(body, criteria)
    if not candidates:
        raise _SvValidationError(_sv_("No enterprise of your jurisdiction matches these criteria."))
    seed = seed or _sv.new_seed()
    drawn = _sv.draw_sample(candidates, seed, size)
    criteria["candidates"] = len(candidates)
    criteria["candidates_sha256"] = _sv.candidates_digest(candidates)
    with _sv_transaction.atomic():
        sample = _SvSample.objects.create(
            body=body,
            purpose=purpose.strip(),
            criteria=criteria,
            seed=seed,
            size=size,
            enterprise_ids=drawn,
            drawn_by=actor.user,
        )
        _sv_audit.log_operation(
            actor=actor,
            action=_SvLog.Action.CREATE,
            obj=sample,
            detail=f"seed={seed} criteria={criteria} drawn={drawn}",
        )
    return sample


def sample_redraw_matches(sample: _SvSample) -> bool:
    """Does the recorded seed over today's candidates give the recorded sample? (False once enterprises matching
    the criteria were added or removed: the draw is reproducible only over the same candidates.)"""
    candidates = _sv_selectors.sample_candidates(sample.body, sample.criteria)
    recorded = sample.criteria.get("candidates_sha256")
    if recorded and recorded != _sv.candidates_digest(candidates):
        return False
    return _sv.draw_sample(candidates, sample.seed, sample.size) == list(sample.enterprise_ids)
