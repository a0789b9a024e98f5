"""
The explanations mean something: trained on squares on noise, where only the square carries the
label, the CAM's peak falls inside the square (`benchmarks/cam_localisation.py` at full size).
"""

from allencv.datasets.squares_on_noise import read_squares
from benchmarks.cam_localisation import explaining_predictor, localisation


def test_the_cam_peak_of_a_trained_classifier_falls_inside_the_square(squares_archive):
    squares = read_squares(str(squares_archive.parent.parent / "data" / "test"))
    trained = localisation(explaining_predictor(squares_archive, trained=True), squares)
    assert trained["accuracy"] >= 0.9
    assert trained["peak_in_square"] >= 0.9
    # The same network untrained points elsewhere: the test can tell a meaningful map from noise.
    untrained = localisation(explaining_predictor(squares_archive, trained=False), squares)
    assert untrained["peak_in_square"] < 0.6
