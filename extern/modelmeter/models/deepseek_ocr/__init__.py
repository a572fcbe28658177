"""DeepSeek-OCR (deepseek-ai/DeepSeek-OCR, v1) analytic model."""
