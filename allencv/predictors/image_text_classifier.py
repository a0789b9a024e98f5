from typing import Dict, List, Optional, Union

from allennlp.common.util import JsonDict
from allennlp.data import Instance
from allennlp.predictors.predictor import Predictor

from allencv.data.image_loading import ImageSource
from allencv.predictors.image_predictor import BadInputError, ImagePredictor

#: The texts of one input: a string (one text column) or a dict by column.
Texts = Union[str, Dict[str, str]]


@Predictor.register("image_text_classifier")
class ImageTextClassifierPredictor(ImagePredictor):
    """
    Predicts the label of an image and its text(s) with an `ImageTextClassifier`; the model's
    default predictor. Each JSON input names the image as `ImagePredictor` does and gives its text
    as `"text"`: a string when the reader has one text column, or an object by column (`{"title":
    ..., "description": ...}`), e.g. `{"image_path": "cat.png", "text": "a red circle"}`. A missing
    or non-string text is a bad input (an `{"error": ...}` record); an empty string is an empty
    text. Its output is the image classifier's (`label`, `label_probs`, `probs`, `logits`,
    `image_path`).

    Registered as a `Predictor` with name "image_text_classifier".
    """

    def predict(self, image: ImageSource, text: Optional[Texts] = None) -> JsonDict:  # type: ignore[override]
        """Predicts on an image (anything `ImagePredictor.predict` takes) and its text(s)."""
        return self.predict_instance(self._dataset_reader.text_to_instance(image, text))

    def predict_batch(self, images: List[ImageSource], texts: Optional[List[Texts]] = None) -> List[JsonDict]:  # type: ignore[override]
        """Predicts on several images and their texts (one per image) in one batch."""
        texts = texts if texts is not None else [""] * len(images)
        if len(texts) != len(images):
            raise ValueError(f"Got {len(images)} images but {len(texts)} texts; give one text per image.")
        instances = [self._dataset_reader.text_to_instance(image, text) for image, text in zip(images, texts)]
        return self.predict_batch_instance(instances)

    def _json_to_instance(self, json_dict: JsonDict) -> Instance:
        instance = super()._json_to_instance(json_dict)  # the image, with empty texts
        texts = self._texts(json_dict)
        for column, text in texts.items():
            instance.add_field(column, self._dataset_reader.text_field(text))
        return instance

    def _texts(self, json_dict: JsonDict) -> Dict[str, str]:
        columns = self._dataset_reader.text_columns
        if "text" not in json_dict:
            raise BadInputError(f"The input has no 'text'; give the text of column(s) {', '.join(columns)}.")
        text = json_dict["text"]
        if isinstance(text, str) and len(columns) == 1:
            text = {columns[0]: text}
        if not isinstance(text, dict) or sorted(text) != sorted(columns) or not all(isinstance(value, str) for value in text.values()):
            expected = "a string" if len(columns) == 1 else f"an object with a string for each of {', '.join(columns)}"
            raise BadInputError(f"'text' must be {expected}.")
        return text
