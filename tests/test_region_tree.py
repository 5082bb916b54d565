"""The region tree: the official fixture loads idempotently, subtrees are prefix queries on an index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from enterprises.models import Region, SupervisoryBody
from enterprises.reference import load_bodies, load_regions
from safety.tenancy import scopes_disabled

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "regions.json"
LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def _walk(nodes, parent=None):
    for node in nodes:
        yield node, parent
        yield from _walk(node.get("children") or [], node)


def test_fixture_codes_are_official_shape_and_nest():
    nodes = list(_walk(json.loads(FIXTURE.read_text("utf-8"))))
    codes = [n["code"] for n, _ in nodes]
    assert len(codes) == len(set(codes))
    for node, parent in nodes:
        digits = LEVEL_DIGITS[node["level"]]
        assert len(node["code"]) == 12 and node["code"].isdigit()
        assert node["code"][digits:] == "0" * (12 - digits), node
        if parent is not None:
            parent_digits = LEVEL_DIGITS[parent["level"]]
            assert node["code"].startswith(parent["code"][:parent_digits]), node
    names = {n["name"] for n, _ in nodes}
    # What the issue asks for: Luzhou with all its districts and counties, Guiyang, Yangling.
    assert {"泸州市", "江阳区", "纳溪区", "龙马潭区", "泸县", "合江县", "叙永县", "古蔺县"} <= names
    assert {"贵阳市", "杨陵区"} <= names


@pytest.mark.django_db
def test_reference_data_loads_idempotently():
    with scopes_disabled():
        first = load_regions()
        bodies = load_bodies()
        assert first == Region.objects.count() > 200
        assert bodies == SupervisoryBody.objects.count() > 5
        assert load_regions() == 0 and load_bodies() == 0
        luzhou = Region.objects.get(code="510500000000")
        counties = Region.objects.filter(path__startswith=luzhou.path, level="county")
        assert counties.count() == 7
        township_body = SupervisoryBody.objects.get(name="江阳区南城街道安全生产监督管理办公室")
        assert SupervisoryBody.objects.get_parent(township_body).name == "江阳区应急管理局"
        assert township_body.region.path.startswith(luzhou.path)


@pytest.mark.django_db
def test_subtree_query_is_a_path_prefix_backed_by_a_pattern_index(world):
    qs = Region.objects.filter(world.luzhou.subtree_q())
    assert set(qs.values_list("name", flat=True)) == {"泸州市", "江阳区", "南城街道", "龙马潭区"}
    sql = str(qs.query)
    assert "LIKE" in sql.upper()
    if connection.vendor != "postgresql":
        pytest.skip("index kinds are checked on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Region._meta.db_table])
        indexes = [row[0] for row in cursor.fetchall()]
    # LIKE 'prefix%' can use a btree index only with the pattern operator class (or C collation).
    assert any("(path varchar_pattern_ops)" in d for d in indexes), indexes


@pytest.mark.django_db
def test_region_options_follow_the_owning_body(world, client):
    html = client.get(f"/register/regions/?owning_body={world.jiangyang_bureau.pk}").content.decode()
    assert "南城街道" in html and "江阳区" in html
    assert "龙马潭区" not in html and "南明区" not in html
    everything = client.get("/register/regions/?owning_body=abc")
    assert everything.status_code == 200 and "南明区" in everything.content.decode()
