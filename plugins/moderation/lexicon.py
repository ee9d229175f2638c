"""Offline moderation of reviews and comments: a profanity lexicon, spam heuristics, VADER.

Toxicity comes from better-profanity's word list (which also catches leetspeak and
in-word symbols such as ``f*ck``), spam from cheap signals (links, repeated characters or
words, shouting, contact bait), sentiment from VADER's rule-based lexicon. No network, no
model file: both libraries ship their word lists. A text crossing a threshold is held for a
human moderator, never rejected outright.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from better_profanity import Profanity
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from governance.hookspecs import (
    ModerationAction,
    ModerationVerdict,
    PluginSettings,
    TextToModerate,
    hookimpl,
)

#: Words of better-profanity's list that are ordinary in model reviews ("kills the noise").
DEFAULT_ALLOWED_WORDS = ("kill", "kills", "killer", "damn", "hell", "crap", "sexy")
DEFAULTS: dict[str, Any] = {
    "toxicity_threshold": 0.5,
    "spam_threshold": 0.7,
    "extra_words": (),
    "allowed_words": DEFAULT_ALLOWED_WORDS,
}
_CENSOR = "\x00"
_LINK = re.compile(r"https?://|www\.", re.I)
_REPEATED_CHAR = re.compile(r"(.)\1{7,}")
_CONTACT_BAIT = re.compile(
    r"\b(telegram|whatsapp|dm me|buy now|promo code|discount code|free credits|onlyfans)\b", re.I
)
_WORD = re.compile(r"[^\W_]+", re.U)


def _threshold(value: Any) -> bool:
    return 0 < value <= 1


def _words(value: Any) -> bool:
    return all(isinstance(word, str) for word in value)


hubgate_settings = PluginSettings(
    defaults=DEFAULTS,
    types={
        "toxicity_threshold": float,
        "spam_threshold": float,
        "extra_words": list,
        "allowed_words": list,
    },
    checks={
        "toxicity_threshold": (_threshold, "a number in (0, 1]"),
        "spam_threshold": (_threshold, "a number in (0, 1]"),
        "extra_words": (_words, "a list of words"),
        "allowed_words": (_words, "a list of words"),
    },
)


def _normalized(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(w.strip().lower() for w in words if w.strip()))


# Keyed by configuration, so a reconfigured plugin builds a new word set.
@lru_cache(maxsize=4)
def _filter_for(extra: tuple[str, ...], allowed: tuple[str, ...]) -> Profanity:
    profanity = Profanity()
    profanity.load_censor_words(whitelist_words=list(allowed))
    if extra:
        profanity.add_censor_words(list(extra))
    return profanity


def _filter() -> Profanity:
    return _filter_for(
        _normalized(hubgate_settings["extra_words"]),
        _normalized(hubgate_settings["allowed_words"]),
    )


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def toxicity(text: str) -> tuple[float, int]:
    """A toxicity in [0, 1] and how many listed words ``text`` holds."""
    censored = _filter().censor(text, _CENSOR)
    hits = len(re.findall(f"{_CENSOR}+", censored))
    if not hits:
        return 0.0, 0
    return min(1.0, 0.6 + 0.2 * (hits - 1)), hits


def spam(text: str) -> tuple[float, list[str]]:
    """A spam likelihood in [0, 1] and the signals behind it."""
    signals: list[tuple[float, str]] = []
    links = len(_LINK.findall(text))
    if links >= 2:
        signals.append((min(1.0, 0.4 + 0.2 * links), f"{links} links"))
    if _CONTACT_BAIT.search(text):
        signals.append((0.8, "contact or sales bait"))
    if _REPEATED_CHAR.search(text):
        signals.append((0.5, "repeated characters"))
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) >= 8:
        top, count = Counter(words).most_common(1)[0]
        if count / len(words) > 0.4:
            signals.append((0.8, f"repeats {top!r}"))
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        signals.append((0.4, "shouting"))
    if not signals:
        return 0.0, []
    score = min(1.0, max(s for s, _ in signals) + 0.1 * (len(signals) - 1))
    return score, [why for _, why in signals]


def sentiment(text: str) -> float:
    """VADER's compound sentiment of ``text`` in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"])


@hookimpl
def hubgate_moderate_text(text: TextToModerate) -> ModerationVerdict:
    toxic, hits = toxicity(text.text)
    spammy, signals = spam(text.text)
    reasons: list[str] = []
    if toxic >= hubgate_settings["toxicity_threshold"]:
        reasons.append(f"offensive language ({hits} word{'s' if hits != 1 else ''})")
    if spammy >= hubgate_settings["spam_threshold"]:
        reasons.append("looks like spam: " + ", ".join(signals))
    return ModerationVerdict(
        action=ModerationAction.HOLD if reasons else ModerationAction.ALLOW,
        reasons=tuple(reasons),
        toxicity=toxic,
        spam=spammy,
        sentiment=max(-1.0, min(1.0, sentiment(text.text))),
    )
