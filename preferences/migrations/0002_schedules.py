"""Run preferences housekeeping daily (every 24 hours) as a django-q2 Schedule (idempotent: keyed by name)."""

from django.db import migrations

from config.schedules import schedule_operations

SCHEDULES = [("preferences: housekeeping", "preferences.tasks.housekeeping", 24 * 60)]


class Migration(migrations.Migration):
    dependencies = [
        ("preferences", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(*schedule_operations(SCHEDULES))]
