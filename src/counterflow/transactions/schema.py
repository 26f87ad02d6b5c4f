"""The canonical transaction schema: parties, accounts, transactions and labels.

Every importer and the simulator produce these columns, and every monitoring scenario reads
them. They live in the workspace's DuckDB file (tables named as below, each row tagged with
the ``dataset`` it was imported as) and travel as Parquet with exactly these Arrow types.

Choices, and why:
- identifiers are strings: banks' account numbers, IBANs and AMLSim's integers all fit;
- ``amount`` and ``base_amount`` are float64: scenarios aggregate and compare them, and a cent
  of rounding is irrelevant to detection;
- ``timestamp`` is UTC with microseconds; sources that only give a date (or a simulation step)
  get midnight UTC;
- countries are ISO 3166 alpha-2 codes, currencies ISO 4217 codes, both upper case;
- ``channel`` is one of :data:`CHANNELS`; the source's own type is kept in ``source_type``;
- the payer and beneficiary name, country and bank are kept *as given on the message*, beside
  the party ids, because screening and border-geography scenarios read what the message said.
"""

from __future__ import annotations

import pyarrow as pa

#: how money moved; every source's own types map onto these
CHANNELS = ("wire", "cash", "card", "remittance", "crypto", "cheque")
#: what a party is
PARTY_KINDS = ("person", "company", "npo", "bank")

PARTIES = pa.schema(
    [
        pa.field("party_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("kind", pa.string()),  # one of PARTY_KINDS
        pa.field("country", pa.string()),  # ISO 3166 alpha-2
        pa.field("city", pa.string()),
        pa.field("born", pa.date32()),  # date of birth (person) or registration (others)
        pa.field("sector", pa.string()),  # business sector, free text or a code
    ]
)

ACCOUNTS = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("party_id", pa.string()),  # the holder
        pa.field("bank", pa.string()),  # BIC or bank name/id
        pa.field("country", pa.string()),
        pa.field("opened", pa.date32()),
    ]
)

TRANSACTIONS = pa.schema(
    [
        pa.field("tx_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("base_amount", pa.float64()),  # in the workspace's base currency
        pa.field("payer_account", pa.string()),
        pa.field("payer_party", pa.string()),
        pa.field("payer_name", pa.string()),
        pa.field("payer_country", pa.string()),
        pa.field("payer_bank", pa.string()),
        pa.field("beneficiary_account", pa.string()),
        pa.field("beneficiary_party", pa.string()),
        pa.field("beneficiary_name", pa.string()),
        pa.field("beneficiary_country", pa.string()),
        pa.field("beneficiary_bank", pa.string()),
        pa.field("channel", pa.string(), nullable=False),  # one of CHANNELS
        pa.field("source_type", pa.string()),  # the source's own type: WIRE, ACH, CASH-OUT …
        pa.field("purpose_code", pa.string()),  # ISO 20022 ExternalPurpose1Code or the bank's
        pa.field("remittance_text", pa.string()),
        pa.field("goods_description", pa.string()),
        pa.field("hs_code", pa.string()),  # Harmonized System code, for trade payments
        pa.field("location", pa.string()),  # city or place where it happened (cash, card)
        pa.field("is_suspicious", pa.bool_()),  # label, where the source has one
        pa.field("typology", pa.string()),  # label: which typology planted it
    ]
)

#: ground truth per party: which typology it takes part in, in what role, and in which
#: instance of it (one planted pattern: "layering-fan-in/3", an AMLworld laundering attempt,
#: an AMLSim alert), so that recall can count patterns found and not only parties
PARTY_LABELS = pa.schema(
    [
        pa.field("party_id", pa.string(), nullable=False),
        pa.field("is_suspicious", pa.bool_(), nullable=False),
        pa.field("typology", pa.string()),
        pa.field("role", pa.string()),  # e.g. front company, collector, mule, hub, donor
        pa.field("instance", pa.string()),  # null where the source names no instance
    ]
)

TABLES: dict[str, pa.Schema] = {
    "parties": PARTIES,
    "accounts": ACCOUNTS,
    "transactions": TRANSACTIONS,
    "party_labels": PARTY_LABELS,
}
#: columns added after Parquet files of the table were first written: a file without one still
#: loads, the column read as null (party labels written before instances existed)
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {"party_labels": frozenset({"instance"})}
#: each table's key within a dataset
KEYS = {
    "parties": "party_id",
    "accounts": "account_id",
    "transactions": "tx_id",
    "party_labels": "party_id",
}
