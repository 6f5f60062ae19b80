"""A local fake of an OpenAI-compatible chat-completions server, for testing ``bot.llm``.

It answers well, badly, slowly or not at all (``FakeLlm.mode``) and records every request it
got, so tests can check the model name, the Bearer key and that the text arrived masked.
"""
from .server import BAD_MODES, MODES, FakeLlm, Received, closed_url

__all__ = ["BAD_MODES", "MODES", "FakeLlm", "Received", "closed_url"]
