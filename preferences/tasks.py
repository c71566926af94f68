"""django-q2 entry points for preferences."""

from preferences.services import consent_ip_purge, marketing_sends_prune


def housekeeping() -> dict[str, int]:
    """Daily: clear IP and user agent from consent records past retention, and prune the send ledger."""
    return {"consent_ip_cleared": consent_ip_purge(), "ledger_rows_deleted": marketing_sends_prune()}
