"""Renderers: the analyzer's Markdown pages and printed tables (plain text, no plotting needed)."""
