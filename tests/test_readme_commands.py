"""The commands the README gives run as written on a fresh clone: every `make` target exists, every plugin,
job and schedule a `meltano` command names is in `meltano.yml`, every state id has the form Meltano gives
this pipeline, and every `target-freshbooks` plugin command parses with the options the README gives it.

(Running them all is what `make demo` and the end-to-end tests do; this checks the text against the project.)
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml
from target_freshbooks.commands import register

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PROJECT = yaml.safe_load((ROOT / "meltano.yml").read_text())
STATE_ID = "{env}:tap-servicetitan-to-target-freshbooks"


def commands(text: str) -> list[str]:
    """Command lines of `sh` blocks and inline code spans that start with make, meltano or target-freshbooks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        found += [line.split("  #")[0].strip() for line in block.splitlines()]
    found += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
    found = [re.sub(r"^(?:[A-Z_]+=\S+ )+", "", line) for line in found]  # VAR=value prefixes
    return [line for line in found if re.match(r"(make|meltano|target-freshbooks) ", line) and "..." not in line]


def plugin_names() -> set[str]:
    plugins = PROJECT["plugins"]
    names = {p["name"] for kind in plugins.values() for p in kind}
    names |= {m["name"] for p in plugins.get("mappers", []) for m in p.get("mappings", [])}
    return names | {job["name"] for job in PROJECT.get("jobs", [])}


def loader_commands() -> dict[str, str]:
    target = next(p for p in PROJECT["plugins"]["loaders"] if p["name"] == "target-freshbooks")
    return {name: spec["args"] for name, spec in target.get("commands", {}).items()}


def problem(line: str) -> str | None:
    words = shlex.split(line)
    if words[0] == "make":
        targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))
        return None if words[1] in targets else f"no make target {words[1]!r}"
    if words[0] == "target-freshbooks":
        return parse(words[1:])
    if words[1] == "run":
        unknown = [w for w in words[2:] if not w.startswith("--") and w not in plugin_names()]
        return f"not in meltano.yml: {unknown}" if unknown else None
    if words[1:3] == ["schedule", "run"]:
        schedules = {s["name"] for s in PROJECT.get("schedules", [])}
        return None if words[3] in schedules else f"no schedule {words[3]!r}"
    if words[1] == "state" and len(words) > 3:
        ids = {STATE_ID.format(env=env["name"]) for env in PROJECT["environments"]}
        return None if words[3] in ids else f"state id {words[3]!r} is none of {sorted(ids)}"
    if words[1] == "invoke" and words[2].startswith("target-freshbooks:"):
        name = words[2].partition(":")[2]
        if name not in loader_commands():
            return f"no command {name!r} on target-freshbooks in meltano.yml"
        return parse([*shlex.split(loader_commands()[name]), *words[3:]])
    return None


def parse(args: list[str]) -> str | None:
    """Whether `target-freshbooks ARGS` parses (options and arguments), without running anything."""
    group = register()
    command = group.commands.get(args[0]) if args else None
    if command is None:
        return f"no target-freshbooks command {args[:1]}"
    try:
        command.make_context(args[0], args[1:], resilient_parsing=False)
    except click.UsageError as exc:
        return f"does not parse: {exc}"
    return None


README_COMMANDS = sorted(set(commands(README.read_text())))


def test_the_readme_gives_the_commands_it_should() -> None:
    assert "make demo" in README_COMMANDS and "make test" in README_COMMANDS
    assert "meltano invoke target-freshbooks:audit --runs" in README_COMMANDS
    assert "meltano schedule run daily-servicetitan-to-freshbooks" in README_COMMANDS


@pytest.mark.parametrize("line", README_COMMANDS)
def test_each_readme_command_names_what_the_project_has(line: str) -> None:
    assert problem(line) is None


def test_a_wrong_command_is_caught() -> None:
    assert problem("make deploy") == "no make target 'deploy'"
    assert problem("meltano schedule run hourly-sync") == "no schedule 'hourly-sync'"
    assert problem("meltano state clear dev:tap-servicetitan-to-target-freshbooks").startswith("state id")
    assert problem("meltano invoke target-freshbooks:audit --since yesterday").startswith("does not parse")
