"""200 concurrent emailuser requests of a user limited to 20 a day, spread over both nodes:
exactly 20 are accepted and 20 mails leave, whichever node took each request."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.cluster.support import BOB, NODE_HEADER, USER_LIMIT, csrf_token, login
from tests.cluster.target import ClusterServer
from tests.mail.sink import Sink

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]

REQUESTS = 200


def test_200_concurrent_requests_over_two_nodes_give_exactly_the_limit(
    cluster: ClusterServer, sink: Sink
) -> None:
    session = login(cluster.api_url)
    token = csrf_token(session, cluster.api_url)
    cookies = requests.utils.dict_from_cookiejar(session.cookies)
    before = len(sink.handler.received)
    start = threading.Barrier(REQUESTS)

    def send(n: int) -> tuple[str, str]:
        form = {
            "action": "emailuser",
            "target": BOB,
            "subject": f"Concurrent {n}",  # all different: none is a duplicate of another
            "text": "Hello.",
            "token": token,
            "format": "json",
        }
        start.wait(timeout=60)
        answer = requests.post(cluster.api_url, data=form, cookies=cookies, timeout=120)
        body = answer.json()
        outcome = body["emailuser"]["result"] if "emailuser" in body else body["error"]["code"]
        return outcome, answer.headers[NODE_HEADER]

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(send, range(REQUESTS)))
    outcomes = Counter(outcome for outcome, _ in results)
    nodes = Counter(node for _, node in results)
    assert outcomes == {"Success": USER_LIMIT, "ratelimited": REQUESTS - USER_LIMIT}
    # Round robin: half each, unless a health check failed under the burst.
    assert set(nodes) == {"node1", "node2"} and min(nodes.values()) >= REQUESTS // 4, nodes
    accepted_by = Counter(node for outcome, node in results if outcome == "Success")
    assert sum(accepted_by.values()) == USER_LIMIT
    # The workers deliver each accepted mail exactly once.
    sink.handler.wait_for(before + USER_LIMIT, timeout=120)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with cluster.open_wiki() as wiki:
            counts = wiki.outbox.counts()
        if not counts.get("queued") and not counts.get("sending"):
            break
        time.sleep(0.1)
    assert {status: n for status, n in counts.items() if n} == {"sent": USER_LIMIT}
    mails = sink.handler.received[before:]
    assert len(mails) == USER_LIMIT
    assert len({m.data.split(b"Subject: ")[1].split(b"\r\n")[0] for m in mails}) == USER_LIMIT
