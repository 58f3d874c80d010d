"""The iCalendar (.ics) file of a meeting, for the meeting page and the invitation e-mails.

The UID is stable (meeting-<pk>@<site host>), so a calendar that imports the file again after a
change updates the event instead of adding a second one; LAST-MODIFIED and SEQUENCE tell it which
copy is newer.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse

from .models import Meeting

# A meeting planned without an end is put into calendars as two hours long.
DEFAULT_LENGTH = dt.timedelta(hours=2)
PRODID = "-//alliance//meetings//ZH"


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def meeting_url(meeting: Meeting) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("meeting-detail", kwargs={"pk": meeting.pk})


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{site_host()}"


def meeting_calendar(*, meeting: Meeting) -> bytes:
    """One VEVENT in Asia/Shanghai time. `meeting` comes from a selector, with convener and alliance."""
    tz = ZoneInfo(settings.TIME_ZONE)
    # iCalendar counts in whole seconds.
    starts_at = meeting.starts_at.astimezone(tz).replace(microsecond=0)
    ends_at = (meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH).astimezone(tz).replace(microsecond=0)
    url = meeting_url(meeting)

    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", meeting.updated_at.astimezone(dt.UTC))
    event.add("last-modified", meeting.updated_at.astimezone(dt.UTC))
    # Whole seconds since creation: grows with every change, as calendars expect of SEQUENCE.
    event.add("sequence", max(0, int((meeting.updated_at - meeting.created_at).total_seconds())))
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    description = "\n\n".join(part for part in (meeting.agenda.strip(), url) if part)
    event.add("description", description)
    event.add("url", url)
    convener = meeting.convener
    organizer = icalendar.vCalAddress(f"mailto:{convener.email or settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = icalendar.vText(convener.get_full_name())
    event.add("organizer", organizer)
    # There is no cancelled state: a planned, running or closed meeting is a confirmed event.
    event.add("status", "CONFIRMED")
    event.add("categories", [meeting.get_kind_display()])

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", meeting.alliance.name)
    calendar.add_component(event)
    # Only the zone rules around the meeting: a VTIMEZONE from 1970 on is mostly history.
    calendar.add_missing_timezones(first_date=starts_at.date() - dt.timedelta(days=1),
                                   last_date=ends_at.date() + dt.timedelta(days=1))
    return calendar.to_ical()
