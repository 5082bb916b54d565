"""Platform features: what an enterprise role's permission set (角色权限) is chosen from.

An actor may use a feature when its platform role grants it by default (``ROLE_DEFAULTS``) or when one of
its membership's custom roles (enterprises.Role, defined by the enterprise) lists it. Apps register their
features at import time (see enterprises/features.py); the role editor offers every registered feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .actors import Actor


@dataclass(frozen=True)
class Feature:
    code: str
    label: object  # lazy translation
    group: object  # lazy translation: the heading it is listed under in the role editor


FEATURES: dict[str, Feature] = {}
# Platform role → feature codes it has without any custom role.
ROLE_DEFAULTS: dict[str, set[str]] = {}


def register(code: str, label, group, *, default_roles: tuple[str, ...] = ()) -> Feature:
    feature = Feature(code, label, group)
    FEATURES[code] = feature
    for role in default_roles:
        ROLE_DEFAULTS.setdefault(role, set()).add(code)
    return feature


def choices() -> list[tuple[str, str]]:
    return [(f.code, f"{f.group} · {f.label}") for f in FEATURES.values()]


def actor_can(actor: Actor, code: str) -> bool:
    if code not in FEATURES:
        raise KeyError(f"unknown feature {code!r}: register it in the app's features.py")
    membership = actor.membership
    if membership is None or not membership.is_active:
        return False
    if code in ROLE_DEFAULTS.get(membership.role, ()):
        return True
    if "custom_permissions" not in actor._cache:
        codes: set[str] = set()
        if membership.enterprise_id:
            for perms in membership.custom_roles.values_list("permissions", flat=True):
                codes.update(perms or ())
        actor._cache["custom_permissions"] = codes
    return code in actor._cache["custom_permissions"]
