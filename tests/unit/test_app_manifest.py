"""The Slack app manifest validates against Slack's own manifest schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from tests.data import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = SCHEMAS / "slack-app-manifest-1.0.0.json"


def test_manifest_validates_against_slack_schema():
    manifest = yaml.safe_load((ROOT / "app_manifest.yaml").read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest, schema)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == ["/desk"]


def test_schema_rejects_a_broken_manifest():
    manifest = yaml.safe_load((ROOT / "app_manifest.yaml").read_text())
    manifest["features"]["slash_commands"][0]["command"] = "desk without slash" * 3
    schema = json.loads(SCHEMA.read_text())
    try:
        jsonschema.validate(manifest, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an invalid slash command passed the schema")
