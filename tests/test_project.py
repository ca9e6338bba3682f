"""Consistency of the files Home Assistant and HACS read (no Home Assistant run)."""

from __future__ import annotations

from collections.abc import Iterator
import importlib
import importlib.machinery
import importlib.util
import json
from pathlib import Path
import re
import tomllib
from typing import Any
import zipfile

import pytest

from custom_components.telemetry_hub.api.rustech.units import (
    ChannelDefinition,
    ChannelKind,
)
from custom_components.telemetry_hub.config_flow import _CHECK_ERRORS
from custom_components.telemetry_hub.vendors.dexma import entities as dexma_entities
from custom_components.telemetry_hub.vendors.rustech import entities
from custom_components.telemetry_hub.vendors.rustech.support import (
    ISSUE_SESSION_EVICTED,
)
from custom_components.telemetry_hub.vendors.tecnogaz import (
    entities as tecnogaz_entities,
)
from custom_components.telemetry_hub.vendors.tecnogaz.const import (
    ISSUE_CONTRACT_MISMATCH,
)

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "custom_components" / "telemetry_hub"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def leaves(tree: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (dotted key, text) of a translation tree."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, tree


STRINGS = load(COMPONENT / "strings.json")
# Complete translations besides English (strings.json is en.json).
TRANSLATIONS = ["ru", "it", "es"]


def test_english_translation_is_strings_json() -> None:
    """Custom integrations are translated from translations/en.json only."""
    assert load(COMPONENT / "translations" / "en.json") == STRINGS


@pytest.mark.parametrize("language", ["en", *TRANSLATIONS])
def test_strings_follow_the_translation_rules(language: str) -> None:
    """What hassfest rejects: URLs, HTML, padding, quoted or odd placeholders."""
    tree = load(COMPONENT / "translations" / f"{language}.json")
    for key, text in leaves(tree):
        assert text == text.strip(), key
        assert "://" not in text, f"{key}: use a placeholder for URLs"
        assert "www." not in text, key
        assert not re.search(r"<[a-z/][^>]*>", text), f"{key}: no HTML"
        assert not re.search(r"'\{\w+\}'", text), f"{key}: quoted placeholder"
        assert all(name.isidentifier() for name in PLACEHOLDER.findall(text)), key


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translation_is_complete(language: str) -> None:
    """Every string of strings.json, with its placeholders, actually translated."""
    english = dict(leaves(STRINGS))
    translated = dict(leaves(load(COMPONENT / "translations" / f"{language}.json")))

    assert list(translated) == list(english)  # the same tree, in the same order
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(translated[key])) == set(
            PLACEHOLDER.findall(text)
        ), key
        if not PLACEHOLDER.fullmatch(text):
            assert translated[key] != text, f"{key} is not translated"


def entity_descriptions() -> Iterator[tuple[str, Any]]:
    """Every entity description the RusTech vendor can produce."""
    yield "sensor", entities.LAST_SESSION
    yield "sensor", entities.LATEST_READING
    yield "binary_sensor", entities.CONNECTIVITY
    yield "event", entities.ABNORMAL_SITUATION
    yield from (("sensor", d) for d in tecnogaz_entities.SENSORS)
    yield from (("binary_sensor", d) for d in tecnogaz_entities.BINARY_SENSORS)
    yield from (("event", d) for d in tecnogaz_entities.EVENTS)
    yield "sensor", dexma_entities.LATEST_READING
    yield from (("sensor", d) for d in dexma_entities.ACCOUNT_SENSORS)
    for key in dexma_entities.KNOWN_KEYS:
        description = dexma_entities.parameter_description(key)
        assert description is not None
        yield "sensor", description
    for kind in ChannelKind:
        for archive in ("hourly", "daily"):
            code = {"pressure": "P", "temperature": "T"}.get(kind.value, "Vx")
            unit = {"pressure": "кПа", "temperature": "°С"}.get(kind.value, "м3")
            channel = ChannelDefinition(1, archive, code, _name(kind), unit)
            assert channel.kind is kind
            description = entities.channel_description(channel, archive)
            assert description is not None
            yield "sensor", description


def _name(kind: ChannelKind) -> str:
    """A channel name the classifier reads as `kind`."""
    if kind is ChannelKind.OTHER:
        return "что-то"
    standard = "приведенный" if "standard" in kind.value else "рабочий"
    accumulation = {"total": "общий", "accumulated": "накопленный"}.get(
        kind.value.rsplit("_", 1)[-1], ""
    )
    return f"{accumulation} {standard} объем"


def test_every_entity_is_translated_and_has_an_icon_or_device_class() -> None:
    icons = load(COMPONENT / "icons.json")["entity"]
    for platform, description in entity_descriptions():
        key = description.translation_key
        assert key in STRINGS["entity"][platform], (platform, key)
        assert description.device_class is not None or key in icons[platform], key
        assert key in icons.get(platform, {}) or description.device_class is not None


def test_enum_states_and_event_types_are_translated() -> None:
    for platform, description in entity_descriptions():
        texts = STRINGS["entity"][platform][description.translation_key]
        if getattr(description, "options", None):
            assert set(description.options) == set(texts["state"]), description.key
        if platform == "event":
            states = texts["state_attributes"]["event_type"]["state"]
            assert set(description.event_types) == set(states), description.key


def test_no_icon_repeats_its_device_class_default() -> None:
    """An icon that only repeats the device class's own is noise."""
    icons = load(COMPONENT / "icons.json")["entity"]
    for platform, description in entity_descriptions():
        ours = icons.get(platform, {}).get(description.translation_key)
        if ours is None or description.device_class is None:
            continue
        component = importlib.import_module(f"homeassistant.components.{platform}")
        defaults = load(Path(component.__file__).with_name("icons.json"))
        default = defaults["entity_component"].get(description.device_class, {})
        assert ours != default, (platform, description.translation_key)


def test_icons_belong_to_translated_entities() -> None:
    icons = load(COMPONENT / "icons.json")["entity"]
    for platform, keys in icons.items():
        assert set(keys) <= set(STRINGS["entity"][platform]), platform


def test_exceptions_and_issues_used_in_code_are_translated() -> None:
    """Every translation key the code raises or files exists in strings.json."""
    entity_keys = {key for keys in STRINGS["entity"].values() for key in keys}
    for path in COMPONENT.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for key in re.findall(r'translation_key="(\w+)"', source):
            assert key in STRINGS["exceptions"] | STRINGS["issues"] | dict.fromkeys(
                entity_keys
            ), (path.name, key)
        for key in re.findall(r'update_failed\(\s*"(\w+)"', source):
            assert key in STRINGS["exceptions"], (path.name, key)
    for issue in (ISSUE_SESSION_EVICTED, ISSUE_CONTRACT_MISMATCH):
        assert issue in STRINGS["issues"]


def test_config_flow_errors_are_translated() -> None:
    errors = {error for _kind, _field, error in _CHECK_ERRORS} | {"unknown"}
    assert errors <= set(STRINGS["config"]["error"])
    assert {"already_configured", "wrong_account"} <= set(STRINGS["config"]["abort"])


def test_manifest_hacs_and_pyproject_agree() -> None:
    manifest = load(COMPONENT / "manifest.json")
    hacs = load(ROOT / "hacs.json")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    minimum = re.search(
        r"^homeassistant==(\S+)$",
        (ROOT / "requirements" / "min.txt").read_text(),
        re.MULTILINE,
    )

    assert manifest["domain"] == "telemetry_hub"
    assert manifest["name"] == hacs["name"] == "Telemetry Hub"
    assert manifest["version"] == pyproject["project"]["version"]
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "hub"
    assert manifest["config_flow"] is True
    assert manifest["requirements"] == []
    assert minimum is not None
    assert hacs["homeassistant"] == minimum.group(1)
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


@pytest.mark.parametrize("name", ["icon.png", "logo.png", "icon@2x.png", "logo@2x.png"])
def test_brand_images(name: str) -> None:
    data = (COMPONENT / "brand" / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    if name.startswith("icon"):
        assert width == height == (512 if "@2x" in name else 256)
    else:
        assert height == (512 if "@2x" in name else 256)
        assert width > height


QUALITY_RULES = [
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "docs-triggers",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    "async-dependency",
    "inject-websession",
    "strict-typing",
]


def test_quality_scale_names_every_rule_once() -> None:
    text = (COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8")
    rules = re.findall(r"^  ([a-z-]+):", text, re.MULTILINE)
    assert sorted(rules) == sorted(QUALITY_RULES)
    statuses = re.findall(r"^  [a-z-]+: (\w+)$|status: (\w+)", text, re.MULTILINE)
    assert {a or b for a, b in statuses} <= {"done", "exempt", "todo"}


def _package() -> Any:
    """scripts/package, imported (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader(
        "package", str(ROOT / "scripts" / "package")
    )
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("package", loader)
    )
    loader.exec_module(module)
    return module


def test_manifest_changelog_and_pyproject_versions_agree() -> None:
    package = _package()
    found = package.versions()
    assert len(set(found.values())) == 1, found
    version = package.check(f"v{found['manifest.json']}")
    assert package.release_notes(version).strip()
    with pytest.raises(SystemExit, match="versions disagree"):
        package.check("v0.0.1")


def test_release_zip_holds_the_integration_at_its_root(tmp_path: Path) -> None:
    package = _package()
    (COMPONENT / "__pycache__").mkdir(exist_ok=True)
    target = package.build(tmp_path)
    assert target.name == load(ROOT / "hacs.json")["filename"]
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
    assert {"manifest.json", "__init__.py", "strings.json", "brand/icon.png"} <= names
    assert "translations/en.json" in names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert load(ROOT / "hacs.json")["zip_release"] is True
