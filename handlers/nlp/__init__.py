"""Understanding a resident's message: normalising, segmenting, locating, classifying, sizing.

Everything here is built once at start-up (``Intake.load``) and then used for each report;
nothing is loaded at import time.
"""
