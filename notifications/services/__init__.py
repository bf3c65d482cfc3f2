"""Writes of the notifications app.

Contract used by other apps: `alert_dispatch(*, alert) -> list[Notification]`, called inside the
caller's transaction. Everything else here serves the delivery task, the admin and the commands.
"""

from notifications.services.config import ConfigSummary, alert_config_load
from notifications.services.delivery import (
    DeliveryOutcome,
    channel_send_test,
    destination_send_test,
    notification_deliver,
    notification_requeue_due,
    notification_retry,
)
from notifications.services.dispatch import alert_dispatch

__all__ = [
    "ConfigSummary",
    "DeliveryOutcome",
    "alert_config_load",
    "alert_dispatch",
    "channel_send_test",
    "destination_send_test",
    "notification_deliver",
    "notification_requeue_due",
    "notification_retry",
]
