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
    path("org/profile/", views.profile, name="profile"),
    path("org/profile/edit/", views.profile_edit, name="profile_edit"),
    path("gov/enterprises/map/", views.gov_enterprise_map, name="gov_enterprise_map"),
    path("gov/enterprises/map/points/", views.gov_enterprise_map_points, name="gov_enterprise_map_points"),
    path("gov/enterprises/", views.GovEnterpriseListView.as_view(), name="gov_enterprises"),
    # One URL per tab (gov_enterprises_all, …_pending, …_rejected, …_deleted) rather than <str:tab>, so that other
    # gov/enterprises/<word>/ pages can live next to them.
    *[
        path(
            f"gov/enterprises/{tab}/",
            views.GovEnterpriseListView.as_view(),
            {"tab": tab},
            name=f"gov_enterprises_{tab}",
        )
        for tab in views.GovEnterpriseListView.TABS
    ],
    path("gov/enterprise/<int:pk>/", views.GovEnterpriseDetailView.as_view(), name="gov_enterprise_detail"),
    path("gov/enterprise/<int:pk>/delete/", views.GovEnterpriseDeleteView.as_view(), name="gov_enterprise_delete"),
    path("gov/enterprise/<int:pk>/restore/", views.GovEnterpriseRestoreView.as_view(), name="gov_enterprise_restore"),
    path(
        "gov/enterprise/<int:pk>/reset-password/",
        views.GovEnterprisePasswordResetView.as_view(),
        name="gov_enterprise_reset_password",
    ),
    # ==== area: organisation ====
    path("org/departments/", views.DepartmentListView.as_view(), name="department_list"),
    path("org/departments/new/", views.DepartmentCreateView.as_view(), name="department_create"),
    path("org/departments/<int:pk>/", views.DepartmentEditView.as_view(), name="department_edit"),
    path("org/departments/<int:pk>/delete/", views.DepartmentDeleteView.as_view(), name="department_delete"),
    path("org/positions/", views.PositionListView.as_view(), name="position_list"),
    path("org/positions/new/", views.PositionCreateView.as_view(), name="position_create"),
    path("org/positions/<int:pk>/", views.PositionEditView.as_view(), name="position_edit"),
    path("org/positions/<int:pk>/delete/", views.PositionDeleteView.as_view(), name="position_delete"),
    path("org/roles/", views.RoleListView.as_view(), name="role_list"),
    path("org/roles/new/", views.RoleCreateView.as_view(), name="role_create"),
    path("org/roles/<int:pk>/", views.RoleEditView.as_view(), name="role_edit"),
    path("org/roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("org/users/", views.UserListView.as_view(), name="user_list"),
    path("org/users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("org/users/credentials/", views.user_credentials, name="user_credentials"),
    path("org/users/<int:pk>/", views.MembershipEditView.as_view(), name="user_edit"),
    path("org/users/<int:pk>/status/", views.MembershipStatusView.as_view(), name="user_status"),
    path("org/users/<int:pk>/password/", views.MembershipPasswordView.as_view(), name="user_password"),
    path("org/staff/", views.StaffListView.as_view(), name="staff_list"),
    path("org/staff/new/", views.StaffCreateView.as_view(), name="staff_create"),
    path("org/staff/import/", views.StaffImportView.as_view(), name="staff_import"),
    path("org/staff/import/template/", views.staff_import_template, name="staff_import_template"),
    path("org/staff/import/errors/", views.staff_import_report, name="staff_import_report"),
    path("org/staff/<int:pk>/", views.StaffDetailView.as_view(), name="staff_detail"),
    path("org/staff/<int:pk>/edit/", views.StaffEditView.as_view(), name="staff_edit"),
    path("org/staff/<int:pk>/delete/", views.StaffDeleteView.as_view(), name="staff_delete"),
    path(
        "org/staff/<int:staff_pk>/certificates/new/", views.CertificateCreateView.as_view(), name="certificate_create"
    ),
    path("org/certificates/<int:pk>/", views.CertificateEditView.as_view(), name="certificate_edit"),
    path("org/certificates/<int:pk>/delete/", views.CertificateDeleteView.as_view(), name="certificate_delete"),
    path("org/certificates/<int:pk>/image/", views.CertificateImageView.as_view(), name="certificate_image"),
    # ==== area: licences ====
    path("org/licences/", views.LicenceListView.as_view(), name="licences"),
    path("org/licences/new/", views.LicenceCreateView.as_view(), name="licence_create"),
    path("org/licences/<int:pk>/", views.LicenceEditView.as_view(), name="licence_edit"),
    path("org/licences/<int:pk>/delete/", views.LicenceDeleteView.as_view(), name="licence_delete"),
    path("licences/<int:pk>/scan/", views.LicenceScanView.as_view(), name="licence_scan"),
    path("org/suspension/", views.SuspensionListView.as_view(), name="suspensions"),
    path("org/suspension/apply/", views.SuspensionApplyView.as_view(), name="suspension_apply"),
    path("org/suspension/<int:pk>/", views.SuspensionDetailView.as_view(), name="suspension_detail"),
    path("gov/licences/", views.GovLicenceExpiryListView.as_view(), name="gov_licences"),
    path("gov/licences/<str:state>/", views.GovLicenceExpiryListView.as_view(), name="gov_licences_expiry"),
    path(
        "gov/licences/<str:state>/certificates/",
        views.GovCertificateExpiryListView.as_view(),
        name="gov_certificates_expiry",
    ),
    path("gov/suspensions/", views.GovSuspensionListView.as_view(), name="gov_suspensions"),
    path("gov/suspensions/<str:tab>/", views.GovSuspensionListView.as_view(), name="gov_suspensions_tab"),
    path("gov/suspension/<int:pk>/", views.GovSuspensionDetailView.as_view(), name="gov_suspension_detail"),
    # ==== area: university ====
    path("lab/profile/", views.lab_profile, name="lab_profile"),
    path("lab/profile/labs/", views.lab_profile_labs, name="lab_profile_labs"),
    path("lab/profile/supervisors/", views.lab_profile_supervisors, name="lab_profile_supervisors"),
    path("lab/colleges/", views.UniversityLabListView.as_view(), name="university_colleges"),
    path("lab/labs/<int:pk>/", views.UniversityLabView.as_view(), name="university_lab"),
    path("lab/activations/", views.ActivationListView.as_view(), name="student_activations"),
    path("lab/activations/<int:pk>/", views.ActivationDetailView.as_view(), name="student_activation"),
]
