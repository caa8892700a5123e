// The staff console's few behaviours, without inline script (the CSP forbids it):
//  - <form data-confirm="…"> asks before submitting;
//  - <main data-refresh="15"> (or any element) reloads the page every N seconds while no
//    field on it is being edited;
//  - <button data-add-row="template-id" data-into="container-id"> clones a <template>,
//    and <button data-remove-row> removes its .row-group.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) {
    const template = document.getElementById(add.getAttribute("data-add-row"));
    const into = document.getElementById(add.getAttribute("data-into"));
    const index = String(Date.now());
    const html = template.innerHTML.replaceAll("__i__", index);
    into.insertAdjacentHTML("beforeend", html);
    event.preventDefault();
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    remove.closest(".row-group").remove();
    event.preventDefault();
  }
});
const refreshing = document.querySelector("[data-refresh]");
if (refreshing) {
  const seconds = Number(refreshing.getAttribute("data-refresh")) || 15;
  setInterval(() => {
    // Never while the officer types or has a draft on the page (a reply, a note).
    const drafts = [...document.querySelectorAll("textarea, input[type=text], input:not([type])")]
      .some((field) => field.value.trim() !== "" && !field.readOnly);
    if (!drafts) window.location.reload();
  }, seconds * 1000);
}
