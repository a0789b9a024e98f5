#!/usr/bin/env bash
# The demo behind `make demo`: scikit-learn's digits written as image folders, the seed's
# classifier trained with `allennlp train`, then `allennlp evaluate` on the held-out test split
# and `allennlp predict` on a few test images. DEMO_TRAIN_OVERRIDES (a JSON object) overrides the
# training config: tests/test_demo_log.py trains a smaller model with it to check the log's length.
set -euo pipefail
OUT=${DEMO_DIR:-demo_output}
start=$(date +%s)

python -m allencv.datasets.digits "$OUT/digits"

TRAIN_PATH="$OUT/digits/train" VALIDATION_PATH="$OUT/digits/valid" \
  allennlp train training_config/digits_classifier.jsonnet \
  --include-package allencv -s "$OUT/model" --force -o "${DEMO_TRAIN_OVERRIDES:-}"

allennlp evaluate "$OUT/model/model.tar.gz" "$OUT/digits/test" \
  --include-package allencv --output-file "$OUT/test_metrics.json"

for digit in 0 3 7; do
  first=$(ls "$OUT/digits/test/$digit" | head -n 1)
  echo "{\"image_path\": \"$OUT/digits/test/$digit/$first\"}"
done > "$OUT/predict_input.jsonl"
allennlp predict "$OUT/model/model.tar.gz" "$OUT/predict_input.jsonl" \
  --include-package allencv --output-file "$OUT/predictions.jsonl" --batch-size 8 --silent

python - "$OUT" "$start" <<'PY'
import json, sys, time
out, start = sys.argv[1], int(sys.argv[2])
metrics = json.load(open(f"{out}/test_metrics.json"))
print("\nPredictions:")
for line in open(f"{out}/predictions.jsonl"):
    prediction = json.loads(line)
    print(f"  {prediction['image_path']}: {prediction['label']} (p={max(prediction['label_probs'].values()):.3f})")
print(f"\nHeld-out test accuracy: {metrics['accuracy']:.4f} on digits/test")
print(f"Demo wall time (data, train, evaluate, predict): {time.time() - start:.0f} s")
PY
