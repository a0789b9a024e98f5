"""What `GET /info` says about a served model: its type, labels and input size."""

from typing import List, Optional, Type

import torch
from allennlp.common import Registrable
from allennlp.common.util import JsonDict
from allennlp.models import Model
from allennlp.predictors import Predictor
from torchvision import tv_tensors

from allencv.predictors.image_predictor import ImagePredictor
from allencv.service.settings import ServiceSettings


def describe_model(predictor: ImagePredictor, settings: ServiceSettings) -> JsonDict:
    model = predictor.model
    reader = predictor.dataset_reader
    return {
        "model_type": registered_name(Model, type(model)),
        "predictor": registered_name(Predictor, type(predictor)),
        "labels": labels(model, getattr(reader, "label_namespace", "labels")),
        "input_size": input_size(reader),
        "text_inputs": list(getattr(reader, "text_columns", [])),
        "limits": {
            "max_upload_bytes": settings.max_upload_bytes,
            "max_image_pixels": settings.max_image_pixels,
            "max_batch_size": settings.max_batch_size,
            "max_request_pixels": settings.max_request_pixels,
            "max_pending_pixels": settings.max_pending_pixels,
        },
        "image_path_allowed": settings.image_dir is not None,
    }


def registered_name(base: Type[Registrable], subclass: type) -> str:
    """The name `subclass` is registered under as a `base`, else its class name."""
    for name in base.list_available():
        if base.resolve_class_name(name)[0] is subclass:
            return name
    return subclass.__name__


def labels(model: Model, namespace: str) -> List[str]:
    """The model's labels in index order, or `[]` when its vocabulary has no `namespace`."""
    if namespace not in model.vocab.get_namespaces():
        return []
    index_to_token = model.vocab.get_index_to_token_vocabulary(namespace)
    return [index_to_token[index] for index in range(len(index_to_token))]


def input_size(reader) -> Optional[List[int]]:
    """
    The `[height, width]` every image is brought to by the reader's transforms, found by sending
    a landscape and a portrait image through them; `None` when the size follows the image's.
    """
    pipeline = getattr(reader, "pipeline", None)
    if pipeline is None:
        return None
    sizes = {
        tuple(
            pipeline(tv_tensors.Image(torch.zeros(3, height, width, dtype=torch.uint8))).shape[-2:]
        )
        for height, width in ((240, 320), (320, 240))
    }
    return list(sizes.pop()) if len(sizes) == 1 else None
