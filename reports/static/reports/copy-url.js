// Copies a report's exact URL to the clipboard; the page never renders it as a link.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy-url]");
  if (!button) return;
  var status = button.parentElement.querySelector(".copy-status");
  navigator.clipboard.writeText(button.dataset.copyUrl).then(
    function () { if (status) status.textContent = "Copied."; },
    function () { if (status) status.textContent = "Copy failed: select the URL by hand."; }
  );
});
