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
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
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

# ==== area: organisation ====

# ==== area: licences ====

# ==== area: university ====
