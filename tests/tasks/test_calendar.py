import datetime as dt
import zoneinfo

from alliance.models import Level
from tasks.calendar import deadline_for, official_calendar_days, sla_working_days
from tasks.models import CalendarDay, SlaPolicy

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_three_working_days_from_a_monday(tree):
    # Mon 2026-11-16 10:00 → Tue, Wed, Thu → due at the end of Thursday.
    due = deadline_for(tenant_id=tree.district.tenant_id, level=Level.COMMUNITY, category="other",
                       start=at(2026, 11, 16, 10))
    assert due == at(2026, 11, 20, 0)


def test_weekends_do_not_count(tree):
    # Fri 2026-11-20 → Mon, Tue, Wed.
    due = deadline_for(tenant_id=tree.district.tenant_id, level=Level.COMMUNITY, category="other",
                       start=at(2026, 11, 20, 16))
    assert due == at(2026, 11, 26, 0)


def test_holidays_and_make_up_workdays_from_the_calendar(tree):
    tenant = tree.district.tenant_id
    # National Day week: 1-7 October 2026 off, Saturday 10 October is a make-up workday.
    for day, is_workday, name in official_calendar_days(2026):
        CalendarDay.objects.create(tenant_id=tenant, date=day, is_workday=is_workday, name=name)
    due = deadline_for(tenant_id=tenant, level=Level.COMMUNITY, category="other", start=at(2026, 9, 30, 9))
    # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Sat, 调休 workday).
    assert due == at(2026, 10, 11, 0)


def test_the_district_sets_its_own_sla_per_category(tree):
    tenant = tree.district.tenant_id
    assert sla_working_days(tenant_id=tenant, level=Level.STREET, category="dispute") == 5
    SlaPolicy.objects.create(tenant_id=tenant, level=Level.STREET, category="", working_days=4)
    SlaPolicy.objects.create(tenant_id=tenant, level=Level.STREET, category="dispute", working_days=8)
    assert sla_working_days(tenant_id=tenant, level=Level.STREET, category="dispute") == 8
    assert sla_working_days(tenant_id=tenant, level=Level.STREET, category="property") == 4
    assert sla_working_days(tenant_id=tree.other_tenant.tenant_id, level=Level.STREET, category="dispute") == 5
