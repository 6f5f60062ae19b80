"""Persistence for shangliang: SQLAlchemy 2 models, the unit of work, queries, migrations.

Nothing here imports ``handlers`` or ``bot``; dependencies point bot → handlers → storage.
"""
