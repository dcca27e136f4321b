"""The data-sync job catalogue of `../shared/spec/jobs.md` (17 jobs) and what they share.

How a runtime uses it (composition root of a worker or scheduler process):

    settings = CatalogueSettings()                     # SCHEDULER_* variables, once per process
    environment = JobEnvironment.from_settings(settings)
    catalogue = configured_catalogue(settings, environment)   # dict[job_id, JobSpec]
    result = await catalogue[job_id].function(context)        # context: services.workers.job_api.JobContext
    ...
    await environment.aclose()                         # at shutdown: closes the market-data store

`JobSpec.enabled` is false (with `disabled_reason`) for the tushare jobs without a token and for jobs
disabled by `SCHEDULER_JOBS__<JOB_ID>__ENABLED=false`: register those paused. A job raises on failure
(`SyncFailed`, a `ProviderError`, `ValueError` for bad kwargs, `RunCancelled` when cancelled); otherwise it
returns a JSON dict whose `status` is `success`, `partial` (some symbols failed), `empty` (the provider
answered nothing) or `skipped` (outside trading time, holiday, nothing to do), with the counts.
Modules: `registry` (JobSpec, CATALOGUE), `settings`, `environment`, `loop` (counting, progress, the
per-symbol loop), `calendar`, `selection`, and the jobs: `basics`, `quotes`, `history`, `financial`,
`status`, `news`.
"""
