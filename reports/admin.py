"""Read-only views of reports and their events (the triage workflow comes with its own issue).

URLs are shown defanged as text, never as links, images or previews.
"""

from django.contrib import admin
from django.utils.html import format_html

from hotline.url import defang
from reports.models import Event, Report


def _defanged(url: str):
    return format_html('<code class="defanged-url">{}</code>', defang(url))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = Event
    fields = ("at", "verb", "from_status", "to_status", "actor_kind", "actor_label", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "url_defanged",
        "host",
        "status",
        "channel",
        "times_reported",
        "received_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=reference", "=host")
    list_select_related = ("partner",)
    show_full_result_count = False
    fields = (
        "reference",
        "url_defanged",
        "submitted_url_defanged",
        "host",
        "status",
        "status_changed_at",
        "channel",
        "partner",
        "external_id",
        "category",
        "description",
        "reporter_email",
        "duplicate_of",
        "previous",
        "times_reported",
        "received_at",
    )
    readonly_fields = fields
    inlines = [EventInline]

    @admin.display(description="URL (defanged)", ordering="canonical_url")
    def url_defanged(self, obj):
        return _defanged(obj.canonical_url)

    @admin.display(description="URL as submitted (defanged)")
    def submitted_url_defanged(self, obj):
        return _defanged(obj.submitted_url)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("at", "report", "verb", "from_status", "to_status", "actor_kind", "actor_label")
    list_filter = ("verb", "actor_kind")
    list_select_related = ("report",)
    search_fields = ("=report__reference",)
    show_full_result_count = False
    fields = (
        "report",
        "verb",
        "from_status",
        "to_status",
        "at",
        "actor_kind",
        "actor_label",
        "actor_user",
        "data",
    )
    readonly_fields = fields
