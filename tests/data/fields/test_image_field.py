import pytest
import torch
from allennlp.data import Batch, Instance

from allencv.data.fields import ImageField

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def test_batches_uint8_images_to_normalized_float():
    image = torch.full((3, 2, 2), 255, dtype=torch.uint8)
    field = ImageField(image, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])
    batch = field.batch_tensors([field.as_tensor(field.get_padding_lengths())] * 2)
    assert batch.shape == (2, 3, 2, 2)
    assert batch.dtype == torch.float32
    assert torch.allclose(batch, torch.ones_like(batch))


def test_images_of_different_sizes_are_padded_with_the_mean():
    mean, std = [0.2, 0.4, 0.6], [0.5, 0.5, 0.5]
    small = ImageField(torch.full((3, 2, 3), 255, dtype=torch.uint8), mean, std)
    large = ImageField(torch.full((3, 4, 5), 255, dtype=torch.uint8), mean, std)
    tensors = Batch([Instance({"image": small}), Instance({"image": large})]).as_tensor_dict()
    image = tensors["image"]
    assert image.shape == (2, 3, 4, 5)
    assert torch.allclose(image[0, :, :2, :3], image[1, :, :2, :3])
    # Padding is the mean, so it is (close to) zero after normalization.
    assert image[0, :, 2:, :].abs().max() < 0.01
    assert image[0, :, :, 3:].abs().max() < 0.01


def test_without_normalization_pixels_are_scaled_to_unit_range():
    field = ImageField(torch.tensor([[[0, 255]]], dtype=torch.uint8).expand(3, 1, 2).clone())
    batch = field.batch_tensors([field.as_tensor(field.get_padding_lengths())])
    assert batch[0, 0].tolist() == [[0.0, 1.0]]


def test_refuses_non_uint8_and_mixed_channels():
    with pytest.raises(ValueError, match="uint8"):
        ImageField(torch.zeros(3, 2, 2))
    grey = ImageField(torch.zeros((1, 2, 2), dtype=torch.uint8))
    with pytest.raises(ValueError, match="channels"):
        grey.as_tensor({"channels": 3, "height": 2, "width": 2})


def test_empty_field_and_str():
    field = ImageField(torch.zeros((3, 4, 5), dtype=torch.uint8))
    assert field.empty_field().get_padding_lengths() == {"channels": 3, "height": 0, "width": 0}
    assert "3x4x5" in str(field)


def _collate_image_fields(images):
    fields = [ImageField(image, MEAN, STD) for image in images]
    return fields[0].batch_tensors([field.as_tensor(field.get_padding_lengths()) for field in fields])


def test_batches_made_in_a_worker_are_shared_memory_tensors():
    # As torch's default_collate does: sending the batch to the main process copies nothing.
    images = [torch.randint(0, 256, (3, 5, 4), dtype=torch.uint8) for _ in range(4)]
    loader = torch.utils.data.DataLoader(images, batch_size=4, num_workers=1, collate_fn=_collate_image_fields)
    (batch,) = list(loader)
    assert batch.is_shared()
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    expected = (torch.stack(images).float() / 255 - mean) / std
    assert torch.allclose(batch, expected, atol=1e-6)
    assert not _collate_image_fields(images).is_shared()
