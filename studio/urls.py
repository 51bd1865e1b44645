"""URLs: pages, admin, API (with its schema) and the health check."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from callbacks import urls as callbacks_urls
from complaints import urls as complaints_urls
from complaints import views as complaint_views
from customers import urls as customers_urls
from dashboards import views as dashboard_views
from frontdesk import urls as frontdesk_urls
from membership import urls as membership_urls
from messaging import urls as messaging_urls
from messaging import views as messaging_views
from orders import urls as orders_urls
from staff.apis import DepartmentListApi, MeApi
from webhooks import urls as webhooks_urls

from . import views
from .audit import audit_record
from .models import AuditAction


class LoginView(auth_views.LoginView):
    """The staff login. A success goes to the audit log; failures are counted by django-axes,
    which locks a user name out at an address after five (settings, "Login lockout")."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(request=self.request, action=AuditAction.LOGIN)
        return response


api_patterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("me/", MeApi.as_view(), name="me"),
    path("departments/", DepartmentListApi.as_view(), name="department-list"),
    path("", include(customers_urls.api_urlpatterns)),
    path("", include(orders_urls.api_urlpatterns)),
    path("", include(callbacks_urls.api_urlpatterns)),
    path("", include(complaints_urls.api_urlpatterns)),
    path("", include(membership_urls.api_urlpatterns)),
    path("", include(frontdesk_urls.api_urlpatterns)),
    path("", include(messaging_urls.api_urlpatterns)),
    path("", include(webhooks_urls.api_urlpatterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/jobs", views.healthz_jobs, name="healthz_jobs"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("outbox/", messaging_views.outbox, name="sms_outbox"),
    path("exports/", views.export_jobs, name="export_jobs"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/status", views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/download", views.export_job_download, name="export_job_download"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("customers/import/", include("imports.urls")),
    path("", include("orders.urls")),
    path("callbacks/", include("callbacks.urls")),
    path("complaints/", include("complaints.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("members/", include("membership.urls")),
    path("desk/", include("frontdesk.urls")),
    path("messaging/", include("messaging.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("complain/", complaint_views.public_complaint, name="public_complaint"),
    path("api/", include((api_patterns, "api"))),
]

admin.site.site_header = _("影楼客服后台 · 管理")
admin.site.site_title = _("影楼客服后台")
admin.site.index_title = _("数据管理")
