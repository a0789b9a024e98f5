"""classification-report's grid of the most confidently wrong images, with their Grad-CAMs."""
import PIL.Image
import torch
from allennlp.data import Vocabulary

from allencv.data.dataset_readers import ImageClassificationDirectoryReader
from allencv.models import BasicImageClassifier
from allencv.modules.im2im_encoders import ResnetEncoder, SmallCnnEncoder
from allencv.modules.im2vec_encoders import FlattenEncoder, GlobalPoolEncoder
from allencv.reports import find_top_losses, write_classification_report
from tests.conftest import write_colour_folder


def instances_and_vocab(tmp_path):
    write_colour_folder(tmp_path / "data", per_class=6, size=24, seed=4)
    instances = list(ImageClassificationDirectoryReader().read(str(tmp_path / "data")))
    vocab = Vocabulary.from_instances(instances)
    for instance in instances:
        instance.index_fields(vocab)
    return instances, vocab


def test_the_most_confidently_wrong_images_come_first_with_the_cam_of_the_prediction(tmp_path):
    instances, vocab = instances_and_vocab(tmp_path)
    torch.manual_seed(1)  # an untrained model: about half of the images are wrong
    model = BasicImageClassifier(vocab, GlobalPoolEncoder(16), SmallCnnEncoder([8, 16], convs_per_stage=1)).eval()
    top = find_top_losses(model, instances, count=4, batch_size=5)
    assert 0 < len(top) <= 4
    assert [item.loss for item in top] == sorted((item.loss for item in top), reverse=True)
    for item in top:
        assert item.gold != item.predicted and item.image_path.startswith(str(tmp_path / "data" / item.gold))
        assert item.probability >= 0.5 and item.cam.shape == (24, 24) and float(item.cam.max()) == 1.0
    metrics = {"accuracy": 0.5, "confusion_matrix": {"labels": ["blue", "red"], "counts": [[3, 3], [3, 3]]}}
    for label in ("blue", "red"):
        metrics.update({f"precision_{label}": 0.5, f"recall_{label}": 0.5, f"f1_{label}": 0.5})
    paths = write_classification_report(metrics, str(tmp_path / "report"), top_losses=top)
    with PIL.Image.open(paths["top_losses.png"]) as grid:
        assert grid.width > 2 * 24 * len(top)
    report = paths["report.md"].read_text()
    assert "## Most confidently wrong" in report and f"| {top[0].image_path} | {top[0].gold} | {top[0].predicted} |" in report


def test_a_pooled_encoder_gets_a_grid_without_cams(tmp_path, caplog):
    instances, vocab = instances_and_vocab(tmp_path)
    torch.manual_seed(1)
    model = BasicImageClassifier(vocab, FlattenEncoder(512, 1, 1), ResnetEncoder("resnet18", weights=None)).eval()
    top = find_top_losses(model, instances, count=3)
    assert top and all(item.cam is None for item in top)
    assert "pools its feature map to 1x1" in caplog.text
