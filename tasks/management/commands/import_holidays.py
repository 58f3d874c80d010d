from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alliance.models import Tenant
from tasks.calendar import official_calendar_days
from tasks.models import CalendarDay


class Command(BaseCommand):
    help = ("导入国务院公布的节假日和调休安排(来自 chinese-calendar 包),已有的日期不覆盖;"
            "区委组织部可在后台“节假日与调休”中修改。")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="年份,可重复;默认今年和明年。")
        parser.add_argument("--tenant", help="租户代码;默认全部租户。")

    def handle(self, *args, year=None, tenant=None, **options):
        years = year or [timezone.localdate().year, timezone.localdate().year + 1]
        tenants = Tenant.objects.all() if tenant is None else Tenant.objects.filter(code=tenant)
        if not tenants.exists():
            raise CommandError(f"没有找到租户 {tenant}。")
        days = [d for y in years for d in official_calendar_days(y)]
        if not days:
            self.stdout.write(self.style.WARNING("chinese-calendar 包里还没有这些年份的安排,请升级该包或在后台录入。"))
        rows = [CalendarDay(tenant=t, date=day, is_workday=work, name=name) for t in tenants for day, work, name in days]
        created = CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
        self.stdout.write(self.style.SUCCESS(f"已导入 {len(created)} 天({', '.join(map(str, years))})。"))
