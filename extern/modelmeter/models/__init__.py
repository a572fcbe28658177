"""Model-specific analytic layer sets."""
