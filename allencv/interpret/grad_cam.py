"""
Grad-CAM (Selvaraju et al., 2017) of AllenCV's classifiers, on captum's `LayerGradCam`: which
parts of an image made the model predict a label. The CAM is taken at the output of the model's
`Im2ImEncoder` (its last feature map), so it works for every encoder without knowing its insides.
"""
import base64
import io
from typing import List, Optional, Sequence

import numpy
import PIL.Image
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models import Model

from allencv.optional_dependencies import import_optional

#: The opacity of the colour-mapped CAM at its peak in `overlay_cam`'s picture (0 where it is 0).
OVERLAY_ALPHA = 0.7


class GradCam:
    """
    Grad-CAM maps of a classifier that has an `im2im_encoder` and a `logits(image)` method
    (`basic_image_classifier`, `multi_label_image_classifier`): for each image, the encoder's
    feature map weighted by the gradient of one label's logit, summed over channels, kept where
    positive, upsampled (bilinearly) to the image's size and scaled so that its peak is 1.

    Each image's map depends on that image alone (the model is in evaluation mode), and the maps
    are computed with gradients even under `torch.inference_mode` (as the service predicts).

    # Parameters

    model : `Model`
        A classifier with an `im2im_encoder`; without one there is no feature map to explain.
    """

    def __init__(self, model: Model) -> None:
        captum_attr = import_optional("captum.attr", "Grad-CAM explanations")
        reason = why_not_explainable(model)
        if reason is not None:
            raise ConfigurationError(reason)
        encoder = model.im2im_encoder  # type: ignore[attr-defined]
        self._model = model
        self._encoder = encoder
        self._grad_cam = captum_attr.LayerGradCam(model.logits, encoder)

    def __call__(self, images: torch.Tensor, targets: Sequence[int]) -> torch.Tensor:
        """
        The `(batch_size, height, width)` CAMs, in [0, 1], of a `(batch_size, channels, height,
        width)` batch (as the model takes it), each for the label index in `targets`.
        """
        with torch.inference_mode(False), torch.enable_grad():
            # A copy outside inference mode, so autograd can track it; it needs a gradient for
            # the graph to exist when every encoder parameter is frozen.
            inputs = images.detach().clone().requires_grad_(True)
            # (batch_size, 1, feature_height, feature_width)
            cam = self._grad_cam.attribute(inputs, target=list(targets), relu_attributions=True)
        if cam.dim() != 4:
            raise ConfigurationError(
                f"Grad-CAM needs the im2im_encoder ({type(self._encoder).__name__}) to output "
                f"(batch, channels, height, width) feature maps, but it gave shape {tuple(cam.shape)}."
            )
        # (batch_size, height, width)
        cam = torch.nn.functional.interpolate(
            cam.detach(), size=images.shape[-2:], mode="bilinear", align_corners=False
        )[:, 0].clamp_min(0)
        peaks = cam.flatten(1).amax(dim=1).clamp_min(torch.finfo(cam.dtype).tiny)
        return cam / peaks[:, None, None]


def why_not_explainable(model: Model) -> Optional[str]:
    """Why `GradCam` cannot explain `model`, or `None` when it can."""
    encoder = getattr(model, "im2im_encoder", None)
    if encoder is None or not hasattr(model, "logits"):
        return (
            f"Grad-CAM explains the feature map of a classifier's im2im_encoder, but this "
            f"{type(model).__name__} has none; train a model with model.im2im_encoder set "
            "(e.g. small_cnn, torchvision) to explain its predictions."
        )
    if encoder.get_fixed_output_size() == (1, 1):
        return (
            f"The model's im2im_encoder ({type(encoder).__name__}) pools its feature map to 1x1, so "
            "Grad-CAM has no positions to tell apart; train with model.im2im_encoder.pool: null and "
            "a global_pool im2vec_encoder to explain its predictions."
        )
    return None


def heatmap_png(cam: torch.Tensor) -> str:
    """The base64 of a greyscale PNG of a `(height, width)` CAM in [0, 1] (0 to 255)."""
    return png_base64(PIL.Image.fromarray(cam_to_uint8(cam), mode="L"))


def overlay_cam(image: torch.Tensor, cam: torch.Tensor) -> torch.Tensor:
    """
    A `uint8` `(3, height, width)` picture of the `uint8` `(3, height, width)` image with its
    `(height, width)` CAM over it, colour-mapped with matplotlib's "jet" (blue low, red high) and
    more opaque where the CAM is higher, so the image shows through where the model did not look.
    """
    colormap = import_optional("matplotlib", "Grad-CAM overlays").colormaps["jet"]
    values = cam.cpu().numpy()
    # (height, width, 3) in [0, 1], and (height, width, 1) opacities
    colours = colormap(values)[..., :3]
    alpha = OVERLAY_ALPHA * values[..., None]
    blended = (1 - alpha) * image.cpu().permute(1, 2, 0).numpy() / 255 + alpha * colours
    return torch.from_numpy((255 * blended).round().astype(numpy.uint8)).permute(2, 0, 1)


def cam_to_uint8(cam: torch.Tensor) -> numpy.ndarray:
    """A `(height, width)` CAM in [0, 1] as `uint8` 0 to 255."""
    return (255 * cam.cpu().clamp(0, 1)).round().to(torch.uint8).numpy()


def peak_position(cam: torch.Tensor) -> List[int]:
    """`[row, column]` of a `(height, width)` CAM's highest value."""
    row, column = divmod(int(cam.argmax()), cam.shape[-1])
    return [row, column]


def png_base64(image: PIL.Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
