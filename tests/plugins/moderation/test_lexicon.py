"""The built-in offline moderation plugin: profanity, spam, sentiment; configuration."""

import pytest
from django.test import override_settings

from governance.hookspecs import ModerationAction, TextToModerate
from governance.plugins import get_plugin_manager, plugin_infos
from plugins.moderation import lexicon


def _check(text: str):
    return lexicon.hubgate_moderate_text(TextToModerate("comment", text, 1, 1))


def test_it_loads_through_its_entry_point():
    info = {i.name: i for i in plugin_infos()}["moderation_lexicon"]
    assert info.loaded and info.hooks == ("hubgate_moderate_text",)


@pytest.mark.parametrize("text", ["You are a fucking moron", "this is sh1t", "f*ck this model"])
def test_offensive_language_is_held(text):
    verdict = _check(text)
    assert verdict.action is ModerationAction.HOLD and verdict.toxicity >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Great LoRA, kills the noise in skies.",
        "Works with SDXL; use CFG 5 and 30 steps.",
        "Hell of a checkpoint for portraits.",
    ],
)
def test_ordinary_reviews_pass(text):
    assert _check(text).action is ModerationAction.ALLOW


@pytest.mark.parametrize(
    "text",
    [
        "Buy now at https://a.example https://b.example https://c.example",
        "DM me on telegram for free credits",
        "cheap cheap cheap cheap cheap cheap cheap cheap prompts",
    ],
)
def test_spam_is_held(text):
    verdict = _check(text)
    assert verdict.action is ModerationAction.HOLD and verdict.spam >= 0.7
    assert any("spam" in r for r in verdict.reasons)


def test_sentiment_follows_the_text():
    assert _check("Amazing model, I love the colors!").sentiment > 0.5
    assert _check("Terrible, useless and ugly results.").sentiment < -0.5


def test_site_words_can_be_added_and_allowed():
    try:
        with override_settings(HUBGATE_PLUGINS={"moderation_lexicon": {"extra_words": ["zorp"]}}):
            get_plugin_manager()
            assert _check("what a zorp").action is ModerationAction.HOLD
    finally:
        lexicon.hubgate_settings.apply({})
    assert _check("what a zorp").action is ModerationAction.ALLOW


@pytest.mark.parametrize(
    "config",
    [
        {"toxicity_threshold": 0},
        {"spam_threshold": "high"},
        {"extra_words": "zorp"},
    ],
)
def test_invalid_configuration_is_refused(config):
    with pytest.raises(ValueError):
        lexicon.hubgate_settings.apply(config)
    lexicon.hubgate_settings.apply({})
