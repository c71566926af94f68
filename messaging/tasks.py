"""django-q2 entry points. Each takes ids, claims its rows with a conditional update and calls services or
the pipeline, so running one twice, or after a crash, sends nothing twice (STYLE rule 5)."""

from datetime import timedelta

from django.conf import settings


def deliveries_send(delivery_ids: list[int]) -> int:
    """Send one batch of queued deliveries; returns how many this run claimed (0 when another had them)."""
    from messaging.pipeline import send_batch

    return send_batch(delivery_ids=list(delivery_ids))


def deliveries_dispatch(max_batches: int = 200) -> int:
    """The scheduled dispatcher: claim due scheduled deliveries batch by batch, one send task per batch.

    Several dispatchers may run at once (they claim disjoint rows); returns how many were claimed.
    """
    from messaging.services import deliveries_claim_due

    claimed = 0
    for _ in range(max_batches):
        ids = deliveries_claim_due(limit=settings.MESSAGING_SEND_BATCH)
        claimed += len(ids)
        if len(ids) < settings.MESSAGING_SEND_BATCH:
            break
    return claimed


def deliveries_sweep() -> int:
    """Re-queue deliveries stuck in queued/sending past MESSAGING_STUCK_AFTER_SECONDS (their task was lost)."""
    from messaging.services import deliveries_requeue_stuck

    return len(deliveries_requeue_stuck(older_than=timedelta(seconds=settings.MESSAGING_STUCK_AFTER_SECONDS),
                                        limit=settings.MESSAGING_SEND_BATCH))
