from plugins.recommenders import compatibility
from tests.plugins.recommenders.snapshots import person, snap


def test_a_checkpoint_gets_addons_of_its_family_exact_base_model_first() -> None:
    pony = snap(1, type="Checkpoint", base=("Pony",))
    exact = snap(2, type="LORA", base=("Pony",))
    family = snap(3, type="LORA", base=("Illustrious",))
    wrong = snap(4, type="LORA", base=("SD 1.5",))
    upscaler = snap(5, type="Upscaler", base=("Other",))
    other_checkpoint = snap(6, type="Checkpoint", base=("Pony",))
    recs = compatibility.hubgate_recommend_similar(
        pony, [wrong, family, upscaler, exact, other_checkpoint], 10
    )
    assert [r.model_id for r in recs] == [2, 3, 5]
    assert "same base model as M1" in recs[0].reason
    assert "sdxl architecture" in recs[1].reason
    assert "any checkpoint" in recs[2].reason


def test_an_addon_gets_the_checkpoints_it_runs_on() -> None:
    lora = snap(1, type="LORA", base=("Flux.1 D",))
    recs = compatibility.hubgate_recommend_similar(
        lora, [snap(2, type="Checkpoint", base=("Flux.1 S",)), snap(3, type="Checkpoint")], 5
    )
    assert [r.model_id for r in recs] == [2]
    assert recs[0].reason.startswith("Runs on M2")


def test_for_user_recommends_addons_for_the_checkpoints_the_team_uses() -> None:
    checkpoint = snap(1, type="Checkpoint", base=("SD 1.5",))
    recs = compatibility.hubgate_recommend_for_user(
        person(checkpoint), [snap(2, type="Controlnet", base=("SD 1.5",)), snap(3)], 5
    )
    assert [r.model_id for r in recs] == [2]
    assert recs[0].reason.startswith("Fits M1, which your team uses")
    assert compatibility.hubgate_recommend_for_user(person(snap(9)), [snap(2)], 5) is None
