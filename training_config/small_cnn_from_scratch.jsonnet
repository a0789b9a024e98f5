// A small CNN trained from scratch on small images: Fashion-MNIST's 28x28 clothes, written as
// image folders by `python -m allencv.datasets.fashion_mnist data/fashion_mnist` (or by
// `benchmarks/fashion_mnist.py`, which also trains this config and reports test accuracy).
//
//   TRAIN_PATH=data/fashion_mnist/train VALIDATION_PATH=data/fashion_mnist/valid \
//   allennlp train training_config/small_cnn_from_scratch.jsonnet --include-package allencv -s runs/fmnist
//
// Augmentation (a random 28px crop of the image padded by 2, and a left-right flip) is redrawn
// every epoch: the reader shuffles, and `max_instances_in_memory` makes the loader re-read the
// data each epoch instead of caching the first pass. `batches_per_epoch` tells the learning rate
// schedule the epoch length, which a lazy loader cannot know in advance.
local size = 28;
local normalize = { type: "normalize", mean: [0.286, 0.286, 0.286], std: [0.353, 0.353, 0.353] };
local train_images = 55000;
local batch_size = 128;
local labels = ["ankle-boot", "bag", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "t-shirt", "trouser"];

{
  dataset_reader: {
    type: "image_classification_directory",
    shuffle: true,
    transforms: [
      { type: "resize", size: [size, size] },
      { type: "random_crop", size: size, padding: 2 },
      { type: "horizontal_flip" },
      normalize,
    ],
  },
  validation_dataset_reader: {
    type: "image_classification_directory",
    transforms: [{ type: "resize", size: [size, size] }, normalize],
  },
  // The ten labels are known, so the vocabulary need not read 55,000 images first.
  vocabulary: { type: "from_instances", tokens_to_add: { labels: labels } },
  datasets_for_vocab_creation: [],
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "basic_image_classifier",
    im2im_encoder: { type: "small_cnn", stage_channels: [32, 64, 128], convs_per_stage: 2 },
    im2vec_encoder: { type: "global_pool", input_channels: 128, pooling: "avg_max" },
    dropout: 0.2,
    label_smoothing: 0.1,
  },
  data_loader: {
    batch_size: batch_size,
    shuffle: true,
    max_instances_in_memory: 4096,
    batches_per_epoch: std.floor(train_images / batch_size),
  },
  validation_data_loader: { batch_size: 256 },
  trainer: {
    optimizer: { type: "adamw", lr: 0.003, weight_decay: 0.05 },
    learning_rate_scheduler: { type: "warmup_cosine", warmup_steps: 200 },
    num_epochs: 15,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
