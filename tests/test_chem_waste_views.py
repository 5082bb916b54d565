"""Waste collection pages: the registration form (default-all packages, refusals keep the input), who sees what
(another lab, another college, another university → 404), the centre's pages, the route PDF in stop order,
barrel requests, figures, menus and query counts."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from chemicals import services, waste_schedule
from chemicals.models import BarrelRequest, Package, WasteCollection, WasteItem, WasteRegistration, WasteRoute
from enterprises.models import Department
from safety.menus import menu_for
from safety.tenancy import actor_scope, scopes_disabled

from .chem_waste_helpers import C, build_waste, collection, held, in_use, kg, lab_teacher, register, reload, used_up
from .university_world import department

pytestmark = pytest.mark.django_db
SH = waste_schedule.SHANGHAI


def client_for(login, membership) -> Client:
    return login(membership, Client())


def form_data(w, lab, packages=(), **extra) -> dict:
    data = {
        "collection": str(w.collection.pk),
        "lab": str(lab.pk),
        "route": str(w.north_route.pk),
        "building": "动科学院",
        "room": "305",
        "phone": "13911112222",
        "note": "",
        "packages": [str(p.pk) for p in packages],
        **{c: "" for c in C.values},
    }
    data.update(extra)
    return data


# ---- the registration form ------------------------------------------------------------------------------


def test_the_form_offers_the_labs_used_up_packages_all_ticked(world, login):
    w = build_waste(world)
    mine = [used_up(w.uni.organic, w.chem.ethanol), used_up(w.uni.organic, w.chem.acetone)]
    still_used = in_use(w.uni.organic, w.chem.ethanol)
    theirs = used_up(w.uni.analytic, w.chem.ethanol)
    c = client_for(login, w.uni.t_alice)

    page = c.get(reverse("chemicals:waste_register")).content.decode()

    ticked = set(re.findall(r'name="packages" value="(\d+)" id="[^"]+" checked', page))
    offered = set(re.findall(r'name="packages" value="(\d+)"', page))
    assert ticked == offered == {str(p.pk) for p in mine}
    assert str(still_used.pk) not in offered and str(theirs.pk) not in offered
    assert 'value="13800000000"' in page  # the phone, prefilled from the user
    for stop in ("理科楼", "旱研院", "水保所"):  # the routes' stops to choose from
        assert f'<option value="{stop}">' in page
    assert 'data-testid="waste-quantities"' in page


def test_submitting_registers_and_frees_quota(world, login):
    w = build_waste(world)
    empty = [used_up(w.uni.organic, w.chem.sodium_hydroxide, "1000"), used_up(w.uni.organic, w.chem.ethanol, "500")]
    assert held(w.uni.organic) == kg("1.5")
    c = client_for(login, w.uni.s_active)

    response = c.post(reverse("chemicals:waste_register"), form_data(w, w.uni.organic, empty, chemical_liquid="1"))

    assert response.status_code == 302
    with scopes_disabled():
        registration = WasteRegistration.objects.get()
    assert response["Location"] == reverse("chemicals:waste_registration_detail", args=[registration.pk])
    assert held(w.uni.organic) == kg("0")
    page = c.get(response["Location"]).content.decode()
    assert all(p.code in page for p in empty)
    assert 'data-testid="registration-cancel"' in page


def test_another_labs_package_id_is_refused_and_the_input_kept(world, login):
    w = build_waste(world)
    mine = used_up(w.uni.organic, w.chem.ethanol)
    theirs = used_up(w.uni.analytic, w.chem.ethanol)
    c = client_for(login, w.uni.t_alice)

    response = c.post(
        reverse("chemicals:waste_register"), form_data(w, w.uni.organic, [mine, theirs], building="新建实验楼")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="新建实验楼"' in page
    assert "Select a valid choice" in page or "选择一个有效的选项" in page
    assert reload(theirs).status == Package.Status.USED_UP
    assert reload(mine).status == Package.Status.USED_UP
    with scopes_disabled():
        assert not WasteRegistration.objects.exists()


def test_nothing_at_all_is_a_clear_error(world, login):
    w = build_waste(world)
    c = client_for(login, w.uni.t_alice)
    response = c.post(reverse("chemicals:waste_register"), form_data(w, w.uni.organic))
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()
    with scopes_disabled():
        assert not WasteRegistration.objects.exists()


def test_a_form_sent_after_the_deadline_is_refused_with_the_deadline(world, login):
    w = build_waste(world, open_collection=False)
    w.collection = collection(w.uni.university, date(2025, 6, 5))
    package = used_up(w.uni.organic, w.chem.ethanol)
    c = client_for(login, w.uni.t_alice)
    with time_machine.travel(datetime(2025, 6, 4, 23, 50, tzinfo=SH), tick=False):
        assert str(w.collection.pk) in c.get(reverse("chemicals:waste_register")).content.decode()
    with time_machine.travel(datetime(2025, 6, 5, 0, 0, 0, tzinfo=SH), tick=False):
        response = c.post(reverse("chemicals:waste_register"), form_data(w, w.uni.organic, [package]))
        page = response.content.decode()
        assert response.status_code == 400
        assert "2025-06-04 23:59" in page
        assert reload(package).status == Package.Status.USED_UP
        # And the page now says no collection is open.
        assert 'data-testid="no-open-collection"' in c.get(reverse("chemicals:waste_register")).content.decode()


def test_a_teacher_of_two_labs_switches_between_them(world, login):
    w = build_waste(world)
    with scopes_disabled():
        Department.objects.filter(pk=w.uni.analytic.pk).update(head=w.uni.t_alice.user)
    theirs = used_up(w.uni.analytic, w.chem.ethanol)
    c = client_for(login, w.uni.t_alice)
    page = c.get(reverse("chemicals:waste_register") + f"?lab={w.uni.analytic.pk}").content.decode()
    assert 'data-testid="lab-switch"' in page
    assert f'name="packages" value="{theirs.pk}"' in page


@pytest.mark.parametrize("who", ["college_admin", "centre", "officer"])
def test_the_form_is_for_lab_people(world, login, who):
    w = build_waste(world)
    membership = getattr(w.uni, who, None) or getattr(w.chem, who)
    assert client_for(login, membership).get(reverse("chemicals:waste_register")).status_code == 403


# ---- who sees a registration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "lab", "status"),
    [
        ("t_alice", "organic", 200),  # the lab's teacher
        ("s_active", "organic", 200),  # the lab's student
        ("t_bob", "organic", 404),  # another lab
        ("college_admin", "organic", 200),  # its college
        ("college_admin", "microbio", 404),  # another college
        ("centre", "microbio", 200),
        ("officer", "microbio", 200),
        ("far_teacher", "organic", 404),  # another university
    ],
)
def test_registration_detail_visibility(world, login, who, lab, status):
    w = build_waste(world)
    lab_obj = getattr(w.uni, lab)
    if lab == "microbio":
        owner = lab_teacher(w.uni.university, "t_micro", lab_obj)
        registration = register(w, "", lab_obj, actor=_actor(owner))
    else:
        registration = register(w, "t_alice", lab_obj)
    membership = getattr(w.uni, who, None) or getattr(w.chem, who)
    c = client_for(login, membership)
    assert c.get(reverse("chemicals:waste_registration_detail", args=[registration.pk])).status_code == status
    listed = c.get(reverse("chemicals:waste_registrations"))
    if listed.status_code == 200:
        assert (f'/waste/registrations/{registration.pk}/"' in listed.content.decode()) is (status == 200)


def _actor(membership):
    from .factories import actor_for

    return actor_for(membership)


def test_cancel_through_the_page(world, login):
    w = build_waste(world)
    package = used_up(w.uni.organic, w.chem.ethanol)
    registration = register(w, "t_alice", w.uni.organic, packages=[package])
    url = reverse("chemicals:waste_registration_cancel", args=[registration.pk])
    assert client_for(login, w.uni.t_bob).post(url).status_code == 404
    response = client_for(login, w.uni.s_active).post(url)
    assert response.status_code == 302
    assert reload(registration).status == WasteRegistration.Status.CANCELLED
    assert reload(package).status == Package.Status.USED_UP


# ---- the centre's collection pages and the route PDF ------------------------------------------------------


def _three_labs_on_the_north_route(w):
    """Registered out of stop order: microbio at 旱研院, organic at 动科学院, analytic at 理科楼, and one lab at a
    building off the route (after the last stop)."""
    micro_teacher = lab_teacher(w.uni.university, "t_micro", w.uni.microbio)
    register(w, "", w.uni.microbio, building="旱研院", actor=_actor(micro_teacher), quantities={C.SHARPS: 2})
    register(w, "t_alice", w.uni.organic, building="动科学院", packages=[used_up(w.uni.organic, w.chem.ethanol)])
    register(w, "t_bob", w.uni.analytic, building="理科楼", quantities={C.CHEMICAL_SOLID: 4})
    extra_lab = department(w.uni.university, "土壤实验室", Department.Kind.LAB, w.uni.life)
    soil_teacher = lab_teacher(w.uni.university, "t_soil", extra_lab)
    register(w, "", extra_lab, building="资环楼", actor=_actor(soil_teacher))
    register(w, "t_alice", w.uni.organic, building="农科楼", route=w.south_route)


def test_collection_detail_lists_each_route_in_stop_order(world, login):
    w = build_waste(world)
    _three_labs_on_the_north_route(w)
    page = (
        client_for(login, w.chem.centre)
        .get(reverse("chemicals:waste_collection_detail", args=[w.collection.pk]))
        .content.decode()
    )
    north = page[page.index('data-route="北校区路线"') : page.index('data-route="南校区路线"')]
    labs = re.findall(r'data-testid="route-row" data-lab="([^"]+)"', north)
    assert labs == ["分析化学实验室", "有机化学实验室", "微生物实验室", "土壤实验室"]
    assert 'data-building="资环楼"' in north
    south = page[page.index('data-route="南校区路线"') :]
    assert re.findall(r'data-testid="route-row" data-lab="([^"]+)"', south) == ["有机化学实验室"]


def test_a_lab_sees_only_its_own_rows_on_the_collection(world, login):
    w = build_waste(world)
    _three_labs_on_the_north_route(w)
    page = (
        client_for(login, w.uni.t_bob)
        .get(reverse("chemicals:waste_collection_detail", args=[w.collection.pk]))
        .content.decode()
    )
    assert re.findall(r'data-testid="route-row" data-lab="([^"]+)"', page) == ["分析化学实验室"]
    assert 'data-testid="collection-pdf"' not in page and 'data-testid="collection-collected"' not in page


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def test_route_pdf_lists_the_labs_in_stop_order(world, login):
    w = build_waste(world)
    _three_labs_on_the_north_route(w)
    c = client_for(login, w.chem.centre)
    response = c.get(reverse("chemicals:waste_collection_pdf", args=[w.collection.pk]) + f"?route={w.north_route.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    positions = [text.index(name) for name in ("分析化学实验室", "有机化学实验室", "微生物实验室", "土壤实验室")]
    assert positions == sorted(positions)
    assert "北校区路线" in text and "南校区路线" not in text
    assert "13900000000" in text  # the contact's phone

    everything = _pdf_text(c.get(reverse("chemicals:waste_collection_pdf", args=[w.collection.pk])).content)
    assert "北校区路线" in everything and "南校区路线" in everything


@pytest.mark.parametrize(("who", "status"), [("t_alice", 403), ("officer", 200), ("far_teacher", 404)])
def test_route_pdf_is_for_the_central_units(world, login, who, status):
    w = build_waste(world)
    membership = getattr(w.uni, who)
    url = reverse("chemicals:waste_collection_pdf", args=[w.collection.pk])
    assert client_for(login, membership).get(url).status_code == status


def test_another_universitys_route_in_the_pdf_is_404(world, login):
    w = build_waste(world)
    url = reverse("chemicals:waste_collection_pdf", args=[w.collection.pk]) + f"?route={w.far_route.pk}"
    assert client_for(login, w.chem.centre).get(url).status_code == 404


def test_the_centre_adds_edits_and_marks_a_collection_collected(world, login):
    w = build_waste(world)
    register(w, "t_alice", w.uni.organic)
    c = client_for(login, w.chem.centre)
    response = c.post(
        reverse("chemicals:waste_collection_create"),
        {"collection_date": "2030-01-10", "registration_deadline": "", "note": "寒假前最后一次"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        extra = WasteCollection.objects.get(collection_date=date(2030, 1, 10))
    assert waste_schedule.local(extra.registration_deadline).strftime("%Y-%m-%d %H:%M") == "2030-01-09 23:59"
    response = c.post(
        reverse("chemicals:waste_collection_edit", args=[extra.pk]),
        {"collection_date": "2030-01-11", "registration_deadline": "2030-01-10T12:00", "note": "改周五"},
    )
    assert response.status_code == 302
    extra = reload(extra)
    assert (extra.collection_date, extra.note) == (date(2030, 1, 11), "改周五")
    assert waste_schedule.local(extra.registration_deadline).strftime("%Y-%m-%d %H:%M:%S") == "2030-01-10 12:00:59"

    response = c.post(reverse("chemicals:waste_collection_collected", args=[w.collection.pk]))
    assert response.status_code == 302
    assert reload(w.collection).status == WasteCollection.Status.COLLECTED
    with scopes_disabled():
        assert WasteRegistration.objects.get().status == WasteRegistration.Status.COLLECTED
    # A collected collection can no longer be edited.
    response = c.post(
        reverse("chemicals:waste_collection_edit", args=[w.collection.pk]),
        {"collection_date": "2030-02-01", "note": ""},
    )
    assert response.status_code == 400
    assert reload(w.collection).collection_date != date(2030, 2, 1)


@pytest.mark.parametrize("who", ["t_alice", "officer"])
def test_only_the_centre_changes_collections(world, login, who):
    w = build_waste(world)
    c = client_for(login, getattr(w.uni, who))
    assert c.get(reverse("chemicals:waste_collection_create")).status_code == 403
    assert c.post(reverse("chemicals:waste_collection_collected", args=[w.collection.pk])).status_code == 403
    assert reload(w.collection).status == WasteCollection.Status.OPEN


def test_routes_are_kept_by_the_centre_or_the_office(world, login):
    w = build_waste(world)
    c = client_for(login, w.uni.officer)
    response = c.post(
        reverse("chemicals:waste_route_create"),
        {"campus": str(w.chem.south.pk), "name": "南校区二线", "stops": "农科楼\r\n\r\n科研主楼\r\n农科楼\r\n"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        route = WasteRoute.objects.get(name="南校区二线")
    assert route.stops == ["农科楼", "科研主楼"]
    edit = reverse("chemicals:waste_route_edit", args=[route.pk])
    assert "农科楼\n科研主楼" in c.get(edit).content.decode()
    response = c.post(edit, {"campus": str(w.chem.south.pk), "name": "北校区路线", "stops": "x"})
    assert response.status_code == 400  # the name is taken
    teacher = client_for(login, w.uni.t_alice)
    assert teacher.get(edit).status_code == 403
    assert teacher.get(reverse("chemicals:waste_routes")).status_code == 200
    assert client_for(login, w.uni.far_teacher).get(edit).status_code == 404


# ---- barrels -----------------------------------------------------------------------------------------


def test_barrel_request_through_the_pages(world, login):
    w = build_waste(world)
    teacher = client_for(login, w.uni.t_alice)
    response = teacher.post(
        reverse("chemicals:waste_barrel_create"),
        {"lab": str(w.uni.organic.pk), "campus": str(w.chem.north.pk), "kind": C.CHEMICAL_LIQUID, "quantity": "2"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        request = BarrelRequest.objects.get()
    centre = client_for(login, w.chem.centre)
    page = centre.get(reverse("chemicals:waste_barrels")).content.decode()
    assert 'data-testid="barrel-deliver"' in page
    assert 'data-testid="barrel-deliver"' not in teacher.get(reverse("chemicals:waste_barrels")).content.decode()
    assert (
        client_for(login, w.uni.t_bob).post(reverse("chemicals:waste_barrel_cancel", args=[request.pk])).status_code
        == 404
    )
    assert teacher.post(reverse("chemicals:waste_barrel_deliver", args=[request.pk])).status_code == 403
    assert centre.post(reverse("chemicals:waste_barrel_deliver", args=[request.pk])).status_code == 302
    assert reload(request).status == BarrelRequest.Status.DELIVERED
    export = centre.get(reverse("chemicals:waste_barrels") + "?export=xlsx")
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][1] == "有机化学实验室" and 2 in rows[1]


# ---- figures -----------------------------------------------------------------------------------------


def test_figures_per_lab_over_a_date_range(world, login):
    w = build_waste(world)
    last = collection(w.uni.university, date(2025, 3, 6))
    older = collection(w.uni.university, date(2024, 12, 5))
    for found in (last, older):
        with scopes_disabled():
            registration = WasteRegistration.objects.create(
                enterprise=w.uni.university,
                collection=found,
                lab=w.uni.organic,
                route=w.north_route,
                building="动科学院",
                registered_by=w.uni.t_alice.user,
                phone="1",
                status=WasteRegistration.Status.COLLECTED,
            )
            WasteItem.objects.create(
                enterprise=w.uni.university, registration=registration, category=C.CHEMICAL_LIQUID, quantity=3
            )
            WasteItem.objects.create(
                enterprise=w.uni.university, registration=registration, category=C.SHARPS, quantity=1
            )
        used_up(w.uni.organic, w.chem.ethanol, status=Package.Status.COLLECTED, waste_registration=registration)
    # Registered but not collected yet: not counted.
    register(w, "t_bob", w.uni.analytic, quantities={C.CHEMICAL_LIQUID: 9})

    c = client_for(login, w.uni.officer)
    export = c.get(reverse("chemicals:waste_figures") + "?start=2025-01-01&end=2025-12-31&export=xlsx")
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 2
    header, organic = rows
    assert organic[:2] == ("化学学院", "有机化学实验室")
    assert organic[2:] == (3, 0, 0, 0, 1, 1, 1)  # five categories, empty packages, collections
    export = c.get(reverse("chemicals:waste_figures") + "?start=2024-01-01&end=2025-12-31&export=xlsx")
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.values)
    assert rows[1][2:] == (6, 0, 0, 0, 2, 2, 2)
    assert client_for(login, w.uni.t_alice).get(reverse("chemicals:waste_figures")).status_code == 403


# ---- menus -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("t_alice", {"chemicals:waste_register", "chemicals:waste_barrels"}, {"chemicals:waste_collections"}),
        ("s_active", {"chemicals:waste_register"}, {"chemicals:waste_routes"}),
        ("centre", {"chemicals:waste_collections", "chemicals:waste_routes"}, {"chemicals:waste_register"}),
        ("officer", {"chemicals:waste_figures", "chemicals:waste_routes"}, {"chemicals:waste_register"}),
    ],
)
def test_menus(world, who, present, absent):
    w = build_waste(world)
    actor = w.actor(who)
    with actor_scope(actor):
        names = {e.url_name for e in menu_for(actor)}
    assert present <= names
    assert not (absent & names)


# ---- query counts ------------------------------------------------------------------------------------

FEW, MANY = 2, 30


def _grow_registrations(w, n: int) -> None:
    """n registrations (of n labs) on the open collection, each with items and an empty package."""
    with scopes_disabled():
        have = WasteRegistration.objects.filter(collection=w.collection).count()
        for i in range(have, n):
            lab = Department.objects.create(
                enterprise=w.uni.university,
                name=f"实验室{i:02d}",
                kind=Department.Kind.LAB,
                parent=w.uni.chemistry,
                level=Department.Level.WORKSHOP,
            )
            registration = WasteRegistration.objects.create(
                enterprise=w.uni.university,
                collection=w.collection,
                lab=lab,
                route=w.north_route if i % 2 else w.south_route,
                building=w.north_route.stops[i % 6] if i % 2 else "其他楼",
                registered_by=w.uni.t_alice.user,
                phone="1",
                status=WasteRegistration.Status.COLLECTED,
            )
            WasteItem.objects.create(
                enterprise=w.uni.university, registration=registration, category=C.CHEMICAL_LIQUID, quantity=1
            )
            used_up(lab, w.chem.ethanol, status=Package.Status.COLLECTED, waste_registration=registration)
            BarrelRequest.objects.create(
                enterprise=w.uni.university,
                lab=lab,
                campus=w.chem.north,
                kind=C.CHEMICAL_LIQUID,
                quantity=1,
                requested_by=w.uni.t_alice.user,
            )
            collection(w.uni.university, date(2020, 1, 2 + i))
            WasteRoute.objects.create(
                enterprise=w.uni.university, campus=w.chem.north, name=f"路线{i:02d}", stops=["理科楼"]
            )


def _measure(c: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("centre", "waste_registrations"),
        ("centre", "waste_collections"),
        ("centre", "waste_barrels"),
        ("centre", "waste_routes"),
        ("officer", "waste_figures"),
        ("college_admin", "waste_registrations"),
        ("centre", "detail"),
        ("centre", "pdf"),
    ],
)
def test_list_query_count_does_not_grow(world, login, django_assert_max_num_queries, who, url):
    w = build_waste(world)
    membership = getattr(w.uni, who, None) or getattr(w.chem, who)
    c = client_for(login, membership)
    if url == "detail":
        url = reverse("chemicals:waste_collection_detail", args=[w.collection.pk])
    elif url == "pdf":
        url = reverse("chemicals:waste_collection_pdf", args=[w.collection.pk])
    else:
        url = reverse(f"chemicals:{url}") + ("?start=2000-01-01" if url == "waste_figures" else "")
    _grow_registrations(w, FEW)
    c.get(url)  # warm-up
    few = _measure(c, url)
    _grow_registrations(w, MANY)
    with django_assert_max_num_queries(few):
        c.get(url)
    assert few <= 20


def test_the_centres_inbox_lists_barrels_to_deliver(world, login):
    w = build_waste(world)
    services.waste_barrel_request(
        actor=w.actor("t_alice"), lab_id=w.uni.organic.pk, campus_id=w.chem.north.pk, kind=C.CHEMICAL_LIQUID, quantity=2
    )
    page = client_for(login, w.chem.centre).get(reverse("approvals:inbox")).content.decode()
    assert "有机化学实验室 · 2 ×" in page
    assert (
        "有机化学实验室 · 2 ×" not in client_for(login, w.uni.t_alice).get(reverse("approvals:inbox")).content.decode()
    )


def test_registration_and_collection_lists_export_what_they_show(world, login):
    w = build_waste(world)
    register(w, "t_alice", w.uni.organic, quantities={C.CHEMICAL_LIQUID: 2, C.SHARPS: 1})
    register(w, "t_bob", w.uni.analytic, quantities={C.BIOLOGICAL_SOLID: 5})
    teacher = client_for(login, w.uni.t_alice)
    export = teacher.get(reverse("chemicals:waste_registrations") + "?export=xlsx")
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 2  # the header and the own lab's registration only
    row = rows[1]  # collection, lab, route, building, room, registered by, phone, the five categories, …
    assert row[1:4] == ("有机化学实验室", "北校区路线", "动科学院")
    assert tuple(row[7:12]) == (2, 0, 0, 0, 1)
    centre = client_for(login, w.chem.centre)
    export = centre.get(reverse("chemicals:waste_collections") + "?export=xlsx")
    rows = list(load_workbook(BytesIO(b"".join(export.streaming_content))).active.values)
    assert len(rows) == 2 and rows[1][3] == 2  # one collection, two registrations
