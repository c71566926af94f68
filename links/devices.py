"""Which destination a visitor gets, from the User-Agent alone (ua-parser plus a few rules of our own).

Decisions (README, "Links"):
- iOS and iPadOS -> the iOS destination, including in-app browsers (Instagram, Facebook, ...): they run on the
  same OS and hand an App Store https URL to the App Store.
- iPadOS in desktop mode sends exactly the Mac Safari User-Agent. The server cannot tell them apart, so when
  the link has a separate iOS destination that Safari UA gets a tiny page whose script checks for a touch
  screen (navigator.maxTouchPoints) and picks iOS or default; without script it goes to default.
- Android -> the Android destination, including WebViews and Samsung Internet. Android forks without the Play
  Store (Amazon Kindle/Fire with Silk, Huawei HarmonyOS) -> the default destination, since a Play Store URL
  would be a dead end there.
- Link-preview fetchers and crawlers -> an Open Graph page, not counted. An empty User-Agent counts as a bot:
  no browser sends none.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import ua_parser

from links.models import Platform

# Preview fetchers and crawlers ua-parser does not flag as "Spider" (or that we must catch before it parses).
# iMessage's preview fetcher sends a Mac Safari UA with "facebookexternalhit ... Twitterbot" appended.
_BOT_RE = re.compile(
    r"\bbot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebot|whatsapp/|slack-imgproxy|slackbot|linkedinbot|"
    r"telegrambot|discordbot|twitterbot|applebot|embedly|iframely|skypeuripreview|vkshare|pinterest|redditbot|"
    r"bingpreview|google-inspectiontool|headlesschrome|python-requests|curl/|wget/|go-http-client|okhttp|"
    r"preview",
    re.IGNORECASE,
)
# Android devices without the Play Store.
_NO_PLAY_STORE_RE = re.compile(r"\bSilk/|\bKF[A-Z]{2,4}\b|Kindle|HarmonyOS", re.IGNORECASE)
_DESKTOP_OS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD", "Debian"}


@dataclass(frozen=True)
class Visit:
    platform: str  # a Platform value
    device: str
    os: str
    browser: str
    is_bot: bool


@lru_cache(maxsize=4096)  # a flyer's visitors share a handful of User-Agents: most clicks cost a dict lookup
def classify(user_agent: str) -> Visit:
    """Classify a User-Agent string; never raises, whatever the input."""
    ua = (user_agent or "")[:1000]
    if not ua.strip():
        return Visit(Platform.OTHER, "", "", "", is_bot=True)
    result = ua_parser.parse(ua)
    browser = result.user_agent.family if result.user_agent else ""
    os_family = result.os.family if result.os else ""
    device = result.device.family if result.device else ""
    is_bot = device == "Spider" or bool(_BOT_RE.search(ua))
    return Visit(_platform(ua, os_family, browser, device), device[:100], os_family[:100], browser[:100], is_bot)


def _platform(ua: str, os_family: str, browser: str, device: str) -> str:
    if os_family in ("iOS", "iPadOS") or device in ("iPhone", "iPad", "iPod"):
        return Platform.IOS
    if os_family == "Android" or "Android" in ua:
        return Platform.OTHER if _NO_PLAY_STORE_RE.search(ua) else Platform.ANDROID
    if os_family == "Mac OS X" and browser == "Safari" and "Mobile/" not in ua:
        return Platform.MAC_OR_IPAD
    if os_family in _DESKTOP_OS:
        return Platform.DESKTOP
    return Platform.OTHER
