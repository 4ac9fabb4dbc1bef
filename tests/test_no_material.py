"""No model can hold a file or binary payload: the service stores URLs and metadata only."""

from django.apps import apps
from django.db import models

MATERIAL_FIELDS = (models.FileField, models.BinaryField)  # ImageField is a FileField


def test_no_installed_model_has_a_file_image_or_binary_field():
    offenders = [
        f"{model._meta.label}.{field.name} ({type(field).__name__})"
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, MATERIAL_FIELDS)
    ]
    assert offenders == []


def test_the_walk_covers_the_hotline_models():
    # Guards the test above against walking an empty registry.
    labels = {model._meta.label for model in apps.get_models()}
    assert {"reports.Report", "reports.Event", "hotline.PartnerHotline"} <= labels
