// Applied before first paint (a blocking external script: the CSP forbids inline ones).
(function () {
  try {
    var t = localStorage.getItem("wsgiscope-theme");
    if (t === "dark" || t === "light") document.documentElement.setAttribute("data-theme", t);
  } catch (e) { /* storage disabled: follow prefers-color-scheme */ }
})();
