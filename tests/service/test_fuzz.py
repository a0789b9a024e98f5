"""
Schemathesis fuzzes the API from its own OpenAPI schema, valid and malformed requests alike: no
request may get a 500, and every response must match the schema. Bounded: at most
`MAX_EXAMPLES` generated requests per operation and phase.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from allencv.service import ServiceSettings, create_app

pytestmark = pytest.mark.slow  # the API fuzzer

MAX_EXAMPLES = 40

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(trained_predictor):
    # Schemathesis calls the app as host "testserver", which it must accept.
    app = create_app(trained_predictor, ServiceSettings(allowed_hosts=("testserver",)))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
def test_the_api_never_fails_on_generated_input(case):
    # A schema-valid body is not always an image (random base64 is not a PNG), so a 4xx for one is
    # right: only `positive_data_acceptance` is left out.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
