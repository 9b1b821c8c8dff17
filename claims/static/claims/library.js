/* The claim page's library search: results load into the page with fetch() and Attach posts
   with fetch() (CSRF token in the header), then the "Previously fact-checked" list is
   replaced in place, so the review form above keeps whatever was typed and not saved yet.
   Without this script the search opens the results page and Attach posts normally
   (progressive enhancement). Everything inserted is HTML the server rendered and escaped. */
(function () {
  "use strict";
  var section = document.getElementById("library-search");
  if (!section || !window.fetch || section.hasAttribute("data-ready")) { return; }
  section.setAttribute("data-ready", "");
  var form = section.querySelector("form.library-search-form");
  var results = document.getElementById("library-results");
  var status = section.querySelector(".library-status");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function search() {
    var url = new URL(form.action, window.location.href);
    url.searchParams.set("q", form.elements.q.value);
    results.setAttribute("aria-busy", "true");
    say("Searching…");
    fetch(url.toString(), {
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "Accept": "text/html"}
    }).then(function (response) {
      // 400: the server says what is wrong with the query, in the fragment.
      if (response.status !== 200 && response.status !== 400) {
        throw new Error("The library could not be searched (" + response.status +
                        "); reload the page.");
      }
      return response.text();
    }).then(function (html) {
      results.innerHTML = html;
      say("");
    }).catch(function (error) {
      say(error.message);
    }).then(function () {
      results.removeAttribute("aria-busy");
    });
  }

  function attach(attachForm) {
    var button = attachForm.querySelector("button");
    var token = attachForm.querySelector("input[name=csrfmiddlewaretoken]");
    if (button) { button.disabled = true; }
    say("Attaching…");
    fetch(attachForm.action, {
      method: "POST",
      body: new FormData(attachForm),
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "Accept": "application/json",
                "X-CSRFToken": token ? token.value : ""}
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A login page after a session ran out, or a refusal page.
        throw new Error("Not attached (" + response.status + "); reload the page.");
      }
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error || "Not attached."); }
        return body;
      });
    }).then(function (body) {
      var list = document.getElementById("previously-checked");
      if (list && body.html) { list.outerHTML = body.html; }
      var done = document.createElement("em");
      done.className = "library-attached";
      done.textContent = "attached";
      attachForm.replaceWith(done);
      say(body.message || "");
    }).catch(function (error) {
      if (button) { button.disabled = false; }
      say(error.message);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  results.addEventListener("submit", function (event) {
    var attachForm = event.target.closest ? event.target.closest("form.library-attach") : null;
    if (!attachForm) { return; }
    event.preventDefault();
    attach(attachForm);
  });
})();
