"""An example evaluate-only benchsuite plugin (an already-trained model; see plugin.py)."""
