// Small progressive enhancements; every form works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A red or amber rating needs a reason: mark the reason field required as soon as
  // one is chosen, so assistive technology announces it. The server checks it either
  // way, and a refused form lists the problem at the top and beside the field.
  document.querySelectorAll("select[data-reason]").forEach((select) => {
    const reason = document.getElementById(select.dataset.reason);
    if (!reason) return;
    const sync = () => {
      reason.required = select.value === "red" || select.value === "amber";
    };
    select.addEventListener("change", sync);
    sync();
  });
  document.querySelectorAll("input.copy").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
  // A refused form: the focus starts on the list of problems, so a screen reader reads
  // it first and a keyboard user is one Tab from the first link.
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
  // A problem's link takes the focus to its field, not only the view (GOV.UK's pattern).
  document.querySelectorAll(".error-summary a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      const details = field.closest("details");
      if (details) details.open = true;
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  });
});
