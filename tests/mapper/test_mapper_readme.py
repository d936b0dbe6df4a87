"""transform/README.md documents every setting with its default, as `--about` states them."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

TRANSFORM = Path(__file__).resolve().parents[2] / "transform"
EXECUTABLE = str(Path(sys.executable).parent / "map-servicetitan-freshbooks")


def about() -> dict:
    result = subprocess.run([EXECUTABLE, "--about", "--format=json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_readme_settings_table_is_the_one_about_prints() -> None:
    spec = importlib.util.spec_from_file_location("update_readme", TRANSFORM / "scripts" / "update_readme.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (TRANSFORM / "README.md").read_text()
    assert module.updated(readme, module.settings_table()) == readme, "run transform/scripts/update_readme.py"


def test_every_setting_but_the_required_time_zone_has_a_default_and_a_description() -> None:
    settings = about()["settings"]
    assert settings["required"] == ["business_timezone"]
    for name, spec in settings["properties"].items():
        assert spec.get("description"), name
        assert name == "business_timezone" or spec.get("default") is not None, name
