"""Working days and deadlines: Monday to Friday, except the holidays and make-up workdays (调休)
that the district admin keeps in CalendarDay. The defaults come from the chinese-calendar
package (the State Council's published schedule) when a tenant is set up."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from alliance.models import Level

from .models import CalendarDay, SlaPolicy

DEFAULT_WORKING_DAYS = {
    Level.GRID: 2,
    Level.COMMUNITY: 3,
    Level.STREET: 5,
    Level.DISTRICT: 10,
    Level.CITY: 15,
}


def sla_working_days(*, tenant_id: int, level: str, category: str) -> int:
    """The tenant's rule for the category at the level, else its default for the level."""
    rows = dict(
        SlaPolicy.objects.filter(tenant_id=tenant_id, level=level, category__in=[category, ""])
        .values_list("category", "working_days")
    )
    return rows.get(category) or rows.get("") or DEFAULT_WORKING_DAYS[Level(level)]


class WorkCalendar:
    """A tenant's calendar, loaded once for a window of dates (one query)."""

    def __init__(self, *, tenant_id: int, start: dt.date, days: int = 120):
        self.exceptions = dict(
            CalendarDay.objects.filter(tenant_id=tenant_id, date__gte=start,
                                       date__lte=start + dt.timedelta(days=days))
            .values_list("date", "is_workday")
        )
        self.end = start + dt.timedelta(days=days)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def deadline(self, *, start: dt.datetime, working_days: int) -> dt.datetime:
        """Midnight at the end of the Nth working day after the day of `start` (local time)."""
        day = timezone.localtime(start).date()
        counted = 0
        while counted < working_days:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


class DeadlineBook:
    """Deadlines for many items at once: one SLA query and one calendar query per tenant."""

    def __init__(self, *, start: dt.datetime):
        self.start = start
        self._rules: dict[int, dict[tuple[str, str], int]] = {}
        self._calendars: dict[int, WorkCalendar] = {}
        self._cache: dict[tuple[int, str, str], dt.datetime] = {}

    def deadline(self, *, tenant_id: int, level: str, category: str) -> dt.datetime:
        key = (tenant_id, level, category)
        if key not in self._cache:
            if tenant_id not in self._rules:
                self._rules[tenant_id] = {
                    (lvl, cat): days for lvl, cat, days in
                    SlaPolicy.objects.filter(tenant_id=tenant_id).values_list("level", "category", "working_days")
                }
                self._calendars[tenant_id] = WorkCalendar(
                    tenant_id=tenant_id, start=timezone.localtime(self.start).date(), days=260)
            rules = self._rules[tenant_id]
            days = rules.get((level, category)) or rules.get((level, "")) or DEFAULT_WORKING_DAYS[Level(level)]
            self._cache[key] = self._calendars[tenant_id].deadline(start=self.start, working_days=days)
        return self._cache[key]


def deadline_for(*, tenant_id: int, level: str, category: str, start: dt.datetime) -> dt.datetime:
    days = sla_working_days(tenant_id=tenant_id, level=level, category=category)
    calendar = WorkCalendar(tenant_id=tenant_id, start=timezone.localtime(start).date(), days=days * 3 + 40)
    return calendar.deadline(start=start, working_days=days)


HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


def official_calendar_days(year: int) -> list[tuple[dt.date, bool, str]]:
    """The State Council's holidays on weekdays and make-up workdays on weekends for a year."""
    from chinese_calendar.constants import holidays, workdays

    days = [(day, False, HOLIDAY_NAMES.get(str(name), str(name)))
            for day, name in holidays.items() if day.year == year and day.weekday() < 5]
    days += [(day, True, HOLIDAY_NAMES.get(str(name), str(name)) + "调休")
             for day, name in workdays.items() if day.year == year and day.weekday() >= 5]
    return sorted(days)
