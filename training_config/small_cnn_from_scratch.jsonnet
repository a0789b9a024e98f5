// A small CNN trained from scratch on small images: Fashion-MNIST's 28x28 clothes, written as
// image folders by `python -m allencv.datasets.fashion_mnist data/fashion_mnist` (or by
// `benchmarks/fashion_mnist.py`, which also trains this config and reports test accuracy).
//
//   TRAIN_PATH=data/fashion_mnist/train VALIDATION_PATH=data/fashion_mnist/valid \
//   allennlp train training_config/small_cnn_from_scratch.jsonnet --include-package allencv -s runs/fmnist
//
// Measured on 2 CPU cores: 94.28% accuracy on the 10,000 test images after 49 minutes of training
// (tutorials/classification_recipes.md has the figures).
//
// Augmentation (a random 28px crop of the image padded by 2, and a left-right flip) is redrawn
// every epoch: AllenCV's `torch` data loader caches nothing (allennlp's default loader would
// reuse the first epoch's crops), and it knows the epoch length for the learning rate schedule.
local size = 28;
local normalize = { type: "normalize", mean: [0.286, 0.286, 0.286], std: [0.353, 0.353, 0.353] };
local batch_size = 128;
local labels = ["ankle-boot", "bag", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "t-shirt", "trouser"];

{
  dataset_reader: {
    type: "image_classification_directory",
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
  data_loader: { type: "torch", batch_size: batch_size, shuffle: true, num_workers: 1 },
  validation_data_loader: { batch_size: 256 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adamw", lr: 0.003, weight_decay: 0.05 },
    learning_rate_scheduler: { type: "warmup_cosine", warmup_steps: 200 },
    num_epochs: 15,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
