"""posture_guard: webcam posture monitoring that stores numbers, never pixels."""

__version__ = "0.1.0"
