"""Any node answers any request of any session: logins, tokens and the client's address hold
across the two nodes, directly and through HAProxy, and a node that stops is taken out."""

from __future__ import annotations

import signal
from collections import Counter

import pytest
import requests

from tests.cluster.support import BOB, LIMITED, NODE_HEADER, csrf_token, login, query, user_name
from tests.cluster.target import ClusterServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]


def test_a_session_logged_in_through_one_node_works_through_the_other(cluster: ClusterServer) -> None:
    node_a, node_b = cluster.node_api_urls()
    session = login(node_a)
    assert user_name(session, node_b) == LIMITED
    # A token made by node B is good on node A: tokens are HMACs of a secret in the stored session.
    token = csrf_token(session, node_b)
    answer = session.post(
        node_a, data={"action": "checktoken", "type": "csrf", "token": token, "format": "json"}, timeout=30
    ).json()
    assert answer["checktoken"]["result"] == "valid"
    # Logging out through B ends the session for A too.
    session.post(node_b, data={"action": "logout", "token": token, "format": "json"}, timeout=30)
    assert user_name(session, node_a) == "127.0.0.1"


def test_through_haproxy_each_request_may_go_to_either_node(cluster: ClusterServer) -> None:
    session = login(cluster.api_url)
    served = Counter()
    for _ in range(6):
        answer = session.get(
            cluster.api_url,
            params={"action": "query", "meta": "userinfo|tokens", "format": "json"},
            timeout=30,
        )
        served[answer.headers[NODE_HEADER]] += 1
        assert answer.json()["query"]["userinfo"]["name"] == LIMITED
        token = answer.json()["query"]["tokens"]["csrftoken"]
    # One keep-alive connection, balanced per request: both nodes answered this session.
    assert served == {"node1": 3, "node2": 3}
    answer = session.post(
        cluster.api_url, data={"action": "checktoken", "type": "csrf", "token": token, "format": "json"}
    ).json()
    assert answer["checktoken"]["result"] == "valid"


def test_the_nodes_see_the_client_haproxy_forwards(cluster: ClusterServer) -> None:
    """[cluster] trusted_proxies: the address in X-Forwarded-For is the client (rate limits,
    throttles and blocks by IP), not the balancer's."""
    anonymous = requests.Session()
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    answer = anonymous.get(
        cluster.api_url, params={"action": "query", "meta": "userinfo", "format": "json"}, headers=forwarded
    )
    assert answer.json()["query"]["userinfo"]["name"] == "203.0.113.7"
    assert user_name(anonymous, cluster.api_url) == "127.0.0.1"


def test_a_stopped_node_is_taken_out_and_its_sessions_go_on(cluster: ClusterServer) -> None:
    session = login(cluster.api_url, BOB)
    haproxy = cluster.cluster.haproxy
    assert haproxy is not None
    cluster.cluster.stop_member("node1", signal.SIGKILL)
    try:
        # Until the health check notices, HAProxy retries a refused connection on the other node.
        for _ in range(4):
            assert user_name(session, cluster.api_url) == BOB
        haproxy.wait_for_states({"node1": "DOWN", "node2": "UP"}, timeout=30)
        served = {
            session.get(cluster.api_url, params={"action": "query", "format": "json"}).headers[NODE_HEADER]
            for _ in range(4)
        }
        assert served == {"node2"}
    finally:
        cluster.cluster.start_member("node1")
    haproxy.wait_for_states({"node1": "UP", "node2": "UP"}, timeout=30)
    assert user_name(session, cluster.cluster.node_api_urls()[0]) == BOB
    assert query(session, cluster.api_url, meta="tokens")["query"]["tokens"]["csrftoken"] != "+\\"
