"""Shared fixtures: a small world of regions, bodies and enterprises, and the alice / bob / charlie people.

World (codes are real ones):
    四川省 > 泸州市 > 江阳区 > 南城街道        贵州省 > 贵阳市 > 南明区
                    > 龙马潭区
Bodies: 泸州市局 > 江阳区局 > 南城办;  泸州市局 > 龙马潭区局;  贵阳市局
Enterprises: acme (南城, owning body 南城办, approved), other (龙马潭, owning body 龙马潭区局), far (贵阳)
People (enterprise side): alice = acme admin, bob = acme staff, charlie = admin of `far`
People (government side): gov_alice = 南城办 reviewer, gov_bob = 南城办 leader (read-only),
    gov_charlie = 贵阳市局 reviewer (outside the jurisdiction), city_reviewer = 泸州市局 reviewer
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.db import connection

from enterprises.models import Enterprise, Membership, Region, SupervisoryBody
from safety.actors import Actor

from .factories import EnterpriseFactory, MembershipFactory, UserFactory, actor_for, make_body, make_region


def pytest_collection_modifyitems(config, items):
    """Race tests need PostgreSQL row locks. In CI a skipped race test would hide a missing database: fail."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI must run the tests on PostgreSQL (set DATABASE_URL).")
    skip = pytest.mark.skip(reason="race tests need PostgreSQL: set DATABASE_URL=postgres://…")
    for item in items:
        if "race" in item.keywords:
            item.add_marker(skip)


@dataclass
class World:
    sichuan: Region
    luzhou: Region
    jiangyang: Region
    nancheng: Region
    longmatan: Region
    guizhou: Region
    guiyang: Region
    nanming: Region
    city_bureau: SupervisoryBody
    jiangyang_bureau: SupervisoryBody
    nancheng_office: SupervisoryBody
    longmatan_bureau: SupervisoryBody
    guiyang_bureau: SupervisoryBody
    acme: Enterprise
    other: Enterprise
    far: Enterprise
    alice: Membership
    bob: Membership
    charlie: Membership
    gov_alice: Membership
    gov_bob: Membership
    gov_charlie: Membership
    city_reviewer: Membership

    def actor(self, name: str) -> Actor:
        return actor_for(getattr(self, name))


@pytest.fixture
def world(db) -> World:
    sichuan = make_region("510000000000", "四川省", "province", name_en="Sichuan")
    luzhou = make_region("510500000000", "泸州市", "city", sichuan, name_en="Luzhou")
    jiangyang = make_region("510502000000", "江阳区", "county", luzhou, name_en="Jiangyang District")
    nancheng = make_region("510502001000", "南城街道", "township", jiangyang, name_en="Nancheng Subdistrict")
    longmatan = make_region("510504000000", "龙马潭区", "county", luzhou, name_en="Longmatan District")
    guizhou = make_region("520000000000", "贵州省", "province", name_en="Guizhou")
    guiyang = make_region("520100000000", "贵阳市", "city", guizhou, name_en="Guiyang")
    nanming = make_region("520102000000", "南明区", "county", guiyang, name_en="Nanming District")

    city_bureau = make_body("泸州市应急管理局", "city", luzhou)
    jiangyang_bureau = make_body("江阳区应急管理局", "county", jiangyang, city_bureau)
    nancheng_office = make_body("南城街道安监办", "township", nancheng, jiangyang_bureau)
    longmatan_bureau = make_body("龙马潭区应急管理局", "county", longmatan, city_bureau)
    guiyang_bureau = make_body("贵阳市应急管理局", "city", guiyang)

    acme = EnterpriseFactory(
        name="阿克米化工有限公司", owning_body=nancheng_office, region=nancheng, industry="hazardous_chemicals"
    )
    other = EnterpriseFactory(name="龙马潭机械厂", owning_body=longmatan_bureau, region=longmatan)
    far = EnterpriseFactory(name="贵阳远方公司", owning_body=guiyang_bureau, region=nanming)

    def member(org, role, username):
        kwargs = {"enterprise": org} if isinstance(org, Enterprise) else {"body": org}
        return MembershipFactory(user=UserFactory(username=username), role=role, **kwargs)

    return World(
        sichuan=sichuan,
        luzhou=luzhou,
        jiangyang=jiangyang,
        nancheng=nancheng,
        longmatan=longmatan,
        guizhou=guizhou,
        guiyang=guiyang,
        nanming=nanming,
        city_bureau=city_bureau,
        jiangyang_bureau=jiangyang_bureau,
        nancheng_office=nancheng_office,
        longmatan_bureau=longmatan_bureau,
        guiyang_bureau=guiyang_bureau,
        acme=acme,
        other=other,
        far=far,
        alice=member(acme, Membership.Role.ENTERPRISE_ADMIN, "alice"),
        bob=member(acme, Membership.Role.STAFF, "bob"),
        charlie=member(far, Membership.Role.ENTERPRISE_ADMIN, "charlie"),
        gov_alice=member(nancheng_office, Membership.Role.REVIEWER, "gov_alice"),
        gov_bob=member(nancheng_office, Membership.Role.LEADER, "gov_bob"),
        gov_charlie=member(guiyang_bureau, Membership.Role.REVIEWER, "gov_charlie"),
        city_reviewer=member(city_bureau, Membership.Role.REVIEWER, "city_reviewer"),
    )


@pytest.fixture
def login(client):
    """login(membership) → the test client, logged in and working as that membership."""

    def _login(membership: Membership, c=None):
        c = c or client
        c.force_login(membership.user)
        session = c.session
        from safety.tenancy import ACTIVE_MEMBERSHIP_SESSION_KEY

        session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
        session.save()
        return c

    return _login


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run must install Debian's chromium.")
        pytest.skip("Browser tests need Debian's chromium (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def db_vendor(db) -> str:
    return connection.vendor


@pytest.fixture
def english_messages():
    """Assert a service's message in its English source text: the site's default language is Chinese, and the
    catalogue translates every message. Thread workers (race tests) activate it themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield
