// The seed tutorial's image classifier: a pretrained ResNet-50, pooled and flattened, fine-tuned
// on an image folder laid out as <split>/<label>/<image> (e.g. PetImages/train/Cat/1.jpg).
//
//   TRAIN_PATH=data/PetImages/train VALIDATION_PATH=data/PetImages/val \
//   allennlp train training_config/image_classifier.jsonnet --include-package allencv -s runs/pets
//
// Runs on the first GPU when there is one, else on the CPU. The ImageNet weights come through
// torchvision's cache ($TORCH_HOME/hub/checkpoints); offline, put resnet50-11ad3fa6.pth there.
local imagenet_normalize = { type: "normalize", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

{
  dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "random_resized_crop", size: 224 },
      { type: "horizontal_flip" },
      imagenet_normalize,
    ],
  },
  validation_dataset_reader: {
    type: "image_classification_directory",
    transforms: [
      { type: "resize", size: 256 },
      { type: "center_crop", size: 224 },
      imagenet_normalize,
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
      resnet_model: "resnet50",
      requires_grad: true,
    },
    im2vec_encoder: {
      type: "flatten",
      input_channels: 2048,
      input_height: 1,
      input_width: 1,
    },
  },
  data_loader: { batch_size: 32, shuffle: true },
  validation_data_loader: { batch_size: 64 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.0001 },
    num_epochs: 5,
    validation_metric: "+accuracy",
  },
}
