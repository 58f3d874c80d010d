"""The Wuhan-sized activity data of the dashboard and items benchmarks, written in bulk SQL.

`seed_demo --city wuhan` builds the tree (1,603 alliances) and 50,000 member units. On top of
that, `seed_activity` writes, in one transaction of `INSERT … SELECT generate_series(…)`:

- 1,000,000 items over the 18 months before today, spread over the 1,433 communities (a
  district gets about 75,000), in realistic states: older items mostly resolved or closed,
  recent ones open; 20% escalated once to the street and 4% twice to the district; a fifth are
  commitment occurrences;
- 100,000 agreements (about 70 a community) in every stage, each with an initiating party and a
  unit party, two monthly commitments (200,000) and the occurrences tied to those items;
- about 34,000 meetings (planned, in session, closed), one community in seven without a
  meeting in the last four months;
- the points of the fulfilled occurrences and ratings of a third of the finished items.

The secondary indexes of the big tables are dropped before the inserts and rebuilt after them,
foreign-key triggers are off during the load (`session_replication_role = replica`: the rows are
consistent by construction), then the tables are vacuumed and analysed. Deterministic apart from
the dates, which are relative to now. Not part of the application.
"""

from __future__ import annotations

import time

ITEMS = 1_000_000
AGREEMENTS = 100_000
MEETINGS_PER_COMMUNITY = 24
BIG_TABLES = ("tasks_item", "agreements_agreement", "agreements_party", "agreements_commitment",
              "agreements_commitmentitem", "meetings_meeting", "agreements_pointentry", "tasks_rating")
# Their indexes are rebuilt after the load; the occurrences keep theirs (ON CONFLICT needs them).
REINDEXED_TABLES = ("tasks_item", "agreements_agreement", "agreements_party", "agreements_commitment",
                    "meetings_meeting", "tasks_rating")

SQL_SETUP = """
CREATE TEMP TABLE bc ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY c.path) - 1)::int AS ci, c.id AS cid, c.path AS cpath,
       s.id AS sid, s.path AS spath, d.id AS did, d.path AS dpath,
       (SELECT count(*) FROM members_memberunit u WHERE u.alliance_id = c.id)::int AS nu
FROM alliance_alliance c
JOIN alliance_alliance s ON s.tenant_id = c.tenant_id AND s.path = substr(c.path, 1, 12)
JOIN alliance_alliance d ON d.tenant_id = c.tenant_id AND d.path = substr(c.path, 1, 8)
WHERE c.tenant_id = %(t)s AND c.level = 'community';
CREATE UNIQUE INDEX ON bc (ci);
CREATE TEMP TABLE bu ON COMMIT DROP AS
SELECT u.id AS uid, bc.ci, (row_number() OVER (PARTITION BY u.alliance_id ORDER BY u.id) - 1)::int AS rn
FROM members_memberunit u JOIN bc ON bc.cid = u.alliance_id;
CREATE UNIQUE INDEX ON bu (ci, rn);
ANALYZE bc; ANALYZE bu;
SELECT setseed(0.2026);
"""

# One row per item with its random draws, so that the items and their occurrences agree.
SQL_DRAWS = """
CREATE TEMP TABLE bi ON COMMIT DROP AS
SELECT g, (g::bigint * 2654435761 %% 4294967291 %% %(nc)s)::int AS ci,
       date_trunc('second', now() - interval '540 days' * (1 - g::float8 / %(n)s)
                  - interval '1 minute' * floor(random() * 600)) AS created_at,
       random() AS rs, random() AS re, random() AS rr, random() AS rx
FROM generate_series(1, %(n)s) g;
ALTER TABLE bi ADD COLUMN status text, ADD COLUMN esc int;
UPDATE bi SET
  status = CASE WHEN created_at < now() - interval '45 days' THEN
                  CASE WHEN rs < 0.62 THEN 'closed' WHEN rs < 0.85 THEN 'resolved' WHEN rs < 0.90 THEN 'rejected'
                       WHEN rs < 0.94 THEN 'in_progress' WHEN rs < 0.97 THEN 'accepted' ELSE 'new' END
                ELSE
                  CASE WHEN rs < 0.25 THEN 'new' WHEN rs < 0.45 THEN 'accepted' WHEN rs < 0.65 THEN 'in_progress'
                       WHEN rs < 0.85 THEN 'resolved' WHEN rs < 0.95 THEN 'closed' ELSE 'rejected' END
           END,
  esc = CASE WHEN re < 0.76 THEN 0 WHEN re < 0.96 THEN 1 ELSE 2 END;
CREATE UNIQUE INDEX ON bi (g);
ANALYZE bi;
"""

SQL_ITEMS = """
INSERT INTO tasks_item (id, tenant_id, alliance_path, reference, title, description, category, source,
  origin_id, origin_path, alliance_id, assignee_unit_id, status, due_at, overdue_at_root, escalations,
  requester_name, requester_phone, follow_token, rejected_reason, resolution_note,
  created_at, updated_at, resolved_at, confirmed_at, closed_at)
SELECT %(base)s + x.g, %(t)s,
  CASE x.esc WHEN 0 THEN bc.cpath WHEN 1 THEN bc.spath ELSE bc.dpath END,
  %(code)s || '-' || extract(year FROM x.created_at)::int || '-' || (%(base)s + x.g),
  (ARRAY['小区垃圾清运不及时', '电梯故障维修', '路灯不亮', '邻里噪音纠纷', '老旧小区加装电梯',
         '消防通道被占用', '独居老人助餐', '其他诉求'])[1 + x.g %% 8] || ' #' || x.g,
  '居民反映的情况,请及时核实并办理,办理结果请回复。',
  (ARRAY['environment', 'property', 'facilities', 'dispute', 'livelihood', 'safety', 'elderly', 'other'])[1 + x.g %% 8],
  CASE WHEN x.g %% 5 = 0 THEN 'commitment'
       ELSE (ARRAY['demand', 'grid', 'meeting', 'api'])[1 + (x.g / 5) %% 4] END,
  bc.cid, bc.cpath,
  CASE x.esc WHEN 0 THEN bc.cid WHEN 1 THEN bc.sid ELSE bc.did END,
  CASE WHEN x.status IN ('new', 'rejected') THEN NULL ELSE bu.uid END,
  x.status,
  x.created_at + interval '10 days' + interval '7 days' * x.esc,
  false, x.esc, '', '', md5(x.g::text || 'follow'), '', '',
  x.created_at,
  x.created_at + interval '1 day',
  CASE WHEN x.status IN ('resolved', 'closed') THEN x.created_at + interval '1 hour' * floor(1 + x.rr * 400) END,
  CASE WHEN x.status = 'closed' THEN x.created_at + interval '1 hour' * floor(49 + x.rr * 400) END,
  CASE WHEN x.status = 'closed' THEN x.created_at + interval '1 hour' * floor(49 + x.rr * 400) END
FROM bi x JOIN bc ON bc.ci = x.ci LEFT JOIN bu ON bu.ci = x.ci AND bu.rn = x.g %% bc.nu
ORDER BY x.g;
"""

SQL_AGREEMENTS = """
CREATE TEMP TABLE ba ON COMMIT DROP AS
SELECT a, ((a - 1) %% %(nc)s)::int AS ci,
       date_trunc('second', now() - interval '720 days' * (1 - a::float8 / %(na)s)) AS created_at,
       CASE WHEN r < 0.08 THEN 'draft' WHEN r < 0.10 THEN 'cancelled' WHEN r < 0.15 THEN 'signed'
            WHEN r < 0.20 THEN 'published' WHEN r < 0.75 THEN 'performing' WHEN r < 0.92 THEN 'evaluated'
            WHEN r < 0.97 THEN 'terminated' ELSE 'superseded' END AS stage
FROM (SELECT a, random() AS r FROM generate_series(1, %(na)s) a) s;
INSERT INTO agreements_agreement (id, tenant_id, alliance_path, alliance_id, title, preamble, term_start, term_end,
  stage, version, content_hash, public_token, signed_at, published_at, performing_at, evaluated_at,
  terminated_at, termination_reason, cancelled_at, cancellation_reason, created_at, updated_at)
SELECT %(abase)s + a, %(t)s, bc.cpath, bc.cid, '共建协议 #' || a, '', created_at::date,
  created_at::date + 730, stage, 1,
  CASE WHEN stage IN ('draft', 'cancelled') THEN '' ELSE md5(a::text) || md5(a::text || 'h') END,
  substr(md5(a::text || 'public'), 1, 24),
  CASE WHEN stage NOT IN ('draft', 'cancelled') THEN created_at + interval '7 days' END,
  CASE WHEN stage IN ('published', 'performing', 'evaluated', 'terminated', 'superseded')
       THEN created_at + interval '10 days' END,
  CASE WHEN stage IN ('performing', 'evaluated', 'terminated', 'superseded') THEN created_at + interval '15 days' END,
  CASE WHEN stage = 'evaluated' THEN created_at + interval '380 days' END,
  CASE WHEN stage = 'terminated' THEN created_at + interval '200 days' END,
  CASE WHEN stage = 'terminated' THEN '双方协商终止' ELSE '' END,
  CASE WHEN stage = 'cancelled' THEN created_at + interval '3 days' END,
  CASE WHEN stage = 'cancelled' THEN '未达成一致' ELSE '' END,
  created_at, created_at + interval '15 days'
FROM ba JOIN bc USING (ci) ORDER BY a;
-- Two parties each: the initiating organisation and one unit of the community.
INSERT INTO agreements_party (id, tenant_id, alliance_path, agreement_id, unit_id, name, credit_code, signer_name,
  signed_at)
SELECT %(pbase)s + a, %(t)s, bc.cpath, %(abase)s + a, bu.uid, '成员单位 ' || bu.uid, '', '',
  CASE WHEN stage NOT IN ('draft', 'cancelled') THEN created_at + interval '7 days' END
FROM ba JOIN bc USING (ci) JOIN bu ON bu.ci = ba.ci AND bu.rn = ba.a %% bc.nu
UNION ALL
SELECT %(pbase)s + %(na)s + a, %(t)s, bc.cpath, %(abase)s + a, NULL, '发起党组织', '', '',
  CASE WHEN stage NOT IN ('draft', 'cancelled') THEN created_at + interval '7 days' END
FROM ba JOIN bc USING (ci);
-- Two monthly commitments of the unit party each.
INSERT INTO agreements_commitment (id, tenant_id, alliance_path, agreement_id, party_id, title, description,
  category, recurrence, due_on, day_of_month, position)
SELECT %(cbase)s + 2 * a - 1 + j, %(t)s, bc.cpath, %(abase)s + a, %(pbase)s + a,
  (ARRAY['每月开放活动场地', '每月开展志愿服务'])[1 + j], '',
  (ARRAY['venue', 'volunteers'])[1 + j], 'monthly', NULL, 15, j
FROM ba JOIN bc USING (ci) CROSS JOIN generate_series(0, 1) j;
-- Every fifth item is the occurrence of a commitment of an agreement of its community.
INSERT INTO agreements_commitmentitem (tenant_id, alliance_path, commitment_id, due_on, item_id)
SELECT %(t)s, bc.cpath,
  %(cbase)s + 2 * (x.ci + %(nc)s * ((x.g / 5) %% 69) + 1) - 1 + ((x.g / 5 / 69) %% 2),
  (x.created_at + interval '10 days')::date, %(base)s + x.g
FROM bi x JOIN bc USING (ci) WHERE x.g %% 5 = 0
ON CONFLICT DO NOTHING;
-- A fulfilled occurrence earns its unit points.
INSERT INTO agreements_pointentry (tenant_id, alliance_path, alliance_id, unit_id, points, reason, source_key,
  note, created_at)
SELECT %(t)s, o.alliance_path, ag.alliance_id, p.unit_id,
  CASE WHEN i.resolved_at <= i.due_at THEN 5 ELSE 2 END,
  CASE WHEN i.resolved_at <= i.due_at THEN 'fulfilled' ELSE 'fulfilled_late' END,
  'occurrence:' || o.id, '', i.resolved_at
FROM agreements_commitmentitem o
JOIN tasks_item i ON i.id = o.item_id
JOIN agreements_commitment c ON c.id = o.commitment_id
JOIN agreements_party p ON p.id = c.party_id
JOIN agreements_agreement ag ON ag.id = c.agreement_id
WHERE o.tenant_id = %(t)s AND i.status IN ('resolved', 'closed');
"""

SQL_MEETINGS = """
INSERT INTO meetings_meeting (tenant_id, alliance_path, alliance_id, kind, title, starts_at, ends_at, place, agenda,
  status, opened_at, member_count, closed_at, created_at, updated_at, convener_id)
SELECT %(t)s, bc.cpath, bc.cid, 'regular', '共同体例会 #' || m, s.starts_at, s.starts_at + interval '2 hours',
  '党群服务中心', '',
  CASE WHEN s.starts_at > now() THEN 'planned'
       WHEN s.starts_at > now() - interval '2 hours' THEN 'in_session' ELSE 'closed' END,
  CASE WHEN s.starts_at <= now() THEN s.starts_at END,
  CASE WHEN s.starts_at <= now() THEN bc.nu END,
  CASE WHEN s.starts_at <= now() - interval '2 hours' THEN s.starts_at + interval '2 hours' END,
  s.starts_at - interval '10 days', s.starts_at, %(convener)s
FROM (
  SELECT m, ((m - 1) %% %(nc)s)::int AS ci,
    date_trunc('minute', CASE WHEN ((m - 1) %% %(nc)s) %% 7 = 0
                              THEN now() - interval '120 days' - interval '420 days' * random()
                              ELSE now() + interval '30 days' - interval '570 days' * random() END) AS starts_at
  FROM generate_series(1, %(nm)s) m
) s JOIN bc USING (ci) ORDER BY m;
"""

SQL_RATINGS = """
INSERT INTO tasks_rating (tenant_id, item_id, score, comment, rated_alliance_id, by_resident, status,
  appeal_reason, decision_reason, created_at)
SELECT %(t)s, %(base)s + x.g, 3 + floor(x.rx * 3 / 0.35)::int %% 3 - (x.g %% 11 = 0)::int * 2, '',
  i.alliance_id, true,
  CASE WHEN x.g %% 50 = 0 THEN 'appealed' WHEN x.g %% 97 = 0 THEN 'voided' ELSE 'valid' END, '', '',
  i.resolved_at + interval '1 day'
FROM bi x JOIN tasks_item i ON i.id = %(base)s + x.g
WHERE x.status IN ('resolved', 'closed') AND x.rx < 0.35;
"""


def _timed(cursor, label: str, sql: str, params: dict, log) -> None:
    started = time.perf_counter()
    cursor.execute(sql, params)
    log(f"  {label}: {time.perf_counter() - started:.1f} s")


def seed_activity(*, tenant, convener_id: int, log=print) -> None:
    """Write the items, agreements, meetings, points and ratings of the Wuhan tenant (see above)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tasks_item")
        base = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM agreements_agreement")
        abase = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM agreements_party")
        pbase = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM agreements_commitment")
        cbase = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM alliance_alliance WHERE tenant_id = %s AND level = 'community'",
                       [tenant.pk])
        communities = cursor.fetchone()[0]
    params = {"t": tenant.pk, "code": tenant.code, "n": ITEMS, "na": AGREEMENTS, "nc": communities,
              "nm": communities * MEETINGS_PER_COMMUNITY, "base": base, "abase": abase, "pbase": pbase,
              "cbase": cbase, "convener": convener_id}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL session_replication_role = replica")
        # Secondary indexes (not primary keys): dropped now, rebuilt after the load.
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = ANY(%s) AND i.indexname NOT LIKE '%%_pkey'", [list(REINDEXED_TABLES)])
        indexes = cursor.fetchall()
        constraints = {}
        cursor.execute(
            "SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)", [list(REINDEXED_TABLES)])
        for name, table, definition in cursor.fetchall():
            constraints[name] = (table, definition)
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            if name not in constraints:
                cursor.execute(f'DROP INDEX "{name}"')
        log(f"  dropped {len(indexes)} secondary indexes ({len(constraints)} of them unique constraints)")
        _timed(cursor, "communities and units numbered", SQL_SETUP, params, log)
        _timed(cursor, f"{ITEMS:,} draws", SQL_DRAWS, params, log)
        _timed(cursor, f"{ITEMS:,} items", SQL_ITEMS, params, log)
        # The occurrence lookup needs the commitment pk only, which exists; the items' pk too.
        _timed(cursor, f"{AGREEMENTS:,} agreements, parties, commitments, occurrences, points",
               SQL_AGREEMENTS, params, log)
        _timed(cursor, "meetings", SQL_MEETINGS, params, log)
        _timed(cursor, "ratings", SQL_RATINGS, params, log)
        rebuilt = time.perf_counter()
        for name, definition in indexes:
            if name in constraints:
                table, constraint = constraints[name]
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {constraint}')
            else:
                cursor.execute(definition)
        log(f"  {len(indexes)} indexes rebuilt: {time.perf_counter() - rebuilt:.1f} s")
        for table in BIG_TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
    with connection.cursor() as cursor:
        vacuumed = time.perf_counter()
        for table in BIG_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        log(f"  VACUUM ANALYZE: {time.perf_counter() - vacuumed:.1f} s")
    log(f"activity seeded in {time.perf_counter() - started:.1f} s")


def ensure_wuhan(*, log=print):
    """Migrate, seed the city (seed_demo --city wuhan) and its activity unless already there."""
    import sys

    from django.core.management import call_command

    from alliance.models import Tenant
    from dashboard.management.commands.seed_demo import WUHAN_CODE
    from members.models import User
    from tasks.models import Item

    call_command("migrate", interactive=False, verbosity=0)
    if not Tenant.objects.filter(code=WUHAN_CODE).exists():
        log("seeding the Wuhan-sized city (seed_demo --city wuhan) …")
        started = time.perf_counter()
        call_command("seed_demo", city="wuhan", no_progress=not sys.stderr.isatty(), verbosity=0)
        log(f"seeded in {time.perf_counter() - started:.1f} s")
    tenant = Tenant.objects.get(code=WUHAN_CODE)
    if not Item.objects.filter(tenant=tenant).exists():
        log(f"seeding {ITEMS:,} items, {AGREEMENTS:,} agreements, meetings, points and ratings …")
        seed_activity(tenant=tenant, convener_id=User.objects.get(username="wh_zuzhibu").pk, log=log)
    return tenant
