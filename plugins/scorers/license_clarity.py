"""License clarity: how well Hubgate can tell what a version's license allows.

Not whether the license is permissive — whether it is *known*: a version whose declared
license, base-model license and hub flags establish every right scores 1.0. Each thing that
could not be established (no license known for the base model, none declared) costs 0.3;
each right that needs a lawyer's reading ("review") costs 0.08; rights that are conditional
(attribution, share-alike) are clear and cost nothing.
"""

from __future__ import annotations

from governance.hookspecs import Score, VersionSnapshot, hookimpl


@hookimpl
def hubgate_score_version(version: VersionSnapshot) -> Score | None:
    if not version.license_permissions and not version.license_unknowns:
        return None  # the license terms were not computed for this snapshot
    review = sorted(
        term for term, permission in version.license_permissions if permission == "review"
    )
    value = 1.0 - 0.3 * len(version.license_unknowns) - 0.08 * len(review)
    parts = []
    if version.license_names:
        parts.append("Licenses: " + ", ".join(version.license_names))
    parts.extend(version.license_unknowns)
    if review:
        parts.append("needs a lawyer's reading for " + ", ".join(review))
    if not version.license_unknowns and not review:
        parts.append("every right is established")
    return Score("license_clarity", round(max(0.0, value), 4), "; ".join(parts) + ".")
