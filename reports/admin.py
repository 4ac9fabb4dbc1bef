"""The analysts' triage admin. Thin: every button calls one function of reports/workflow.py.

URLs are shown defanged as text, never as links, images or previews; the exact URL is only
reachable through the copy button, for pasting into the analyst's isolated viewing setup.
"""

import json
from datetime import UTC
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hotline.actors import Actor
from hotline.directory import host_rule_add
from hotline.domains import registrable_domain
from hotline.errors import DomainError
from hotline.models import Provider
from hotline.pagination import EstimatedCountPaginator
from hotline.provider_tools import provider_tool_register
from hotline.selectors import host_rules_for_host
from hotline.times import duration_text, local_text, short_time_html, time_html, utc_text
from hotline.url import defang
from reports import forms, hosting, outbox, workflow
from reports.admin_bulk import BulkAdminMixin
from reports.models import (
    Escalation,
    Event,
    Hold,
    HostingLookup,
    MessageItem,
    Notice,
    OutgoingMessage,
    Report,
    ReportStatus,
)
from reports.selectors.outbox import notice_delivery_context
from reports.selectors.queues import (
    QUEUES,
    queue_counts,
    queue_ordering,
    report_next_in_queue,
    reports_in_queue,
    reports_matching,
    reports_with_running_deadline,
)
from reports.selectors.report_page import (
    assess_step_context,
    lookup_suggestion,
    removal_checks_context,
    running_notice,
    suggested_country,
    transition_can_succeed,
    triage_box,
)
from reports.timeline import event_sentence
from reports.workflow.steps import FORWARD, NOTIFY

# Transition name -> (form for its inputs, or None; workflow function).
TRANSITION_VIEWS = {
    "claim": (None, workflow.report_claim),
    "release": (None, workflow.report_release),
    "take_over": (None, workflow.report_take_over),
    "assess_not_actionable": (forms.NotActionableForm, workflow.report_assess_not_actionable),
    "assess_illegal": (forms.IllegalStepForm, workflow.report_assess_illegal_step),
    "confirm_assessment": (None, workflow.report_confirm_assessment),
    "mark_duplicate": (forms.DuplicateForm, workflow.report_mark_duplicate),
    "set_hosting": (forms.HostingForm, workflow.report_set_hosting),
    "forward": (forms.ForwardForm, workflow.report_forward),
    "escalate": (forms.EscalateForm, workflow.report_escalate),
    "escalate_urgent": (forms.UrgentEscalateForm, workflow.report_escalate),
    "hold": (forms.HoldForm, workflow.report_hold),
    "release_hold": (None, workflow.report_hold_release),
    "send_notice": (forms.SendNoticeForm, workflow.report_send_notice),
    "confirm_removal": (forms.RemovalForm, workflow.report_confirm_removal),
    "withdraw_notice": (forms.WithdrawNoticeForm, workflow.report_withdraw_notice),
    "uphold_dispute": (forms.DisputeAnswerForm, workflow.report_dispute_uphold),
    "reject_dispute": (forms.DisputeAnswerForm, workflow.report_dispute_reject),
    "hosting_move_follow": (None, workflow.report_hosting_move_follow),
    "stop_checks": (forms.ChecksStopForm, workflow.report_checks_stop),
    "hosting_move_dismiss": (forms.HostingMoveDismissForm, workflow.report_hosting_move_dismiss),
    "redeliver_notice": (None, workflow.report_redeliver_notice),
}
# The assess-illegal form's other buttons: the same form and step, then notify or forward.
STEP_BUTTONS = {"assess_illegal_notify": NOTIFY, "assess_illegal_forward": FORWARD}
# Asked to confirm first (a page of its own, no JavaScript needed): they cannot be undone.
DESTRUCTIVE = {"confirm_removal", "withdraw_notice", "uphold_dispute"}
FILTERS = "_changelist_filters"
S = ReportStatus


def time_left(notice: Notice):
    return deadline_left(notice.deadline_at if notice.is_running else None)


def deadline_left(deadline):
    """Time to the deadline in days and hours ("1 d 3 h"), red when it has passed; the
    deadline itself on hover."""
    if deadline is None:
        return "—"
    title = f"{local_text(deadline)} ({utc_text(deadline)})"
    return duration_left(deadline - timezone.now(), title=title)


def duration_left(left, *, title: str = ""):
    """A time left in days and hours, red and "overdue by" when it has passed."""
    if left.total_seconds() < 0:
        return format_html(
            '<strong class="overdue" title="{}">{}</strong>',
            title,
            _("overdue by %(length)s") % {"length": duration_text(left)},
        )
    return format_html('<span title="{}">{}</span>', title, duration_text(left))


def _defanged(url: str):
    return format_html('<code class="defanged-url">{}</code>', defang(url))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    related: tuple[str, ...] = ()  # foreign keys the rows show

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.related) if self.related else queryset

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    """The timeline as sentences (reports/timeline.py); what was recorded stays one click away."""

    model = Event
    related = ("report",)  # each row's title names it
    verbose_name_plural = _("timeline")
    fields = ("when", "what", "status_change", "recorded")
    readonly_fields = fields
    ordering = ("id",)
    _notices: dict[int, Notice] | None = None  # the report's, by id: read once per page

    def notices(self, report_id: int) -> dict[int, Notice]:
        if self._notices is None:
            found = Notice.objects.filter(report_id=report_id).select_related("provider")
            self._notices = {notice.pk: notice for notice in found}
        return self._notices

    @admin.display(description=_("when"))
    def when(self, obj):
        return time_html(obj.at)

    @admin.display(description=_("what happened"))
    def what(self, obj):
        return event_sentence(obj, self.notices(obj.report_id))

    @admin.display(description=_("status"))
    def status_change(self, obj):
        if obj.from_status == obj.to_status:
            return ""
        shown = dict(ReportStatus.choices)
        before = shown.get(obj.from_status, obj.from_status)
        return f"{before} → {shown.get(obj.to_status, obj.to_status)}" if before else ""

    @admin.display(description=_("recorded"))
    def recorded(self, obj):
        return format_html(
            "<details><summary>{}</summary><code>{}</code></details>",
            obj.verb,
            json.dumps(obj.data, sort_keys=True),
        )


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fk_name = "report"
    related = ("agency", "corrects")
    fields = (
        "created_at",
        "agency",
        "kind",
        "channel",
        "agency_reference",
        "note",
        "corrects",
        "created_by_label",
        "acknowledged_at",
    )
    readonly_fields = fields


class NoticeInline(ReadOnlyInline):
    model = Notice
    related = ("provider", "report")  # shown on every row: one join, not a query per notice
    fields = (
        "provider",
        "kind",
        "status",
        "scheduled_for",
        "sent_at",
        "handed_off_at",
        "deadline_at",
        "time_left",
        "policy",
        "acknowledged_at",
        "removed_at",
        "repeats_sent",
        "disputed_at",
        "dispute_reason",
    )
    readonly_fields = fields

    @admin.display(description=_("time left"))
    def time_left(self, obj):
        return time_left(obj)


def delivery_state(item: MessageItem) -> str:
    """Where one item's delivery stands, in words: left out, waiting, or its message's status
    with the attempts and what comes next."""
    message = item.message
    if item.dropped:
        return _("left out: %(why)s") % {"why": item.dropped}
    if message is None:
        return _("waiting to be grouped")
    state = message.get_status_display()
    if message.attempts:
        tried = ngettext("%(n)d attempt", "%(n)d attempts", message.attempts)
        state = f"{state}, {tried % {'n': message.attempts}}"
    if message.status == OutgoingMessage.Status.PENDING and message.attempts:
        when = message.next_attempt_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        state = f"{state}; {_('next at')} {when} UTC"
    if message.possible_duplicate:
        state = f"{state} ({_('may have arrived twice')})"
    return state


class MessageInline(ReadOnlyInline):
    """What the notice's messages said and whether they went (a message may carry many)."""

    model = MessageItem
    related = ("message",)
    fields = (
        "created_at",
        "kind",
        "attempt",
        "channel",
        "target",
        "message_link",
        "message_status",
        "message_sent_at",
        "message_error",
    )
    readonly_fields = fields
    verbose_name = _("message")
    verbose_name_plural = _("messages")

    @admin.display(description=_("message"))
    def message_link(self, obj):
        if obj.message_id is None:
            return "—"
        url = reverse("admin:reports_outgoingmessage_change", args=[obj.message_id])
        return format_html('<a href="{}">{}</a>', url, _("view"))

    @admin.display(description=_("delivery"))
    def message_status(self, obj):
        return delivery_state(obj)

    @admin.display(description=_("sent"))
    def message_sent_at(self, obj):
        return obj.message.sent_at if obj.message else None

    @admin.display(description=_("last error"))
    def message_error(self, obj):
        return obj.message.last_error if obj.message else ""


class HoldInline(ReadOnlyInline):
    model = Hold
    related = ("agency",)
    fields = ("agency", "agency_reference", "started_at", "until", "released_at", "end_reason")
    readonly_fields = fields


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        counts = queue_counts(request)
        return [(name, f"{label} ({counts[name]})") for name, (label, _c) in QUEUES.items()]

    def queryset(self, request, queryset):
        if self.value() in QUEUES:
            return reports_in_queue(queryset, self.value(), request)
        return queryset


@admin.register(Report)
class ReportAdmin(BulkAdminMixin, admin.ModelAdmin):
    list_display = (
        "reference_shown",
        "url_defanged",
        "provider",
        "category_shown",
        "status",
        "deadline_left",
        "analyst",
        "received_shown",
    )
    list_display_links = ("reference_shown",)
    paginator = EstimatedCountPaginator
    list_filter = (QueueFilter, "status", "channel")
    search_fields = ("reference", "host", "url_sha256")  # exact matches: get_search_results
    list_select_related = ("assigned_to", "provider")
    show_full_result_count = False
    change_form_template = "admin/reports/report/change_form.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "url_defanged",
                    "submitted_url_defanged",
                    "host",
                    "status",
                    "assigned_to",
                    "status_changed_at",
                )
            },
        ),
        (
            _("Report"),
            {
                "fields": (
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
            },
        ),
        (
            _("Assessment"),
            {
                "fields": (
                    "assessed_by",
                    "assessed_at",
                    "assessment_confirmed_by",
                    "assessment_confirmed_at",
                    "not_actionable_reason",
                    "legal_status",
                    "not_illegal_reason",
                    "industry_category",
                    "content_type",
                    "site_type",
                    "commerciality",
                    "payment_methods",
                    "is_virtual",
                    "is_user_generated",
                    "is_child_modeling",
                    "age_group",
                    "gender",
                )
            },
        ),
        (
            _("Hosting"),
            {
                "fields": (
                    "provider",
                    "hosting_country",
                    "forwarded_to",
                    "forwarded_reference",
                    "forwarded_at",
                )
            },
        ),
    )
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
    inlines = [NoticeInline, EventInline, EscalationInline, HoldInline]

    class Media:
        css = {"all": ("reports/report-list.css",)}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the transition buttons only

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return reports_with_running_deadline(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return reports_matching(queryset, term), False

    def get_ordering(self, request):
        return queue_ordering(request.GET.get("queue"))

    @admin.display(description=_("reference"), ordering="reference")
    def reference_shown(self, obj):
        return format_html('<span class="reference">{}</span>', obj.reference)

    @admin.display(description=_("category"), ordering="industry_category")
    def category_shown(self, obj):
        """The assessed category (A1 to B2) once there is one, else what the reporter chose."""
        if obj.industry_category:
            return obj.industry_category
        return obj.get_category_display() or "—"

    @admin.display(description=_("time left"), ordering=F("running_deadline").asc(nulls_last=True))
    def deadline_left(self, obj):
        return deadline_left(obj.running_deadline)

    @admin.display(description=_("analyst"), ordering="assigned_to__username")
    def analyst(self, obj):
        return obj.assigned_to.get_username() if obj.assigned_to else "—"

    @admin.display(description=_("received"), ordering="received_at")
    def received_shown(self, obj):
        return short_time_html(obj.received_at)

    @admin.display(description=_("URL (defanged)"), ordering="canonical_url")
    def url_defanged(self, obj):
        # In the list two lines of it at most (report-list.css); the whole of it on hover.
        shown = defang(obj.canonical_url)
        return format_html('<code class="defanged-url" title="{}">{}</code>', shown, shown)

    @admin.display(description=_("URL as submitted (defanged)"))
    def submitted_url_defanged(self, obj):
        return _defanged(obj.submitted_url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.transition_view)
        lookup = self.admin_site.admin_view(self.lookup_view)
        host_rule = self.admin_site.admin_view(self.host_rule_view)
        return [
            path("<int:object_id>/transition/<str:name>/", view, name="reports_report_transition"),
            path("<int:object_id>/hosting-lookup/", lookup, name="reports_report_lookup"),
            path("<int:object_id>/host-rule/", host_rule, name="reports_report_host_rule"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if report is not None:
            lookup = report.hosting_lookup
            suggested = lookup_suggestion(lookup)
            # The newest notice: the running one if any runs (one at a time, the newest).
            latest = report.notices.select_related("provider", "lookup").first()
            box = triage_box(report, latest)
            running = box["running_notice"]
            step = assess_step_context(report, suggested)
            filters = request.GET.get(FILTERS, "")
            extra_context.update(box)
            extra_context["step"] = step
            extra_context["transitions"] = self._transition_forms(
                request, report, suggested, running, step
            )
            extra_context["changelist_filters"] = filters
            extra_context["queue_url"] = self._queue_url(filters) if filters else ""
            if box["clock"] is not None:
                extra_context["time_left"] = duration_left(box["clock"]["left"])
            extra_context["exact_url"] = report.canonical_url
            extra_context["exact_url_defanged"] = defang(report.canonical_url)
            extra_context["suggested_provider"] = suggested
            extra_context["lookup"] = lookup
            extra_context["lookup_pending"] = report.lookups.filter(
                state=HostingLookup.State.PENDING
            ).exists()
            extra_context["hosting_changed"] = report.hosting_changed
            extra_context["can_look_up"] = request.user.has_perm("reports.triage_report")
            extra_context.update(self._host_rules_context(request, report))
            extra_context.update(removal_checks_context(report))
            delivery = notice_delivery_context(running)
            extra_context["delivery_failure"] = delivery["failure"]
            extra_context["deliveries"] = [
                {"item": item, "state": delivery_state(item)} for item in delivery["items"]
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def _host_rules_context(self, request, report) -> dict:
        """The rules for the report's host; supervisors add one, or edit those there are."""
        if not request.user.has_perm("hotline.view_hostrule"):
            return {}
        addable = request.user.has_perm("hotline.add_hostrule") and registrable_domain(report.host)
        return {
            "host_rules": host_rules_for_host(report.host),
            "host_rule_form": forms.HostRuleAddForm(host=report.host) if addable else None,
            "can_edit_host_rules": request.user.has_perm("hotline.change_hostrule"),
        }

    def host_rule_view(self, request, object_id):
        if request.method != "POST":
            return redirect("admin:reports_report_change", object_id)
        report = get_object_or_404(Report, pk=object_id)
        if not request.user.has_perm("hotline.add_hostrule"):
            raise PermissionDenied
        form = forms.HostRuleAddForm(request.POST, host=report.host)
        if not form.is_valid():
            self._form_errors(request, "Host rule", form)
            return self._back(report.pk, request)
        try:
            rule = host_rule_add(
                actor=Actor.for_user(request.user),
                provider_id=form.cleaned_data["provider"].pk,
                domain=form.cleaned_data["domain"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Reports for {rule.domain} now go to {rule.provider.name} (a suggestion for "
                "the hosting; nothing is assessed by it). Look the host up again to apply it.",
                messages.SUCCESS,
            )
        return self._back(report.pk, request)

    def lookup_view(self, request, object_id):
        if request.method != "POST":
            return redirect("admin:reports_report_change", object_id)
        report = get_object_or_404(Report, pk=object_id)
        if not request.user.has_perm("reports.triage_report"):
            raise PermissionDenied
        hosting.lookup_request(report.pk, actor=Actor.for_user(request.user))
        self.message_user(
            request,
            f"{report.reference}: looking the host up again; reload in a moment.",
            messages.SUCCESS,
        )
        return self._back(report.pk, request)

    def _transition_forms(self, request, report, suggested, running, step):
        allowed = workflow.transitions_allowed(report, request.user)
        if report.status == S.NEW and request.user.has_perm("reports.triage_report"):
            # Assessing claims a report nobody has, in the same step.
            allowed.append(workflow.TRANSITIONS["assess_illegal"])
        entries = []
        for transition in allowed:
            if transition.name not in TRANSITION_VIEWS or not transition_can_succeed(
                transition.name, report, request.user, running
            ):
                continue
            form_class, _ = TRANSITION_VIEWS[transition.name]
            form = None
            if form_class is not None:
                initial = {}
                if transition.name == "set_hosting" and suggested is not None:
                    country = suggested_country(report.hosting_lookup, suggested)
                    initial = {"provider": suggested, "country": country}
                if transition.name == "assess_illegal":
                    initial = {
                        "provider": step["notify_provider"],
                        "partner": step["forward_partner"],
                        "country": step["hosting_country"],
                    }
                form = form_class(prefix=transition.name, initial=initial, report=report)
            entries.append(
                {
                    "transition": transition,
                    "form": form,
                    "url": self._transition_url(report, transition.name),
                    "confirm": transition.name in DESTRUCTIVE,
                }
            )
        return entries

    @staticmethod
    def _transition_url(report, name) -> str:
        return reverse("admin:reports_report_transition", args=[report.pk, name])

    @staticmethod
    def _queue_url(filters: str) -> str:
        query = QueryDict(filters).urlencode()
        return reverse("admin:reports_report_changelist") + (f"?{query}" if query else "")

    @staticmethod
    def _change_url(report_id: int, filters: str) -> str:
        url = reverse("admin:reports_report_change", args=[report_id])
        return f"{url}?{urlencode({FILTERS: filters})}" if filters else url

    def _form_errors(self, request, label: str, form) -> None:
        for field, errors in form.errors.items():
            for error in errors:
                self.message_user(request, f"{label}: {field}: {error}", messages.ERROR)

    def _back(self, report_id: int, request):
        """Back to the report, keeping the queue it was opened from."""
        return redirect(self._change_url(report_id, request.POST.get(FILTERS, "")))

    def _next(self, report, request):
        """After a step: the next report of the queue the analyst came from, or the queue
        itself when it is empty; the same report when it was not opened from a queue."""
        filters = request.POST.get(FILTERS, "")
        params = QueryDict(filters)
        queue = params.get("queue")
        if queue not in QUEUES:
            return self._back(report.pk, request)
        following = report_next_in_queue(queue, request, after=report.pk, term=params.get("q", ""))
        if following is None:
            self.message_user(request, _("The queue is empty."), messages.INFO)
            return redirect(self._queue_url(filters))
        return redirect(self._change_url(following, filters))

    def transition_view(self, request, object_id, name):
        if request.method != "POST":
            return redirect("admin:reports_report_change", object_id)
        report = get_object_or_404(Report, pk=object_id)
        step = name in STEP_BUTTONS
        transition_name = "assess_illegal" if step else name
        if transition_name not in TRANSITION_VIEWS or not self.has_view_permission(request, report):
            raise PermissionDenied
        transition = workflow.TRANSITIONS[transition_name]
        if not transition.permission or not request.user.has_perm(transition.permission):
            raise PermissionDenied  # a role without the button cannot post it either
        form_class, function = TRANSITION_VIEWS[transition_name]
        kwargs = {}
        if form_class is not None:
            form = form_class(request.POST, prefix=transition_name, report=report)
            if not form.is_valid():
                self._form_errors(request, transition.label, form)
                return self._back(report.pk, request)
            kwargs = form.workflow_kwargs()
        if step:
            kwargs["then"] = STEP_BUTTONS[name]
        if name in DESTRUCTIVE and request.POST.get("_confirmed") != "1":
            return self._confirm_page(request, report, transition, running_notice(report))
        try:
            done = function(report.pk, actor=Actor.for_user(request.user), **kwargs)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(report.pk, request)
        label = self._step_label(name, done) if step else transition.label
        self.message_user(request, f"{report.reference}: {label}: done.", messages.SUCCESS)
        return self._next(report, request)

    @staticmethod
    def _step_label(name, report) -> str:
        """``report``: as the step left it."""
        if STEP_BUTTONS[name] == FORWARD:
            return f"assessed illegal and forwarded to {report.forwarded_to.name}"
        return f"assessed illegal and notified {report.provider.name}"

    def _confirm_page(self, request, report, transition, running):
        """Ask before a step that cannot be undone; the answer posts the same fields again."""
        fields = [
            (key, value)
            for key, values in request.POST.lists()
            if key not in ("csrfmiddlewaretoken", "_confirmed")
            for value in values
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{transition.label}: {report.reference}",
            "opts": self.opts,
            "report": report,
            "transition": transition,
            "running_notice": running,
            "fields": fields,
            "action": request.path,
            "back_url": self._change_url(report.pk, request.POST.get(FILTERS, "")),
        }
        return TemplateResponse(request, "admin/reports/report/transition_confirm.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "report",
        "provider",
        "kind",
        "status",
        "sent_at",
        "handed_off_at",
        "deadline_at",
        "time_left",
        "repeats_sent",
    )
    list_display_links = ("report",)
    list_filter = ("status", "kind")
    list_select_related = ("report", "provider")
    search_fields = ("=report__reference", "=provider__name")
    show_full_result_count = False
    ordering = ("deadline_at",)
    readonly_fields = [f.name for f in Notice._meta.fields] + ["time_left"]
    inlines = [MessageInline]

    @admin.display(description=_("time left"), ordering="deadline_at")
    def time_left(self, obj):
        return time_left(obj)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("at", "report", "verb", "from_status", "to_status", "actor_label")
    list_display_links = ("at",)
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
        "state",
        "content_hash",
        "sealed_as",
    )
    readonly_fields = fields

    @admin.display(description=_("sealed as"))
    def sealed_as(self, obj):
        seal = getattr(obj, "seal", None)  # the missing one-to-one raises an AttributeError
        return f"{seal.seq}: {seal.chain_hash}" if seal else _("not sealed yet")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "report",
        "agency",
        "kind",
        "channel",
        "agency_reference",
        "created_by_label",
    )
    list_filter = ("kind", "channel", "agency")
    list_select_related = ("report", "agency")
    search_fields = ("=report__reference", "=agency_reference")
    readonly_fields = (
        "report",
        "agency",
        "kind",
        "channel",
        "agency_reference",
        "note",
        "corrects",
        "created_by",
        "created_by_label",
        "created_at",
        "acknowledged_at",
    )


class MessageItemInline(ReadOnlyInline):
    """The notices a message spoke about, each with its report."""

    model = MessageItem
    related = ("notice__report", "notice__provider")
    fields = ("report", "notice", "kind", "attempt", "dropped")
    readonly_fields = fields
    verbose_name = _("notice it carried")
    verbose_name_plural = _("notices it carried")

    @admin.display(description=_("report"))
    def report(self, obj):
        report = obj.notice.report
        url = reverse("admin:reports_report_change", args=[report.pk])
        return format_html('<a href="{}">{}</a>', url, report.reference)


class DeliveryFailedFilter(admin.SimpleListFilter):
    """The messages the outbox gave up on, newest first: what the supervisors look at."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("failed", _("delivery failed")), ("waiting", _("still being tried"))]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status=OutgoingMessage.Status.FAILED).order_by("-failed_at")
        if self.value() == "waiting":
            return queryset.filter(
                status__in=(OutgoingMessage.Status.PENDING, OutgoingMessage.Status.SENDING)
            )
        return queryset


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ReadOnlyAdmin):
    """The outbox, read-only: every e-mail and webhook call, where it stands and why it failed.
    Bodies and X-ARF documents are not shown: they carry the reported URLs as they were sent."""

    list_display = (
        "id",
        "created_at",
        "kind",
        "channel",
        "target",
        "provider",
        "status",
        "attempts",
        "next_attempt_shown",
        "possible_duplicate",
        "last_error",
    )
    list_filter = (DeliveryFailedFilter, "status", "channel", "kind")
    list_select_related = ("provider",)
    search_fields = ("=provider__name", "=target", "=message_id")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ("-created_at", "-id")
    fields = (
        "kind",
        "channel",
        "target",
        "provider",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "possible_duplicate",
        "message_id",
        "uuid",
        "subject",
        "created_at",
        "first_failed_at",
        "sent_at",
        "failed_at",
        "last_error",
    )
    readonly_fields = fields
    inlines = [MessageItemInline]

    @admin.display(description=_("next attempt"), ordering="next_attempt_at")
    def next_attempt_shown(self, obj):
        # Only while it is still tried: afterwards the column is a leftover lease time.
        if obj.status in (OutgoingMessage.Status.PENDING, OutgoingMessage.Status.SENDING):
            return obj.next_attempt_at
        return None

    def get_urls(self):
        test = self.admin_site.admin_view(self.test_delivery_view)
        return [
            path(
                "test-delivery/<int:provider_id>/",
                test,
                name="reports_outgoingmessage_test_delivery",
            ),
            *super().get_urls(),
        ]

    def test_delivery_view(self, request, provider_id):
        """The provider page's "Test delivery" (posted there, answered back there)."""
        if request.method != "POST":
            return redirect("admin:hotline_provider_change", provider_id)
        provider = get_object_or_404(Provider, pk=provider_id)
        if not request.user.has_perm("hotline.change_provider"):
            raise PermissionDenied
        queued = outbox.provider_test_delivery(provider.pk, actor=Actor.for_user(request.user))
        where = ", ".join(f"{m.get_channel_display()} ({m.target})" for m in queued)
        self.message_user(
            request,
            format_html(
                '{}: a test message was queued by {}. Whether it went shows in <a href="{}">its '
                "messages</a>.",
                provider.name,
                where,
                provider_messages_url(provider.pk),
            ),
            messages.SUCCESS,
        )
        return redirect("admin:hotline_provider_change", provider.pk)


def provider_messages_url(provider_id: int) -> str:
    changelist = reverse("admin:reports_outgoingmessage_changelist")
    return f"{changelist}?provider__id__exact={provider_id}"


@provider_tool_register
def _delivery_tools(request, provider) -> list[dict]:
    """On the provider's page: its messages, and (supervisors) a test delivery."""
    tools = [
        {
            "label": _("Its messages (the outbox)"),
            "url": provider_messages_url(provider.pk),
            "help": "",
            "post": False,
        }
    ]
    if request.user.has_perm("hotline.change_provider"):
        tools.append(
            {
                "label": _("Test delivery"),
                "url": reverse("admin:reports_outgoingmessage_test_delivery", args=[provider.pk]),
                "help": _(
                    "Sends a test message on each of the provider's channels now; whether it "
                    "went shows in its messages."
                ),
                "post": True,
            }
        )
    return tools


# The admin index opens with the analysts' queues and their counts.
admin.site.index_template = "admin/triage_index.html"
