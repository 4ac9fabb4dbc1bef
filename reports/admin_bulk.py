"""Bulk admin actions on the report list, and "Paste URLs". Thin: each action runs one service
of reports/bulk.py (the workflow function per report), the paste page one of reports/intake.py.

An action that needs input shows a form page first (Django admin's pattern: it posts back to
the list with the selected ids and the action), listing the reports it will touch.
"""

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hotline.actors import Actor
from hotline.errors import DomainError
from hotline.url import defang
from reports import bulk, forms, intake, workflow
from reports.bulk_forms import PasteURLsForm
from reports.selectors.report_page import lookup_suggestion
from reports.workflow.engine import TRIAGE

FORM_PREFIX = "bulk"
APPLY = "bulk_apply"  # posted by the form page: run the action now
PASTE_TOKENS = "paste_tokens"  # session: the paste forms shown and not yet filed
PASTE_TOKENS_KEPT = 10


@dataclass(frozen=True)
class BulkAction:
    name: str
    transition: str  # the workflow transition: its permission is the action's
    label: str
    service: Callable[..., bulk.BulkResult]
    form_class: type | None = None


BULK_ACTIONS = [
    BulkAction("bulk_claim", "claim", _("Claim"), bulk.reports_claim),
    BulkAction("bulk_release", "release", _("Release"), bulk.reports_release),
    BulkAction(
        "bulk_assess_illegal",
        "assess_illegal",
        _("Assess illegal (one classification; claims unclaimed ones)"),
        bulk.reports_assess_illegal,
        forms.IllegalForm,
    ),
    BulkAction(
        "bulk_assess_not_actionable",
        "assess_not_actionable",
        _("Assess not actionable (claims unclaimed ones)"),
        bulk.reports_assess_not_actionable,
        forms.NotActionableForm,
    ),
    BulkAction(
        "bulk_mark_duplicate",
        "mark_duplicate",
        _("Mark duplicate of…"),
        bulk.reports_mark_duplicate,
        forms.DuplicateForm,
    ),
    BulkAction(
        "bulk_set_hosting",
        "set_hosting",
        _("Set hosting"),
        bulk.reports_set_hosting,
        forms.HostingForm,
    ),
    BulkAction(
        "bulk_send_notice",
        "send_notice",
        _("Send notices (grouped per provider)"),
        bulk.reports_send_notice,
        forms.SendNoticeForm,
    ),
]


def _reported(request, label, result: bulk.BulkResult) -> None:
    """The result as admin messages: what was done, and each reason with its references."""
    if result.done:
        messages.success(
            request,
            _("%(label)s: done for %(count)d: %(references)s.")
            % {"label": label, "count": len(result.done), "references": ", ".join(result.done)},
        )
    for provider, count in sorted(result.notices_per_provider.items()):
        messages.info(
            request,
            _("%(provider)s: %(count)d notices queued; they go as one message per provider.")
            % {"provider": provider, "count": count},
        )
    if result.scheduled:
        messages.info(
            request,
            _("%(count)d of them wait for the police window and go when it closes.")
            % {"count": result.scheduled},
        )
    for reason, references in result.refused.items():
        messages.error(
            request,
            _("Refused for %(count)d (%(references)s): %(reason)s")
            % {"count": len(references), "references": ", ".join(references), "reason": reason},
        )
    if not result.done and not result.refused:
        messages.warning(request, _("None of the selected reports exist any more."))


def _action_run(action: BulkAction):
    def run(modeladmin, request, queryset):
        try:
            bulk.bulk_cap_check(queryset.count())
        except DomainError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
            return None
        kwargs = {}
        if action.form_class is not None:
            form = action.form_class(
                request.POST if APPLY in request.POST else None, prefix=FORM_PREFIX
            )
            if not form.is_valid():
                return _form_page(modeladmin, request, queryset, action, form)
            kwargs = form.workflow_kwargs()
        ids = list(queryset.values_list("pk", flat=True))
        try:
            result = action.service(ids, actor=Actor.for_user(request.user), **kwargs)
        except DomainError as error:
            modeladmin.message_user(request, error.message, messages.ERROR)
            return None
        _reported(request, action.label, result)
        return None  # back to the list, its queue and filters kept

    run.__name__ = action.name
    return run


def _form_page(modeladmin, request, queryset, action: BulkAction, form):
    """The action's inputs, and the reports it will touch (one query, whatever their number)."""
    reports = queryset.select_related(
        "assigned_to",
        "provider",
        "hosting_lookup__provider",
        "hosting_lookup__candidate__provider",
    ).order_by("pk")
    rows = [
        {
            "report": report,
            "url": defang(report.canonical_url),
            "provider": report.provider or lookup_suggestion(report.hosting_lookup),
            "suggested": report.provider is None,
        }
        for report in reports
    ]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": action.label,
        "opts": modeladmin.model._meta,
        "action": action,
        "form": form,
        "rows": rows,
        "show_provider": action.transition == "send_notice",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "apply": APPLY,
    }
    return TemplateResponse(request, "admin/reports/report/bulk_form.html", context)


class BulkAdminMixin:
    """For the report admin: the bulk actions (each only for roles with its transition's
    permission) and the "Paste URLs" page."""

    def action_checkbox(self, obj):
        # The stock column renders a widget template per row: a fifth of the list's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if IS_POPUP_VAR in request.GET:
            return actions
        for action in BULK_ACTIONS:
            if request.user.has_perm(workflow.TRANSITIONS[action.transition].permission):
                actions[action.name] = (_action_run(action), action.name, action.label)
        return actions

    def get_urls(self):
        paste = self.admin_site.admin_view(self.paste_urls_view)
        return [
            path("paste-urls/", paste, name="reports_report_paste_urls"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_paste_urls": _can_paste(request)}
        return super().changelist_view(request, extra_context)

    def paste_urls_view(self, request):
        if not _can_paste(request):
            raise PermissionDenied
        tokens = request.session.get(PASTE_TOKENS, [])
        answers = None
        form = PasteURLsForm(request.POST if request.method == "POST" else None)
        if form.is_bound and request.POST.get("token") not in tokens:
            # A reload of the answer page posts the paste again: it was filed once already.
            form.add_error(None, _("This paste was filed already; its answer was shown then."))
        elif form.is_valid():
            try:
                answers = intake.analyst_urls_submit(
                    form.cleaned_data["urls"],
                    note=form.cleaned_data["note"],
                    actor=Actor.for_user(request.user),
                )
            except DomainError as error:
                form.add_error("urls", error.message)
            else:
                tokens.remove(request.POST["token"])
        rows = _answer_rows(answers or [])
        token = secrets.token_urlsafe(16)
        request.session[PASTE_TOKENS] = [*tokens, token][-PASTE_TOKENS_KEPT:]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Paste URLs"),
            "opts": self.model._meta,
            "form": form if answers is None else PasteURLsForm(),
            "token": token,
            "answers": rows,
            "summary": _answer_summary(rows),
        }
        return TemplateResponse(request, "admin/reports/report/paste_urls.html", context)


def _can_paste(request) -> bool:
    return request.user.has_perm(TRIAGE)  # as for filing a report by hand: the analysts' own


def _answer_rows(answers: list[intake.PastedLine]) -> list[dict]:
    def link(report):
        return {
            "reference": report.reference,
            "url": reverse("admin:reports_report_change", args=[report.pk]),
        }

    rows = []
    for answer in answers:
        report = answer.report
        row = {"line": answer.number, "url": defang(answer.url), "reason": answer.reason}
        if report is None:
            row["kind"] = "refused"
        else:
            row["kind"] = "duplicate" if report.duplicate_of_id else "filed"
            row["report"] = link(report)
            row["same_as"] = answer.same_as
            row["original"] = link(report.duplicate_of) if report.duplicate_of_id else None
        rows.append(row)
    return rows


def _answer_summary(rows: list[dict]) -> dict[str, int]:
    """How many reports were filed new, as duplicates, and how many lines were refused (a URL
    pasted again counts once)."""
    counts = Counter(row["kind"] for row in rows if not row.get("same_as"))
    return {kind: counts[kind] for kind in ("filed", "duplicate", "refused")}
