"""Commercial rights: what a company may do with the model under its creator's flags.

license_clarity asks whether the rights are *known*; this asks how much they allow, which is
what decides whether a business can use a model at all. Selling generated images is worth
0.4 (the use nearly every team needs), running it on generation services 0.2 (0.1 more on
the hub's own), selling the model or merges 0.3. Abstains when the creator set no flags
(an upload without them is unknown, not "nothing allowed").
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl

USE_VALUE = {
    "Image": (0.4, "sell generated images"),
    "RentCivit": (0.1, "run it on the hub's generation service"),
    "Rent": (0.2, "run it on generation services"),
    "Sell": (0.3, "sell the model or merges"),
}


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    if not version.license_flags_set:
        return None
    allowed = [USE_VALUE[use] for use in version.commercial_uses if use in USE_VALUE]
    if not allowed:
        return Score("commercial_rights", 0.0, "The creator allows no commercial use.")
    value = sum(v for v, _ in allowed)
    missing = [what for use, (_, what) in USE_VALUE.items() if use not in version.commercial_uses]
    explanation = "Allowed: " + ", ".join(what for _, what in allowed)
    if "Image" not in version.commercial_uses:
        explanation += "; generated images may NOT be sold"
    elif missing:
        explanation += "; not allowed: " + ", ".join(missing)
    return Score("commercial_rights", round(min(1.0, value), 4), explanation + ".")
