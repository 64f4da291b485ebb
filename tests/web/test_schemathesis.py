"""The served OpenAPI document is the truth: schemathesis generates requests from it
(valid and invalid: the scenario JSON Schema for bodies), calls the app in-process, and checks
every response against the document (status documented, body matching its schema, no 5xx,
content type), then walks the links statefully (save a link -> open its scenario, trace, step).

Bounded: a fixed number of examples per operation and a fixed number of stateful runs, with
a seed, so the time it adds to the suite stays small and its result repeatable.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from backend.app import create_app
from backend.services import Settings

SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options")
EXAMPLES = 10


def _app(tmp: Path):
    return create_app(Settings(db_path=tmp / "schemathesis.sqlite3", prerender_steps=0))


_TMP = tempfile.TemporaryDirectory(prefix="wsgiscope-st-")
#: A request the document says is invalid must be refused: with the statuses the document
#: gives (413 included: a body past the byte budget is refused before it is parsed).
#: A request the document says is valid may still be a 422 or a 400: a JSON Schema cannot say
#: all a scenario must be (client ids unique, rules that parse, the estimated step budget,
#: at most 32 digits in any number of an ``x-`` field); the answer names the field or the
#: limit, as documented.
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "negative_data_rejection": {"expected-statuses": ["400", "404", "405", "413", "422"]},
    "positive_data_acceptance": {"expected-statuses": ["2XX", "400", "404", "422"]}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(Path(_TMP.name)), config=CONFIG)


def _check_headers(response) -> None:
    missing = [h for h in SECURITY if h not in response.headers]
    assert not missing, (response.status_code, missing)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case):
    response = case.call_and_validate()
    _check_headers(response)
    assert response.status_code < 500


def test_links_statefully():
    machine = schema.as_state_machine()

    class Workflow(machine):
        def validate_response(self, response, case, **kwargs):
            super().validate_response(response, case, **kwargs)
            _check_headers(response)
            assert response.status_code < 500

    Workflow.run(settings=settings(max_examples=15, stateful_step_count=4, deadline=None,
                                   derandomize=True, suppress_health_check=list(HealthCheck)))
