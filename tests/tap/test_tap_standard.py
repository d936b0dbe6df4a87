"""singer-sdk's standard tap tests (discovery, CLI, every stream's records against its schema, keys...),
run against the seeded ServiceTitan sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox.testing import RunningSandbox, running_sandbox
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from singer_sdk.testing.runners import TapTestRunner
from tap_servicetitan.tap import TapServiceTitan

SUITE = SuiteConfig(max_records_limit=None)

# Collection builds the streams from this config (no call is made); the runner below swaps in the
# sandbox's URLs once it is up.
COLLECTION_CONFIG = {
    "client_id": "collection-only",
    "client_secret": "collection-only",
    "app_key": "collection-only",
    "tenant_id": "1",
    "api_url": "http://127.0.0.1:9",
    "auth_url": "http://127.0.0.1:9",
}

StandardTests = get_tap_test_class(TapServiceTitan, config=COLLECTION_CONFIG, suite_config=SUITE)


@pytest.fixture(scope="module")
def standard_sandbox(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("tap-standard") / "sandbox.db", template=seeded_template) as running:
        yield running


class TestTapServiceTitanStandard(StandardTests):  # type: ignore[misc, valid-type]
    @pytest.fixture(scope="class")
    @classmethod
    def runner(cls, standard_sandbox: RunningSandbox) -> TapTestRunner:  # type: ignore[override]
        runner = TapTestRunner(
            TapServiceTitan, config=standard_sandbox.tap_config(start_date="2026-05-01"), suite_config=SUITE
        )
        runner.sync_all()
        return runner
