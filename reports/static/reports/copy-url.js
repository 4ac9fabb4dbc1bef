// Copies a report's exact URL to the clipboard; the page never renders it as a link.
// A copy button that waits hidden for this script (the answer page: without JavaScript the URL
// is copied from its read-only field) is shown; the status texts may come translated from the
// page (data-copied, data-copy-failed).
document.querySelectorAll("[data-copy-url][hidden]").forEach(function (button) {
  button.hidden = false;
});
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-url]");
  if (!button) return;
  var status = button.parentElement.querySelector(".copy-status");
  function say(text) { if (status) status.textContent = text; }
  navigator.clipboard.writeText(button.dataset.copyUrl).then(
    function () { say((status && status.dataset.copied) || "Copied."); },
    function () { say((status && status.dataset.copyFailed) || "Copy failed: select the URL by hand."); }
  );
});
