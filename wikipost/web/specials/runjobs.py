"""Special:RunJobs: run due jobs on a signed request (SpecialRunJobs, 1.39).

Not a page for people: a POST whose parameters are signed with the wiki's secret key
(``services/runjobs.py``), with no session and no token. With ``async`` (the default) it answers
``202 Accepted`` at once and runs the jobs after the answer is sent; otherwise it runs them first
and answers ``Done`` — or, with ``stats``, JobRunner's report as JSON (``reached`` is
``none-ready`` once nothing is due). Refusals are wfHttpError pages: 400 for a GET, missing
parameters or a bad or stale signature, 423 when the wiki is read-only.
"""

from __future__ import annotations

import html
import json
import logging

from starlette.background import BackgroundTask
from starlette.responses import Response

from wikipost.services.runjobs import JobRunner, RunJobsRefused, RunJobsRequest, check_request
from wikipost.web.context import PageContext
from wikipost.web.special import PageOutput, SpecialPage

log = logging.getLogger("wikipost.runjobs")


def http_error(status: int, label: str, text: str) -> Response:
    """wfHttpError: a bare HTML page with the status, its label and the text."""
    label_html = html.escape(label, quote=False)
    text_html = html.escape(text, quote=False).replace("\n", "<br />\n")
    body = (
        f"<!DOCTYPE html><html><head><title>{label_html}</title></head><body><h1>{label_html}"
        f"</h1><p>{text_html}</p></body></html>\n"
    )
    return Response(body, status_code=status, media_type="text/html; charset=utf-8")


class SpecialRunJobs(SpecialPage):
    name = "RunJobs"
    heading = "Run jobs"

    def execute(self, ctx: PageContext, sub: str) -> PageOutput | Response:
        wiki = ctx.wiki
        if wiki.settings.site.read_only:
            return http_error(423, "Locked", "Wiki is in read-only mode.")
        if not ctx.posted:
            return http_error(400, "Bad Request", "Request must be POSTed.")
        # WebRequest::getValues: POST over GET; a path title (/index.php/Special:RunJobs) counts.
        values = {name: items[0] for name, items in ctx.query.items() if items}
        values.update({name: items[0] for name, items in ctx.form.items() if items})
        values.setdefault("title", f"Special:{self.name}" + (f"/{sub}" if sub else ""))
        try:
            request = check_request(values, wiki.settings.site.secret_key, wiki.clock.now())
        except RunJobsRefused as refused:
            return http_error(refused.status, refused.label, refused.text)
        runner = JobRunner(wiki)
        if request.run_async:
            return Response(b"", status_code=202, background=BackgroundTask(self._run, runner, request))
        report = self._run(runner, request)
        if request.stats:
            return Response(json.dumps(report), media_type="application/json")
        return Response("Done\n", media_type="text/html; charset=utf-8")

    @staticmethod
    def _run(runner: JobRunner, request: RunJobsRequest) -> dict[str, object]:
        report = runner.run(max_jobs=request.max_jobs, max_time=request.max_time, job_type=request.job_type)
        log.info("Special:RunJobs ran %d job(s), reached %s", len(report.jobs), report.reached)
        return report.as_json()
