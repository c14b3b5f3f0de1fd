// Progressive enhancement only: every page works without this file.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

// After htmx swaps the player, tell assistive technology what changed:
// update the page title and move focus to the new heading (or the error summary).
document.body.addEventListener("htmx:afterSwap", () => {
  const region = document.getElementById("player");
  if (!region) {
    return;
  }
  if (region.dataset.pageTitle) {
    document.title = region.dataset.pageTitle;
  }
  initAll({ scope: region });
  const errorSummary = region.querySelector(".govuk-error-summary");
  const target = errorSummary || region.querySelector("h1");
  if (target) {
    if (!target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
    window.scrollTo(0, 0);
  }
});
