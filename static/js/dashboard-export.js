// 导出任务: polls the job's JSON status and moves the progress bar until the file is ready, then
// shows the download link. Without JavaScript the page reloads itself (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector(".job-progress-text");
  var label = box.querySelector(".job-status");
  var error = box.querySelector(".job-error");
  var download = box.querySelector(".job-download");
  var waiting = box.querySelector(".job-waiting");
  var delay = 1000;

  function show(state) {
    bar.value = state.progress;
    bar.textContent = state.progress + "%";
    text.textContent = state.progress + "%";
    label.textContent = state.status_label;
    box.setAttribute("data-status", state.status);
    if (state.error) { error.textContent = state.error; error.hidden = false; }
    if (state.download_url) {
      download.querySelector("a").href = state.download_url;
      download.hidden = false;
    }
    if (state.finished && waiting) { waiting.hidden = true; }
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        show(state);
        if (!state.finished) {
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  if (box.getAttribute("data-status") === "queued" || box.getAttribute("data-status") === "running") {
    window.setTimeout(poll, delay);
  }
}());
