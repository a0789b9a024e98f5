import collections
import json

import numpy
import PIL.Image

from allencv.datasets.caption_match import COLOURS, PAIRS, caption_example, write_caption_match


def test_neither_the_image_nor_the_caption_alone_predicts_the_label():
    rng = numpy.random.default_rng(0)
    by_caption = collections.defaultdict(list)
    for _ in range(3000):
        _, caption, label = caption_example(rng, size=8)
        named = tuple(word for word in caption.split() if word in COLOURS or word in {"circle", "square", "triangle"})
        by_caption[tuple(sorted(named))].append(label == "match")
    assert len(by_caption) == len(PAIRS)
    for matches in by_caption.values():  # each caption is true about half the time
        assert abs(numpy.mean(matches) - 0.5) < 0.1


def test_writes_manifests_the_image_text_reader_reads(tmp_path):
    from allencv.data.dataset_readers import ImageTextManifestReader

    manifests = write_caption_match(str(tmp_path), size=12, splits={"train": 6, "test": 2})
    rows = [json.loads(line) for line in manifests["train"].read_text().splitlines()]
    assert len(rows) == 6 and {row["label"] for row in rows} <= {"match", "mismatch"}
    assert PIL.Image.open(tmp_path / rows[0]["path"]).size == (12, 12)
    instances = list(ImageTextManifestReader(text_columns=["caption"]).read(str(manifests["test"])))
    assert len(instances) == 2 and len(instances[0]["caption"]) >= 2
