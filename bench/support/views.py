"""The baseline for public intake: a bare Django view (no DRF) that inserts one report row.

It does the least a handler must do for the same request: read the JSON body, fill the row's
required columns (a unique reference, the URL, its SHA-256 and host) and answer 201. No
canonicalisation, de-duplication, audit event, throttle or serializer.
"""

import hashlib
import json
import os
import secrets
from urllib.parse import urlsplit

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from reports.models import Channel, Report


@csrf_exempt
@require_POST
def bare_insert(request):
    url = json.loads(request.body)["url"]
    report = Report.objects.create(
        reference=f"BL-{secrets.token_hex(6).upper()}",
        submitted_url=url,
        canonical_url=url,
        url_sha256=hashlib.sha256(url.encode()).hexdigest(),
        host=urlsplit(url).hostname or "",
        channel=Channel.API,
    )
    return JsonResponse({"reference": report.reference}, status=201)


def ping(request):
    """The worker's process id: the benchmark spreads its connections evenly over the workers."""
    return HttpResponse(str(os.getpid()), content_type="text/plain")
