"""The analysts' admin at scale: a hotline's years of reports, most of them long closed.

``admin_data_insert(conn, params)`` fills the report tables for ``params["n"]`` reports (ids
1..n, the highest the newest, received over three years up to ``now``), inside PostgreSQL with
``support.bulk.bulk_load``. At a million reports:

- the newest 2 % (about three weeks) hold the open work: of them 20 % new, 10 % in review (one in
  ten claimed by the benchmark's user, ``me``), 15 % actionable (two thirds with a provider: one
  in five of those has a scheduled notice, the rest are ready to send, some after a withdrawn
  notice), 5 % on hold (with an active hold and an escalation), 25 % takedown requested (a notice
  open, its deadline ahead: one in six within 4 hours), 15 % overdue, 5 % duplicates, 5 % closed;
- the older 98 %: 23 % removed (a removed notice, three in ten after a withdrawn one), 20 %
  duplicates, 3 % forwarded, 54 % closed, and a few stuck on hold (0.03 %) or overdue (0.05 %).

That is about 4,000 new, 2,000 in review, 3,000 actionable, 1,300 on hold, 3,500 overdue,
about 1,900 disputed notices, and 300,000 notices in all. Each in-review, assessed or closed report
was claimed by one of ``analysts``; duplicates share their original's URL; a host has about 50
reports. Every report has its "received" event; the open ones their whole trail. Overdue reports
whose id is a multiple of 5 also have an earlier withdrawn notice, an escalation and a released
hold, and their running notice is disputed: the newest is the ``showcase`` for the report page.
"""

import psycopg

from support.bulk import bulk_load

TABLES = (
    "reports_report",
    "reports_notice",
    "reports_event",
    "reports_hold",
    "reports_escalation",
)
SPAN_SECONDS = 3 * 365 * 86400
OPEN = "('new', 'in_review', 'actionable', 'on_hold', 'takedown_requested', 'overdue')"

# Report g: recent when among the newest 2 %; its status by a hash of g (see the docstring).
REPORTS = """
INSERT INTO reports_report (
    id, reference, submitted_url, canonical_url, url_sha256, host, channel, partner_id,
    external_id, category, description, reporter_email, tracking_secret_hash, status,
    status_changed_at, duplicate_of_id, previous_id, assigned_to_id, claimed_at, assessed_by_id,
    assessed_at, not_actionable_reason, legal_status, industry_category, content_type, site_type,
    commerciality, provider_id, hosting_country, forwarded_to_id, forwarded_reference, forwarded_at,
    status_before_hold, times_reported, received_at
)
SELECT g,
       'HL-' || substr(lpad(g::text, 8, '0'), 1, 4) || '-' || substr(lpad(g::text, 8, '0'), 5),
       u.url, u.url, encode(sha256(convert_to(u.url, 'UTF8')), 'hex'), u.host,
       c.channel, CASE WHEN c.channel = 'partner' THEN %(partner)s::bigint END,
       '', 'abuse_imagery', '', '', '',
       s.status,
       t.received_at + CASE s.status
           WHEN 'new' THEN interval '0' WHEN 'duplicate' THEN interval '0'
           WHEN 'in_review' THEN interval '1 hour' WHEN 'removed' THEN interval '30 hours'
           WHEN 'overdue' THEN interval '27 hours' ELSE interval '2 hours' END,
       CASE WHEN s.status = 'duplicate' THEN u.key END,
       NULL,
       CASE WHEN s.status IN ('new', 'duplicate') THEN NULL
            WHEN s.status = 'in_review' AND t.h %% 10 = 0 THEN %(me)s::int
            ELSE (%(analysts)s::int[])[1 + g %% cardinality(%(analysts)s::int[])] END,
       CASE WHEN s.status NOT IN ('new', 'duplicate') THEN t.received_at + interval '1 hour' END,
       CASE WHEN s.assessed THEN (%(analysts)s::int[])[1 + g %% cardinality(%(analysts)s::int[])]
       END,
       CASE WHEN s.assessed THEN t.received_at + interval '2 hours' END,
       CASE WHEN s.status = 'closed' THEN 'not_illegal' ELSE '' END,
       CASE WHEN s.illegal THEN 'baseline' ELSE '' END,
       CASE WHEN s.illegal THEN 'A1' ELSE '' END,
       CASE WHEN s.illegal THEN 'image' ELSE '' END,
       CASE WHEN s.illegal THEN 'image_host' ELSE '' END,
       CASE WHEN s.illegal THEN 'non_commercial' ELSE '' END,
       CASE WHEN s.hosted THEN (%(providers)s::bigint[])[1 + u.key %% 1000
                                   %% cardinality(%(providers)s::bigint[])] END,
       CASE WHEN s.hosted THEN 'NL' WHEN s.status = 'forwarded' THEN 'US' ELSE '' END,
       CASE WHEN s.status = 'forwarded' THEN %(partner)s::bigint END,
       CASE WHEN s.status = 'forwarded' THEN 'P-' || g ELSE '' END,
       CASE WHEN s.status = 'forwarded' THEN t.received_at + interval '3 hours' END,
       CASE WHEN s.status = 'on_hold' THEN 'actionable' ELSE '' END,
       1,
       t.received_at
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
     LATERAL (SELECT %(n)s::bigint - g < %(recent)s::bigint AS recent,
                     (g * 2654435761) %% 1000 AS h,
                     (g * 40503) %% 10000 AS h2,
                     %(now)s::timestamptz - make_interval(
                         secs => (%(n)s::bigint - g) * %(step)s::float8 + g %% 60) AS received_at)
         AS t,
     LATERAL (SELECT CASE WHEN t.recent THEN
                         CASE WHEN t.h < 200 THEN 'new' WHEN t.h < 300 THEN 'in_review'
                              WHEN t.h < 450 THEN 'actionable' WHEN t.h < 500 THEN 'on_hold'
                              WHEN t.h < 750 THEN 'takedown_requested'
                              WHEN t.h < 900 THEN 'overdue' WHEN t.h < 950 THEN 'duplicate'
                              ELSE 'closed' END
                     ELSE
                         CASE WHEN t.h2 < 5 THEN 'overdue' WHEN t.h2 < 8 THEN 'on_hold'
                              WHEN t.h2 < 308 THEN 'forwarded' WHEN t.h2 < 2608 THEN 'removed'
                              WHEN t.h2 < 4608 THEN 'duplicate' ELSE 'closed' END
                     END AS status) AS s0,
     LATERAL (SELECT s0.status,
                     s0.status NOT IN ('new', 'in_review', 'duplicate') AS assessed,
                     s0.status NOT IN ('new', 'in_review', 'duplicate', 'closed') AS illegal,
                     s0.status IN ('on_hold', 'takedown_requested', 'overdue', 'removed')
                         OR (s0.status = 'actionable' AND t.h < 400) AS hosted) AS s,
     LATERAL (SELECT CASE WHEN s.status = 'duplicate' AND g > 1
                          THEN greatest(1, g - 1 - (g * 7) %% 500) ELSE g END AS key) AS k,
     LATERAL (SELECT k.key,
                     'img' || (k.key %% 20000) || '.host' || (k.key %% 1000) || '.example.net'
                         AS host) AS h,
     LATERAL (SELECT h.key, h.host,
                     'https://' || h.host || '/gallery/' || h.key || '.jpg' AS url) AS u,
     LATERAL (SELECT CASE WHEN g %% 10 < 6 THEN 'web' WHEN g %% 10 < 9 THEN 'api'
                          ELSE 'partner' END AS channel) AS c
"""

# The running or last notice of each report that has one.
NOTICES = """
INSERT INTO reports_notice (
    uuid, report_id, provider_id, kind, status, created_at, created_by_label, scheduled_for,
    sent_at, deadline_at, policy, reminder_sent_at, acknowledged_at, removal_confirmed_at,
    removed_at, disputed_at, dispute_reason, withdrawn_at, withdrawal_reason, repeats_sent,
    escalated_at, held_seconds, due_at, handed_off_at
)
SELECT gen_random_uuid(), r.id, r.provider_id, 'voluntary', x.status,
       coalesce(x.sent_at, %(now)s), 'bench', x.scheduled_for, x.sent_at,
       x.sent_at + interval '24 hours', 'default: 24h',
       CASE WHEN x.status IN ('overdue', 'removed') THEN x.sent_at + interval '20 hours' END,
       NULL,
       CASE WHEN x.status = 'removed' THEN x.sent_at + interval '6 hours' END,
       CASE WHEN x.status = 'removed' THEN x.sent_at + interval '6 hours' END,
       CASE WHEN x.disputed THEN x.sent_at + interval '3 hours' END,
       CASE WHEN x.disputed THEN 'not hosted by us' ELSE '' END,
       NULL, '',
       CASE WHEN x.status = 'overdue' THEN 1 ELSE 0 END,
       NULL, 0,
       CASE x.status WHEN 'scheduled' THEN x.scheduled_for
                     WHEN 'open' THEN x.sent_at + interval '20 hours'
                     WHEN 'overdue' THEN x.sent_at + interval '48 hours' END,
       x.sent_at
FROM reports_report AS r,
     LATERAL (SELECT CASE r.status WHEN 'takedown_requested' THEN 'open'
                                   WHEN 'actionable' THEN 'scheduled' ELSE r.status END AS status,
                     (r.status IN ('takedown_requested', 'overdue') AND r.id %% 7 = 0)
                         OR (r.status = 'overdue' AND r.id %% 5 = 0) AS disputed,
                     CASE WHEN r.status = 'actionable'
                          THEN %(now)s::timestamptz + interval '2 hours' END AS scheduled_for,
                     CASE r.status
                         WHEN 'actionable' THEN NULL
                         WHEN 'takedown_requested'
                             THEN %(now)s::timestamptz - make_interval(secs => r.id %% 86000)
                         WHEN 'overdue' THEN least(r.received_at + interval '150 minutes',
                                                   %(now)s::timestamptz - interval '30 hours')
                         ELSE r.received_at + interval '150 minutes' END AS sent_at) AS x
WHERE r.id BETWEEN %(first)s AND %(last)s
  AND (r.status IN ('takedown_requested', 'overdue', 'removed')
       OR (r.status = 'actionable' AND (r.id * 2654435761) %% 1000 BETWEEN 300 AND 329))
"""

# An earlier notice, withdrawn: three in ten removed reports, some actionable ones (then ready to
# send again) and the overdue reports whose id is a multiple of 5.
WITHDRAWN = """
INSERT INTO reports_notice (
    uuid, report_id, provider_id, kind, status, created_at, created_by_label, scheduled_for,
    sent_at, deadline_at, policy, reminder_sent_at, acknowledged_at, removal_confirmed_at,
    removed_at, disputed_at, dispute_reason, withdrawn_at, withdrawal_reason, repeats_sent,
    escalated_at, held_seconds, due_at, handed_off_at
)
SELECT gen_random_uuid(), r.id, r.provider_id, 'voluntary', 'withdrawn',
       r.received_at + interval '2 hours', 'bench', NULL, r.received_at + interval '2 hours',
       r.received_at + interval '26 hours', 'default: 24h', NULL, NULL, NULL, NULL, NULL, '',
       r.received_at + interval '140 minutes', 'wrong provider', 0, NULL, 0, NULL,
       r.received_at + interval '2 hours'
FROM reports_report AS r
WHERE r.id BETWEEN %(first)s AND %(last)s
  AND ((r.status = 'removed' AND (r.id * 31) %% 10 < 3)
       OR (r.status = 'actionable' AND (r.id * 2654435761) %% 1000 BETWEEN 330 AND 344)
       OR (r.status = 'overdue' AND r.id %% 5 = 0))
"""

# Every report's "received" event; the open ones also their claim, assessment and notice. The
# content hashes are stand-ins, and none is sealed (nothing verifies them).
EVENTS = (
    """
INSERT INTO reports_event (report_id, verb, from_status, to_status, at, actor_kind, actor_label,
                           actor_user_id, data, salt, content_hash)
SELECT r.id, e.verb, e.from_status, e.to_status, r.received_at + e.after,
       e.actor_kind, e.actor_label, CASE WHEN e.actor_kind = 'user' THEN r.assigned_to_id END,
       '{}'::jsonb, '',
       md5((r.id * 4 + e.step)::text) || md5((r.id * 4 + e.step)::text)
FROM reports_report AS r
CROSS JOIN LATERAL (VALUES
    (0, 'received', '', 'new', interval '0', 'public', 'public reporter'),
    (1, 'claim', 'new', 'in_review', interval '1 hour', 'user', 'analyst'),
    (2, 'assess_illegal', 'in_review', 'actionable', interval '2 hours', 'user', 'analyst'),
    (3, 'send_notice', 'actionable', 'takedown_requested', interval '150 minutes', 'user',
     'analyst')
) AS e(step, verb, from_status, to_status, after, actor_kind, actor_label)
WHERE r.id BETWEEN %(first)s AND %(last)s
  AND (e.step = 0
       OR (r.status IN """
    + OPEN
    + """ AND r.status <> 'new'
           AND (e.step = 1 OR r.status <> 'in_review')
           AND (e.step < 3 OR r.status IN ('takedown_requested', 'overdue'))))
"""
)

HOLDS = """
INSERT INTO reports_hold (report_id, notice_id, agency_id, agency_reference, started_at, until,
                          released_at, end_reason)
SELECT r.id, NULL::bigint, %(agency)s::bigint, 'INQ-' || r.id, r.status_changed_at,
       %(now)s::timestamptz + interval '7 days', NULL, ''
FROM reports_report AS r
WHERE r.id BETWEEN %(first)s AND %(last)s AND r.status = 'on_hold'
UNION ALL
SELECT r.id, NULL::bigint, %(agency)s::bigint, 'INQ-' || r.id,
       r.received_at + interval '140 minutes', r.received_at + interval '7 days',
       r.received_at + interval '150 minutes', 'released'
FROM reports_report AS r
WHERE r.id BETWEEN %(first)s AND %(last)s AND r.status = 'overdue' AND r.id %% 5 = 0
"""

ESCALATIONS = """
INSERT INTO reports_escalation (report_id, agency_id, kind, agency_reference, channel, note,
                                corrects_id, created_by_id, created_by_label, created_at,
                                acknowledged_at)
SELECT r.id, %(agency)s, 'notification', 'INQ-' || r.id, 'portal', '', NULL, r.assigned_to_id,
       'analyst', r.received_at + interval '130 minutes', NULL
FROM reports_report AS r
WHERE r.id BETWEEN %(first)s AND %(last)s
  AND (r.status = 'on_hold' OR (r.status = 'overdue' AND r.id %% 5 = 0))
"""


def admin_data_insert(conn: psycopg.Connection, params: dict) -> dict:
    """Load ``params["n"]`` reports and what belongs to them; rows per table, and seconds.

    ``params``: n, now, providers (ids), analysts (user ids), me (user id), partner, agency.
    """
    n = params["n"]
    params = params | {
        "first": 1,
        "last": n,
        "recent": max(1, n // 50),
        "step": SPAN_SECONDS / n,
    }
    rows = {}
    with bulk_load(conn, TABLES) as timing:
        rows["reports"] = conn.execute(REPORTS, params).rowcount
        rows["notices"] = conn.execute(NOTICES, params).rowcount
        rows["notices"] += conn.execute(WITHDRAWN, params).rowcount
        rows["events"] = conn.execute(EVENTS, params).rowcount
        rows["holds"] = conn.execute(HOLDS, params).rowcount
        rows["escalations"] = conn.execute(ESCALATIONS, params).rowcount
    rows["seconds"] = timing["seconds"]
    return rows


def showcase(conn: psycopg.Connection) -> int:
    """The newest overdue report with two notices (one disputed), an escalation and a hold."""
    found = conn.execute(
        "SELECT max(id) FROM reports_report WHERE status = 'overdue' AND id % 5 = 0"
    ).fetchone()[0]
    if found is None:
        raise RuntimeError("no overdue report with an id divisible by 5: more reports, please")
    return found


def queue_sizes(conn: psycopg.Connection) -> dict[str, int]:
    """Reports per status, and notices per status (for the printout)."""
    sizes = dict(
        conn.execute("SELECT status, count(*) FROM reports_report GROUP BY status").fetchall()
    )
    for status, count in conn.execute(
        "SELECT status, count(*) FROM reports_notice GROUP BY status"
    ).fetchall():
        sizes[f"notice {status}"] = count
    sizes["notice disputed"] = conn.execute(
        "SELECT count(*) FROM reports_notice WHERE disputed_at IS NOT NULL"
        " AND status IN ('scheduled', 'open', 'overdue')"
    ).fetchone()[0]
    return sizes
