// The studio page: paints the label map, sends each edit to the server, shows the synthesized photo.
// One session per browser tab (its id lives in sessionStorage); the server autosaves it.

const $ = (id) => document.getElementById(id);
const sid = sessionStorage.getItem("studio-sid") ?? crypto.randomUUID();
sessionStorage.setItem("studio-sid", sid);

let info = null; // classes, styles per class, dataset, limits
let state = null; // the session's state (ids, size, undo/redo)
let label = null, inst = null, geometryId = -1; // the maps, as last read
let currentClass = 7; // road
let tool = "brush";
let selected = null; // { id, classId, className, box, cluster }
let placing = null; // "duplicate" | "move" while waiting for the destination click
let stroke = null; // points of the brush stroke being drawn
let activity = "working", busyTimer = null;
let busy = 0, editSeq = 0, appliedSeq = 0, renderSeq = 0, imageUrl = null;

function url(path, params = {}) {
  return `/api/${path}?` + new URLSearchParams({ sid, ...params });
}

async function call(path, options = {}, params = {}) {
  const response = await fetch(url(path, params), options);
  if (!response.ok) {
    const text = await response.text();
    let error = text;
    try {
      error = JSON.parse(text).error ?? text;
    } catch { /* plain text */ }
    throw Object.assign(new Error(error), { status: response.status });
  }
  return response;
}

function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = busy > 0 ? "1" : "0";
  $("busy").hidden = busy === 0;
  if (busy > 0 && !busyTimer) {
    const since = performance.now();
    const tick =
      () => ($("busy").textContent = `${activity}… ${((performance.now() - since) / 1000).toFixed(1)} s`);
    tick();
    busyTimer = setInterval(tick, 100);
  } else if (busy === 0) {
    clearInterval(busyTimer);
    busyTimer = null;
  }
}

function say(text, error = false) {
  $("message").textContent = text;
  $("message").className = error ? "error" : "";
}

function classLabel(id) {
  return `${id} ${info.classes[id]?.name ?? ""}`;
}

// ---- drawing -------------------------------------------------------------------------------------

function drawLabel() {
  const canvas = $("label-canvas"), { width, height } = state;
  const image = new ImageData(width, height);
  for (let p = 0; p < label.length; p++) {
    const [r, g, b] = info.classes[label[p]]?.color ?? [0, 0, 0];
    image.data.set([r, g, b, 255], p * 4);
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

function drawOverlay() {
  const overlay = $("overlay"), { width, height } = state, ctx = overlay.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  if (!selected) return;
  const image = ctx.createImageData(width, height), id = selected.id;
  for (let p = 0; p < inst.length; p++) {
    if (inst[p] !== id) continue;
    const x = p % width;
    const edge = x === 0 || x === width - 1 || p < width || p >= inst.length - width ||
      inst[p - 1] !== id || inst[p + 1] !== id || inst[p - width] !== id || inst[p + width] !== id;
    image.data.set(edge ? [255, 235, 59, 255] : [255, 255, 255, 70], p * 4);
  }
  ctx.putImageData(image, 0, 0);
}

function drawStroke() {
  const ctx = $("overlay").getContext("2d"), [r, g, b] = info.classes[currentClass].color;
  ctx.fillStyle = `rgb(${r},${g},${b})`;
  const radius = Number($("brush-size").value);
  for (const [x, y] of stroke.slice(-2)) {
    ctx.beginPath();
    ctx.arc(x + 0.5, y + 0.5, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function resize(width, height) {
  const shown = width <= 384 ? width * 2 : Math.min(width, 768);
  for (const id of ["label-canvas", "overlay"]) {
    Object.assign($(id), { width, height });
    $(id).style.width = `${shown}px`;
  }
  $("synth-image").style.width = `${shown}px`;
}

// ---- state from the server -----------------------------------------------------------------------

async function refresh(next) {
  state = next;
  $("undo").disabled = !state.canUndo;
  $("redo").disabled = !state.canRedo;
  $("source").textContent = state.source;
  $("label-canvas").dataset.state = String(state.stateId);
  const geometryChanged = state.geometryId !== geometryId;
  if (geometryChanged) {
    const maps = new Uint16Array(await (await call("maps")).arrayBuffer());
    const n = state.width * state.height;
    const canvas = $("label-canvas");
    if (canvas.width !== state.width || canvas.height !== state.height) resize(state.width, state.height);
    label = maps.subarray(0, n);
    inst = maps.subarray(n);
    geometryId = state.geometryId;
    drawLabel();
  }
  render();
  if (selected && inst.includes(selected.id)) await select(selected.id, geometryChanged || !selected.box);
  else showSelection(null);
}

/** Shows a rendered PNG; false when a newer edit made it stale. */
async function show(response, mine) {
  const blob = await response.blob();
  if (mine !== renderSeq) return false; // a newer edit wants a newer image
  const img = $("synth-image"), old = imageUrl;
  imageUrl = URL.createObjectURL(blob);
  await new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = reject;
    img.src = imageUrl;
  });
  img.title = `rendered in ${response.headers.get("x-render-ms")} ms`;
  if (old) URL.revokeObjectURL(old);
  return true;
}

async function render() {
  const mine = ++renderSeq, wanted = state.stateId, img = $("synth-image");
  setBusy(1);
  try {
    if (state.preview) { // a quick low-resolution image first
      activity = `preview at width ${state.preview}`;
      if (!(await show(await call("render", {}, { state: wanted, preview: 1 }), mine))) return;
      img.dataset.preview = String(wanted);
      delete img.dataset.state;
      activity = `rendering ${state.width}×${state.height}`;
    }
    if (!(await show(await call("render", {}, { state: wanted }), mine))) return;
    img.dataset.state = String(wanted);
    delete img.dataset.preview;
  } catch (error) {
    if (error.status !== 409) say(error.message, true); // 409: stale, dropped
  } finally {
    activity = "working";
    setBusy(-1);
  }
}

async function edit(op) {
  const mine = ++editSeq;
  setBusy(1);
  try {
    const next = await (await call("edit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(op),
    })).json();
    if (mine < appliedSeq) return;
    appliedSeq = mine;
    if (["relabel", "duplicate", "move"].includes(op.op)) selected = { id: next.selected }; // the new object
    else if (op.op === "remove") selected = null;
    const done = {
      undo: "undone",
      redo: `redone: ${next.last}`,
      reset: "back to the scene as opened",
      fill: `fill with ${info.classes[op.class]?.name}`,
      duplicate: `duplicated as instance ${next.selected}`,
      move: `moved: now instance ${next.selected}`,
    };
    say(done[op.op] ?? next.last);
    await refresh(next);
  } catch (error) {
    say(error.message, true);
    drawOverlay();
  } finally {
    setBusy(-1);
  }
}

async function open(body, headers = {}) {
  setBusy(1);
  try {
    const next = await (await call("open", { method: "POST", body, headers })).json();
    selected = null;
    geometryId = -1;
    say(`opened ${next.source}`);
    await refresh(next);
  } catch (error) {
    say(error.message, true);
  } finally {
    setBusy(-1);
  }
}

// ---- selection -----------------------------------------------------------------------------------

async function select(id, loadStyles = true) {
  try {
    const instance = await (await call("instance", {}, { id })).json();
    selected = instance;
    showSelection(instance);
    const current = (canvas) =>
      canvas.classList.toggle("current", canvas.dataset.testid === `style-${instance.cluster}`);
    if (loadStyles) await showStyles(instance);
    else [...$("styles").children].forEach(current);
  } catch (error) {
    say(error.message, true);
  }
}

function showSelection(instance) {
  if (!instance) selected = null;
  $("selection").hidden = !instance;
  if (instance) {
    $("selection-name").textContent = `${instance.className || instance.classId} (instance ${instance.id})`;
    $("relabel-to").textContent = info.classes[currentClass].name;
  }
  drawOverlay();
}

async function showStyles(instance) {
  const box = $("styles");
  const count = info.styles[instance.classId] ?? 0;
  $("styles-box").hidden = count === 0;
  if (count === 0) return box.replaceChildren();
  setBusy(1);
  try {
    const response = await call("styles", {}, { id: instance.id, state: state.stateId });
    const strip = await createImageBitmap(await response.blob());
    if (selected?.id !== instance.id) return;
    const n = Number(response.headers.get("x-style-count")), w = strip.width / n;
    box.replaceChildren(...Array.from({ length: n }, (_, k) => {
      const canvas = Object.assign(document.createElement("canvas"), { width: w, height: strip.height });
      canvas.getContext("2d").drawImage(strip, k * w, 0, w, strip.height, 0, 0, w, strip.height);
      canvas.dataset.testid = `style-${k}`;
      canvas.title = `style ${k}`;
      canvas.classList.toggle("current", instance.cluster === k);
      canvas.onclick = () => edit({ op: "style", id: selected.id, cluster: k });
      return canvas;
    }));
  } catch (error) {
    if (error.status !== 409) say(error.message, true);
  } finally {
    setBusy(-1);
  }
}

// ---- palette and tools ---------------------------------------------------------------------------

function setClass(id) {
  currentClass = id;
  for (const li of $("palette").children) li.classList.toggle("current", Number(li.dataset.id) === id);
  $("relabel-to").textContent = info.classes[id].name;
}

function pixelOf(event) {
  const canvas = $("label-canvas"), rect = canvas.getBoundingClientRect();
  const x = Math.floor(((event.clientX - rect.left) / rect.width) * canvas.width);
  const y = Math.floor(((event.clientY - rect.top) / rect.height) * canvas.height);
  return [Math.min(Math.max(x, 0), canvas.width - 1), Math.min(Math.max(y, 0), canvas.height - 1)];
}

function onPointerDown(event) {
  if (!state) return;
  const [x, y] = pixelOf(event), p = y * state.width + x;
  if (placing && selected?.box) {
    const { box } = selected;
    const dx = x - Math.floor(box.x + box.width / 2), dy = y - Math.floor(box.y + box.height / 2);
    edit({ op: placing, id: selected.id, dx, dy });
    placing = null;
    return;
  }
  if (tool === "brush") {
    stroke = [[x, y]];
    $("label-canvas").setPointerCapture(event.pointerId);
    drawStroke();
  } else if (tool === "fill") {
    edit({ op: "fill", class: currentClass, x, y });
  } else if (tool === "eyedropper") {
    setClass(label[p]);
    say(`picked class ${classLabel(label[p])}`);
  } else if (tool === "select") {
    select(inst[p]);
  }
}

function onPointerMove(event) {
  if (!stroke) return;
  const [x, y] = pixelOf(event), [px, py] = stroke.at(-1);
  if (x === px && y === py) return;
  const steps = Math.max(Math.abs(x - px), Math.abs(y - py));
  for (let i = 1; i <= steps; i++) {
    stroke.push([Math.round(px + ((x - px) * i) / steps), Math.round(py + ((y - py) * i) / steps)]);
  }
  drawStroke();
}

function onPointerUp() {
  if (!stroke) return;
  const points = stroke;
  stroke = null;
  edit({ op: "paint", class: currentClass, points, radius: Number($("brush-size").value) });
}

async function upload(files) {
  const list = [...files];
  if (list.length === 0) return;
  const tooBig = list.find((f) => f.size > info.maxUploadBytes);
  if (tooBig) {
    const mib = (n) => (n / 2 ** 20).toFixed(1);
    return say(
      `${tooBig.name}: upload too large (${mib(tooBig.size)} MiB): the studio accepts at most ${
        mib(info.maxUploadBytes)
      } MiB`,
      true,
    );
  }
  const instFile = list.length > 1 ? list.find((f) => /inst/i.test(f.name)) ?? list[1] : null;
  const labelFile = list.find((f) => f !== instFile);
  const form = new FormData();
  form.append("label", labelFile);
  if (instFile) form.append("inst", instFile);
  await open(form);
}

async function start() {
  info = await (await fetch("/api/info")).json();
  $("model").textContent = info.model;
  $("palette").replaceChildren(...info.classes.map((c) => {
    const li = document.createElement("li");
    li.dataset.id = String(c.id);
    li.dataset.testid = `class-${c.id}`;
    const swatch = Object.assign(document.createElement("span"), { className: "swatch" });
    swatch.style.background = `rgb(${c.color.join(",")})`;
    li.append(swatch, `${c.id} ${c.name}`);
    li.onclick = () => setClass(c.id);
    return li;
  }));
  $("dataset").replaceChildren(
    ...info.dataset.map((name) =>
      Object.assign(document.createElement("option"), { value: name, textContent: name })
    ),
  );
  setClass(currentClass);
  $("save-scene").href = url("scene.zip");
  $("download").href = url("image.png");

  const canvas = $("label-canvas");
  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  for (const radio of document.querySelectorAll("input[name=tool]")) {
    radio.addEventListener("change", () => (tool = radio.value));
  }
  $("brush-size").addEventListener(
    "input",
    () => ($("brush-size-value").textContent = $("brush-size").value),
  );
  $("undo").onclick = () => edit({ op: "undo" });
  $("redo").onclick = () => edit({ op: "redo" });
  $("reset").onclick = () => edit({ op: "reset" });
  $("open-dataset").onclick = () =>
    open(JSON.stringify({ dataset: $("dataset").value }), { "content-type": "application/json" });
  $("upload").addEventListener("change", async (event) => {
    await upload(event.target.files);
    event.target.value = "";
  });
  $("relabel").onclick = () => edit({ op: "relabel", id: selected.id, class: currentClass });
  $("delete").onclick = () => edit({ op: "remove", id: selected.id });
  $("random-style").onclick = () => edit({ op: "style", id: selected.id, random: true });
  for (const op of ["duplicate", "move"]) {
    $(op).onclick = () => {
      placing = op;
      say(`click where the ${op === "move" ? "object goes" : "copy goes"} (its centre)`);
    };
  }
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (key === "z" || key === "y") {
      event.preventDefault();
      edit({ op: key === "y" || event.shiftKey ? "redo" : "undo" });
    }
  });
  await refresh(await (await call("state")).json());
}

start().catch((error) => say(`cannot start: ${error.message}`, true));
