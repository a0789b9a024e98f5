import argparse

from allennlp.commands.subcommand import Subcommand

from allencv.export import EXPORT_FORMATS, export_archive


@Subcommand.register("export")
class Export(Subcommand):
    """
    `allennlp export ARCHIVE -o DIR [--format torchscript onnx] [--image-size H W]`: writes a
    trained classifier as TorchScript (`model.pt`) and ONNX (`model.onnx`) with
    `preprocessing.json`, which says what the exported model expects (see `allencv.export`).

    Registered as a `Subcommand` with name "export".
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Export a trained classifier archive to TorchScript and ONNX."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file", help="path to an archived trained classifier")
        subparser.add_argument("-o", "--output-dir", required=True, help="folder to write the exported files into")
        subparser.add_argument("--format", nargs="+", choices=EXPORT_FORMATS, default=list(EXPORT_FORMATS))
        subparser.add_argument(
            "--image-size", nargs=2, type=int, metavar=("HEIGHT", "WIDTH"),
            help="input size to trace with (default: a 256x256 image after the reader's transforms)",
        )
        subparser.set_defaults(func=export_from_args)
        return subparser


def export_from_args(args: argparse.Namespace) -> None:
    paths = export_archive(args.archive_file, args.output_dir, args.format, args.image_size)
    print("Wrote " + ", ".join(str(path) for path in paths.values()))
