"""Two `allennlp train` processes as 2 nodes x 1 CPU process (gloo) on loopback, reading tar shards."""
import json
import os
import shutil
import subprocess

import pytest
from allennlp.common.util import find_open_port
from allennlp.models.archival import load_archive

from allencv.datasets.to_shards import write_shards
from tests.conftest import ALLENNLP, FIXTURES, REPO_ROOT, write_colour_folder, write_colour_shards


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_nodes_on_loopback_train_from_shards(tmp_path):
    train = write_colour_shards(tmp_path / "train", per_class=8, shard_size=4)
    # 6 validation images, 2 of them red pictures in the blue folder: a colour-reading model
    # scores 4/6 over both nodes, which neither node's own share (4 and 2 images) can give.
    write_colour_folder(tmp_path / "valid", per_class=2, size=8, seed=1)
    for name in ("0.jpg", "1.png"):
        shutil.copy(tmp_path / "valid" / "red" / name, tmp_path / "valid" / "blue" / f"red_{name}")
    valid = tmp_path / "valid_shards"
    write_shards(tmp_path / "valid", valid, shard_size=2)
    env = {**os.environ, "TRAIN_SHARDS": str(train), "VALIDATION_SHARDS": str(valid),
           "PRIMARY_PORT": str(find_open_port())}
    nodes = [
        subprocess.Popen(
            ALLENNLP + ["train", str(FIXTURES / "colour_classifier_shards_multi_node.jsonnet"),
                        "-s", str(tmp_path / f"node{rank}"), "--node-rank", str(rank),
                        "--include-package", "allencv"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for rank in range(2)
    ]
    outputs = [node.communicate(timeout=540)[0] for node in nodes]
    for rank, (node, output) in enumerate(zip(nodes, outputs)):
        print(f"--- node {rank}: exit {node.returncode}\n" + "\n".join(output.splitlines()[-15:]))
        assert node.returncode == 0, output[-4000:]
    assert "Number of nodes: 2 | World size: 2" in outputs[0]

    metrics = json.loads((tmp_path / "node0" / "metrics.json").read_text())
    print("node 0 metrics:", metrics)
    assert metrics["epoch"] == 0
    assert metrics["validation_accuracy"] == pytest.approx(4 / 6)
    archive = load_archive(str(tmp_path / "node0" / "model.tar.gz"))
    assert archive.model.vocab.get_index_to_token_vocabulary("labels") == {0: "blue", 1: "red"}
