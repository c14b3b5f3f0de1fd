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

// Long selects (countries, units) marked data-app-autocomplete become GOV.UK accessible-autocomplete fields:
// type a few letters, pick from the list. The select stays in the page (hidden) and is what the form submits;
// without JavaScript it is an ordinary select.
function enhanceSelects(scope) {
  if (!window.accessibleAutocomplete) {
    return;
  }
  scope.querySelectorAll("select[data-app-autocomplete]").forEach((select) => {
    if (select.dataset.appAutocompleteDone) {
      return;
    }
    select.dataset.appAutocompleteDone = "true";
    window.accessibleAutocomplete.enhanceSelectElement({ selectElement: select, defaultValue: "" });
  });
}

// A field emptied by the user means "none" (the select's empty option), whatever was chosen before.
document.addEventListener("submit", (event) => {
  event.target.querySelectorAll("select[data-app-autocomplete]").forEach((select) => {
    const input = document.getElementById(select.id.replace(/-select$/, ""));
    if (input && input !== select && input.value.trim() === "") {
      select.value = "";
    }
  });
}, true);

enhanceSelects(document);
document.body.addEventListener("htmx:afterSwap", (event) => enhanceSelects(event.target));
