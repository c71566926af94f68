"""Demo data for `make run`: a landing page and a flyer link to it with per-device app store destinations.

Idempotent: both are found by their fixed slugs and created only once.
"""

from links.models import LandingPage, Link
from links.services import landing_page_save, link_create

DEMO_PAGE = "spring-app"
DEMO_LINK = "spring-flyer"


def load_demo(site_url: str) -> list[str]:
    page = LandingPage.objects.filter(slug=DEMO_PAGE).first()
    if page is None:
        page = landing_page_save(page=LandingPage(
            slug=DEMO_PAGE, title="Our app: spring offers first",
            body="Get **10% off** your first app order.\n\n- Offers before anyone else\n- Track your orders\n"
                 "- Your loyalty card, always with you",
            app_store_url="https://apps.apple.com/app/id000000000",
            play_store_url="https://play.google.com/store/apps/details?id=com.example.shop",
        ))
    if not Link.objects.filter(slug=DEMO_LINK).exists():
        link_create(data={
            "slug": DEMO_LINK, "title": "Spring flyer", "description": "Spring offers in our app.",
            "ios_url": "https://apps.apple.com/app/id000000000",
            "android_url": "https://play.google.com/store/apps/details?id=com.example.shop",
            "landing_page": page, "utm_source": "flyer", "utm_medium": "print", "utm_campaign": "spring",
            "campaign": "spring-2026",
        })
    short = f"{site_url.rstrip('/')}/l/{DEMO_LINK}"
    return [f"Short link: {short}   QR: {short}/qr.png",
            f"Landing page: {site_url.rstrip('/')}/p/{DEMO_PAGE}"]
