from django.urls import path

from reports.api import views

app_name = "api"

urlpatterns = [
    path("reports/", views.PublicReportCreateView.as_view(), name="report-create"),
    path("reports/<str:reference>/status/", views.ReportStatusView.as_view(), name="report-status"),
    path("partner/reports/", views.PartnerReportBatchView.as_view(), name="partner-reports"),
]
