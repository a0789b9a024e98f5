"""
Explanations of predictions: `GradCam` (on captum, the `explain` extra), loaded only when used.
"""
from allencv.interpret.grad_cam import GradCam, heatmap_png, overlay_cam, peak_position
