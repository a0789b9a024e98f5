"""A short run of benchmarks/detection_map.py: the shapes data through `allennlp train` and COCO mAP."""
import importlib.util

from tests.conftest import REPO_ROOT


def load_benchmark():
    spec = importlib.util.spec_from_file_location("detection_map", REPO_ROOT / "benchmarks" / "detection_map.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_detection_map_benchmark_smoke(tmp_path):
    benchmark = load_benchmark()
    metrics = benchmark.train_on_shapes(
        tmp_path, num_train=4, num_valid=2, size=64, epochs=1,
        extra_overrides={"model.min_size": 64, "model.max_size": 64, "data_loader.batch_size": 2},
    )
    assert 0.0 <= metrics["best_validation_map_50"] <= 1.0
    assert metrics["training_loss"] > 0 and metrics["seconds"] > 0
    assert (tmp_path / "run" / "model.tar.gz").exists()
