"""Parameters of the simulated world: normal life's rates and one dataclass per typology.

Every parameter has a default and says what it controls. The number of planted instances of
a typology scales with the world: ``instances_per_100k`` instances per 100,000 parties, at
least one. Ranges are ``(low, high)`` pairs drawn uniformly per instance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

Range = tuple[float, float]


@dataclass(frozen=True)
class NormalConfig:
    """Rates of normal life. With the defaults a world makes about 0.138 transactions per party
    per day: ``parties × days × 0.138`` (200,000 parties over 365 days ≈ 10.1 million)."""

    employed_share: float = 0.72
    """Share of working-age people (under 67) paid a salary at each month's end."""
    card_per_month: float = 1.0
    """Card purchases per person per month, at favourite shops in their city."""
    atm_per_month: float = 0.45
    """Cash withdrawals per person per month (twice as many in Iraq, Syria and Lebanon)."""
    second_bill_share: float = 0.35
    """Share of people with a second direct debit (phone, insurance) beside rent or power."""
    remittance_per_month: float = 0.9
    """Transfers per month from each diaspora member to family in their country of origin."""
    donor_share: float = 0.3
    """Share of people who give to a charity now and then."""
    donations_per_month: float = 0.3
    """Gifts per donor per month outside the peaks."""
    ramadan_peak: float = 3.5
    """How much more Muslim donors give (and charities spend) during Ramadan."""
    trade_per_month: float = 5.0
    """Supplier payments per company per month."""
    cash_deposits_per_month: float = 3.0
    """Cash deposits per month by each shop, restaurant and hotel."""
    npo_payouts_per_month: float = 2.0
    """Payments per charity per month to its field partners (Gaziantep, Beirut, Amman, Erbil…)."""
    loan_share: float = 0.06
    """Share of people with a consumer loan (drawn some time in the year before or during the
    span, repaid monthly)."""
    trips_per_year: float = 0.2
    """Trips abroad per person per year, each with a flight bought online and card use there."""
    agent_relays_per_month: float = 30.0
    """Payments that each payment-services company receives and passes on per month."""
    contractor_payments_per_month: float = 1.0
    """Payments per company per month to self-employed people (commissions, transport,
    consulting): the benign look-alike of payments to middlemen."""
    branch_cash_per_month: float = 0.3
    """Large cash withdrawals at a bank branch per company per month (people: a tenth)."""
    cheque_share: float = 0.12
    """Share of domestic supplier payments made by cheque where cheques are common (France,
    the US, Canada, Turkey, Lebanon, Jordan, Iraq, the Emirates)."""
    remittance_usd_share: float = 0.25
    """Share of remittances sent in US dollars rather than the sender's currency."""
    no_purpose_share: float = 0.15
    """Share of supplier, trade and charity transfers sent without a purpose code."""


def _fmt(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class OilParams:
    """Oil and fuel sold through middlemen and new front companies in border regions
    (FATF 2015; UN S/2014/815; UNSC resolution 2199)."""

    instances_per_100k: float = 5.0
    """Front companies planted per 100,000 parties."""
    buyers: Range = (2, 4)
    """Established fuel buyers paying each front company."""
    deliveries: Range = (6, 16)
    """Paid deliveries per front company."""
    duration_days: Range = (30, 120)
    """How long a front company trades."""
    price_fraction: Range = (0.30, 0.55)
    """Price paid as a share of the market price (ISIL oil sold at a deep discount)."""
    account_age_days: Range = (3, 45)
    """Days between the front company's accounts opening and its first sale."""
    forward_share: Range = (0.80, 0.95)
    """Share of receipts passed on to the border middleman."""
    lookalikes_per_instance: float = 1.0
    """Benign new fuel traders at border towns, selling at market prices."""


@dataclass(frozen=True)
class CropsParams:
    """Wheat, rye, cotton and cement from occupied areas sold through traders (FATF 2015)."""

    instances_per_100k: float = 5.0
    """Traders planted per 100,000 parties."""
    buyers: Range = (2, 4)
    """Mills, wholesalers or builders buying from each trader."""
    deliveries: Range = (5, 12)
    """Paid deliveries per trader, in harvest season for grain and cotton."""
    duration_days: Range = (30, 90)
    """How long a trader trades."""
    price_fraction: Range = (0.55, 0.85)
    """Price paid as a share of the market price."""
    account_age_days: Range = (5, 60)
    """Days between the trader's accounts opening and its first sale."""
    forward_share: Range = (0.75, 0.9)
    """Share of receipts sent on to suppliers inside the occupied area."""
    lookalikes_per_instance: float = 1.0
    """Benign traders selling Turkish or Iraqi harvests at market prices."""


@dataclass(frozen=True)
class PhosphatesParams:
    """Phosphate rock, sulphuric and phosphoric acid from the Akashat / Al-Qa'im complex and
    Syrian mines, sold through chemical traders (FATF 2015)."""

    instances_per_100k: float = 3.0
    """Chemical traders planted per 100,000 parties."""
    buyers: Range = (1, 3)
    """Fertiliser or chemical companies buying from each trader."""
    deliveries: Range = (4, 10)
    """Paid deliveries per trader."""
    duration_days: Range = (30, 90)
    """How long a trader trades."""
    price_fraction: Range = (0.45, 0.75)
    """Price paid as a share of the market price."""
    account_age_days: Range = (5, 60)
    """Days between the trader's accounts opening and its first sale."""
    forward_share: Range = (0.75, 0.9)
    """Share of receipts sent on towards the producing area."""
    lookalikes_per_instance: float = 1.0
    """Benign phosphate and acid trade (Jordanian producers) at market prices."""


@dataclass(frozen=True)
class AntiquitiesParams:
    """Looted antiquities sold through dealers and auction houses in transit hubs
    (FATF 2015; UNSC resolution 2199, paragraph 17; UN Monitoring Team reports)."""

    instances_per_100k: float = 3.0
    """Dealer chains planted per 100,000 parties."""
    sales: Range = (2, 6)
    """Pieces sold per chain."""
    price_usd: Range = (15_000, 400_000)
    """Hammer price of one piece."""
    commission: Range = (0.12, 0.25)
    """Auction house or dealer commission kept at each step."""
    account_age_days: Range = (10, 90)
    """Days between the hub dealer's accounts opening and the first consignment."""
    lookalikes_per_instance: float = 1.0
    """Benign art sales with documented provenance between established houses."""


@dataclass(frozen=True)
class DonationsParams:
    """Many small donors in several countries giving to a collector or an unregistered
    charity, which forwards the money to a conflict-border corridor (FATF 2015, FATF 2014
    "Risk of terrorist abuse in non-profit organisations")."""

    instances_per_100k: float = 5.0
    """Collection campaigns planted per 100,000 parties."""
    donors: Range = (15, 40)
    """Distinct donors per campaign."""
    donor_countries: Range = (3, 6)
    """Countries the donors live in (at least three)."""
    donation_usd: Range = (10, 300)
    """One gift."""
    campaign_days: Range = (20, 60)
    """How long the collection runs (placed over Ramadan when the span has one)."""
    forward_share: Range = (0.80, 0.97)
    """Share of the collection forwarded to the corridor."""
    forwards: Range = (2, 5)
    """Forwarding transfers per campaign."""
    lookalikes_per_instance: float = 1.0
    """Benign charities with donors abroad that pay field partners at the Syrian border."""


@dataclass(frozen=True)
class RansomParams:
    """Kidnapping for ransom: a one-off large payment from family or employer abroad to a new
    foreign beneficiary (FATF 2015; UN Monitoring Team S/2014/815 estimated USD 35-45 million
    of ISIL ransom income in 2014; UNSC resolution 2133)."""

    instances_per_100k: float = 2.0
    """Ransom payments planted per 100,000 parties."""
    amount_usd: Range = (250_000, 3_000_000)
    """The payment; never less than ``history_multiple`` times the payer's usual scale."""
    history_multiple: float = 40.0
    """Minimum ransom as a multiple of the payer's monthly scale of money."""
    account_age_days: Range = (2, 20)
    """Days between the beneficiary's accounts opening and the payment."""
    lookalikes_per_instance: float = 1.0
    """Benign one-off large payments abroad (a flat bought in Antalya or Istanbul)."""


@dataclass(frozen=True)
class ListedParams:
    """Economic relations with listed parties: counterparties named with spelling and
    transliteration variants of names on a sanctions list (UNSC resolutions 2161, 2199, 2253)."""

    instances_per_100k: float = 6.0
    """Counterparties with a listed name's variant per 100,000 parties."""
    customers: Range = (1, 3)
    """Customers who deal with each counterparty."""
    payments: Range = (2, 6)
    """Payments per customer."""
    amount_usd: Range = (2_000, 60_000)
    """One payment."""
    lookalikes_per_instance: float = 1.0
    """Benign namesakes: parties sharing part of a listed name (a common family name)."""


@dataclass(frozen=True)
class HubParams:
    """A laundering hub: pass-through accounts with high flow and low retention (FATF 2015 on
    exchange houses and money service businesses; the graph literature's hubs)."""

    instances_per_100k: float = 3.0
    """Hubs planted per 100,000 parties."""
    feeders: Range = (8, 25)
    """Accounts paying into each hub."""
    recipients: Range = (4, 12)
    """Accounts the hub pays out to."""
    amount_usd: Range = (5_000, 80_000)
    """One inbound payment."""
    retention: Range = (0.003, 0.02)
    """Share of inflow the hub keeps."""
    duration_days: Range = (20, 90)
    """How long the hub runs. (No planted look-alike: normal life's payment-services
    companies relay payments all year with a small fee.)"""


@dataclass(frozen=True)
class TravelParams:
    """Travel funding of foreign terrorist fighters: consumer loans drawn, cash taken out, then
    card use on the way to and near the Syrian border (FATF 2015, FATF 2015 "Emerging terrorist
    financing risks"; UNSC resolution 2178)."""

    instances_per_100k: float = 4.0
    """Travellers planted per 100,000 parties."""
    loans: Range = (1, 3)
    """Consumer loans drawn, each from a bank, within a few weeks."""
    loan_usd: Range = (3_000, 15_000)
    """One loan."""
    cash_share: Range = (0.6, 0.95)
    """Share of the loans withdrawn as cash before leaving."""
    travel_after_days: Range = (7, 30)
    """Days from the cash withdrawals (within five days of the last loan) to departure."""
    border_card_uses: Range = (3, 8)
    """Card payments in border towns before the account goes silent."""
    lookalikes_per_instance: float = 1.0
    """Benign borrowers who visit family in Gaziantep or Antakya and come back."""


@dataclass(frozen=True)
class LayeringParams:
    """The laundering shapes of IBM's AMLworld (Altman et al., NeurIPS 2023): fan-out,
    fan-in, cycle, scatter-gather, gather-scatter, bipartite and stack."""

    instances_per_100k: float = 2.0
    """Instances of *each* shape per 100,000 parties."""
    width: Range = (4, 12)
    """Fan degree, cycle length, or width of a layer."""
    amount_usd: Range = (20_000, 400_000)
    """Amount entering the pattern."""
    fee: Range = (0.005, 0.03)
    """Share kept at each hop."""
    hop_days: Range = (0, 4)
    """Days between hops."""


@dataclass(frozen=True)
class TypologyConfig:
    """One parameter set per planted channel."""

    oil: OilParams = field(default_factory=OilParams)
    crops: CropsParams = field(default_factory=CropsParams)
    phosphates: PhosphatesParams = field(default_factory=PhosphatesParams)
    antiquities: AntiquitiesParams = field(default_factory=AntiquitiesParams)
    donations: DonationsParams = field(default_factory=DonationsParams)
    ransom: RansomParams = field(default_factory=RansomParams)
    listed: ListedParams = field(default_factory=ListedParams)
    hub: HubParams = field(default_factory=HubParams)
    travel: TravelParams = field(default_factory=TravelParams)
    layering: LayeringParams = field(default_factory=LayeringParams)

    def as_json(self) -> dict[str, Any]:
        return {
            name: {k: _fmt(v) for k, v in values.items()} for name, values in asdict(self).items()
        }

    def scaled(self, factor: float) -> TypologyConfig:
        """Every channel planted ``factor`` times as densely: evaluation worlds need many
        instances of each typology to measure precision and recall."""
        return TypologyConfig(
            **{
                name: replace(params, instances_per_100k=params.instances_per_100k * factor)
                for name, params in vars(self).items()
            }
        )


def instances(per_100k: float, parties: int) -> int:
    """How many instances a world of ``parties`` gets: proportional, at least one."""
    return max(1, round(per_100k * parties / 100_000))
