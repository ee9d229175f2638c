// Resumable, chunked upload of one file to a model version through /api/uploads/.
// A dropped connection or a reload resumes from the server's offset (the session id is kept
// in localStorage under the file's name, size and date).
(function () {
  "use strict";
  const CHUNK = 8 * 1024 * 1024;
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const versionId = form.dataset.version;

  function say(text) { status.textContent = text; }

  async function api(url, options) {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(url, { credentials: "same-origin", ...options,
          headers: { "X-CSRFToken": csrf, ...(options.headers || {}) } });
        if (response.status >= 500 && attempt < 5) throw new Error("server error " + response.status);
        return response;
      } catch (error) {
        if (attempt >= 5) throw error;
        say("Connection problem, retrying… (" + error.message + ")");
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  async function problem(response) {
    try { const body = await response.json(); return body.detail || body.title; }
    catch (e) { return "HTTP " + response.status; }
  }

  async function openSession(file) {
    const key = ["hubgate-upload", versionId, file.name, file.size, file.lastModified].join(":");
    const known = localStorage.getItem(key);
    if (known) {
      const response = await api("/api/uploads/" + known + "/", { method: "GET" });
      if (response.ok) {
        const session = await response.json();
        if (session.status === "open") return { session, key };
      }
    }
    const response = await api("/api/uploads/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ filename: file.name, size: file.size, version: Number(versionId) }),
    });
    if (!response.ok) throw new Error(await problem(response));
    const session = await response.json();
    localStorage.setItem(key, session.id);
    return { session, key };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) { say("Choose a file first."); return; }
    form.querySelector("button").disabled = true;
    try {
      const { session, key } = await openSession(file);
      const url = "/api/uploads/" + session.id + "/";
      let offset = session.offset;
      while (offset < file.size) {
        bar.value = offset / file.size;
        say("Uploading… " + Math.floor((100 * offset) / file.size) + "%");
        const response = await api(url, {
          method: "PATCH",
          headers: { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
          body: file.slice(offset, offset + CHUNK),
        });
        if (response.status === 409) {
          const head = await api(url, { method: "HEAD" });
          offset = Number(head.headers.get("Upload-Offset"));
          continue;
        }
        if (!response.ok) throw new Error(await problem(response));
        offset = Number(response.headers.get("Upload-Offset"));
      }
      bar.value = 1;
      say("Verifying and storing…");
      const done = await api(url + "complete/", { method: "POST" });
      if (!done.ok) throw new Error(await problem(done));
      localStorage.removeItem(key);
      const body = await done.json();
      say("Stored (SHA256 " + body.blob.sha256 + "); scan " + body.blob.verdict + ". Reloading…");
      setTimeout(() => { window.location = form.dataset.next; }, 1200);
    } catch (error) {
      say("Upload failed: " + error.message);
      form.querySelector("button").disabled = false;
    }
  });
})();
