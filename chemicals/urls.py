"""URLs of the chemicals service (实验危化品) and of major hazard sources (any enterprise)."""

from __future__ import annotations

from django.urls import path  # noqa: F401

from . import views  # noqa: F401

app_name = "chemicals"

urlpatterns = [
    # ==== area: catalogue ====
    path("chemicals/catalogue/", views.ChemicalCatalogueView.as_view(), name="catalogue"),
    path("chemicals/catalogue/<int:pk>/", views.ChemicalDetailView.as_view(), name="chemical_detail"),
    path("chemicals/campuses/", views.CampusListView.as_view(), name="campus_list"),
    path("chemicals/campuses/new/", views.CampusCreateView.as_view(), name="campus_create"),
    path("chemicals/campuses/<int:pk>/edit/", views.CampusEditView.as_view(), name="campus_edit"),
    path("chemicals/stores/", views.StoreListView.as_view(), name="store_list"),
    path("chemicals/stores/new/", views.StoreCreateView.as_view(), name="store_create"),
    path("chemicals/stores/<int:pk>/edit/", views.StoreEditView.as_view(), name="store_edit"),
    path("chemicals/packages/", views.PackageListView.as_view(), name="package_list"),
    path("chemicals/packages/stock-in/", views.PackageStockInView.as_view(), name="package_stock_in"),
    path("chemicals/packages/<int:pk>/", views.PackageDetailView.as_view(), name="package_detail"),
    path("chemicals/packages/<int:pk>/label.pdf", views.PackageLabelView.as_view(), name="package_label"),
    path("chemicals/packages/<int:pk>/move/", views.PackageMoveView.as_view(), name="package_move"),
    # ==== area: purchase ====
    path("chemicals/purchase/rounds/", views.PurchaseRoundListView.as_view(), name="purchase_rounds"),
    path("chemicals/purchase/rounds/new/", views.PurchaseRoundCreateView.as_view(), name="purchase_round_create"),
    path("chemicals/purchase/rounds/<int:pk>/", views.PurchaseRoundDetailView.as_view(), name="purchase_round_detail"),
    path("chemicals/purchase/rounds/<int:pk>/edit/", views.PurchaseRoundEditView.as_view(), name="purchase_round_edit"),
    path(
        "chemicals/purchase/rounds/<int:pk>/aggregate/",
        views.PurchaseRoundAggregateView.as_view(),
        name="purchase_round_aggregate",
    ),
    path(
        "chemicals/purchase/rounds/<int:pk>/filings/",
        views.PurchaseRoundPrepareFilingsView.as_view(),
        name="purchase_round_prepare_filings",
    ),
    path(
        "chemicals/purchase/rounds/<int:pk>/tendered/",
        views.PurchaseRoundTenderedView.as_view(),
        name="purchase_round_tendered",
    ),
    path("chemicals/purchase/filings/", views.PoliceFilingListView.as_view(), name="purchase_police_filings"),
    path(
        "chemicals/purchase/filings/<int:pk>/record/",
        views.PoliceFilingRecordView.as_view(),
        name="purchase_police_filing_record",
    ),
    path("chemicals/purchase/", views.PurchaseRequestListView.as_view(), name="purchase_requests"),
    path("chemicals/purchase/new/", views.PurchaseRequestCreateView.as_view(), name="purchase_request_create"),
    path("chemicals/purchase/reviews/", views.PurchaseReviewQueueView.as_view(), name="purchase_reviews"),
    path("chemicals/purchase/stock-in/", views.PurchaseStockInQueueView.as_view(), name="purchase_stock_in_queue"),
    path("chemicals/purchase/payments/", views.PurchasePaymentsToConfirmView.as_view(), name="purchase_payments"),
    path("chemicals/purchase/chemical-options/", views.purchase_chemical_options, name="purchase_chemical_options"),
    path("chemicals/purchase/<int:pk>/", views.PurchaseRequestDetailView.as_view(), name="purchase_request_detail"),
    path("chemicals/purchase/<int:pk>/edit/", views.PurchaseRequestEditView.as_view(), name="purchase_request_edit"),
    path(
        "chemicals/purchase/<int:pk>/submit/",
        views.PurchaseRequestSubmitView.as_view(),
        name="purchase_request_submit",
    ),
    path(
        "chemicals/purchase/<int:pk>/withdraw/",
        views.PurchaseRequestWithdrawView.as_view(),
        name="purchase_request_withdraw",
    ),
    path(
        "chemicals/purchase/<int:pk>/review/",
        views.PurchaseRequestReviewView.as_view(),
        name="purchase_request_review",
    ),
    path(
        "chemicals/purchase/<int:pk>/stock-in/",
        views.PurchaseRequestStockInView.as_view(),
        name="purchase_request_stock_in",
    ),
    path("chemicals/purchase/<int:pk>/pay/", views.PurchaseRequestPayView.as_view(), name="purchase_request_pay"),
    path(
        "chemicals/purchase/<int:pk>/payment-notice.pdf",
        views.PurchasePaymentNoticeView.as_view(),
        name="purchase_payment_notice",
    ),
    path(
        "chemicals/purchase/<int:pk>/confirm-payment/",
        views.PurchaseRequestConfirmPaymentView.as_view(),
        name="purchase_request_confirm_payment",
    ),
    path(
        "chemicals/purchase/<int:pk>/reject-payment/",
        views.PurchaseRequestRejectPaymentView.as_view(),
        name="purchase_request_reject_payment",
    ),
    # ==== area: requisition ====
    path("chemicals/requisitions/", views.RequisitionListView.as_view(), name="requisition_list"),
    path("chemicals/requisitions/new/", views.RequisitionCreateView.as_view(), name="requisition_create"),
    path("chemicals/requisitions/review/", views.RequisitionReviewQueueView.as_view(), name="requisition_review_queue"),
    path("chemicals/requisitions/centre/", views.RequisitionCentreView.as_view(), name="requisition_centre"),
    path("chemicals/requisitions/<int:pk>/", views.RequisitionDetailView.as_view(), name="requisition_detail"),
    path("chemicals/requisitions/<int:pk>/edit/", views.RequisitionEditView.as_view(), name="requisition_edit"),
    path("chemicals/requisitions/<int:pk>/submit/", views.RequisitionSubmitView.as_view(), name="requisition_submit"),
    path(
        "chemicals/requisitions/<int:pk>/withdraw/",
        views.RequisitionWithdrawView.as_view(),
        name="requisition_withdraw",
    ),
    path("chemicals/requisitions/<int:pk>/review/", views.RequisitionReviewView.as_view(), name="requisition_review"),
    path("chemicals/requisitions/<int:pk>/stock/", views.RequisitionStockView.as_view(), name="requisition_stock"),
    path("chemicals/requisitions/<int:pk>/pay/", views.RequisitionPayView.as_view(), name="requisition_pay"),
    path(
        "chemicals/requisitions/<int:pk>/payment/", views.RequisitionPaymentView.as_view(), name="requisition_payment"
    ),
    path("chemicals/requisitions/<int:pk>/issue/", views.RequisitionIssueView.as_view(), name="requisition_issue"),
    path("chemicals/requisitions/<int:pk>/slip.pdf", views.RequisitionSlipView.as_view(), name="requisition_slip"),
    # ==== area: ledger ====
    path("chemicals/ledger/", views.ledger_home, name="ledger_home"),
    path("chemicals/ledger/labs/<int:pk>/", views.LedgerLabView.as_view(), name="ledger_lab"),
    path("chemicals/ledger/packages/<int:pk>/", views.LedgerPackageView.as_view(), name="ledger_package"),
    path("chemicals/ledger/packages/<int:pk>/record/", views.LedgerRecordView.as_view(), name="ledger_record"),
    path("chemicals/ledger/packages/<int:pk>/declare/", views.LedgerDeclareView.as_view(), name="ledger_declare"),
    path("chemicals/ledger/packages/<int:pk>/pdf/", views.LedgerPackagePdfView.as_view(), name="ledger_package_pdf"),
    path("chemicals/ledger/entries/", views.LedgerEntryListView.as_view(), name="ledger_entries"),
    path("chemicals/ledger/reviews/", views.LedgerReviewListView.as_view(), name="ledger_reviews"),
    path(
        "chemicals/ledger/declarations/<int:pk>/review/",
        views.LedgerDeclarationReviewView.as_view(),
        name="ledger_declaration_review",
    ),
    # ==== area: waste ====
    path("chemicals/waste/routes/", views.WasteRouteListView.as_view(), name="waste_routes"),
    path("chemicals/waste/routes/new/", views.WasteRouteCreateView.as_view(), name="waste_route_create"),
    path("chemicals/waste/routes/<int:pk>/", views.WasteRouteEditView.as_view(), name="waste_route_edit"),
    path("chemicals/waste/collections/", views.WasteCollectionListView.as_view(), name="waste_collections"),
    path("chemicals/waste/collections/new/", views.WasteCollectionCreateView.as_view(), name="waste_collection_create"),
    path(
        "chemicals/waste/collections/<int:pk>/",
        views.WasteCollectionDetailView.as_view(),
        name="waste_collection_detail",
    ),
    path(
        "chemicals/waste/collections/<int:pk>/edit/",
        views.WasteCollectionEditView.as_view(),
        name="waste_collection_edit",
    ),
    path(
        "chemicals/waste/collections/<int:pk>/collected/",
        views.WasteCollectionCollectedView.as_view(),
        name="waste_collection_collected",
    ),
    path(
        "chemicals/waste/collections/<int:pk>/pdf/", views.WasteCollectionPdfView.as_view(), name="waste_collection_pdf"
    ),
    path("chemicals/waste/register/", views.WasteRegisterView.as_view(), name="waste_register"),
    path("chemicals/waste/registrations/", views.WasteRegistrationListView.as_view(), name="waste_registrations"),
    path(
        "chemicals/waste/registrations/<int:pk>/",
        views.WasteRegistrationDetailView.as_view(),
        name="waste_registration_detail",
    ),
    path(
        "chemicals/waste/registrations/<int:pk>/cancel/",
        views.WasteRegistrationCancelView.as_view(),
        name="waste_registration_cancel",
    ),
    path("chemicals/waste/barrels/", views.BarrelRequestListView.as_view(), name="waste_barrels"),
    path("chemicals/waste/barrels/new/", views.BarrelRequestCreateView.as_view(), name="waste_barrel_create"),
    path(
        "chemicals/waste/barrels/<int:pk>/deliver/",
        views.BarrelRequestDeliverView.as_view(),
        name="waste_barrel_deliver",
    ),
    path(
        "chemicals/waste/barrels/<int:pk>/cancel/", views.BarrelRequestCancelView.as_view(), name="waste_barrel_cancel"
    ),
    path("chemicals/waste/figures/", views.WasteFiguresView.as_view(), name="waste_figures"),
    # ==== area: termination ====
    # ==== area: majorhazards ====
    path("hazard-sources/", views.MajorHazardListView.as_view(), name="major_hazard_list"),
    path("hazard-sources/new/", views.MajorHazardNewView.as_view(), name="major_hazard_new"),
    path("hazard-sources/<int:pk>/", views.MajorHazardDetailView.as_view(), name="major_hazard_detail"),
    path("hazard-sources/<int:pk>/pdf/", views.MajorHazardPdfView.as_view(), name="major_hazard_pdf"),
    path("hazard-sources/stores/", views.MajorHazardStoreListView.as_view(), name="major_hazard_stores"),
    path("hazard-sources/stores/<int:pk>/", views.MajorHazardStoreView.as_view(), name="major_hazard_store"),
    # ==== area: figures ====
    path("chemicals/figures/", views.FiguresView.as_view(), name="figures"),
]
