"use strict";
// The page: describe the model, take an image (picked or dropped), send it to /predict and show
// the prediction with renderers.js.

const byId = (id) => document.getElementById(id);
let textInputs = []; // the model's text inputs, from /info
let lastFile = null;

function showTextInputs(names) {
  textInputs = names;
  const fields = byId("text-fields");
  for (const name of names) {
    const label = document.createElement("label");
    label.textContent = name;
    const box = document.createElement("textarea");
    box.id = `text-${name}`;
    box.name = name;
    box.rows = 2;
    label.append(box);
    fields.append(label);
  }
  byId("text-inputs").hidden = names.length === 0;
}

function textValue() {
  if (textInputs.length === 1) return byId(`text-${textInputs[0]}`).value;
  return JSON.stringify(Object.fromEntries(textInputs.map((name) => [name, byId(`text-${name}`).value])));
}

async function describeModel() {
  try {
    const info = await (await fetch("info")).json();
    const size = info.input_size ? `${info.input_size[0]}×${info.input_size[1]} input` : "any input size";
    const labels = info.labels.length ? `${info.labels.length} labels` : null;
    byId("model-info").textContent = [info.model_type, `${info.predictor} predictor`, labels, size].filter(Boolean).join(" · ");
    document.title = `AllenCV: ${info.model_type}`;
    showTextInputs(info.text_inputs ?? []);
  } catch (error) {
    byId("model-info").textContent = `Could not load /info (${error}).`;
  }
}

function showError(message) {
  byId("error").textContent = message;
  byId("error").hidden = false;
}

function showImage(file) {
  const preview = byId("preview");
  const shown = new Promise((resolve) => {
    preview.onload = resolve;
    preview.onerror = resolve; // a format the browser cannot show (e.g. TIFF) is still predicted
  });
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  byId("viewer").hidden = false;
  return shown;
}

async function predict(file) {
  byId("error").hidden = true;
  byId("raw").hidden = true;
  byId("results").replaceChildren();
  const overlay = byId("overlay");
  overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  clearExplanation();
  byId("status").textContent = `Predicting ${file.name}…`;
  const shown = showImage(file);
  const form = new FormData();
  form.append("image", file);
  if (textInputs.length) form.append("text", textValue());
  lastFile = file;
  byId("predict-again").disabled = false;
  let response, body;
  try {
    response = await fetch("predict", { method: "POST", body: form });
    body = await response.json();
  } catch (error) {
    byId("status").textContent = file.name;
    showError(`The request failed (${error}).`);
    return;
  }
  await shown;
  if (!response.ok) {
    byId("status").textContent = `${file.name}: refused (HTTP ${response.status})`;
    showError(body.error ?? JSON.stringify(body));
    return;
  }
  byId("status").textContent = file.name;
  await renderPrediction(body, byId("preview"), overlay, byId("results"));
  await showExplanation(body, byId("preview"));
  byId("raw-json").textContent = JSON.stringify(body, null, 2);
  byId("raw").hidden = false;
}

function listen() {
  const zone = byId("drop-zone");
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.remove("dragging"); });
  }
  zone.addEventListener("drop", (event) => {
    const file = event.dataTransfer.files[0];
    if (file) predict(file);
  });
  byId("predict-again").addEventListener("click", () => { if (lastFile) predict(lastFile); });
  byId("file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) predict(file);
  });
}

listen();
describeModel();
