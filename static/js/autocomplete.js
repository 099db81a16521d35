// Turns each <select data-module="app-autocomplete"> into GOV.UK's accessible autocomplete
// (window.accessibleAutocomplete, loaded just before this by templates/includes/autocomplete.html).
// The select stays in the form, hidden, and carries the chosen value; without JavaScript it is used as it is.

const enhance = window.accessibleAutocomplete && window.accessibleAutocomplete.enhanceSelectElement;

for (const select of document.querySelectorAll('select[data-module="app-autocomplete"]')) {
  if (!enhance) break;
  const describedBy = select.getAttribute("aria-describedby");
  const hasError = select.getAttribute("aria-invalid") === "true";
  const chosen = select.options[select.selectedIndex];
  enhance({
    selectElement: select,
    defaultValue: chosen && chosen.value ? chosen.textContent : "",
    minLength: 1,
    // No inline completion: it adds a second, unlabelled input (axe: "Form elements must have labels").
    autoselect: false,
    showAllValues: false,
    displayMenu: "overlay",
    confirmOnBlur: false,
    placeholder: "",
    tNoResults: () => "No results found: check the spelling, or type part of the name",
    tStatusQueryTooShort: (minQueryLength) => `Type ${minQueryLength} or more characters for results`,
  });
  // The new input takes the select's id, so the label and the error summary's link point at it.
  const input = document.getElementById(select.id.replace(/-select$/, ""));
  if (input) {
    if (describedBy) {
      const own = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", own ? `${describedBy} ${own}` : describedBy);
    }
    if (hasError) input.classList.add("autocomplete__input--error");
  }
  // A cleared input clears the choice, so an emptied field is not sent with the old answer.
  if (input) {
    input.addEventListener("change", () => {
      if (!input.value) select.value = "";
    });
  }
}
