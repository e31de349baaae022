"""Operating Wikipost: health and readiness, Prometheus metrics, request ids and log lines.

* ``health`` — the workers' heartbeats and what ``/readyz`` checks (:func:`attach_heartbeat`
  gives a background worker its heartbeat);
* ``metrics`` — ``/metrics``: request counts in the server process, the rest from the store;
* ``logs`` — text or JSON log lines, the access line, redaction;
* ``http`` — what the ASGI app (wikipost/app.py) takes from here (:func:`~wikipost.ops.http.build_ops`):
  the request observer and the ``/healthz``, ``/readyz`` and ``/metrics`` routes.

Nothing is imported here: the worker process needs only ``health`` and ``logs``, and starts
(and installs its signal handlers) sooner without the web and Prometheus modules.
"""
