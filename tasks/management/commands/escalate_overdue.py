from django.core.management.base import BaseCommand
from django.db import transaction

from tasks.notifications import EscalationTally, notify_escalations
from tasks.services import escalate_overdue_batch


class Command(BaseCommand):
    help = "把超期未办结的事项逐级提交上一级(与定时任务相同;无需 Celery,可在演示环境手动运行)。"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        total = 0
        tally = EscalationTally()  # each secretary is notified once, after all the batches
        try:
            while True:
                handled = escalate_overdue_batch(batch_size=batch_size, tally=tally)
                total += handled
                if handled < batch_size:
                    break
        finally:
            if tally:
                with transaction.atomic():
                    notify_escalations(tally=tally)
        self.stdout.write(self.style.SUCCESS(f"已处理 {total} 个超期事项。"))
