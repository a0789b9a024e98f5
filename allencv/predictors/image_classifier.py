from typing import List, Optional

from allennlp.common.util import JsonDict
from allennlp.data import DatasetReader, Instance
from allennlp.models import Model
from allennlp.predictors.predictor import Predictor

from allencv.predictors.explained_classifier import ExplainedClassifierPredictor


@Predictor.register("image_classifier")
class ImageClassifierPredictor(ExplainedClassifierPredictor):
    """
    Predicts the label of an image with a `BasicImageClassifier`; the model's default predictor.
    Its output holds `label` (the most probable label's name), `label_probs` (each label's
    probability by name), `probs` and `logits` (in vocabulary order) and `image_path` when the
    input named a file. With `top_k`, also `top_k`: the `k` most probable labels, most probable
    first, as `{"label": ..., "prob": ...}` (e.g. `--predictor-args '{"top_k": 3}'`). With
    `explain`, also the Grad-CAM of `label` (`heatmap`, `cam_overlay`, see
    `ExplainedClassifierPredictor`), e.g. `--predictor-args '{"explain": true}'`.

    Registered as a `Predictor` with name "image_classifier".

    # Parameters

    model : `Model`
    dataset_reader : `DatasetReader`
    frozen : `bool`, optional (default = `True`)
    top_k : `int`, optional
        How many of the most probable labels to list; none by default.
    explain : `bool`, optional (default = `False`)
        Add the Grad-CAM of the most probable label to each output.
    overlay_dir : `str`, optional
        With `explain`, a folder (created if needed) to write each CAM overlay into.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        top_k: Optional[int] = None,
        explain: bool = False,
        overlay_dir: Optional[str] = None,
    ) -> None:
        super().__init__(model, dataset_reader, frozen, explain, overlay_dir)
        self._top_k = top_k

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        outputs = super().predict_batch_instance(instances)
        if self._top_k:
            for output in outputs:
                ranked = sorted(output["label_probs"].items(), key=lambda item: -item[1])[:self._top_k]
                output["top_k"] = [{"label": label, "prob": prob} for label, prob in ranked]
        return outputs
