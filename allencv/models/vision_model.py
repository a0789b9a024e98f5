from os import PathLike
from typing import Union

from allennlp.common import Params
from allennlp.models.model import Model

from allencv.modules.pretrained import NamesConfigKeys, pretrained_weights_skipped


class VisionModel(NamesConfigKeys, Model):
    """
    The base of AllenCV's models. Loading a trained archive builds the model without fetching its
    pretrained backbone weights (the archive's weights replace them anyway), so an archive loads
    offline and on machines that never had the ImageNet checkpoints. Pretrained weights that
    cannot be fetched fail naming their config keys in full (`model.weights`).
    """

    @classmethod
    def _load(
        cls,
        config: Params,
        serialization_dir: Union[str, PathLike],
        weights_file: Union[str, PathLike, None] = None,
        cuda_device: int = -1,
    ) -> Model:
        with pretrained_weights_skipped():
            return super()._load(config, serialization_dir, weights_file, cuda_device)
