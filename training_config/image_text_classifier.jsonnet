// Classifies an image together with its caption: the generated caption-match task, where the
// label says whether the caption describes the image (neither the image nor the caption alone
// says anything about it). Write the data, then train:
//
//   python -m allencv.datasets.caption_match data/caption_match
//   TRAIN_PATH=data/caption_match/train.jsonl VALIDATION_PATH=data/caption_match/valid.jsonl \
//   allennlp train training_config/image_text_classifier.jsonnet --include-package allencv -s runs/caption_match
//
// The baselines switch a modality off with the same config:
//   --overrides '{"model.use_image": false}'   (text only)
//   --overrides '{"model.use_text": false}'    (image only)
// benchmarks/caption_match.py trains all three and reports held-out accuracy.
//
// A small CNN reads the image and a bag of word embeddings reads the caption; the bilinear fusion
// multiplies their projections, which is what telling a match from a mismatch takes
// (tutorials/images_and_text.md swaps in a pretrained transformer and a pretrained CNN).
local size = 32;
local normalize = { type: "normalize", mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
local reader = {
  type: "image_text_manifest",
  text_columns: ["caption"],
  tokenizer: { type: "whitespace" },
  token_indexers: { tokens: { type: "single_id", lowercase_tokens: true } },
  transforms: [{ type: "resize", size: [size, size] }, normalize],
};

{
  dataset_reader: reader,
  train_data_path: std.extVar("TRAIN_PATH"),
  validation_data_path: std.extVar("VALIDATION_PATH"),
  vocabulary: { type: "sorted_labels" },
  datasets_for_vocab_creation: ["train"],
  model: {
    type: "image_text_classifier",
    im2im_encoder: { type: "small_cnn", stage_channels: [16, 32, 64], convs_per_stage: 1 },
    im2vec_encoder: { type: "global_pool", input_channels: 64, pooling: "avg_max" },
    text_field_embedders: {
      caption: { token_embedders: { tokens: { type: "embedding", embedding_dim: 32 } } },
    },
    seq2vec_encoders: { caption: { type: "boe", embedding_dim: 32, averaged: true } },
    fusion: { type: "bilinear", hidden_dim: 64 },
    feedforward: { input_dim: 64, num_layers: 1, hidden_dims: 64, activations: "relu" },
    use_image: true,
    use_text: true,
  },
  data_loader: { type: "torch", batch_size: 64, shuffle: true },
  validation_data_loader: { type: "torch", batch_size: 256 },
  evaluation: { type: "summary" },
  trainer: {
    // console_metrics replaces allennlp's console_logger: a shorter log.
    enable_default_callbacks: false,
    callbacks: [{ type: "console_metrics" }, { type: "metrics_summary" }, { type: "training_curves" }],
    optimizer: { type: "adam", lr: 0.003 },
    num_epochs: 12,
    validation_metric: "+accuracy",
    cuda_device: -1,
  },
}
