"""Generated requests against the in-process app: every answer is well-formed (answers.py).

The requests come from the published contract (``/w/openapi.json``, see contract.py and
calls.py): every action, its parameters with valid, boundary and invalid values, every format
and formatversion, GET and POST, urlencoded and multipart bodies and odd content types, bad
UTF-8, NULs, CR/LF, huge and repeated parameters — as an anonymous user, a sysop and a bot
password, with real tokens most of the time so that the modules really run.
"""

from __future__ import annotations

from hypothesis import given

from tests.properties.answers import check_answer
from tests.properties.budget import Budget
from tests.properties.calls import ApiCall, api_calls, junk_in
from tests.properties.contract import Contract
from tests.properties.driver import IDENTITIES, ApiDriver
from tests.properties.known_bugs import INTEGER, NAMESPACE, spared

# Cases per CI run (Budget.scale multiplies them for `make fuzz`).
EVERY_ACTION_CASES = 3000
WRITE_ACTION_CASES = 400
JUNK_CASES = 100


def test_every_answer_is_well_formed(api_driver: ApiDriver, contract: Contract, budget: Budget) -> None:
    @budget.settings(EVERY_ACTION_CASES)
    @given(call=api_calls(contract, IDENTITIES, spare=spared))
    def every_action(call: ApiCall) -> None:
        budget.count("api-in-process")
        check_answer(*api_driver.run(call))

    every_action()


def test_write_actions_with_real_tokens_answer_well_formed(
    api_driver: ApiDriver, contract: Contract, budget: Budget
) -> None:
    """The modules that need a token, as logged-in users: the deep paths of the services."""
    writes = tuple(op.action for op in contract.operations if op.token)
    assert "emailuser" in writes and "massmessage" in writes

    @budget.settings(WRITE_ACTION_CASES)
    @given(call=api_calls(contract, ("Admin", "Alice@anchor"), actions=writes, spare=spared))
    def write_action(call: ApiCall) -> None:
        budget.count("api-writes")
        check_answer(*api_driver.run(call))

    write_action()


def test_junk_in_namespace_parameters_is_refused_not_crashed(
    api_driver: ApiDriver, contract: Contract, budget: Budget
) -> None:
    @budget.settings(JUNK_CASES)
    @given(call=junk_in(contract, NAMESPACE.applies))
    def junk_namespace(call: ApiCall) -> None:
        budget.count("api-junk-namespace")
        check_answer(*api_driver.run(call))

    junk_namespace()


def test_junk_in_integer_parameters_is_refused_not_crashed(
    api_driver: ApiDriver, contract: Contract, budget: Budget
) -> None:
    @budget.settings(JUNK_CASES)
    @given(call=junk_in(contract, INTEGER.applies))
    def junk_integer(call: ApiCall) -> None:
        budget.count("api-junk-integer")
        check_answer(*api_driver.run(call))

    junk_integer()
