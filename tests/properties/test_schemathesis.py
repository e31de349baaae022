"""Another tool reads the published contract: schemathesis generates requests from
/w/openapi.json and checks the answers against it (no 5xx, documented status codes, content
types, headers and response schemas), and our oracle checks they are well-formed."""

from __future__ import annotations

from typing import Any, cast

import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.properties.answers import Answer, well_formed
from tests.properties.budget import Budget

SCHEMATHESIS_CASES = 300


def test_schemathesis_cases_conform_to_the_contract(
    fuzz_client: TestClient, openapi_doc: dict[str, Any], budget: Budget
) -> None:
    schema = schemathesis.openapi.from_dict(openapi_doc)
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]  # raises if invalid
    assert len(operations) == sum(len(item) - 1 for item in openapi_doc["paths"].values())  # minus "summary"
    app = fuzz_client.app

    @budget.settings(SCHEMATHESIS_CASES)
    @given(case=st.one_of([op.as_strategy() for op in operations]))
    def conforms(case: Any) -> None:
        budget.count("schemathesis")
        response = case.call(app=app)
        case.validate_response(response)
        headers = {name.lower(): values[-1] for name, values in response.headers.items()}
        well_formed(Answer(response.status_code, headers, response.content))

    conforms()
