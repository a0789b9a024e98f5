"""
A tampered `model.tar.gz` (a member escaping the extraction folder, a link out of it, a device
file, a FIFO) is refused, naming the archive and the member, on every entry point that loads an
archive: `Predictor.from_path` and the `allennlp` commands. Nothing is written outside.
"""
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model
from allennlp.models.archival import archive_model, load_archive
from allennlp.predictors import Predictor

from allencv.safe_extraction import UnsafeArchiveError
from tests.conftest import REPO_ROOT, write_colour_folder
from tests.service.conftest import tiny_classifier_config

#: The malicious member added to a good archive, by kind, and the words of the error.
MEMBERS = {
    "traversal": ("../ESCAPED.txt", tarfile.REGTYPE, "", "outside the extraction folder"),
    "symlink": ("vocabulary/escape", tarfile.SYMTYPE, "../../../ESCAPED.txt", "link pointing outside"),
    "absolute symlink": ("escape", tarfile.SYMTYPE, "/etc/passwd", "link to an absolute path"),
    "hard link": ("escape", tarfile.LNKTYPE, "/etc/passwd", "link to an absolute path"),
    "device": ("vocabulary/sda", tarfile.BLKTYPE, "", "device file"),
    "fifo": ("vocabulary/pipe", tarfile.FIFOTYPE, "", "device file, FIFO"),
}


@pytest.fixture(scope="module")
def good_archive(tmp_path_factory):
    """An (untrained) tiny classifier archived the way `allennlp train` archives it, and its data."""
    root = tmp_path_factory.mktemp("good_archive")
    write_colour_folder(root / "valid", per_class=2, size=8)
    serialization_dir = root / "run"
    serialization_dir.mkdir()
    params = Params(tiny_classifier_config(root))
    params.to_file(str(serialization_dir / "config.json"))
    vocab = Vocabulary({"labels": {"blue": 1, "red": 1}}, non_padded_namespaces=["labels"])
    vocab.save_to_files(str(serialization_dir / "vocabulary"))
    model = Model.from_params(vocab=vocab, params=params.pop("model"))
    torch.save(model.state_dict(), serialization_dir / "best.th")
    archive_model(str(serialization_dir))
    return serialization_dir / "model.tar.gz"


def tamper(good_archive, folder, name: str, member_type: bytes, link: str = ""):
    """A copy of `good_archive` in `folder` with a member `name` of type `member_type` added."""
    path = folder / "model.tar.gz"
    with tarfile.open(good_archive, "r:gz") as good, tarfile.open(path, "w:gz") as bad:
        for member in good.getmembers():
            bad.addfile(member, good.extractfile(member) if member.isfile() else None)
        data = b"written by a tampered archive\n" if member_type == tarfile.REGTYPE else b""
        info = tarfile.TarInfo(name)
        info.type, info.linkname, info.size = member_type, link, len(data)
        bad.addfile(info, io.BytesIO(data))
    return path


def test_a_good_archive_still_loads(good_archive):
    assert load_archive(str(good_archive)).model is not None


def test_an_absolute_member_name_is_extracted_inside_the_folder(good_archive, tmp_path):
    archive = tamper(good_archive, tmp_path, str(tmp_path / "ESCAPED.txt"), tarfile.REGTYPE)
    assert load_archive(str(archive)).model is not None
    assert not (tmp_path / "ESCAPED.txt").exists()


@pytest.mark.parametrize("kind", sorted(MEMBERS))
def test_predictor_from_path_refuses_a_tampered_archive(good_archive, tmp_path, monkeypatch, kind):
    extraction_root = tmp_path / "tmp" / "inner"
    extraction_root.mkdir(parents=True)
    monkeypatch.setattr("tempfile.tempdir", str(extraction_root))
    archive = tamper(good_archive, tmp_path, *MEMBERS[kind][:3])
    with pytest.raises(UnsafeArchiveError) as info:
        Predictor.from_path(str(archive))
    message = str(info.value)
    assert str(archive) in message and repr(MEMBERS[kind][0]) in message
    assert MEMBERS[kind][3] in message
    assert os.listdir(extraction_root) == []  # nothing escaped, and the partial extraction is removed


def allennlp_arguments(command: str, archive, data, folder):
    return [command, str(archive), *{
        "predict": [str(folder / "input.jsonl"), "--silent", "--output-file", str(folder / "out")],
        "evaluate": [str(data)],
        "serve": ["--port", "0"],
        "export": ["-o", str(folder / "exported")],
        "classification-report": [str(data), "-o", str(folder / "report")],
    }[command]]


#: Runs each command of argv[1:] (JSON lists of arguments) through allennlp's own `main`, as
#: `allennlp` does, printing one line per command: its error, which must name the archive.
RUN_EACH = """
import json, sys
from allennlp.commands import main
for arguments in sys.argv[1:]:
    sys.argv = ["allennlp", *json.loads(arguments)]
    try:
        main()
    except Exception as error:
        print(type(error).__name__, str(error).splitlines()[0])
    else:
        print("no error")
"""


def run_in(folder, *command):
    (folder / ".allennlp_plugins").write_text("allencv\n")
    (folder / "tmp" / "inner").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, *command], cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(folder / "tmp" / "inner")},
    )


@pytest.mark.slow  # an allennlp subprocess per command
def test_every_allennlp_command_refuses_a_tampered_archive(good_archive, tmp_path):
    archive = tamper(good_archive, tmp_path, *MEMBERS["traversal"][:3])
    data = good_archive.parent.parent / "valid"
    (tmp_path / "input.jsonl").write_text('{"image_path": "x.png"}\n')
    refusal = f"Refusing to load the archive {archive}: its member '../ESCAPED.txt'"

    predict = run_in(tmp_path, "-m", "allennlp", *allennlp_arguments("predict", archive, data, tmp_path))
    assert predict.returncode != 0 and refusal in predict.stderr, predict.stderr[-2000:]

    commands = ["evaluate", "serve", "export", "classification-report"]
    others = run_in(tmp_path, "-c", RUN_EACH, *(
        json.dumps(allennlp_arguments(command, archive, data, tmp_path)) for command in commands
    ))
    lines = others.stdout.splitlines()
    assert len(lines) == len(commands), others.stdout + others.stderr[-2000:]
    for command, line in zip(commands, lines):
        assert line.startswith(f"UnsafeArchiveError {refusal}"), (command, line)
    assert not (tmp_path / "tmp" / "inner" / "ESCAPED.txt").exists()
