"""Schemathesis against the application's OpenAPI document: no generated input gets a 5xx answer.

Every operation of ``/openapi.json`` is called with inputs Hypothesis derives from the schema (valid and
invalid), signed in as a county officer (bearer token) on a private copy of the demo, so writes are
allowed and land nowhere else. The check is only "not a server error": a 422 naming the field, a 404 or a
409 are all correct answers to nonsense.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.web.conftest import PASSWORD


@pytest.fixture(scope="module")
def fuzz_app(web_demo_file, tmp_path_factory):  # noqa: ANN001, ANN201
    import shutil

    from tests.web.conftest import make_app

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    shutil.copy(web_demo_file, path)
    return make_app(path)


@pytest.fixture(scope="module")
def officer_token(fuzz_app) -> str:  # noqa: ANN001
    from fastapi.testclient import TestClient

    with TestClient(fuzz_app) as c:
        r = c.post("/api/v1/token", data={"username": "officer", "password": PASSWORD})
        assert r.status_code == 200
        return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def api_schema(fuzz_app):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, officer_token):  # noqa: ANN001
    if case.path != "/api/v1/token":
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {officer_token}"}
    response = case.call()
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
