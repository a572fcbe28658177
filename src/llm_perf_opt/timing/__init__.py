"""Time model: roofline time of layer trees, memory fit, and per-page throughput."""
