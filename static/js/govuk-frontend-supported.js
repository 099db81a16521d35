// Loaded as the first element of <body> (a classic, blocking script) by templates/base.html.
// GOV.UK Frontend's components only initialise when <body> has the "govuk-frontend-supported"
// class, and its CSS uses "js-enabled" to hide content that JavaScript will reveal.
// The GOV.UK template does this with an inline script; it is an external file here so the
// Content Security Policy can forbid inline scripts.
(function () {
  var body = document.body;
  body.classList.add("js-enabled");
  if ("noModule" in HTMLScriptElement.prototype) {
    body.classList.add("govuk-frontend-supported");
  }
})();
