from typing import List, Optional

import PIL.Image
from allennlp.common.checks import ConfigurationError
from allennlp.common.util import JsonDict
from allennlp.data import Batch, DatasetReader, Instance
from allennlp.models import Model
from allennlp.nn.util import move_to_device

from allencv.predictors.image_predictor import ImagePredictor, same_size_groups
from allencv.predictors.overlay_folder import OverlayFolder


class ExplainedClassifierPredictor(ImagePredictor):
    """
    What the classifiers' predictors share: with `explain`, each output also holds a Grad-CAM of
    its most probable label (`allencv.interpret.GradCam`, at the last feature map of the model's
    `im2im_encoder`), in the pixels of the image as the reader's transforms left it:

    - `explained_label`: the label the CAM explains;
    - `heatmap`: the base64 of a greyscale PNG, 0 (no part in the label) to 255 (the CAM's peak);
    - `cam_overlay`: the base64 of a PNG of the image with the CAM colour-mapped over it ("jet":
      blue low, red high);
    - `overlay_path`, when `overlay_dir` is set: there, the same picture as a PNG file.

    The CAMs of a batch are computed one image size at a time, like the predictions, so an
    image's CAM does not depend on its batchmates. They need the `explain` extra (captum).

    # Parameters

    model : `Model`
    dataset_reader : `DatasetReader`
    frozen : `bool`, optional (default = `True`)
    explain : `bool`, optional (default = `False`)
        Add the Grad-CAM of the top label to each output (`--predictor-args '{"explain": true}'`).
    overlay_dir : `str`, optional
        With `explain`, a folder (created if needed) to write each CAM overlay into.
    """

    def __init__(
        self,
        model: Model,
        dataset_reader: DatasetReader,
        frozen: bool = True,
        explain: bool = False,
        overlay_dir: Optional[str] = None,
    ) -> None:
        super().__init__(model, dataset_reader, frozen)
        if overlay_dir and not explain:
            raise ConfigurationError('overlay_dir writes the Grad-CAM overlays: set "explain": true too.')
        self._grad_cam = None
        if explain:
            from allencv.interpret import GradCam

            self._grad_cam = GradCam(model)
        self.overlay_dir = OverlayFolder(overlay_dir) if overlay_dir else None

    def predict_instance(self, instance: Instance) -> JsonDict:
        return self.predict_batch_instance([instance])[0]

    def predict_batch_instance(self, instances: List[Instance]) -> List[JsonDict]:
        outputs = super().predict_batch_instance(instances)
        if self._grad_cam is not None:
            self._explain(instances, outputs)
        return outputs

    def _explain(self, instances: List[Instance], outputs: List[JsonDict]) -> None:
        from allencv.interpret.grad_cam import heatmap_png, overlay_cam, png_base64

        names = self._model.label_names()  # type: ignore[attr-defined]
        for positions in same_size_groups(instances):
            batch = Batch([instances[position] for position in positions])
            batch.index_instances(self._model.vocab)
            # (group_size, channels, height, width), normalized as the model takes it
            images = move_to_device(batch.as_tensor_dict()["image"], self.cuda_device)
            targets = [max(range(len(names)), key=outputs[position]["probs"].__getitem__) for position in positions]
            # (group_size, height, width)
            cams = self._grad_cam(images, targets)  # type: ignore[misc]
            for position, target, cam in zip(positions, targets, cams):
                output = outputs[position]
                drawn = overlay_cam(instances[position]["image"].image, cam)  # type: ignore[attr-defined]
                picture = PIL.Image.fromarray(drawn.permute(1, 2, 0).numpy())
                output["explained_label"] = names[target]
                output["heatmap"] = heatmap_png(cam)
                output["cam_overlay"] = png_base64(picture)
                if self.overlay_dir is not None:
                    output["overlay_path"] = self.overlay_dir.save(picture, output.get("image_path"), suffix="_cam")
