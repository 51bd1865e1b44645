from django.urls import path

from customers import views as customer_views

from . import apis, documents, package_views, payment_views, sale_views, views

app_name = "orders"

urlpatterns = [
    path("stages/<str:kind>/", views.stage_list, name="stage_list"),
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/notes/", customer_views.customer_note, name="customer_note"),
    path("customers/new/", customer_views.customer_register, name="customer_register"),
    path("customers/referrers/", customer_views.customer_referrers, name="customer_referrers"),
    path("customers/<int:pk>/edit/", customer_views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/merge/", customer_views.customer_merge, name="customer_merge"),
    path("orders/<int:pk>/stages/complete/", views.order_stage_complete, name="stage_complete"),
    path("orders/<int:pk>/stages/schedule/", views.order_stage_schedule, name="stage_schedule"),
    path("orders/<int:pk>/payments/", views.order_payment, name="payment"),
    path("payments/", payment_views.payment_list, name="payments"),
    path("orders/<int:pk>/change/", sale_views.order_change, name="order_change"),
    path("orders/<int:pk>/cancel/", sale_views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/approve/", sale_views.order_approve, name="order_approve"),
    path("approvals/", sale_views.approvals, name="approvals"),
    path("late/", views.late_list, name="late"),
    path("followups/", views.followup_list, name="followups"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup_done"),
    path("assignment/", views.assignment, name="assignment"),
    path("assignment/reassign/", views.reassign, name="reassign"),
    path("packages/", package_views.packages, name="packages"),
    path("packages/new/", package_views.package_new, name="package_new"),
    path("packages/settings/", package_views.store_settings, name="store_settings"),
    path("packages/<int:pk>/edit/", package_views.package_edit, name="package_edit"),
    path("packages/<int:pk>/active/", package_views.package_active, name="package_active"),
    path("orders/<int:pk>/confirmation/", documents.order_document, name="order_document"),
    path("receipts/<int:pk>/", documents.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", documents.receipt_pdf_view, name="receipt_pdf"),
]

# The API's routes, mounted under /api/ (studio/urls.py).
api_urlpatterns = [
    path("orders/", apis.OrderListApi.as_view(), name="order-list"),
    path("orders/<int:pk>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<int:order_id>/stages/<str:kind>/complete/", apis.StageCompleteApi.as_view(),
         name="stage-complete"),
    path("orders/<int:order_id>/stages/<str:kind>/schedule/", apis.StageScheduleApi.as_view(),
         name="stage-schedule"),
    path("orders/<int:order_id>/payments/", apis.PaymentCreateApi.as_view(), name="payment-create"),
    path("orders/<int:order_id>/change/", apis.OrderChangeApi.as_view(), name="order-change"),
    path("orders/<int:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<int:order_id>/approve/", apis.OrderApproveApi.as_view(), name="order-approve"),
    path("packages/", apis.PackageListApi.as_view(), name="package-list"),
    path("packages/<int:pk>/", apis.PackageDetailApi.as_view(), name="package-detail"),
    path("stages/", apis.StageListApi.as_view(), name="stage-list"),
    path("receipts/<int:pk>/", documents.ReceiptDetailApi.as_view(), name="receipt-detail"),
    path("receipts/<int:pk>/pdf/", documents.ReceiptPdfApi.as_view(), name="receipt-pdf"),
]
