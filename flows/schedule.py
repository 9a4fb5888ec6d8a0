"""Scheduled ingestion with Prefect's own deployments: `kommunnlp schedule` serves one, prefect.yaml deploys one."""

from __future__ import annotations

from pathlib import Path

from prefect.deployments.runner import RunnerDeployment

from flows.ingest import ingest_flow

DEFAULT_NAME = "kommunnlp-ingest"


def make_deployment(name: str, cron: str, input_dir: str, output_dir: str, timezone: str = "Europe/Stockholm",
                    **parameters) -> RunnerDeployment:
    """A deployment of the ingest flow that runs on `cron` with absolute input and output folders."""
    from prefect.schedules import Cron

    params = {"input_dir": str(Path(input_dir).resolve()), "output_dir": str(Path(output_dir).resolve()),
              **{k: v for k, v in parameters.items() if v is not None}}
    return ingest_flow.to_deployment(
        name=name,
        schedule=Cron(cron, timezone=timezone),
        parameters=params,
        description=(f"Fetch {params['sources']} into {params['input_dir']}, then ingest" if "sources" in params
                     else f"Ingest {params['input_dir']}") + f" into {params['output_dir']} on '{cron}' ({timezone}).",
        tags=["kommunnlp"],
    )


def serve(deployment: RunnerDeployment) -> None:
    """Register the deployment and run its scheduled (and hand-triggered) runs until interrupted."""
    from prefect import serve as prefect_serve

    prefect_serve(deployment)
