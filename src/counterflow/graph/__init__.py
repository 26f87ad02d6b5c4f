"""Graph analytics over the transfer graph, as plain functions over a dataset's tables: exposure
to listed parties (k-hop expansion as iterative joins in the portable Ibis layer) and money
tracing between a party and listed parties (the neighbourhood fetched by joins, its paths
enumerated in memory with rustworkx).

Nothing here imports :mod:`counterflow.monitoring`; the monitoring scenario built on
:func:`exposure` is ``counterflow.monitoring.scenarios.exposure.EXPOSURE``.
"""

from counterflow.graph.exposure import exposure, flows, seed_parties
from counterflow.graph.trace import MoneyPath, Trace, trace, write_ftm, write_graphml

__all__ = [
    "MoneyPath",
    "Trace",
    "exposure",
    "flows",
    "seed_parties",
    "trace",
    "write_ftm",
    "write_graphml",
]
