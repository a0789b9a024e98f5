import argparse
import logging
import random

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader

from allencv.data.dataset_readers.indexed_reader import IndexedReader

logger = logging.getLogger(__name__)


@Subcommand.register("show-batch")
class ShowBatch(Subcommand):
    """
    `allennlp show-batch CONFIG [-o OVERRIDES] [--output grid.png]`: a look at the training data
    before training, like fastai's `show_batch`. Builds the config's `dataset_reader` (with its
    training transforms, so the augmentation shows) on `train_data_path`, takes `--count`
    random training images (the first ones for a reader that streams) and writes them as a grid
    PNG, each with its label: the class in the title, boxes with their labels for detection, the
    mask and a legend of class colours for segmentation. Batch augmentations of the model
    (`mixup`, `cutmix`) act in the model's forward and are not shown. Needs matplotlib (the
    `reports` extra).

    Registered as a `Subcommand` with name "show-batch".
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Write a grid picture of augmented training images with their labels."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("config_file", help="the training config (jsonnet or JSON)")
        subparser.add_argument("-o", "--overrides", default="", help="a JSON(NET) structure overriding the config")
        subparser.add_argument("--output", default="show_batch.png", help="the PNG to write (default: show_batch.png)")
        subparser.add_argument("--count", type=int, default=16, help="how many images (default: 16)")
        subparser.add_argument("--columns", type=int, default=4, help="images per row (default: 4)")
        subparser.add_argument("--seed", type=int, default=0, help="which random images and augmentations")
        subparser.set_defaults(func=show_batch_from_args)
        return subparser


def show_batch_from_args(args: argparse.Namespace) -> None:
    from allencv.reports.batch_grid import write_batch_grid

    if args.count < 1:
        raise ConfigurationError(f"--count must be at least 1, got {args.count}.")
    params = Params.from_file(args.config_file, args.overrides)
    if "train_data_path" not in params:
        raise ConfigurationError(f"{args.config_file} has no train_data_path: show-batch shows the training data.")
    train_data_path = params.pop("train_data_path")
    reader = DatasetReader.from_params(params.pop("dataset_reader"))
    random.seed(args.seed)
    torch.manual_seed(args.seed)  # the transforms' randomness
    instances = list(sample_instances(reader, train_data_path, args.count))
    if not instances:
        raise ConfigurationError(f"No training image could be read from {train_data_path}.")
    path = write_batch_grid(instances, args.output, args.columns)
    print(f"Wrote {len(instances)} training images of {train_data_path} to {path}")


def sample_instances(reader: DatasetReader, data_path: str, count: int):
    """`count` random instances of an `IndexedReader`'s listing (unreadable files skipped); the first ones of another reader."""
    if isinstance(reader, IndexedReader):
        items = list(reader.list_items(data_path))
        random.shuffle(items)
        found = 0
        for item in items:
            instance = reader.item_to_instance(item)
            if instance is not None:
                found += 1
                yield instance
            if found == count:
                return
        return
    for index, instance in enumerate(reader.read(data_path)):
        if index == count:
            return
        yield instance
