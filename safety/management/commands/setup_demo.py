"""Reference data plus demo organisations and one account per role (README lists them). Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from safety.actors import Actor
from safety.tenancy import scopes_disabled

DEMO_PASSWORD = "Safety#2026"

BODY_USERS = [
    # username, full name, body, role
    ("luzhou_reviewer", "赵审核", "泸州市应急管理局", "reviewer"),
    ("jiangyang_reviewer", "钱审核", "江阳区应急管理局", "reviewer"),
    ("jiangyang_inspector", "孙检查", "江阳区应急管理局", "inspector"),
    ("nancheng_reviewer", "李审核", "江阳区南城街道安全生产监督管理办公室", "reviewer"),
    ("nancheng_leader", "周领导", "江阳区南城街道安全生产监督管理办公室", "leader"),
    ("nancheng_admin", "吴管理", "江阳区南城街道安全生产监督管理办公室", "body_admin"),
    ("yangling_reviewer", "郑审核", "杨陵区应急管理局", "reviewer"),
]

ENTERPRISES = [
    # name, credit code base (17), body, region code, industry, university, admin username, lat, lng
    (
        "泸州示范化工有限公司",
        "91510502MA6ABCDE1",
        "江阳区南城街道安全生产监督管理办公室",
        "510502001000",
        "hazardous_chemicals",
        False,
        "ent_admin",
        "28.871000",
        "105.441000",
    ),
    (
        "西北示范农林大学",
        "12610403MB2XYW001",
        "杨陵区应急管理局",
        "610403001000",
        "education",
        True,
        "uni_officer",
        "34.272000",
        "108.069000",
    ),
]

ENTERPRISE_USERS = [
    ("ent_safety", "王安全", "泸州示范化工有限公司", "safety_manager"),
    ("ent_staff", "冯员工", "泸州示范化工有限公司", "staff"),
    ("uni_safety", "沈安全", "西北示范农林大学", "lab_safety_officer"),
    ("uni_centre", "陈中心", "西北示范农林大学", "centre_staff"),
    ("uni_college", "褚学院", "西北示范农林大学", "college_admin"),
    ("uni_teacher", "卫老师", "西北示范农林大学", "teacher"),
    ("uni_student", "蒋学生", "西北示范农林大学", "student"),
]


class Command(BaseCommand):
    help = f"Load reference data and demo organisations and accounts (password for all: {DEMO_PASSWORD})."

    def handle(self, *args, **options) -> None:
        call_command("load_reference_data", stdout=self.stdout)
        with scopes_disabled(), transaction.atomic():
            created = self._demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new accounts). Password: {DEMO_PASSWORD}"))

    def _user(self, username: str, full_name: str, **extra):
        User = get_user_model()
        user, made = User.objects.get_or_create(username=username, defaults={"full_name": full_name, **extra})
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user, made

    def _demo(self) -> int:
        from enterprises import services
        from enterprises.models import Enterprise, Membership, Region, SupervisoryBody
        from enterprises.validators import credit_code_check_character

        created = 0
        _admin, made = self._user("admin", "平台管理员", is_staff=True, is_superuser=True, email="admin@localhost")
        created += made
        for username, full_name, body_name, role in BODY_USERS:
            user, made = self._user(username, full_name, email=f"{username}@localhost")
            created += made
            Membership.objects.get_or_create(
                user=user, body=SupervisoryBody.objects.get(name=body_name), defaults={"role": role}
            )
        for name, base, body_name, region_code, industry, uni, admin_name, lat, lng in ENTERPRISES:
            if Enterprise.unscoped.filter(name=name).exists():
                continue
            body = SupervisoryBody.objects.get(name=body_name)
            details = services.RegistrationDetails(
                name=name,
                credit_code=base + credit_code_check_character(base),
                owning_body=body,
                region=Region.objects.get(code=region_code),
                industry=industry,
                contact_name="示范联系人",
                contact_phone="13800000000",
                address="示范地址 1 号",
                latitude=lat,
                longitude=lng,
                is_university=uni,
            )
            enterprise = services.enterprise_register(
                actor=Actor(user=None),
                details=details,
                account=services.ApplicantAccount(
                    username=admin_name, password=DEMO_PASSWORD, full_name="示范管理员", email=f"{admin_name}@localhost"
                ),
            )
            created += 1
            reviewer = Membership.objects.filter(body=body, role="reviewer").select_related("user", "body").first()
            services.registration_approve(
                actor=Actor(user=reviewer.user, membership=reviewer),
                enterprise_id=enterprise.pk,
                reason="资料齐全，同意。",
            )
        for username, full_name, enterprise_name, role in ENTERPRISE_USERS:
            user, made = self._user(username, full_name, email=f"{username}@localhost")
            created += made
            Membership.objects.get_or_create(
                user=user, enterprise=Enterprise.unscoped.get(name=enterprise_name), defaults={"role": role}
            )
        # A registration left pending, so the township reviewer's inbox has something in it.
        if not Enterprise.unscoped.filter(name="泸州待审机械制造厂").exists():
            base = "91510502MA6PEND01"
            services.enterprise_register(
                actor=Actor(user=None),
                details=services.RegistrationDetails(
                    name="泸州待审机械制造厂",
                    credit_code=base + credit_code_check_character(base),
                    owning_body=SupervisoryBody.objects.get(name="江阳区南城街道安全生产监督管理办公室"),
                    region=Region.objects.get(code="510502001000"),
                    industry="machinery",
                    contact_name="待审联系人",
                    contact_phone="13900000000",
                ),
                account=services.ApplicantAccount(
                    username="applicant", password=DEMO_PASSWORD, full_name="申请人", email="applicant@localhost"
                ),
            )
            created += 1
        # One person in two organisations, to show the organisation switcher.
        consultant, made = self._user("consultant", "何顾问", email="consultant@localhost")
        created += made
        for enterprise_name in ("泸州示范化工有限公司", "西北示范农林大学"):
            Membership.objects.get_or_create(
                user=consultant,
                enterprise=Enterprise.unscoped.get(name=enterprise_name),
                defaults={"role": "safety_manager"},
            )
        # The university's colleges and labs, its teachers' profiles and a student awaiting activation.
        from enterprises.demo_university import setup_demo_university

        created += setup_demo_university(self._user)
        # The chemicals service: stores, stock, routes, a purchase round and orders at every step.
        from chemicals.demo import seed_chemicals_demo

        created += seed_chemicals_demo(self._user).get("accounts", 0)
        return created
