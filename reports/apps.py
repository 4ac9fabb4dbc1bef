from django.apps import AppConfig

from reports.roles import GRANTS


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
    role_grants = GRANTS

    def ready(self):
        from hotline.directory import directory_changed
        from reports.audit import directory_change_append

        directory_changed.connect(directory_change_append, dispatch_uid="reports.directory_change")
