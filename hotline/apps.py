from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = "Directory and policy"

    def ready(self):
        from hotline import schema  # noqa: F401  (registers the OpenAPI auth extension)
