"""Three companies for the many-company tests: the blocks of meltano.yml's `environments` (name, ServiceTitan
tenant, FreshBooks account), each served by a sandbox of its own seed, tenant id and account id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sandbox.testing import RunningSandbox, running_sandbox, seed_database

from sandbox import credentials


@dataclass(frozen=True)
class Company:
    name: str
    tenant: str
    account: str
    seed: int


COMPANIES = (Company("acme", "1000001", "ACME01", 11), Company("birch", "1000002", "BRCH02", 12),
             Company("cedar", "1000003", "CEDR03", 13))


@contextmanager
def tenant_sandboxes(workdir: Path, invoices: int) -> Iterator[dict[str, RunningSandbox]]:
    with ExitStack() as stack:
        running = {}
        for company in COMPANIES:
            seed_database(workdir / f"{company.name}-seed.db", seed=company.seed, invoices=invoices)
            running[company.name] = stack.enter_context(running_sandbox(
                workdir / f"{company.name}.db", template=workdir / f"{company.name}-seed.db",
                st={"tenant_id": company.tenant}, fb={"account_id": company.account}))
        yield running


def company_env(company: Company, sandbox: RunningSandbox, sys_dir: Path, shared: dict[str, str]) -> dict[str, str]:
    """What an operator sets for one company's runs: the apps' secrets, the shared ledger and state database
    (`shared`), the company's own secrets under its own names (meltano.yml maps them); here also the sandbox's
    URLs in place of the vendors' hosts."""
    upper = company.name.upper()
    return {**os.environ, **shared,
            "MELTANO_SYS_DIR_ROOT": str(sys_dir), "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": company.name,
            "TAP_SERVICETITAN_API_URL": sandbox.st_url, "TAP_SERVICETITAN_AUTH_URL": sandbox.st_url,
            "TARGET_FRESHBOOKS_API_URL": sandbox.fb_url, "TARGET_FRESHBOOKS_AUTH_URL": sandbox.fb_url,
            "TARGET_FRESHBOOKS_SERVICETITAN_API_URL": sandbox.st_url,
            "TARGET_FRESHBOOKS_SERVICETITAN_AUTH_URL": sandbox.st_url,
            "TARGET_FRESHBOOKS_LEASE_SETTLE_SECONDS": "0.2",
            "TAP_SERVICETITAN_APP_KEY": credentials.ST_APP_KEY,
            "TARGET_FRESHBOOKS_CLIENT_ID": credentials.FB_CLIENT_ID,
            "TARGET_FRESHBOOKS_CLIENT_SECRET": credentials.FB_CLIENT_SECRET,
            "TARGET_FRESHBOOKS_REDIRECT_URI": credentials.FB_REDIRECT_URI,
            f"{upper}_ST_CLIENT_ID": credentials.ST_CLIENT_ID,
            f"{upper}_ST_CLIENT_SECRET": credentials.ST_CLIENT_SECRET,
            f"{upper}_FRESHBOOKS_TOKEN_KEY": Fernet.generate_key().decode()}
