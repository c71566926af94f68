"""The VAPID key pair (RFC 8292): from the environment, or generated once for development."""

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class VapidKeys:
    """private_key: the 32-byte private scalar, base64url; public_key: the uncompressed point, base64url
    (the browser's applicationServerKey); subject: a mailto: or https: contact for push services."""

    private_key: str
    public_key: str
    subject: str

    def signer(self) -> Vapid:
        return Vapid.from_string(private_key=self.private_key)


def generate_vapid_keys(subject: str = "mailto:admin@localhost") -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(private_key=b64url(private), public_key=b64url(public), subject=subject)


def public_key_of(private_key: str) -> str:
    """The base64url public key that belongs to a base64url (raw or DER) private key."""
    vapid = Vapid.from_string(private_key=private_key)
    return b64url(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


def _dev_keys(path: Path, subject: str) -> VapidKeys:
    """Read the development pair, creating it once; O_EXCL makes the web and worker processes agree on one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = generate_vapid_keys(subject)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = json.loads(path.read_text())
        return VapidKeys(private_key=data["private_key"], public_key=data["public_key"], subject=subject)
    with os.fdopen(fd, "w") as f:
        json.dump({"private_key": keys.private_key, "public_key": keys.public_key}, f)
    return keys


def vapid_keys() -> VapidKeys:
    """The configured pair. Raises ImproperlyConfigured when no key is set and DEBUG is off."""
    subject = settings.VAPID_SUBJECT
    if settings.VAPID_PRIVATE_KEY:
        public = settings.VAPID_PUBLIC_KEY or public_key_of(settings.VAPID_PRIVATE_KEY)
        return VapidKeys(private_key=settings.VAPID_PRIVATE_KEY, public_key=public, subject=subject)
    if settings.DEBUG:
        return _dev_keys(Path(settings.VAPID_DEV_KEY_FILE), subject or "mailto:admin@localhost")
    raise ImproperlyConfigured("Set VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY and VAPID_SUBJECT for web push.")
