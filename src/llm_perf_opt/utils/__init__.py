"""Helpers of the analyzer: packaged defaults, atomic output, TorchInfo artifacts."""
