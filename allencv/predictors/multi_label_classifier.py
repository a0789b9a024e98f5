from allennlp.predictors.predictor import Predictor

from allencv.predictors.image_predictor import ImagePredictor


@Predictor.register("multi_label_image_classifier")
class MultiLabelImageClassifierPredictor(ImagePredictor):
    """
    Predicts the labels of an image with a `MultiLabelImageClassifier`; the model's default
    predictor. Its output holds `labels` (every label whose probability is at least the model's
    threshold, most probable first), `label_scores` (those labels' probabilities by name),
    `label_probs` (every label's probability by name), `probs` and `logits` (in vocabulary order)
    and `image_path` when the input named a file.

    Registered as a `Predictor` with name "multi_label_image_classifier".
    """
