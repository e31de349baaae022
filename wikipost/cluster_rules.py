"""What a configuration shared by several processes must not hold in one of them.

Sessions, tokens (HMACs of a secret kept in the session) and login throttles always live in
the store. Two settings can still pin state to one process or one machine:

- ``[ratelimits] storage = "memory://"``: each process counts for itself, so N processes let N
  times the limit through;
- an SQLite store (``[database] url`` empty or ``sqlite://``): a file on one machine, which the
  other nodes cannot open. (Several processes of one ``serve --workers N`` on one machine share
  it correctly, so it is refused only when ``[cluster] nodes`` says there is more than one node.)

And one that would make nodes answer differently: no ``[site] secret_key`` (``wikipost init``
writes one to the data dir of the machine it runs on, which the other nodes lack), so a signed
Special:RunJobs request would be accepted by one node and refused by another.

``serve``, ``worker`` and ``wikipost check`` call :func:`cluster_problems`; each problem is one
line that names the key to change.
"""

from __future__ import annotations

from wikipost.settings import Settings


def cluster_problems(settings: Settings, *, processes: int = 1) -> list[str]:
    """The settings that break a deployment of ``[cluster] nodes`` nodes of ``processes`` server
    processes each (``serve --workers``); empty when there are none."""
    nodes = settings.cluster.nodes
    if nodes < 1:
        return [f"[cluster] nodes must be 1 or more (it is {nodes})"]
    problems: list[str] = []
    several = nodes > 1 or processes > 1
    if several and settings.ratelimits.storage.startswith("memory://"):
        who = f"[cluster] nodes = {nodes}" if nodes > 1 else f"--workers {processes}"
        problems.append(
            f'[ratelimits] storage = "memory://" keeps rate-limit counters in one process, but '
            f'{who} runs several: set [ratelimits] storage = "database" (or a redis:// URL) in '
            "the configuration."
        )
    if nodes > 1 and settings.database_url.startswith("sqlite"):
        problems.append(
            f"[database] url is an SQLite file on one machine, but [cluster] nodes = {nodes}: set "
            "[database] url (or WIKIPOST_DATABASE_URL) to a PostgreSQL URL every node reaches."
        )
    if nodes > 1 and not settings.site.secret_key:
        problems.append(
            f"[site] secret_key is empty on this node, but [cluster] nodes = {nodes}: set the same "
            "[site] secret_key in every node's configuration (the one `wikipost init` wrote to "
            "<data dir>/secret_key will do)."
        )
    return problems
