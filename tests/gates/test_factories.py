import pytest

from governance.gates.models import GateRun
from governance.gates.services import evaluate_gates
from tests.gates.factories import GateRunFactory

pytestmark = pytest.mark.django_db


def test_a_gate_run_records_what_the_gates_say_about_its_version():
    run = GateRunFactory()
    run.full_clean()
    report = evaluate_gates(run.version)
    assert run.outcome == report.outcome
    assert run.outcome in GateRun.Outcome.values
    assert len(run.items) == len(report.items) and run.request is None
    assert list(run.version.gate_runs.all()) == [run]
