"""The dashboard's exports: the .xlsx workbook and the quarterly report PDF (read back and checked
against the hand-built tree of test_figures), and the export jobs the worker runs for districts."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from alliance.roles import Role
from dashboard import charts
from dashboard.comparison import Quarter
from dashboard.models import ExportJob, ExportStatus
from dashboard.services import export_job_create, export_job_run, export_jobs_purge
from dashboard.tasks import dashboard_export_task, dashboard_exports_purge_task
from members.models import RoleAssignment
from members.services import role_revoke

# The browser test below uses the e2e fixtures (skipped where Chromium or Playwright is missing).
from tests.e2e.conftest import browser, page  # noqa: E402, F401

from ..agreements.test_printing import pdf_text
from ..conftest import fresh
from .test_figures import _agreements, _items, _meeting


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _build(tree):
    _items(tree)
    _agreements(tree)
    _meeting(tree)


def _quarter() -> Quarter:
    return Quarter.containing(timezone.localdate())


def _xlsx(client, alliance, **params):
    return client.get(reverse("alliance-dashboard-xlsx", kwargs={"pk": alliance.pk}), params)


def _pdf(client, alliance, **params):
    return client.get(reverse("alliance-dashboard-pdf", kwargs={"pk": alliance.pk}), params)


def _sheet_rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


# --- .xlsx -------------------------------------------------------------------------------------

def test_the_workbook_holds_every_table_with_numbers_as_numbers(tree, client):
    _build(tree)
    client.force_login(fresh(tree.district_admin))
    response = _xlsx(client, tree.district)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert f'filename="dashboard-{tree.district.pk}-{_quarter().code}.xlsx"' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "月度趋势", "下级对比", "积分排行"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 8 and ws.column_dimensions["B"].width >= 8

    summary = dict((row[0], row[1]) for row in _sheet_rows(wb["汇总"])[1:])
    assert _sheet_rows(wb["汇总"])[0] == ["指标", "数值"]
    assert summary["党建共同体"] == tree.district.name and summary["季度"] == _quarter().label
    # The district sees all five items of _items and the two of B1's commitments.
    assert (summary["事项总数"], summary["已办结"], summary["已超期"], summary["曾上报"]) == (7, 3, 1, 1)
    assert (summary["成员单位"], summary["共建协议"], summary["本季度召开会议"]) == (4, 2, 1)
    assert summary["平均评分"] == 3.0 and summary["评价次数"] == 2 and summary["落后的下级共同体"] == 2
    assert summary["数据截至"].date() == timezone.localdate()  # a date cell
    numeric = [row[1].data_type for row in wb["汇总"].iter_rows(min_row=5)]
    assert numeric == ["n"] * len(numeric)  # every figure is a number cell, not text

    trend = _sheet_rows(wb["月度趋势"])
    assert trend[0] == ["月份", "新增事项", "办结事项", "签订协议", "召开会议"]
    assert len(trend) == 13 and trend[-1][0] == timezone.localdate().strftime("%Y-%m")
    assert trend[-1][1:] == [7, 3, 1, 1]

    compare = _sheet_rows(wb["下级对比"])
    header = compare[0]
    assert header[:3] == ["名称", "成员单位", "已签约协议"] and header[-2:] == ["是否落后", "落后原因"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in compare[1:]}
    a, b = rows[tree.street_a.name], rows[tree.street_b.name]
    assert (a["成员单位"], a["本季度新增事项"], a["其中已办结"], a["当前超期事项"], a["办结率(%)"], a["平均评分"]) == \
        (3, 4, 2, 1, 50.0, 3.0)
    assert (b["成员单位"], b["本季度新增事项"], b["办结率(%)"], b["本季度积分"], b["本季度会议"]) == (1, 3, 33.3, 10, 0)
    assert b["平均评分"] is None  # empty cell, not a dash: it stays a number column
    assert a["是否落后"] == "落后" and b["是否落后"] == "落后"
    assert b["落后原因"] == "办结率低于中位数;本季度未开会"

    ranking = _sheet_rows(wb["积分排行"])
    assert ranking == [["名次", "成员单位", "积分", "记分次数"], [1, tree.unit_b1.name, 10, 1]]


@pytest.mark.parametrize("url", [_xlsx, _pdf])
def test_an_export_runs_a_fixed_number_of_queries(url, tree, client):
    from alliance.models import Level
    from alliance.services import alliance_create

    from .test_figures import _item

    client.force_login(fresh(tree.secretary_a))
    with CaptureQueriesContext(connection) as few:
        assert url(client, tree.street_a).status_code == 200
    _build(tree)
    for i in range(5):
        community = alliance_create(user=tree.root, parent=tree.street_a, name=f"新增社区{i}",
                                    level=Level.COMMUNITY, code=f"5001040019{i:02d}")
        _item(tree, community, f"新社区事项{i}")
    client.force_login(fresh(tree.secretary_a))
    with CaptureQueriesContext(connection) as many:
        assert url(client, tree.street_a).status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_a_street_secretary_exports_only_its_street(tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    wb = load_workbook(io.BytesIO(_xlsx(client, tree.street_a).content))
    names = [row[0] for row in _sheet_rows(wb["下级对比"])[1:]]
    assert names == [tree.community_a1.name, tree.community_a2.name]
    assert _sheet_rows(wb["积分排行"]) == [["名次", "成员单位", "积分", "记分次数"]]
    assert _xlsx(client, tree.street_b).status_code == 404
    assert _pdf(client, tree.street_b).status_code == 404


# --- the quarterly report PDF --------------------------------------------------------------------

def test_the_quarterly_report_pdf_holds_chinese_text_tables_and_charts(tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    response = _pdf(client, tree.street_a)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    quarter = _quarter()
    for expected in (f"{tree.street_a.name}{quarter.label}报告", "主要数据", "下级共同体对比",
                     tree.community_a1.name, tree.community_a2.name, "落后", "办结率低于中位数", "本季度未开会",
                     "积分前十的成员单位", "近12个月每月新增与办结的事项",
                     "新增事项", "办结事项"):  # the last two are the line chart's legend, text in the SVG
        assert expected in text, expected
    assert "<svg" not in text and tree.community_b1.name not in text


def test_a_past_quarter_report_and_a_bad_quarter(tree, client):
    client.force_login(fresh(tree.secretary_a))
    last = _quarter().previous()
    text = pdf_text(_pdf(client, tree.street_a, quarter=last.code).content)
    assert f"{last.label}报告" in text and last.last_day.strftime("%Y年%-m月%-d日") in text
    response = _pdf(client, tree.street_a, quarter="2026年4季度", follow=False)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "季度“2026年4季度”无效" in html
    assert _xlsx(client, tree.street_a, quarter="2099Q1").status_code == 302


def test_the_charts_are_svg_with_escaped_labels():
    bars = charts.bar_chart_svg([("<b>甲</b>", 50.0, True), ("乙", None, False)], title="办结率", max_value=100,
                                suffix="%", empty_text="无")
    assert bars.startswith("<svg") and "&lt;b&gt;甲&lt;/b&gt;" in bars and "50%" in bars
    assert charts.LAGGARD_COLOUR in bars and ">无<" in bars
    line = charts.line_chart_svg(["2026-10", "2026-11"], [("新增", [3, 5]), ("办结", [1, 4])], title="趋势")
    assert line.count("<polyline") == 2 and ">新增<" in line


@pytest.mark.parametrize("url", [_xlsx, _pdf])
def test_a_liaison_may_not_export(url, tree, client):
    client.force_login(fresh(tree.liaison_a1))
    assert url(client, tree.community_a1).status_code == 403
    assert url(client, tree.community_a2).status_code == 404


# --- export jobs ---------------------------------------------------------------------------------

def _create(client, alliance, **data):
    return client.post(reverse("dashboard-export-create", kwargs={"pk": alliance.pk}), data)


def test_the_district_page_offers_background_exports_and_a_street_direct_links(tree, client):
    client.force_login(fresh(tree.district_admin))
    district = client.get(reverse("alliance-dashboard", kwargs={"pk": tree.district.pk})).content.decode()
    assert 'data-testid="export-job-xlsx"' in district and 'data-testid="export-job-pdf"' in district
    assert 'data-testid="export-xlsx"' not in district
    street = client.get(reverse("alliance-dashboard", kwargs={"pk": tree.street_a.pk})).content.decode()
    assert 'data-testid="export-xlsx"' in street and 'data-testid="export-pdf"' in street
    assert reverse("alliance-dashboard-pdf", kwargs={"pk": tree.street_a.pk}) + f"?quarter={_quarter().code}" in street


def test_an_export_job_runs_after_commit_and_its_file_downloads(tree, client, django_capture_on_commit_callbacks):
    _build(tree)
    client.force_login(fresh(tree.district_admin))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _create(client, tree.district, kind="xlsx", quarter=_quarter().code)
    assert len(callbacks) == 1  # the task is enqueued once the job is committed
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dashboard-export-detail",
                                                                             kwargs={"pk": job.pk})
    assert (job.status, job.progress, job.owner_id, job.quarter) == ("done", 100, tree.district_admin.pk,
                                                                     _quarter().code)
    assert job.finished_at is not None and job.file.name.startswith("exports/")
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-download"' in html and 'value="100"' in html and "已完成" in html
    assert 'http-equiv="refresh"' not in html and "dashboard-export.js" in html
    status = client.get(reverse("dashboard-export-status", kwargs={"pk": job.pk})).json()
    assert status["status"] == "done" and status["progress"] == 100 and status["finished"]
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    summary = dict((row[0], row[1]) for row in _sheet_rows(wb["汇总"])[1:])
    assert summary["事项总数"] == 7 and summary["党建共同体"] == tree.district.name
    # The dashboard lists the user's jobs.
    listed = client.get(reverse("alliance-dashboard", kwargs={"pk": tree.district.pk})).content.decode()
    assert reverse("dashboard-export-detail", kwargs={"pk": job.pk}) in listed


def test_the_task_writes_progress_ends_at_100_and_is_idempotent(tree, client, monkeypatch, settings):
    """The task run by hand (as a worker would): the job moves queued → running → done, progress
    only grows, and a second run (a redelivered message) changes nothing."""
    from dashboard import services

    _build(tree)
    job = export_job_create(user=fresh(tree.district_admin), alliance=tree.district, kind="pdf", quarter=None)
    assert (job.status, job.progress) == ("queued", 0)  # on_commit has not run inside the test's transaction
    client.force_login(fresh(tree.district_admin))
    html = client.get(reverse("dashboard-export-detail", kwargs={"pk": job.pk})).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html and "排队中" in html
    assert client.get(reverse("dashboard-export-download", kwargs={"pk": job.pk})).status_code == 404

    seen = []
    original = services._set_progress

    def recording(job_id, value):
        original(job_id, value)
        seen.append(ExportJob.objects.values_list("status", "progress").get(pk=job_id))

    monkeypatch.setattr(services, "_set_progress", recording)
    assert dashboard_export_task.apply(args=[job.pk]).get() == "done"
    assert [status for status, _p in seen] == ["running"] * len(seen) and len(seen) >= 4
    progress = [p for _s, p in seen]
    assert progress == sorted(progress) and progress[0] > 0 and progress[-1] < 100
    job.refresh_from_db()
    assert (job.status, job.progress, job.error) == ("done", 100, "")
    first_file = job.file.name
    assert dashboard_export_task.apply(args=[job.pk]).get() is None  # already done: nothing happens
    job.refresh_from_db()
    assert job.file.name == first_file and len(_files(settings.MEDIA_ROOT)) == 1
    download = client.get(reverse("dashboard-export-download", kwargs={"pk": job.pk}))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(download.streaming_content))
    assert f"{tree.district.name}{_quarter().label}报告" in text and tree.street_b.name in text


def _files(root) -> list:
    import pathlib

    return [p for p in pathlib.Path(root).rglob("*") if p.is_file()]


def test_progress_only_moves_forward_while_running(tree):
    from dashboard.services import _set_progress

    job = export_job_create(user=fresh(tree.district_admin), alliance=tree.district, kind="xlsx", quarter=None)
    _set_progress(job.pk, 50)  # not running yet: ignored
    assert ExportJob.objects.get(pk=job.pk).progress == 0
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress=60)
    _set_progress(job.pk, 30)
    assert ExportJob.objects.get(pk=job.pk).progress == 60
    _set_progress(job.pk, 90)
    assert ExportJob.objects.get(pk=job.pk).progress == 90


def test_an_interrupted_running_job_is_finished_by_the_redelivered_task(tree):
    job = export_job_create(user=fresh(tree.district_admin), alliance=tree.district, kind="xlsx", quarter=None)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress=30)  # the worker died here
    assert export_job_run(job_id=job.pk).status == "done"


def test_the_same_pending_export_is_not_asked_for_twice(tree):
    user = fresh(tree.district_admin)
    first = export_job_create(user=user, alliance=tree.district, kind="xlsx", quarter=None)
    assert export_job_create(user=user, alliance=tree.district, kind="xlsx", quarter=_quarter().code) == first
    assert export_job_create(user=user, alliance=tree.district, kind="pdf", quarter=None) != first
    assert ExportJob.objects.count() == 2


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "docx", "quarter": ""}, "请选择导出类型"),
    ({"kind": "xlsx", "quarter": "2026-13"}, "无效"),
    ({"kind": "pdf", "quarter": "2099Q4"}, "尚未开始"),
])
def test_bad_input_is_explained_and_nothing_is_written(data, message, tree, client):
    client.force_login(fresh(tree.district_admin))
    response = _create(client, tree.district, **data)
    assert response.status_code == 302
    assert message in client.get(response["Location"]).content.decode()
    assert not ExportJob.objects.exists()


def test_the_owner_out_of_scope_loses_the_job_and_the_run_fails_cleanly(tree, client):
    secretary = factories_secretary(tree)
    job = export_job_create(user=fresh(secretary), alliance=tree.street_a, kind="xlsx", quarter=None)
    client.force_login(fresh(secretary))
    assert client.get(reverse("dashboard-export-status", kwargs={"pk": job.pk})).status_code == 200
    role_revoke(user=tree.root, assignment=RoleAssignment.objects.get(user=secretary))
    for name in ("dashboard-export-detail", "dashboard-export-status", "dashboard-export-download"):
        assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404, name
    job = export_job_run(job_id=job.pk)
    assert job.status == "failed" and "无权" in job.error and not job.file


def factories_secretary(tree):
    from tests import factories

    return factories.user_with_role(tree.street_a, Role.SECRETARY, username="secretary_a_2")


@pytest.mark.parametrize("who", ["secretary_b", "secretary_a", "observer", "other_tenant_admin", "liaison_a1"])
def test_only_the_owner_sees_a_job(who, tree, client):
    """Others get 404, also those who may open the same dashboard."""
    job = export_job_create(user=fresh(tree.district_admin), alliance=tree.street_a, kind="xlsx", quarter=None)
    export_job_run(job_id=job.pk)
    client.force_login(fresh(getattr(tree, who)))
    for name in ("dashboard-export-detail", "dashboard-export-status", "dashboard-export-download"):
        assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404, name
    client.force_login(fresh(tree.district_admin))
    assert client.get(reverse("dashboard-export-download", kwargs={"pk": job.pk})).status_code == 200


def test_neighbours_and_liaisons_cannot_ask_for_an_export(tree, client):
    client.force_login(fresh(tree.secretary_b))
    assert _create(client, tree.street_a, kind="xlsx").status_code == 404
    client.force_login(fresh(tree.liaison_a1))
    assert _create(client, tree.community_a1, kind="xlsx").status_code == 403
    assert not ExportJob.objects.exists()


def test_the_status_endpoint_is_json_for_the_polling_script(tree, client):
    job = export_job_create(user=fresh(tree.secretary_a), alliance=tree.street_a, kind="pdf", quarter=None)
    client.force_login(fresh(tree.secretary_a))
    response = client.get(reverse("dashboard-export-status", kwargs={"pk": job.pk}))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"id": job.pk, "status": "queued", "status_label": "排队中",
                                            "progress": 0, "finished": False, "error": "", "download_url": None}


def test_old_jobs_and_their_files_are_purged(tree):
    old = export_job_create(user=fresh(tree.district_admin), alliance=tree.district, kind="xlsx", quarter=None)
    old = export_job_run(job_id=old.pk)
    new = export_job_create(user=fresh(tree.district_admin), alliance=tree.district, kind="pdf", quarter=None)
    path = old.file.path
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert dashboard_exports_purge_task.apply().get() == 1
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new.pk]
    import os

    assert not os.path.exists(path)
    assert export_jobs_purge() == 0


# --- in a real browser: the job page follows the job by itself --------------------------------

@pytest.mark.e2e
def test_the_job_page_polls_until_the_file_is_ready(live_server, tree, page):  # noqa: F811 - the e2e fixture
    from tests.e2e.test_demand_loop import log_in
    from tests.e2e.test_walkthrough import failed_responses

    sync_api = pytest.importorskip("playwright.sync_api")
    failures = failed_responses(page)
    # A job the worker has not picked up yet (made directly: the service would run it at commit here).
    job = ExportJob.objects.create(tenant_id=tree.district.tenant_id, alliance_path=tree.district.path,
                                   owner=tree.district_admin, alliance=tree.district, kind="xlsx",
                                   quarter=_quarter().code)
    log_in(page, live_server.url, tree.district_admin.username)
    page.goto(f"{live_server.url}{reverse('dashboard-export-detail', kwargs={'pk': job.pk})}")
    sync_api.expect(page.get_by_test_id("job-status")).to_have_text("排队中")
    assert not page.locator(".job-download").is_visible()
    export_job_run(job_id=job.pk)  # the worker runs it; the page has not been reloaded
    sync_api.expect(page.locator(".job-download")).to_be_visible(timeout=15_000)
    sync_api.expect(page.get_by_test_id("job-status")).to_have_text("已完成")
    assert page.get_by_test_id("job-progress").get_attribute("value") == "100" or \
        page.get_by_test_id("job-progress").evaluate("el => el.value") == 100
    with page.expect_download() as info:
        page.get_by_test_id("job-download").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    assert not failures
