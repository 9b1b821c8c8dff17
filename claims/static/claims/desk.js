/* The desk's conversation: post a comment with fetch() and swap in the answered section, so
   the review form above keeps whatever was typed in it and not saved yet. Without this
   script the form posts normally and the page comes back (progressive enhancement). */
(function () {
  "use strict";
  if (window.claimtrackDesk) { return; }  // the fragment may be on the page more than once
  window.claimtrackDesk = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-desk-comment]") || !window.fetch) { return; }
    event.preventDefault();
    var section = form.closest(".desk-conversation");
    var status = form.querySelector(".desk-status");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    if (status) { status.textContent = "Posting…"; }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      if (response.status !== 200 && response.status !== 400) {
        throw new Error("The comment was not posted (" + response.status + "); reload the page.");
      }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector(".desk-conversation");
      if (!fresh) { throw new Error("The comment was not posted; reload the page."); }
      section.replaceWith(fresh);
      var error = fresh.querySelector(".desk-error");
      var box = fresh.querySelector("textarea[name=body]");
      if (error && box) { box.focus(); }
    }).catch(function (problem) {
      if (status) { status.textContent = problem.message; }
      if (button) { button.disabled = false; }
    });
  });
})();
