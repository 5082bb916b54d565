"""Waste collection rules and services: the weekly calendar, the scheduler, registering (stock-out frees quota),
cancelling, the centre's steps and barrel requests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from approvals.engine import TransitionRefused
from approvals.models import Notification, OperationLog
from chemicals import services, waste_schedule
from chemicals.models import BarrelRequest, Package, WasteCollection, WasteItem, WasteRegistration
from safety.tenancy import scopes_disabled

from .chem_waste_helpers import C, build_waste, collection, held, in_use, kg, register, reload, used_up

SH = waste_schedule.SHANGHAI
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_messages")]


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


# ---- the calendar (pure) -------------------------------------------------------------------------------

# 2025-06-05 is a Thursday; registrations for it close Wednesday 2025-06-04 23:59.
CALENDAR = [
    (sh(2025, 6, 2, 8, 0), date(2025, 6, 5)),  # Monday
    (sh(2025, 6, 3, 12, 0), date(2025, 6, 5)),  # Tuesday
    (sh(2025, 6, 4, 0, 0), date(2025, 6, 5)),  # Wednesday, first second
    (sh(2025, 6, 4, 23, 59, 59), date(2025, 6, 5)),  # Wednesday, last second
    (sh(2025, 6, 5, 0, 0, 0), date(2025, 6, 12)),  # Thursday: next week's
    (sh(2025, 6, 5, 14, 0), date(2025, 6, 12)),  # Thursday afternoon
    (sh(2025, 6, 6, 9, 0), date(2025, 6, 12)),  # Friday
    (sh(2025, 6, 7, 9, 0), date(2025, 6, 12)),  # Saturday
    (sh(2025, 6, 8, 23, 59), date(2025, 6, 12)),  # Sunday
    # The same instant in UTC (Wednesday 16:00 UTC is Thursday 00:00 in Shanghai).
    (datetime(2025, 6, 4, 15, 59, 59, tzinfo=waste_schedule.ZoneInfo("UTC")), date(2025, 6, 5)),
    (datetime(2025, 6, 4, 16, 0, 0, tzinfo=waste_schedule.ZoneInfo("UTC")), date(2025, 6, 12)),
]


@pytest.mark.parametrize(("moment", "thursday"), CALENDAR, ids=[m.isoformat() for m, _ in CALENDAR])
def test_registrations_go_to_the_right_thursday(moment, thursday):
    assert waste_schedule.next_collection_date(moment) == thursday
    assert thursday.weekday() == 3


DEADLINE = [
    (sh(2025, 6, 4, 23, 59, 0), True),
    (sh(2025, 6, 4, 23, 59, 59), True),
    (sh(2025, 6, 4, 23, 59, 59, 999999), True),
    (sh(2025, 6, 5, 0, 0, 0), False),
    (sh(2025, 6, 5, 0, 0, 1), False),
    (sh(2025, 6, 3, 10, 0), True),
]


@pytest.mark.parametrize(("moment", "open_"), DEADLINE, ids=[m.isoformat() for m, _ in DEADLINE])
def test_deadline_is_wednesday_2359_inclusive(moment, open_):
    deadline = waste_schedule.default_deadline(date(2025, 6, 5))
    assert deadline.strftime("%Y-%m-%d %H:%M") == "2025-06-04 23:59"
    assert waste_schedule.is_open(deadline, moment) is open_


def test_a_deadline_set_by_hand_counts_to_the_end_of_its_minute():
    deadline = waste_schedule.end_of_minute(datetime(2025, 6, 4, 18, 30))
    assert waste_schedule.is_open(deadline, sh(2025, 6, 4, 18, 30, 59))
    assert not waste_schedule.is_open(deadline, sh(2025, 6, 4, 18, 31, 0))


# ---- registering against the deadline (time-machine) --------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (sh(2025, 6, 4, 23, 59, 59), True),
        (sh(2025, 6, 5, 0, 0, 0), False),
    ],
    ids=["wed-23:59:59", "thu-00:00:00"],
)
def test_registering_after_the_deadline_is_refused_naming_it(world, moment, accepted):
    w = build_waste(world, open_collection=False)
    thursday = collection(w.uni.university, date(2025, 6, 5))
    with time_machine.travel(moment, tick=False):
        if accepted:
            registration = register(w, "t_alice", w.uni.organic, collection_id=thursday.pk)
            assert reload(registration).status == WasteRegistration.Status.REGISTERED
        else:
            with pytest.raises(TransitionRefused) as refused:
                register(w, "t_alice", w.uni.organic, collection_id=thursday.pk)
            assert "2025-06-04 23:59" in refused.value.message
            assert "2025-06-05" in refused.value.message
    with scopes_disabled():
        assert WasteRegistration.objects.count() == (1 if accepted else 0)


# ---- the scheduler ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "thursday"),
    [(m, t) for m, t in CALENDAR if m.tzinfo is SH],
    ids=[m.strftime("%a-%H:%M:%S") for m, _t in CALENDAR if m.tzinfo is SH],
)
def test_scheduler_creates_the_right_thursday_once(world, moment, thursday):
    w = build_waste(world, open_collection=False)
    with time_machine.travel(moment, tick=False):
        first = services.ensure_waste_collections()
        second = services.ensure_waste_collections()
    assert first["created"] == 2  # 西南示范大学 and the far university both have routes
    assert second == {"created": 0, "closed": 0}
    with scopes_disabled():
        made = WasteCollection.objects.filter(enterprise=w.uni.university).get()
    assert made.collection_date == thursday
    assert made.status == WasteCollection.Status.OPEN
    assert waste_schedule.local(made.registration_deadline).strftime("%a %H:%M") == "Wed 23:59"


def test_scheduler_skips_universities_without_routes_and_weeks_the_centre_moved(world):
    w = build_waste(world, open_collection=False)
    with scopes_disabled():
        w.far_route.delete()
    # The centre moved this week's collection to Friday: no Thursday one on top of it.
    moved = collection(w.uni.university, date(2025, 6, 6), note="周四停电,改周五")
    with time_machine.travel(sh(2025, 6, 3, 0, 10), tick=False):
        result = services.ensure_waste_collections()
    assert result == {"created": 0, "closed": 0}
    with scopes_disabled():
        assert list(WasteCollection.objects.values_list("pk", flat=True)) == [moved.pk]


def test_scheduler_closes_past_deadline_collections_and_opens_the_next(world):
    w = build_waste(world, open_collection=False)
    last_week = collection(w.uni.university, date(2025, 6, 5))
    with time_machine.travel(sh(2025, 6, 5, 0, 10), tick=False):
        result = services.ensure_waste_collections()
        again = services.ensure_waste_collections()
    assert result == {"created": 2, "closed": 1}
    assert again == {"created": 0, "closed": 0}
    assert reload(last_week).status == WasteCollection.Status.CLOSED
    with scopes_disabled():
        assert WasteCollection.objects.filter(
            enterprise=w.uni.university, collection_date=date(2025, 6, 12), status="open"
        ).exists()
        assert OperationLog.objects.filter(object_id=str(last_week.pk), username="system").count() == 1


def test_the_task_only_calls_the_service(world, settings):
    from chemicals import tasks

    build_waste(world, open_collection=False)
    assert settings.CELERY_BEAT_SCHEDULE["waste-collections"]["task"] == tasks.WASTE_COLLECTIONS_TASK
    with time_machine.travel(sh(2025, 6, 2, 0, 10), tick=False):
        assert tasks.ensure_waste_collections.apply().get() == {"created": 2, "closed": 0}


# ---- registering -------------------------------------------------------------------------------------


def test_registering_empty_packages_is_their_stock_out_and_frees_quota(world):
    w = build_waste(world)
    lab = w.uni.organic
    keep = in_use(lab, w.chem.ethanol, "500")  # 0.5 kg, still in use
    empty = [used_up(lab, w.chem.sodium_hydroxide, "1000"), used_up(lab, w.chem.methanol, "2.5")]  # 1 + 2.5 kg
    assert held(lab) == kg("4.0")

    registration = register(w, "t_alice", lab, packages=empty, quantities={C.CHEMICAL_LIQUID: 2, C.SHARPS: 0})

    assert held(lab) == kg("0.5")
    for package in empty:
        package = reload(package)
        assert package.status == Package.Status.COLLECTED
        assert package.waste_registration_id == registration.pk
        assert package.collected_at is not None
    assert reload(keep).status == Package.Status.IN_USE
    with scopes_disabled():
        # Zero rows are not stored.
        assert list(registration.items.values_list("category", "quantity")) == [(C.CHEMICAL_LIQUID, 2)]


def test_a_student_registers_for_the_own_lab(world):
    w = build_waste(world)
    registration = register(w, "s_active", w.uni.organic, quantities={C.BIOLOGICAL_SOLID: 3})
    assert registration.registered_by_id == w.uni.s_active.user_id


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("t_bob", ValidationError),  # a lab teacher, of another lab: the lab field is refused
        ("far_teacher", ValidationError),  # another university's teacher: likewise
        ("college_admin", PermissionDenied),  # not lab people at all
        ("centre", PermissionDenied),
        ("officer", PermissionDenied),
    ],
)
def test_only_the_labs_people_register(world, who, error):
    w = build_waste(world)
    with pytest.raises(error) as refused:
        register(w, who, w.uni.organic)
    if error is ValidationError:
        assert "lab" in refused.value.message_dict
    with scopes_disabled():
        assert not WasteRegistration.objects.exists()


def test_another_labs_package_is_refused_and_nothing_is_stored(world):
    w = build_waste(world)
    mine = used_up(w.uni.organic, w.chem.ethanol)
    theirs = used_up(w.uni.analytic, w.chem.ethanol)
    with pytest.raises(ValidationError) as refused:
        register(w, "t_alice", w.uni.organic, packages=[mine, theirs])
    assert "packages" in refused.value.message_dict
    assert "1 of the chosen packages" in refused.value.message_dict["packages"][0]
    assert reload(mine).status == Package.Status.USED_UP
    assert reload(theirs).status == Package.Status.USED_UP
    with scopes_disabled():
        assert not WasteRegistration.objects.exists()


@pytest.mark.parametrize("status", [Package.Status.IN_USE, Package.Status.ISSUED, Package.Status.COLLECTED])
def test_only_used_up_packages_are_taken(world, status):
    w = build_waste(world)
    package = used_up(w.uni.organic, w.chem.ethanol)
    with scopes_disabled():
        Package.objects.filter(pk=package.pk).update(status=status)
    with pytest.raises(ValidationError):
        register(w, "t_alice", w.uni.organic, packages=[package])
    assert reload(package).status == status


def test_nothing_to_register_is_a_clear_error(world):
    w = build_waste(world)
    with pytest.raises(ValidationError) as refused:
        register(w, "t_alice", w.uni.organic, quantities={C.CHEMICAL_LIQUID: 0})
    assert "Nothing to register" in refused.value.messages[0]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("building", {"building": "  "}),
        (C.SHARPS, {"quantities": {C.SHARPS: -1}}),
        (C.SHARPS, {"quantities": {C.SHARPS: 1000}}),
    ],
)
def test_bad_input_names_its_field(world, field, kwargs):
    w = build_waste(world)
    with pytest.raises(ValidationError) as refused:
        register(w, "t_alice", w.uni.organic, **kwargs)
    assert field in refused.value.message_dict


def test_another_universitys_route_or_collection_is_not_found(world):
    w = build_waste(world)
    far_collection = collection(w.uni.far_university, w.collection.collection_date)
    with pytest.raises(Http404):
        register(w, "t_alice", w.uni.organic, collection_id=far_collection.pk)
    with pytest.raises(ValidationError) as refused:
        register(w, "t_alice", w.uni.organic, route=w.far_route)
    assert "route" in refused.value.message_dict


def test_a_closed_collection_refuses_registrations(world):
    w = build_waste(world)
    with scopes_disabled():
        WasteCollection.objects.filter(pk=w.collection.pk).update(status=WasteCollection.Status.CLOSED)
    with pytest.raises(TransitionRefused):
        register(w, "t_alice", w.uni.organic)


# ---- cancelling --------------------------------------------------------------------------------------


def test_cancelling_before_the_deadline_gives_the_packages_back(world):
    w = build_waste(world)
    lab = w.uni.organic
    empty = [used_up(lab, w.chem.ethanol, "1000"), used_up(lab, w.chem.ethanol, "1000")]
    registration = register(w, "s_active", lab, packages=empty)
    assert held(lab) == kg("0")

    # Another member of the lab (the teacher) may cancel the student's registration.
    services.waste_registration_cancel(actor=w.actor("t_alice"), pk=registration.pk)

    assert reload(registration).status == WasteRegistration.Status.CANCELLED
    assert held(lab) == kg("2")
    for package in empty:
        package = reload(package)
        assert (package.status, package.waste_registration_id, package.collected_at) == (
            Package.Status.USED_UP,
            None,
            None,
        )
    # They can be registered again.
    again = register(w, "t_alice", lab, packages=empty)
    with scopes_disabled():
        assert again.packages.count() == 2
    with pytest.raises(TransitionRefused):
        services.waste_registration_cancel(actor=w.actor("t_alice"), pk=registration.pk)


def test_cancelling_after_the_deadline_is_refused(world):
    w = build_waste(world, open_collection=False)
    thursday = collection(w.uni.university, date(2025, 6, 5))
    package = used_up(w.uni.organic, w.chem.ethanol)
    with time_machine.travel(sh(2025, 6, 4, 20, 0), tick=False):
        registration = register(w, "t_alice", w.uni.organic, packages=[package], collection_id=thursday.pk)
    with time_machine.travel(sh(2025, 6, 5, 0, 0), tick=False), pytest.raises(TransitionRefused) as refused:
        services.waste_registration_cancel(actor=w.actor("t_alice"), pk=registration.pk)
    assert "2025-06-04 23:59" in refused.value.message
    assert reload(package).status == Package.Status.COLLECTED


@pytest.mark.parametrize(("who", "error"), [("t_bob", Http404), ("far_teacher", Http404), ("centre", PermissionDenied)])
def test_only_the_labs_people_cancel(world, who, error):
    w = build_waste(world)
    registration = register(w, "t_alice", w.uni.organic)
    with pytest.raises(error):
        services.waste_registration_cancel(actor=w.actor(who), pk=registration.pk)
    assert reload(registration).status == WasteRegistration.Status.REGISTERED


# ---- the centre --------------------------------------------------------------------------------------


def test_mark_collected_collects_the_registrations_and_tells_the_labs(world):
    w = build_waste(world)
    kept = register(w, "t_alice", w.uni.organic)
    dropped = register(w, "t_bob", w.uni.analytic)
    services.waste_registration_cancel(actor=w.actor("t_bob"), pk=dropped.pk)

    services.waste_collection_mark_collected(actor=w.actor("centre"), pk=w.collection.pk)

    assert reload(w.collection).status == WasteCollection.Status.COLLECTED
    assert reload(kept).status == WasteRegistration.Status.COLLECTED
    assert reload(dropped).status == WasteRegistration.Status.CANCELLED
    with scopes_disabled():
        assert Notification.objects.filter(recipient=w.uni.t_alice.user, title__contains="collected").count() == 1
        assert not Notification.objects.filter(recipient=w.uni.t_bob.user, title__contains="collected").exists()
    with pytest.raises(TransitionRefused):
        services.waste_collection_mark_collected(actor=w.actor("centre"), pk=w.collection.pk)


@pytest.mark.parametrize("who", ["t_alice", "officer", "uni_admin"])
def test_only_the_centre_runs_collections(world, who):
    w = build_waste(world)
    with pytest.raises(PermissionDenied):
        services.waste_collection_mark_collected(actor=w.actor(who), pk=w.collection.pk)
    with pytest.raises(PermissionDenied):
        services.waste_collection_save(actor=w.actor(who), collection_date=date(2030, 1, 3))


def test_moving_a_collection_tells_the_registered_labs(world):
    w = build_waste(world)
    register(w, "t_alice", w.uni.organic)
    new_day = w.collection.collection_date + timedelta(days=1)
    moved = services.waste_collection_save(
        actor=w.actor("centre"), pk=w.collection.pk, collection_date=new_day, note="周四停电,改周五"
    )
    assert moved.collection_date == new_day
    assert waste_schedule.local(moved.registration_deadline).date() == w.collection.collection_date
    with scopes_disabled():
        notice = Notification.objects.get(recipient=w.uni.t_alice.user)
    assert new_day.isoformat() in notice.title and notice.body == "周四停电,改周五"


def test_a_collection_date_is_unique_and_the_deadline_not_after_it(world):
    w = build_waste(world)
    with pytest.raises(ValidationError) as refused:
        services.waste_collection_save(actor=w.actor("centre"), collection_date=w.collection.collection_date)
    assert "collection_date" in refused.value.message_dict
    day = w.collection.collection_date + timedelta(days=7)
    with pytest.raises(ValidationError) as refused:
        services.waste_collection_save(
            actor=w.actor("centre"),
            collection_date=day,
            deadline=datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=SH),
        )
    assert "registration_deadline" in refused.value.message_dict


def test_an_extended_deadline_reopens_a_closed_collection(world):
    w = build_waste(world, open_collection=False)
    with time_machine.travel(sh(2025, 6, 5, 0, 30), tick=False):
        thursday = collection(w.uni.university, date(2025, 6, 5), status=WasteCollection.Status.CLOSED)
        reopened = services.waste_collection_save(
            actor=w.actor("centre"),
            pk=thursday.pk,
            collection_date=date(2025, 6, 5),
            deadline=datetime(2025, 6, 5, 10, 0),
            note="延长至周四10点",
        )
        assert reopened.status == WasteCollection.Status.OPEN
        register(w, "t_alice", w.uni.organic, collection_id=thursday.pk)


# ---- routes ------------------------------------------------------------------------------------------


def test_route_stops_keep_their_order_without_blanks_or_repeats(world):
    w = build_waste(world)
    route = services.waste_route_save(
        actor=w.actor("officer"),
        campus_id=w.chem.north.pk,
        name=" 北校区 新路线 ",
        stops=["理科楼", "", " 动科学院 ", "理科楼", "旱研院"],
    )
    assert (route.name, route.stops) == ("北校区 新路线", ["理科楼", "动科学院", "旱研院"])
    with pytest.raises(ValidationError) as refused:
        services.waste_route_save(
            actor=w.actor("centre"), campus_id=w.chem.north.pk, name="北校区路线", stops=["理科楼"]
        )
    assert "name" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.waste_route_save(actor=w.actor("t_alice"), campus_id=w.chem.north.pk, name="x", stops=["y"])


# ---- barrels -----------------------------------------------------------------------------------------


def test_barrel_request_delivered_by_the_centre(world):
    w = build_waste(world)
    request = services.waste_barrel_request(
        actor=w.actor("t_alice"), lab_id=w.uni.organic.pk, campus_id=w.chem.north.pk, kind=C.CHEMICAL_LIQUID, quantity=3
    )
    with scopes_disabled():
        assert Notification.objects.filter(recipient=w.chem.centre.user).count() == 1
    with pytest.raises(PermissionDenied):
        services.waste_barrel_deliver(actor=w.actor("t_alice"), pk=request.pk)
    services.waste_barrel_deliver(actor=w.actor("centre"), pk=request.pk)
    request = reload(request)
    assert request.status == BarrelRequest.Status.DELIVERED and request.delivered_at is not None
    with scopes_disabled():
        assert Notification.objects.filter(recipient=w.uni.t_alice.user, title__contains="delivered").exists()
    with pytest.raises(TransitionRefused):
        services.waste_barrel_cancel(actor=w.actor("centre"), pk=request.pk)


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("s_active", "cancelled"), ("centre", "cancelled"), ("t_bob", Http404), ("far_teacher", Http404)],
)
def test_barrel_request_cancelled_by_the_lab_or_the_centre(world, who, outcome):
    w = build_waste(world)
    request = services.waste_barrel_request(
        actor=w.actor("t_alice"),
        lab_id=w.uni.organic.pk,
        campus_id=w.chem.south.pk,
        kind=C.BIOLOGICAL_LIQUID,
        quantity=1,
    )
    if outcome == "cancelled":
        services.waste_barrel_cancel(actor=w.actor(who), pk=request.pk)
        assert reload(request).status == BarrelRequest.Status.CANCELLED
    else:
        with pytest.raises(outcome):
            services.waste_barrel_cancel(actor=w.actor(who), pk=request.pk)
        assert reload(request).status == BarrelRequest.Status.REQUESTED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": C.SHARPS}, "kind"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 51}, "quantity"),
        ({"lab": "analytic"}, "lab"),
    ],
)
def test_barrel_request_input_is_checked(world, kwargs, field):
    w = build_waste(world)
    args = {"kind": C.CHEMICAL_LIQUID, "quantity": 1, **kwargs}
    lab = getattr(w.uni, args.pop("lab", "organic"))
    with pytest.raises(ValidationError) as refused:
        services.waste_barrel_request(actor=w.actor("t_alice"), lab_id=lab.pk, campus_id=w.chem.north.pk, **args)
    assert field in refused.value.message_dict
    with scopes_disabled():
        assert not BarrelRequest.objects.exists()


def test_waste_item_containers_follow_seed_000():
    assert {c: WasteItem.CONTAINER[c] for c in C} == {
        C.CHEMICAL_LIQUID: "barrel",
        C.BIOLOGICAL_LIQUID: "barrel",
        C.CHEMICAL_SOLID: "bag",
        C.BIOLOGICAL_SOLID: "bag",
        C.SHARPS: "bag",
    }
