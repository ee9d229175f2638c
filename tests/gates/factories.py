"""Gate runs record what ``evaluate_gates`` said; the factory asks it, it does not invent.

No factories for ``VerdictGeneration`` and ``GateVerdict``: they are the CI check's cache,
written only by ``governance.ci.verdicts`` (a hand-made verdict would claim approvals and
users its inputs do not have); tests get them through ``verdicts_for``/``refresh_verdicts``.
"""

import factory

from governance.gates.models import GateRun
from governance.gates.services import evaluate_gates, record_gate_run
from tests.catalog.factories import ModelVersionFactory


class GateRunFactory(factory.django.DjangoModelFactory):
    """The gates of ``version`` (for ``request``'s intended use, if a request is given)."""

    class Meta:
        model = GateRun

    version = factory.SubFactory(ModelVersionFactory)
    request = None

    @classmethod
    def _create(cls, model_class, *, version, request):
        intended_use = request.intended_use if request is not None else None
        report = evaluate_gates(version, intended_use=intended_use)
        return record_gate_run(version=version, report=report, request=request)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A gate run is what the gates said: use GateRunFactory()")
