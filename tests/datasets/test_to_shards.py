"""`python -m allencv.datasets.to_shards`: an image folder or manifest as WebDataset tar shards."""
import json
import tarfile

import pytest
from allennlp.common.checks import ConfigurationError

from allencv.data.shard_index import read_index
from allencv.datasets.to_shards import main, write_shards
from tests.conftest import write_colour_folder


def shard_members(path):
    with tarfile.open(path) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


def test_a_folder_becomes_shards_with_an_index_and_corrupt_files_counted(tmp_path, capsys):
    write_colour_folder(tmp_path / "src", per_class=6, size=8)
    (tmp_path / "src" / "red" / "broken.jpg").write_bytes(b"<html>not an image</html>")
    (tmp_path / "src" / "red" / "notes.txt").write_text("not an image file")
    main([str(tmp_path / "src"), str(tmp_path / "out"), "--shard-size", "5"])

    assert "Wrote 12 images of 2 classes in 3 shard(s)" in capsys.readouterr().out
    index = read_index(str(tmp_path / "out" / "index.json"))
    assert index.classes == ["blue", "red"] and index.class_counts == {"blue": 6, "red": 6}
    assert index.shards == {"shard-000000.tar": 5, "shard-000001.tar": 5, "shard-000002.tar": 2}
    assert index.skipped == {"not an image": 1, "not an image file": 1}
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["index.json", *index.shards]
    stored = {}
    for name in index.shards:
        members = shard_members(tmp_path / "out" / name)
        for member, data in members.items():
            key, extension = member.split(".", 1)
            if extension in ("jpg", "png"):
                record = json.loads(members[f"{key}.json"])
                assert index.classes[int(members[f"{key}.cls"])] == record["label"]
                stored[record["path"]] = data
    # Every readable image, byte for byte as stored, under its path in the folder.
    expected = {str(path.relative_to(tmp_path / "src")): path.read_bytes()
                for path in (tmp_path / "src").glob("*/[0-9]*")}
    assert stored == expected
    with tarfile.open(tmp_path / "out" / "shard-000000.tar") as tar:
        assert not any(member.pax_headers for member in tar.getmembers())  # cheap to parse


def test_a_manifest_becomes_shards(tmp_path):
    write_colour_folder(tmp_path / "images", per_class=2, size=8)
    rows = [f"images/{label}/{n}.{'png' if n % 2 else 'jpg'},{label}" for label in ("blue", "red") for n in range(2)]
    (tmp_path / "train.csv").write_text("path,label\n" + "\n".join(rows + ["images/missing.jpg,red", ",red"]) + "\n")
    index = write_shards(tmp_path / "train.csv", tmp_path / "out", shard_size=10)
    assert index.shards == {"shard-000000.tar": 4} and index.classes == ["blue", "red"]
    assert index.skipped == {"bad row": 1, "unreadable": 1}


def test_an_output_folder_holding_shards_is_refused(tmp_path):
    write_colour_folder(tmp_path / "src", per_class=2, size=8)
    write_shards(tmp_path / "src", tmp_path / "out")
    with pytest.raises(ConfigurationError, match="already holds shards"):
        write_shards(tmp_path / "src", tmp_path / "out")


def test_a_folder_without_readable_images_fails_clearly(tmp_path):
    (tmp_path / "src" / "cat").mkdir(parents=True)
    (tmp_path / "src" / "cat" / "1.jpg").write_bytes(b"broken")
    with pytest.raises(ConfigurationError, match="no readable image"):
        write_shards(tmp_path / "src", tmp_path / "out")
    with pytest.raises(SystemExit, match="no readable image"):
        main([str(tmp_path / "src"), str(tmp_path / "out2")])
