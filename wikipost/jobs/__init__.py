"""The durable job queue: enqueue in the caller's transaction, claim with a lease, run in batches."""

from wikipost.jobs.queue import Job, JobHandler, JobOutcome, JobQueue, JobRegistry, JobStatus

__all__ = ["Job", "JobHandler", "JobOutcome", "JobQueue", "JobRegistry", "JobStatus"]
