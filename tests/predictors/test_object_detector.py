import numpy
import pycocotools.mask
import torch

from allencv.predictors.object_detector import draw_masks


def test_instance_masks_are_drawn_translucent_in_their_colours():
    image = torch.full((3, 20, 20), 100, dtype=torch.uint8)
    masks = []
    for x1, x2 in ((2, 8), (10, 18)):
        mask = numpy.zeros((20, 20), dtype=numpy.uint8)
        mask[5:15, x1:x2] = 1
        rle = pycocotools.mask.encode(numpy.asfortranarray(mask))
        masks.append({"size": rle["size"], "counts": rle["counts"].decode()})
    drawn = draw_masks(image, masks, ["red", "blue"])
    # Half the colour, half the image: red (255, 0, 0) in the first mask, blue in the second.
    assert drawn[:, 10, 4].tolist() == [177, 50, 50]
    assert drawn[:, 10, 14].tolist() == [50, 50, 177]
    assert torch.equal(drawn[:, 0, 0], image[:, 0, 0]) and torch.equal(drawn[:, 10, 9], image[:, 10, 9])
