import importlib
import importlib.util
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from accounts.demo import load_demo
from accounts.roles import ADMIN

DEMO_APPS = ["preferences", "messaging", "links", "campaigns"]


class Command(BaseCommand):
    help = "Load the demo data and the admin account (idempotent), then print where to go."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site-url", default=settings.SITE_URL)

    def handle(self, *args, site_url: str, **options) -> None:  # type: ignore[no-untyped-def]
        counts = load_demo()
        username, password = self._admin()
        site = site_url.rstrip("/")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {counts['customers_created']} customers and {counts['events_stored']} events added "
            "(0 when already loaded)."))
        self.stdout.write("")
        self.stdout.write(f"  Admin:     {site}/admin/   login {username} / {password}")
        self.stdout.write(f"  API docs:  {site}/api/docs/  (create a key: python manage.py create_api_key NAME)")
        # Each app may ship `<app>/demo.py` with `load_demo(site_url) -> list[str]`: its demo rows, and the
        # lines that say where to look (a preference link, a short link and its QR code, ...).
        for app in DEMO_APPS:
            if importlib.util.find_spec(f"{app}.demo") is not None:
                for line in importlib.import_module(f"{app}.demo").load_demo(site):
                    self.stdout.write(f"  {line}")
        self.stdout.write("")

    def _admin(self) -> tuple[str, str]:
        """Create the admin user once. Its password comes from ADMIN_PASSWORD, or is generated and kept in
        var/admin-password (development only) so every later run can print it again."""
        User = get_user_model()
        username = settings.ADMIN_USERNAME
        password = settings.ADMIN_PASSWORD
        stored = settings.VAR_DIR / "admin-password"
        if not password:
            password = stored.read_text().strip() if stored.exists() else secrets.token_urlsafe(12)
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_text(password + "\n")
            stored.chmod(0o600)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_superuser(username=username, email="", password=password)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=ADMIN))
        return username, password
