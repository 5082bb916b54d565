from __future__ import annotations

from django.urls import path  # noqa: F401

from . import views  # noqa: F401

app_name = "hazards"

urlpatterns = [
    # ==== area: risk ====
    path("hazards/risk/points/", views.RiskPointListView.as_view(), name="risk_point_list"),
    path("hazards/risk/points/new/", views.RiskPointCreateView.as_view(), name="risk_point_create"),
    path("hazards/risk/points/delete/", views.RiskPointBatchDeleteView.as_view(), name="risk_point_batch_delete"),
    path("hazards/risk/points/<int:pk>/", views.RiskPointDetailView.as_view(), name="risk_point_detail"),
    path("hazards/risk/points/<int:pk>/edit/", views.RiskPointEditView.as_view(), name="risk_point_edit"),
    path("hazards/risk/points/<int:pk>/regrade/", views.RiskPointRegradeView.as_view(), name="risk_point_regrade"),
    path("hazards/risk/points/<int:pk>/position/", views.RiskPointPositionView.as_view(), name="risk_point_position"),
    path("hazards/risk/points/<int:pk>/board.pdf", views.RiskPointBoardPdfView.as_view(), name="risk_point_board"),
    path("hazards/risk/points/<int:pk>/card.pdf", views.RiskPointCardPdfView.as_view(), name="risk_point_card"),
    path("hazards/risk/boards.pdf", views.risk_boards_pdf, name="risk_boards"),
    path("hazards/risk/ledger.pdf", views.risk_ledger_pdf, name="risk_ledger"),
    path("hazards/risk/library/", views.RiskSharedLibraryView.as_view(), name="risk_shared_library"),
    path("hazards/risk/import/", views.RiskImportView.as_view(), name="risk_import"),
    path("hazards/risk/import/template/", views.risk_import_template, name="risk_import_template"),
    path("hazards/risk/import/report/", views.risk_import_report, name="risk_import_report"),
    path("hazards/risk/export/", views.risk_export, name="risk_export"),
    path("hazards/risk/transfers/", views.RiskTransferLogView.as_view(), name="risk_transfer_log"),
    path("hazards/risk/grade/", views.EnterpriseRiskGradeView.as_view(), name="risk_grade"),
    path(
        "hazards/risk/grade/<int:pk>/attachment/",
        views.EnterpriseRiskGradeAttachmentView.as_view(),
        name="risk_grade_attachment",
    ),
    path("hazards/risk/map/", views.RiskMapView.as_view(), name="risk_map"),
    path("hazards/risk/map/plan/", views.risk_site_plan_image, name="risk_site_plan_image"),
    path("hazards/risk/map.pdf", views.risk_map_pdf, name="risk_map_pdf"),
    # ==== area: lists ====
    path("hazards/lists/", views.RiskListListView.as_view(), name="risk_lists"),
    path("hazards/lists/new/", views.RiskListCreateView.as_view(), name="risk_list_create"),
    path("hazards/lists/<int:pk>/", views.RiskListDetailView.as_view(), name="risk_list_detail"),
    path("hazards/lists/<int:pk>/edit/", views.RiskListEditView.as_view(), name="risk_list_edit"),
    path("hazards/lists/<int:pk>/preview/", views.RiskListPreviewView.as_view(), name="risk_list_preview"),
    path("hazards/lists/<int:pk>/list.pdf", views.RiskListPdfView.as_view(), name="risk_list_pdf"),
    path("gov/hazards/lists/", views.GovRiskListListView.as_view(), name="gov_risk_lists"),
    path("gov/hazards/lists/<int:pk>/", views.GovRiskListDetailView.as_view(), name="gov_risk_list_detail"),
    path("gov/hazards/lists/tab/<str:tab>/", views.GovRiskListListView.as_view(), name="gov_risk_lists_tab"),
    path("hazards/check/<str:qr_token>/", views.InspectionChecklistView.as_view(), name="inspection_checklist"),
    path("hazards/inspections/", views.InspectionTaskListView.as_view(), name="inspection_tasks"),
    path("hazards/inspections/<int:pk>/", views.InspectionTaskDetailView.as_view(), name="inspection_task_detail"),
    path("hazards/inspections/figures/", views.InspectionFiguresView.as_view(), name="inspection_figures"),
    # ==== area: hazards ====
    path("hazards/", views.HazardListView.as_view(), name="hazard_list"),
    path("hazards/new/", views.HazardRegisterView.as_view(), name="hazard_register"),
    path("hazards/<int:pk>/", views.HazardDetailView.as_view(), name="hazard_detail"),
    path("hazards/<int:pk>/edit/", views.HazardEditView.as_view(), name="hazard_edit"),
    path("hazards/<int:pk>/delete/", views.HazardDeleteView.as_view(), name="hazard_delete"),
    path("hazards/<int:pk>/report/", views.HazardReportView.as_view(), name="hazard_report"),
    path("hazards/<int:pk>/review/", views.HazardReviewView.as_view(), name="hazard_review"),
    path("hazards/<int:pk>/extension/", views.HazardExtensionRequestView.as_view(), name="hazard_extension"),
    path(
        "hazards/<int:pk>/extension/review/",
        views.HazardExtensionReviewView.as_view(),
        name="hazard_extension_review",
    ),
    path("hazards/<int:pk>/supervise/", views.HazardSuperviseView.as_view(), name="hazard_supervise"),
    path("hazards/<int:pk>/delisting/", views.HazardDelistingRequestView.as_view(), name="hazard_delisting"),
    path(
        "hazards/<int:pk>/delisting/decide/",
        views.HazardDelistingDecisionView.as_view(),
        name="hazard_delisting_decide",
    ),
    path("hazards/<int:pk>/notice.pdf", views.HazardNoticePdfView.as_view(), name="hazard_notice_pdf"),
    path("hazards/photos/<int:pk>/", views.HazardPhotoView.as_view(), name="hazard_photo"),
    path("gov/hazards/awaiting-review/", views.GovHazardReviewListView.as_view(), name="gov_hazard_reviews"),
    path("gov/hazards/inspection/new/", views.GovHazardRegisterView.as_view(), name="gov_hazard_register"),
    # ==== area: supervision ====
    path("gov/supervision/hazards/", views.SupervisionQueueView.as_view(), name="supervision_queue"),
    path("gov/supervision/hazards/<slug:tab>/", views.SupervisionQueueView.as_view(), name="supervision_queue_tab"),
    path("gov/supervision/figures/", views.SupervisionFiguresView.as_view(), name="supervision_figures"),
    path("gov/supervision/reports/", views.SummaryReportListView.as_view(), name="summary_reports"),
    path(
        "gov/supervision/reports/received/",
        views.SummaryReportReceivedView.as_view(),
        name="summary_reports_received",
    ),
    path("gov/supervision/reports/<int:pk>/", views.SummaryReportDetailView.as_view(), name="summary_report_detail"),
    path("gov/supervision/reports/<int:pk>/pdf/", views.SummaryReportPdfView.as_view(), name="summary_report_pdf"),
    path("gov/supervision/samples/", views.SampleListView.as_view(), name="samples"),
    path("gov/supervision/samples/<int:pk>/", views.SampleDetailView.as_view(), name="sample_detail"),
    path("gov/supervision/key-enterprises/", views.KeyEnterpriseListView.as_view(), name="key_enterprises"),
    path("gov/supervision/zero-hazards/", views.ZeroHazardListView.as_view(), name="zero_hazard_enterprises"),
    path("gov/supervision/not-using/", views.InactiveEnterpriseListView.as_view(), name="inactive_enterprises"),
]
