"""The CI job a check runs in, for the deployment usage event: GitHub Actions, GitLab CI."""

from __future__ import annotations

from collections.abc import Mapping


def detect(env: Mapping[str, str]) -> dict[str, str]:
    """Repository, commit, ref, pipeline URL, job and environment from the CI's variables."""
    if env.get("GITHUB_ACTIONS") == "true":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repo = env.get("GITHUB_REPOSITORY", "")
        run = env.get("GITHUB_RUN_ID", "")
        return _clean(
            {
                "provider": "github",
                "repository": repo,
                "commit": env.get("GITHUB_SHA", ""),
                "ref": env.get("GITHUB_REF_NAME", ""),
                "pipeline_url": f"{server}/{repo}/actions/runs/{run}" if repo and run else "",
                "job": env.get("GITHUB_JOB", ""),
                "environment": env.get("HUBGATE_ENVIRONMENT", ""),
            }
        )
    if env.get("GITLAB_CI") == "true":
        return _clean(
            {
                "provider": "gitlab",
                "repository": env.get("CI_PROJECT_PATH", ""),
                "commit": env.get("CI_COMMIT_SHA", ""),
                "ref": env.get("CI_COMMIT_REF_NAME", ""),
                "pipeline_url": env.get("CI_PIPELINE_URL", ""),
                "job": env.get("CI_JOB_URL", "") or env.get("CI_JOB_NAME", ""),
                "environment": env.get("CI_ENVIRONMENT_NAME", "")
                or env.get("HUBGATE_ENVIRONMENT", ""),
            }
        )
    return _clean({"environment": env.get("HUBGATE_ENVIRONMENT", "")})


def _clean(values: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}
