"""Billing: wallets, holds, captures, refunds, an append-only ledger and daily caps.

Reads top-down: ``__main__`` (wire-up), ``server`` (gRPC <-> rules), ``logic`` (the
rules), ``store`` (tables), ``config`` (settings and the price book), ``cli``.
"""
