"""DeepSeek-OCR-2 analytic layers: the Qwen2 vision encoder (``encoder``) and the stage
composites (``core``). SAM, the projector and the language model are v1's classes."""
