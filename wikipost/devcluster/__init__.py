"""The development cluster: PostgreSQL, Redis, HAProxy, API nodes and workers on 127.0.0.1.

``python -m wikipost.devcluster`` (``make cluster``) runs one in the foreground; the test suite
starts the same :class:`~wikipost.devcluster.cluster.Cluster` (tests/cluster, and every live
API test under ``WIKIPOST_TEST_TARGET=cluster``). Servers come from Debian's packages,
installed with apt-get when missing.
"""
