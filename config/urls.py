from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from hotline.views import healthz, healthz_live, public_language_set
from reports.dashboard import sla_dashboard
from reports.views import (
    clock_healthz,
    notice_answer_page,
    report_form,
    report_received,
    report_status,
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="report-form", permanent=False)),
    path("report/", report_form, name="report-form"),
    path("report/received/", report_received, name="report-received"),
    path("report/status/", report_status, name="report-status"),
    # In place of django.conf.urls.i18n's set_language: the same view, public languages only.
    path("i18n/setlang/", public_language_set, name="set_language"),
    path("notice/<str:token>/", notice_answer_page, name="notice-answer"),
    path("api/v1/", include("reports.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("healthz/clock", clock_healthz, name="healthz-clock"),
    path("healthz/live", healthz_live, name="healthz-live"),
    path("admin/sla/", admin.site.admin_view(sla_dashboard), name="sla-dashboard"),
    path("admin/", admin.site.urls),
]
