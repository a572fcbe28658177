"""DeepSeek-OCR-2 (deepseek-ai/DeepSeek-OCR-2) analytic model.

DeepEncoder V2 replaces v1's CLIP-L with a Qwen2-style decoder run as an encoder over
``[SAM tokens, learnable queries]``; SAM ViT-B (last convolution to 896 channels), the linear
projector (896 -> 1280) and the DeepSeek-V2 MoE decoder are v1's classes at other widths.
"""
