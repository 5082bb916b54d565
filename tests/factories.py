"""Factories. They write with scopes disabled (set-up is not a tenant's action); tests then read as actors."""

from __future__ import annotations

import itertools

import factory
from django.db import connection

from enterprises.models import Enterprise, IndustryCategory, Membership, Region, SupervisoryBody, User
from enterprises.validators import credit_code_check_character
from safety.actors import Actor
from safety.tenancy import scopes_disabled

_codes = itertools.count(1)


def valid_credit_code(n: int | None = None) -> str:
    n = next(_codes) if n is None else n
    base = f"91510502MA{n:07d}"
    return base + credit_code_check_character(base)


class UnscopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            obj = model_class(*args, **kwargs)
            obj.save()
            return obj


class UserFactory(UnscopedFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-Secret-123")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save()


def make_region(code: str, name: str, level: str, parent: Region | None = None, name_en: str = "") -> Region:
    with scopes_disabled():
        fields = {"code": code, "name": name, "level": level, "name_en": name_en}
        if parent is None:
            return Region.objects.add_root(create_kwargs=fields)
        return Region.objects.add_child(Region.objects.get(pk=parent.pk), create_kwargs=fields)


def make_body(name: str, kind: str, region: Region, parent: SupervisoryBody | None = None, **extra) -> SupervisoryBody:
    with scopes_disabled():
        fields = {"name": name, "kind": kind, "region": region, **extra}
        if parent is None:
            return SupervisoryBody.objects.add_root(create_kwargs=fields)
        return SupervisoryBody.objects.add_child(SupervisoryBody.objects.get(pk=parent.pk), create_kwargs=fields)


class EnterpriseFactory(UnscopedFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.LazyFunction(valid_credit_code)
    industry = IndustryCategory.MACHINERY
    contact_name = "联系人"
    contact_phone = "13800000000"
    status = Enterprise.Status.APPROVED


class MembershipFactory(UnscopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STAFF
    status = Membership.Status.ACTIVE


def actor_for(membership: Membership | None, user: User | None = None) -> Actor:
    return Actor(user=user or membership.user, membership=membership)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
