from allennlp.predictors.predictor import Predictor

from allencv.predictors.image_predictor import ImagePredictor


@Predictor.register("image_classifier")
class ImageClassifierPredictor(ImagePredictor):
    """
    Predicts the label of an image with a `BasicImageClassifier`; the model's default predictor.
    Its output holds `label` (the most probable label's name), `label_probs` (each label's
    probability by name), `probs` and `logits` (in vocabulary order) and `image_path` when the
    input named a file.

    Registered as a `Predictor` with name "image_classifier".
    """
