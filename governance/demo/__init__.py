"""The demo app: seed data for ``make run``, the fake CivitAI hub and the evaluation sets.

Top of the layer order: it imports whatever it needs, and no runtime module imports it.
Local and test settings install it; production settings do not.
"""
