"""The hidden-hazard lifecycle (DOMAIN.md "Hidden hazards"), rule by rule.

- Every step tried from every state: allowed steps move the hazard and add one review record; refused ones raise
  TransitionRefused and change nothing.
- Deadlines with time-machine: one month by default, a same-day deadline needs its time, overdue strictly after
  the deadline, no report after it, one extension ever.
- Registration: kinds, numbers, the major hazard's plan, photos checked by content.
- The overdue sweep: idempotent, batches, the system's record, who is told.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from approvals.engine import TransitionRefused
from approvals.models import Decision, Notification, OperationLog, ReviewRecord
from enterprises.models import Membership
from hazards import deadlines, services
from hazards.models import ExtensionRequest, Hazard, HazardPhoto, RiskPoint
from safety.tenancy import scopes_disabled

from .factories import MembershipFactory, UserFactory
from .hazard_factories import add_photo, make_extension, make_hazard, photo_upload, reload

TZ = ZoneInfo("Asia/Shanghai")
S = Hazard.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def records(hazard: Hazard) -> list[ReviewRecord]:
    with scopes_disabled():
        return list(
            ReviewRecord.objects.filter(
                subject_type=ContentType.objects.get_for_model(Hazard), subject_id=hazard.pk
            ).order_by("created_at", "pk")
        )


def details(**kw) -> services.HazardDetails:
    return services.HazardDetails(**{"title": "消防通道堵塞", "location": "仓库", **kw})


MAJOR_PLAN = {
    "plan_goal": "彻底消除隐患",
    "plan_measures": "更换储罐",
    "plan_funds": Decimal("50000"),
    "plan_responsible": "设备部 李四",
    "plan_time_limit": date(2031, 1, 1),
    "plan_interim_measures": "停用，设警戒区",
}


# --------------------------------------------------------------------------------------------------------------
# Every step from every state
# --------------------------------------------------------------------------------------------------------------

PAST = timedelta(days=-1)
FUTURE = timedelta(days=10)

# state → (deadline offset, whether its one extension request is used)
STATES = {
    "registered": (S.REGISTERED, FUTURE, None),
    "reported": (S.REPORTED, FUTURE, None),
    "rectifying": (S.RECTIFYING, FUTURE, None),
    "overdue": (S.OVERDUE, PAST, None),
    "overdue_refused": (S.OVERDUE, PAST, ExtensionRequest.Status.REFUSED),
    "extension_requested": (S.EXTENSION_REQUESTED, PAST, ExtensionRequest.Status.PENDING),
    "closed": (S.CLOSED, FUTURE, None),
}


def _report(world, h):
    return services.rectification_report(
        actor=world.actor("alice"), hazard_id=h.pk, measures="已整改", after_photos=[photo_upload()]
    )


def _pass(world, h):
    return services.rectification_review(actor=world.actor("alice"), hazard_id=h.pk, passed=True)


def _fail(world, h):
    return services.rectification_review(actor=world.actor("alice"), hazard_id=h.pk, passed=False, reason="未接地")


def _request_extension(world, h):
    return services.extension_request(
        actor=world.actor("alice"),
        hazard_id=h.pk,
        reason="备件未到",
        requested_deadline=timezone.now() + timedelta(days=15),
    )


def _approve_extension(world, h):
    return services.extension_review(
        actor=world.actor("alice"), hazard_id=h.pk, approve=True, new_deadline=timezone.now() + timedelta(days=15)
    )


def _refuse_extension(world, h):
    return services.extension_review(actor=world.actor("alice"), hazard_id=h.pk, approve=False, reason="理由不足")


def _edit(world, h):
    return services.hazard_update(
        actor=world.actor("alice"), hazard_id=h.pk, details=details(deadline=timezone.now() + timedelta(days=5))
    )


def _delete(world, h):
    services.hazard_delete(actor=world.actor("alice"), hazard_id=h.pk)
    return None


STEPS = {
    "report": _report,
    "pass": _pass,
    "fail": _fail,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "refuse_extension": _refuse_extension,
    "edit": _edit,
    "delete": _delete,
}

# (state, step) → the status after it; anything not listed is refused.
ALLOWED = {
    ("registered", "report"): S.REPORTED,
    ("registered", "edit"): S.REGISTERED,
    ("registered", "delete"): None,
    ("rectifying", "report"): S.REPORTED,
    ("reported", "pass"): S.CLOSED,
    ("reported", "fail"): S.RECTIFYING,
    ("overdue", "request_extension"): S.EXTENSION_REQUESTED,
    ("extension_requested", "approve_extension"): S.RECTIFYING,
    ("extension_requested", "refuse_extension"): S.OVERDUE,
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("state", list(STATES))
def test_every_step_from_every_state(world, state, step):
    status, offset, extension = STATES[state]
    hazard = make_hazard(world.acme, status=status, deadline=timezone.now() + offset)
    if extension:
        make_extension(hazard, status=extension)
    before = records(hazard)
    if (state, step) in ALLOWED:
        STEPS[step](world, hazard)
        expected = ALLOWED[(state, step)]
        with scopes_disabled():
            if expected is None:
                assert not Hazard.objects.filter(pk=hazard.pk).exists()
                return
        assert reload(hazard).status == expected
        added = records(hazard)[len(before) :]
        if step != "edit":  # an edit is logged (operation log), not a decision
            assert [(r.from_state, r.to_state) for r in added] == [(status, expected)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            STEPS[step](world, hazard)
        assert refused.value.message
        assert reload(hazard).status == status
        assert len(records(hazard)) == len(before)


def test_refusal_names_who_decided(world):
    hazard = make_hazard(world.acme, status=S.REPORTED)
    _pass(world, hazard)
    with pytest.raises(TransitionRefused) as refused:
        _fail(world, hazard)
    assert "alice" in refused.value.message or "用户" in refused.value.message


def test_fail_needs_a_reason_and_pass_closes_on_time(world):
    hazard = make_hazard(world.acme, status=S.REPORTED)
    with pytest.raises(ValidationError) as err:
        services.rectification_review(actor=world.actor("alice"), hazard_id=hazard.pk, passed=False, reason=" ")
    assert "reason" in err.value.message_dict
    _fail(world, hazard)
    hazard = reload(hazard)
    assert hazard.status == S.RECTIFYING
    assert records(hazard)[-1].decision == Decision.REJECT and records(hazard)[-1].reason == "未接地"
    report = _report(world, hazard)
    assert records(report)[-1].decision == Decision.RESUBMIT  # a report after a failed review
    closed = _pass(world, hazard)
    assert closed.status == S.CLOSED and closed.closed_on_time is True and closed.closed_at is not None


def test_passing_review_flags_the_risk_point_for_regrading(world):
    with scopes_disabled():
        point = RiskPoint.objects.create(enterprise=world.acme, category="place", name="罐区", qr_token="t-hz-1")
    hazard = make_hazard(world.acme, status=S.REPORTED, risk_point=point)
    other = make_hazard(world.acme, status=S.REPORTED, risk_point=point)
    _fail(world, other)
    with scopes_disabled():
        assert RiskPoint.objects.get(pk=point.pk).needs_regrading is False
    _pass(world, hazard)
    with scopes_disabled():
        assert RiskPoint.objects.get(pk=point.pk).needs_regrading is True


def test_report_needs_after_photos_measures_and_real_images(world):
    hazard = make_hazard(world.acme)
    actor = world.actor("alice")
    with pytest.raises(ValidationError) as err:
        services.rectification_report(actor=actor, hazard_id=hazard.pk, measures="", after_photos=[])
    assert {"measures", "after_photos"} <= set(err.value.message_dict)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as err:
        services.rectification_report(actor=actor, hazard_id=hazard.pk, measures="ok", after_photos=[fake])
    assert "after_photos" in err.value.message_dict
    assert reload(hazard).status == S.REGISTERED
    hazard = services.rectification_report(
        actor=actor, hazard_id=hazard.pk, measures="ok", cost=Decimal("12.50"), after_photos=[photo_upload()]
    )
    assert hazard.rectification_cost == Decimal("12.50") and hazard.rectified_by_id == world.alice.user.pk
    with scopes_disabled():
        photo = HazardPhoto.objects.get(hazard=hazard)
    assert photo.stage == HazardPhoto.Stage.AFTER
    assert not photo.image.name.endswith("photo.png") and photo.image.name.endswith(".png")  # a random name


def test_photo_size_limit_is_a_setting(world, settings):
    settings.HAZARD_PHOTO_MAX_BYTES = 10
    hazard = make_hazard(world.acme)
    with pytest.raises(ValidationError) as err:
        _report(world, hazard)
    assert "after_photos" in err.value.message_dict


def test_a_failed_report_leaves_no_file_behind(world, tmp_path, monkeypatch):
    hazard = make_hazard(world.acme)

    def explode(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(ReviewRecord.objects, "create", explode)
    with pytest.raises(RuntimeError):
        _report(world, hazard)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert reload(hazard).status == S.REGISTERED


# --------------------------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------------------------


def test_registration_numbers_and_record(world):
    with time_machine.travel(datetime(2025, 3, 10, 9, 0, tzinfo=TZ), tick=False):
        first = services.hazard_register(actor=world.actor("alice"), details=details())
        second = services.hazard_register(actor=world.actor("bob"), details=details(title="楼梯扶手松动"))
        far = services.hazard_register(actor=world.actor("charlie"), details=details())
    assert (first.number, second.number) == ("YH-2025-000001", "YH-2025-000002")
    assert far.number == "YH-2025-000001"  # numbered per enterprise
    assert first.status == S.REGISTERED and first.source == Hazard.Source.SELF_INSPECTION
    assert first.registered_by_id == world.alice.user.pk and first.registered_by_body_id is None
    [record] = records(first)
    assert (record.decision, record.to_state, record.node_name) == (Decision.SUBMIT, S.REGISTERED, world.acme.name)
    with scopes_disabled():
        assert OperationLog.objects.filter(action="create", object_id=str(first.pk)).exists()
    with time_machine.travel(datetime(2026, 1, 2, 9, 0, tzinfo=TZ), tick=False):
        next_year = services.hazard_register(actor=world.actor("alice"), details=details())
    assert next_year.number == "YH-2026-000001"


@pytest.mark.parametrize(
    ("registered_at", "expected"),
    [
        (datetime(2025, 1, 15, 10, 30, tzinfo=TZ), datetime(2025, 2, 15, 10, 30, tzinfo=TZ)),
        (datetime(2025, 1, 31, 10, 30, tzinfo=TZ), datetime(2025, 2, 28, 10, 30, tzinfo=TZ)),
        (datetime(2024, 1, 31, 10, 30, tzinfo=TZ), datetime(2024, 2, 29, 10, 30, tzinfo=TZ)),
        (datetime(2025, 12, 15, 23, 0, tzinfo=TZ), datetime(2026, 1, 15, 23, 0, tzinfo=TZ)),
    ],
)
def test_deadline_defaults_to_one_month(world, registered_at, expected):
    with time_machine.travel(registered_at, tick=False):
        hazard = services.hazard_register(actor=world.actor("alice"), details=details())
    assert hazard.deadline == expected


NOW = datetime(2025, 6, 10, 14, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        # today: the time of day is required, and must be still ahead
        (date(2025, 6, 10), None, "deadline_time"),
        (date(2025, 6, 10), time(18, 0), datetime(2025, 6, 10, 18, 0, tzinfo=TZ)),
        (date(2025, 6, 10), time(13, 59), "deadline_date"),
        (date(2025, 6, 10), time(14, 0), "deadline_date"),  # exactly now: already due
        # a later day: its end unless a time is given
        (date(2025, 6, 11), None, datetime(2025, 6, 11, 23, 59, 59, tzinfo=TZ)),
        (date(2025, 6, 11), time(9, 0), datetime(2025, 6, 11, 9, 0, tzinfo=TZ)),
        # a past day is refused
        (date(2025, 6, 9), None, "deadline_date"),
        (date(2025, 6, 9), time(23, 0), "deadline_date"),
    ],
)
def test_deadline_from_date_and_time(day, at, expected):
    def run():
        moment = deadlines.combine(day, at, now=NOW)
        deadlines.check_future(moment, now=NOW)
        return moment

    if isinstance(expected, str):
        with pytest.raises(ValidationError) as err:
            run()
        assert expected in err.value.message_dict
    else:
        assert run() == expected


@pytest.mark.parametrize(
    ("requested", "ok"),
    [
        (NOW + timedelta(minutes=1), True),
        (NOW + timedelta(days=366), True),
        (NOW + timedelta(days=366, seconds=1), False),
        (NOW, False),
        (NOW - timedelta(days=1), False),
    ],
)
def test_extension_bounds(requested, ok):
    if ok:
        deadlines.check_extension(requested, now=NOW)
    else:
        with pytest.raises(ValidationError):
            deadlines.check_extension(requested, now=NOW)


def test_registration_refuses_a_past_deadline(world):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as err:
            services.hazard_register(actor=world.actor("alice"), details=details(deadline=NOW - timedelta(minutes=1)))
    assert "deadline_date" in err.value.message_dict


@pytest.mark.parametrize(
    ("level", "kind", "error_field"),
    [
        ("general", "deadline", None),
        ("general", "on_spot", "before_photos"),  # needs both photos (checked below with them)
        ("general", "major", "level"),
        ("major", "deadline", "kind"),
        ("major", "on_spot", "kind"),
        ("major", "major", "plan_goal"),  # the plan is required
    ],
)
def test_level_and_kind_rules(world, level, kind, error_field):
    call = lambda: services.hazard_register(actor=world.actor("alice"), details=details(level=level, kind=kind))  # noqa: E731
    if error_field is None:
        assert call().status == S.REGISTERED
    else:
        with pytest.raises(ValidationError) as err:
            call()
        assert error_field in err.value.message_dict


def test_major_hazard_needs_every_plan_field_and_is_reported_to_the_government(world):
    with pytest.raises(ValidationError) as err:
        services.hazard_register(
            actor=world.actor("alice"), details=details(level="major", kind="major", plan_goal="目标")
        )
    assert set(err.value.message_dict) == set(services.HAZARD_PLAN_FIELDS) - {"plan_goal"}
    hazard = services.hazard_register(
        actor=world.actor("alice"), details=details(level="major", kind="major", **MAJOR_PLAN)
    )
    assert hazard.reported_to_government_at is not None and hazard.government_reviews
    with scopes_disabled():
        told = set(
            Notification.objects.filter(url__contains=f"/hazards/{hazard.pk}/").values_list(
                "recipient__username", flat=True
            )
        )
    assert told == {"gov_alice"}  # the owning body's reviewer (the read-only leader is not asked to review)


def test_fixed_on_the_spot_is_closed_at_once_with_both_photos(world):
    with pytest.raises(ValidationError) as err:
        services.hazard_register(
            actor=world.actor("bob"), details=details(kind="on_spot"), before_photos=[photo_upload()]
        )
    assert "after_photos" in err.value.message_dict
    hazard = services.hazard_register(
        actor=world.actor("bob"),
        details=details(kind="on_spot", rectification_measures="当场清理"),
        before_photos=[photo_upload()],
        after_photos=[photo_upload(colour="green")],
    )
    assert hazard.status == S.CLOSED and hazard.closed_on_time is True and hazard.closed_at is not None
    with scopes_disabled():
        assert sorted(HazardPhoto.objects.filter(hazard=hazard).values_list("stage", flat=True)) == ["after", "before"]
    [record] = records(hazard)
    assert (record.to_state, record.reason) == (S.CLOSED, "当场清理")


def test_registration_photos_are_checked_by_content(world):
    renamed = SimpleUploadedFile("hazard.png", b"GIF89a not really", content_type="image/png")
    with pytest.raises(ValidationError) as err:
        services.hazard_register(actor=world.actor("alice"), details=details(), before_photos=[renamed])
    assert "before_photos" in err.value.message_dict
    with scopes_disabled():
        assert not Hazard.objects.exists()


def test_rows_of_another_tenant_cannot_be_attached(world):
    from enterprises.models import Department

    with scopes_disabled():
        foreign = Department.objects.create(enterprise=world.far, name="外部")
    with pytest.raises(ValidationError) as err:
        services.hazard_register(actor=world.actor("alice"), details=details(department=foreign))
    assert "department" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.hazard_register(actor=world.actor("alice"), details=details(responsible_user=world.charlie.user))
    assert "responsible_user" in err.value.message_dict


def test_government_inspection_registers_against_an_enterprise_of_the_jurisdiction(world):
    hazard = services.hazard_register(
        actor=world.actor("gov_alice"), details=details(source="self"), enterprise_id=world.acme.pk
    )
    assert hazard.source == Hazard.Source.GOVERNMENT
    assert hazard.registered_by_body_id == world.nancheng_office.pk and hazard.government_reviews
    [record] = records(hazard)
    assert record.node_name == world.nancheng_office.name
    with scopes_disabled():
        told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"alice"}  # the enterprise's managers (no person responsible named)
    with pytest.raises(ValidationError) as err:  # outside the jurisdiction
        services.hazard_register(actor=world.actor("gov_alice"), details=details(), enterprise_id=world.far.pk)
    assert "enterprise" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # a read-only leader registers nothing
        services.hazard_register(actor=world.actor("gov_bob"), details=details(), enterprise_id=world.acme.pk)


def test_edit_and_delete_only_while_registered(world):
    hazard = services.hazard_register(actor=world.actor("bob"), details=details())
    add_photo(hazard)
    edited = services.hazard_update(
        actor=world.actor("bob"),
        hazard_id=hazard.pk,
        details=details(title="消防通道堵塞（已核实）", deadline=timezone.now() + timedelta(days=3)),
        before_photos=[photo_upload()],
    )
    assert edited.title == "消防通道堵塞（已核实）"
    with scopes_disabled():
        assert HazardPhoto.objects.filter(hazard=hazard).count() == 2
        assert OperationLog.objects.filter(action="update", object_id=str(hazard.pk)).exists()
    _report(world, hazard)
    with pytest.raises(TransitionRefused):
        services.hazard_update(actor=world.actor("bob"), hazard_id=hazard.pk, details=details())
    with pytest.raises(TransitionRefused):
        services.hazard_delete(actor=world.actor("bob"), hazard_id=hazard.pk)


# --------------------------------------------------------------------------------------------------------------
# Deadlines in time: overdue strictly after, no report after, one extension ever
# --------------------------------------------------------------------------------------------------------------

DEADLINE = datetime(2025, 6, 30, 18, 0, tzinfo=TZ)


def test_overdue_exactly_after_the_deadline(world):
    hazard = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE, tick=False):
        assert services.overdue_sweep() == 0
        assert reload(hazard).status == S.REGISTERED
    with time_machine.travel(DEADLINE + timedelta(microseconds=1), tick=False):
        assert services.overdue_sweep() == 1
    hazard = reload(hazard)
    assert hazard.status == S.OVERDUE
    [record] = records(hazard)
    assert record.is_system and record.decision == Decision.TERMINATE
    assert (record.from_state, record.to_state) == (S.REGISTERED, S.OVERDUE)


def test_report_allowed_at_the_deadline_refused_after_it(world):
    on_time = make_hazard(world.acme, deadline=DEADLINE)
    late = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE, tick=False):
        assert _report(world, on_time).status == S.REPORTED
    with time_machine.travel(DEADLINE + timedelta(seconds=1), tick=False):
        with pytest.raises(TransitionRefused) as refused:  # before the sweep has run: still refused, clearly
            _report(world, late)
    assert deadlines.show(DEADLINE) in refused.value.message
    assert reload(late).status == S.REGISTERED


def test_a_reported_hazard_not_passed_by_the_deadline_goes_overdue(world):
    hazard = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
        _report(world, hazard)
    with time_machine.travel(DEADLINE + timedelta(minutes=5), tick=False):
        assert services.overdue_sweep() == 1
        with pytest.raises(TransitionRefused):
            _pass(world, hazard)
    assert reload(hazard).status == S.OVERDUE


def test_closed_on_time_is_against_the_deadline_in_force(world):
    late = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
        _report(world, late)
    with time_machine.travel(DEADLINE + timedelta(seconds=30), tick=False):  # reviewed before the sweep came by
        closed = _pass(world, late)
    assert closed.status == S.CLOSED and closed.closed_on_time is False


def test_extension_once_approved_then_overdue_again_for_good(world):
    hazard = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        services.overdue_sweep()
        _request_extension(world, hazard)
        new = DEADLINE + timedelta(days=7)
        services.extension_review(actor=world.actor("alice"), hazard_id=hazard.pk, approve=True, new_deadline=new)
    hazard = reload(hazard)
    assert (hazard.status, hazard.deadline) == (S.RECTIFYING, new)
    with scopes_disabled():
        extension = ExtensionRequest.objects.get(hazard=hazard)
    assert (extension.status, extension.granted_deadline) == (ExtensionRequest.Status.APPROVED, new)
    with time_machine.travel(new + timedelta(seconds=1), tick=False):
        assert services.overdue_sweep() == 1
        with pytest.raises(TransitionRefused) as refused:
            _request_extension(world, hazard)
    assert reload(hazard).status == S.OVERDUE
    assert refused.value.message


def test_a_refused_extension_leaves_the_hazard_overdue_for_good(world):
    hazard = make_hazard(world.acme, deadline=DEADLINE)
    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        services.overdue_sweep()
        _request_extension(world, hazard)
        _refuse_extension(world, hazard)
        assert reload(hazard).status == S.OVERDUE
        with pytest.raises(TransitionRefused):
            _request_extension(world, hazard)
        with pytest.raises(TransitionRefused):
            _report(world, hazard)
    with scopes_disabled():
        assert ExtensionRequest.objects.get(hazard=hazard).status == ExtensionRequest.Status.REFUSED
    steps = [(r.from_state, r.to_state, r.decision) for r in records(hazard)]
    assert steps == [
        (S.REGISTERED, S.OVERDUE, Decision.TERMINATE),
        (S.OVERDUE, S.EXTENSION_REQUESTED, Decision.SUBMIT),
        (S.EXTENSION_REQUESTED, S.OVERDUE, Decision.REJECT),
    ]


def test_extension_request_and_approval_need_a_future_deadline(world):
    hazard = make_hazard(world.acme, status=S.OVERDUE, deadline=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        services.extension_request(
            actor=world.actor("alice"), hazard_id=hazard.pk, reason="x", requested_deadline=timezone.now()
        )
    assert "deadline_date" in err.value.message_dict
    _request_extension(world, hazard)
    with pytest.raises(ValidationError):
        services.extension_review(actor=world.actor("alice"), hazard_id=hazard.pk, approve=True, new_deadline=None)
    with pytest.raises(ValidationError):
        services.extension_review(actor=world.actor("alice"), hazard_id=hazard.pk, approve=False, reason="")
    assert reload(hazard).status == S.EXTENSION_REQUESTED


# --------------------------------------------------------------------------------------------------------------
# The overdue sweep
# --------------------------------------------------------------------------------------------------------------


def test_sweep_marks_open_hazards_only_and_is_idempotent(world):
    past = timezone.now() - timedelta(minutes=1)
    due = [make_hazard(world.acme, status=s, deadline=past) for s in (S.REGISTERED, S.REPORTED, S.RECTIFYING)]
    due.append(make_hazard(world.far, deadline=past))  # across tenants
    untouched = [
        make_hazard(world.acme, status=S.CLOSED, deadline=past),
        make_hazard(world.acme, status=S.OVERDUE, deadline=past),
        make_hazard(world.acme, status=S.EXTENSION_REQUESTED, deadline=past),
        make_hazard(world.acme, deadline=timezone.now() + timedelta(minutes=1)),
    ]
    assert services.overdue_sweep(batch=2) == 4
    assert services.overdue_sweep(batch=2) == 0
    assert {reload(h).status for h in due} == {S.OVERDUE}
    assert [reload(h).status for h in untouched] == [h.status for h in untouched]
    assert all(len(records(h)) == 1 for h in due)
    assert not any(records(h) for h in untouched)
    with scopes_disabled():
        assert OperationLog.objects.filter(action="transition", username="system").count() == 4


def test_sweep_tells_the_people_responsible(world):
    safety = MembershipFactory(
        user=UserFactory(username="safety_mgr"), enterprise=world.acme, role=Membership.Role.SAFETY_MANAGER
    )
    past = timezone.now() - timedelta(minutes=1)
    named = make_hazard(world.acme, deadline=past, responsible_user=world.bob.user)
    nobody = make_hazard(world.acme, deadline=past)
    services.overdue_sweep()
    with scopes_disabled():
        by_hazard = {
            h.pk: sorted(
                Notification.objects.filter(url=f"/hazards/{h.pk}/").values_list("recipient__username", flat=True)
            )
            for h in (named, nobody)
        }
    assert by_hazard[named.pk] == ["bob"]
    assert by_hazard[nobody.pk] == sorted(["alice", safety.user.username])


def test_the_sweep_is_scheduled_every_few_minutes_and_runs_as_a_task(world, settings):
    from hazards import tasks

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.OVERDUE_SWEEP_TASK)
    assert float(entry["schedule"]) <= 600
    make_hazard(world.acme, deadline=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep_overdue_hazards.delay().get() == 1
    assert tasks.sweep_overdue_hazards.delay().get() == 0
