"""DeepSeek-OCR analytic layers."""
