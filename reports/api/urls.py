from django.urls import path
from rest_framework.routers import SimpleRouter

from reports.api import audit, provider, sla, views

router = SimpleRouter()
router.register("provider/notices", provider.ProviderNoticeViewSet, basename="provider-notice")

app_name = "api"

urlpatterns = [
    path("reports/", views.PublicReportCreateView.as_view(), name="report-create"),
    path("reports/<str:reference>/status/", views.ReportStatusView.as_view(), name="report-status"),
    path("partner/reports/", views.PartnerReportBatchView.as_view(), name="partner-reports"),
    path("sla/", sla.SLAView.as_view(), name="sla"),
    path("audit/checkpoints/", audit.CheckpointListView.as_view(), name="audit-checkpoints"),
    *router.urls,
]
