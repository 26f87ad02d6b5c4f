"""Graph analytics over the transfer graph: exposure to listed parties (k-hop expansion as
iterative joins in the portable Ibis layer) and money tracing between a party and listed
parties (the neighbourhood fetched by joins, its paths enumerated in memory with rustworkx)."""

from counterflow.graph.exposure import EXPOSURE, exposure, flows, seed_parties
from counterflow.graph.trace import MoneyPath, Trace, trace, write_ftm, write_graphml

__all__ = [
    "EXPOSURE",
    "MoneyPath",
    "Trace",
    "exposure",
    "flows",
    "seed_parties",
    "trace",
    "write_ftm",
    "write_graphml",
]
