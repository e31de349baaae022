"""The durable job queue: enqueue in the caller's transaction, run in batches; two backends
behind one interface (wikipost.jobs.backend): the table queue and procrastinate."""

from wikipost.jobs.queue import Job, JobHandler, JobOutcome, JobQueue, JobRegistry, JobStatus

__all__ = ["Job", "JobHandler", "JobOutcome", "JobQueue", "JobRegistry", "JobStatus"]
