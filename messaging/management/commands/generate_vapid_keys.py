"""Print a fresh VAPID key pair as environment lines."""

from typing import Any

from django.core.management.base import BaseCommand

from messaging.channels.vapid import generate_vapid_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push (set them as VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY)."

    def handle(self, *args: Any, **options: Any) -> None:
        keys = generate_vapid_keys()
        self.stdout.write(f"VAPID_PRIVATE_KEY={keys.private_key}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={keys.public_key}")
