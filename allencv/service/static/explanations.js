"use strict";
// The "why?" toggle. A prediction from a predictor with `explain` on (`allennlp serve ...
// --predictor-args '{"explain": true}'`) holds `heatmap`, a greyscale PNG of the Grad-CAM of its
// `explained_label` (0 to 255, in the sent image's pixels, or scaled to them); the toggle draws it
// over the image on its own canvas, yellow to red and more opaque where the CAM is higher.
// Uses `maskValues` and `element` from renderers.js.

const HEATMAP_MAX_ALPHA = 180;
let shownHeatmap = null; // the current prediction's heatmap PNG, or null

function clearExplanation() {
  shownHeatmap = null;
  document.getElementById("why").hidden = true;
  const canvas = document.getElementById("heatmap");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

async function showExplanation(prediction, image) {
  shownHeatmap = typeof prediction.heatmap === "string" ? prediction.heatmap : null;
  const why = document.getElementById("why");
  why.hidden = shownHeatmap === null;
  document.getElementById("why-label").textContent = prediction.explained_label ? `why ${prediction.explained_label}?` : "why?";
  const canvas = document.getElementById("heatmap");
  canvas.width = image.naturalWidth || 1;
  canvas.height = image.naturalHeight || 1;
  await drawHeatmap();
}

async function drawHeatmap() {
  const canvas = document.getElementById("heatmap");
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (shownHeatmap === null || !document.getElementById("why-toggle").checked) return;
  const { width, height, values } = await maskValues(shownHeatmap);
  const pixels = new ImageData(width, height);
  values.forEach((value, i) => {
    // value 0..255: yellow (255, 255, 0) at 0 to red (255, 0, 0) at the peak
    pixels.data.set([255, 255 - value, 0, Math.round((HEATMAP_MAX_ALPHA * value) / 255)], 4 * i);
  });
  const layer = element("canvas");
  layer.width = width;
  layer.height = height;
  layer.getContext("2d").putImageData(pixels, 0, 0);
  context.drawImage(layer, 0, 0, canvas.width, canvas.height);
}

document.getElementById("why-toggle").addEventListener("change", drawHeatmap);
