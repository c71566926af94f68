from django.core.management.base import BaseCommand

from links.spool import spool_drain_directory


class Command(BaseCommand):
    help = ("Store the clicks waiting in the click spool (LINKS_CLICK_SPOOL_DIR), including those of web processes "
            "that died. Web processes do this themselves every LINKS_CLICK_SPOOL_SECONDS; run it after a crash or "
            "before a backup.")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        self.stdout.write(f"{spool_drain_directory()} click(s) stored.")
