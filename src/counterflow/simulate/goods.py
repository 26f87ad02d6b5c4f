"""What companies sell: goods descriptions, Harmonized System codes, units and market prices.

Commodities carry a unit price, written into the goods description the way a trade invoice
or a letter of credit states it ("Crude oil, 4,200 bbl @ USD 71.80/bbl"), so that a scenario
can compare the price paid with the market. Market prices are rough 2025 levels and fixed for
the whole simulation (a modelling assumption; real prices move). Each HS code is the
four-digit heading: 2709 crude petroleum, 2710 refined products, 1001 wheat, 1002 rye,
5201 raw cotton, 2523 cement, 2510 natural phosphates, 2807 sulphuric acid, 2809 phosphoric
acid, 9705 collectors' pieces of archaeological interest, 9706 antiques over 100 years old.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Good:
    """One kind of goods a sector sells."""

    description: str
    hs: str
    unit: str | None  # unit the price is quoted in; None for goods sold without unit price
    price_usd: float  # market price per unit (or typical invoice value without a unit)


#: goods by seller sector. Sectors not listed sell services (no goods, no HS code).
CATALOGUE: dict[str, tuple[Good, ...]] = {
    "oil & fuel trading": (
        Good("Crude oil", "2709", "bbl", 72.0),
        Good("Diesel fuel EN590", "2710", "t", 690.0),
        Good("Gasoline RON 95", "2710", "t", 760.0),
        Good("Fuel oil 380 cst", "2710", "t", 430.0),
        Good("Liquefied petroleum gas", "2711", "t", 560.0),
    ),
    "grain & milling": (
        Good("Milling wheat", "1001", "t", 230.0),
        Good("Durum wheat", "1001", "t", 300.0),
        Good("Rye", "1002", "t", 190.0),
        Good("Feed barley", "1003", "t", 200.0),
        Good("Wheat flour", "1101", "t", 330.0),
    ),
    "cotton & fibres": (
        Good("Raw cotton, not carded or combed", "5201", "t", 1650.0),
        Good("Cotton yarn", "5205", "t", 2800.0),
    ),
    "construction materials": (
        Good("Portland cement CEM I 42.5", "2523", "t", 75.0),
        Good("Cement clinker", "2523", "t", 45.0),
        Good("Reinforcing steel bars", "7214", "t", 560.0),
        Good("Gypsum", "2520", "t", 20.0),
    ),
    "chemicals & fertilisers": (
        Good("Natural calcium phosphates, ground", "2510", "t", 150.0),
        Good("Sulphuric acid 98%", "2807", "t", 110.0),
        Good("Phosphoric acid 54% P2O5", "2809", "t", 950.0),
        Good("Diammonium phosphate fertiliser", "3105", "t", 600.0),
        Good("Urea 46% N", "3102", "t", 350.0),
    ),
    "art & antiques": (
        Good("Oil painting on canvas", "9701", None, 18000.0),
        Good("Antique furniture, over 100 years old", "9706", None, 9000.0),
        Good("Antique carpet, over 100 years old", "9706", None, 7000.0),
        Good("Coin collection, documented provenance", "9705", None, 4000.0),
    ),
    "wholesale food": (
        Good("Rice", "1006", None, 0.0),
        Good("Vegetable oil", "1512", None, 0.0),
        Good("Sugar", "1701", None, 0.0),
        Good("Canned food", "2005", None, 0.0),
    ),
    "textiles": (
        Good("Woven cotton fabrics", "5208", None, 0.0),
        Good("Garments", "6203", None, 0.0),
    ),
    "manufacturing": (
        Good("Machine parts", "8483", None, 0.0),
        Good("Plastic packaging", "3923", None, 0.0),
        Good("Electrical equipment", "8537", None, 0.0),
    ),
    "automotive": (
        Good("Vehicle spare parts", "8708", None, 0.0),
        Good("Tyres", "4011", None, 0.0),
    ),
    "healthcare": (Good("Medicaments", "3004", None, 0.0),),
    "general trading": (
        Good("Household appliances", "8516", None, 0.0),
        Good("Mobile phones", "8517", None, 0.0),
        Good("Textiles, mixed lot", "6309", None, 0.0),
    ),
}


def describe(good: Good, quantity: float, unit_price: float) -> str:
    """The goods text of an invoice: description, quantity and unit price."""
    if good.unit is None:
        return good.description
    return f"{good.description}, {quantity:,.0f} {good.unit} @ USD {unit_price:,.2f}/{good.unit}"


def good(sector: str, description_start: str) -> Good:
    """The catalogue entry of a sector whose description starts with the given words."""
    for entry in CATALOGUE[sector]:
        if entry.description.startswith(description_start):
            return entry
    raise KeyError(f"{sector}: {description_start}")
