"""Short links with per-device destinations, their stored QR codes, clicks, and hosted landing pages."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from links.destinations import validate_http_url

# Random slugs leave out 0/o and 1/l/i so a slug typed from a printed flyer is read right the first time.
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RANDOM_SLUG_LENGTH = 7
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")
# Slugs are stored in lower case and looked up case-insensitively (the view lowers the path), so
# /l/Spring and /l/spring are one link; entry points lower custom slugs before validating.
validate_slug = RegexValidator(
    SLUG_RE, "3 to 64 characters: lower-case letters, digits and inner hyphens.", code="invalid_slug"
)


class LandingPage(models.Model):
    slug = models.SlugField(max_length=64, unique=True, validators=[validate_slug],
                            help_text="The page is served at /p/<slug>.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown. HTML is sanitised: scripts and styles are removed.")
    body_html = models.TextField(blank=True, editable=False)
    hero_image_url = models.URLField(max_length=2000, blank=True, validators=[validate_http_url],
                                     help_text="An https image shown on top of the page (and in link previews).")
    app_store_url = models.URLField("App Store URL", max_length=2000, blank=True, validators=[validate_http_url])
    play_store_url = models.URLField("Play Store URL", max_length=2000, blank=True, validators=[validate_http_url])
    is_published = models.BooleanField(default=True, help_text="Unpublished pages are visible to staff only.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/p/{self.slug}"


class QrErrorCorrection(models.TextChoices):
    M = "M", "M (15%, default)"
    Q = "Q", "Q (25%, for rough print)"
    H = "H", "H (30%, with a logo on top)"


class Link(models.Model):
    slug = models.CharField(max_length=64, unique=True, blank=True, validators=[validate_slug],
                            help_text="Leave empty for a random one. Case does not matter: stored in lower "
                            "case. Changing it later breaks printed QR codes and links already sent.")
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True, help_text="Shown in link previews (Open Graph).")
    image_url = models.URLField(max_length=2000, blank=True, validators=[validate_http_url],
                                help_text="Preview image for WhatsApp, Slack, etc.")
    ios_url = models.URLField("iOS destination", max_length=2000, blank=True, validators=[validate_http_url],
                              help_text="iPhone and iPad, e.g. the App Store page.")
    android_url = models.URLField("Android destination", max_length=2000, blank=True,
                                  validators=[validate_http_url],
                                  help_text="Android with the Play Store, e.g. the Play Store page.")
    default_url = models.URLField("Default destination", max_length=2000, blank=True,
                                  validators=[validate_http_url], help_text="Everything else (desktop, Fire, bots).")
    landing_page = models.ForeignKey(LandingPage, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="links",
                                     help_text="Instead of a default URL: a hosted page. iOS and Android go to "
                                     "it too unless they have their own destination.")
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    # The campaigns app has no models yet: a free-text key now, a foreign key once Campaign exists.
    campaign = models.CharField(max_length=100, blank=True, db_index=True,
                                help_text="Campaign key, carried in the link_clicked event.")
    is_active = models.BooleanField(default=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_clicks = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    # Only kept while max_clicks is set, so uncapped links cost a single INSERT per click.
    capped_clicks = models.PositiveIntegerField(default=0, editable=False)
    qr_error_correction = models.CharField("QR error correction", max_length=1, choices=QrErrorCorrection.choices,
                                           default=QrErrorCorrection.M)
    qr_payload = models.CharField(max_length=300, blank=True, editable=False)
    qr_svg = models.TextField(blank=True, editable=False)
    qr_png = models.BinaryField(blank=True, editable=False, help_text="One pixel per module, scaled on request.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   editable=False, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=models.F(
                    "valid_from")), name="link_valid_window"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (/l/{self.slug})"

    def get_absolute_url(self) -> str:
        return f"/l/{self.slug}"

    def clean(self) -> None:
        if not self.default_url and self.landing_page_id is None:
            raise ValidationError({"default_url": "Set a default destination or choose a landing page."})
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": "Must be after valid from."})

    @property
    def short_url(self) -> str:
        return f"{settings.SITE_URL}/l/{self.slug}"

    @property
    def utm(self) -> dict[str, str]:
        return {"utm_source": self.utm_source, "utm_medium": self.utm_medium, "utm_campaign": self.utm_campaign,
                "utm_term": self.utm_term, "utm_content": self.utm_content}


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    # iPadOS in desktop mode sends a Mac Safari User-Agent: the browser decides (see links/devices.py).
    MAC_OR_IPAD = "mac_or_ipad", "Mac or iPad (desktop mode)"
    DESKTOP = "desktop", "Desktop"
    OTHER = "other", "Other"


class Click(models.Model):
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks")
    clicked_at = models.DateTimeField(default=timezone.now)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    device = models.CharField(max_length=100, blank=True)
    os = models.CharField("OS", max_length=100, blank=True)
    browser = models.CharField(max_length=100, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField("IP hash", max_length=32, blank=True,
                               help_text="Keyed hash of the address with the day's salt; the address is not kept.")
    from_qr = models.BooleanField("from QR", default=False)
    # No database constraint: the id comes from a signed reference and is written without a read on the hot
    # path; Django still nulls it when the customer is deleted.
    customer = models.ForeignKey("accounts.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 db_constraint=False, related_name="link_clicks")
    # messaging's Delivery does not exist yet: a plain id now, a foreign key once it does.
    delivery_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-clicked_at"]
        indexes = [
            models.Index(fields=["link", "clicked_at"], name="click_link_time"),
            # Partial: most clicks (flyers, QR codes) are anonymous, and each index entry is work on every click.
            models.Index(fields=["customer", "clicked_at"], name="click_customer_time",
                         condition=Q(customer__isnull=False)),
            models.Index(fields=["delivery_id"], name="click_delivery", condition=Q(delivery_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} @ {self.clicked_at:%Y-%m-%d %H:%M}"


class ClickBatch(models.Model):
    """A spool file whose clicks were stored (links/spool.py), so that a file stored just before a crash is not
    stored again. One row per batch, not a unique key per click, keeps the click table's writes cheap."""

    name = models.CharField(max_length=100, unique=True)
    stored_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.name


class IpSalt(models.Model):
    """The day's random salt for IP hashes. Older days are deleted, so old hashes cannot be recomputed."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)
