"""deploy/ci's examples stay working: valid YAML, and every `hubgate check` line in them is
accepted by the real command-line parser."""

import shlex
from pathlib import Path

import pytest
import yaml
from hubgate_cli.cli import build_parser

CI = Path(__file__).resolve().parents[2] / "deploy" / "ci"
HOOKS = Path(__file__).resolve().parents[2] / "clients" / "hubgate-cli" / ".pre-commit-hooks.yaml"


def commands(node) -> list[str]:
    if isinstance(node, dict):
        return [c for value in node.values() for c in commands(value)]
    if isinstance(node, list):
        return [c for value in node for c in commands(value)]
    if isinstance(node, str) and node.strip().startswith("hubgate check"):
        return [" ".join(node.split())]
    return []


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_pipeline_examples_run_real_hubgate_commands(name) -> None:
    found = commands(yaml.safe_load((CI / name).read_text()))
    assert len(found) == 2
    for line in found:
        args = build_parser().parse_args(
            shlex.split(line)[1:] + ["--profile", "x"] * ("--profile" not in line)
        )
        assert args.targets == ["models/"]


def test_pre_commit_hooks_use_the_hubgate_command() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["entry"] == "hubgate check" and hook["language"] == "python"
    local = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    args = build_parser().parse_args([*shlex.split(local["entry"])[1:], "model.safetensors"])
    assert args.profile == "commercial-products"
    assert any("subdirectory=clients/hubgate-cli" in d for d in local["additional_dependencies"])
