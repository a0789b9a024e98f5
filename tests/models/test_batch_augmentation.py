import pytest
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model

from allencv.modules.batch_augmentations import BatchAugmentation


@pytest.mark.parametrize("config", [
    {"type": "mixup", "alpha": 0.4},
    {"type": "cutmix"},
    {"type": "random_choice", "choices": [{"type": "mixup"}, {"type": "cutmix"}]},
    # jsonnet writes `alpha: 1.0` as the integer 1 (training_config/strong_augmentation.jsonnet).
    {"type": "random_choice", "choices": [{"type": "mixup", "alpha": 1}, {"type": "cutmix", "alpha": 1}]},
])
def test_mixing_gives_soft_targets(config):
    torch.manual_seed(0)
    augmentation = BatchAugmentation.from_params(Params(config))
    images = torch.rand(4, 3, 8, 8)
    mixed, targets = augmentation(images, torch.tensor([0, 1, 2, 1]), 3)
    assert mixed.shape == images.shape and targets.shape == (4, 3)
    assert torch.allclose(targets.sum(dim=1), torch.ones(4))
    assert ((targets > 0) & (targets < 1)).any()  # the labels are mixed, not one-hot


def test_the_classifier_mixes_training_batches_only():
    vocab = Vocabulary({"labels": {"a": 1, "b": 1, "c": 1}})
    model = Model.from_params(vocab=vocab, params=Params({
        "type": "basic_image_classifier",
        "im2vec_encoder": {"type": "global_pool", "input_channels": 3},
        "batch_augmentation": {"type": "mixup", "alpha": 1.0},
    }))
    images, labels = torch.rand(4, 3, 4, 4), torch.tensor([0, 1, 2, 0])
    torch.manual_seed(0)
    model.train()
    mixed_loss = model(images, labels)["loss"]
    model.eval()
    plain = model(images, labels)
    expected = torch.nn.functional.cross_entropy(plain["logits"], labels)
    assert plain["loss"].item() == pytest.approx(expected.item())
    assert mixed_loss.item() != pytest.approx(expected.item())
