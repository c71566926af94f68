from django.core.management.base import BaseCommand

from preferences.services import consent_ip_purge, marketing_sends_prune


class Command(BaseCommand):
    help = ("Clear IP and user agent on consent records past CONSENT_IP_RETENTION_DAYS and drop marketing-send "
            "ledger rows older than any frequency cap. Idempotent; run it daily (cron or a django-q2 schedule).")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        purged = consent_ip_purge()
        pruned = marketing_sends_prune()
        self.stdout.write(f"consent records cleared of IP/user agent: {purged}; ledger rows deleted: {pruned}")
