from __future__ import annotations

from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/regions/", views.region_options, name="region_options"),
    path("register/status/", views.registration_status, name="registration_status"),
    path("gov/registrations/", views.RegistrationListView.as_view(), name="gov_registrations"),
    path("gov/registrations/<str:tab>/", views.RegistrationListView.as_view(), name="gov_registrations_tab"),
    path("gov/registration/<int:pk>/", views.RegistrationDetailView.as_view(), name="gov_registration_detail"),
    # ==== area: profile ====
    # ==== area: organisation ====
    # ==== area: licences ====
    # ==== area: university ====
]
