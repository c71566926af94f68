from django.core.management.base import BaseCommand, CommandParser

from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for one of the retailer's systems. The key is printed alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Which system will use it, e.g. webshop")

    def handle(self, *args, name: str, **options) -> None:  # type: ignore[no-untyped-def]
        key, raw = api_key_create(name=name)
        self.stderr.write(f"API key {key.name!r} created ({key.prefix}…). It is shown once; store it now:")
        self.stdout.write(raw)
