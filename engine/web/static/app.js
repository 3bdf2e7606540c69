// Small progressive enhancements; every form works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A red or amber rating needs a reason: mark the reason field required as soon as
  // one is chosen, so the browser asks before the form is sent.
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
});
