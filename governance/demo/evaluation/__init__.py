"""Evaluation sets built on the demo catalog: recommendations and quality
(:mod:`.recommendations`), search (:mod:`.search`); their data lives in ``fixtures/``."""
