from django.apps import AppConfig

from reports.roles import GRANTS


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
    role_grants = GRANTS
