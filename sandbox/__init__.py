"""Test-support servers that stand in for chat platforms (not part of the installed package).

``sandbox.telegram`` is a strict local Bot API server; tests and the playground import it
from a checkout of the repository.
"""
