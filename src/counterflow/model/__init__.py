"""Entities, schemata, properties and dates, named as in FollowTheMoney."""

from counterflow.model.dates import APPROXIMATE, ParsedDate, parse_date
from counterflow.model.entity import Entity, Sanction, Value, clean_text, make_entity_id
from counterflow.model.schema import NAME_PROPERTIES, PROPERTIES, SCHEMATA, PropType, get_schema

__all__ = [
    "APPROXIMATE",
    "NAME_PROPERTIES",
    "PROPERTIES",
    "SCHEMATA",
    "Entity",
    "ParsedDate",
    "PropType",
    "Sanction",
    "Value",
    "clean_text",
    "get_schema",
    "make_entity_id",
    "parse_date",
]
