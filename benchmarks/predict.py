"""
(e) Inference: what `allennlp predict model.tar.gz images.jsonl --batch-size N` does once started
(read JSON lines, decode, batch, run the model, write JSON lines), against the raw torchvision
model in eval mode under `torch.inference_mode` with a `DataLoader` over the same files and
transforms in the main process (resize 256, center crop 224, normalize) and batch size. The
model is a randomly initialised resnet18 classifier, archived as `allennlp train` would.

    python -m benchmarks.predict [--images 64 --batch-size 16 --runs 3]
"""
import json
import logging
from pathlib import Path

import torch
from allennlp.common import Params
from allennlp.commands.predict import _PredictManager
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model, load_archive
from allennlp.predictors import Predictor
from torchvision import datasets
from torchvision.transforms import v2

import allencv  # noqa: F401  (registers the reader, model and predictor)
from benchmarks.common import IMAGENET_MEAN, IMAGENET_STD, arguments, compare, report, write_jpeg_folder

READER = {
    "type": "image_classification_directory",
    "transforms": [{"type": "resize", "size": 256}, {"type": "center_crop", "size": 224},
                   {"type": "normalize", "mean": IMAGENET_MEAN, "std": IMAGENET_STD}],
}
MODEL = {
    "type": "basic_image_classifier",
    "im2im_encoder": {"type": "pretrained_resnet", "resnet_model": "resnet18", "weights": None},
    "im2vec_encoder": {"type": "flatten", "input_channels": 512, "input_height": 1, "input_width": 1},
}


def write_archive(directory: Path, labels) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(labels, "labels")
    vocab.save_to_files(str(directory / "vocabulary"))
    model = Model.from_params(vocab=vocab, params=Params(json.loads(json.dumps(MODEL))))
    torch.save(model.state_dict(), directory / "best.th")
    config = {"dataset_reader": READER, "model": MODEL, "train_data_path": "", "trainer": {}}
    (directory / "config.json").write_text(json.dumps(config))
    archive_model(directory)
    return directory / "model.tar.gz"


def main() -> None:
    args = arguments(__doc__, images=64, batch_size=16)
    logging.getLogger("allennlp").setLevel(logging.WARNING)
    root = write_jpeg_folder(Path(args.data) / f"jpegs_{args.images}", args.images)
    files = sorted(root.rglob("*.jpg"))
    lines = root.parent / f"predict_{args.images}.jsonl"
    lines.write_text("".join(json.dumps({"image_path": str(path)}) + "\n" for path in files))
    archive = write_archive(Path(args.data) / "predict_model", ["cat", "dog"])
    predictor = Predictor.from_archive(load_archive(str(archive)))
    output = root.parent / "predictions.jsonl"

    def allennlp_predict() -> int:
        _PredictManager(predictor, str(lines), str(output), args.batch_size, False, False).run()
        return len(files)

    network = predictor._model
    transform = v2.Compose([v2.PILToTensor(), v2.Resize(256), v2.CenterCrop(224),
                            v2.ToDtype(torch.float32, scale=True), v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(str(root), transform=transform),
                                         batch_size=args.batch_size)

    def raw_model() -> int:
        network.eval()
        with torch.inference_mode():
            for images, _ in loader:
                torch.softmax(network._classification_layer(network._im2vec_encoder(
                    network._im2im_encoder(images))), dim=-1)
        return len(files)

    rates = compare({"allennlp predict": allennlp_predict, "raw model, eval mode": raw_model}, args.runs)
    report(f"(e) inference, {args.images} JPEGs, resnet18 at 224 px, batch {args.batch_size}, "
           f"{args.threads} threads", rates, baseline="raw model, eval mode")


if __name__ == "__main__":
    main()
