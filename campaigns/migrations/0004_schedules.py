"""Register the campaigns' periodic tasks as django-q2 Schedules (idempotent: keyed by name)."""

from django.db import migrations

from config.schedules import schedule_operations

SCHEDULES = [
    # Plans every campaign step that has come due (delays, local send times, multi-step journeys).
    ("campaigns: advance due entries", "campaigns.tasks.entries_advance", 1),
    # Lifecycle campaigns: hourly, so that every time zone's local morning is met.
    ("campaigns: lifecycle", "campaigns.tasks.lifecycle_run", 60),
    # Re-enqueues broadcast fan-outs whose task was lost or killed; the fan-out resumes where it stopped.
    ("campaigns: heal broadcasts", "campaigns.tasks.broadcasts_heal", 5),
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_segment_rule_kinds"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULES))]
