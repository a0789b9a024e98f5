"""The seed tutorial's Python snippet, verbatim, builds a working classifier."""
import pytest
import torch
from allennlp.data import Vocabulary

from allencv.models.basic_classifier import BasicImageClassifier
from allencv.modules.im2im_encoders import ResnetEncoder
from allencv.modules.im2vec_encoders import FlattenEncoder
from tests.conftest import write_cached_weights


@pytest.mark.slow  # builds the seed's model
def test_seed_snippet(torch_home):
    write_cached_weights(torch_home, "resnet50")  # stands in for the ImageNet download

    vocab = Vocabulary({'labels': {'Cat': 1234, 'Dog': 1234}})
    im2im_encoder = ResnetEncoder('resnet50')
    im2vec_encoder = FlattenEncoder(input_channels=2048, input_height=1, input_width=1)
    classifier = BasicImageClassifier(vocab, im2vec_encoder, im2im_encoder)

    output = classifier(torch.rand(2, 3, 64, 64), torch.tensor([0, 1]))
    assert output["probs"].shape == (2, 2)
    output["loss"].backward()
    assert classifier._im2im_encoder.model.conv1.weight.grad is not None
    readable = classifier.make_output_human_readable(output)
    assert set(readable["label"]) <= {"Cat", "Dog"}
