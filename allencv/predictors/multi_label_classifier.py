from allennlp.predictors.predictor import Predictor

from allencv.predictors.explained_classifier import ExplainedClassifierPredictor


@Predictor.register("multi_label_image_classifier")
class MultiLabelImageClassifierPredictor(ExplainedClassifierPredictor):
    """
    Predicts the labels of an image with a `MultiLabelImageClassifier`; the model's default
    predictor. Its output holds `labels` (every label whose probability is at least the model's
    threshold, most probable first), `label_scores` (those labels' probabilities by name),
    `label_probs` (every label's probability by name), `probs` and `logits` (in vocabulary order)
    and `image_path` when the input named a file. With `explain`, also the Grad-CAM of the most
    probable label (`explained_label`, `heatmap`, `cam_overlay`, see
    `ExplainedClassifierPredictor`), e.g. `--predictor-args '{"explain": true}'`.

    Registered as a `Predictor` with name "multi_label_image_classifier".

    # Parameters

    model : `Model`
    dataset_reader : `DatasetReader`
    frozen : `bool`, optional (default = `True`)
    explain : `bool`, optional (default = `False`)
        Add the Grad-CAM of the most probable label to each output.
    overlay_dir : `str`, optional
        With `explain`, a folder (created if needed) to write each CAM overlay into.
    """
