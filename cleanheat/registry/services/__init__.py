"""Registry services, one module per aggregate: keyword-only functions with an explicit ``session``;
the caller owns the transaction."""
