"""Calibration and ground-truth tools: synthetic labelled landmark streams (see synth.py)."""
