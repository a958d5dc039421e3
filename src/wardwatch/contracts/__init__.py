"""Data contracts for the input datasets: see ``schema`` for the declarations."""

from wardwatch.contracts.schema import CONTRACTS, Column, Contract, OrderRule

__all__ = ["CONTRACTS", "Column", "Contract", "OrderRule"]
