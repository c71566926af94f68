"""A visitor's IP address becomes a keyed hash with the day's random salt; the address itself is never stored.

Hashes from one day can be compared (unique visitors, repeated scans); once the day is over its salt is deleted,
so nobody, including us, can tell whether two days' hashes came from one address or recompute one from an IP.
"""

import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from links.models import IpSalt

# (day, salt) of this process: one database read per process per day, not per click.
_current: tuple[date, bytes] | None = None


def _salt(today: date) -> bytes:
    global _current
    if _current is not None and _current[0] == today:
        return _current[1]
    row = IpSalt.objects.filter(day=today).first()
    if row is None:
        try:
            with transaction.atomic():
                row = IpSalt.objects.create(day=today, salt=secrets.token_hex(32))
                IpSalt.objects.filter(day__lt=today).delete()
        except IntegrityError:  # another process made today's salt first
            row = IpSalt.objects.get(day=today)
    _current = (today, bytes.fromhex(row.salt))
    return _current[1]


def client_ip(request: HttpRequest) -> str:
    if settings.LINKS_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def ip_hash(ip: str) -> str:
    """32 hex characters; empty when there is no address."""
    if not ip:
        return ""
    salt = _salt(timezone.now().date())
    return hashlib.blake2b(ip.encode(), key=salt, digest_size=16).hexdigest()


def forget_salt_cache() -> None:
    """For tests: make the next hash read the salt from the database again."""
    global _current
    _current = None
