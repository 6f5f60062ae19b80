"""One delivery core for every platform: outbox row → typed message → adapter → receipt.

The core (``core.DeliveryCore``) claims rows, turns each into a typed ``Outgoing`` with
everything the adapter needs (``prepare``), hands it to the platform's transport, and stores
what came back (``outcome``): the platform's message id, a poll's id, a forum topic, a chat
that moved. Adapters never open a database session. Replay and the tests run the same loop
through ``drain_sync``.
"""
from .outgoing import (Delivery, Edit, File, Moved, Outgoing, Poll, Receipt, Rejected, RetryLater, StopPoll, Target,
                       Text, Transport, Unreachable)

__all__ = ["Delivery", "Edit", "File", "Moved", "Outgoing", "Poll", "Receipt", "Rejected", "RetryLater", "StopPoll",
           "Target", "Text", "Transport", "Unreachable"]
