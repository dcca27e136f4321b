"""Each job's parameter schema: what a manual trigger's `kwargs` may hold (clients build a form from it)."""

from __future__ import annotations

from contracts.job_parameters import accepted_parameters
from contracts.job_parameters import parameters_schema
from services.api.commands import done
from services.api.commands import existing_job
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import JobParametersOut

router = SchedulerRouter("jobs")


@router.read(
    "/jobs/{job_id}/parameters",
    "The kwargs a manual trigger of this job accepts (JSON schema)",
    Envelope[JobParametersOut],
    errors=(404,),
    description="Anything else in `kwargs` is refused with 422 naming the accepted parameters.",
)
async def job_parameters(context: Context, job_id: JobId) -> Envelope[JobParametersOut]:
    """The kwargs a manual trigger of the job accepts, as names and a JSON schema."""
    job = await existing_job(context, job_id)
    data = JobParametersOut(
        job_id=job_id,
        job_kind=job.job_kind,
        accepted=accepted_parameters(job.job_kind),
        json_schema=parameters_schema(job.job_kind),
    )
    return done(context, text("job_parameters", job_id=job_id), data)
