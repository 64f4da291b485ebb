// The scenario editor: CodeMirror 5 (vendored, pinned) over the plain textarea, with line
// numbers, JSON highlighting, and live checks. Without JavaScript the textarea and the
// "Run" button work as they are; this only adds to them.
//
// Checks are the engine's own validation (POST /edit/check: the same model the JSON
// Schema at /api/v1/schema is made from), so the editor never disagrees with /run: every
// error is marked at its line in the gutter and listed below the editor.
(function () {
  "use strict";
  var area = document.getElementById("scenario");
  if (!area || !window.CodeMirror) return;
  var list = document.getElementById("problems");
  var form = area.form;

  function post(text) {
    var body = new URLSearchParams();
    body.set("scenario", text);
    return fetch("/edit/check", {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {errors: [], unavailable: true}; })
      .catch(function () { return {errors: [], unavailable: true}; });
  }

  function show(errors, cm) {
    if (!list) return;
    list.textContent = "";
    var title = document.createElement("p");
    title.className = errors.length ? "problems-title bad" : "problems-title ok";
    title.textContent = errors.length
      ? list.dataset.msgSome.replace("{n}", String(errors.length))
      : list.dataset.msgNone;
    list.appendChild(title);
    if (!errors.length) return;
    var ul = document.createElement("ul");
    errors.forEach(function (e) {
      var li = document.createElement("li");
      var go = document.createElement("button");
      go.type = "button";
      go.className = "linkish";
      go.textContent = list.dataset.msgLine.replace("{n}", String(e.line || 1));
      go.addEventListener("click", function () {
        cm.focus();
        cm.setCursor({line: (e.line || 1) - 1, ch: 0});
        cm.scrollIntoView(null, 80);
      });
      li.appendChild(go);
      var code = document.createElement("code");
      code.textContent = e.field || list.dataset.msgDocument;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(code);
      li.appendChild(document.createTextNode(": " + e.message));
      ul.appendChild(li);
    });
    list.appendChild(ul);
  }

  // The lesson box says what the text declares (its x-lesson), not what the scenario it
  // was loaded from was for; the check reads it from the text.
  var lesson = document.getElementById("editor-lesson");
  var lessonText = document.getElementById("editor-lesson-text");
  function showLesson(text) {
    if (!lesson || !lessonText) return;
    lessonText.textContent = text || "";
    lesson.hidden = !text;
  }

  function check(text, update, options, cm) {
    post(text).then(function (data) {
      var errors = data.errors || [];
      show(errors, cm);
      if ("lesson" in data) showLesson(data.lesson);
      update(errors.map(function (e) {
        var line = Math.max((e.line || 1) - 1, 0);
        return {
          from: CodeMirror.Pos(line, 0),
          to: CodeMirror.Pos(line, cm.getLine(line) ? cm.getLine(line).length : 0),
          message: (e.field ? e.field + ": " : "") + e.message,
          severity: "error"
        };
      }));
    });
  }

  var cm = CodeMirror.fromTextArea(area, {
    mode: {name: "javascript", json: true},
    lineNumbers: true,
    lineWrapping: false,
    indentUnit: 2,
    tabSize: 2,
    gutters: ["CodeMirror-lint-markers"],
    lint: {getAnnotations: check, async: true, delay: 350},
    inputStyle: "contenteditable",
    screenReaderLabel: area.getAttribute("aria-label") || "Scenario JSON",
    extraKeys: {"Ctrl-Enter": function () { form.requestSubmit(); },
                "Cmd-Enter": function () { form.requestSubmit(); }}
  });
  cm.getWrapperElement().classList.add("scenario-editor");
  // The textarea is what the form posts: keep it current.
  form.addEventListener("submit", function () { cm.save(); });
  // After a refused run: the editor says it is invalid, points at the error, and has focus.
  var input = cm.getInputField();
  ["aria-invalid", "aria-describedby"].forEach(function (name) {
    if (area.hasAttribute(name)) input.setAttribute(name, area.getAttribute(name));
  });
  var error = document.getElementById("scenario-error");
  if (error) {
    if (error.dataset.line) cm.setCursor({line: Number(error.dataset.line) - 1, ch: 0});
    cm.focus();
  }
})();
