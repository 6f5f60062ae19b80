"""Platform adapters, wiring, the scheduler ticker and the ``shangliang`` command line."""
