import argparse

from allennlp.commands.subcommand import Subcommand
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DataLoader
from allennlp.models.archival import load_archive
from allennlp.training.util import evaluate


@Subcommand.register("classification-report")
class ClassificationReport(Subcommand):
    """
    `allennlp classification-report ARCHIVE DATA -o DIR`: evaluates a trained classifier on
    `DATA` (read with the archive's validation reader, as `allennlp evaluate` does) and writes a
    confusion-matrix PNG, a per-class table (`per_class.csv`, and `report.md` with the most
    confused pairs), the metrics JSON and `top_losses.png` into `DIR`: a grid of the
    `--top-losses` most confidently wrong images (highest loss first), each with its gold label,
    the predicted label and its probability, and the Grad-CAM of the prediction over it (when the
    model's `im2im_encoder` keeps positions, i.e. is not pooled to 1x1; the `explain` extra). The
    grid's images are read again with the same reader, `--batch-size` at a time.

    allennlp finds this command through its plugins: run it where a `.allennlp_plugins` file
    lists `allencv` (this repository's root has one), or add `allencv` to
    `~/.allennlp/plugins`.

    Registered as a `Subcommand` with name "classification-report".
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Write a confusion-matrix PNG, a per-class table and the most-confused pairs."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="path to an archived trained classifier")
        subparser.add_argument("input_file", help="the evaluation data, as the archive's reader reads it")
        subparser.add_argument("-o", "--output-dir", required=True, help="folder to write the report into")
        subparser.add_argument("--batch-size", type=int, default=64)
        subparser.add_argument("--top-pairs", type=int, default=10, help="how many confused pairs to list")
        subparser.add_argument(
            "--top-losses", type=int, default=16,
            help="how many of the most confidently wrong images to draw in top_losses.png, with the "
            "Grad-CAM of each prediction (0: none)",
        )
        subparser.add_argument("--cuda-device", type=int, default=-1, help="GPU to use, -1 for the CPU")
        subparser.add_argument(
            "--overrides", default="",
            help="a JSON(NET) structure overriding the archive's config, e.g. to switch on "
            "test-time augmentation",
        )
        subparser.set_defaults(func=report_from_args)
        return subparser


def report_from_args(args: argparse.Namespace) -> None:
    from allencv.reports import find_top_losses, write_classification_report

    archive = load_archive(args.archive_file, cuda_device=args.cuda_device, overrides=args.overrides)
    model = archive.model
    model.eval()
    data_loader = DataLoader.from_params(
        Params({"batch_size": args.batch_size}),
        reader=archive.validation_dataset_reader,
        data_path=args.input_file,
    )
    data_loader.index_with(model.vocab)
    metrics = evaluate(model, data_loader, args.cuda_device)
    confusion_matrix = model.get_confusion_matrix() if hasattr(model, "get_confusion_matrix") else None
    if confusion_matrix is None:
        raise ConfigurationError(
            f"{args.archive_file} holds a {type(model).__name__}, whose metrics have no confusion "
            "matrix; classification-report needs a basic_image_classifier."
        )
    top_losses = None
    if args.top_losses > 0:
        # The reader's instances, images and all (the data loader's may hold only the labels).
        instances = archive.validation_dataset_reader.read(args.input_file)
        top_losses = find_top_losses(model, instances, args.top_losses, args.batch_size, args.cuda_device)
    paths = write_classification_report(
        dict(metrics, confusion_matrix=confusion_matrix), args.output_dir, args.top_pairs, top_losses
    )
    print(f"Accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f}; wrote "
          + ", ".join(str(path) for path in paths.values()))
