"""Contracts: converters between plain data (YAML/JSON) and the attrs records."""
