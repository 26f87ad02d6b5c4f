"""Transactions: the canonical schema, importers for the formats banks and researchers use,
and the workspace store."""

from counterflow.transactions.schema import ACCOUNTS, CHANNELS, PARTIES, PARTY_LABELS, TRANSACTIONS

__all__ = ["ACCOUNTS", "CHANNELS", "PARTIES", "PARTY_LABELS", "TRANSACTIONS"]
