from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Enterprise, IndustryCategory, Region, SupervisoryBody, User
from .services import ApplicantAccount, RegistrationDetails
from .validators import validate_credit_code, validate_phone


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        # Indented by depth so the tree reads in a plain select (works on phones without JS).
        return "\u3000" * (obj.depth - 1) + str(obj)


class BodyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SupervisoryBody) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name


class RegistrationDetailsForm(forms.Form):
    name = forms.CharField(label=_("Enterprise name"), max_length=100)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        min_length=18,
        help_text=_("18 characters, as printed on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    owning_body = BodyChoiceField(
        label=_("Owning body"),
        queryset=SupervisoryBody.objects.none(),
        help_text=_("The supervisory body your enterprise reports to; it reviews this registration."),
        # Choosing the body narrows the region list to its jurisdiction (htmx; without JS all regions stay).
        widget=forms.Select(
            attrs={
                "hx-get": "/register/regions/",
                "hx-target": "#id_region",
                "hx-trigger": "change",
                "hx-include": "#id_region",
            }
        ),
    )
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, required=False, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, required=False, min_value=-180, max_value=180
    )
    industry = forms.ChoiceField(label=_("Industry category"), choices=[("", "---------"), *IndustryCategory.choices])
    is_university = forms.BooleanField(
        label=_("This is a university or research institute (labs and hazardous chemicals)"), required=False
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owning_body"].queryset = selectors.bodies_for_registration()
        self.fields["region"].queryset = selectors.regions_for_choice()

    def clean_credit_code(self) -> str:
        code = self.cleaned_data["credit_code"].strip().upper()
        validate_credit_code(code)
        return code

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            self.add_error(
                "longitude", forms.ValidationError(_("Give both latitude and longitude, or neither."), code="pair")
            )
        return cleaned

    def details(self) -> RegistrationDetails:
        d = self.cleaned_data
        return RegistrationDetails(
            name=d["name"],
            credit_code=d["credit_code"],
            owning_body=d["owning_body"],
            region=d["region"],
            industry=d["industry"],
            contact_name=d["contact_name"],
            contact_phone=d["contact_phone"],
            address=d.get("address", ""),
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            is_university=d.get("is_university", False),
        )

    @classmethod
    def initial_from(cls, enterprise: Enterprise) -> dict:
        return {
            f: getattr(enterprise, f)
            for f in (
                "name",
                "credit_code",
                "owning_body",
                "region",
                "address",
                "latitude",
                "longitude",
                "industry",
                "is_university",
                "contact_name",
                "contact_phone",
            )
        }


class RegistrationForm(RegistrationDetailsForm):
    username = forms.CharField(
        label=_("Administrator user name"),
        max_length=150,
        help_text=_("You log in with this name once the registration is approved."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(label=_("Administrator full name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("For notifications and password reset."))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        return username

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = User(username=cleaned.get("username", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def account(self) -> ApplicantAccount:
        d = self.cleaned_data
        return ApplicantAccount(
            username=d["username"], password=d["password1"], full_name=d["full_name"], email=d.get("email", "")
        )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs) -> None:
        # Shown next to ApproveForm, which has a `reason` field too: distinct ids keep each label on its own field.
        kwargs.setdefault("auto_id", "id_reject_%s")
        super().__init__(*args, **kwargs)


class ApproveForm(forms.Form):
    """Approval with optional corrections; blank fields keep what the applicant gave."""

    owning_body = BodyChoiceField(label=_("Owning body"), queryset=SupervisoryBody.objects.none(), required=False)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, required=False, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, required=False, min_value=-180, max_value=180
    )
    industry = forms.ChoiceField(
        label=_("Industry category"), required=False, choices=[("", "---------"), *IndustryCategory.choices]
    )
    reason = forms.CharField(
        label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, enterprise: Enterprise, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "owning_body": enterprise.owning_body_id,
                "region": enterprise.region_id,
                "latitude": enterprise.latitude,
                "longitude": enterprise.longitude,
                "industry": enterprise.industry,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["owning_body"].queryset = selectors.bodies_for_registration()
        self.fields["region"].queryset = selectors.regions_for_choice()

    def corrections(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


# ==== area: profile ====
from django.core.validators import MaxValueValidator, MinValueValidator  # noqa: E402
from django.forms.models import ModelChoiceIterator  # noqa: E402

from . import sizing  # noqa: E402
from .models import EconomicClass  # noqa: E402
from .services import PROFILE_FIELDS  # noqa: E402


class _EconomicClassIterator(ModelChoiceIterator):
    """Options grouped by section (<optgroup>), groups and classes indented under their division."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        section_names: dict[str, str] = {}
        grouped: dict[str, list] = {}
        for obj in self.queryset:  # one query: sections, divisions, groups and classes together
            if obj.level == EconomicClass.Level.SECTION:
                section_names[obj.code] = obj.name
            else:
                grouped.setdefault(sizing.section_of(obj.code) or "", []).append(self.choice(obj))
        for section in sorted(grouped):
            yield (f"{section} {section_names.get(section, '')}".strip(), grouped[section])

    def __len__(self) -> int:
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


class EconomicClassChoiceField(forms.ModelChoiceField):
    iterator = _EconomicClassIterator

    def label_from_instance(self, obj: EconomicClass) -> str:
        depth = {EconomicClass.Level.GROUP: 1, EconomicClass.Level.CLASS: 2}.get(obj.level, 0)
        return "\u3000" * depth + f"{obj.code} {obj.name}"

    def to_python(self, value):
        obj = super().to_python(value)
        if obj is not None and obj.level == EconomicClass.Level.SECTION:
            # Sections label the groups of options; they are not choices.
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return obj


class ProfileForm(forms.ModelForm):
    """The profile fields the enterprise edits (enterprises.services.PROFILE_FIELDS)."""

    economic_class = EconomicClassChoiceField(
        label=_("Economic class (GB/T 4754-2017)"),
        queryset=EconomicClass.objects.none(),
        required=False,
        help_text=_("With employees, revenue and assets it gives the size class."),
    )

    class Meta:
        model = Enterprise
        fields = PROFILE_FIELDS
        widgets = {
            "products": forms.Textarea(attrs={"rows": 2}),
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "legal_representative_phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "principal_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        help_texts = {
            "employees": _("Persons employed (从业人员), as reported to the statistics bureau."),
            "revenue": _("In 10 000 yuan (万元): last year's operating revenue."),
            "assets": _("In 10 000 yuan (万元): total assets at the end of last year."),
            "has_major_hazard_source": _(
                "Per GB 18218: mostly enterprises that produce, store, use or trade hazardous chemicals."
            ),
            "contact_name": _(
                "Preferably the head of safety management: the supervisory body calls this person for routine matters."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["economic_class"].queryset = selectors.economic_classes_for_choice()
        for name in ("revenue", "assets", "production_area"):
            self.fields[name].validators.append(MinValueValidator(0))
            self.fields[name].widget.attrs["min"] = "0"
        for name in ("legal_representative_phone", "principal_phone"):
            self.fields[name].validators.append(validate_phone)
        for name, bound in (("latitude", 90), ("longitude", 180)):
            self.fields[name].validators += [MinValueValidator(-bound), MaxValueValidator(bound)]

    def clean_economic_class(self):
        value = self.cleaned_data.get("economic_class")
        if value is not None and sizing.sector_for(value) is None:
            raise forms.ValidationError(
                _("%(cls)s spans several size-class sectors: choose the group or class under it."),
                params={"cls": f"{value.code} {value.name}"},
                code="too_coarse",
            )
        return value

    def clean(self):
        cleaned = super().clean()
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lng is None) and "latitude" not in self.errors and "longitude" not in self.errors:
            self.add_error(
                "longitude", forms.ValidationError(_("Give both latitude and longitude, or neither."), code="pair")
            )
        return cleaned

    def profile_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}


class EnterpriseDeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for deletion"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Its users lose access until the enterprise is restored; the reason is kept in the log."),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_delete_%s")
        super().__init__(*args, **kwargs)


class AdminPasswordResetForm(forms.Form):
    """Choose which of the enterprise's administrators gets a temporary password (by user name: stable, unique)."""

    account = forms.ChoiceField(label=_("Administrator"))

    def __init__(self, *args, memberships: list, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_reset_%s")
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (m.user.get_username(), f"{m.user.display_name} ({m.user.get_username()})") for m in memberships
        ]


# ==== area: organisation ====

# Departments, positions, roles, users, staff and certificates. Every choice list is re-scoped to the actor's
# enterprise; the services check everything again (they are the boundary, the forms are for the user).
from django.forms.models import ModelChoiceIterator as OrgChoiceIterator  # noqa: E402
from django.forms.models import ModelChoiceIteratorValue as OrgChoiceValue  # noqa: E402
from django.template.defaultfilters import filesizeformat as org_filesizeformat  # noqa: E402

from . import image_uploads as org_image_uploads  # noqa: E402
from . import models as org_models  # noqa: E402
from . import organisation as org_rules  # noqa: E402
from . import services as org_services  # noqa: E402

ORG_INDENT = "\u3000"
# Choice lists start empty and are filled per actor in __init__. The empty querysets come from _base_manager:
# a tenant manager refuses to build a query at import time, when no scope is open.


class _OrgTreeIterator(OrgChoiceIterator):
    """Departments in tree order (depth-first), indented by depth: a plain select that reads as a tree."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for department, depth in org_rules.tree_order(self.queryset):
            yield (
                OrgChoiceValue(self.field.prepare_value(department), department),
                ORG_INDENT * depth + department.name,
            )


class DepartmentChoiceField(forms.ModelChoiceField):
    iterator = _OrgTreeIterator


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = DepartmentChoiceField(
        label=_("Parent department"),
        queryset=org_models.Department._base_manager.none(),
        required=False,
        empty_label=_("(none: top level)"),
    )
    level = forms.ChoiceField(
        label=_("Level"),
        choices=org_models.Department.Level.choices,
        initial=org_models.Department.Level.DEPARTMENT,
        help_text=_("Enterprise > department > workshop > team > post; risk lists are kept per level."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=org_models.Department.Kind.choices, required=False)
    order = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=100000, initial=0, help_text=_("Smaller numbers come first.")
    )

    def __init__(self, *args, actor, department: org_models.Department | None = None, **kwargs) -> None:
        if department is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": department.name,
                    "parent": department.parent_id,
                    "level": department.level,
                    "kind": department.kind,
                    "order": department.order,
                },
            )
        super().__init__(*args, **kwargs)
        parents = selectors.org_departments(actor)
        if department is not None:
            # Never under itself or its own sub-departments: those are not even offered.
            tree = dict(parents.values_list("pk", "parent_id"))
            parents = parents.exclude(pk__in={department.pk, *org_rules.descendants(tree, department.pk)})
        self.fields["parent"].queryset = parents
        if actor.enterprise is None or not actor.enterprise.is_university:
            del self.fields["kind"]  # colleges, labs and central units are a university's

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "parent_id": d["parent"].pk if d.get("parent") else None,
            "level": d["level"],
            "kind": d.get("kind") or org_models.Department.Kind.GENERAL,
            "order": d["order"],
        }


class PositionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    order = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=100000, initial=0, help_text=_("Smaller numbers come first.")
    )


class RoleForm(forms.Form):
    """A role (角色) and its permission set: every registered feature, grouped as in the registry."""

    name = forms.CharField(label=_("Name"), max_length=50)
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from safety import features

        groups: dict[str, list[tuple[str, str]]] = {}
        for feature in features.FEATURES.values():
            groups.setdefault(str(feature.group), []).append((feature.code, str(feature.label)))
        self.fields["permissions"].choices = list(groups.items())

    def permission_groups(self) -> list[tuple[str, list]]:
        """(group heading, its checkboxes) for the template."""
        by_value = {str(w.data["value"]): w for w in self["permissions"].subwidgets}
        return [
            (group, [by_value[code] for code, _label in options])
            for group, options in self.fields["permissions"].choices
        ]


class _OrgStaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: org_models.Staff) -> str:
        return f"{obj.name} · {obj.department}" if obj.department_id else obj.name


class _OrgPasswordFields(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        help_text=_("Leave both empty to generate one: it is shown once, after saving."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("password") or "") != (cleaned.get("password_again") or ""):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


def _org_role_choices(actor) -> list[tuple[str, str]]:
    roles = org_rules.platform_roles(bool(actor.enterprise and actor.enterprise.is_university))
    if not actor.has_role(org_models.Membership.Role.ENTERPRISE_ADMIN):
        roles = tuple(r for r in roles if r != org_models.Membership.Role.ENTERPRISE_ADMIN)
    return [(r, org_models.Membership.Role(r).label) for r in roles]


class UserCreateForm(_OrgPasswordFields):
    """A platform account for a staff member: one person, one account."""

    staff = _OrgStaffChoiceField(
        label=_("Staff member"),
        queryset=org_models.Staff._base_manager.none(),
        help_text=_("Only staff without an account are listed: one person, one account."),
    )
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("For notifications and password reset."))
    role = forms.ChoiceField(label=_("Platform role"), choices=())
    custom_roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=org_models.Role._base_manager.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Roles add permissions on top of the platform role."),
    )
    field_order = ["staff", "username", "email", "role", "custom_roles", "password", "password_again"]

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = selectors.org_staff_without_account(actor)
        self.fields["role"].choices = _org_role_choices(actor)
        self.fields["role"].initial = org_models.Membership.Role.STAFF
        self.fields["custom_roles"].queryset = selectors.org_roles(actor)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        return username


class MembershipForm(forms.Form):
    """A user's platform role, roles (角色) and staff record."""

    role = forms.ChoiceField(label=_("Platform role"), choices=())
    custom_roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=org_models.Role._base_manager.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Roles add permissions on top of the platform role."),
    )
    staff = _OrgStaffChoiceField(
        label=_("Staff record"),
        queryset=org_models.Staff._base_manager.none(),
        required=False,
        help_text=_("The person this account belongs to."),
    )

    def __init__(self, *args, actor, membership: org_models.Membership, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "role": membership.role,
                "custom_roles": [r.pk for r in membership.custom_roles.all()],
                "staff": membership.staff_id,
            },
        )
        super().__init__(*args, **kwargs)
        choices = _org_role_choices(actor)
        if membership.role not in dict(choices):  # shown as it is, even where this actor may not give it
            choices.insert(0, (membership.role, membership.get_role_display()))
        self.fields["role"].choices = choices
        self.fields["custom_roles"].queryset = selectors.org_roles(actor)
        self.fields["staff"].queryset = selectors.org_staff_without_account(actor, keep=membership.staff_id)


class MemberPasswordForm(_OrgPasswordFields):
    pass


class StaffForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "---------"), *org_models.Staff.Gender.choices], required=False
    )
    id_number = forms.CharField(
        label=_("ID card number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    department = DepartmentChoiceField(
        label=_("Department"), queryset=org_models.Department._base_manager.none(), required=False
    )
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=org_models.Position._base_manager.none(), required=False
    )
    hired_on = forms.DateField(label=_("Hired on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    has_certificates = forms.BooleanField(
        label=_("Holds qualification certificates"),
        required=False,
        help_text=_("Principal, safety manager or special-operations certificates."),
    )
    occupational_exposure = forms.BooleanField(
        label=_("Exposed to occupational hazards"),
        required=False,
        help_text=_("Links the person to occupational-health surveillance."),
    )
    is_active = forms.BooleanField(label=_("Employed"), required=False, initial=True)

    def __init__(self, *args, actor, staff: org_models.Staff | None = None, **kwargs) -> None:
        if staff is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": staff.name,
                    "gender": staff.gender,
                    "id_number": staff.id_number,
                    "phone": staff.phone,
                    "department": staff.department_id,
                    "position": staff.position_id,
                    "hired_on": staff.hired_on,
                    "has_certificates": staff.has_certificates,
                    "occupational_exposure": staff.occupational_exposure,
                    "is_active": staff.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = selectors.org_departments(actor)
        self.fields["position"].queryset = selectors.org_positions(actor)

    def clean_id_number(self) -> str:
        value = org_rules.normalise_id_number(self.cleaned_data["id_number"])
        if value:
            org_rules.validate_id_number(value)
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if value:
            validate_phone(value)
        return value

    def details(self) -> org_services.StaffDetails:
        d = self.cleaned_data
        return org_services.StaffDetails(
            name=d["name"],
            gender=d.get("gender") or "",
            id_number=d.get("id_number") or "",
            phone=d.get("phone") or "",
            department=d.get("department"),
            position=d.get("position"),
            hired_on=d.get("hired_on"),
            has_certificates=d.get("has_certificates", False),
            occupational_exposure=d.get("occupational_exposure", False),
            is_active=d.get("is_active", False),
        )


class CertificateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=org_models.Certificate.Kind.choices)
    operation_type = forms.CharField(
        label=_("Operation type"),
        max_length=100,
        required=False,
        help_text=_("For special operations: electrical work, welding and hot cutting, work at height…"),
    )
    number = forms.CharField(label=_("Certificate number"), max_length=50)
    issued_by = forms.CharField(label=_("Issued by"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    image = forms.FileField(
        label=_("Image of the certificate"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": org_image_uploads.ACCEPT}),
    )
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)

    def __init__(self, *args, certificate: org_models.Certificate | None = None, **kwargs) -> None:
        if certificate is not None:
            kwargs.setdefault(
                "initial",
                {
                    f: getattr(certificate, f)
                    for f in ("kind", "operation_type", "number", "issued_by", "issued_on", "expires_on")
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _("A photo or scan: JPEG, PNG or WebP, at most %(limit)s.") % {
            "limit": org_filesizeformat(org_image_uploads.max_bytes())
        }
        if certificate is None or not certificate.image:
            del self.fields["remove_image"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image:
            org_image_uploads.validate_image(image)
        return image

    def details(self) -> org_services.CertificateDetails:
        d = self.cleaned_data
        return org_services.CertificateDetails(
            kind=d["kind"],
            number=d["number"],
            operation_type=d.get("operation_type") or "",
            issued_by=d.get("issued_by") or "",
            issued_on=d.get("issued_on"),
            expires_on=d.get("expires_on"),
        )


class StaffImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


# ==== area: licences ====
from django.core.exceptions import ValidationError as _ValidationError  # noqa: E402
from django.template.defaultfilters import filesizeformat as _filesizeformat  # noqa: E402

from . import scans as _scans  # noqa: E402
from .models import Licence, SuspensionApplication  # noqa: E402
from .services import LicenceDetails, SuspensionDetails, check_licence_dates  # noqa: E402


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class LicenceForm(forms.Form):
    """A licence. The end of validity is exactly one of a date and "long-term": the help texts say so."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *Licence.Kind.choices])
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("As printed on the licence, if the kind does not say it (e.g. hazardous chemicals operating)."),
    )
    number = forms.CharField(label=_("Licence number"), max_length=60)
    issued_by = forms.CharField(label=_("Issued by"), max_length=100, required=False)
    scope = forms.CharField(
        label=_("Licensed scope"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=_DateInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=_DateInput(),
        help_text=_("The last day the licence is valid. Leave it empty only for a long-term licence."),
    )
    long_term = forms.BooleanField(
        label=_("Long-term (no expiry date)"),
        required=False,
        help_text=_("A licence has either a “valid until” date or is long-term, never both and never neither."),
    )
    scan = forms.FileField(label=_("Scan"), required=False)
    remove_scan = forms.BooleanField(label=_("Remove the current scan"), required=False)

    def __init__(self, *args, licence: Licence | None = None, **kwargs) -> None:
        if licence is not None:
            kwargs.setdefault("initial", {f: getattr(licence, f) for f in self.detail_fields()})
        super().__init__(*args, **kwargs)
        self.fields["scan"].help_text = _(
            "A PDF, or a JPEG or PNG image, up to %(size)s. Choosing a file replaces the current scan."
        ) % {"size": _filesizeformat(_scans.scan_max_bytes())}
        self.fields["scan"].widget.attrs["accept"] = "application/pdf,image/jpeg,image/png"
        if licence is None or not licence.scan:
            del self.fields["remove_scan"]

    @staticmethod
    def detail_fields() -> list[str]:
        return ["kind", "name", "number", "issued_by", "scope", "valid_from", "valid_until", "long_term"]

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        if upload:
            _scans.validate_scan(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if "valid_until" not in self.errors and "valid_from" not in self.errors:
            try:
                check_licence_dates(self._details(cleaned))
            except _ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    self.add_error(field, errors)
        if self.is_bound and self.errors and cleaned.get("scan"):
            # Browsers cannot keep a chosen file across a failed submit: say so rather than drop it silently.
            self.add_error("scan", _("Fix the other fields, then choose the file again."))
        return cleaned

    @staticmethod
    def _details(d: dict) -> LicenceDetails:
        return LicenceDetails(
            kind=d.get("kind", ""),
            number=d.get("number", ""),
            name=(d.get("name") or "").strip(),
            issued_by=(d.get("issued_by") or "").strip(),
            scope=(d.get("scope") or "").strip(),
            valid_from=d.get("valid_from"),
            valid_until=d.get("valid_until"),
            long_term=bool(d.get("long_term")),
        )

    def details(self) -> LicenceDetails:
        return self._details(self.cleaned_data)


class SuspensionForm(forms.Form):
    """停产 / 复工 application. The kind offered first is the one the current operating status allows."""

    kind = forms.ChoiceField(label=_("Application"), choices=SuspensionApplication.Kind.choices)
    start_date = forms.DateField(
        label=_("From"), widget=_DateInput(), help_text=_("The day work stops (suspension) or restarts (resumption).")
    )
    end_date = forms.DateField(
        label=_("Until (expected)"),
        required=False,
        widget=_DateInput(),
        help_text=_("Suspensions only, if the end is known; leave empty for a resumption."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def details(self) -> SuspensionDetails:
        d = self.cleaned_data
        return SuspensionDetails(
            kind=d["kind"], reason=d["reason"], start_date=d["start_date"], end_date=d.get("end_date")
        )


class SuspensionDecisionForm(forms.Form):
    """A reviewer's opinion on approval (optional); rejection uses RejectForm (reason required)."""

    reason = forms.CharField(
        label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


# ==== area: university ====
from django.urls import reverse_lazy  # noqa: E402

from .models import AcademicTitle, Department, Membership  # noqa: E402
from .services import LabProfile  # noqa: E402


# Querysets below start as Department._base_manager.none(): Department's default manager needs a tenant scope,
# and none is active at import time; each form sets its real, scoped queryset in __init__.
class UnitChoiceField(forms.ModelChoiceField):
    """A college or a lab; a lab list not narrowed to one college names each lab's college too."""

    with_college = False

    def label_from_instance(self, obj: Department) -> str:
        if self.with_college and obj.parent_id:
            return f"{obj.parent.name} › {obj.name}"
        return obj.name


class TeacherChoiceField(forms.ModelChoiceField):
    """Teachers listed through their memberships (name, title, lab); the value is the user's id."""

    def label_from_instance(self, obj: Membership) -> str:
        return teacher_label(obj)


def teacher_label(m: Membership) -> str:
    label = m.user.display_name
    if m.title:
        label += f" ({m.get_title_display()})"
    if m.department_id:
        label += f" · {m.department.name}"
    return label


def supervisor_choices(teachers, college: Department | None, lab: Department | None) -> list:
    """All active teachers, grouped by nearness to the student's lab and college (nobody hidden: a supervisor
    may work elsewhere in the university)."""
    in_lab, in_college, others = [], [], []
    for m in teachers:
        choice = (m.user_id, teacher_label(m))
        if lab is not None and m.department_id == lab.pk:
            in_lab.append(choice)
        elif college is not None and m.department_id and selectors.college_of(m.department) == college:
            in_college.append(choice)
        else:
            others.append(choice)
    groups = [("", "---------")]
    if lab is not None and in_lab:
        groups.append((_("In this lab"), in_lab))
    if college is not None and in_college:
        groups.append((_("In this college"), in_college))
    if others:
        groups.append((_("Other teachers") if len(groups) > 1 else _("Teachers"), others))
    return groups


class LabProfileForm(forms.Form):
    """First-login profile of a university's teacher (students: StudentProfileForm)."""

    full_name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), help_text=_("For notifications."), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    college = UnitChoiceField(label=_("College"), queryset=Department._base_manager.none())
    lab = UnitChoiceField(
        label=_("Lab"),
        queryset=Department._base_manager.none(),
        required=False,
        # Choosing the college narrows the labs (htmx; without JS every lab is listed with its college).
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("enterprises:lab_profile_labs"),
                "hx-trigger": "change from:#id_college",
                "hx-include": "#id_college, #id_lab",
            }
        ),
    )
    title = forms.ChoiceField(label=_("Title"), choices=[("", "---------"), *AcademicTitle.choices])

    lab_required = False

    def __init__(self, *args, university, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.university = university
        self.fields["college"].queryset = selectors.colleges_of(university)
        self.fields["lab"].required = self.lab_required
        self.chosen_college = self._chosen("college")
        self.fields["lab"].queryset = selectors.labs_of(university, self.chosen_college)
        self.fields["lab"].with_college = self.chosen_college is None
        self.chosen_lab = self._chosen("lab")
        if self.chosen_lab is not None and self.chosen_college is None:
            self.chosen_college = self.chosen_lab.parent

    def _chosen(self, name: str) -> Department | None:
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        raw = getattr(raw, "pk", raw)
        if not str(raw or "").isdigit():
            return None
        return self.fields[name].queryset.select_related("parent").filter(pk=int(raw)).first()

    def clean(self):
        cleaned = super().clean()
        college, lab = cleaned.get("college"), cleaned.get("lab")
        if college and lab and lab.parent_id != college.pk:
            self.add_error("lab", _("Choose a lab of the chosen college."))
        return cleaned

    def profile(self) -> LabProfile:
        d = self.cleaned_data
        return LabProfile(
            full_name=d["full_name"],
            phone=d["phone"],
            email=d["email"],
            department=d.get("lab") or d["college"],
            title=d.get("title", ""),
        )

    @classmethod
    def initial_from(cls, membership: Membership) -> dict:
        user, department = membership.user, membership.department
        college = selectors.college_of(department)
        return {
            "full_name": user.full_name,
            "phone": user.phone,
            "email": user.email,
            "college": college.pk if college else None,
            "lab": department.pk if department and department.kind == Department.Kind.LAB else None,
            "title": membership.title,
            "supervisor": membership.supervisor_id,
        }


class StudentProfileForm(LabProfileForm):
    """A student's profile and the chosen supervising teacher, who approves the activation."""

    lab_required = True
    supervisor = TeacherChoiceField(
        label=_("Supervising teacher"),
        queryset=Membership.objects.none(),
        to_field_name="user",
        help_text=_("Usually your tutor. The teacher you choose approves your account."),
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("enterprises:lab_profile_supervisors"),
                "hx-trigger": "change from:#id_college, change from:#id_lab",
                "hx-include": "#id_college, #id_lab, #id_supervisor",
            }
        ),
    )

    def __init__(self, *args, university, student, **kwargs) -> None:
        super().__init__(*args, university=university, **kwargs)
        del self.fields["title"]
        teachers = selectors.university_teachers(university).exclude(user=student)
        self.fields["supervisor"].queryset = teachers
        self.fields["supervisor"].widget.choices = supervisor_choices(teachers, self.chosen_college, self.chosen_lab)

    def supervisor_user(self):
        return self.cleaned_data["supervisor"].user


class LabHeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.display_name} ({obj.get_username()})"


STOCK_LIMIT_HELP = _(
    "The most the lab may hold: the total quantity of its chemicals not yet collected as waste (bought or "
    "requisitioned and not yet disposed of), in kilograms, a litre counting as a kilogram. A lab at its limit "
    "cannot requisition more. Leave empty for no limit."
)


class LabForm(forms.Form):
    head = LabHeadChoiceField(
        label=_("Head teacher"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("An active teacher of this lab or its college; reviews the lab's chemicals requests first."),
    )
    stock_limit = forms.DecimalField(
        label=_("Stock limit (kg)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=3,
        help_text=STOCK_LIMIT_HELP,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.001"}),
    )

    def __init__(self, *args, lab: Department, **kwargs) -> None:
        # 50, not 50.000: the number as a person would type it.
        limit = None if lab.stock_limit is None else f"{lab.stock_limit.normalize():f}"
        kwargs.setdefault("initial", {"head": lab.head_id, "stock_limit": limit})
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = selectors.lab_head_candidates(lab)


class ActivationApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ActivationRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_reject_%s")  # shown beside the approve form, which has a reason too
        super().__init__(*args, **kwargs)
