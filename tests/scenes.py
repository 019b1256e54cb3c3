"""Scenes several test files need, made one way."""

from __future__ import annotations

from calibration import synth

#: A camera so near (45 cm, narrow lens, below the face) that the user fills the picture:
#: calibration advises setting it back, and leaning in takes the user out of the picture.
NEAR_CAMERA = synth.Camera(distance=0.45, hfov_deg=55.0, height_offset=-0.2)


def lean_in_scene(
    camera: synth.Camera, upright: float = 30.0, lean_in: float = 60.0
) -> synth.Scene:
    """Sitting upright, then leaning in toward the screen, without nuisances (5 fps)."""
    segments = [synth.Segment("upright", upright), synth.Segment("lean_in", lean_in)]
    return synth.Scene(synth.Person(), camera, segments, synth.Nuisance.none(), fps=5.0, seed=1)
