// `make demo`: the seed's classifier (ResNet + flatten) trained from scratch on scikit-learn's
// digits, written as image folders by `python -m allencv.datasets.digits`.
//
//   TRAIN_PATH=demo/digits/train VALIDATION_PATH=demo/digits/valid \
//   allennlp train training_config/digits_classifier.jsonnet --include-package allencv -s demo/model
local normalize = { type: "normalize", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "resize", size: 24 },
      normalize,
    ],
  },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  // Labels in sorted order, from the training data only (see tutorials/robustness.md).
  vocabulary: { type: "sorted_labels" },
  datasets_for_vocab_creation: ["train"],
  model: {
    type: "basic_image_classifier",
    im2im_encoder: {
      type: "pretrained_resnet",
      resnet_model: "resnet18",
      weights: null,
    },
    im2vec_encoder: {
      type: "flatten",
      input_channels: 512,
      input_height: 1,
      input_width: 1,
    },
  },
  data_loader: { batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 128 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.002 },
    num_epochs: 6,
    learning_rate_scheduler: { type: "linear_with_warmup", warmup_steps: 20 },
    validation_metric: "+accuracy",
  },
}
