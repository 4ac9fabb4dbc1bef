from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from hotline.actors import Actor
from hotline.directory import directory_load
from hotline.models import PartnerHotline
from reports.demo import (
    demo_bulk_reports,
    demo_checked_notice,
    demo_disputed_notice,
    demo_grouped_notices,
    demo_history_load,
    demo_webhook_notice,
)
from reports.intake import partner_batch_submit, report_submit, submission_clean
from reports.models import Channel, Report

DEMO_ADMIN = "admin"
DEMO_PASSWORD = "hotline-demo"  # noqa: S105  (laptop demo only; refused in production)
DEMO_STAFF = ("analyst", "supervisor", "auditor")  # one user per role, named after it
DEMO_DIRECTORY = Path(settings.BASE_DIR) / "hotline" / "fixtures" / "demo-directory.yaml"

# Reserved example domains (RFC 2606): nothing real is ever pointed at.
PUBLIC_URLS = [
    "https://images.example.com/gallery/4411",
    "http://forum.example.net/t/8820?page=2",
    "https://files.example.org/d/Qm9f1",
    "https://images.example.com/gallery/4411",  # reported twice: becomes a duplicate
    "https://photos.unlisted.example/p/9001",  # a host the directory does not know
    "https://media.cdn-fronted.example/v/77",  # behind a CDN
]
PARTNER_URLS = [
    "https://share.example.com/a/771",
    "https://share.example.com/a/772",
    "https://share.example.com/a/771#comments",  # same URL once canonical: a duplicate
]


class Command(BaseCommand):
    help = "Load demonstration data for the embedded default (never in production)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the service will listen"
        )

    def handle(self, *args, base_url, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is for the embedded default, not production.")
        user_model = get_user_model()
        if not user_model.objects.filter(username=DEMO_ADMIN).exists():
            user_model.objects.create_superuser(DEMO_ADMIN, "admin@example.org", DEMO_PASSWORD)
        for role in DEMO_STAFF:
            if not user_model.objects.filter(username=role).exists():
                user = user_model.objects.create_user(
                    role, f"{role}@example.org", DEMO_PASSWORD, is_staff=True
                )
                user.groups.add(Group.objects.get(name=role))
        directory_load(DEMO_DIRECTORY.read_text(), actor=Actor.system("demo data"))
        if not Report.objects.exists():
            self.stdout.write("Making four months of demo history (notices, removals, holds)...")
            supervisor = user_model.objects.get(username="supervisor")
            demo_history_load(supervisor)
            demo_checked_notice(supervisor)
            demo_grouped_notices(supervisor)
            demo_webhook_notice(supervisor)
            demo_disputed_notice(supervisor)
            demo_bulk_reports()
            for url in PUBLIC_URLS:
                report_submit(
                    submission=submission_clean(url=url, category="abuse_imagery"),
                    channel=Channel.WEB,
                    actor=Actor.public(),
                )
            partner = PartnerHotline.objects.get(name="Demo Partner Hotline")
            partner_batch_submit(
                partner=partner,
                items=[{"url": url, "external_id": f"P-{i}"} for i, url in enumerate(PARTNER_URLS)],
                actor=Actor.system("demo data"),
            )
        base = base_url.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    f"Demo data ready: {Report.objects.count()} reports.",
                    f"  Report form:  {base}/report/",
                    f"  API docs:     {base}/api/docs/",
                    f"  Admin:        {base}/admin/  (login {DEMO_ADMIN} / {DEMO_PASSWORD};"
                    f" also {', '.join(DEMO_STAFF)} with the same password)",
                    f"  Health:       {base}/healthz",
                ]
            )
        )
