"""Building recommender snapshots in plugin tests, without a database."""

from governance.hookspecs import ModelSnapshot, UserSnapshot
from governance.recommendations.compatibility import families_of


def snap(id, tags=(), base=("SDXL 1.0",), type="LORA", **extra) -> ModelSnapshot:
    """A model snapshot whose families follow its base models, as Hubgate builds them."""
    return ModelSnapshot(
        id=id,
        name=f"M{id}",
        type=type,
        tags=frozenset(tags),
        base_models=frozenset(base),
        creator="c",
        base_model_families=families_of(base),
        **extra,
    )


def person(*history: ModelSnapshot, weights=()) -> UserSnapshot:
    return UserSnapshot(
        id=1, username="u", team_ids=(1,), history=tuple(history), weights=tuple(weights)
    )
