// The workspace's few behaviours htmx does not cover: focus, pressed tabs, copying a link.
// No inline handlers and no eval, so the page works under a strict Content-Security-Policy.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    // Keyboard and screen-reader users land on what they opened, not at the top of the page.
    if (event.detail.target && event.detail.target.id === "gallery-body") {
      var title = document.getElementById("gallery-title");
      if (title) { title.focus(); }
    }
  });

  document.addEventListener("htmx:targetError", function (event) {
    // A card outside the workspace (a model page's similar models) has no Gallery to fill:
    // follow its link instead.
    var link = event.target.closest && event.target.closest("a[href]");
    if (link) { window.location.href = link.href; }
  });

  document.addEventListener("click", function (event) {
    var tab = event.target.closest(".tab");
    if (tab) {
      tab.parentElement.querySelectorAll(".tab").forEach(function (other) {
        other.setAttribute("aria-pressed", other === tab ? "true" : "false");
      });
    }
    var copy = event.target.closest("[data-copy-target]");
    if (copy) {
      var input = document.getElementById(copy.getAttribute("data-copy-target"));
      if (!input) { return; }
      input.select();
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else {
        copy.textContent = "Selected: press Ctrl+C";
      }
    }
  });
})();
