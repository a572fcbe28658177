"""PyTorch reference modules (ground truth for parity tests); importing these needs torch."""
