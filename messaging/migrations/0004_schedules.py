"""Register the pipeline's periodic tasks as django-q2 Schedules (idempotent: keyed by name).

A data migration rather than a management command: every deployment runs `migrate`, so the schedules
exist wherever the tables do, with nothing extra to remember. Changing an interval is a new migration.
"""

from django.db import migrations

from config.schedules import schedule_operations

SCHEDULES = [
    # Claims due scheduled deliveries (planned for later, deferred by quiet hours, retries) in batches.
    ("messaging: dispatch due deliveries", "messaging.tasks.deliveries_dispatch", 1),
    # Re-queues deliveries stuck in queued/sending after a worker died or the broker lost a task.
    ("messaging: sweep stuck deliveries", "messaging.tasks.deliveries_sweep", 5),
]


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_template_inbox_expiry"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULES))]
