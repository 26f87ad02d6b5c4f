"""The built-in list parsers, one module per source format.

:data:`BUILT_IN` is the order in which formats are tried when a file's format is sniffed: the
formats with the most specific signatures first (an XML root element, a fixed header line), and
FollowTheMoney JSON lines, which any JSON-lines file resembles, last.
"""

from counterflow.lists.base import ListParser
from counterflow.lists.formats.eu_csv import EUCSVParser
from counterflow.lists.formats.eu_xml import EUXMLParser
from counterflow.lists.formats.ftm import FtMParser
from counterflow.lists.formats.ofac_csv import OFACCsvParser
from counterflow.lists.formats.ofac_xml import OFACXmlParser
from counterflow.lists.formats.uk_fcdo_xml import UKSanctionsListParser
from counterflow.lists.formats.uk_ofsi_csv import OFSIConsolidatedParser
from counterflow.lists.formats.un_xml import UNConsolidatedParser

BUILT_IN: tuple[ListParser, ...] = (
    UNConsolidatedParser(),
    OFACXmlParser(),
    OFACCsvParser(),
    UKSanctionsListParser(),
    OFSIConsolidatedParser(),
    EUXMLParser(),
    EUCSVParser(),
    FtMParser(),
)

__all__ = ["BUILT_IN"]
