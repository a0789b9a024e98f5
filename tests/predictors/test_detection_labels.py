"""The labels of the detection overlays: on a filled background, inside the image, none over another."""
import numpy
import PIL.Image

from allencv.predictors.object_detector import draw_labels


def overlaps(a, b) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def test_labels_are_filled_inside_the_image_and_do_not_overlap():
    image = PIL.Image.new("RGB", (120, 80), (90, 90, 90))
    boxes = [
        [10, 30, 50, 70],  # room above: the label goes above the box
        [12, 31, 52, 71],  # the same object again: its label must not cover the first one
        [100, 0, 140, 20],  # at the top-right edge: no room above, and it would be cut at the right
    ]
    rectangles = draw_labels(image, boxes, ["circle 0.97", "circle 0.61", "square 0.88"], ["red", "lime", "blue"])
    pixels = numpy.asarray(image)

    for rectangle in rectangles:  # inside the image
        assert rectangle[0] >= 0 and rectangle[1] >= 0 and rectangle[2] < 120 and rectangle[3] < 80
    assert not any(overlaps(a, b) for index, a in enumerate(rectangles) for b in rectangles[index + 1:])
    assert rectangles[0][3] < 30  # above its box

    for rectangle, colour, ink in zip(rectangles, [(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(255, 255, 255), (0, 0, 0), (255, 255, 255)]):
        left, top, right, bottom = rectangle
        area = pixels[top:bottom + 1, left:right + 1].reshape(-1, 3)
        background = (area == colour).all(axis=1).mean()
        text = (numpy.abs(area.astype(int) - ink).max(axis=1) < 60).sum()
        assert background > 0.6 and text > 10  # a filled label, with legible text on it
