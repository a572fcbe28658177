"""GPU hardware database: datasheet figures and calibrations loaded by name from ``conf/hardware``."""
