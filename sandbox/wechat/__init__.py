"""An in-memory wechaty puppet for the WeChat adapter's tests (needs the ``wechat`` extra)."""
from .puppet import MemoryPuppet, SendFailed, Sent

__all__ = ["MemoryPuppet", "SendFailed", "Sent"]
