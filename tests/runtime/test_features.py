"""The features listed in bot/features.py declare what they add; these checks keep the declarations
and the static definitions (configuration sections, tables) together, and features apart."""

from __future__ import annotations

from collections import Counter

from bot.cli import CORE_COMMANDS, all_commands
from bot.config import AppConfig
from bot.features import FEATURES
from storage.schema import Base


def test_every_declared_config_section_is_part_of_the_configuration() -> None:
    declared = [section for f in FEATURES for section in f.config_sections]
    assert set(declared) <= set(AppConfig.model_fields)
    assert len(declared) == len(set(declared))


def test_every_declared_table_is_known_to_migrations() -> None:
    for feature in FEATURES:
        for model in feature.tables:
            assert Base.metadata.tables.get(model.__tablename__) is model.__table__, (feature.name, model)


def test_no_two_features_claim_the_same_flow_intent_or_command() -> None:
    flows = Counter(flow.name for f in FEATURES for flow in f.flows)
    intents = Counter(intent for f in FEATURES for intent in f.intents)
    commands = Counter(c.name for c in all_commands())
    for claimed in (flows, intents, commands):
        assert [name for name, times in claimed.items() if times > 1] == []


def test_every_intent_names_a_command_of_a_registered_flow() -> None:
    flows = {flow.name: flow for f in FEATURES for flow in f.flows}
    for feature in FEATURES:
        for intent, payload in feature.intents.items():
            name, _, action = payload.removeprefix("#").partition(":")
            assert action in flows[name].commands, (feature.name, intent, payload)


def test_core_and_feature_commands_are_all_offered() -> None:
    names = {c.name for c in all_commands()}
    assert {c.name for c in CORE_COMMANDS} | {c.name for f in FEATURES for c in f.commands} <= names
