from django.urls import path

from customers import views as customer_views

from . import payment_views, views

app_name = "orders"

urlpatterns = [
    path("stages/<str:kind>/", views.stage_list, name="stage_list"),
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/notes/", customer_views.customer_note, name="customer_note"),
    path("orders/<int:pk>/stages/complete/", views.order_stage_complete, name="stage_complete"),
    path("orders/<int:pk>/stages/schedule/", views.order_stage_schedule, name="stage_schedule"),
    path("orders/<int:pk>/payments/", views.order_payment, name="payment"),
    path("payments/", payment_views.payment_list, name="payments"),
    path("late/", views.late_list, name="late"),
    path("followups/", views.followup_list, name="followups"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup_done"),
    path("assignment/", views.assignment, name="assignment"),
    path("assignment/reassign/", views.reassign, name="reassign"),
]
