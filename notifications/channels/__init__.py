"""Channel adapters, one module per kind; importing this package registers them all."""

from notifications.channels import dingtalk, email, feishu, slack, webhook, wecom  # noqa: F401
from notifications.channels.base import Destination, SendResult, get_adapter

__all__ = ["Destination", "SendResult", "get_adapter"]
