// wsgiscope's small script. Everything works without it (each step is a real page);
// with it: keyboard shortcuts, play/pause with speed and phase breakpoints, the event
// list following the current step, tokens gliding between lanes, and the theme toggle.
(function () {
  "use strict";
  var doc = document;
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var BP_KEY = "wsgiscope-breakpoints";
  var SPEED_KEY = "wsgiscope-speed";

  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }

  // ---- theme -------------------------------------------------------------------------
  function effectiveTheme() {
    var t = doc.documentElement.getAttribute("data-theme");
    if (t) return t;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function toggleTheme() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    doc.documentElement.setAttribute("data-theme", next);
    store("wsgiscope-theme", next);
    var b = $("#theme-toggle");
    if (b) b.setAttribute("aria-pressed", next === "dark" ? "true" : "false");
  }

  // ---- language: keep the current step when switching ------------------------------
  function switchLang() {
    var a = $("#lang-toggle");
    if (!a) return;
    var url = new URL(window.location.href);
    url.searchParams.set("lang", a.getAttribute("data-lang"));
    window.location.assign(url.toString());
  }

  // ---- the player --------------------------------------------------------------------
  var playing = false, timer = null, lastPhase = null;

  function stepEl() { return $("#step"); }
  // the step's lanes, source and state, which come with each step out of band (_step_body.html)
  function bodyEl() { return $("#step-body"); }
  function speed() { var s = $("#speed"); return s ? parseFloat(s.value) || 1 : 1; }
  function breakpoints() {
    var set = {};
    $all('#breakpoints input[name="bp"]').forEach(function (c) { if (c.checked) set[c.value] = true; });
    return set;
  }
  function saveBreakpoints() {
    var list = Object.keys(breakpoints());
    store(BP_KEY, JSON.stringify(list));
    var n = $("#bp-count");
    if (n) n.textContent = list.length ? String(list.length) : "";
  }
  function restoreBreakpoints() {
    var saved = [];
    try { saved = JSON.parse(load(BP_KEY) || "[]"); } catch (e) { saved = []; }
    $all('#breakpoints input[name="bp"]').forEach(function (c) { c.checked = saved.indexOf(c.value) >= 0; });
    saveBreakpoints();
  }

  function control(key) {
    var el = stepEl();
    return el ? $('[data-key="' + key + '"]', el) : null;
  }
  function go(key) {
    var a = control(key);
    if (a) { a.click(); return true; }
    return false;
  }

  function setPlaying(on) {
    playing = on;
    var b = $("#play");
    if (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
      $(".play-icon", b).textContent = on ? "❚❚" : "▶";
      $(".play-label", b).textContent = b.getAttribute(on ? "data-pause" : "data-play");
    }
    clearTimeout(timer);
    if (on) schedule();
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!playing) return;
      if (!go("step")) setPlaying(false);  // at the last step
    }, Math.max(40, 700 / speed()));
  }

  function onArrive() {
    var el = stepEl();
    if (!el) return;
    var n = el.getAttribute("data-step");
    var phase = el.getAttribute("data-phase");
    // the event list follows
    $all("#events .ev.current").forEach(function (li) {
      li.classList.remove("current");
      var a = $("a", li); if (a) a.removeAttribute("aria-current");
    });
    var li = $('#events .ev[data-step="' + n + '"]');
    if (li) {
      li.classList.add("current");
      var a = $("a", li); if (a) a.setAttribute("aria-current", "step");
      var box = $("#events .event-list");
      if (box) {
        var top = li.offsetTop - box.offsetTop;
        if (top < box.scrollTop || top > box.scrollTop + box.clientHeight - li.offsetHeight) {
          box.scrollTop = Math.max(0, top - box.clientHeight / 3);
        }
      }
    }
    var fs = $("#filter-step"); if (fs) fs.value = n;
    // the lit source line in view, inside its own scroll box (not the page)
    var lit = $(".code .line.lit", bodyEl());
    if (lit) {
      var code = lit.closest(".code");
      code.scrollTop = Math.max(0, code.scrollTop + lit.getBoundingClientRect().top -
                                   code.getBoundingClientRect().top - code.clientHeight / 3);
    }
    moveCursors(el);
    afterPaint(function () { prefetchNext(el); });
    if (playing) {
      if (breakpoints()[phase] && phase !== lastPhase) setPlaying(false);
      else schedule();
    }
    lastPhase = phase;
  }

  // History: stepping (one step forward or back, by button, key or playback) replaces the
  // current entry, so Back leaves the stepping; a jump (phase, request, event, timeline,
  // key moment) pushes one, so Back returns to where it was made. The step panel names its
  // page (data-page) and the URL is set here, not by htmx from a header: htmx's history
  // bookkeeping (a storage probe, two history calls and a page search per step) was a fifth
  // of a step's time on a busy machine. A response that does name a URL (the event filter's)
  // is left to htmx.
  // The history calls wait until the new step has been painted: each one is a same-document
  // navigation for the browser (its bookkeeping, and headless Chromium fetching and decoding
  // the favicon again), 1-9 ms on the main thread that the person does not see happen.
  function updateUrl(e) {
    var el = stepEl(), d = e.detail || {};
    if (!el || e.target !== el || (d.xhr && d.xhr.getResponseHeader("HX-Push-Url"))) return;
    var url = el.getAttribute("data-page");
    var elt = d.requestConfig && d.requestConfig.elt;
    var key = elt && elt.getAttribute ? elt.getAttribute("data-key") : null;
    var stepping = key === "step" || key === "back";
    if (url) afterPaint(function () { setUrl(url, stepping); });
  }
  function setUrl(url, stepping) {
    if (url === location.pathname + location.search) return;
    if (stepping) { history.replaceState({ htmx: true }, "", url); return; }
    // Back to the entry being left reloads its step: htmx's popstate handler does that for
    // entries marked as its own, as it marked them itself before pushing.
    if (!(history.state && history.state.htmx)) history.replaceState({ htmx: true }, "", location.href);
    history.pushState({ htmx: true }, "", url);
  }

  // ---- the timeline: cursor, click or drag to jump, zoom and pan ---------------------
  var tlIndex = null;
  function timelineEl() { return $("#timeline"); }
  function pct(t) {
    var tl = timelineEl();
    var start = parseFloat(tl.getAttribute("data-start")), span = parseFloat(tl.getAttribute("data-span")) || 1;
    return Math.max(0, Math.min(100, (t - start) * 100 / span));
  }
  // A run whose clock stands still is drawn on a step axis (backend/timeline.py): there
  // a position is a step number, and step n sits in the middle of its slot.
  function onSteps() { var tl = timelineEl(); return !!tl && tl.getAttribute("data-axis") === "steps"; }
  function moveCursors(el) {
    var tl = timelineEl();
    if (!tl || !el) return;
    var x = onSteps() ? pct((parseFloat(el.getAttribute("data-step")) || 0) + 0.5)
                      : pct(parseFloat(el.getAttribute("data-t")) || 0);
    var cursor = $("#tl-cursor");
    if (cursor) cursor.setAttribute("x", x + "%");
    // keep the cursor in view when zoomed (not measured otherwise: a read of the layout
    // here would make the browser lay out the new step before it is finished with it)
    var box = $("#tl-scroll"), inner = $("#tl-inner");
    if (zoom > 1 && box && inner && inner.offsetWidth > box.clientWidth + 2) {
      var label = $(".tl-label", inner); var lw = label ? label.offsetWidth : 0;
      var px = lw + (inner.offsetWidth - lw) * x / 100;
      if (px < box.scrollLeft + lw || px > box.scrollLeft + box.clientWidth - 20) box.scrollLeft = Math.max(0, px - box.clientWidth / 2);
    }
  }
  function goStep(n) {
    var el = stepEl(), tl = timelineEl();
    if (!el || !tl || !window.htmx) return;
    var q = el.getAttribute("data-query");
    // source: the timeline, whose hx-sync="this:replace" aborts a request still in flight
    // when a newer one starts, so a fast scrub never ends on an older step's answer.
    window.htmx.ajax("GET", tl.getAttribute("data-frag") + n + (q ? "?" + q : ""),
                     { source: tl, target: "#step", swap: "outerHTML settle:0ms" });
  }
  function stepAtTime(t) {
    if (onSteps()) {
      var last = (parseFloat(timelineEl().getAttribute("data-span")) || 1) - 1;
      return Math.max(0, Math.min(last, Math.floor(t)));
    }
    if (!tlIndex) {
      try { tlIndex = JSON.parse(($("#trace-index") || {}).textContent || "{}").times || []; } catch (e) { tlIndex = []; }
    }
    var best = null;
    for (var k = 0; k < tlIndex.length; k++) { if (tlIndex[k][0] <= t) best = tlIndex[k][1]; else break; }
    return best;
  }
  var zoom = 1, drag = null;
  function setZoom(z) {
    var inner = $("#tl-inner"), box = $("#tl-scroll");
    if (!inner || !box) return;
    var centre = (box.scrollLeft + box.clientWidth / 2) / (inner.offsetWidth || 1);
    zoom = Math.max(1, Math.min(64, z));
    inner.style.width = (zoom * 100) + "%";
    box.scrollLeft = centre * inner.offsetWidth - box.clientWidth / 2;
  }
  function initTimeline() {
    var tl = timelineEl();
    if (!tl) return;
    var tools = $("#tl-tools"); if (tools) tools.hidden = false;
    $all("[data-zoom]", tl).forEach(function (b) {
      b.addEventListener("click", function () {
        var z = b.getAttribute("data-zoom");
        setZoom(z === "in" ? zoom * 2 : z === "out" ? zoom / 2 : 1);
      });
    });
    var box = $("#tl-scroll");
    // Drag along the time axis to scrub: the step under the pointer follows it.
    var axis = $(".tl-axis .tl-track", tl), scrubbing = false, lastScrub = null, scrubTimer = null;
    function scrubAt(x) {
      var r = axis.getBoundingClientRect();
      var start = parseFloat(tl.getAttribute("data-start")), span = parseFloat(tl.getAttribute("data-span")) || 1;
      var n = stepAtTime(start + Math.max(0, Math.min(1, (x - r.left) / r.width)) * span);
      if (n === null || n === lastScrub) return;
      lastScrub = n;
      clearTimeout(scrubTimer);
      scrubTimer = setTimeout(function () { goStep(n); }, 60);
    }
    if (axis) {
      axis.style.cursor = "ew-resize";
      axis.addEventListener("pointerdown", function (e) {
        if (e.button !== 0) return;
        scrubbing = true; lastScrub = null;
        e.stopPropagation(); e.preventDefault();
        scrubAt(e.clientX);
      });
      doc.addEventListener("pointermove", function (e) { if (scrubbing) scrubAt(e.clientX); });
      doc.addEventListener("pointerup", function () { scrubbing = false; });
    }
    box.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || scrubbing) return;
      drag = { x: e.clientX, left: box.scrollLeft, moved: false };
    });
    box.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x;
      if (Math.abs(dx) > 4) { drag.moved = true; box.classList.add("dragging"); }
      if (drag.moved) box.scrollLeft = drag.left - dx;
    });
    function endDrag() { setTimeout(function () { drag = null; box.classList.remove("dragging"); }, 0); }
    box.addEventListener("pointerup", endDrag);
    box.addEventListener("pointerleave", function () { if (drag && drag.moved) endDrag(); else drag = null; });
    tl.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[data-step]");
      if (drag && drag.moved) { e.preventDefault(); return; }
      if (a) { e.preventDefault(); goStep(a.getAttribute("data-step")); return; }
      var track = e.target.closest && e.target.closest(".tl-track");
      if (!track || !box.contains(track) || track === axis) return;  // the axis scrubs
      var r = track.getBoundingClientRect();
      var tlStart = parseFloat(tl.getAttribute("data-start")), span = parseFloat(tl.getAttribute("data-span")) || 1;
      var n = stepAtTime(tlStart + (e.clientX - r.left) / r.width * span);
      if (n !== null) goStep(n);
    });
    box.addEventListener("wheel", function (e) {
      if (!e.ctrlKey) return;  // ctrl + wheel zooms; plain wheel scrolls the page
      e.preventDefault();
      setZoom(e.deltaY < 0 ? zoom * 1.25 : zoom / 1.25);
    }, { passive: false });
  }

  // ---- a new step: only what changed is rebuilt -------------------------------------
  // The step panel's slow parts (lanes, source, each inspector section) carry a digest of
  // their HTML (data-key, _step_body.html's part macro): a part whose key did not change stays
  // on screen as it is (with its scroll position and open or closed sections). The rest is
  // brought to the new step in place: an element whose children have the same shape as
  // the new ones (same tags, same number) keeps them and only takes the new attributes and
  // text; only where the shape differs are the new nodes put in. Replacing the controls,
  // caption, lanes and changed sections whole made the browser create, style and lay out
  // about 200 elements a step, though most of them differ from the last step in an href, a
  // class or a number.
  function syncAttributes(old, next, rebind) {
    var hx = false;
    Array.prototype.slice.call(old.attributes).forEach(function (a) {
      if (next.hasAttribute(a.name)) return;
      old.removeAttribute(a.name);
      if (a.name.lastIndexOf("hx-", 0) === 0) hx = true;
    });
    Array.prototype.slice.call(next.attributes).forEach(function (a) {
      if (old.getAttribute(a.name) === a.value) return;
      old.setAttribute(a.name, a.value);
      if (a.name.lastIndexOf("hx-", 0) === 0) hx = true;
    });
    // htmx read the old hx-get when it set up the element: it must set it up again
    if (hx) rebind.push(old);
  }
  // Replaced whole, never updated in place: form fields (a field's attribute no longer sets
  // what it shows once a person has typed in it) and preformatted text (the source: brought
  // in place token by token, two functions' highlighted lines made the browser re-shape its
  // text piece by piece, up to 23 ms in one step, where building the new lines costs a few).
  var WHOLE = { INPUT: 1, SELECT: 1, TEXTAREA: 1, PRE: 1 };
  function sameShape(olds, nexts) {
    if (olds.length !== nexts.length) return false;
    for (var k = 0; k < olds.length; k++) {
      var o = olds[k], n = nexts[k];
      if (o.nodeType !== n.nodeType) return false;
      if (o.nodeType === 1 && (o.tagName !== n.tagName || WHOLE[o.tagName])) return false;
    }
    return true;
  }
  function morph(old, next, added) {
    syncAttributes(old, next, added);
    var olds = Array.prototype.slice.call(old.childNodes), nexts = Array.prototype.slice.call(next.childNodes);
    if (!sameShape(olds, nexts)) {
      old.replaceChildren.apply(old, nexts);
      nexts.forEach(function (n) { if (n.nodeType === 1) added.push(n); });
      return;
    }
    nexts.forEach(function (n, k) {
      var o = olds[k];
      if (n.nodeType !== 1) {
        if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue;
        return;
      }
      // a part (not a control: their data-key names the key that presses them) whose
      // digest did not change is kept as it is
      if (n.hasAttribute("data-part") && o.getAttribute("data-key") === n.getAttribute("data-key")) return;
      morph(o, n, added);
    });
  }
  function defineStepSwap() {
    // htmx calls an extension's handleSwap for a swap style it does not know itself; the
    // player asks for this one (htmx:beforeSwap below) only where this script runs, so
    // without it a step is still swapped whole (outerHTML).
    window.htmx.defineExtension("step-parts", {
      // the step's body comes out of band (hx-swap-oob="step-parts"): htmx hands an
      // inline swap the element itself, as handleSwap expects, not only its children
      isInlineSwap: function (style) { return style === "step-parts"; },
      handleSwap: function (style, target, fragment, settleInfo) {
        if (style !== "step-parts") return false;
        var next = fragment.firstElementChild;
        var added = [];
        if (next && next.id === target.id && fragment.children.length === 1) {
          morph(target, next, added);
        } else {  // not one step panel: replace it whole, as outerHTML would
          added = Array.prototype.slice.call(fragment.children);
          target.replaceWith(fragment);
          settleInfo.elts = added;
        }
        return added;  // htmx processes these (their hx-get links) and fires htmx:load
      }
    });
  }

  // Run ``fn`` once the frame now being prepared has been painted (a task posted from its
  // animation frame), so work the person does not see yet does not delay what they see.
  function afterPaint(fn) {
    if (!window.requestAnimationFrame || !window.MessageChannel) { setTimeout(fn, 0); return; }
    requestAnimationFrame(function () {
      var ch = new MessageChannel();
      ch.port1.onmessage = fn;
      ch.port2.postMessage(0);
    });
  }

  // Ask for the next step while the person reads this one (after the step is painted), and
  // keep its HTML: the click on "Step" is then answered from here (onConfirm) without a
  // request, or by the one already on its way. The fragment is also cacheable, so a page
  // without this script's memory (a reload) still finds it in the browser's cache.
  var ahead = {}, aheadOrder = [], AHEAD_KEPT = 8;
  function prefetchNext(el) {
    var next = $('[data-key="step"]', el);
    var url = next && next.getAttribute("hx-get");
    if (!url || ahead[url] || !window.fetch) return;
    ahead[url] = fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .catch(function () { return null; })
      .then(function (html) { if (html === null) delete ahead[url]; return html; });
    aheadOrder.push(url);
    if (aheadOrder.length > AHEAD_KEPT) delete ahead[aheadOrder.shift()];
  }
  // htmx asks before each request (htmx:confirm); one for a step the player already holds
  // is not made: the step is swapped in from memory as htmx would swap the response (same
  // swap, same afterSettle). A later click wins over a step still on its way; if fetching
  // it ahead failed, htmx makes the request after all.
  var navSeq = 0;
  function onConfirm(e) {
    var d = e.detail, el = stepEl();
    if (!el || d.target !== el || d.verb !== "get") return;
    var seq = ++navSeq, held = ahead[d.path];
    if (!held || !window.htmx.swap) return;
    e.preventDefault();
    held.then(function (html) {
      var target = stepEl();
      if (seq !== navSeq || !target) return;
      if (html === null) { d.issueRequest(true); return; }
      recordTokens();
      window.htmx.swap(target, html, { swapStyle: "step-parts", swapDelay: 0, settleDelay: 0 },
                       { contextElement: d.elt, eventInfo: { requestConfig: { elt: d.elt } } });
    });
  }

  // tokens glide from their old lane to the new one (FLIP), unless motion is reduced
  var before = null;
  function recordTokens() {
    if (reduceMotion && reduceMotion.matches) { before = null; return; }
    before = {};
    $all("#step-body [data-token]").forEach(function (t) { before[t.getAttribute("data-token")] = t.getBoundingClientRect(); });
  }
  function animateTokens() {
    if (!before) return;
    $all("#step-body [data-token]").forEach(function (t) {
      var old = before[t.getAttribute("data-token")];
      if (!old || !t.animate) return;
      var now = t.getBoundingClientRect();
      var dx = old.left - now.left, dy = old.top - now.top;
      if (Math.abs(dx) < 1 && Math.abs(dy) < 1) return;
      t.animate([{ transform: "translate(" + dx + "px," + dy + "px)" }, { transform: "none" }],
                { duration: Math.min(240, 500 / speed()), easing: "ease-out" });
    });
    before = null;
  }

  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    var tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    var help = $("#help");
    if (help && help.open) return;  // the dialog handles its own keys (Esc closes)
    var k = e.key, handled = true;
    if (k === "?") { if (help && help.showModal) help.showModal(); }
    else if (k === "t") toggleTheme();
    else if (k === "l") switchLang();
    else if (!stepEl()) handled = false;
    else if (k === "ArrowRight" || k === "j") go("step");
    else if (k === "ArrowLeft" || k === "k") go("back");
    else if (k === " " || k === "Spacebar") {
      if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") handled = false;
      else setPlaying(!playing);
    }
    else if (k === "]") go("next-phase");
    else if (k === "[") go("prev-phase");
    else if (k === "n") go("next-request");
    else if (k === "p") go("prev-request");
    else if (k === "Home") go("first");
    else if (k === "End") go("last");
    else if (k === "b") toggleBreakpointHere();
    else if (k === "+" || k === "=") bumpSpeed(1);
    else if (k === "-" || k === "_") bumpSpeed(-1);
    else handled = false;
    if (handled) e.preventDefault();
  }
  function bumpSpeed(d) {
    var s = $("#speed"); if (!s) return;
    s.selectedIndex = Math.min(s.options.length - 1, Math.max(0, s.selectedIndex + d));
    store(SPEED_KEY, s.value);
  }
  function toggleBreakpointHere() {
    var el = stepEl(); if (!el) return;
    var c = $('#breakpoints input[value="' + el.getAttribute("data-phase") + '"]');
    if (c) { c.checked = !c.checked; saveBreakpoints(); }
  }

  function init() {
    var tt = $("#theme-toggle");
    if (tt) {
      tt.hidden = false;
      tt.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
      tt.addEventListener("click", toggleTheme);
    }
    var lt = $("#lang-toggle");
    if (lt) lt.addEventListener("click", function (e) { e.preventDefault(); switchLang(); });
    doc.addEventListener("keydown", onKey);
    initGallerySearch();
    var bar = $("#playerbar");
    if (!bar) {
      var err = $("#scenario-error");
      var ta = $("#scenario");
      if (err && ta && err.getAttribute("data-line")) selectLine(ta, parseInt(err.getAttribute("data-line"), 10));
      return;
    }
    bar.hidden = false;
    if (window.htmx) defineStepSwap();
    $("#play").addEventListener("click", function () { setPlaying(!playing); });
    var sp = $("#speed");
    var saved = load(SPEED_KEY);
    if (saved) sp.value = saved;
    sp.addEventListener("change", function () { store(SPEED_KEY, sp.value); });
    restoreBreakpoints();
    $all('#breakpoints input[name="bp"]').forEach(function (c) { c.addEventListener("change", saveBreakpoints); });
    var copy = $("#copy-link");
    if (copy && navigator.clipboard) {
      copy.hidden = false;
      var label = copy.textContent;
      var say = function (text, ms) {
        copy.textContent = text;
        setTimeout(function () { copy.textContent = label; }, ms);
      };
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(window.location.href).then(function () {
          say(copy.getAttribute("data-copied"), 1500);
        }, function () {
          // refused (the browser's permission): the address bar holds the same link
          say(copy.getAttribute("data-copy-failed"), 5000);
        });
      });
    }
    var help = $("#help");
    $("#help-open").addEventListener("click", function () { help.showModal(); });

    doc.body.addEventListener("htmx:confirm", onConfirm);
    doc.body.addEventListener("htmx:beforeSwap", function (e) {
      if (!e.detail.target || e.detail.target.id !== "step") return;
      recordTokens();
      if (window.htmx) e.detail.swapOverride = "step-parts settle:0ms";
    });
    doc.body.addEventListener("htmx:afterSettle", function (e) { updateUrl(e); animateTokens(); onArrive(); });
    doc.body.addEventListener("htmx:historyRestore", function () { setPlaying(false); onArrive(); });
    doc.body.addEventListener("htmx:responseError", function () { setPlaying(false); });
    lastPhase = stepEl() && stepEl().getAttribute("data-phase");
    initTimeline();
    onArrive();
  }

  // The gallery's search filters the cards as you type (the form still works without JS).
  function initGallerySearch() {
    var q = $("#gallery-q");
    if (!q) return;
    var count = $("#gallery-count");
    function apply() {
      var words = q.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      $all(".card[data-search]").forEach(function (card) {
        var text = card.getAttribute("data-search");
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        card.hidden = !ok; if (ok) shown++;
      });
      $all(".topic").forEach(function (t) { t.hidden = !$(".card[data-search]:not([hidden])", t); });
      if (count) count.textContent = words.length ? shown + " / " + $all(".card[data-search]").length : "";
    }
    q.addEventListener("input", apply);
  }

  // Put the caret on the line an editor error points at.
  function selectLine(ta, line) {
    var lines = ta.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || "").length;
    ta.focus();
    ta.setSelectionRange(start, end);
    var lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
    ta.scrollTop = Math.max(0, (line - 1) * lh - ta.clientHeight / 3);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
