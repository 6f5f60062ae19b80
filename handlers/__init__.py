"""Platform-neutral conversation logic and the domain rules of 有事好商量.

Adapters in ``bot/`` turn platform events into ``Incoming`` messages and render outbox
rows back; nothing here imports a chat library.
"""
