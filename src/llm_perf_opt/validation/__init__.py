"""Predicted versus measured GPU time: mapping measured points to analytic layers, error tables."""
