"""Telegram-facing pieces of shangliang (the local Bot API sandbox for tests is the top-level `sandbox.telegram`)."""
