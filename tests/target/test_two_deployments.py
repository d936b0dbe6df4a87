"""Two deployments of the connector (each with its own ledger) started together against one FreshBooks
account: the account's lease lets exactly one of them write, so nothing is booked twice."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from target_harness import TargetEnv, authorize_target, target_config, usd, write_config
from target_records import catalog, records

SCRIPT = Path(sys.executable).parent / "target-freshbooks"
MARKER = re.compile(r"\[([^\[\]\s=]+:[^\[\]\s=]+)\]")


def many_records(count: int = 120) -> str:
    """Clients, then `count` invoices each paid by one payment: enough writes for two writers to overlap."""
    data = records()
    template, payment = data["invoices"][1], data["payments"][0]
    data["invoices"], data["payments"] = [], []
    for n in range(count):
        invoice_key, payment_key = f"test:invoice:{1000 + n}", f"test:payment:{5000 + n}"
        data["invoices"].append({**template, "source_key": invoice_key, "invoice_number": f"ST-{1000 + n}"})
        data["payments"].append({**payment, "source_key": payment_key, "applications": [
            {"source_key": f"{payment_key}:invoice:{1000 + n}", "invoice_source_key": invoice_key,
             "amount": usd("10.00")}]})
    return catalog(data).text()


def start(config_file: Path, input_file: Path) -> subprocess.Popen[str]:
    log = config_file.with_suffix(".log").open("w")
    return subprocess.Popen([str(SCRIPT), "--config", str(config_file), "--input", str(input_file)],
                            stdout=subprocess.DEVNULL, stderr=log, text=True)


def test_two_deployments_started_together_never_double_book(env: TargetEnv, tmp_path: Path) -> None:
    input_file = tmp_path / "records.singer"
    input_file.write_text(many_records())
    configs = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        config = target_config(env.sandbox, folder, lease_settle_seconds=1.0)
        authorize_target(config, folder)
        configs.append(write_config(config, folder / "config.json"))

    runs = [start(configs[0], input_file), start(configs[1], input_file)]  # within a few milliseconds
    results = [(run.wait(timeout=300), config.with_suffix(".log").read_text()) for run, config in zip(runs, configs,
                                                                                                   strict=True)]

    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results  # one deployment wrote everything
    if codes[1] != 0:  # the other stopped before writing, saying why
        [refused] = [err for code, err in results if code != 0]
        assert "Another deployment of the connector" in refused and "one writer at a time" in refused, refused
    numbers = Counter(i["invoice_number"] for i in env.fb.records("invoices"))
    assert len(numbers) == 120 and all(n == 1 for n in numbers.values()), numbers.most_common(3)
    emails = Counter(c["email"] for c in env.fb.records("clients"))
    assert all(n == 1 for n in emails.values()), emails
    markers = Counter(m for p in env.fb.records("payments") for m in MARKER.findall(p.get("note") or ""))
    assert markers and all(n == 1 for n in markers.values()), markers


def test_a_second_deployment_after_the_first_finished_adopts_and_writes_nothing(env: TargetEnv,
                                                                               tmp_path: Path) -> None:
    assert env.run(catalog()).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    config = target_config(env.sandbox, other)
    authorize_target(config, other)
    env.fb.reset_stats()
    second = TargetEnv(env.sandbox, config, env.fb, other).run(catalog())
    assert second.exit_code == 0
    assert env.fb.writes() == 0


def test_two_tenants_on_one_ledger_writing_to_one_account_take_turns(env: TargetEnv, tmp_path: Path) -> None:
    """Two companies (tenants) of one deployment, one shared ledger, both sending to the same FreshBooks account:
    the ledger's run lock is per tenant and account, so it lets both start; the account's lease lets one write."""
    input_file = tmp_path / "records.singer"
    input_file.write_text(many_records())
    configs = []
    for tenant in ("acme", "birch"):
        folder = tmp_path / tenant
        folder.mkdir()
        config = target_config(env.sandbox, tmp_path, tenant=tenant, lease_settle_seconds=1.0)
        authorize_target(config, folder)
        configs.append(write_config(config, folder / "config.json"))

    runs = [start(configs[0], input_file), start(configs[1], input_file)]
    results = [(run.wait(timeout=300), config.with_suffix(".log").read_text()) for run, config in zip(runs, configs,
                                                                                                   strict=True)]

    codes = sorted(code for code, _ in results)
    assert codes[0] == 0, results
    if codes[1] != 0:
        [refused] = [err for code, err in results if code != 0]
        assert "one writer at a time" in refused, refused
    numbers = Counter(i["invoice_number"] for i in env.fb.records("invoices"))
    assert len(numbers) == 120 and all(n == 1 for n in numbers.values()), numbers.most_common(3)
