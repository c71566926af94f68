"""Demo topics (translated) and a few customers' choices, for `make run`. Idempotent."""

from django.db import transaction

from accounts.models import Customer
from preferences import tokens
from preferences.models import Channel, Source, Subscription, Topic, TopicKind

TOPICS = [
    {"key": "order-updates", "kind": TopicKind.TRANSACTIONAL, "order": 10,
     "channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.SMS, Channel.INBOX],
     "default_channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.INBOX],
     "name": {"en": "Order updates", "nl": "Bestelupdates", "de": "Bestellstatus", "pl": "Status zamówienia",
              "sv": "Orderuppdateringar"},
     "description": {"en": "Confirmation and status of your orders.",
                     "nl": "Bevestiging en status van je bestellingen.",
                     "de": "Bestätigung und Status deiner Bestellungen.",
                     "pl": "Potwierdzenie i status Twoich zamówień.",
                     "sv": "Bekräftelse och status för dina beställningar."}},
    {"key": "delivery-pickup", "kind": TopicKind.TRANSACTIONAL, "order": 20,
     "channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.SMS],
     "default_channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.SMS],
     "name": {"en": "Delivery & pickup", "nl": "Bezorgen & afhalen", "de": "Lieferung & Abholung",
              "pl": "Dostawa i odbiór", "sv": "Leverans & upphämtning"},
     "description": {"en": "When your parcel arrives or is ready to collect.",
                     "nl": "Wanneer je pakket komt of klaarligt.",
                     "de": "Wann dein Paket kommt oder abholbereit ist.",
                     "pl": "Kiedy przesyłka dotrze lub będzie gotowa do odbioru.",
                     "sv": "När ditt paket kommer eller kan hämtas."}},
    {"key": "offers", "kind": TopicKind.MARKETING, "order": 30, "double_opt_in": True,
     "channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.SMS, Channel.INBOX],
     "name": {"en": "Offers", "nl": "Aanbiedingen", "de": "Angebote", "pl": "Oferty", "sv": "Erbjudanden"},
     "description": {"en": "Discounts and deals picked for you.", "nl": "Kortingen en acties voor jou.",
                     "de": "Rabatte und Aktionen für dich.", "pl": "Rabaty i promocje dla Ciebie.",
                     "sv": "Rabatter och erbjudanden för dig."}},
    {"key": "tips", "kind": TopicKind.MARKETING, "order": 40,
     "channels": [Channel.WEB_PUSH, Channel.EMAIL, Channel.INBOX],
     "name": {"en": "Tips & inspiration", "nl": "Tips & inspiratie", "de": "Tipps & Inspiration",
              "pl": "Porady i inspiracje", "sv": "Tips & inspiration"},
     "description": {"en": "Ideas and how-tos for what you bought.", "nl": "Ideeën en uitleg bij je aankopen.",
                     "de": "Ideen und Anleitungen zu deinen Einkäufen.",
                     "pl": "Pomysły i porady do Twoich zakupów.", "sv": "Idéer och guider till dina köp."}},
    {"key": "surveys", "kind": TopicKind.MARKETING, "order": 50, "channels": [Channel.EMAIL, Channel.INBOX],
     "name": {"en": "Surveys", "nl": "Enquêtes", "de": "Umfragen", "pl": "Ankiety", "sv": "Enkäter"},
     "description": {"en": "Tell us what you think, now and then.", "nl": "Af en toe je mening geven.",
                     "de": "Ab und zu deine Meinung sagen.", "pl": "Czasem zapytamy o Twoją opinię.",
                     "sv": "Ibland vill vi höra vad du tycker."}},
]
DEMO_LINKS = 3


def topics_ensure() -> dict[str, Topic]:
    """Create or refresh the demo topics (also used by tests and the benchmark)."""
    out = {}
    for spec in TOPICS:
        fields = {"kind": spec["kind"], "order": spec["order"], "channels": list(spec["channels"]),
                  "default_channels": list(spec.get("default_channels", [])),
                  "double_opt_in": spec.get("double_opt_in", False), "shown_on_page": True}
        for lang, text in spec["name"].items():
            fields[f"name_{lang}"] = text
        for lang, text in spec["description"].items():
            fields[f"description_{lang}"] = text
        out[spec["key"]], _ = Topic.objects.update_or_create(key=spec["key"], defaults=fields)
    return out


def load_demo(site_url: str) -> list[str]:
    with transaction.atomic():
        topics = topics_ensure()
        customers = list(Customer.objects.filter(external_id__startswith="demo-").order_by("external_id")[:60])
        # Some demo customers opted in to marketing, so campaigns have an audience; never twice.
        Subscription.objects.bulk_create(
            [Subscription(customer=c, topic=topics[key], channel=channel, opted_in=True, source=Source.IMPORT)
             for n, c in enumerate(customers) for key, channel in
             (("offers", Channel.EMAIL), ("tips", Channel.WEB_PUSH)) if n % 2 == 0],
            ignore_conflicts=True)
    lines = []
    for customer in customers[:DEMO_LINKS]:
        lines.append(f"Preference center ({customer.external_id}): "
                     f"{tokens.preference_center_url(customer.pk, site_url=site_url)}")
    if customers:
        url = tokens.unsubscribe_url(customers[0].pk, topics["offers"].pk, Channel.EMAIL, site_url=site_url)
        lines.append(f"One-click unsubscribe ({customers[0].external_id}, offers by email): {url}")
    return lines
