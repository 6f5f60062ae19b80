"""Telegram-facing pieces of shangliang (the local Bot API sandbox lives in `sandbox`)."""
