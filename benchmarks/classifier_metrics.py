"""
What `basic_image_classifier`'s metrics cost per training batch, on top of the loss a plain loop
computes: the metric update in `forward` (from the `(batch_size, num_labels)` logits) plus the
`get_metrics()` that allennlp's trainer calls after every batch for the progress bar, against the
cross-entropy loss alone. CPU milliseconds per batch (medians of `--runs` alternating rounds of
300 batches, 1 thread by default through `--threads`).

    python -m benchmarks.classifier_metrics --labels 10 --batch-size 64 --threads 1
"""
import statistics
import time

import torch
from allennlp.data import Vocabulary

from allencv.models.basic_classifier import BasicImageClassifier
from allencv.modules.im2vec_encoders.flatten_encoder import FlattenEncoder
from benchmarks.common import arguments

BATCHES = 300


def main() -> None:
    args = arguments(__doc__, runs=5, labels=10, batch_size=64)
    vocab = Vocabulary()
    for label in range(args.labels):
        vocab.add_token_to_namespace(f"class{label}", "labels")
    model = BasicImageClassifier(vocab, FlattenEncoder(args.labels, 1, 1))
    logits = torch.randn(args.batch_size, args.labels, requires_grad=True)
    gold = torch.randint(0, args.labels, (args.batch_size,))

    def ours() -> None:
        model._classification_output(logits, gold, gold, None)  # the loss and the metric update
        model.get_metrics(reset=False)

    def plain() -> None:
        torch.nn.functional.cross_entropy(logits, gold)

    sides = {"classifier loss + metrics": ours, "cross-entropy alone": plain}
    milliseconds = {name: [] for name in sides}
    for _ in range(args.runs):
        for name, batch in sides.items():
            start = time.process_time()
            for _ in range(BATCHES):
                batch()
            milliseconds[name].append((time.process_time() - start) / BATCHES * 1000)
    print(f"\nPer-batch CPU time, {args.labels} labels, batch {args.batch_size}, {args.threads} thread(s)")
    for name, values in milliseconds.items():
        print(f"  {name:<26} {statistics.median(values):.3f} ms (min {min(values):.3f}, max {max(values):.3f})")
    extra = statistics.median(milliseconds["classifier loss + metrics"]) - statistics.median(milliseconds["cross-entropy alone"])
    print(f"  metrics add {extra:.3f} ms per batch")


if __name__ == "__main__":
    main()
