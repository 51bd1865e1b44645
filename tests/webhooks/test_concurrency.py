"""Workers racing for the same delivery, on a real database: it is sent once."""
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.services import webhook_deliver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


def test_five_workers_given_one_delivery_send_it_once(store, endpoint, receiver):
    receiver.script = ["hang"]  # the first answer is slow: the others arrive while it is sent
    receiver.hang_seconds = 0.5
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, store=store, event="ping",
                                              payload={"id": "x"}, next_attempt_at=timezone.now())
    barrier = threading.Barrier(5)
    errors: list = []

    def work():
        try:
            barrier.wait()
            webhook_deliver(delivery_id=delivery.pk)
        except Exception as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
