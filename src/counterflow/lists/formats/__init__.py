"""The built-in list parsers, one module per source format; importing this registers them."""

from counterflow.lists.formats import (  # noqa: F401 - each module registers its parser
    eu_csv,
    eu_xml,
    ftm,
    ofac_csv,
    ofac_xml,
    uk_fcdo_xml,
    uk_ofsi_csv,
    un_xml,
)
