"use strict";
// How a prediction is shown. Each renderer draws the fields it knows when the prediction has them:
//   label_probs {label: probability}            classification: the top labels, with bars
//   boxes [[x1, y1, x2, y2], ...], in the sent image's pixels, with optional parallel `labels`
//     and `scores`                              detection: boxes over the image, and a list
//   keypoints [[[x, y], ...], ...], per box, with optional `keypoint_skeleton` [[i, j], ...]
//                                               keypoints: dots in the box's colour, joined by
//                                               white lines
//   masks [PNG base64 or COCO RLE {size, counts}, ...]
//                                               instance segmentation: one colour per mask
//   mask PNG base64 or COCO RLE, pixel value = class index (0 = background)
//                                               semantic segmentation: one colour per class
//   overlay PNG base64                          drawn over the image as it is
// A PNG may also be given as a data URL.

const PALETTE = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [255, 225, 25],
];
const TOP_K = 5;
const MASK_ALPHA = 110;

const colour = (index, alpha = 1) => {
  const [r, g, b] = PALETTE[index % PALETTE.length];
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function renderPrediction(prediction, image, canvas, results) {
  canvas.width = image.naturalWidth || 1;
  canvas.height = image.naturalHeight || 1;
  const context = canvas.getContext("2d");
  if (prediction.label_probs) renderLabelBars(prediction, results);
  if (prediction.mask) await drawMask(context, prediction.mask, (value) => (value ? value - 1 : null));
  if (Array.isArray(prediction.masks)) {
    for (const [index, mask] of prediction.masks.entries()) await drawMask(context, mask, (value) => (value ? index : null));
  }
  if (prediction.overlay) await drawOverlay(context, prediction.overlay);
  if (Array.isArray(prediction.boxes)) drawBoxes(context, prediction);
  if (Array.isArray(prediction.keypoints)) drawKeypoints(context, prediction);
  const instances = Array.isArray(prediction.boxes) ? prediction.boxes.length : Array.isArray(prediction.masks) ? prediction.masks.length : 0;
  if (instances) renderInstanceList(prediction, instances, results);
}

function renderLabelBars(prediction, results) {
  const ranked = Object.entries(prediction.label_probs).sort((a, b) => b[1] - a[1]).slice(0, TOP_K);
  const top = element("p", null, prediction.label ?? ranked[0][0]);
  top.id = "top-label";
  results.append(top);
  for (const [name, probability] of ranked) {
    const row = element("div", "bar-row");
    const track = element("div", "bar-track");
    const fill = element("div", "bar-fill");
    fill.style.width = `${(100 * probability).toFixed(1)}%`;
    track.append(fill);
    row.append(element("span", "bar-name", name), track, element("span", "bar-value", `${(100 * probability).toFixed(1)}%`));
    results.append(row);
  }
}

function caption(prediction, index) {
  const label = Array.isArray(prediction.labels) ? prediction.labels[index] : `#${index + 1}`;
  const score = Array.isArray(prediction.scores) ? ` ${(100 * prediction.scores[index]).toFixed(0)}%` : "";
  return `${label}${score}`;
}

function drawBoxes(context, prediction) {
  const lineWidth = Math.max(2, Math.round(context.canvas.width / 200));
  const fontSize = lineWidth * 7;
  context.lineWidth = lineWidth;
  context.font = `${fontSize}px system-ui, sans-serif`;
  prediction.boxes.forEach(([x1, y1, x2, y2], index) => {
    context.strokeStyle = colour(index);
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
  });
  // Labels after every box, so no box line crosses one; each placed by placeLabel.
  const placed = [];
  prediction.boxes.forEach((box, index) => {
    const text = caption(prediction, index);
    const label = placeLabel(box, context.measureText(text).width + 6, fontSize + 4, context.canvas, placed);
    placed.push(label);
    context.fillStyle = colour(index);
    context.fillRect(label.x, label.y, label.width, label.height);
    context.fillStyle = "#fff";
    context.fillText(text, label.x + 3, label.y + fontSize);
  });
}

// A label's rectangle for a box: above it, else below it (outside the box either way, so a small
// object stays visible), else inside its top; moved inside the canvas where it would be cut off,
// and down past the labels already placed so that none covers another.
function placeLabel([x1, y1, x2, y2], width, height, canvas, placed) {
  const x = Math.min(Math.max(0, x1), Math.max(0, canvas.width - width));
  const fits = (y) => y >= 0 && y + height <= canvas.height;
  const free = (y) => !placed.some((other) =>
    x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height);
  const candidates = [y1 - height, y2, y1].filter(fits);
  if (candidates.length === 0) candidates.push(Math.min(Math.max(0, y1), Math.max(0, canvas.height - height)));
  let y = candidates.find(free);
  if (y === undefined) {
    y = candidates[0];
    while (!free(y) && y + height < canvas.height) y += 1;
  }
  return { x, y, width, height };
}

function drawKeypoints(context, prediction) {
  const radius = Math.max(2, Math.round(context.canvas.width / 160));
  const skeleton = Array.isArray(prediction.keypoint_skeleton) ? prediction.keypoint_skeleton : [];
  context.lineWidth = Math.max(1, radius / 2);
  context.strokeStyle = "#fff";
  prediction.keypoints.forEach((points, index) => {
    for (const [first, second] of skeleton) {
      if (!points[first] || !points[second]) continue;
      context.beginPath();
      context.moveTo(...points[first]);
      context.lineTo(...points[second]);
      context.stroke();
    }
    context.fillStyle = colour(index);
    for (const [x, y] of points) {
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.fill();
    }
  });
}

function renderInstanceList(prediction, count, results) {
  const list = element("ul", "instances");
  for (let index = 0; index < count; index++) {
    const item = element("li");
    const swatch = element("span", "legend-swatch");
    swatch.style.background = colour(index);
    item.append(swatch, caption(prediction, index));
    list.append(item);
  }
  results.append(element("p", null, `${count} found`), list);
}

const asDataUrl = (png) => (png.startsWith("data:") ? png : `data:image/png;base64,${png}`);

async function loadImage(png) {
  const image = new Image();
  image.src = asDataUrl(png);
  await image.decode();
  return image;
}

// {width, height, values}: one value per pixel, row by row, from a PNG (its first channel) or RLE.
async function maskValues(mask) {
  if (typeof mask !== "string") return decodeRle(mask);
  const image = await loadImage(mask);
  const canvas = element("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const values = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < values.length; i++) values[i] = rgba[4 * i];
  return { width: canvas.width, height: canvas.height, values };
}

// COCO run-length encoding: alternating runs of 0s and 1s, column by column.
function decodeRle(rle) {
  const [height, width] = rle.size;
  const counts = typeof rle.counts === "string" ? countsFromString(rle.counts) : rle.counts;
  const values = new Uint8Array(height * width);
  let position = 0;
  counts.forEach((count, run) => {
    if (run % 2) {
      for (let i = position; i < position + count; i++) values[(i % height) * width + Math.floor(i / height)] = 1;
    }
    position += count;
  });
  return { width, height, values };
}

// pycocotools' compressed counts string (rleFrString in maskApi.c).
function countsFromString(text) {
  const counts = [];
  let position = 0;
  while (position < text.length) {
    let value = 0, shift = 0, more = true;
    while (more) {
      const code = text.charCodeAt(position++) - 48;
      value |= (code & 0x1f) << (5 * shift++);
      more = Boolean(code & 0x20);
      if (!more && (code & 0x10)) value |= -1 << (5 * shift);
    }
    if (counts.length > 2) value += counts[counts.length - 2];
    counts.push(value);
  }
  return counts;
}

async function drawMask(context, mask, colourIndexOf) {
  const { width, height, values } = await maskValues(mask);
  const pixels = new ImageData(width, height);
  values.forEach((value, i) => {
    const index = colourIndexOf(value);
    if (index === null) return;
    const [r, g, b] = PALETTE[index % PALETTE.length];
    pixels.data.set([r, g, b, MASK_ALPHA], 4 * i);
  });
  const layer = element("canvas");
  layer.width = width;
  layer.height = height;
  layer.getContext("2d").putImageData(pixels, 0, 0);
  context.drawImage(layer, 0, 0, context.canvas.width, context.canvas.height);
}

async function drawOverlay(context, png) {
  const image = await loadImage(png);
  context.globalAlpha = 0.6;
  context.drawImage(image, 0, 0, context.canvas.width, context.canvas.height);
  context.globalAlpha = 1;
}
